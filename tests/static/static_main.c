/*
 * static_main.c -- tenancy linked statically into a program (-DSQLITE_CORE):
 * sqlite3_tenancy_init is called directly, as an application embedding
 * SQLite would, then a migration runs through SQL.  Prints one TAP-ish line
 * per check and "N passed, N failed".
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

int sqlite3_tenancy_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);

static int n_pass, n_fail;

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "FAIL", what);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static long long
scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long	  v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		printf("  %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

int
main(void)
{
	sqlite3 *db;
	char	*err = NULL;

	sqlite3_open(":memory:", &db);
	check(sqlite3_tenancy_init(db, &err, NULL) == SQLITE_OK, "sqlite3_tenancy_init registers the functions");
	check(scalar(db, "SELECT tenant_migration_add('1', 'a', 'CREATE TABLE a (x);', 'DROP TABLE a;')") == 1,
		  "tenant_migration_add");
	check(scalar(db, "SELECT tenant_migrate()") == 1, "tenant_migrate applies one");
	check(scalar(db, "SELECT count(*) FROM tenant_status() WHERE state = 'applied'") == 1, "tenant_status");
	check(scalar(db, "SELECT tenant_rollback()") == 1, "tenant_rollback");
	check(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'a'") == 0, "rollback dropped the table");
	sqlite3_close(db);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail != 0;
}
