/*
 * tn_in_call.c -- which statements of a no-transaction migration an engine
 * cannot run from inside a function call, decided once for every host.
 *
 * SQLite runs a no-transaction body from inside SELECT tenant_migrate(),
 * which is itself a statement in progress on the same connection.  Tried on
 * SQLite 3.40: VACUUM, VACUUM <schema> and VACUUM INTO fail there ("cannot
 * VACUUM - SQL statements in progress"); PRAGMA journal_mode (to and from
 * WAL), page_size, auto_vacuum, wal_checkpoint, ATTACH/DETACH, ANALYZE and
 * REINDEX run.  So VACUUM is refused before anything of the batch runs.
 *
 * Must not: run SQL, allocate, or decide anything about other engines'
 * transactions (tn_detect_flags says what needs no transaction at all).
 */
#include <string.h>

#include "tn_internal.h"

typedef struct in_call_scan
{
	const char *refused; /* first refused statement's keyword */
	long		offset;
} in_call_scan;

static int
sqlite_refuses_in_call(void *arg, const char *const *w, const size_t *wl, int n, long offset)
{
	in_call_scan *scan = arg;

	if (n >= 1 && tn_ascii_ieq(w[0], wl[0], "vacuum"))
	{
		scan->refused = "VACUUM";
		scan->offset = offset;
		return 1;
	}
	return 0;
}

int
tn_check_runs_in_call(tn_dialect dialect, const char *version, const char *name,
					  const char *body, tn_error *err)
{
	in_call_scan scan = { NULL, -1 };

	if (dialect != TN_DIALECT_SQLITE || body == NULL)
		return TN_OK;
	if (tn_body_statements(body, sqlite_refuses_in_call, &scan) == 0)
		return TN_OK;
	tn_error_set(err, TN_ERR_NO_TRANSACTION, "migration \"%s\" cannot run from inside SELECT tenant_migrate()",
				 version ? version : "");
	tn_error_detail(err, "Migration \"%s\" (%s) has %s at line %d. SQLite cannot run %s while another statement "
						 "is in progress on the connection, and the SELECT that calls tenant_migrate() is one. "
						 "Nothing of this run was applied.",
					version ? version : "", name ? name : "",
					scan.refused, tn_line_of_offset(body, scan.offset), scan.refused);
	tn_error_hint(err, "Take %s out of the migration and run it yourself after tenant_migrate(), "
					   "e.g. in the sqlite3 shell: VACUUM;",
				  scan.refused);
	return TN_ERR_NO_TRANSACTION;
}
