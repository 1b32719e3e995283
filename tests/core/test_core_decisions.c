/*
 * test_core_decisions.c -- test_core's checks of the decisions both hosts take from the core: tenant state,
 * word arguments, targets, tenant sets read through a fake adapter, fan-out
 * rows, and the values both engines show (issue 9).
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

/* ------------------------------------------------------------------ */
/* Decisions both hosts take from the core: states, words, targets, sets */
/* ------------------------------------------------------------------ */

void
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

void
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

	/* runs never lie: only a row that records a mere check may wait for its slice */
	CHECK(tn_fanout_record_may_wait(TN_FANOUT_UP_TO_DATE, TN_OK, 0) == 1 &&
			  tn_fanout_record_may_wait(TN_FANOUT_UNCHANGED, TN_OK, 0) == 1,
		  "up_to_date / unchanged rows may wait%s", NULL);
	CHECK(tn_fanout_record_may_wait(TN_FANOUT_APPLIED, TN_OK, 2) == 0 &&
			  tn_fanout_record_may_wait(TN_FANOUT_ROLLED_BACK, TN_OK, 1) == 0 &&
			  tn_fanout_record_may_wait(TN_FANOUT_FAILED, TN_ERR_MIGRATION_FAILED, 0) == 0 &&
			  tn_fanout_record_may_wait(TN_FANOUT_UNREACHABLE, TN_ERR_UNREACHABLE, 0) == 0 &&
			  tn_fanout_record_may_wait(TN_FANOUT_SKIPPED, TN_OK, 0) == 0,
		  "applied, rolled back, failed, unreachable, skipped rows are written at once%s", NULL);
	CHECK(tn_fanout_record_may_wait(TN_FANOUT_UP_TO_DATE, TN_ERR_MIGRATION_FAILED, 0) == 0 &&
			  tn_fanout_record_may_wait(TN_FANOUT_UP_TO_DATE, TN_OK, 1) == 0 &&
			  tn_fanout_record_may_wait(NULL, TN_OK, 0) == 0,
		  "a failure or an application never waits, whatever the word%s", NULL);
	/* a tenant that tracks itself (a SQLite file, committed first): applied and rolled back may wait too */
	CHECK(tn_fanout_record_may_wait_self_tracked(TN_FANOUT_APPLIED, TN_OK, 2) == 1 &&
			  tn_fanout_record_may_wait_self_tracked(TN_FANOUT_ROLLED_BACK, TN_OK, 1) == 1 &&
			  tn_fanout_record_may_wait_self_tracked(TN_FANOUT_UP_TO_DATE, TN_OK, 0) == 1 &&
			  tn_fanout_record_may_wait_self_tracked(TN_FANOUT_UNCHANGED, TN_OK, 0) == 1,
		  "self-tracked: applied, rolled back, up_to_date, unchanged rows may wait%s", NULL);
	CHECK(tn_fanout_record_may_wait_self_tracked(TN_FANOUT_FAILED, TN_ERR_MIGRATION_FAILED, 0) == 0 &&
			  tn_fanout_record_may_wait_self_tracked(TN_FANOUT_UNREACHABLE, TN_ERR_UNREACHABLE, 0) == 0 &&
			  tn_fanout_record_may_wait_self_tracked(TN_FANOUT_SKIPPED, TN_OK, 0) == 0 &&
			  tn_fanout_record_may_wait_self_tracked(TN_FANOUT_APPLIED, TN_ERR_MIGRATION_FAILED, 0) == 0 &&
			  tn_fanout_record_may_wait_self_tracked(NULL, TN_OK, 0) == 0,
		  "self-tracked: failed, unreachable, skipped rows and any error are written at once%s", NULL);
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

void
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

void
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

/* Issue 9: the values both engines show come from here. */
void
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
			  strcmp(back.hint, err.hint) == 0 && strcmp(back.sqlstate, "23502") == 0,
		  "rendered error parsed back, the body's SQLSTATE from the detail%s", NULL);
	CHECK(strcmp(tn_fanout_sqlstate(TN_ERR_MIGRATION_FAILED, &back), "TN002") == 0,
		  "a body's own error read back: its row still says TN002%s", NULL);
	free(text);
	/* a full disk where the migration ran: the row says 53100, as on that server (issue 14) */
	memcpy(err.sqlstate, "53100", 6);
	tn_error_detail(&err, "The statement at line 1 of \"3\" (plan) failed with SQLSTATE 53100: could not extend file.");
	text = tn_error_render(&err);
	tn_error_parse_rendered(&back, TN_ERR_MIGRATION_FAILED, text);
	CHECK(strcmp(tn_fanout_sqlstate(TN_ERR_MIGRATION_FAILED, &back), "53100") == 0,
		  "a full disk read back over libpq: its row says 53100%s", NULL);
	free(text);
	memcpy(err.sqlstate, "23502", 6);
	tn_error_detail(&err, "The statement of \"3\" (plan) failed with SQLSTATE 23502: null value.");
	tn_error_parse_rendered(&back, TN_ERR_MIGRATION_FAILED, "migration \"3\" failed\nDETAIL:  It failed with SQLSTATE 5310: short.");
	CHECK(back.sqlstate[0] == '\0', "a malformed SQLSTATE in a detail is not taken%s", NULL);
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

/* A changed repeatable is pending for the registry until a run to the newest version records it (issue 9). */
void
test_repeatables_pending(void)
{
	tn_migration	 items[3];
	tn_migration_set set = { items, 3, 3 };
	tn_buf			 record, changed = { 0 };
	tn_error		 err;

	memset(items, 0, sizeof(items));
	items[0].version = "1";
	snprintf(items[0].checksum, sizeof(items[0].checksum), "sha256:aa");
	items[1].version = "R__people";
	snprintf(items[1].checksum, sizeof(items[1].checksum), "sha256:bb");
	items[2].version = "R__places";
	snprintf(items[2].checksum, sizeof(items[2].checksum), "sha256:cc");
	CHECK(tn_set_repeatables_record(&set, &record, &err) == TN_OK && record.data != NULL &&
			  strcmp(record.data, "R__people sha256:bb\nR__places sha256:cc\n") == 0,
		  "repeatables record lists every repeatable with its checksum%s", NULL);
	CHECK(tn_set_count_pending(&set, "1", record.data) == 0, "recorded repeatables are not pending%s", NULL);
	CHECK(tn_set_count_pending(&set, NULL, record.data) == 1, "a version newer is still pending%s", NULL);
	CHECK(tn_set_count_pending(&set, "1", NULL) == 2, "no record: every repeatable is pending%s", NULL);
	CHECK(tn_set_count_pending(&set, "1", "") == 2, "an empty record: every repeatable is pending%s", NULL);
	snprintf(items[1].checksum, sizeof(items[1].checksum), "sha256:b");
	CHECK(tn_set_count_pending(&set, "1", record.data) == 1,
		  "a changed body (even a prefix of the old checksum) is pending%s", NULL);
	CHECK(tn_repeatables_record_add(&changed, "2", "sha256:dd") == TN_OK && changed.data == NULL,
		  "a version is not a repeatable of the record%s", NULL);
	tn_buf_free(&record);
	tn_buf_free(&changed);
}

/* A tenant's error row keeps the tenant's SQLSTATE, an internal one too (issue 9: XX000 was 22023). */
void
test_one_tenant_error_codes(void)
{
	tn_error err;

	CHECK(tn_one_tenant_error_row("t1", "tuple concurrently updated", "XX000", &err) == TN_ERR_ENGINE &&
			  strcmp(tn_error_sqlstate(&err), "XX000") == 0 && tn_error_transient(&err) == 1 &&
			  strstr(err.detail, "tuple concurrently updated") != NULL && strstr(err.hint, "transient") != NULL,
		  "one tenant: XX000 stays XX000, transient, with its own hint%s", NULL);
	CHECK(tn_one_tenant_error_row("t1", "could not serialize access", "40001", &err) == TN_ERR_ENGINE &&
			  strcmp(tn_error_sqlstate(&err), "40001") == 0 && strstr(err.hint, "transient") != NULL,
		  "one tenant: 40001 stays 40001, with the transient hint%s", NULL);
	CHECK(tn_one_tenant_error_row("t1", "relation \"x\" does not exist", "42P01", &err) == TN_ERR_ENGINE &&
			  strcmp(tn_error_sqlstate(&err), "42P01") == 0 && err.hint[0] == '\0',
		  "one tenant: 42P01 kept, no transient hint%s", NULL);
	CHECK(tn_one_tenant_error_row("t1", "odd", "zz!", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(tn_error_sqlstate(&err), "22023") == 0 &&
			  tn_one_tenant_error_row("t1", "odd", NULL, &err) == TN_ERR_INVALID_ARGUMENT,
		  "one tenant: not an SQLSTATE is the caller's argument (22023), never an internal class%s", NULL);
	CHECK(tn_one_tenant_error_row("t1", "connection refused", "08006", &err) == TN_ERR_UNREACHABLE &&
			  strcmp(tn_error_sqlstate(&err), "08006") == 0,
		  "one tenant: class 08 is unreachable%s", NULL);
}
