/*
 * registry_query_check.c -- tenant_query_all's statement read once with
 * PostgreSQL's own parser, in the calling backend, before any tenant is
 * reached: none, several, or one that writes (INSERT, UPDATE, DELETE,
 * MERGE, SELECT INTO, a data-changing WITH, any DDL or utility statement)
 * is refused for the whole call with the core's error
 * (tn_query_all_refuse), as SQLite refuses it (sqlite3_stmt_readonly).
 *
 * A statement the parser rejects (a syntax error) is not refused here:
 * each tenant reports it in its error row, as on SQLite, where a statement
 * is only compiled against a tenant's own schema.  The parse runs in a
 * subtransaction so that its error can be dropped safely.
 *
 * Must not: run the statement, read a catalog, or word an error (the core
 * does).
 */
#include "postgres.h"

#include "access/xact.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "registry_internal.h"
#include "tn_raise.h"

/* Does a top-level SELECT write (SELECT INTO, WITH x AS (DELETE ...))? */
static bool
select_writes(SelectStmt *s)
{
	ListCell *lc;

	if (s->intoClause != NULL)
		return true;
	if (s->withClause != NULL)
		foreach (lc, s->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				return true;
		}
	return (s->larg != NULL && select_writes(s->larg)) || (s->rarg != NULL && select_writes(s->rarg));
}

/* The reason to refuse the parsed statements, or -1 to run them. */
static int
refusal_of(List *raw)
{
	Node *stmt;

	if (list_length(raw) == 0)
		return TN_QUERY_EMPTY;
	if (list_length(raw) > 1)
		return TN_QUERY_SEVERAL;
	stmt = linitial_node(RawStmt, raw)->stmt;
	if (IsA(stmt, SelectStmt))
		return select_writes((SelectStmt *) stmt) ? TN_QUERY_WRITES : -1;
	if (IsA(stmt, VariableShowStmt))
		return TN_QUERY_NOT_QUERY;
	if (IsA(stmt, ExplainStmt))
	{
		ListCell *lc;

		/* EXPLAIN ANALYZE runs the statement: it writes when that does */
		foreach (lc, ((ExplainStmt *) stmt)->options)
			if (strcmp(lfirst_node(DefElem, lc)->defname, "analyze") == 0)
				return TN_QUERY_WRITES;
		return TN_QUERY_NOT_QUERY;
	}
	return TN_QUERY_WRITES;
}

void
reg_check_query(const char *sql)
{
	MemoryContext volatile cxt = CurrentMemoryContext;
	ResourceOwner volatile owner = CurrentResourceOwner;
	volatile int why = -1;
	tn_error	 err;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		why = refusal_of(raw_parser(sql, RAW_PARSE_DEFAULT));
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		/* a syntax error: every tenant reports it in its own row */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		why = -1;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	if (why < 0)
		return;
	tn_error_clear(&err);
	tn_query_all_refuse(&err, (tn_query_refusal) why);
	tn_raise(&err);
}
