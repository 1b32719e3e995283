/*
 * test_core_layouts.c -- test_core's checks of other tools' layouts (goose, sql-migrate, V-prefixed
 * golang-migrate, empty files, pop) and files sent through tn_load_files.
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
int
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

/* Layouts of other tools (issue 8): goose, sql-migrate, V-prefixed golang-migrate, empty files, pop. */
void
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
void
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
