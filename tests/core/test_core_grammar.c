/*
 * test_core_grammar.c -- test_core's checks of version order and the file-name grammar (tn_version.c, tn_filename.c).
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

static int
sign(int x)
{
	return x < 0 ? -1 : (x > 0 ? 1 : 0);
}

/* ------------------------------------------------------------------ */

void
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

void
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
