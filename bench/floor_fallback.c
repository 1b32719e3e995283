/*
 * floor_fallback.c -- the floor of the fallback benchmark: what a
 * hand-written copy costs with nothing on top.
 *
 *   floor_fallback pull CONNINFO SQLITE_FILE
 *       COPY bench TO STDOUT (text) from PostgreSQL, each line split on tabs
 *       and inserted into SQLite's bench(id, name, amount, at, flag) with one
 *       prepared statement, in one transaction.
 *   floor_fallback push CONNINFO SQLITE_FILE
 *       SELECT every row of SQLite's bench, COPY bench FROM STDIN into
 *       PostgreSQL (tab-separated text), in one transaction.
 *
 * Prints the elapsed milliseconds.  The data has no tabs, newlines or
 * backslashes, so COPY's text escapes need no handling.
 *
 * Must not: track anything, convert types beyond what the data needs.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "floor_fallback: %s: %s\n", what, msg ? msg : "");
	exit(1);
}

static void
pull(PGconn *pg, sqlite3 *db)
{
	sqlite3_stmt *st;
	PGresult	 *r;
	char		 *line;
	int			  n;

	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT INTO bench(id, name, amount, at, flag) VALUES (?1, ?2, ?3, ?4, ?5)",
						   -1, &st, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(db));
	r = PQexec(pg, "COPY (SELECT id, name, amount, at, flag::int FROM bench) TO STDOUT");
	if (PQresultStatus(r) != PGRES_COPY_OUT)
		die("copy out", PQerrorMessage(pg));
	PQclear(r);
	while ((n = PQgetCopyData(pg, &line, 0)) > 0)
	{
		char *f[5];
		char *p = line;
		int	  i;

		line[n - 1] = '\0'; /* the newline */
		for (i = 0; i < 5; i++)
		{
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
			else
				p = f[i] + strlen(f[i]);
		}
		sqlite3_bind_int64(st, 1, strtoll(f[0], NULL, 10));
		sqlite3_bind_text(st, 2, f[1], -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, f[2], -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, f[3], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 5, atoi(f[4]));
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(db));
		sqlite3_reset(st);
		PQfreemem(line);
	}
	r = PQgetResult(pg);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("copy end", PQerrorMessage(pg));
	PQclear(r);
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("commit", sqlite3_errmsg(db));
}

static void
push(PGconn *pg, sqlite3 *db)
{
	sqlite3_stmt *st;
	PGresult	 *r;
	char		  buf[512];

	r = PQexec(pg, "BEGIN");
	PQclear(r);
	r = PQexec(pg, "COPY bench(id, name, amount, at, flag) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die("copy in", PQerrorMessage(pg));
	PQclear(r);
	if (sqlite3_prepare_v2(db, "SELECT id, name, amount, at, flag FROM bench", -1, &st, NULL) != SQLITE_OK)
		die("select", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
	{
		int n = snprintf(buf, sizeof(buf), "%lld\t%s\t%s\t%s\t%s\n",
						 (long long) sqlite3_column_int64(st, 0),
						 (const char *) sqlite3_column_text(st, 1),
						 (const char *) sqlite3_column_text(st, 2),
						 (const char *) sqlite3_column_text(st, 3),
						 sqlite3_column_int(st, 4) ? "t" : "f");

		if (PQputCopyData(pg, buf, n) != 1)
			die("copy data", PQerrorMessage(pg));
	}
	sqlite3_finalize(st);
	if (PQputCopyEnd(pg, NULL) != 1)
		die("copy end", PQerrorMessage(pg));
	r = PQgetResult(pg);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("copy", PQerrorMessage(pg));
	PQclear(r);
	r = PQexec(pg, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("commit", PQerrorMessage(pg));
	PQclear(r);
}

int
main(int argc, char **argv)
{
	PGconn	*pg;
	sqlite3 *db;
	double	 t0;

	if (argc != 4)
		die("usage", "floor_fallback pull|push CONNINFO SQLITE_FILE");
	t0 = now_ms();
	pg = PQconnectdb(argv[2]);
	if (PQstatus(pg) != CONNECTION_OK)
		die("connect", PQerrorMessage(pg));
	if (sqlite3_open(argv[3], &db) != SQLITE_OK)
		die("open", sqlite3_errmsg(db));
	if (strcmp(argv[1], "pull") == 0)
		pull(pg, db);
	else
		push(pg, db);
	sqlite3_close(db);
	PQfinish(pg);
	printf("%.1f\n", now_ms() - t0);
	return 0;
}
