/*
 * tn_sqlite_time.c -- time SQL statements against the tenancy SQLite extension.
 *
 * The tenancy side of the SQLite benchmarks: one connection, the extension
 * loaded from a path, SETUP run untimed, then SQL run REPEAT times and the
 * wall time printed in seconds.  Rows are stepped through and dropped, so
 * table-valued functions run to completion.  Nothing here may change what
 * is measured: no PRAGMA, no wrapping transaction.
 *
 *   tn_sqlite_time DB EXTENSION REPEAT SQL [SETUP]
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
run(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
	{
		fprintf(stderr, "%s\n", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	char	*msg = NULL;
	int		 repeat;
	double	 t0;

	if (argc < 5 || argc > 6)
	{
		fprintf(stderr, "usage: tn_sqlite_time DB EXTENSION REPEAT SQL [SETUP]\n");
		return 2;
	}
	repeat = atoi(argv[3]);
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
	{
		fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, argv[2], NULL, &msg) != SQLITE_OK)
	{
		fprintf(stderr, "load %s: %s\n", argv[2], msg ? msg : "?");
		return 1;
	}
	if (argc == 6 && run(db, argv[5]))
		return 1;
	t0 = now_s();
	for (int i = 0; i < repeat; i++)
		if (run(db, argv[4]))
			return 1;
	printf("%.6f\n", now_s() - t0);
	sqlite3_close(db);
	return 0;
}
