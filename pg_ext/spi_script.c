/*
 * spi_script.c -- the SPI adapter's exec_script: run a migration body over
 * SPI (as the body's user, with the tenant's search_path), and on failure
 * find the offset of the statement that failed, even after a syntax error.
 *
 * A body runs as one SPI call (a one-shot plan: SPI parses it once and
 * analyses each statement just before running it, as a multi-statement
 * query does), which costs one parse instead of two and no plan copies.
 * A parser-setup callback counts the statements SPI starts, so a failure
 * still names its statement: only then is the body split (raw_parser).
 * Statement by statement instead, each prepared and run alone: on Citus
 * (each new table is converted after its statement) and for a REPEATABLE
 * READ or SERIALIZABLE caller under the lock, whose statements must run on
 * the latest snapshot, which a one-shot call cannot be given.
 *
 * Must not: call the core, or run outside spi_run_in_subxact (spi_adapter.c).
 */
#include "postgres.h"

#include <string.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "parser/parse_node.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "mb/pg_wchar.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "citus.h"
#include "spi_internal.h"

typedef struct script_args
{
	const char *script;
	bool		parsed;	   /* by statement: raw_parser succeeded */
	long		current;   /* by statement: offset of the statement running */
	int			started;   /* whole body: statements SPI has started */
	int			error_pos; /* whole body: a syntax error's position (1-based characters) */
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
		spi_last_cursorpos = pos;
}

/*
 * The whole body's error callback, inside SPI's own (which turns a syntax
 * error's position into an internal one): before SPI has started a
 * statement, an error with a position is raw_parser's.
 */
static void
capture_parse_error_position(void *arg)
{
	script_args *s = (script_args *) arg;
	int			 pos = geterrposition();

	if (pos <= 0)
		pos = getinternalerrposition();
	if (s->started == 0 && pos > 0)
		s->error_pos = pos;
}

/*
 * SPI calls this as it starts each statement of the body (before its parse
 * analysis; a one-shot plan analyses each one just before running it).  It
 * sets up no parameters, as SPI does for a query without any.
 */
static void
count_statement(ParseState *pstate pg_attribute_unused(), void *arg)
{
	script_args *s = (script_args *) arg;

	s->started++;
	CHECK_FOR_INTERRUPTS();
}

/* The body in one SPI call; s->started says how far it got. */
static int
run_whole_body(script_args *s, tn_error *err)
{
	ParamListInfo		 params = makeParamList(0);
	SPIExecuteOptions	 options;
	ErrorContextCallback errcallback;
	int					 spi_rc;

	params->parserSetup = count_statement;
	params->parserSetupArg = s;
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = false;
	options.tcount = 0;

	errcallback.callback = capture_parse_error_position;
	errcallback.arg = s;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	spi_rc = SPI_execute_extended(s->script, &options);
	error_context_stack = errcallback.previous;
	if (spi_rc < 0)
		return spi_failure(err, spi_rc, "statement");
	if (SPI_tuptable != NULL)
		SPI_freetuptable(SPI_tuptable);
	return TN_OK;
}

/* Statement by statement: each prepared and run alone (see the header). */
static int
run_by_statement(tn_pg_adapter_ctx *ctx, script_args *s, List *stmts, tn_error *err)
{
	size_t	  total = strlen(s->script);
	ListCell *lc;

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
			return spi_failure(err, SPI_result, "prepare");
		spi_rc = spi_execute_plan(ctx, plan, NULL, NULL);
		if (spi_rc < 0)
			return spi_failure(err, spi_rc, "statement");
		if (SPI_tuptable != NULL)
			SPI_freetuptable(SPI_tuptable);
		SPI_freeplan(plan);
		pfree(text);
		/* Citus converts only top-level CREATE TABLEs: tenancy converts the body's */
		if (ctx->citus_schema != NULL)
			tn_pg_citus_adopt_new(ctx->citus_schema);
	}
	return TN_OK;
}

/* One SPI call for the whole body, unless a statement needs its own (see the header). */
static bool
whole_body_allowed(const tn_pg_adapter_ctx *ctx)
{
	return ctx->citus_schema == NULL && !(ctx->locked && IsolationUsesXactSnapshot());
}

static int
do_script(tn_pg_adapter_ctx *ctx, void *arg, tn_error *err)
{
	script_args			*s = (script_args *) arg;
	List				*stmts = NIL;
	int					 nestlevel = -1;
	ErrorContextCallback errcallback;
	Oid					 saved_user = InvalidOid;
	int					 saved_sec = 0;
	bool				 whole = whole_body_allowed(ctx);
	int					 rc;

	if (!whole)
	{
		/*
		 * Keep the syntax error position before an outer SPI error callback
		 * (a caller's PL/pgSQL EXECUTE) turns it into an internal position.
		 */
		errcallback.callback = capture_error_position;
		errcallback.arg = NULL;
		errcallback.previous = error_context_stack;
		error_context_stack = &errcallback;
		stmts = raw_parser(s->script, RAW_PARSE_DEFAULT);
		error_context_stack = errcallback.previous;
		s->parsed = true;
	}

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

	rc = whole ? run_whole_body(s, err) : run_by_statement(ctx, s, stmts, err);
	/* (an ERROR above is undone by the savepoint's rollback, user id included) */
	if (OidIsValid(ctx->body_user))
		SetUserIdAndSecContext(saved_user, saved_sec);
	if (rc != TN_OK)
		return rc;

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

typedef struct nth_args
{
	const char *script;
	int			n;	   /* 1-based statement number */
	long		start; /* result: its first token, or -1 */
} nth_args;

/* After a failure of the whole body: where its n-th statement starts. */
static int
do_find_nth_statement(tn_pg_adapter_ctx *ctx pg_attribute_unused(), void *arg,
					  tn_error *err pg_attribute_unused())
{
	nth_args *a = (nth_args *) arg;
	List	 *stmts = raw_parser(a->script, RAW_PARSE_DEFAULT);

	a->start = -1;
	if (a->n >= 1 && a->n <= list_length(stmts))
		a->start = skip_blank(a->script, list_nth_node(RawStmt, stmts, a->n - 1)->stmt_location);
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

/* The offset of the statement holding a syntax error at cursorpos, or -1. */
static long
syntax_error_statement(tn_pg_adapter_ctx *ctx, const char *script, int cursorpos)
{
	scan_args a;
	tn_error  scan_err;

	a.script = script;
	a.error_byte = char_pos_to_byte(script, cursorpos);
	a.start = -1;
	tn_error_clear(&scan_err);
	if (spi_run_in_subxact(ctx, do_find_statement_start, &a, &scan_err) == TN_OK)
		return a.start;
	return -1;
}

/* The offset of the statement a failed run of the body stopped at, or -1. */
static long
failed_statement(tn_pg_adapter_ctx *ctx, const script_args *s)
{
	if (s->parsed)
		return s->current;
	if (s->started > 0)
	{
		nth_args a;
		tn_error scan_err;

		a.script = s->script;
		a.n = s->started;
		a.start = -1;
		tn_error_clear(&scan_err);
		if (spi_run_in_subxact(ctx, do_find_nth_statement, &a, &scan_err) == TN_OK)
			return a.start;
		return -1;
	}
	if (s->error_pos > 0)
		return syntax_error_statement(ctx, s->script, s->error_pos);
	if (spi_last_cursorpos > 0)
		return syntax_error_statement(ctx, s->script, spi_last_cursorpos);
	return -1;
}

int
spi_exec_script(void *vctx, const char *script, long *failed_offset,
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
	memset(&s, 0, sizeof(s));
	s.script = script;
	s.parsed = false;
	s.current = -1;

	old = MemoryContextSwitchTo(ctx->query_cxt);
	ctx->query_depth++;
	rc = spi_run_in_subxact(ctx, do_script, &s, err);
	if (rc != TN_OK && failed_offset)
		*failed_offset = failed_statement(ctx, &s);
	ctx->query_depth--;
	MemoryContextSwitchTo(old);
	if (ctx->query_depth == 0)
		MemoryContextReset(ctx->query_cxt);
	return rc;
}
