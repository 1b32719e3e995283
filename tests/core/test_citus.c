/*
 * test_citus.c -- the core's Citus decisions without a database
 * (shared/tn_citus.c): the placement word and its refusals, whether a
 * schema tenant is distributed, the schema states, the half-distributed
 * refusal and verify note, the atomic refusal, and shard names read back
 * as the user's names.  Prints one line per check and "N passed, N failed".
 *
 * Must not: need a database, Citus or a host header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"

static int n_pass, n_fail;

static void
check(int ok, const char *what)
{
	printf("%s - citus: %s\n", ok ? "ok" : "FAIL", what);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static int
unshard_is(const char *text, const long long *ids, size_t n, const char *want)
{
	char *got = tn_citus_unshard(text, ids, n);
	int	  ok = got != NULL && strcmp(got, want) == 0;

	if (!ok)
		printf("  got: %s\n", got ? got : "(null)");
	free(got);
	return ok;
}

static void
test_placement(void)
{
	tn_placement p;
	tn_error	 err;
	int			 d;

	tn_error_clear(&err);
	check(tn_citus_parse_placement(NULL, &p, &err) == TN_OK && p.kind == TN_PLACE_FOLLOW, "NULL follows the setting");
	check(tn_citus_parse_placement("local", &p, &err) == TN_OK && p.kind == TN_PLACE_LOCAL, "'local'");
	check(tn_citus_parse_placement("distributed", &p, &err) == TN_OK && p.kind == TN_PLACE_ANY, "'distributed'");
	check(tn_citus_parse_placement("worker-1:5432", &p, &err) == TN_OK && p.kind == TN_PLACE_NODE &&
			  strcmp(p.host, "worker-1") == 0 && p.port == 5432,
		  "'host:port'");
	check(tn_citus_parse_placement("/tmp/sock dir:55561", &p, &err) == TN_OK && p.kind == TN_PLACE_NODE &&
			  strcmp(p.host, "/tmp/sock dir") == 0 && p.port == 55561,
		  "a socket directory is a host");
	check(tn_citus_parse_placement("fe80::1:6432", &p, &err) == TN_OK && strcmp(p.host, "fe80::1") == 0 && p.port == 6432,
		  "the port follows the last ':'");
	check(tn_citus_parse_placement("somewhere", &p, &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "invalid placement \"somewhere\"") == 0 && strstr(err.detail, "'host:port'") != NULL,
		  "an unknown word is refused, naming the forms");
	check(tn_citus_parse_placement("h:0", &p, &err) == TN_ERR_INVALID_ARGUMENT, "port 0 is refused");
	check(tn_citus_parse_placement("h:65536", &p, &err) == TN_ERR_INVALID_ARGUMENT, "port 65536 is refused");
	check(tn_citus_parse_placement("h:54x", &p, &err) == TN_ERR_INVALID_ARGUMENT, "a port with letters is refused");
	check(tn_citus_parse_placement(":5432", &p, &err) == TN_ERR_INVALID_ARGUMENT, "an empty host is refused");
	check(tn_citus_parse_placement("h:", &p, &err) == TN_ERR_INVALID_ARGUMENT, "an empty port is refused");
	check(tn_citus_parse_placement("h:-1", &p, &err) == TN_ERR_INVALID_ARGUMENT, "a negative port is refused");

	tn_citus_parse_placement(NULL, &p, &err);
	check(tn_citus_decide(&p, 1, 1, &d, &err) == TN_OK && d == 1, "follow + Citus + sharding on: distributed");
	check(tn_citus_decide(&p, 1, 0, &d, &err) == TN_OK && d == 0, "follow + sharding off: local");
	check(tn_citus_decide(&p, 0, 1, &d, &err) == TN_OK && d == 0, "follow without Citus: local");
	tn_citus_parse_placement("local", &p, &err);
	check(tn_citus_decide(&p, 1, 1, &d, &err) == TN_OK && d == 0, "'local' wins over the setting");
	tn_citus_parse_placement("distributed", &p, &err);
	check(tn_citus_decide(&p, 1, 0, &d, &err) == TN_OK && d == 1, "'distributed' wins over the setting");
	check(tn_citus_decide(&p, 0, 0, &d, &err) == TN_ERR_NOT_SUPPORTED && d == 0 &&
			  strcmp(err.message, "placement needs the citus extension") == 0,
		  "'distributed' without Citus is refused");
	tn_citus_parse_placement("w:1", &p, &err);
	check(tn_citus_decide(&p, 0, 1, &d, &err) == TN_ERR_NOT_SUPPORTED, "a node without Citus is refused");
}

static void
test_states(void)
{
	tn_error	err;
	const char *status;
	char	   *problems, *detail;

	check(tn_citus_schema_state(0, 3, 0) == TN_CITUS_LOCAL, "not registered: local");
	check(tn_citus_schema_state(1, 3, 3) == TN_CITUS_DISTRIBUTED, "registered, all in the group: distributed");
	check(tn_citus_schema_state(1, 0, 0) == TN_CITUS_DISTRIBUTED, "registered and empty: distributed");
	check(tn_citus_schema_state(1, 3, 2) == TN_CITUS_HALF, "registered, one table outside: half-distributed");
	check(tn_citus_schema_state(1, 5, 0) == TN_CITUS_HALF, "registered, every table local: half-distributed");
	check(strcmp(tn_citus_state_name(TN_CITUS_HALF), "half-distributed") == 0 &&
			  strcmp(tn_citus_state_name(TN_CITUS_LOCAL), "local") == 0 &&
			  strcmp(tn_citus_state_name(TN_CITUS_DISTRIBUTED), "distributed") == 0,
		  "state names");

	tn_error_clear(&err);
	check(tn_citus_refuse_half("t5", 2, "orders", &err) == TN_ERR_NOT_SUPPORTED &&
			  strcmp(err.message, "schema tenant \"t5\" is half-distributed") == 0 &&
			  strstr(err.detail, "2 of its tables (\"orders\" first)") != NULL &&
			  strcmp(err.hint, "Repair it with tenant_distribute('t5'), then migrate again.") == 0,
		  "the half-distributed refusal names the first local table and the repair");
	check(tn_citus_verify_note("t5", 1, "stray", "0", NULL, &status, &problems, &detail, &err) == TN_OK &&
			  strcmp(status, "problems") == 0 && strcmp(problems, "1") == 0 &&
			  strcmp(detail, "half-distributed on Citus: 1 table(s) local to the coordinator (stray); repair with tenant_distribute('t5')") == 0,
		  "verify note on a clean row");
	free(problems);
	free(detail);
	check(tn_citus_verify_note("t5", 2, "a, b", "2", "version 3 drifted from the tenant set", &status, &problems, &detail, &err) == TN_OK &&
			  strcmp(problems, "3") == 0 &&
			  strstr(detail, "version 3 drifted from the tenant set; half-distributed on Citus: 2 table(s) local to the coordinator (a, b)") == detail,
		  "verify note adds to the row's problems and detail");
	free(problems);
	free(detail);
	check(tn_citus_refuse_atomic("t1", &err) == TN_ERR_NOT_SUPPORTED &&
			  strcmp(err.message, "tenant \"t1\" is a distributed schema on Citus") == 0 &&
			  strstr(err.detail, "Nothing was changed.") != NULL && strstr(err.hint, "tenant_migrate_all()") != NULL &&
			  strcmp(tn_code_sqlstate(err.code), "0A000") == 0,
		  "the atomic refusal (0A000), nothing changed, the way out");
}

static void
test_unshard(void)
{
	long long ids[] = { 102018, 102019 };

	check(unshard_is("relation \"s.settings_102018\" does not exist", ids, 2, "relation \"s.settings\" does not exist"),
		  "a shard's relation name");
	check(unshard_is("duplicate key value violates unique constraint \"settings_pkey_102018\"", ids, 2,
					 "duplicate key value violates unique constraint \"settings_pkey\""),
		  "a shard's constraint name");
	check(unshard_is("orders_102019 references settings_102018", ids, 2, "orders references settings"), "two shards in one text");
	check(unshard_is("table t_999 and v_102018x", ids, 2, "table t_999 and v_102018x"),
		  "other numbers and longer words stay");
	check(unshard_is("_102018 at the start", ids, 2, "_102018 at the start"), "no name before: stays");
	check(unshard_is("line 102018", ids, 2, "line 102018"), "a bare number stays");
	check(unshard_is("", ids, 2, ""), "empty text");
	check(unshard_is("x_102018", ids, 0, "x_102018"), "no shard ids: unchanged");
	check(tn_citus_unshard(NULL, ids, 2) == NULL, "NULL text gives NULL");
}

int
main(void)
{
	test_placement();
	test_states();
	test_unshard();
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail == 0 ? 0 : 1;
}
