/*
 * crash_driver.c -- the process the crash suite (tests/suites/40_sqlite_crash.sh)
 * kills with SIGKILL.  It loads the tenancy extension the ordinary way
 * (sqlite3_enable_load_extension + sqlite3_load_extension) and does one thing:
 *
 *   crash_driver EXT DB JOURNAL setup     add the 5-migration workload to DB's catalog
 *   crash_driver EXT DB JOURNAL migrate   SELECT tenant_migrate()  (prints "applied N")
 *   crash_driver EXT DB JOURNAL check     integrity_check + the invariant (no extension):
 *                                         a migration's tenancy_applied row exists if
 *                                         and only if its objects exist; prints
 *                                         "applied N" or the violation, exit 1 on one
 *   crash_driver EXT REG JOURNAL create NAME      tenant_create(NAME) in registry REG
 *   crash_driver EXT REG JOURNAL register NAME    tenant_register(NAME, NAME.db)
 *   crash_driver EXT REG JOURNAL tenantset        load the workload as the tenant set
 *
 * Knowing that a kill landed inside the operation (environment, any action):
 *   CRASH_STOP_AT=K   stop itself (SIGSTOP) as the K-th SQL statement starts; statement 1
 *                     is the driver's own call (SELECT tenant_migrate() ...), the rest are
 *                     the statements the extension runs on this connection inside it.  The
 *                     suite sees the stopped process and kills it there.
 *   CRASH_MARK=PATH   write "in\n" to PATH (a FIFO the suite reads) as the first statement
 *                     whose text contains CRASH_MARK_AT (default "CREATE TABLE m1") starts:
 *                     the suite times its kill from that moment.
 *   CRASH_COUNT=1     after the action, print "statements N" and "batch_from B" (the index
 *                     of the first statement after BEGIN) so the suite can choose K.
 *
 * JOURNAL is delete or wal.  It must not decide anything about migrations:
 * it only drives the extension and reads the files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <fcntl.h>
#include <sqlite3.h>

#define ROWS "5000"
#define NMIG 5

static const char *const UP[NMIG] = {
	"CREATE TABLE m1 (id INTEGER PRIMARY KEY, b TEXT);"
	" WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " ROWS ")"
	" INSERT INTO m1 (id, b) SELECT i, hex(randomblob(16)) FROM n;",
	"CREATE TABLE m2 (id INTEGER PRIMARY KEY, ref INTEGER, pad TEXT);"
	" WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " ROWS ")"
	" INSERT INTO m2 SELECT i, i % 97, hex(randomblob(32)) FROM n;",
	"CREATE INDEX m1_b ON m1 (b); CREATE INDEX m2_pad ON m2 (pad);",
	"CREATE TABLE m4 AS SELECT m1.id AS id, m1.b || m2.pad AS joined FROM m1 JOIN m2 USING (id);",
	"ALTER TABLE m1 ADD COLUMN c INTEGER; UPDATE m1 SET c = id * 2;",
};

/* SQL that gives 1 when migration i's objects are fully there, 0 when absent. */
static const char *const PRESENT[NMIG] = {
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'm1'",
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'm2'",
	"SELECT count(*) = 2 FROM sqlite_master WHERE type = 'index' AND name IN ('m1_b', 'm2_pad')",
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'm4'",
	"SELECT count(*) FROM pragma_table_info('m1') WHERE name = 'c'",
};

/* Row counts that must hold when the objects are there (NULL: none). */
static const char *const FULL[NMIG] = {
	"SELECT count(*) = " ROWS " FROM m1",
	"SELECT count(*) = " ROWS " FROM m2",
	NULL,
	"SELECT count(*) = " ROWS " FROM m4",
	"SELECT count(*) = " ROWS " FROM m1 WHERE c = id * 2",
};

/* SQLITE_TRACE_STMT fires as each statement starts, also the ones the extension runs */
static long		   stmt_count;
static long		   batch_from;
static long		   stop_at;
static const char *mark_path;
static const char *mark_at = "CREATE TABLE m1";
static int		   marked;

static int
on_statement(unsigned type, void *ctx, void *p, void *x)
{
	const char *sql = (const char *) x;

	(void) ctx;
	(void) p;
	if (type != SQLITE_TRACE_STMT || sql == NULL)
		return 0;
	stmt_count++;
	/* nested statements are traced as "-- <sql>" */
	if (strncmp(sql, "-- ", 3) == 0)
		sql += 3;
	if (batch_from == 0 && strncmp(sql, "BEGIN", 5) == 0)
		batch_from = stmt_count + 1;
	if (mark_path && !marked && strstr(sql, mark_at) != NULL)
	{
		int fd = open(mark_path, O_WRONLY | O_NONBLOCK);

		marked = 1;
		if (fd >= 0)
		{
			if (write(fd, "in\n", 3) != 3)
				fprintf(stderr, "mark: short write\n");
			close(fd);
		}
	}
	if (stop_at > 0 && stmt_count == stop_at)
		raise(SIGSTOP); /* the suite kills us here, inside the operation */
	return 0;
}

static int
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "error: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	return 1;
}

static long long
scalar(sqlite3 *db, const char *sql, int *ok)
{
	sqlite3_stmt *st;
	long long	  v = -1;

	*ok = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
	{
		v = sqlite3_column_int64(st, 0);
		*ok = 1;
	}
	sqlite3_finalize(st);
	return v;
}

static int
run_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	int			  rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite3_errcode(db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_text(st, 0))
			snprintf(out, size, "%s", (const char *) sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
check(sqlite3 *db)
{
	char buf[512];
	int	 ok, bad = 0, applied = 0;

	if (run_text(db, "PRAGMA integrity_check", buf, sizeof(buf)) != SQLITE_OK || strcmp(buf, "ok") != 0)
	{
		printf("integrity_check: %s %s\n", buf, sqlite3_errmsg(db));
		return 1;
	}
	for (int i = 0; i < NMIG; i++)
	{
		char	  sql[128];
		long long row, present;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM tenancy_applied WHERE version = '%d'", i + 1);
		row = scalar(db, sql, &ok);
		if (!ok)
			row = 0; /* no tracking table yet: nothing applied */
		present = scalar(db, PRESENT[i], &ok);
		if (!ok)
		{
			printf("cannot check migration %d: %s\n", i + 1, sqlite3_errmsg(db));
			return 1;
		}
		if (row != present)
		{
			printf("migration %d: tracking row %s but objects %s\n", i + 1,
				   row ? "exists" : "missing", present ? "exist" : "missing");
			bad = 1;
		}
		if (present && FULL[i] && scalar(db, FULL[i], &ok) != 1)
		{
			printf("migration %d: objects exist but are incomplete\n", i + 1);
			bad = 1;
		}
		applied += row > 0;
	}
	/* each applied version was recorded as applied exactly once */
	if (scalar(db, "SELECT count(*) FROM (SELECT version FROM tenancy_history WHERE action = 'apply'"
				   " GROUP BY version HAVING count(*) <> 1)",
			   &ok) > 0)
	{
		printf("history shows a version applied more than once\n");
		bad = 1;
	}
	if (ok && scalar(db, "SELECT count(DISTINCT version) FROM tenancy_history WHERE action = 'apply'", &ok) != applied)
	{
		printf("history apply rows do not match the applied rows\n");
		bad = 1;
	}
	printf("applied %d\n", applied);
	return bad;
}

int
main(int argc, char **argv)
{
	sqlite3	   *db = NULL;
	char	   *err = NULL;
	char		buf[1024];
	char		sqlbuf[64];
	const char *ext, *file, *journal, *action;
	int			rc;

	if (argc < 5)
	{
		fprintf(stderr, "usage: crash_driver EXT DB delete|wal setup|migrate|check|create NAME|register NAME|tenantset\n");
		return 2;
	}
	ext = argv[1];
	file = argv[2];
	journal = argv[3];
	action = argv[4];
	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		return die(db, "open");
	sqlite3_busy_timeout(db, 10000);
	snprintf(sqlbuf, sizeof(sqlbuf), "PRAGMA journal_mode = %s", journal);
	if (run_text(db, sqlbuf, buf, sizeof(buf)) != SQLITE_OK)
		return die(db, "journal_mode");
	if (strcmp(action, "check") == 0)
	{
		rc = check(db);
		sqlite3_close(db);
		return rc;
	}
	if (getenv("CRASH_STOP_AT") || getenv("CRASH_MARK") || getenv("CRASH_COUNT"))
	{
		stop_at = getenv("CRASH_STOP_AT") ? atol(getenv("CRASH_STOP_AT")) : 0;
		mark_path = getenv("CRASH_MARK");
		if (getenv("CRASH_MARK_AT"))
			mark_at = getenv("CRASH_MARK_AT");
		sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_statement, NULL);
	}
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, ext, "sqlite3_tenancy_init", &err) != SQLITE_OK)
	{
		fprintf(stderr, "error: load %s: %s\n", ext, err ? err : "?");
		return 1;
	}
	if (strcmp(action, "setup") == 0 || strcmp(action, "tenantset") == 0)
	{
		const char *scope = strcmp(action, "setup") == 0 ? "database" : "tenants";

		for (int i = 0; i < NMIG; i++)
		{
			char *sql = sqlite3_mprintf("SELECT tenant_migration_add('%d', 'step_%d', %Q, NULL, %Q)",
										i + 1, i + 1, UP[i], scope);

			rc = run_text(db, sql, buf, sizeof(buf));
			sqlite3_free(sql);
			if (rc != SQLITE_OK)
				return die(db, "tenant_migration_add");
		}
		printf("setup\n");
	}
	else if (strcmp(action, "migrate") == 0)
	{
		if (run_text(db, "SELECT tenant_migrate()", buf, sizeof(buf)) != SQLITE_OK)
			return die(db, "tenant_migrate");
		printf("applied %s\n", buf);
	}
	else if ((strcmp(action, "create") == 0 || strcmp(action, "register") == 0) && argc > 5)
	{
		char *sql = strcmp(action, "create") == 0
						? sqlite3_mprintf("SELECT tenant_create(%Q)", argv[5])
						: sqlite3_mprintf("SELECT tenant_register(%Q, %Q)", argv[5], sqlite3_mprintf("%s.db", argv[5]));

		rc = run_text(db, sql, buf, sizeof(buf));
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			return die(db, action);
		printf("%s %s\n", action, buf);
	}
	else
	{
		fprintf(stderr, "unknown action %s\n", action);
		return 2;
	}
	if (getenv("CRASH_COUNT"))
		printf("statements %ld\nbatch_from %ld\n", stmt_count, batch_from);
	sqlite3_close(db);
	return 0;
}
