/*
 * test_core.c -- unit tests of the tenancy core with no database.
 *
 * Covers version order, the file-name grammar, folder loading from
 * tests/fixtures (and from folders built at run time for symbolic links
 * and non-UTF-8 names), checksums, body checks, flag detection and name
 * rules, and the decisions both hosts take from the core (tenant state,
 * word arguments, targets, tenant sets read through a fake adapter).
 * Prints "ok - ..." or "FAIL - ..." per case and ends with exactly
 * "N passed, N failed".
 *
 * This file must not need a database or a network, and must not leave
 * files anywhere but the scratch folder given as argv[2].
 *
 * Usage: test_core [fixtures-dir] [scratch-dir]
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tenancy.h"

static int n_pass;
static int n_fail;

static void
check(int ok, const char *file, int line, const char *fmt, const char *arg)
{
	char name[512];

	char *p;

	snprintf(name, sizeof(name), fmt, arg ? arg : "");
	/* one line per case: show control characters as '?' */
	for (p = name; *p; p++)
		if ((unsigned char) *p < 0x20)
			*p = '?';
	if (ok)
	{
		n_pass++;
		printf("ok - %s\n", name);
	}
	else
	{
		n_fail++;
		printf("FAIL - %s (%s:%d)\n", name, file, line);
	}
}

#define CHECK(cond, fmt, arg) check((cond) ? 1 : 0, __FILE__, __LINE__, fmt, arg)

/*
 * SETUP: fixture preparation (make a folder, a symlink, a sparse file).  It is
 * not an assertion about tenancy: success is not counted, a failure is (the
 * checks that follow it would test nothing).
 */
#define SETUP(cond, fmt, arg)                                 \
	do                                                        \
	{                                                         \
		if (!(cond))                                          \
			check(0, __FILE__, __LINE__, "setup: " fmt, arg); \
	} while (0)

static const char *fixtures = "tests/fixtures";
static const char *scratch = "tests/out/core_scratch";

static char *
fixture(const char *name)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", fixtures, name);
	return buf;
}

static int
sign(int x)
{
	return x < 0 ? -1 : (x > 0 ? 1 : 0);
}

/* ------------------------------------------------------------------ */

static void
test_versions(void)
{
	static const struct
	{
		const char *a;
		const char *b;
		int			expect;
	} cases[] = {
		{ "1", "2", -1 },
		{ "2", "1", 1 },
		{ "1.2", "1.10", -1 },
		{ "1.10", "1.2", 1 },
		{ "0002", "2", 0 },
		{ "1", "01", 0 },
		{ "1", "1.0.1", -1 },
		{ "1", "1.0", -1 },
		{ "1_2", "1.2", 0 },
		{ "9", "10", -1 },
		{ "20240101120000", "20240101120001", -1 },
		{ "20240101120000", "9", 1 },
		{ "99999999999999999999999999", "100000000000000000000000000", -1 },
		{ "1.2.3", "1.2.3", 0 },
		{ "1.2.3", "1.2", 1 },
		{ "V1", "1", 0 },
	};
	static const char *good[] = { "1", "0", "1.2.3", "2024_01_01", "20240101120000", "0002" };
	static const char *bad[] = { "", "V1", "v1", "1..2", "1.", ".1", "_1", "a", "1a", "1-2", "1 2" };
	char			   label[256];
	char			   longv[TN_MAX_VERSION_LEN + 2];
	size_t			   i;
	tn_error		   err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		snprintf(label, sizeof(label), "%s vs %s", cases[i].a, cases[i].b);
		CHECK(sign(tn_version_compare(cases[i].a, cases[i].b)) == cases[i].expect,
			  "version compare %s", label);
		CHECK(sign(tn_version_compare(cases[i].b, cases[i].a)) == -cases[i].expect,
			  "version compare antisymmetric %s", label);
	}
	CHECK(tn_version_compare(NULL, NULL) == 0 && tn_version_compare(NULL, "1") < 0,
		  "version compare NULL sorts first%s", NULL);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(tn_version_validate(good[i], &err) == TN_OK, "version valid \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(tn_version_validate(bad[i], &err) == TN_ERR_INVALID_ARGUMENT &&
				  err.message[0] != '\0',
			  "version invalid \"%s\"", bad[i]);
	CHECK(tn_version_validate(NULL, &err) == TN_ERR_NULL_ARGUMENT, "version NULL%s", NULL);
	memset(longv, '1', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	CHECK(tn_version_validate(longv, &err) == TN_ERR_TOO_LARGE, "version of 65 digits too long%s", NULL);
	longv[TN_MAX_VERSION_LEN] = '\0';
	CHECK(tn_version_validate(longv, &err) == TN_OK, "version of 64 digits ok%s", NULL);
}

/* ------------------------------------------------------------------ */

static void
test_filenames(void)
{
	static const struct
	{
		const char *file;
		const char *version;
		const char *name;
		tn_dialect	dialect;
		int			direction;
	} good[] = {
		{ "V1__create_users.sql", "1", "create_users", TN_DIALECT_ALL, 1 },
		{ "v2__x.sql", "2", "x", TN_DIALECT_ALL, 1 },
		{ "U1__create_users.sql", "1", "create_users", TN_DIALECT_ALL, -1 },
		{ "V1_1__add.sql", "1_1", "add", TN_DIALECT_ALL, 1 },
		{ "V1.1__add_email.sql", "1.1", "add_email", TN_DIALECT_ALL, 1 },
		{ "V1__2fa_setup.sql", "1", "2fa_setup", TN_DIALECT_ALL, 1 },
		{ "V2__add_col.sql", "2", "add_col", TN_DIALECT_ALL, 1 },
		{ "1_x.up.sql", "1", "x", TN_DIALECT_ALL, 1 },
		{ "1_x.down.sql", "1", "x", TN_DIALECT_ALL, -1 },
		{ "3_add_index.pg.up.sql", "3", "add_index", TN_DIALECT_POSTGRES, 1 },
		{ "3_add_index.pg.down.sql", "3", "add_index", TN_DIALECT_POSTGRES, -1 },
		{ "3_add_index.down.pg.sql", "3", "add_index", TN_DIALECT_POSTGRES, -1 },
		{ "0004-users.sqlite.sql", "0004", "users", TN_DIALECT_SQLITE, 0 },
		{ "5_x.postgres.sql", "5", "x", TN_DIALECT_POSTGRES, 0 },
		{ "5_x.postgresql.sql", "5", "x", TN_DIALECT_POSTGRES, 0 },
		{ "6_x.all.sql", "6", "x", TN_DIALECT_ALL, 0 },
		{ "6_x.ALL.UP.SQL", "6", "x", TN_DIALECT_ALL, 1 },
		{ "20240101120000_create_x.up.sql", "20240101120000", "create_x", TN_DIALECT_ALL, 1 },
		{ "20240101120000_create_x.sql", "20240101120000", "create_x", TN_DIALECT_ALL, 0 },
		{ "1_2_add.sql", "1_2", "add", TN_DIALECT_ALL, 0 },
		{ "1_2fa.sql", "1", "2fa", TN_DIALECT_ALL, 0 },
		{ "1.2.add_x.sql", "1.2", "add_x", TN_DIALECT_ALL, 0 },
		{ "1.2-add.sql", "1.2", "add", TN_DIALECT_ALL, 0 },
		{ "0001-create users.sql", "0001", "create users", TN_DIALECT_ALL, 0 },
		{ "some/dir/V7__x.sql", "7", "x", TN_DIALECT_ALL, 1 },
		{ "7_caf\xc3\xa9.sql", "7", "caf\xc3\xa9", TN_DIALECT_ALL, 0 },
		/* golang-migrate with a "V" version token: the suffix gives the direction */
		{ "V0001.Initial_Schema.up.sql", "0001", "Initial_Schema", TN_DIALECT_ALL, 1 },
		{ "V0001.Initial_Schema.down.sql", "0001", "Initial_Schema", TN_DIALECT_ALL, -1 },
		{ "V1__a.down.sql", "1", "a", TN_DIALECT_ALL, -1 },
		/* pop / popx dialect tags */
		{ "20190100000001_ids.sqlite3.up.sql", "20190100000001", "ids", TN_DIALECT_SQLITE, 1 },
		{ "20190100000001_ids.postgres.down.sql", "20190100000001", "ids", TN_DIALECT_POSTGRES, -1 },
		{ "20190100000001_ids.mysql.up.sql", "20190100000001", "ids", TN_DIALECT_OTHER, 1 },
		{ "20190100000001_ids.cockroach.autocommit.up.sql", "20190100000001", "ids", TN_DIALECT_OTHER, 1 },
		{ "20190100000001_ids.autocommit.up.sql", "20190100000001", "ids", TN_DIALECT_ALL, 1 },
		{ "20190100000001_ids.postgres.autocommit.down.sql", "20190100000001", "ids", TN_DIALECT_POSTGRES, -1 },
	};
	static const char *bad[] = {
		"README.md",
		"x.sql",
		"1.sql",
		"1.up.sql",
		"1_.sql",
		"V1.sql",
		"V__x.sql",
		"R__.sql",
		"R__views.down.sql",
		"U1__a.up.sql",
		"1abc.sql",
		".sql",
		"sql",
		"",
		"_1_x.sql",
		"1_x.sq",
		"1_x\n.sql",
		"1_\xff\xfe.sql",
		"1_\xc3.sql",
		"1111111111111111111111111111111111111111111111111111111111111111111_x.sql",
	};
	size_t	 i;
	tn_error err;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		char	  *v = NULL;
		char	  *n = NULL;
		tn_dialect d = TN_DIALECT_ALL;
		int		   dir = 99;
		int		   rc = tn_parse_filename(good[i].file, &v, &n, &d, &dir, &err);

		CHECK(rc == TN_OK && v && n && strcmp(v, good[i].version) == 0 &&
				  strcmp(n, good[i].name) == 0 && d == good[i].dialect &&
				  dir == good[i].direction,
			  "filename %s", good[i].file);
		if (rc == TN_OK && v && tn_version_validate(v, &err) != TN_OK)
			CHECK(0, "parsed version validates for %s", good[i].file);
		free(v);
		free(n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		char	  *v = (char *) "junk";
		char	  *n = (char *) "junk";
		tn_dialect d;
		int		   dir;
		int		   rc = tn_parse_filename(bad[i], &v, &n, &d, &dir, &err);
		char	   label[128];
		size_t	   k;

		/* label without control bytes */
		for (k = 0; bad[i][k] && k < sizeof(label) - 1; k++)
			label[k] = ((unsigned char) bad[i][k] < 0x20 || (unsigned char) bad[i][k] >= 0x7f) ? '?' : bad[i][k];
		label[k] = '\0';
		CHECK(rc == TN_ERR_FORMAT && v == NULL && n == NULL &&
				  strncmp(err.message, "invalid migration file name", 27) == 0 &&
				  err.detail[0] != '\0',
			  "bad filename \"%s\"", label);
	}
	{
		char	  *v;
		char	  *n;
		tn_dialect d;
		int		   dir;

		CHECK(tn_parse_filename("1_\xff.sql", &v, &n, &d, &dir, &err) == TN_ERR_FORMAT &&
				  strstr(err.detail, "UTF-8") != NULL && strstr(err.message, "\\xff") != NULL,
			  "non-UTF-8 file name escaped in message%s", NULL);
		CHECK(tn_parse_filename("R__v.sql", &v, &n, &d, &dir, &err) == TN_OK && strcmp(v, "R__v") == 0 &&
				  strcmp(n, "v") == 0 && dir == 0,
			  "Flyway R__v.sql: version R__v, name v%s", NULL);
		free(v);
		free(n);
		CHECK(tn_parse_filename("R__People_view.sqlite.sql", &v, &n, &d, &dir, &err) == TN_OK &&
				  strcmp(v, "R__People_view") == 0 && d == TN_DIALECT_SQLITE,
			  "a repeatable with a dialect tag%s", NULL);
		free(v);
		free(n);
		CHECK(tn_parse_filename("R__x.up.sql", &v, &n, &d, &dir, &err) == TN_ERR_FORMAT && strstr(err.detail, "no down"),
			  "a repeatable has no up/down suffix%s", NULL);
		CHECK(tn_version_compare("R__a", "999999") > 0 && tn_version_compare("1", "R__a") < 0 &&
				  tn_version_compare("R__a", "R__b") < 0 && tn_version_compare("R__b", "R__a") > 0 &&
				  tn_version_compare("R__a", "R__a") == 0 && tn_version_is_repeatable("R__a") &&
				  !tn_version_is_repeatable("R__") && !tn_version_is_repeatable("1"),
			  "repeatables order after every version, by description%s", NULL);
		{
			char k1[TN_VERSION_KEY_MAX];
			char k2[TN_VERSION_KEY_MAX];

			CHECK(tn_version_key("R__a", k1, sizeof(k1)) == TN_OK && tn_version_key("99999999999999", k2, sizeof(k2)) == TN_OK &&
					  strcmp(k1, k2) > 0,
				  "a repeatable's key sorts after every version's%s", NULL);
		}
		CHECK(tn_version_validate("R__a/b", &err) == TN_ERR_INVALID_ARGUMENT && tn_version_validate("R__a b", &err) == TN_OK,
			  "a repeatable's description has no slash%s", NULL);
		CHECK(tn_parse_filename(NULL, &v, &n, &d, &dir, &err) == TN_ERR_NULL_ARGUMENT,
			  "filename NULL%s", NULL);
	}
}

/* ------------------------------------------------------------------ */

static const tn_migration *
find_version(const tn_migration_set *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (strcmp(s->items[i].version, v) == 0)
			return &s->items[i];
	return NULL;
}

static int
sorted(const tn_migration_set *s)
{
	size_t i;

	for (i = 1; i < s->count; i++)
		if (tn_version_compare(s->items[i - 1].version, s->items[i].version) >= 0)
			return 0;
	return 1;
}

static int
well_formed(const tn_migration_set *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
	{
		const tn_migration *m = &s->items[i];
		char				c[TN_CHECKSUM_LEN];
		tn_error			err;

		if (!m->version || !m->name || !m->name[0] || !m->up_sql || !m->source)
			return 0;
		if (tn_checksum(m->up_sql, strlen(m->up_sql), c, &err) != TN_OK ||
			strcmp(c, m->checksum) != 0)
			return 0;
	}
	return 1;
}

static int line_of(const char *s, const char *what);

static void
test_folders(void)
{
	tn_migration_set	s;
	tn_error			err;
	const tn_migration *m;
	int					rc;

	/* flyway */
	rc = tn_load_folder(fixture("flyway"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 4 && sorted(&s) && well_formed(&s),
		  "flyway folder loads 4 sorted migrations%s", NULL);
	if (rc == TN_OK && s.count == 4)
	{
		CHECK(strcmp(s.items[0].version, "1") == 0 && strcmp(s.items[1].version, "1.1") == 0 &&
				  strcmp(s.items[2].version, "2") == 0 && strcmp(s.items[3].version, "10") == 0,
			  "flyway order 1, 1.1, 2, 10%s", NULL);
		m = find_version(&s, "2");
		CHECK(m && m->down_sql && strstr(m->down_sql, "DROP INDEX") &&
				  (m->flags & TN_MIG_NO_TRANSACTION),
			  "flyway U2 is the down of V2, CIC flagged%s", NULL);
		m = find_version(&s, "1");
		CHECK(m && m->down_sql == NULL && m->flags == 0 &&
				  strcmp(m->name, "create_users") == 0 &&
				  strstr(m->source, "V1__create_users.sql") != NULL,
			  "flyway V1 has no down, name and source set%s", NULL);
		m = find_version(&s, "10");
		CHECK(m && m->flags == 0, "CREATE DATABASE inside a string literal is not flagged%s", NULL);
	}
	tn_migration_set_free(&s);

	/* golang-migrate */
	rc = tn_load_folder(fixture("golang"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 3 && sorted(&s) && well_formed(&s),
		  "golang-migrate folder loads 3%s", NULL);
	m = find_version(&s, "1");
	CHECK(m && m->down_sql && strstr(m->down_sql, "DROP TABLE x"), "golang up/down paired%s", NULL);
	m = find_version(&s, "10");
	CHECK(m && m->down_sql && tn_body_is_blank(m->down_sql, strlen(m->down_sql)) &&
			  strcmp(m->name, "no_down") == 0,
		  "golang up with an empty down file has a no-op down%s", NULL);
	tn_migration_set_free(&s);

	/* dbmate */
	rc = tn_load_folder(fixture("dbmate"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 3 && sorted(&s) && well_formed(&s),
		  "dbmate folder loads 3%s", NULL);
	m = find_version(&s, "20240101120000");
	CHECK(m && strstr(m->up_sql, "CREATE TABLE x") && !strstr(m->up_sql, "DROP") &&
			  m->down_sql && strstr(m->down_sql, "DROP TABLE x") && !strstr(m->down_sql, "CREATE"),
		  "dbmate sections split%s", NULL);
	CHECK(m && strstr(m->up_sql, "migrate:") == NULL && strstr(m->down_sql, "migrate:") == NULL &&
			  line_of(m->up_sql, "CREATE TABLE x") == 1,
		  "dbmate sections hold only their own text (checksums as recorded before)%s", NULL);
	m = find_version(&s, "20240102120000");
	CHECK(m && m->down_sql && tn_body_is_blank(m->down_sql, strlen(m->down_sql)),
		  "dbmate empty down section is a no-op down%s", NULL);
	m = find_version(&s, "20240103120000");
	CHECK(m && (m->flags & TN_MIG_NO_TRANSACTION), "dbmate transaction:false flags the migration%s", NULL);
	tn_migration_set_free(&s);

	/* dialect subfolders */
	rc = tn_load_folder(fixture("dialects"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && sorted(&s) && s.items[0].dialect == TN_DIALECT_POSTGRES &&
			  strstr(s.items[0].up_sql, "IDENTITY") && s.items[1].dialect == TN_DIALECT_ALL,
		  "dialect subfolders for postgres%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("dialects"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && s.items[0].dialect == TN_DIALECT_SQLITE &&
			  strstr(s.items[0].up_sql, "AUTOINCREMENT"),
		  "dialect subfolders for sqlite%s", NULL);
	tn_migration_set_free(&s);

	/* dialect tags in one folder */
	rc = tn_load_folder(fixture("tags"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 4 && strstr(find_version(&s, "2")->up_sql, "serial") &&
			  find_version(&s, "3") && find_version(&s, "3")->down_sql,
		  "dialect tags for postgres%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("tags"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 3 && strstr(find_version(&s, "2")->up_sql, "integer") &&
			  find_version(&s, "3") == NULL,
		  "dialect tags for sqlite skip pg files%s", NULL);
	tn_migration_set_free(&s);

	/* bad folders */
	rc = tn_load_folder(fixture("bad_duplicate"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_DUPLICATE && s.count == 0 && s.items == NULL &&
			  strstr(err.message, "V1__a.sql") && strstr(err.message, "1_a.up.sql") &&
			  strstr(err.detail, "bad_duplicate/V1__a.sql"),
		  "duplicate version names both files%s", NULL);
	rc = tn_load_folder(fixture("bad_utf8"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_INVALID_ARGUMENT && s.count == 0 && strstr(err.message, "1_a.sql") &&
			  strstr(err.message, "UTF-8") && strstr(err.detail, "offset 17"),
		  "non-UTF-8 body names file and offset%s", NULL);
	rc = tn_load_folder(fixture("bad_down_only"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.message, "2_b.down.sql") &&
			  strstr(err.message, "no up"),
		  "down without up%s", NULL);
	rc = tn_load_folder(fixture("bad_noname"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.message, "1.up.sql"),
		  "up without a name%s", NULL);
	rc = tn_load_folder(fixture("bad_dbmate"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && strstr(err.message, "1_a.sql"),
		  "dbmate file with statements before migrate:up%s", NULL);
	rc = tn_load_folder(fixture("flyway/V1__create_users.sql"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_INVALID_ARGUMENT && strstr(err.message, "not a folder"),
		  "a file is not a folder%s", NULL);
	rc = tn_load_folder(fixture("no_such_folder"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_IO && strstr(err.message, "no_such_folder") &&
			  strstr(err.detail, strerror(ENOENT)),
		  "missing folder: io error with strerror%s", NULL);
	CHECK(tn_load_folder(NULL, TN_DIALECT_POSTGRES, &s, &err) == TN_ERR_NULL_ARGUMENT,
		  "folder NULL%s", NULL);

	/* freeing an empty set twice is harmless */
	memset(&s, 0, sizeof(s));
	tn_migration_set_free(&s);
	tn_migration_set_free(&s);
	tn_migration_set_free(NULL);
	/* not a check: reaching this line (no crash, nothing for ASan) is what it shows */
}

/* Version order through real folders: Flyway 1.9 next to 1.10, golang-migrate zero padding. */
static void
test_order_folders(void)
{
	static const char *flyway[] = { "1", "1_2", "1_9", "1_10", "2", "10" };
	static const char *golang[] = { "000001", "000002", "000009", "000010", "000100" };
	tn_migration_set   s;
	tn_error		   err;
	char			   got[256];
	int				   rc;
	size_t			   i;

	rc = tn_load_folder(fixture("order_flyway"), TN_DIALECT_SQLITE, &s, &err);
	got[0] = '\0';
	for (i = 0; rc == TN_OK && i < s.count; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", s.items[i].version);
	CHECK(rc == TN_OK && s.count == 6, "order_flyway loads 6 migrations (%s)", got);
	for (i = 0; rc == TN_OK && i < 6 && i < s.count; i++)
		CHECK(tn_version_compare(s.items[i].version, flyway[i]) == 0,
			  "order_flyway in version order 1, 1.2, 1.9, 1.10, 2, 10 (got %s)", got);
	if (rc == TN_OK)
		tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("order_golang"), TN_DIALECT_SQLITE, &s, &err);
	got[0] = '\0';
	for (i = 0; rc == TN_OK && i < s.count; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", s.items[i].version);
	CHECK(rc == TN_OK && s.count == 5, "order_golang loads 5 migrations (%s)", got);
	for (i = 0; rc == TN_OK && i < 5 && i < s.count; i++)
		CHECK(strcmp(s.items[i].version, golang[i]) == 0 && s.items[i].down_sql != NULL,
			  "order_golang in version order with downs (got %s)", got);
	CHECK(rc == TN_OK && s.count == 5 && tn_version_compare(s.items[1].version, "2") == 0,
		  "order_golang 000002 is version 2%s", NULL);
	if (rc == TN_OK)
		tn_migration_set_free(&s);
}

/* Folders built at run time: symbolic links, odd file names, unreadable files. */
static int
write_file(const char *dir, const char *name, const char *text)
{
	char  p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

static void
rm_rf(const char *path)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static void
test_runtime_folders(void)
{
	char			 base[600];
	char			 dir[700];
	char			 outside[700];
	char			 link[800];
	char			 target[sizeof(link) + 16]; /* room for link + "/1_big.sql" */
	tn_migration_set s;
	tn_error		 err;
	int				 rc;

	snprintf(base, sizeof(base), "%s/rt", scratch);
	rm_rf(base);
	mkdir(scratch, 0755);
	mkdir(base, 0755);
	snprintf(dir, sizeof(dir), "%s/mig", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	mkdir(dir, 0755);
	mkdir(outside, 0755);
	write_file(dir, "1_a.sql", "CREATE TABLE a (id int);\n");
	write_file(dir, "shared.txt", "CREATE TABLE b (id int);\n");
	write_file(outside, "evil.sql", "DROP TABLE a;\n");

	/* link inside the folder: followed */
	snprintf(link, sizeof(link), "%s/2_b.sql", dir);
	SETUP(symlink("shared.txt", link) == 0, "create inside symlink%s", NULL);
	rc = tn_load_folder(dir, TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strstr(s.items[1].up_sql, "TABLE b"),
		  "symlink resolving inside the folder is followed%s", NULL);
	tn_migration_set_free(&s);

	/* link outside the folder: refused, naming the file */
	snprintf(link, sizeof(link), "%s/3_c.sql", dir);
	snprintf(target, sizeof(target), "../outside/evil.sql");
	SETUP(symlink(target, link) == 0, "create outside symlink%s", NULL);
	rc = tn_load_folder(dir, TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_INVALID_ARGUMENT && s.count == 0 && s.items == NULL &&
			  strstr(err.message, "3_c.sql") && strstr(err.message, "outside"),
		  "symlink leading outside the folder is refused%s", NULL);
	unlink(link);

	/* dangling link: io error */
	SETUP(symlink("nowhere.sql", link) == 0, "create dangling symlink%s", NULL);
	rc = tn_load_folder(dir, TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_IO && strstr(err.message, "3_c.sql") && err.detail[0],
		  "dangling symlink is an io error%s", NULL);
	unlink(link);

	/* non-UTF-8 file name */
	SETUP(write_file(dir, "4_\xff.sql", "SELECT 1;\n") == 0, "create non-UTF-8 name%s", NULL);
	rc = tn_load_folder(dir, TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.message, "\\xff"),
		  "non-UTF-8 file name is a format error%s", NULL);
	snprintf(link, sizeof(link), "%s/4_\xff.sql", dir);
	unlink(link);

	/* a folder named x.sql is not a regular file */
	snprintf(link, sizeof(link), "%s/5_e.sql", dir);
	mkdir(link, 0755);
	rc = tn_load_folder(dir, TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_INVALID_ARGUMENT && strstr(err.message, "5_e.sql") &&
			  strstr(err.message, "regular"),
		  "folder named .sql refused%s", NULL);
	rmdir(link);

	/* unreadable file (skipped when running as root, who reads anything) */
	if (geteuid() != 0)
	{
		snprintf(link, sizeof(link), "%s/6_f.sql", dir);
		write_file(dir, "6_f.sql", "SELECT 1;\n");
		chmod(link, 0);
		rc = tn_load_folder(dir, TN_DIALECT_POSTGRES, &s, &err);
		CHECK(rc == TN_ERR_IO && strstr(err.message, "6_f.sql") &&
				  strstr(err.detail, strerror(EACCES)),
			  "unreadable file: io error%s", NULL);
		unlink(link);
	}

	/* "1" and "01" are the same version */
	snprintf(link, sizeof(link), "%s/dup01", base);
	mkdir(link, 0755);
	write_file(link, "1_a.sql", "SELECT 1;\n");
	write_file(link, "01_b.sql", "SELECT 2;\n");
	rc = tn_load_folder(link, TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_DUPLICATE && s.count == 0 && strstr(err.message, "01_b.sql") &&
			  strstr(err.message, "1_a.sql") && strstr(err.detail, "equal"),
		  "versions 1 and 01 are duplicates%s", NULL);

	/* two downs for one version */
	snprintf(link, sizeof(link), "%s/dupdown", base);
	mkdir(link, 0755);
	write_file(link, "1_a.up.sql", "SELECT 1;\n");
	write_file(link, "1_a.down.sql", "SELECT 2;\n");
	write_file(link, "U1__a.sql", "SELECT 3;\n");
	rc = tn_load_folder(link, TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_DUPLICATE && strstr(err.message, "down"), "two downs for one version%s", NULL);

	/* file over the size limit (sparse) */
	snprintf(link, sizeof(link), "%s/big", base);
	mkdir(link, 0755);
	write_file(link, "1_big.sql", "SELECT 1;\n");
	snprintf(target, sizeof(target), "%s/1_big.sql", link);
	SETUP(truncate(target, (off_t) TN_MAX_BODY_BYTES + 10) == 0, "make a big sparse file%s", NULL);
	rc = tn_load_folder(link, TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_TOO_LARGE && strstr(err.message, "1_big.sql") &&
			  strstr(err.detail, "16777226"),
		  "file over the limit refused with sizes%s", NULL);

	/* empty folder: success, nothing loaded */
	snprintf(link, sizeof(link), "%s/empty", base);
	mkdir(link, 0755);
	rc = tn_load_folder(link, TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 0, "empty folder loads nothing%s", NULL);
	tn_migration_set_free(&s);

	rm_rf(base);
}

/* ------------------------------------------------------------------ */

static void
test_checksums(void)
{
	char	 a[TN_CHECKSUM_LEN];
	char	 b[TN_CHECKSUM_LEN];
	char	 c[TN_CHECKSUM_LEN];
	tn_error err;

	CHECK(tn_checksum("", 0, a, &err) == TN_OK &&
			  strcmp(a, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
		  "sha256 of empty string%s", NULL);
	CHECK(tn_checksum("abc", 3, a, &err) == TN_OK &&
			  strcmp(a, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
		  "sha256 of abc%s", NULL);
	CHECK(strlen(a) == TN_CHECKSUM_LEN - 1, "checksum length is 71%s", NULL);
	tn_checksum("\xEF\xBB\xBF"
				"abc",
				6, b, &err);
	CHECK(strcmp(a, b) == 0, "leading BOM ignored%s", NULL);
	tn_checksum("a\nb\nc\n", 6, a, &err);
	tn_checksum("a\r\nb\r\nc\r\n", 9, b, &err);
	tn_checksum("\xEF\xBB\xBF"
				"a\rb\r\nc\r",
				10, c, &err);
	CHECK(strcmp(a, b) == 0 && strcmp(a, c) == 0, "CRLF and CR normalized to LF%s", NULL);
	tn_checksum("a\n\nb", 4, b, &err);
	tn_checksum("a\r\rb", 4, c, &err);
	CHECK(strcmp(b, c) == 0, "two CRs are two newlines%s", NULL);
	tn_checksum("x\xEF\xBB\xBF", 4, b, &err);
	tn_checksum("x", 1, c, &err);
	CHECK(strcmp(b, c) != 0, "a BOM not at the start is content%s", NULL);
	CHECK(tn_checksum(NULL, 1, a, &err) == TN_ERR_NULL_ARGUMENT, "checksum NULL body%s", NULL);

	/* a body larger than the buffer, with CRLF across chunk borders */
	{
		size_t n = 100000;
		char  *lf = malloc(n);
		char  *crlf = malloc(2 * n);
		size_t i;
		size_t k = 0;

		for (i = 0; i < n; i++)
		{
			lf[i] = (i % 7 == 6) ? '\n' : 'x';
			if (lf[i] == '\n')
				crlf[k++] = '\r';
			crlf[k++] = lf[i];
		}
		tn_checksum(lf, n, a, &err);
		tn_checksum(crlf, k, b, &err);
		CHECK(strcmp(a, b) == 0, "CRLF normalized across chunk borders%s", NULL);
		free(lf);
		free(crlf);
	}
}

/* ------------------------------------------------------------------ */

static void
test_bodies(void)
{
	tn_error err;
	size_t	 big = 50u * 1024 * 1024;
	char	*body;

	CHECK(tn_body_validate("SELECT 1;", 9, "up body of 1", &err) == TN_OK, "simple body ok%s", NULL);
	CHECK(tn_body_validate(NULL, 0, "up body of 1", &err) == TN_ERR_NULL_ARGUMENT, "body NULL%s", NULL);
	CHECK(tn_body_validate("", 0, "up body of 3", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "up body of 3 is empty") == 0,
		  "empty body%s", NULL);
	CHECK(tn_body_validate(" \n\t\r\n", 5, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "is empty"),
		  "whitespace body%s", NULL);
	CHECK(tn_body_validate("-- a\n/* b /* nested */ */\n--c", 29, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "is empty"),
		  "comment-only body%s", NULL);
	CHECK(tn_body_validate(";;", 2, "b", &err) == TN_ERR_INVALID_ARGUMENT, "semicolons only is empty%s", NULL);
	CHECK(tn_body_validate("'--'", 4, "b", &err) == TN_OK, "string with dashes is content%s", NULL);
	CHECK(tn_body_validate("SELECT '\xc3\xa9';", 12, "b", &err) == TN_OK, "UTF-8 accepted%s", NULL);
	CHECK(tn_body_validate("SELECT 1; \xc3\x28", 12, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "UTF-8") && strstr(err.detail, "offset 10"),
		  "bad UTF-8 with offset%s", NULL);
	CHECK(tn_body_validate("\xed\xa0\x80", 3, "b", &err) == TN_ERR_INVALID_ARGUMENT, "surrogate rejected%s", NULL);
	CHECK(tn_body_validate("\xc0\xaf", 2, "b", &err) == TN_ERR_INVALID_ARGUMENT, "overlong rejected%s", NULL);
	CHECK(tn_body_validate("SELECT 1;\xe2\x82", 11, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.detail, "offset 9"),
		  "truncated sequence at end%s", NULL);
	CHECK(tn_body_validate("SELECT 1;\0DROP", 14, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "NUL"),
		  "NUL byte rejected%s", NULL);

	body = malloc(big);
	if (body)
	{
		memset(body, 'x', big);
		CHECK(tn_body_validate(body, big, "up body of 9", &err) == TN_ERR_TOO_LARGE &&
				  strstr(err.message, "too large") && strstr(err.detail, "52428800") &&
				  strstr(err.detail, "16777216"),
			  "50 MB body rejected with sizes%s", NULL);
		CHECK(tn_body_validate(body, TN_MAX_BODY_BYTES, "b", &err) == TN_OK,
			  "body of exactly the limit accepted%s", NULL);
		CHECK(tn_body_validate(body, (size_t) TN_MAX_BODY_BYTES + 1, "b", &err) == TN_ERR_TOO_LARGE,
			  "body one byte over the limit rejected%s", NULL);
		free(body);
	}
	else
		CHECK(0, "malloc 50 MB%s", NULL);
}

static void
test_flags(void)
{
	static const struct
	{
		const char *body;
		unsigned	flags;
	} cases[] = {
		{ "CREATE TABLE a (id int);", 0 },
		{ "-- tenancy:no-transaction\nCREATE TABLE a (id int);", TN_MIG_NO_TRANSACTION },
		{ "SELECT 1;\n  --   TENANCY:NO-TRANSACTION  \r\n", TN_MIG_NO_TRANSACTION },
		{ "SELECT 1; -- tenancy:no-transaction\n", 0 },
		{ "SELECT '\n-- tenancy:no-transaction\n';", 0 },
		{ "-- tenancy:no-transaction-please\n", 0 },
		{ "CREATE INDEX CONCURRENTLY i ON t (a);", TN_MIG_NO_TRANSACTION },
		{ "create unique index concurrently i on t (a);", TN_MIG_NO_TRANSACTION },
		{ "CREATE INDEX i ON t (a);", 0 },
		{ "DROP INDEX CONCURRENTLY i;", TN_MIG_NO_TRANSACTION },
		{ "DROP INDEX i;", 0 },
		{ "REINDEX TABLE CONCURRENTLY t;", TN_MIG_NO_TRANSACTION },
		{ "REINDEX (VERBOSE) INDEX CONCURRENTLY i;", TN_MIG_NO_TRANSACTION },
		{ "REINDEX TABLE t;", 0 },
		{ "REINDEX DATABASE d;", TN_MIG_NO_TRANSACTION },
		{ "VACUUM;", TN_MIG_NO_TRANSACTION },
		{ "vacuum (verbose) t", TN_MIG_NO_TRANSACTION },
		{ "CREATE DATABASE d;", TN_MIG_NO_TRANSACTION },
		{ "ALTER SYSTEM SET work_mem = '1MB';", TN_MIG_NO_TRANSACTION },
		{ "ALTER TYPE mood ADD VALUE 'meh';", 0 },
		{ "SELECT 1; /* VACUUM; */ SELECT 2;", 0 },
		{ "-- VACUUM\nSELECT 1;", 0 },
		{ "SELECT 'VACUUM';", 0 },
		{ "SELECT \"vacuum\" FROM t;", 0 },
		{ "CREATE FUNCTION f() RETURNS void AS $$ VACUUM; $$ LANGUAGE sql;", 0 },
		{ "CREATE FUNCTION f() RETURNS void AS $body$ ; VACUUM; $body$ LANGUAGE sql;", 0 },
		{ "SELECT E'it\\'s; VACUUM';", 0 },
		{ "SELECT 'it''s'; VACUUM;", TN_MIG_NO_TRANSACTION },
		{ "UPDATE t SET vacuum = 1;", 0 },
		{ "SELECT 1;\nvacuum", TN_MIG_NO_TRANSACTION },
		{ "/* unterminated VACUUM", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(tn_detect_flags(cases[i].body) == cases[i].flags, "flags of \"%s\"", cases[i].body);
	CHECK(tn_detect_flags(NULL) == 0, "flags of NULL%s", NULL);
}

/* ------------------------------------------------------------------ */

static void
test_names(void)
{
	static const char *good[] = {
		"acme",
		"a",
		"t_1",
		"tenant_42",
		"a_",
		"selection",
		"tenants",
		"user1",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",
	};
	static const struct
	{
		const char *name;
		const char *detail_part;
	} bad[] = {
		{ "Acme", "must start with a lowercase letter a-z" },
		{ "1abc", "must start with a lowercase letter a-z" },
		{ "_x", "must start with a lowercase letter a-z" },
		{ "aCme", "uppercase" },
		{ "a-b", "only lowercase letters" },
		{ "a b", "only lowercase letters" },
		{ "x\"; DROP TABLE y; --", "only lowercase letters" },
		{ "caf\xc3\xa9", "only lowercase letters" },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", "at most 63" },
		{ "select", "reserved in PostgreSQL and SQLite" },
		{ "table", "reserved" },
		{ "user", "reserved in PostgreSQL" },
		{ "concurrently", "reserved in PostgreSQL" },
		{ "vacuum", "reserved in SQLite" },
		{ "pragma", "reserved in SQLite" },
		{ "tenancy", "tenancy" },
		{ "tenancy_x", "tenancy" },
		{ "template0", "template" },
		{ "template1", "template" },
		{ "templates", "template" },
		{ "postgres", "postgres" },
		{ "pg_catalog", "pg_" },
		{ "sqlite_master", "sqlite_" },
		{ "public", "public" },
		{ "main", "main" },
		{ "temp", "reserved" },
	};
	char	 label[128];
	size_t	 i;
	tn_error err;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(tn_validate_tenant_name(good[i], &err) == TN_OK, "tenant name ok \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		int rc = tn_validate_tenant_name(bad[i].name, &err);

		snprintf(label, sizeof(label), "%.40s -> %s", bad[i].name, bad[i].detail_part);
		CHECK(rc == TN_ERR_INVALID_NAME && strncmp(err.message, "invalid tenant name \"", 21) == 0 &&
				  strstr(err.detail, bad[i].detail_part) != NULL,
			  "tenant name refused %s", label);
	}
	tn_validate_tenant_name("Acme", &err);
	CHECK(strcmp(err.message, "invalid tenant name \"Acme\"") == 0 &&
			  strcmp(err.detail, "Tenant names must start with a lowercase letter a-z.") == 0,
		  "exact wording for \"Acme\"%s", NULL);
	tn_validate_tenant_name("x\"; DROP TABLE y; --", &err);
	CHECK(strcmp(err.message, "invalid tenant name \"x\"; DROP TABLE y; --\"") == 0,
		  "injection attempt quoted verbatim in message%s", NULL);
	tn_validate_tenant_name("a\n\xff", &err);
	CHECK(strstr(err.message, "\\x0a\\xff") != NULL, "control and non-UTF-8 bytes escaped in message%s", NULL);
	CHECK(tn_validate_tenant_name(NULL, &err) == TN_ERR_NULL_ARGUMENT, "tenant name NULL%s", NULL);
	CHECK(tn_validate_tenant_name("", &err) == TN_ERR_INVALID_NAME, "tenant name empty%s", NULL);

	CHECK(tn_validate_checkpoint_name("pre_migration_20240101T000000.000000Z", &err) == TN_OK,
		  "checkpoint name automatic form ok%s", NULL);
	CHECK(tn_validate_checkpoint_name("Before-Release:1.2", &err) == TN_OK, "checkpoint name mixed ok%s", NULL);
	CHECK(tn_validate_checkpoint_name("", &err) == TN_ERR_INVALID_NAME, "checkpoint name empty%s", NULL);
	CHECK(tn_validate_checkpoint_name("a b", &err) == TN_ERR_INVALID_NAME &&
			  strncmp(err.message, "invalid checkpoint name", 23) == 0,
		  "checkpoint name with space%s", NULL);
	CHECK(tn_validate_checkpoint_name("a'; --", &err) == TN_ERR_INVALID_NAME, "checkpoint name with quote%s", NULL);
	{
		char n[102];

		memset(n, 'c', 100);
		n[100] = '\0';
		CHECK(tn_validate_checkpoint_name(n, &err) == TN_OK, "checkpoint name of 100 ok%s", NULL);
		n[100] = 'c';
		n[101] = '\0';
		CHECK(tn_validate_checkpoint_name(n, &err) == TN_ERR_INVALID_NAME &&
				  strstr(err.detail, "at most 100"),
			  "checkpoint name of 101 refused%s", NULL);
	}
	CHECK(tn_validate_checkpoint_name(NULL, &err) == TN_ERR_NULL_ARGUMENT, "checkpoint name NULL%s", NULL);
}

/* ------------------------------------------------------------------ */
/* Decisions both hosts take from the core: states, words, targets, sets */
/* ------------------------------------------------------------------ */

static void
test_tenant_state(void)
{
	static const struct
	{
		const char *status;
		const char *error;
		long long	pending;
		const char *want;
	} cases[] = {
		{ NULL, NULL, 0, "up_to_date" },
		{ NULL, NULL, 2, "behind" },
		{ "applied", NULL, 0, "up_to_date" },
		{ "up_to_date", NULL, 1, "behind" }, /* the set grew since the run */
		{ "ok", NULL, 0, "up_to_date" },
		{ "failed", "migration \"3\" failed", 1, "failed" },
		{ "rolled_back", "rolled back: tenant \"b\" failed", 1, "failed" },
		{ NULL, "an error with no status recorded", 0, "failed" },
		{ "unreachable", "cannot open tenant database", 1, "unreachable" },
		{ "unreachable", "tenant file \"x.db\" is missing", 0, "unreachable" },
		{ "problems", "version 1 drifted", 0, "problems" },
		{ "problems", "version 2 drifted from the tenant set", 3, "problems" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *got = tn_tenant_state(cases[i].status, cases[i].error, cases[i].pending);

		CHECK(strcmp(got, cases[i].want) == 0, "tenant state %s", cases[i].want);
	}
}

static void
test_word_arguments(void)
{
	tn_error	   err;
	tn_tenant_kind kind;
	int			   flag;
	const char	  *target;

	CHECK(tn_parse_checkpoint_mode(NULL, &flag, &err) == TN_OK && flag == 0, "checkpoint mode NULL is marker%s", NULL);
	CHECK(tn_parse_checkpoint_mode("marker", &flag, &err) == TN_OK && flag == 0, "checkpoint mode marker%s", NULL);
	CHECK(tn_parse_checkpoint_mode("snapshot", &flag, &err) == TN_OK && flag == 1, "checkpoint mode snapshot%s", NULL);
	CHECK(tn_parse_checkpoint_mode("Snapshot", &flag, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "invalid checkpoint mode \"Snapshot\"") == 0,
		  "checkpoint mode is case-sensitive%s", NULL);

	CHECK(tn_parse_tenant_kind(NULL, TN_DIALECT_POSTGRES, &kind, &err) == TN_OK && kind == TN_KIND_DATABASE,
		  "kind NULL is database on PostgreSQL%s", NULL);
	CHECK(tn_parse_tenant_kind("schema", TN_DIALECT_POSTGRES, &kind, &err) == TN_OK && kind == TN_KIND_SCHEMA,
		  "kind schema on PostgreSQL%s", NULL);
	CHECK(tn_parse_tenant_kind("file", TN_DIALECT_POSTGRES, &kind, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "invalid tenant kind \"file\"") == 0,
		  "kind file refused on PostgreSQL%s", NULL);
	CHECK(tn_parse_tenant_kind(NULL, TN_DIALECT_SQLITE, &kind, &err) == TN_OK && kind == TN_KIND_FILE,
		  "kind NULL is file on SQLite%s", NULL);
	CHECK(tn_parse_tenant_kind("database", TN_DIALECT_SQLITE, &kind, &err) == TN_ERR_NOT_SUPPORTED &&
			  strstr(err.message, "not supported on SQLite") != NULL,
		  "kind database refused on SQLite%s", NULL);
	CHECK(strcmp(tn_tenant_kind_name(TN_KIND_FILE), "file") == 0 &&
			  strcmp(tn_tenant_kind_name(TN_KIND_SCHEMA), "schema") == 0 &&
			  strcmp(tn_tenant_kind_name(TN_KIND_DATABASE), "database") == 0,
		  "kind names%s", NULL);

	CHECK(tn_parse_drop_mode(NULL, TN_DIALECT_SQLITE, &flag, &err) == TN_OK && flag == 0, "drop mode NULL keeps%s", NULL);
	CHECK(tn_parse_drop_mode("delete", TN_DIALECT_POSTGRES, &flag, &err) == TN_OK && flag == 1, "drop mode delete%s", NULL);
	CHECK(tn_parse_drop_mode("shred", TN_DIALECT_POSTGRES, &flag, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "invalid drop mode \"shred\"") == 0 && strstr(err.hint, "keep the database") != NULL,
		  "drop mode refused, PostgreSQL keeps a database%s", NULL);
	CHECK(tn_parse_drop_mode("", TN_DIALECT_SQLITE, &flag, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "invalid drop mode \"\"") == 0 && strstr(err.hint, "keep the file") != NULL,
		  "drop mode refused, SQLite keeps a file%s", NULL);

	CHECK(tn_parse_scope("tenants", &flag, &err) == TN_OK && flag == 1, "scope tenants%s", NULL);
	CHECK(tn_parse_scope("DATABASE", &flag, &err) == TN_ERR_INVALID_ARGUMENT, "scope is case-sensitive%s", NULL);

	CHECK(tn_parse_target(NULL, &target, &err) == TN_OK && target == NULL, "target NULL is newest%s", NULL);
	CHECK(tn_parse_target("V3", &target, &err) == TN_OK && strcmp(target, "3") == 0, "target V3 is 3%s", NULL);
	CHECK(tn_parse_target("v1.2", &target, &err) == TN_OK && strcmp(target, "1.2") == 0, "target v1.2 is 1.2%s", NULL);
	CHECK(tn_parse_target("VV3", &target, &err) == TN_ERR_INVALID_ARGUMENT, "target VV3 refused%s", NULL);
	CHECK(tn_parse_target("", &target, &err) == TN_ERR_INVALID_ARGUMENT, "target '' refused%s", NULL);
	CHECK(tn_version_strip(NULL) == NULL && strcmp(tn_version_strip("V10"), "10") == 0 &&
			  strcmp(tn_version_strip("10"), "10") == 0,
		  "version strip%s", NULL);
}

/* A fake adapter whose query hands out a fixed catalog (unsorted) for tn_set_read. */
static const char *const fake_catalog[][7] = {
	{ "1.10", "ten", "SELECT 10;", NULL, "sha256:a", "0", NULL },
	{ "2", "two", "SELECT 2;", "SELECT -2;", "sha256:b", "1", "f/2_two.sql" },
	{ "1.9", "nine", "SELECT 9;", NULL, "sha256:c", "0", NULL },
};

static int
fake_query(void *ctx, const char *sql, int nparams, const tn_value *params,
		   tn_row_fn fn, void *arg, tn_error *err)
{
	int rc = TN_OK;

	(void) nparams;
	(void) params;
	*(char **) ctx = strdup(sql);
	for (size_t i = 0; rc == TN_OK && fn && i < sizeof(fake_catalog) / sizeof(fake_catalog[0]); i++)
		rc = fn(arg, 7, fake_catalog[i], err);
	return rc;
}

static void
test_sets(void)
{
	tn_adapter		 a;
	tn_migration_set set;
	tn_error		 err;
	char			*sql = NULL;

	memset(&a, 0, sizeof(a));
	a.ctx = &sql;
	a.engine = "fake";
	a.dialect = TN_DIALECT_SQLITE;
	a.table_prefix = "tenancy_";
	a.query = fake_query;
	CHECK(tn_set_read(&a, "catalog", &set, &err) == TN_OK && set.count == 3, "set read through the adapter%s", NULL);
	CHECK(sql != NULL && strstr(sql, "FROM tenancy_catalog") != NULL, "set read names the prefixed table%s", NULL);
	free(sql);
	CHECK(set.count == 3 && strcmp(set.items[0].version, "1.9") == 0 && strcmp(set.items[1].version, "1.10") == 0 &&
			  strcmp(set.items[2].version, "2") == 0,
		  "set read sorts by version (1.9 < 1.10 < 2)%s", NULL);
	CHECK(set.count == 3 && set.items[2].down_sql != NULL && set.items[2].flags == 1 &&
			  set.items[2].dialect == TN_DIALECT_SQLITE && set.items[0].down_sql == NULL &&
			  strcmp(set.items[2].source, "f/2_two.sql") == 0,
		  "set read keeps downs, flags, source, dialect%s", NULL);
	CHECK(tn_set_find(&set, "V01.10") == &set.items[1], "set find ignores V and leading zeros%s", NULL);
	CHECK(tn_set_find(&set, "3") == NULL, "set find of a missing version%s", NULL);
	CHECK(tn_set_newest(&set) != NULL && strcmp(tn_set_newest(&set), "2") == 0, "set newest%s", NULL);
	CHECK(tn_set_count_newer(&set, "1.9") == 2 && tn_set_count_newer(&set, NULL) == 3 &&
			  tn_set_count_newer(&set, "2") == 0,
		  "set count newer%s", NULL);
	CHECK(tn_set_check_target(&set, NULL, &err) == TN_OK && tn_set_check_target(&set, "V2", &err) == TN_OK,
		  "set target known%s", NULL);
	CHECK(tn_set_check_target(&set, "V7", &err) == TN_ERR_NOT_FOUND &&
			  strcmp(err.message, "target version \"7\" is not in the tenant set") == 0,
		  "set target unknown%s", NULL);
	tn_migration_set_free(&set);
	memset(&set, 0, sizeof(set));
	CHECK(tn_set_newest(&set) == NULL && tn_set_count_newer(&set, "1") == 0, "empty set%s", NULL);
}

static void
test_fanout_rows(void)
{
	tn_rows rows;

	tn_rows_init(&rows, tn_def_migrate_all.ncols);
	CHECK(tn_fanout_skipped_row(&rows, "acme", NULL) == TN_OK && rows.nrows == 1 &&
			  strcmp(tn_rows_get(&rows, 0, 1), "skipped") == 0 && strcmp(tn_rows_get(&rows, 0, 4), "0") == 0 &&
			  tn_rows_get(&rows, 0, 2) == NULL && tn_rows_get(&rows, 0, 6) == NULL &&
			  strcmp(tn_rows_get(&rows, 0, 7), "not started: max_failures reached") == 0,
		  "skipped row after max_failures%s", NULL);
	CHECK(tn_fanout_skipped_row(&rows, "bravo", "acme") == TN_OK && rows.nrows == 2 &&
			  strcmp(tn_rows_get(&rows, 1, 7), "not started: tenant \"acme\" failed, so no tenant was migrated") == 0,
		  "skipped row of an atomic run%s", NULL);
	tn_rows_free(&rows);
}

/* Files of a fixture folder as a client would send them: "FILE" and "DIALECT/FILE". */
typedef struct sent
{
	size_t n;
	char  *names[64];
	char  *bodies[64];
	size_t lens[64];
} sent;

static void
read_sent(const char *dir, const char *sub, sent *out)
{
	char		   path[1024];
	DIR			  *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s%s%s", dir, sub[0] ? "/" : "", sub);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && out->n < 64)
	{
		char		file[1200];
		struct stat st;
		FILE	   *fp;
		long		len;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(file, sizeof(file), "%s/%s", path, e->d_name) >= (int) sizeof(file) ||
			stat(file, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
		{
			if (sub[0] == '\0')
				read_sent(dir, e->d_name, out);
			continue;
		}
		if ((fp = fopen(file, "rb")) == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		out->bodies[out->n] = calloc((size_t) len + 1, 1);
		if (fread(out->bodies[out->n], 1, (size_t) len, fp) != (size_t) len)
			len = 0;
		fclose(fp);
		out->lens[out->n] = (size_t) len;
		out->names[out->n] = malloc(strlen(sub) + strlen(e->d_name) + 2);
		sprintf(out->names[out->n], "%s%s%s", sub, sub[0] ? "/" : "", e->d_name);
		out->n++;
	}
	closedir(d);
}

/* One file sent through tn_load_files: its rc, and *out loaded (free it). */
static int
load_one(const char *name, const char *body, tn_dialect d, tn_migration_set *out, tn_error *err)
{
	size_t len = strlen(body);

	return tn_load_files(1, &name, &body, &len, d, out, err);
}

static int
blank(const char *s)
{
	return s != NULL && tn_body_is_blank(s, strlen(s));
}

/* Line (1-based) of the first occurrence of what in s, 0 if absent. */
static int
line_of(const char *s, const char *what)
{
	const char *p = s ? strstr(s, what) : NULL;
	int			line = 1;

	if (p == NULL)
		return 0;
	for (const char *q = s; q < p; q++)
		line += *q == '\n';
	return line;
}

/* Sqitch projects and Liquibase formatted SQL (issue 8): order from the plan / the file, downs, refusals. */
static void
test_sqitch_liquibase(void)
{
	tn_migration_set s;
	tn_error		 err;
	int				 rc;

	/* Sqitch: plan order, verify after deploy, revert as down, a reworked change's @tag scripts */
	rc = tn_load_folder(fixture("sqitch"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 4, "sqitch: 4 changes from the plan%s", NULL);
	if (rc == TN_OK && s.count == 4)
	{
		CHECK(strcmp(s.items[0].version, "1") == 0 && strcmp(s.items[0].name, "appschema") == 0 &&
				  strcmp(s.items[3].version, "4") == 0 && strcmp(s.items[3].name, "insert_user") == 0,
			  "sqitch: versions are plan positions, names the changes%s", NULL);
		CHECK(strstr(s.items[2].source, "deploy/insert_user@v1.0.0-dev2.sql") && !strstr(s.items[2].up_sql, "md5") &&
				  strstr(s.items[3].source, "deploy/insert_user.sql") && strstr(s.items[3].up_sql, "md5($2)"),
			  "sqitch: the reworked change's first entry reads its @tag copy%s", NULL);
		CHECK(strstr(s.items[1].up_sql, "WHERE FALSE") && strstr(s.items[1].up_sql, "CREATE TABLE flipr.users") &&
				  strstr(s.items[1].up_sql, "CREATE TABLE") < strstr(s.items[1].up_sql, "WHERE FALSE"),
			  "sqitch: verify runs after deploy in the same body%s", NULL);
		CHECK(tn_body_transaction_control(s.items[1].up_sql) < 0 && s.items[0].down_sql &&
				  strstr(s.items[0].down_sql, "DROP SCHEMA flipr") && tn_body_transaction_control(s.items[0].down_sql) < 0,
			  "sqitch: BEGIN/COMMIT and the verify's BEGIN/ROLLBACK are taken out; revert is the down%s", NULL);
		CHECK(strstr(s.items[3].down_sql, "INSERT INTO flipr.users VALUES($1, $2)") != NULL,
			  "sqitch: a reworked change's revert restores the previous body%s", NULL);
	}
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("sqitch_sqlite"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[1].name, "flips") == 0, "sqitch sqlite: 2 changes%s", NULL);
	tn_migration_set_free(&s);
	{
		/* the same project sent by a client; and the plan's rules */
		const char *names[] = { "sqitch.plan", "deploy/a.sql", "revert/a.sql", "deploy/b.sql", "README.md" };
		const char *bodies[] = { "%project=p\n\nb 2020-01-01T00:00:00Z Me <m@x> # first\na [b] 2020-01-02T00:00:00Z Me <m@x> # second\n",
								 "CREATE TABLE a (x int);", "DROP TABLE a;", "CREATE TABLE b (x int);", "notes" };
		size_t		lens[5];
		static const struct
		{
			const char *plan;
			const char *says;
		} bad[] = {
			{ "%project=p\n", "holds no change" },
			{ "b # no timestamp\n", "timestamp is missing" },
			{ "-b 2020-01-01T00:00:00Z Me <m@x>\n", "planned for revert" },
			{ "../b 2020-01-01T00:00:00Z Me <m@x>\n", "path component" },
			{ "b 2020-01-01T00:00:00Z Me <m@x>\nb 2020-01-02T00:00:00Z Me <m@x>\n", "without a tag" },
			{ "b [a 2020-01-01T00:00:00Z Me <m@x>\n", "not closed" },
			{ "c 2020-01-01T00:00:00Z Me <m@x>\n", "no deploy script" },
		};

		for (size_t i = 0; i < 5; i++)
			lens[i] = strlen(bodies[i]);
		rc = tn_load_files(5, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
		CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[0].name, "b") == 0 && strcmp(s.items[1].name, "a") == 0 &&
				  s.items[0].down_sql == NULL && s.items[1].down_sql != NULL,
			  "sqitch sent: plan order (b before a), a missing revert is no down%s", NULL);
		tn_migration_set_free(&s);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			bodies[0] = bad[i].plan;
			lens[0] = strlen(bad[i].plan);
			rc = tn_load_files(5, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
			CHECK(rc == TN_ERR_FORMAT && s.count == 0 && (strstr(err.detail, bad[i].says) || strstr(err.message, bad[i].says)),
				  "sqitch plan refused: %s", bad[i].says);
		}
		bodies[0] = "b 2020-01-01T00:00:00Z Me <m@x>\n";
		lens[0] = strlen(bodies[0]);
		names[2] = "verify/b.sql";
		bodies[2] = "SELECT 1;\nCOMMIT;\n";
		lens[2] = strlen(bodies[2]);
		rc = tn_load_files(5, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
		CHECK(rc == TN_ERR_FORMAT && strstr(err.message, "verify/b.sql") && strstr(err.detail, "Line 2"),
			  "sqitch: a verify script that commits is refused naming its line%s", NULL);
	}

	/* Flyway repeatables: after the versioned ones, by description; never the newest version of a set */
	rc = tn_load_folder(fixture("flyway_repeatable"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 4 && strcmp(s.items[2].version, "R__Count_people_view") == 0 &&
			  strcmp(s.items[3].version, "R__People_view") == 0 && strcmp(s.items[3].name, "People_view") == 0 &&
			  s.items[3].down_sql == NULL,
		  "flyway R__ files: after the versioned ones, by description, no down%s", NULL);
	CHECK(rc == TN_OK && strcmp(tn_set_newest(&s), "2") == 0 && tn_set_count_newer(&s, "1") == 1 &&
			  tn_set_count_newer(&s, NULL) == 2,
		  "repeatables are not versions of a set (newest, pending count)%s", NULL);
	tn_migration_set_free(&s);

	/* Liquibase: changesets in file order, version file.changeset, dbms, rollback forms */
	rc = tn_load_folder(fixture("liquibase"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 6, "liquibase: 6 changesets for PostgreSQL%s", NULL);
	if (rc == TN_OK && s.count == 6)
	{
		CHECK(strcmp(s.items[0].version, "1.1") == 0 && strcmp(s.items[0].name, "diego:001-create-product") == 0 &&
				  strcmp(s.items[3].version, "2.1") == 0 && strcmp(s.items[3].name, "alice:1") == 0 &&
				  strcmp(s.items[4].version, "2.4") == 0,
			  "liquibase: versions by file and changeset, the other engines' changesets skipped%s", NULL);
		CHECK(line_of(s.items[1].up_sql, "CREATE TABLE tb_state") == 13 && !strstr(s.items[1].up_sql, "tb_product (") &&
				  !strstr(s.items[1].up_sql, "--rollback") && line_of(s.items[1].down_sql, "DROP TABLE tb_state;") == 17,
			  "liquibase: bodies keep the file's line numbers, rollback lines are the down%s", NULL);
		CHECK(strstr(s.items[4].down_sql, "DROP COLUMN note") && !strstr(s.items[4].up_sql, "DROP COLUMN"),
			  "liquibase: a rollback block is the down%s", NULL);
		CHECK(s.items[5].down_sql && blank(s.items[5].down_sql), "liquibase: rollback not required is a no-op down%s", NULL);
	}
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("liquibase"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 6 && strcmp(s.items[3].version, "2.2") == 0, "liquibase: sqlite gets its own changeset%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("liquibase_glav"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[1].version, "1.2") == 0 &&
			  strcmp(s.items[1].name, "uamangeldiev:20") == 0 && s.items[1].down_sql && blank(s.items[1].down_sql) &&
			  strstr(s.items[0].down_sql, "drop table public.users;"),
		  "liquibase: glav-kod/glav-lib's folder loads unchanged (\"--rollback ;\" is a no-op down)%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("bad_liquibase"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.detail, "Line 7") && strstr(err.detail, "runOnChange"),
		  "liquibase: runOnChange is refused naming the line%s", NULL);
	{
		static const struct
		{
			const char *body;
			const char *says;
		} bad[] = {
			{ "--liquibase formatted sql\n--changeset a:1 context:dev\nSELECT 1;\n", "context" },
			{ "--liquibase formatted sql\n--changeset a:1 labels:x\nSELECT 1;\n", "labels" },
			{ "--liquibase formatted sql\n--changeset a:1 runAlways:true\nSELECT 1;\n", "runAlways" },
			{ "--liquibase formatted sql\n--changeset a:1 failOnError:false\nSELECT 1;\n", "failOnError" },
			{ "--liquibase formatted sql\n--changeset a:1 endDelimiter:/\nSELECT 1;\n", "endDelimiter" },
			{ "--liquibase formatted sql\n--changeset a:1 runWith:sqlplus\nSELECT 1;\n", "runWith" },
			{ "--liquibase formatted sql\n--changeset a:1 oops\nSELECT 1;\n", "name:value" },
			{ "--liquibase formatted sql\n--changeset nocolon\nSELECT 1;\n", "author:id" },
			{ "--liquibase formatted sql\n--changeset a:1\n--preconditions onFail:HALT\nSELECT 1;\n", "preconditions" },
			{ "--liquibase formatted sql\n--changeset a:1\n--ignoreLines:1\nSELECT 1;\n", "ignoreLines" },
			{ "--liquibase formatted sql\nSELECT 0;\n--changeset a:1\nSELECT 1;\n", "before its first" },
			{ "--liquibase formatted sql\n--rollback SELECT 0;\n--changeset a:1\nSELECT 1;\n", "before the first" },
			{ "--liquibase formatted sql\n-- nothing\n", "no \"--changeset" },
			{ "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n/* liquibase rollback\nSELECT 2;\n", "not closed" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			rc = load_one("changelog.sql", bad[i].body, TN_DIALECT_SQLITE, &s, &err);
			CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.detail, bad[i].says), "liquibase refused: %s", bad[i].says);
		}
	}
	rc = load_one("changelog.sql", "--liquibase formatted sql\n--changeset a:1 runInTransaction:false dbms:!h2\nVACUUM;\n",
				  TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 1 && (s.items[0].flags & TN_MIG_NO_TRANSACTION) && s.items[0].down_sql == NULL,
		  "liquibase: runInTransaction:false flags no-transaction, no rollback is no down%s", NULL);
	tn_migration_set_free(&s);
	{
		const char *names[] = { "b.sql", "a.sql" };
		const char *bodies[] = { "--liquibase formatted sql\n--changeset x:b\nSELECT 2;\n",
								 "--liquibase formatted sql\n--changeset x:a\nSELECT 1;\n" };
		size_t		lens[] = { strlen(bodies[0]), strlen(bodies[1]) };

		rc = tn_load_files(2, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
		CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[0].name, "x:a") == 0 && strcmp(s.items[0].version, "1.1") == 0,
			  "liquibase sent: files numbered in name order, not sent order%s", NULL);
		tn_migration_set_free(&s);
		names[0] = "1_plain.sql";
		bodies[0] = "SELECT 1;";
		lens[0] = strlen(bodies[0]);
		rc = tn_load_files(2, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
		CHECK(rc == TN_ERR_FORMAT && strstr(err.message, "mix"), "liquibase files mixed with others are refused%s", NULL);
	}
}

/* Layouts of other tools (issue 8): goose, sql-migrate, V-prefixed golang-migrate, empty files, pop. */
static void
test_tool_layouts(void)
{
	tn_migration_set	s;
	tn_error			err;
	const tn_migration *m;
	int					rc;
	static const struct
	{
		const char *tool;
		const char *body;
	} foreign[] = {
		{ "Liquibase", "-- a changelog without its first line\n--changeset alice:1\nCREATE TABLE t (a int);\n--rollback DROP TABLE t;\n" },
		{ "MyBatis", "CREATE TABLE t (a int);\n\n-- //@UNDO\nDROP TABLE t;\n" },
		{ "Play", "# --- !Ups\nCREATE TABLE t (a int);\n# --- !Downs\nDROP TABLE t;\n" },
		{ "Play", "-- !Ups\nCREATE TABLE t (a int);\n-- !Downs\nDROP TABLE t;\n" },
		{ "tern", "CREATE TABLE t (a int);\n---- create above / drop below ----\nDROP TABLE t;\n" },
		{ "shmig", "-- ==== UP ====\nCREATE TABLE t (a int);\n-- ==== DOWN ====\nDROP TABLE t;\n" },
		{ "micrate", "-- +micrate Up\nCREATE TABLE t (a int);\n-- +micrate Down\nDROP TABLE t;\n" },
		{ "Atlas", "-- atlas:txmode none\nCREATE TABLE t (a int);\n" },
		{ "another", "-- +mytool Up\nCREATE TABLE t (a int);\n-- +mytool Down\nDROP TABLE t;\n" },
		{ "ENVSUB", "-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE ${T} (a int);\n" },
		{ "not one tenancy reads", "-- +goose Up\n-- +goose Whatever\nCREATE TABLE t (a int);\n" },
		{ "before its first", "CREATE TABLE t (a int);\n-- +goose Up\nSELECT 1;\n" },
		{ "no Up section", "-- +goose Down\nDROP TABLE t;\n" },
		{ "second Up", "-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n" },
		{ "no StatementEnd", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\nSELECT 2;\n" },
		{ "no StatementBegin", "-- +migrate Up\nSELECT 1;\n-- +migrate StatementEnd\n" },
		{ "mixes goose", "-- +goose Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n" },
		{ "mixes dbmate", "-- +goose Up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n" },
	};

	/* the data-loss case: the Down section never runs as part of the up */
	rc = tn_load_folder(fixture("goose_t"), TN_DIALECT_SQLITE, &s, &err);
	m = s.count == 1 ? &s.items[0] : NULL;
	CHECK(rc == TN_OK && m && strstr(m->up_sql, "CREATE TABLE t(id int);") && !strstr(m->up_sql, "DROP") &&
			  m->down_sql && strstr(m->down_sql, "DROP TABLE t;") && !strstr(m->down_sql, "CREATE"),
		  "goose 1_t.sql: Up and Down sections apart%s", NULL);
	CHECK(m && line_of(m->down_sql, "DROP TABLE t") == 4, "goose down keeps its file line numbers%s", NULL);
	tn_migration_set_free(&s);

	rc = tn_load_folder(fixture("goose"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 4 && well_formed(&s), "goose folder loads 4%s", NULL);
	m = find_version(&s, "00002");
	CHECK(m && strstr(m->up_sql, "first;user@example.com") && strstr(m->up_sql, "is only text here") &&
			  !strstr(m->up_sql, "DROP TABLE posts") && m->down_sql && strstr(m->down_sql, "DROP TABLE posts") &&
			  line_of(m->down_sql, "DROP TABLE posts") == 11,
		  "goose StatementBegin/End and a Down word inside a string%s", NULL);
	m = find_version(&s, "00003");
	CHECK(m && blank(m->up_sql) && blank(m->down_sql), "goose empty Up and Down sections are no-ops%s", NULL);
	m = find_version(&s, "00004");
	CHECK(m && (m->flags & TN_MIG_NO_TRANSACTION) && m->down_sql && strstr(m->down_sql, "DROP INDEX"),
		  "goose NO TRANSACTION flags the migration%s", NULL);
	m = find_version(&s, "00001");
	CHECK(m && m->flags == 0, "goose file without NO TRANSACTION is transactional%s", NULL);
	tn_migration_set_free(&s);

	rc = tn_load_folder(fixture("sql_migrate"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && well_formed(&s) &&
			  strstr(s.items[0].up_sql, "Ada; Lovelace") && !strstr(s.items[0].up_sql, "DROP") &&
			  s.items[0].flags == 0 && (s.items[1].flags & TN_MIG_NO_TRANSACTION) &&
			  s.items[1].down_sql && strstr(s.items[1].down_sql, "DROP INDEX people_name"),
		  "sql-migrate sections and notransaction%s", NULL);
	tn_migration_set_free(&s);

	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
	{
		rc = load_one("1_t.sql", foreign[i].body, TN_DIALECT_SQLITE, &s, &err);
		CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.message, "1_t.sql") &&
				  (strstr(err.detail, foreign[i].tool) || strstr(err.message, foreign[i].tool)),
			  "refused with TN005: %s", foreign[i].tool);
		tn_migration_set_free(&s);
	}
	rc = load_one("1_t.down.sql", "-- +goose Up\nSELECT 1;\n", TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && strstr(err.detail, "down migration file"), "annotations in a down file%s", NULL);
	rc = tn_load_folder(fixture("bad_tern"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && strstr(err.message, "001_create_widgets.sql") && strstr(err.detail, "Line 3") &&
			  strstr(err.detail, "tern"),
		  "tern folder refused, line named%s", NULL);
	/* a plain comment that mentions a tool is not an annotation */
	rc = load_one("1_t.sql", "-- we used to run this with goose Up and Down\n-- rollback: drop t by hand\nSELECT 1;\n",
				  TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 1, "prose comments are not annotations%s", NULL);
	tn_migration_set_free(&s);

	/* golang-migrate with a V version token */
	rc = tn_load_folder(fixture("golang_v"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[0].version, "0001") == 0 &&
			  strcmp(s.items[0].name, "Initial_Schema") == 0 && s.items[0].down_sql &&
			  strstr(s.items[0].down_sql, "DROP TABLE accounts"),
		  "V0001.Initial_Schema.up/down.sql pair%s", NULL);
	tn_migration_set_free(&s);

	/* empty and comment-only files */
	rc = tn_load_folder(fixture("empty"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 4, "empty files load as no-op versions%s", NULL);
	m = find_version(&s, "2");
	CHECK(m && blank(m->up_sql) && m->down_sql && m->down_sql[0] == '\0', "comment-only up, empty down file: no-ops%s", NULL);
	m = find_version(&s, "3");
	CHECK(m && blank(m->up_sql) && m->down_sql == NULL, "--noop ; is a no-op up; no down file means no down%s", NULL);
	m = find_version(&s, "1");
	CHECK(m && m->down_sql && !blank(m->down_sql), "a real down stays%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_body_validate("--noop\n;\n", 9, "up body", &err);
	CHECK(rc == TN_ERR_INVALID_ARGUMENT && strstr(err.detail, "semicolons"),
		  "the empty detail names semicolons too%s", NULL);

	/* pop */
	rc = tn_load_folder(fixture("pop"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 4 && well_formed(&s), "pop folder loads 4 for sqlite%s", NULL);
	m = find_version(&s, "20190100000001000000");
	CHECK(m && m->dialect == TN_DIALECT_SQLITE && strstr(m->up_sql, "AUTOINCREMENT"), "pop .sqlite3 is sqlite%s", NULL);
	m = find_version(&s, "20190100000002000000");
	CHECK(m && strstr(m->up_sql, "identities_traits_sqlite") && m->down_sql &&
			  strstr(m->down_sql, "identities_traits_sqlite"),
		  "pop: the dialect file wins over the generic one%s", NULL);
	m = find_version(&s, "20190100000003000000");
	CHECK(m && blank(m->up_sql) && m->dialect == TN_DIALECT_ALL, "pop: empty generic file, mysql file skipped%s", NULL);
	m = find_version(&s, "20190100000004000000");
	CHECK(m && (m->flags & TN_MIG_NO_TRANSACTION) && !strstr(m->up_sql, "CONCURRENTLY"),
		  "pop .autocommit means no transaction%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("pop"), TN_DIALECT_POSTGRES, &s, &err);
	m = find_version(&s, "20190100000002000000");
	CHECK(rc == TN_OK && s.count == 4 && m && strstr(m->up_sql, "identities_traits ON") &&
			  strstr(find_version(&s, "20190100000001000000")->up_sql, "serial"),
		  "pop folder for postgres: generic file where no postgres one%s", NULL);
	tn_migration_set_free(&s);
	{
		/* ory/kratos: a tagged down of a version that has no up for this engine runs nothing, as in pop */
		const char *nm[] = { "1_a.sqlite3.up.sql", "1_a.postgres.down.sql", "2_b.up.sql" };
		const char *bd[] = { "CREATE TABLE a (x int);", "DROP TABLE a;", "CREATE TABLE b (x int);" };
		size_t		ln[] = { 23, 13, 23 };

		rc = tn_load_files(3, nm, bd, ln, TN_DIALECT_POSTGRES, &s, &err);
		CHECK(rc == TN_OK && s.count == 1 && strcmp(s.items[0].version, "2") == 0,
			  "pop: a tagged down without an up for this engine is passed over%s", NULL);
		tn_migration_set_free(&s);
		rc = tn_load_files(2, nm + 1, bd + 1, ln + 1, TN_DIALECT_POSTGRES, &s, &err);
		CHECK(rc == TN_OK && s.count == 1, "pop: and the rest loads%s", NULL);
		tn_migration_set_free(&s);
	}
	rc = tn_load_folder(fixture("pop_folders"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strstr(s.items[0].up_sql, "AUTOINCREMENT"),
		  "dialect folder sqlite3/ is sqlite, mysql/ skipped%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("pop_folders"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strstr(s.items[0].up_sql, "serial"), "dialect folders for postgres%s", NULL);
	tn_migration_set_free(&s);

	/* a folder per migration */
	rc = tn_load_folder(fixture("prisma"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[0].version, "20230101000000") == 0 &&
			  strcmp(s.items[0].name, "init") == 0 && s.items[0].down_sql == NULL &&
			  strstr(s.items[0].source, "20230101000000_init/migration.sql") &&
			  strstr(s.items[1].up_sql, "ADD COLUMN \"name\""),
		  "Prisma NN_name/migration.sql%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("diesel"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[0].version, "20230101000000") == 0 &&
			  strcmp(s.items[0].name, "create_posts") == 0 && s.items[0].down_sql &&
			  strstr(s.items[0].down_sql, "DROP TABLE posts") && strstr(s.items[1].source, "add_published/up.sql"),
		  "Diesel YYYY-MM-DD-HHMMSS_name/up.sql + down.sql%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("bad_name_order"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_DUPLICATE && s.count == 0 && strstr(err.hint, "name order") &&
			  strstr(err.hint, "\"1_1-accounts\"") && strstr(err.hint, "\"1_2-notes\""),
		  "files sharing a number: refused, the hint says how to rename them in name order%s", NULL);
	/* bodies with their own BEGIN; / COMMIT; */
	rc = tn_load_folder(fixture("own_transaction"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && !strstr(s.items[0].up_sql, "BEGIN") && !strstr(s.items[0].up_sql, "COMMIT") &&
			  line_of(s.items[0].up_sql, "CREATE TABLE x") == 5 && !strstr(s.items[1].up_sql, "END TRANSACTION") &&
			  strstr(s.items[1].up_sql, "CREATE INDEX x_kind"),
		  "BEGIN ... COMMIT pairs are taken out, lines kept%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("bad_own_transaction"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.message, "1_verify_x.up.sql") &&
			  strstr(err.message, "controls its own transaction") && strstr(err.detail, "Line 3"),
		  "a body ending in ROLLBACK is refused with a hint%s", NULL);
	{
		static const struct
		{
			const char *body;
			int			rc;
		} st[] = {
			{ "BEGIN; SELECT 1; COMMIT;", 1 },
			{ "SELECT 1;", 0 },
			{ "BEGIN; SELECT 1;", -1 },
			{ "COMMIT; SELECT 1;", -1 },
			{ "BEGIN; BEGIN; COMMIT; COMMIT;", -1 },
			{ "BEGIN; SELECT 1; ROLLBACK;", -1 },
			{ "START TRANSACTION; SELECT 1; COMMIT WORK; BEGIN; SELECT 2; END TRANSACTION;", 1 },
		};

		for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		{
			char b[128];

			snprintf(b, sizeof(b), "%s", st[i].body);
			rc = tn_body_strip_transaction(b);
			CHECK(rc == st[i].rc && strlen(b) == strlen(st[i].body) &&
					  (rc != 1 || tn_body_transaction_control(b) < 0) && (rc == 1 || strcmp(b, st[i].body) == 0),
				  "strip own transaction of \"%s\"", st[i].body);
		}
	}
	{
		static const struct
		{
			const char *body;
			long		at;
		} tc[] = {
			{ "BEGIN;\nCREATE TABLE x (a int);\nCOMMIT;\n", 0 },
			{ "CREATE TABLE x (a int);\nCOMMIT;", 24 },
			{ "START TRANSACTION; SELECT 1;", 0 },
			{ "SELECT 1; ROLLBACK;", 10 },
			{ "SELECT 1; BEGIN IMMEDIATE; SELECT 2; END TRANSACTION;", 10 },
			{ "SAVEPOINT a; ROLLBACK TO SAVEPOINT a; RELEASE a;", -1 },
			{ "SAVEPOINT a; ROLLBACK TRANSACTION TO a;", -1 },
			{ "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET a = 1; END;", -1 },
			{ "DO $$ BEGIN PERFORM 1; COMMIT; END $$;", -1 },
			{ "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;", -1 },
			{ "-- BEGIN;\nSELECT 'COMMIT;';\n/* ROLLBACK; */", -1 },
		};

		for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++)
			CHECK(tn_body_transaction_control(tc[i].body) == tc[i].at, "transaction control in \"%s\"", tc[i].body);
	}
	rc = load_one("1_x.sql", "-- tenancy:no-transaction\nBEGIN;\nCREATE TABLE x (a int);\nCOMMIT;\n",
				  TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 1, "a no-transaction migration may run its own BEGIN/COMMIT%s", NULL);
	tn_migration_set_free(&s);
	rc = tn_load_folder(fixture("bad_nothing"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_ERR_FORMAT && s.count == 0 && strstr(err.message, "no migrations found") &&
			  strstr(err.detail, "3 entries") && strstr(err.detail, "\"schema.prisma\"") && strstr(err.detail, "\"notes\""),
		  "a folder with nothing recognised names what it holds%s", NULL);
}

/* tn_load_files gives what tn_load_folder gives, on every fixture folder (errors: the same code). */
static void
test_sent_files(void)
{
	static const char *const folders[] = { "flyway", "golang", "dbmate", "dialects", "tags", "bad_dbmate",
										   "bad_down_only", "bad_duplicate", "bad_noname", "bad_utf8", "goose", "goose_t", "sql_migrate",
										   "golang_v", "empty", "pop", "pop_folders", "bad_tern", "prisma", "diesel", "bad_nothing", "bad_name_order", "bad_own_transaction", "own_transaction", NULL };
	static const char *const bad_names[] = { "other/1_a.sql", "sqlite/../1_a.sql", ".hidden/1_a.sql", "", NULL };

	for (int f = 0; folders[f]; f++)
		for (int dialect = TN_DIALECT_POSTGRES; dialect <= TN_DIALECT_SQLITE; dialect++)
		{
			tn_migration_set a,
				b;
			tn_error ea,
				eb;
			sent files;
			int	 ra,
				rb,
				same;

			memset(&files, 0, sizeof(files));
			read_sent(fixture(folders[f]), "", &files);
			ra = tn_load_folder(fixture(folders[f]), (tn_dialect) dialect, &a, &ea);
			rb = tn_load_files(files.n, (const char *const *) files.names, (const char *const *) files.bodies,
							   files.lens, (tn_dialect) dialect, &b, &eb);
			same = ra == rb && a.count == b.count;
			for (size_t i = 0; same && i < a.count; i++)
				same = strcmp(a.items[i].version, b.items[i].version) == 0 &&
					   strcmp(a.items[i].checksum, b.items[i].checksum) == 0 &&
					   (a.items[i].down_sql == NULL) == (b.items[i].down_sql == NULL) &&
					   a.items[i].flags == b.items[i].flags && a.items[i].dialect == b.items[i].dialect;
			CHECK(same, "tn_load_files matches tn_load_folder on fixture %s", folders[f]);
			tn_migration_set_free(&a);
			tn_migration_set_free(&b);
			for (size_t i = 0; i < files.n; i++)
			{
				free(files.names[i]);
				free(files.bodies[i]);
			}
		}
	for (int k = 0; bad_names[k]; k++)
	{
		const char		*names[1] = { bad_names[k] };
		const char		*bodies[1] = { "CREATE TABLE a (x);" };
		size_t			 lens[1] = { 19 };
		tn_migration_set s;
		tn_error		 err;

		CHECK(tn_load_files(1, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err) == TN_ERR_FORMAT && s.count == 0,
			  "tn_load_files refuses the name \"%s\"", bad_names[k]);
	}
	{
		const char		*names[2] = { "1_a.sql", "1_a.sql" };
		const char		*bodies[2] = { "SELECT 1;", "SELECT 1;" };
		size_t			 lens[2] = { 9, 9 };
		tn_migration_set s;
		tn_error		 err;

		CHECK(tn_load_files(2, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err) == TN_ERR_DUPLICATE,
			  "tn_load_files refuses a name sent twice%s", "");
	}
}

/* Issue 9: the values both engines show come from here. */
static void
test_one_decision(void)
{
	tn_error		  err, back;
	tn_rows			  rows;
	tn_migrate_result res;
	tn_buf			  json = { 0 };
	char			 *text;

	tn_error_clear(&err);
	CHECK(tn_check_concurrency(1, &err) == TN_OK && tn_check_concurrency(64, &err) == TN_OK,
		  "concurrency 1 and 64 accepted%s", NULL);
	CHECK(tn_check_concurrency(65, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "concurrency must be between 1 and 64") == 0 &&
			  strcmp(err.detail, "65 was given.") == 0,
		  "concurrency 65 refused%s", NULL);
	CHECK(tn_check_concurrency(0, &err) == TN_ERR_INVALID_ARGUMENT, "concurrency 0 refused%s", NULL);
	CHECK(tn_check_max_failures(0, &err) == TN_OK && tn_check_max_failures(3, &err) == TN_OK,
		  "max_failures 0 and 3 accepted%s", NULL);
	CHECK(tn_check_max_failures(-1, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "max_failures must be a whole number of 0 or more") == 0,
		  "max_failures -1 refused%s", NULL);

	/* a failed migration: TN002, the body's SQLSTATE only in the detail */
	tn_error_set(&err, TN_ERR_MIGRATION_FAILED, "migration \"3\" failed");
	memcpy(err.sqlstate, "23502", 6);
	tn_error_detail(&err, "The statement of \"3\" (plan) failed with SQLSTATE 23502: null value.");
	tn_error_hint(&err, "Fix the migration and run the migration again.");
	CHECK(strcmp(tn_error_sqlstate(&err), "TN002") == 0, "a failed body raises TN002%s", NULL);
	CHECK(strcmp(tn_fanout_sqlstate(TN_ERR_MIGRATION_FAILED, &err), "TN002") == 0, "its row says TN002%s", NULL);
	memcpy(err.sqlstate, "57014", 6);
	CHECK(strcmp(tn_error_sqlstate(&err), "57014") == 0, "a cancelled body keeps 57014%s", NULL);
	memcpy(err.sqlstate, "23502", 6);

	/* rendered over libpq and read back: the same fields */
	text = tn_error_render(&err);
	tn_error_parse_rendered(&back, TN_ERR_MIGRATION_FAILED, text);
	CHECK(strcmp(back.message, err.message) == 0 && strcmp(back.detail, err.detail) == 0 &&
			  strcmp(back.hint, err.hint) == 0 && back.sqlstate[0] == '\0',
		  "rendered error parsed back%s", NULL);
	free(text);
	tn_error_parse_rendered(&back, TN_ERR_MIGRATION_FAILED, "only a message");
	CHECK(strcmp(back.message, "only a message") == 0 && back.detail[0] == '\0' && back.hint[0] == '\0',
		  "rendered message alone%s", NULL);
	CHECK(tn_code_of_sqlstate("TN002") == TN_ERR_MIGRATION_FAILED && tn_code_of_sqlstate("TN001") == TN_ERR_DRIFT &&
			  tn_code_of_sqlstate("23502") == TN_ERR_ENGINE && tn_code_of_sqlstate("") == TN_ERR_ENGINE,
		  "code of a SQLSTATE%s", NULL);

	/* the failed row: from = to = where the tenant stays */
	memset(&res, 0, sizeof(res));
	strcpy(res.from_version, "2");
	tn_rows_init(&rows, tn_def_migrate_all.ncols);
	CHECK(tn_fanout_row(&rows, "beta", TN_ERR_MIGRATION_FAILED, &res, &err, 5) == TN_OK &&
			  strcmp(tn_rows_get(&rows, 0, 1), "failed") == 0 && strcmp(tn_rows_get(&rows, 0, 2), "2") == 0 &&
			  strcmp(tn_rows_get(&rows, 0, 3), "2") == 0 && strcmp(tn_rows_get(&rows, 0, 6), "TN002") == 0 &&
			  strstr(tn_rows_get(&rows, 0, 7), "SQLSTATE 23502") != NULL,
		  "failed row values%s", NULL);
	tn_rows_free(&rows);

	/* transient errors: retried with backoff, their own hint */
	tn_error_set(&err, TN_ERR_ENGINE, "deadlock detected");
	memcpy(err.sqlstate, "40P01", 6);
	CHECK(tn_error_transient(&err) && tn_retry_delay_ms(&err, 1) == 250 && tn_retry_delay_ms(&err, 2) == 500 &&
			  tn_retry_delay_ms(&err, 3) == 1000 && tn_retry_delay_ms(&err, 4) == 0,
		  "deadlock retried 250/500/1000 ms%s", NULL);
	tn_error_set(&err, TN_ERR_ENGINE, "tuple concurrently updated");
	memcpy(err.sqlstate, "XX000", 6);
	CHECK(tn_error_transient(&err), "tuple concurrently updated is transient%s", NULL);
	tn_error_set(&err, TN_ERR_ENGINE, "cache lookup failed");
	memcpy(err.sqlstate, "XX000", 6);
	CHECK(!tn_error_transient(&err) && tn_retry_delay_ms(&err, 1) == 0, "other XX000 not retried%s", NULL);
	memcpy(err.sqlstate, "23502", 6);
	CHECK(!tn_error_transient(&err), "23502 not transient%s", NULL);
	tn_error_set(&err, TN_ERR_MIGRATION_FAILED, "migration \"4\" failed");
	memcpy(err.sqlstate, "55P03", 6);
	tn_error_retried(&err, 4);
	CHECK(tn_error_transient(&err) && strstr(err.detail, "It was tried 4 times") != NULL,
		  "a failed migration keeps its transient SQLSTATE; retries in the detail%s", NULL);

	/* tenant_query_all's error row */
	tn_error_set(&err, TN_ERR_UNREACHABLE, "tenant file \"g.db\" is missing");
	CHECK(tn_query_all_error_json(&json, &err) == TN_OK &&
			  strcmp(json.data, "{\"error\":\"tenant file \\\"g.db\\\" is missing\",\"sqlstate\":\"08006\"}") == 0,
		  "query_all error row: %s", json.data);
	tn_buf_free(&json);
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		fixtures = argv[1];
	if (argc > 2)
		scratch = argv[2];

	test_versions();
	test_filenames();
	test_folders();
	test_tool_layouts();
	test_sqitch_liquibase();
	test_sent_files();
	test_order_folders();
	test_runtime_folders();
	test_checksums();
	test_bodies();
	test_flags();
	test_names();
	test_tenant_state();
	test_word_arguments();
	test_sets();
	test_fanout_rows();
	test_one_decision();

	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail == 0 ? 0 : 1;
}
