/*
 * floor_pg.c -- the floor the PostgreSQL benchmark compares tenancy with,
 * and the client that times both sides so they are measured the same way.
 *
 *   floor_pg apply CONNINFO SQLFILE
 *       connect (untimed), then time one round trip of
 *       "BEGIN; <workload>; COMMIT" sent as one simple query: the raw apply,
 *       no tracking, the least a migration tool can do.
 *   floor_pg stmt CONNINFO REPEAT SQL
 *       connect (untimed), then time SQL sent REPEAT times (used for
 *       SELECT tenant_migrate() and for the no-op call).
 *
 * Prints the elapsed wall time in milliseconds on stdout (total, not per
 * call); errors go to stderr with exit status 1.  Connection setup is never
 * timed, on either side.
 */
#define _POSIX_C_SOURCE 200809L

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long  len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
	{
		perror(path);
		exit(1);
	}
	rewind(f);
	buf = malloc((size_t) len + 1);
	if (buf == NULL || fread(buf, 1, (size_t) len, f) != (size_t) len)
	{
		perror(path);
		exit(1);
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Run sql; every result must be a success.  Returns 0 or 1. */
static int
run(PGconn *conn, const char *sql)
{
	PGresult *res;
	int		  bad = 0;

	if (!PQsendQuery(conn, sql))
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		return 1;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		ExecStatusType st = PQresultStatus(res);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		{
			if (!bad)
				fprintf(stderr, "%s", PQresultErrorMessage(res));
			bad = 1;
		}
		PQclear(res);
	}
	return bad;
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	const char *sql;
	char	   *script = NULL;
	int			repeat = 1;
	double		t0, t1;

	if (argc == 4 && strcmp(argv[1], "apply") == 0)
	{
		char  *body = read_file(argv[3]);
		size_t len = strlen(body) + 32;

		script = malloc(len);
		snprintf(script, len, "BEGIN;\n%s\nCOMMIT;", body);
		sql = script;
	}
	else if (argc == 5 && strcmp(argv[1], "stmt") == 0)
	{
		repeat = atoi(argv[3]);
		sql = argv[4];
	}
	else
	{
		fprintf(stderr, "usage: floor_pg apply CONNINFO SQLFILE\n"
						"       floor_pg stmt CONNINFO REPEAT SQL\n");
		return 2;
	}
	conn = PQconnectdb(argv[2]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		return 1;
	}
	t0 = now_ms();
	for (int i = 0; i < repeat; i++)
		if (run(conn, sql))
			return 1;
	t1 = now_ms();
	printf("%.4f\n", t1 - t0);
	PQfinish(conn);
	free(script);
	return 0;
}
