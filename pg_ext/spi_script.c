/*
 * spi_script.c -- the SPI adapter's exec_script: run a migration body
 * statement by statement over SPI (as the body's user, with the tenant's
 * search_path), and on failure find the offset of the statement that failed,
 * even after a syntax error.
 *
 * Must not: call the core, or run outside run_in_subxact (spi_adapter.c).
 */
#include "postgres.h"

#include <string.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "mb/pg_wchar.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "citus.h"
#include "spi_internal.h"

/* ------------------------------------------------------------------ */
/* exec_script                                                         */
/* ------------------------------------------------------------------ */

typedef struct script_args
{
	const char *script;
	bool		parsed;	 /* raw_parser succeeded */
	long		current; /* offset of the statement running */
} script_args;

/* Skip whitespace and comments: offset of the first token at or after pos. */
static long
skip_blank(const char *s, long pos)
{
	for (;;)
	{
		char c = s[pos];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
			c == '\v')
			pos++;
		else if (c == '-' && s[pos + 1] == '-')
		{
			while (s[pos] != '\0' && s[pos] != '\n')
				pos++;
		}
		else if (c == '/' && s[pos + 1] == '*')
		{
			int depth = 1;

			pos += 2;
			while (s[pos] != '\0' && depth > 0)
			{
				if (s[pos] == '/' && s[pos + 1] == '*')
					depth++, pos += 2;
				else if (s[pos] == '*' && s[pos + 1] == '/')
					depth--, pos += 2;
				else
					pos++;
			}
		}
		else
			return pos;
	}
}

static void
capture_error_position(void *arg pg_attribute_unused())
{
	int pos = geterrposition();

	if (pos > 0)
		last_cursorpos = pos;
}

static int
do_script(tn_pg_adapter_ctx *ctx, void *arg, tn_error *err)
{
	script_args			*s = (script_args *) arg;
	List				*stmts;
	ListCell			*lc;
	int					 nestlevel = -1;
	size_t				 total = strlen(s->script);
	ErrorContextCallback errcallback;
	Oid					 saved_user = InvalidOid;
	int					 saved_sec = 0;

	/*
	 * Keep the syntax error position before an outer SPI error callback (a
	 * caller's PL/pgSQL EXECUTE) turns it into an internal position.
	 */
	errcallback.callback = capture_error_position;
	errcallback.arg = NULL;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	stmts = raw_parser(s->script, RAW_PARSE_DEFAULT);
	error_context_stack = errcallback.previous;
	s->parsed = true;

	/* Migration bodies run with the caller's search_path, not ours. */
	if (ctx->caller_search_path != NULL)
	{
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("search_path", ctx->caller_search_path,
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}

	/* a fan-out in a tenant: trusted schemas only, the tenant owner's rights */
	if (ctx->check_body_path)
		tn_pg_check_body_path(ctx);
	if (OidIsValid(ctx->body_user))
	{
		GetUserIdAndSecContext(&saved_user, &saved_sec);
		SetUserIdAndSecContext(ctx->body_user, saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	}

	foreach (lc, stmts)
	{
		RawStmt	  *rs = lfirst_node(RawStmt, lc);
		size_t	   len;
		char	  *text;
		SPIPlanPtr plan;
		int		   spi_rc;

		len = rs->stmt_len > 0 ? (size_t) rs->stmt_len : total - rs->stmt_location;
		s->current = skip_blank(s->script, rs->stmt_location);
		text = pnstrdup(s->script + rs->stmt_location, len);

		CHECK_FOR_INTERRUPTS();
		plan = SPI_prepare(text, 0, NULL);
		if (plan == NULL)
		{
			if (OidIsValid(ctx->body_user))
				SetUserIdAndSecContext(saved_user, saved_sec);
			return spi_failure(err, SPI_result, "prepare");
		}
		spi_rc = execute_plan(ctx, plan, NULL, NULL);
		if (spi_rc < 0)
		{
			if (OidIsValid(ctx->body_user))
				SetUserIdAndSecContext(saved_user, saved_sec);
			return spi_failure(err, spi_rc, "statement");
		}
		if (SPI_tuptable != NULL)
			SPI_freetuptable(SPI_tuptable);
		SPI_freeplan(plan);
		pfree(text);
		/* Citus converts only top-level CREATE TABLEs: tenancy converts the body's */
		if (ctx->citus_schema != NULL)
			tn_pg_citus_adopt_new(ctx->citus_schema);
	}
	/* (an ERROR above is undone by the savepoint's rollback, user id included) */
	if (OidIsValid(ctx->body_user))
		SetUserIdAndSecContext(saved_user, saved_sec);

	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	/* a body (a superuser's) may have set it: the rows stay its schema's */
	tn_pg_schema_tracking_reassert(ctx);
	return TN_OK;
}

typedef struct scan_args
{
	const char *script;
	long		error_byte; /* where the syntax error was reported */
	long		start;		/* result */
} scan_args;

/*
 * After a syntax error: find the first token of the statement holding the
 * error, by scanning tokens and cutting at top-level semicolons.
 */
static int
do_find_statement_start(tn_pg_adapter_ctx *ctx pg_attribute_unused(), void *arg,
						tn_error *err pg_attribute_unused())
{
	scan_args		  *a = (scan_args *) arg;
	core_yyscan_t	   scanner;
	core_yy_extra_type extra;
	core_YYSTYPE	   yylval;
	YYLTYPE			   yylloc;
	int				   depth = 0;
	bool			   at_start = true;

	scanner = scanner_init(a->script, &extra, &ScanKeywords, ScanKeywordTokens);
	a->start = 0;
	for (;;)
	{
		int tok = core_yylex(&yylval, &yylloc, scanner);

		if (tok == 0 || yylloc > a->error_byte)
			break;
		if (at_start)
		{
			a->start = yylloc;
			at_start = false;
		}
		if (tok == '(')
			depth++;
		else if (tok == ')')
			depth--;
		else if (tok == ';' && depth <= 0)
			at_start = true;
	}
	scanner_finish(scanner);
	return TN_OK;
}

static long
char_pos_to_byte(const char *s, int cursorpos)
{
	long byte = 0;
	int	 chr;

	for (chr = 1; chr < cursorpos && s[byte] != '\0'; chr++)
		byte += pg_mblen(s + byte);
	return byte;
}

int
pg_exec_script(void *vctx, const char *script, long *failed_offset,
			   tn_error *err)
{
	tn_pg_adapter_ctx *ctx = CTX(vctx);
	MemoryContext	   old;
	script_args		   s;
	int				   rc;

	if (failed_offset)
		*failed_offset = -1;
	if (script == NULL)
		return tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
							"invalid exec_script call from the core");
	s.script = script;
	s.parsed = false;
	s.current = -1;

	old = MemoryContextSwitchTo(ctx->query_cxt);
	ctx->query_depth++;
	rc = run_in_subxact(ctx, do_script, &s, err);
	if (rc != TN_OK && failed_offset)
	{
		if (s.parsed)
			*failed_offset = s.current;
		else if (last_cursorpos > 0)
		{
			scan_args a;
			tn_error  scan_err;

			a.script = script;
			a.error_byte = char_pos_to_byte(script, last_cursorpos);
			a.start = -1;
			tn_error_clear(&scan_err);
			if (run_in_subxact(ctx, do_find_statement_start, &a, &scan_err) == TN_OK)
				*failed_offset = a.start;
			else
				*failed_offset = -1;
		}
	}
	ctx->query_depth--;
	MemoryContextSwitchTo(old);
	if (ctx->query_depth == 0)
		MemoryContextReset(ctx->query_cxt);
	return rc;
}
