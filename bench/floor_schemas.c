/*
 * floor_schemas.c -- the floor tenant_migrate_all over schema tenants is
 * compared with: the least that can bring N schemas of one database to the
 * workload's version, with nothing a migration tool adds (no tracking, no
 * registry, no checksums, no locks).
 *
 *   floor_schemas CONNINFO PREFIX N SQLFILE
 *       one connection; for each schema PREFIX0 .. PREFIX<N-1>, one simple
 *       query "BEGIN; SET LOCAL search_path = <schema>, pg_catalog;
 *       <SQLFILE>; COMMIT" (one round trip, one transaction per schema).
 *       The schemas must exist.
 *
 *   floor_schemas CONNINFO PREFIX N SQLFILE create
 *       the same, each transaction starting with CREATE SCHEMA <schema>
 *       (the floor of creating N schema tenants at the workload's version).
 *
 * Prints the elapsed wall time in milliseconds (the connection included).
 * Any failure: message on stderr, exit 1.  Must not: retry, or hide a
 * failed schema.
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
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long  n;
	char *buf;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
	{
		fprintf(stderr, "floor_schemas: cannot read %s\n", path);
		exit(1);
	}
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		fprintf(stderr, "floor_schemas: cannot read %s\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	PGconn *conn;
	char   *body;
	size_t	cap;
	char   *sql;
	int		n;
	double	t0;

	int create = argc == 6 && strcmp(argv[5], "create") == 0;

	if (argc != 5 && !create)
	{
		fprintf(stderr, "usage: floor_schemas CONNINFO PREFIX N SQLFILE [create]\n");
		return 2;
	}
	n = atoi(argv[3]);
	body = read_file(argv[4]);
	cap = strlen(body) + strlen(argv[2]) + 200;
	sql = malloc(cap);
	if (sql == NULL)
		return 1;

	t0 = now_ms();
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "floor_schemas: %s", PQerrorMessage(conn));
		return 1;
	}
	for (int i = 0; i < n; i++)
	{
		PGresult *res;

		/* schema names are PREFIX<i>: plain identifiers, quoted anyway */
		if (create)
			snprintf(sql, cap, "BEGIN; CREATE SCHEMA \"%s%d\"; SET LOCAL search_path = \"%s%d\", pg_catalog; %s; COMMIT",
					 argv[2], i, argv[2], i, body);
		else
			snprintf(sql, cap, "BEGIN; SET LOCAL search_path = \"%s%d\", pg_catalog; %s; COMMIT", argv[2], i, body);
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "floor_schemas: schema %s%d: %s", argv[2], i, PQerrorMessage(conn));
			return 1;
		}
		PQclear(res);
	}
	PQfinish(conn);
	printf("%.1f\n", now_ms() - t0);
	free(sql);
	free(body);
	return 0;
}
