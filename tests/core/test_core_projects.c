/*
 * test_core_projects.c -- unit tests of the project readers (issue 8):
 * Sqitch plans (tn_sqitch.c), Liquibase formatted SQL (tn_liquibase.c) and
 * Flyway repeatables, read from fixtures and from sent files.
 *
 * Must not: touch a database or write outside the scratch folder.
 */
#include <stdlib.h>
#include <string.h>

#include "test_core.h"

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

/* Sqitch projects and Liquibase formatted SQL (issue 8): order from the plan / the file, downs, refusals. */
void
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

	/* sqitch.conf: top_dir as "sqitch init --top-dir db" writes it; deploy/revert/verify_dir, plan_file, engine section */
	rc = tn_load_folder(fixture("sqitch_top_dir"), TN_DIALECT_SQLITE, &s, &err);
	CHECK(rc == TN_OK && s.count == 2 && strcmp(s.items[0].name, "accounts") == 0 &&
			  strcmp(s.items[1].name, "users") == 0 && strstr(s.items[1].source, "db/deploy/users.sql") &&
			  strstr(s.items[1].up_sql, "FROM users WHERE 0 = 1") && s.items[1].down_sql &&
			  strstr(s.items[1].down_sql, "DROP TABLE users"),
		  "sqitch.conf top_dir = db: plan and scripts read from db/ (%s)", rc == TN_OK ? "" : err.message);
	tn_migration_set_free(&s);
	{
		const char *names[] = { "sqitch.conf", "plans/main.plan", "up_sqlite/a.ddl", "down/a.ddl", "check/a.ddl",
								"up/a.ddl" };
		const char *bodies[] = { "[core]\n\tengine = sqlite\n\ttop_dir = ignored\n\tplan_file = plans/main.plan ; a comment\n"
								 "\tdeploy_dir = up\n\trevert_dir = \"down\"\n\tVerify_Dir = ./check/\n\textension = ddl\n"
								 "[engine \"pg\"]\n\tdeploy_dir = up_pg\n[engine \"sqlite\"]\n\tdeploy_dir = up_sqlite\n"
								 "[target \"prod\"]\n\turi = db:sqlite:prod.db\n",
								 "%project=p\na 2020-01-01T00:00:00Z Me <m@x>\n", "CREATE TABLE a (x int);",
								 "DROP TABLE a;", "SELECT x FROM a;", "CREATE TABLE wrong (x int);" };
		size_t		lens[6];
		static const struct
		{
			const char *conf;
			const char *says;
		} bad[] = {
			{ "[core]\n\ttop_dir = ../elsewhere\n", "Line 2: the path must be relative" },
			{ "[core]\n\tdeploy_dir = /srv/deploy\n", "Line 2: the path must be relative" },
			{ "[core\n\ttop_dir = db\n", "Line 1: a section header" },
			{ "[core]\n\tplan_file\n", "Line 2: a key line" },
			{ "[core]\n\tplan_file = other.plan\n", "the plan it names is not among them" },
		};

		for (size_t i = 0; i < 6; i++)
			lens[i] = strlen(bodies[i]);
		rc = tn_load_files(6, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
		CHECK(rc == TN_OK && s.count == 1 && strcmp(s.items[0].source, "up_sqlite/a.ddl") == 0 &&
				  strstr(s.items[0].up_sql, "SELECT x FROM a") && s.items[0].down_sql &&
				  strstr(s.items[0].down_sql, "DROP TABLE a"),
			  "sqitch.conf sent: plan_file, [engine \"sqlite\"] deploy_dir over [core], revert_dir, verify_dir, extension (%s)",
			  rc == TN_OK ? "" : err.detail);
		tn_migration_set_free(&s);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			bodies[0] = bad[i].conf;
			lens[0] = strlen(bad[i].conf);
			rc = tn_load_files(6, names, bodies, lens, TN_DIALECT_SQLITE, &s, &err);
			CHECK(rc == TN_ERR_FORMAT && s.count == 0 && (strstr(err.detail, bad[i].says) || strstr(err.message, bad[i].says)),
				  "sqitch.conf refused: %s", bad[i].says);
		}
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
