/*
 * cli.h -- what the files of the tenancy command share: the exit codes, one
 * database connection seen the same way on both engines (a query with
 * parameters, a table of text cells or an error with message, detail, hint
 * and SQLSTATE), the command table and the output and progress helpers.
 *
 * Must not: hold migration logic.  Every command is one SQL call of the
 * extension (linked in for SQLite, on the server for PostgreSQL); this
 * program only resolves the database, passes arguments and prints results.
 */
#ifndef TENANCY_CLI_H
#define TENANCY_CLI_H

#include <stddef.h>

#include "tenancy.h"

/* Exit codes (README "The tenancy command"). */
#define CLI_EXIT_OK			 0	 /* done */
#define CLI_EXIT_FAILURES	 1	 /* the call finished, but tenants failed or problems were found */
#define CLI_EXIT_USAGE		 2	 /* bad command line */
#define CLI_EXIT_CONNECT	 3	 /* the database cannot be opened or reached */
#define CLI_EXIT_REFUSED	 4	 /* the database refused the call (an error) */
#define CLI_EXIT_INTERRUPTED 130 /* stopped by Ctrl-C (SIGINT) */

/* ---- where the database is (url.c) ---- */

typedef enum cli_engine
{
	CLI_SQLITE,
	CLI_POSTGRES
} cli_engine;

typedef struct cli_target
{
	cli_engine	engine;
	char	   *conninfo; /* SQLite: a file path; PostgreSQL: libpq conninfo or URL */
	const char *source;	  /* "-d", "TENANCY_DATABASE_URL", "DATABASE_URL" or "default" */
} cli_target;

/*
 * Resolve the database: the -d value when not NULL, else TENANCY_DATABASE_URL,
 * else DATABASE_URL (empty variables count as unset), else "sqlite:tenancy.db".
 * postgres:// and postgresql:// URLs and libpq key=value strings are
 * PostgreSQL; "sqlite:PATH" (also "sqlite://PATH", "sqlite3:PATH") and
 * anything else is a SQLite file path.  Returns 0, or -1 with *why set.
 */
int	 cli_resolve_target(const char *option, cli_target *out, const char **why);
void cli_target_free(cli_target *t);

/* ---- a connection (conn_sqlite.c, conn_pg.c) ---- */

typedef enum cli_ptype
{
	CLI_P_TEXT,
	CLI_P_INT,
	CLI_P_BOOL
} cli_ptype;

typedef struct cli_param
{
	cli_ptype	type;
	const char *text; /* NULL: SQL NULL; INT: decimal digits; BOOL: "true"/"false" */
} cli_param;

typedef struct cli_error
{
	char  sqlstate[6]; /* "" when the engine gave none */
	char *message;
	char *detail; /* NULL when none */
	char *hint;	  /* NULL when none */
} cli_error;

typedef struct cli_result
{
	int		  ok; /* 1: columns and rows are set; 0: err is set */
	int		  ncols;
	char	**colnames;
	size_t	  nrows;
	char	**cells; /* row-major; NULL = SQL NULL */
	cli_error err;
} cli_result;

void cli_result_free(cli_result *r);
/* Fill r as a failure (message copied; detail/hint may be NULL). */
void cli_result_fail(cli_result *r, const char *sqlstate, const char *message,
					 const char *detail, const char *hint);
/* Split "message\nDETAIL:  d\nHINT:  h" (the SQLite host's rendering) into r->err. */
void cli_result_fail_rendered(cli_result *r, const char *sqlstate, const char *text);
/* Append one row of ncols cells (copied); 0 or -1 on out of memory. */
int cli_result_add_row(cli_result *r, const char *const *values);

typedef struct cli_progress cli_progress;

typedef struct cli_conn
{
	cli_engine engine;
	/* Run sql with parameters (placeholders from cli_placeholder); always fills out. */
	void (*query)(struct cli_conn *c, const char *sql, int nparams,
				  const cli_param *params, cli_result *out);
	/* Ask the running query to stop (async-signal-safe). */
	void (*cancel)(struct cli_conn *c);
	void (*close)(struct cli_conn *c);
	cli_progress *progress;		 /* fan-out progress goes here while a query runs (may be NULL) */
	int			  fanout;		 /* the running query is a fan-out: cancel stops starting tenants */
	int			  tenant_errors; /* PostgreSQL: NOTICEs of tenants that could not answer */
	void		 *impl;
} cli_conn;

/*
 * Open the target.  NULL with *err filled (sqlstate 08006 or the server's)
 * when it cannot be opened: exit code 3.
 */
cli_conn *cli_connect_sqlite(const char *path, cli_result *err);
cli_conn *cli_connect_pg(const char *conninfo, cli_result *err);

/* Open t with the engine it names (connect.c). */
cli_conn *cli_open(const cli_target *t, cli_result *err);

/* Placeholder n (1-based) in the engine's syntax: "$n" or "?n". */
void cli_placeholder(const cli_conn *c, int n, char *buf, size_t size);

/* ---- output (output.c) ---- */

/*
 * Print a table result: aligned like psql (header, rule, rows, "(N rows)")
 * or, with json, one JSON array of objects.  def, when not NULL, gives the
 * column types (numbers right-aligned, JSON numbers); json_cols names
 * columns whose text is already JSON (tenant_query_all's row).
 */
void cli_print_table(const cli_result *r, const tn_result_def *def, int json);
/* Print a scalar result: the sentence (printf with one %s) or {"key": value}. */
void cli_print_scalar(const cli_result *r, const char *key, int is_number,
					  const char *sentence, int json);
/* Print an error: ERROR/DETAIL/HINT/SQLSTATE lines on stderr, or a JSON document on stdout. */
void cli_print_error(const cli_error *e, int json);
/* Append s to b as a JSON string. */
int cli_json_string(tn_buf *b, const char *s);

/* ---- progress of fan-out runs (progress.c) ---- */

/*
 * A progress display on stderr: a bar redrawn in place on a terminal
 * (done/total, failures, rate, ETA), plain "[n/N] tenant: status" lines
 * otherwise.  cli_progress_tenant may be called from any thread.
 */
cli_progress *cli_progress_start(const char *what);
void		  cli_progress_tenant(cli_progress *p, long long done, long long total,
								  const char *tenant, const char *status, const char *line);
/* Parse a fan-out NOTICE "[n/N] tenant: status ..." and report it; ignores other lines. */
void cli_progress_notice(cli_progress *p, const char *notice);
void cli_progress_end(cli_progress *p);

/* ---- commands (commands.c, newfile.c, load.c) ---- */

/* Run the command line after the global options; returns the exit code. */
int cli_run_command(int argc, char **argv, const char *database, int json);
/* Print the list of commands. */
void cli_print_commands(void);

/* tenancy new NAME [--dir DIR] [--format F] (no database needed). */
int cli_new(int argc, char **argv, int json);

/*
 * Read a migration folder on this machine into file names (relative to dir,
 * with a dialect subfolder when there is one) and bodies, as
 * tenant_migrations_load_files takes them.  Returns 0 or -1 with *msg set.
 */
typedef struct cli_files
{
	size_t count;
	char **names;
	char **bodies;
} cli_files;
int	 cli_read_folder(const char *dir, cli_files *out, char *msg, size_t msgsize);
void cli_files_free(cli_files *f);

/* Interrupt handling (main.c): the connection a SIGINT cancels. */
void cli_set_interruptible(cli_conn *c);
int	 cli_was_interrupted(void);

#endif
