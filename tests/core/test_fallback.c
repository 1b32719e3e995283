/*
 * test_fallback.c -- the core's fallback decisions without a database:
 * type kinds, declared types and expressions, foreign-key order (with a
 * cycle), net change of a key, conflicts and the three policies, the
 * version check, hex decoding, the capture triggers' SQL, push_all's
 * status word and the push's pooled result rows.  Prints one
 * line per check and "N passed, N failed".
 *
 * Must not: need a database or a host header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"

static int n_pass, n_fail;

static void
check(int ok, const char *what)
{
	printf("%s - core: %s\n", ok ? "ok" : "FAIL", what);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static int
expr_is(int (*fn)(tn_fb_kind, const char *, tn_buf *), tn_fb_kind k, const char *want)
{
	tn_buf b = { 0 };
	int	   ok;

	fn(k, "c", &b);
	ok = b.data != NULL && strcmp(b.data, want) == 0;
	if (!ok)
		printf("  got: %s\n", b.data ? b.data : "(null)");
	tn_buf_free(&b);
	return ok;
}

int
main(void)
{
	tn_error	err;
	int			order[5];
	int			cyclic;
	const char *target;

	tn_error_clear(&err);

	/* type kinds: every row of the README table */
	check(tn_fb_type_kind("boolean", 'b', 'B') == TN_FB_BOOL, "boolean is bool");
	check(tn_fb_type_kind("smallint", 'b', 'N') == TN_FB_INT &&
			  tn_fb_type_kind("integer", 'b', 'N') == TN_FB_INT &&
			  tn_fb_type_kind("bigint", 'b', 'N') == TN_FB_INT,
		  "smallint/integer/bigint are int");
	check(tn_fb_type_kind("real", 'b', 'N') == TN_FB_REAL &&
			  tn_fb_type_kind("double precision", 'b', 'N') == TN_FB_REAL,
		  "real/double are real");
	check(tn_fb_type_kind("numeric", 'b', 'N') == TN_FB_NUMERIC, "numeric stays exact text");
	check(tn_fb_type_kind("character varying", 'b', 'S') == TN_FB_TEXT &&
			  tn_fb_type_kind("character", 'b', 'S') == TN_FB_TEXT,
		  "varchar/char are text");
	check(tn_fb_type_kind("jsonb", 'b', 'U') == TN_FB_JSON, "jsonb is json");
	check(tn_fb_type_kind("timestamp with time zone", 'b', 'D') == TN_FB_TIMESTAMPTZ, "timestamptz");
	check(tn_fb_type_kind("date", 'b', 'D') == TN_FB_DATETIME, "date is ISO text");
	check(tn_fb_type_kind("bytea", 'b', 'U') == TN_FB_BYTEA, "bytea is blob");
	check(tn_fb_type_kind("integer[]", 'b', 'A') == TN_FB_STRUCTURED, "arrays are JSON");
	check(tn_fb_type_kind("pair", 'c', 'C') == TN_FB_STRUCTURED, "composites are JSON");
	check(tn_fb_type_kind("mood", 'e', 'E') == TN_FB_TEXT, "enums are text");
	check(tn_fb_type_kind("inet", 'b', 'I') == TN_FB_OTHER, "anything else: output text");
	check(strcmp(tn_fb_sqlite_decl(TN_FB_BOOL), "INTEGER") == 0 &&
			  strcmp(tn_fb_sqlite_decl(TN_FB_REAL), "REAL") == 0 &&
			  strcmp(tn_fb_sqlite_decl(TN_FB_BYTEA), "BLOB") == 0 &&
			  strcmp(tn_fb_sqlite_decl(TN_FB_NUMERIC), "TEXT") == 0,
		  "declared SQLite types");
	check(expr_is(tn_fb_pull_expr, TN_FB_BOOL, "(c)::int4"), "pull expression of a boolean");
	check(expr_is(tn_fb_pull_expr, TN_FB_STRUCTURED, "pg_catalog.to_json(c)::text"), "pull expression of an array");
	check(expr_is(tn_fb_push_expr, TN_FB_REAL, "tenancy_fb_real(c)"),
		  "push expression of a double keeps 17 digits");
	{
		tn_buf b = { 0 };

		tn_fb_pg_value_expr(TN_FB_JSON, "it's", "\"it's\"", "json", &b);
		check(b.data && strcmp(b.data, "((tenancy_e->'r')->>'it''s')::json") == 0,
			  "json travels as text, quoted name");
		tn_buf_free(&b);
	}

	/* FK order: 0 <- 1 <- 2, 3 alone, 4 self-referencing */
	{
		int child[] = { 2, 1, 4 };
		int parent[] = { 1, 0, 4 };

		check(tn_fb_fk_order(5, 3, child, parent, order, &cyclic, &err) == TN_OK &&
				  order[0] == 0 && order[1] == 1 && order[2] == 2 && order[3] == 3 && order[4] == 4 && !cyclic,
			  "foreign-key order: parents first, self references ignored");
	}
	{
		int child[] = { 0, 1, 2 };
		int parent[] = { 1, 0, 1 };

		check(tn_fb_fk_order(3, 3, child, parent, order, &cyclic, &err) == TN_OK && cyclic &&
				  order[0] == 0 && order[1] == 1 && order[2] == 2,
			  "foreign-key cycle: placed in name order and reported");
	}

	/* net change and conflicts */
	check(tn_fb_net_op(1, 1) == TN_FB_OP_UPDATE && tn_fb_net_op(1, 0) == TN_FB_OP_DELETE &&
			  tn_fb_net_op(0, 1) == TN_FB_OP_INSERT && tn_fb_net_op(0, 0) == TN_FB_OP_NONE,
		  "net change of a key");
	check(!tn_fb_is_conflict(TN_FB_OP_UPDATE, "h1", "h1"), "unchanged primary row: no conflict");
	check(tn_fb_is_conflict(TN_FB_OP_UPDATE, "h1", "h2"), "changed primary row: conflict");
	check(tn_fb_is_conflict(TN_FB_OP_DELETE, "h1", NULL), "row gone on the primary: conflict");
	check(tn_fb_is_conflict(TN_FB_OP_INSERT, NULL, "h9") && !tn_fb_is_conflict(TN_FB_OP_INSERT, NULL, NULL),
		  "insert whose key exists on the primary: conflict");
	{
		tn_fb_op	action;
		int			refresh;
		const char *outcome;

		tn_fb_resolve(TN_FB_OP_UPDATE, 1, "h2", TN_FB_ABORT, &action, &refresh, &outcome);
		check(action == TN_FB_OP_NONE && strcmp(outcome, "conflict") == 0, "abort: nothing runs");
		tn_fb_resolve(TN_FB_OP_UPDATE, 1, "h2", TN_FB_PRIMARY_WINS, &action, &refresh, &outcome);
		check(action == TN_FB_OP_NONE && refresh && strcmp(outcome, "primary_kept") == 0,
			  "primary_wins: the fallback takes the primary's row");
		tn_fb_resolve(TN_FB_OP_INSERT, 1, "h2", TN_FB_FALLBACK_WINS, &action, &refresh, &outcome);
		check(action == TN_FB_OP_UPDATE && strcmp(outcome, "fallback_applied") == 0,
			  "fallback_wins: an insert over an existing key updates it");
		tn_fb_resolve(TN_FB_OP_UPDATE, 1, NULL, TN_FB_FALLBACK_WINS, &action, &refresh, &outcome);
		check(action == TN_FB_OP_INSERT, "fallback_wins: an update of a row gone on the primary inserts it");
	}
	{
		tn_fb_policy p;

		check(tn_fb_parse_policy("sideways", &p, &err) == TN_ERR_INVALID_ARGUMENT &&
				  strstr(err.message, "invalid on_conflict") != NULL,
			  "unknown on_conflict refused");
		tn_error_clear(&err);
	}

	/* versions */
	{
		const char *pr[] = { "1", "2" };
		const char *fb_ok[] = { "1" };
		const char *fb_ahead[] = { "1", "2", "3" };
		const char *fb_other[] = { "1", "1.5" };

		check(tn_fb_check_versions(pr, 2, fb_ok, 1, 0, &target, &err) == TN_OK && target &&
				  strcmp(target, "2") == 0,
			  "fallback behind the primary: migrate to the primary's newest");
		check(tn_fb_check_versions(pr, 2, fb_ahead, 3, 0, &target, &err) == TN_ERR_INVALID_ARGUMENT &&
				  strcmp(err.message, "primary is behind the fallback") == 0,
			  "primary behind: refused");
		tn_error_clear(&err);
		check(tn_fb_check_versions(pr, 2, fb_other, 2, 0, &target, &err) == TN_ERR_INVALID_ARGUMENT &&
				  strstr(err.message, "applied versions differ") != NULL,
			  "lists differ: refused");
		tn_error_clear(&err);
		check(tn_fb_check_versions(pr, 2, fb_ok, 1, 1, &target, &err) == TN_ERR_INVALID_ARGUMENT,
			  "after migrating, the lists must be equal");
		tn_error_clear(&err);
	}

	/* hex */
	{
		unsigned char *b;
		size_t		   n;

		check(tn_fb_hex_decode("\\x00ff10", &b, &n, &err) == TN_OK && n == 3 && b[1] == 0xff,
			  "bytea hex decodes");
		free(b);
		check(tn_fb_hex_decode("\\x0g", &b, &n, &err) == TN_ERR_FORMAT, "malformed hex refused");
		tn_error_clear(&err);
	}

	/* timestamptz text and row hashes */
	{
		char		iso[64];
		const char *a[] = { "1", NULL, "x" };
		const char *b[] = { "1", "", "x" };
		const char *c[] = { "1", NULL, "x" };
		char		ha[TN_FB_HASH_LEN], hb[TN_FB_HASH_LEN], hc[TN_FB_HASH_LEN];

		check(tn_fb_timestamptz_iso("2024-02-29 23:59:59.5+00", iso, sizeof(iso)) == 1 &&
				  strcmp(iso, "2024-02-29T23:59:59.5Z") == 0,
			  "timestamptz becomes ISO 8601 UTC with Z");
		check(tn_fb_timestamptz_iso("0044-03-15 12:00:00+00 BC", iso, sizeof(iso)) == 0 &&
				  strcmp(iso, "0044-03-15 12:00:00+00 BC") == 0 &&
				  tn_fb_timestamptz_iso("infinity", iso, sizeof(iso)) == 0 &&
				  tn_fb_timestamptz_iso("10000-01-01 00:00:00+00", iso, sizeof(iso)) == 0,
			  "infinity, BC and 5-digit years keep the server's text");
		tn_fb_row_hash(3, a, ha);
		tn_fb_row_hash(3, b, hb);
		tn_fb_row_hash(3, c, hc);
		check(strcmp(ha, hc) == 0 && strcmp(ha, hb) != 0 && strlen(ha) == 16,
			  "row hash: stable, and NULL differs from empty text");
	}

	/* triggers */
	{
		tn_buf		b = { 0 };
		const char *pk[] = { "a", "b\"c" };

		const char *cols[] = { "a", "b\"c", "v" };

		tn_fb_trigger_sql("t\"x", pk, 2, NULL, 0, &b);
		check(b.data && strstr(b.data, "AFTER INSERT ON \"t\"\"x\"") &&
				  strstr(b.data, "json_array(NEW.\"a\", NEW.\"b\"\"c\")") &&
				  strstr(b.data, "AFTER DELETE") && strstr(b.data, "'t\"x'") &&
				  strstr(b.data, "tenancy_fb_old_") == NULL,
			  "capture triggers quote names and key the change by json_array");
		tn_buf_free(&b);
		tn_fb_trigger_sql("t\"x", pk, 2, cols, 3, &b);
		check(b.data && strstr(b.data, "BEFORE INSERT ON \"t\"\"x\"") &&
				  strstr(b.data, "INSERT OR IGNORE INTO \"tenancy_fb_old_t\"\"x\" (\"a\", \"b\"\"c\", \"v\") SELECT OLD.\"a\", OLD.\"b\"\"c\", OLD.\"v\" WHERE NOT EXISTS") &&
				  strstr(b.data, "tenancy_o.\"a\" = NEW.\"a\" AND tenancy_o.\"b\"\"c\" = NEW.\"b\"\"c\" AND NOT EXISTS"),
			  "with columns, the first change of a key keeps the row as it was (OLD, or the row an insert replaces)");
		tn_buf_free(&b);
		tn_fb_shadow_sql("t\"x", cols, 3, pk, 2, &b);
		check(b.data && strstr(b.data, "CREATE TABLE IF NOT EXISTS \"tenancy_fb_old_t\"\"x\" (\"a\", \"b\"\"c\", \"v\", PRIMARY KEY (\"a\", \"b\"\"c\"))"),
			  "the shadow table: the columns without declared types, keyed like the table");
		tn_buf_free(&b);
	}

	/* push_all's status word: a push that never connected (nothing recorded) is not "pushed" */
	check(strcmp(tn_fb_push_all_status(TN_OK, 0, 0), "unchanged") == 0, "push_all: nothing recorded is unchanged");
	check(strcmp(tn_fb_push_all_status(TN_OK, 1, 0), "pushed") == 0 &&
			  strcmp(tn_fb_push_all_status(TN_OK, 1, 2), "conflict") == 0,
		  "push_all: a push that reached the primary is pushed, or conflict");
	check(strcmp(tn_fb_push_all_status(TN_ERR_UNREACHABLE, 1, 0), "unreachable") == 0 &&
			  strcmp(tn_fb_push_all_status(TN_ERR_ENGINE, 0, 0), "failed") == 0,
		  "push_all: errors keep their words");

	/* the push's result rows: pooled cells, across blocks, NULLs and a cell larger than a block */
	{
		tn_rows		rows;
		static char big[100000];
		const char *row[4] = { "parents", NULL, "insert", "pushed" };
		char		key[32];
		int			i;
		int			ok = 1;

		memset(big, 'x', sizeof(big) - 1);
		tn_rows_init_pooled(&rows, 4);
		for (i = 0; i < 20000 && ok; i++)
		{
			snprintf(key, sizeof(key), "[%d]", i);
			row[1] = i == 7 ? NULL : i == 9 ? big
											: key;
			ok = tn_rows_add(&rows, row) == TN_OK;
		}
		ok = ok && rows.nrows == 20000 && tn_rows_get(&rows, 7, 1) == NULL &&
			 strcmp(tn_rows_get(&rows, 19999, 1), "[19999]") == 0 &&
			 strlen(tn_rows_get(&rows, 9, 1)) == sizeof(big) - 1 &&
			 strcmp(tn_rows_get(&rows, 12345, 3), "pushed") == 0;
		tn_rows_free(&rows);
		check(ok && rows.nrows == 0 && rows.pool == NULL, "pooled result rows: every cell kept, freed as a whole");
	}

	/* COPY text: each escape, plain bytes either side, NULL */
	{
		tn_buf	   b = { 0 };
		const char v[] = "a\\b\nc\rd\te\bf\fg\vh\x0e\x07~";

		tn_fb_copy_append(v, sizeof(v) - 1, &b);
		tn_fb_copy_append(NULL, 0, &b);
		check(b.data && strcmp(b.data, "a\\\\b\\nc\\rd\\te\\bf\\fg\\vh\x0e\x07~\\N") == 0,
			  "COPY text: backslash and the six control escapes, other bytes as they are, NULL as \\N");
		tn_buf_free(&b);
	}

	/* tenant_fallback_drop_retired: which table a bookkeeping object belongs to */
	{
		static const struct
		{
			const char *type, *name, *table;
			int			set_aside;
		} cases[] = {
			{ "table", "tenancy_fb_old_t", "t", 0 },
			{ "table", "tenancy_fb_old_my_table", "my_table", 0 },
			{ "table", "tenancy_fb_old_we\"ird t", "we\"ird t", 0 },
			{ "table", "tenancy_fb_retired_t_1", "t", 1 },
			{ "table", "tenancy_fb_retired_a_b_12", "a_b", 1 },
			{ "trigger", "tenancy_fb_ins_t", "t", 0 },
			{ "trigger", "tenancy_fb_bin_old_x", "old_x", 0 },
			{ "trigger", "tenancy_fb_del_a_1", "a_1", 0 },
			/* not the fallback's */
			{ "table", "tenancy_fb_old_", NULL, 0 },
			{ "table", "tenancy_fb_retired_t", NULL, 0 },
			{ "table", "tenancy_fb_retired_t_", NULL, 0 },
			{ "table", "tenancy_fb_retired__1", NULL, 0 },
			{ "table", "tenancy_fb_ins_t", NULL, 0 },
			{ "trigger", "tenancy_fb_old_t", NULL, 0 },
			{ "trigger", "tenancy_fb_ins_", NULL, 0 },
			{ "index", "tenancy_fb_old_t", NULL, 0 },
			{ "table", "tenancy_fallback_rows", NULL, 0 },
			{ "table", "orders", NULL, 0 },
		};
		size_t i;
		int	   ok = 1;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			char *table = NULL;
			int	  set_aside = -1;
			int	  owned = tn_fb_bookkeeping_owner(cases[i].type, cases[i].name, &table, &set_aside);

			if (cases[i].table == NULL ? owned != 0 || table != NULL
									   : owned != 1 || table == NULL || strcmp(table, cases[i].table) != 0 ||
											 set_aside != cases[i].set_aside)
			{
				printf("  owner of %s %s: %d %s\n", cases[i].type, cases[i].name, owned, table ? table : "(none)");
				ok = 0;
			}
			free(table);
		}
		check(ok, "drop_retired: shadow, set-aside and trigger names give their table; anything else is not the fallback's");
	}
	{
		tn_error	err;
		const char *one[1] = { "gone" };
		long long	n1[1] = { 3 };
		const char *two[2] = { "it's", "b" };
		long long	n2[2] = { 1, 2 };

		tn_error_clear(&err);
		check(tn_fb_retired_waiting(NULL, NULL, 0, &err) == TN_OK, "drop_retired: nothing waiting is no error");
		check(tn_fb_retired_waiting(one, n1, 1, &err) == TN_ERR_NOT_SUPPORTED &&
				  strcmp(err.message, "cannot drop the fallback's bookkeeping of a retired table with changes waiting to be pushed: \"gone\" (3 changes)") == 0 &&
				  strstr(err.detail, "Nothing was dropped.") != NULL,
			  "drop_retired: one table waiting is named with its count");
		tn_error_clear(&err);
		check(tn_fb_retired_waiting(two, n2, 2, &err) == TN_ERR_NOT_SUPPORTED &&
				  strstr(err.message, "of retired tables with changes waiting to be pushed: \"it's\" (1 change), \"b\" (2 changes)") != NULL &&
				  strstr(err.hint, "WHERE tbl = 'it''s'.") != NULL,
			  "drop_retired: several tables, singular and plural counts, the hint's literal quoted");
	}

	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
