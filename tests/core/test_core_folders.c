/*
 * test_core_folders.c -- test_core's checks of loading folders: tests/fixtures, version order through real
 * folders, and folders built at run time (symbolic links, odd names,
 * unreadable files) under the scratch folder.
 *
 * Linked into the test_core runner (test_core.c calls each test_*).
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_core.h"
#include "tn_internal.h" /* tn_entry, tn_migration_failed */

/* ------------------------------------------------------------------ */

const tn_migration *
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

int
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


void
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

	/* dbmate: the flags carry where each section starts, so errors name the file's line */
	rc = tn_load_folder(fixture("dbmate_lines"), TN_DIALECT_POSTGRES, &s, &err);
	CHECK(rc == TN_OK && s.count == 2, "dbmate_lines folder loads 2%s", NULL);
	m = find_version(&s, "20240302100000");
	CHECK(m && line_of(m->up_sql, "INSERT INTO accounts_missing") == 4 &&
			  tn_flags_lines_before((long long) m->flags, 1) == 5 &&
			  tn_flags_lines_before((long long) m->flags, -1) == 11 &&
			  (m->flags & TN_MIG_NO_TRANSACTION) == 0,
		  "dbmate section bodies unchanged, their first lines in the flags (up after 5, down after 11)%s", NULL);
	if (m)
	{
		tn_entry	e;
		tn_error	fe;
		const char *at = strstr(m->up_sql, "INSERT INTO accounts_missing");

		memset(&e, 0, sizeof(e));
		e.version = m->version;
		e.name = m->name;
		e.flags = (long long) m->flags;
		tn_error_clear(&fe);
		tn_error_set(&fe, TN_ERR_ENGINE, "relation \"accounts_missing\" does not exist");
		tn_migration_failed(&fe, &e, 1, "migration", m->up_sql, at ? (long) (at - m->up_sql) : -1, "");
		CHECK(strstr(fe.detail, "The statement at line 9 of") != NULL,
			  "a failing statement of a dbmate section is reported at its file line (9): %s", fe.detail);
	}
	m = find_version(&s, "20240301100000");
	CHECK(m && tn_flags_lines_before((long long) m->flags, 1) == 1 &&
			  tn_flags_lines_before((long long) m->flags, -1) == 4,
		  "dbmate file starting with its up line: up after 1 line, down after 4%s", NULL);
	CHECK(tn_flags_with_lines(TN_MIG_NO_TRANSACTION, (long) TN_MIG_LINE_MAX + 1, 3) ==
			  (TN_MIG_NO_TRANSACTION | (3ULL << TN_MIG_DOWN_LINE_SHIFT)),
		  "a section starting past TN_MIG_LINE_MAX lines counts from the section, other bits kept%s", NULL);
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
void
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

void
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
