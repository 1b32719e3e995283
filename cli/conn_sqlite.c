/*
 * conn_sqlite.c -- a cli_conn on a SQLite file with the tenancy extension
 * linked into this program (sqlite_ext compiled with -DSQLITE_CORE; the
 * functions are registered by calling sqlite3_tenancy_init directly).
 * Fan-out progress comes from the extension's fan-out observer; Ctrl-C
 * stops starting tenants (fan-out) or interrupts the statement.
 *
 * Must not: load tenancy.so or rely on symbols it exports, or run SQL of its
 * own beyond the probe that the file is a database.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cli.h"
#include "sqlite_adapter.h"
#include "sqlite_registry.h"

int sqlite3_tenancy_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);

typedef struct sqlite_impl
{
	sqlite3 *db;
} sqlite_impl;

/*
 * SQLite's error log, where the extension puts a WARNING (the default
 * scope used in a registry that has tenants, issue 9): lines it logs with
 * the plain SQLITE_WARNING code go to stderr, as psql prints a server's
 * WARNING; SQLite's own notes (extended codes, other levels) stay quiet.
 */
static void
log_warning(void *arg, int code, const char *message)
{
	(void) arg;
	if (code == SQLITE_WARNING && message != NULL)
		fprintf(stderr, "%s\n", message);
}

/* Before the first sqlite3_open: SQLITE_CONFIG_LOG is refused once SQLite is initialised. */
static void
install_log(void)
{
	static int installed;

	if (!installed)
	{
		installed = 1;
		sqlite3_config(SQLITE_CONFIG_LOG, log_warning, NULL);
	}
}

/* Set by cancel (a signal handler): the fan-out observer reads it. */
static volatile int stop_requested;

static void
observe_tenant(void *arg, long long done, long long total, const char *tenant, const char *status)
{
	cli_conn *c = arg;

	if (c->progress != NULL)
		cli_progress_tenant(c->progress, done, total, tenant, status, NULL);
}

static tn_sqlite_fanout_observer observer = { observe_tenant, &stop_requested, NULL };

/* An SQLite error without a tenancy SQLSTATE: the extension's mapping, else the nearest class. */
static const char *
sqlstate_of(sqlite3 *db, int rc)
{
	const char *noted = tn_sqlite_last_sqlstate();
	const char *mapped;

	if (noted[0] != '\0')
		return noted;
	mapped = tn_sqlite_sqlstate(db, rc);
	if (mapped[0] != '\0')
		return mapped;
	return (rc & 0xff) == SQLITE_ERROR ? "42000" : "XX000";
}

static void
sqlite_query(cli_conn *c, const char *sql, int nparams, const cli_param *params, cli_result *out)
{
	sqlite_impl	 *s = c->impl;
	sqlite3_stmt *st = NULL;
	int			  rc;

	memset(out, 0, sizeof(*out));
	tn_sqlite_clear_sqlstate();
	stop_requested = 0;
	observer.arg = c;
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto fail;
	for (int i = 0; i < nparams; i++)
	{
		const cli_param *p = &params[i];

		if (p->text == NULL)
			rc = sqlite3_bind_null(st, i + 1);
		else if (p->type == CLI_P_INT)
			rc = sqlite3_bind_int64(st, i + 1, strtoll(p->text, NULL, 10));
		else if (p->type == CLI_P_BOOL)
			rc = sqlite3_bind_int(st, i + 1, strcmp(p->text, "true") == 0);
		else
			rc = sqlite3_bind_text(st, i + 1, p->text, -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			goto fail;
	}
	out->ncols = sqlite3_column_count(st);
	out->colnames = calloc((size_t) out->ncols + 1, sizeof(char *));
	if (out->colnames == NULL)
	{
		rc = SQLITE_NOMEM;
		goto fail;
	}
	for (int col = 0; col < out->ncols; col++)
		out->colnames[col] = strdup(sqlite3_column_name(st, col));
	tn_sqlite_fanout_observe(&observer);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *vals[64];

		for (int col = 0; col < out->ncols && col < 64; col++)
			vals[col] = (const char *) sqlite3_column_text(st, col);
		if (cli_result_add_row(out, vals) != 0)
		{
			rc = SQLITE_NOMEM;
			break;
		}
	}
	tn_sqlite_fanout_observe(NULL);
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	out->ok = 1;
	return;

fail:
{
	const char *msg = rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db);
	char	   *copy = strdup(msg);

	cli_result_fail_rendered(out, sqlstate_of(s->db, rc), copy != NULL ? copy : "out of memory");
	free(copy);
}
	sqlite3_finalize(st);
}

static void
sqlite_cancel(cli_conn *c)
{
	sqlite_impl *s = c->impl;

	stop_requested = 1;
	if (!c->fanout)
		sqlite3_interrupt(s->db);
}

static void
sqlite_close(cli_conn *c)
{
	sqlite_impl *s = c->impl;

	sqlite3_close(s->db);
	free(s);
	free(c);
}

cli_conn *
cli_connect_sqlite(const char *path, cli_result *err)
{
	cli_conn	*c = calloc(1, sizeof(*c));
	sqlite_impl *s = calloc(1, sizeof(*s));
	char		*errmsg = NULL;
	int			 rc;

	memset(err, 0, sizeof(*err));
	if (c == NULL || s == NULL)
	{
		free(c);
		free(s);
		cli_result_fail(err, "53200", "out of memory", NULL, NULL);
		return NULL;
	}
	install_log();
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_tenancy_init(s->db, &errmsg, NULL);
	/* the file is a database (SQLite reads the header only now) */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
	{
		char msg[600];
		char detail[5000];

		snprintf(msg, sizeof(msg), "could not open SQLite database \"%s\"", path);
		snprintf(detail, sizeof(detail), "%s.", errmsg != NULL ? errmsg : s->db != NULL ? sqlite3_errmsg(s->db)
																						: sqlite3_errstr(rc));
		cli_result_fail(err, "08006", msg, detail,
						"Check the path in -d, TENANCY_DATABASE_URL or DATABASE_URL.");
		sqlite3_free(errmsg);
		sqlite3_close(s->db);
		free(s);
		free(c);
		return NULL;
	}
	c->engine = CLI_SQLITE;
	c->query = sqlite_query;
	c->cancel = sqlite_cancel;
	c->close = sqlite_close;
	c->impl = s;
	return c;
}
