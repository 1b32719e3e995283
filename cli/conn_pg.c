/*
 * conn_pg.c -- a cli_conn on a PostgreSQL server over libpq.  Queries are
 * sent asynchronously so the fan-out's NOTICE lines ("[n/N] tenant: ...",
 * sent by the server as each tenant finishes) reach the progress display
 * while the call runs, and Ctrl-C sends a cancel request (PQcancel is
 * async-signal-safe): the server stops the call and keeps what finished.
 *
 * Must not: read passwords itself or print the connection string; libpq
 * takes them from the URL, PGPASSWORD, a passfile or a service file.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli.h"

typedef struct pg_impl
{
	PGconn	 *conn;
	PGcancel *cancel;
} pg_impl;

static void
notice_receiver(void *arg, const PGresult *res)
{
	cli_conn   *c = arg;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY);

	if (msg == NULL)
		return;
	if (strncmp(msg, "tenant \"", 8) == 0)
		c->tenant_errors++;
	if (msg[0] == '[' && c->progress != NULL)
		cli_progress_notice(c->progress, msg);
	else if (msg[0] != '[')
		fprintf(stderr, "%s:  %s\n", severity != NULL ? severity : "NOTICE", msg);
}

static void
fail_from(cli_result *out, const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char		buf[1024];

	if (msg == NULL)
	{
		/* a connection-level failure: libpq's own text, last newline dropped */
		snprintf(buf, sizeof(buf), "%s", PQerrorMessage(conn));
		buf[strcspn(buf, "\n")] = '\0';
		msg = buf;
		if (state == NULL)
			state = PQstatus(conn) == CONNECTION_BAD ? "08006" : "XX000";
	}
	cli_result_fail(out, state, msg,
					res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL,
					res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL);
}

/* Wait until the query's results are in, feeding NOTICEs to the progress display. */
static int
wait_for_results(PGconn *conn)
{
	while (PQisBusy(conn))
	{
		struct pollfd pfd = { PQsocket(conn), POLLIN, 0 };

		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			return -1;
		if (!PQconsumeInput(conn))
			return -1;
	}
	return 0;
}

static void
pg_query(cli_conn *c, const char *sql, int nparams, const cli_param *params, cli_result *out)
{
	pg_impl	   *p = c->impl;
	const char *values[16];
	PGresult   *res,
		*last = NULL;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < nparams && i < 16; i++)
		values[i] = params[i].text;
	PQsetNoticeReceiver(p->conn, notice_receiver, c);
	if (!PQsendQueryParams(p->conn, sql, nparams, NULL, values, NULL, NULL, 0) ||
		wait_for_results(p->conn) != 0)
	{
		fail_from(out, NULL, p->conn);
		return;
	}
	while ((res = PQgetResult(p->conn)) != NULL)
	{
		PQclear(last);
		last = res;
	}
	if (last == NULL)
	{
		fail_from(out, NULL, p->conn);
		return;
	}
	if (PQresultStatus(last) != PGRES_TUPLES_OK && PQresultStatus(last) != PGRES_COMMAND_OK)
	{
		fail_from(out, last, p->conn);
		PQclear(last);
		return;
	}
	out->ncols = PQnfields(last);
	out->colnames = calloc((size_t) out->ncols + 1, sizeof(char *));
	for (int col = 0; out->colnames != NULL && col < out->ncols; col++)
		out->colnames[col] = strdup(PQfname(last, col));
	for (int r = 0; r < PQntuples(last); r++)
	{
		const char *vals[64];

		for (int col = 0; col < out->ncols && col < 64; col++)
			vals[col] = PQgetisnull(last, r, col) ? NULL : PQgetvalue(last, r, col);
		if (cli_result_add_row(out, vals) != 0)
		{
			PQclear(last);
			cli_result_free(out);
			cli_result_fail(out, "53200", "out of memory", NULL, NULL);
			return;
		}
	}
	PQclear(last);
	out->ok = 1;
}

static void
pg_cancel(cli_conn *c)
{
	pg_impl *p = c->impl;
	char	 errbuf[256];

	if (p->cancel != NULL)
		(void) PQcancel(p->cancel, errbuf, sizeof(errbuf));
}

static void
pg_close(cli_conn *c)
{
	pg_impl *p = c->impl;

	PQfreeCancel(p->cancel);
	PQfinish(p->conn);
	free(p);
	free(c);
}

cli_conn *
cli_connect_pg(const char *conninfo, cli_result *err)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo, "tenancy", NULL };
	cli_conn   *c = calloc(1, sizeof(*c));
	pg_impl	   *p = calloc(1, sizeof(*p));

	memset(err, 0, sizeof(*err));
	if (c == NULL || p == NULL)
	{
		free(c);
		free(p);
		cli_result_fail(err, "53200", "out of memory", NULL, NULL);
		return NULL;
	}
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK)
	{
		char		msg[1024];
		const char *text = p->conn ? PQerrorMessage(p->conn) : "out of memory";

		snprintf(msg, sizeof(msg), "%s", text);
		msg[strcspn(msg, "\n")] = '\0';
		cli_result_fail(err, "08006", "could not connect to the PostgreSQL server", msg,
						"Check the URL in -d, TENANCY_DATABASE_URL or DATABASE_URL; passwords come from the URL, PGPASSWORD or ~/.pgpass.");
		PQfinish(p->conn);
		free(p);
		free(c);
		return NULL;
	}
	p->cancel = PQgetCancel(p->conn);
	c->engine = CLI_POSTGRES;
	c->query = pg_query;
	c->cancel = pg_cancel;
	c->close = pg_close;
	c->impl = p;
	return c;
}
