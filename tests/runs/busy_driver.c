/*
 * busy_driver.c -- makes SQLite's busy wait observable without a clock, for
 * tests/suites/42_sqlite_runs.sh.  A wrapper VFS (a copy of the default one
 * with its own xSleep) is registered as the default before anything opens a
 * file, so every connection the extension opens sleeps through it; xSleep
 * adds up the microseconds SQLite's busy handler asks for and returns at
 * once.  SQLite's default busy handler asks for exactly the busy timeout in
 * one wait, so the sum says how many times the call waited out its timeout.
 *
 * Usage: busy_driver EXT DB TIMEOUT_MS LOCKED_FILE SQL
 *   holds BEGIN EXCLUSIVE on LOCKED_FILE from a second connection, runs SQL
 *   on DB (busy timeout TIMEOUT_MS), prints its rows, then "asked_sleep_ms N".
 *
 * Must not: sleep for real, or decide pass/fail (the suite does).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static sqlite3_vfs	counting;
static sqlite3_vfs *real;
static long long	asked_us;

static int
counting_sleep(sqlite3_vfs *vfs, int us)
{
	(void) vfs;
	__atomic_fetch_add(&asked_us, (long long) us, __ATOMIC_SEQ_CST);
	return us;
}

int
main(int argc, char **argv)
{
	sqlite3		 *db, *locker;
	sqlite3_stmt *st;
	char		 *msg = NULL;
	int			  rc;

	if (argc != 6)
	{
		fprintf(stderr, "usage: busy_driver EXT DB TIMEOUT_MS LOCKED_FILE SQL\n");
		return 2;
	}
	real = sqlite3_vfs_find(NULL);
	counting = *real;
	counting.zName = "counting_sleep";
	counting.xSleep = counting_sleep;
	sqlite3_vfs_register(&counting, 1);

	if (sqlite3_open(argv[4], &locker) != SQLITE_OK ||
		sqlite3_exec(locker, "BEGIN EXCLUSIVE", NULL, NULL, &msg) != SQLITE_OK)
	{
		fprintf(stderr, "cannot lock %s: %s\n", argv[4], msg ? msg : sqlite3_errmsg(locker));
		return 2;
	}
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		return 2;
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, argv[1], NULL, &msg) != SQLITE_OK)
	{
		fprintf(stderr, "load: %s\n", msg);
		return 2;
	}
	sqlite3_busy_timeout(db, atoi(argv[3]));
	if (sqlite3_prepare_v2(db, argv[5], -1, &st, NULL) != SQLITE_OK)
	{
		fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
		return 2;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		for (int c = 0; c < sqlite3_column_count(st); c++)
			printf("%s%s", c ? "|" : "", sqlite3_column_text(st, c) ? (const char *) sqlite3_column_text(st, c) : "");
		printf("\n");
	}
	if (rc != SQLITE_DONE)
		printf("error: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_exec(locker, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(locker);
	sqlite3_close(db);
	printf("asked_sleep_ms %lld\n", asked_us / 1000);
	return 0;
}
