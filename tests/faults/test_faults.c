/*
 * test_faults.c -- fault injection for the core's engine: every adapter call
 * and every allocation is made to fail in turn, and each operation must then
 * return an error value (never crash, never leak under ASan) and leave the
 * database exactly as it was (bar the history row a failed batch records).
 *
 * The real adapter underneath is the SQLite one (linked with -DSQLITE_CORE);
 * the fault layer wraps its function pointers.  Allocation failures come
 * from a --wrap=malloc/calloc/realloc/strdup shim that fails the Nth call
 * made while armed.
 *
 * Ends with exactly "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqlite_adapter.h"
#include "tenancy.h"

static int n_pass;
static int n_fail;

/*
 * Every check has a short label saying what it asserts; the end of the run
 * prints one line per label with how many times it held and failed, so the
 * count says what was checked (not only how often).
 */
#define MAX_LABELS 256
static struct
{
	char label[120];
	int	 pass;
	int	 fail;
} tally[MAX_LABELS];
static int n_labels;

static void
check(int ok, const char *label, long n)
{
	int i;

	for (i = 0; i < n_labels; i++)
		if (strcmp(tally[i].label, label) == 0)
			break;
	if (i == n_labels && n_labels < MAX_LABELS)
		snprintf(tally[n_labels++].label, sizeof(tally[0].label), "%s", label);
	if (ok)
	{
		n_pass++;
		if (i < n_labels)
			tally[i].pass++;
	}
	else
	{
		n_fail++;
		if (i < n_labels)
			tally[i].fail++;
		printf("FAIL - %s (fault %ld)\n", label, n);
	}
}

static void
print_tally(void)
{
	for (int i = 0; i < n_labels; i++)
		printf("%s - %s: %d held%s\n", tally[i].fail ? "FAIL" : "ok", tally[i].label, tally[i].pass,
			   tally[i].fail ? " (some failed, see above)" : "");
}

/* ---- allocation faults ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

static long alloc_countdown = -1; /* -1: never fail */
static int	alloc_failed;

static int
alloc_should_fail(void)
{
	if (alloc_countdown < 0)
		return 0;
	if (alloc_countdown-- == 0)
	{
		alloc_failed = 1;
		return 1;
	}
	return 0;
}

void *
__wrap_malloc(size_t n)
{
	return alloc_should_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t a, size_t b)
{
	return alloc_should_fail() ? NULL : __real_calloc(a, b);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return alloc_should_fail() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return alloc_should_fail() ? NULL : __real_strdup(s);
}

/* ---- adapter faults ---- */

typedef struct fault_ctx
{
	tn_adapter *real;
	long		calls;
	long		fail_at;		/* 0: never */
	long		opened;			/* begin and savepoint calls made (faulted or not) */
	long		scripts;		/* exec_script calls made */
	long		script_fail_at; /* 0: never; else fail the Nth exec_script call */
} fault_ctx;

static fault_ctx faults;

static int
inject(tn_error *err)
{
	faults.calls++;
	if (faults.fail_at > 0 && faults.calls == faults.fail_at)
		return tn_error_set(err, TN_ERR_ENGINE, "injected fault at call %ld", faults.calls);
	return TN_OK;
}

static int
f_query(void *ctx, const char *sql, int n, const tn_value *p, tn_row_fn fn, void *arg, tn_error *err)
{
	(void) ctx;
	if (inject(err))
		return TN_ERR_ENGINE;
	return faults.real->query(faults.real->ctx, sql, n, p, fn, arg, err);
}

static int
f_exec_script(void *ctx, const char *script, long *off, tn_error *err)
{
	(void) ctx;
	faults.scripts++;
	if (faults.script_fail_at > 0 && faults.scripts == faults.script_fail_at)
	{
		/* the body runs (its objects exist now), then fails: a late statement error */
		int rc = faults.real->exec_script(faults.real->ctx, script, off, err);

		if (rc != TN_OK)
			return rc;
		*off = 0;
		return tn_error_set(err, TN_ERR_ENGINE, "injected failure of migration body %ld", faults.scripts);
	}
	if (inject(err))
	{
		*off = 0;
		return TN_ERR_ENGINE;
	}
	return faults.real->exec_script(faults.real->ctx, script, off, err);
}

#define WRAP0(name)                                                         \
	static int                                                              \
		f_##name(void *ctx, tn_error *err)                                  \
	{                                                                       \
		(void) ctx;                                                         \
		if (strcmp(#name, "begin") == 0 || strcmp(#name, "savepoint") == 0) \
			faults.opened++;                                                \
		if (inject(err))                                                    \
			return TN_ERR_ENGINE;                                           \
		return faults.real->name(faults.real->ctx, err);                    \
	}

WRAP0(begin)
WRAP0(commit)
WRAP0(savepoint)
WRAP0(release)
WRAP0(rollback_to)

/* Rollback must not be faulted: a failing rollback is not recoverable by design. */
static int
f_rollback(void *ctx, tn_error *err)
{
	(void) ctx;
	return faults.real->rollback(faults.real->ctx, err);
}

static int
f_snapshot_save(void *ctx, const char *cp, tn_error *err)
{
	(void) ctx;
	if (inject(err))
		return TN_ERR_ENGINE;
	return faults.real->snapshot_save(faults.real->ctx, cp, err);
}

static int
f_snapshot_restore(void *ctx, const char *cp, tn_error *err)
{
	(void) ctx;
	if (inject(err))
		return TN_ERR_ENGINE;
	return faults.real->snapshot_restore(faults.real->ctx, cp, err);
}

static int
f_snapshot_drop(void *ctx, const char *cp, tn_error *err)
{
	(void) ctx;
	return faults.real->snapshot_drop(faults.real->ctx, cp, err);
}

static tn_adapter
fault_adapter(tn_adapter *real)
{
	tn_adapter a = *real;

	faults.real = real;
	a.ctx = &faults;
	a.query = f_query;
	a.exec_script = f_exec_script;
	a.begin = f_begin;
	a.commit = f_commit;
	a.rollback = f_rollback;
	a.savepoint = f_savepoint;
	a.release = f_release;
	a.rollback_to = f_rollback_to;
	a.exec_outside_transaction = NULL;
	a.snapshot_save = f_snapshot_save;
	a.snapshot_restore = f_snapshot_restore;
	a.snapshot_drop = f_snapshot_drop;
	return a;
}

/* ---- database fixtures ---- */

static const char *dir;

static void
die(const char *what, sqlite3 *db)
{
	fprintf(stderr, "setup failed: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
	exit(2);
}

static void
exec_or_die(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql, db);
}

/* A stable text picture of the database: every table's rows, minus volatile columns. */
static char *
picture(sqlite3 *db, int skip_fail_history)
{
	sqlite3_stmt *tables;
	sqlite3_str	 *out = sqlite3_str_new(db);

	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type IN ('table','index')"
							   " AND name NOT LIKE 'sqlite_%' ORDER BY name",
						   -1, &tables, NULL) != SQLITE_OK)
		die("picture", db);
	while (sqlite3_step(tables) == SQLITE_ROW)
	{
		const char	 *name = (const char *) sqlite3_column_text(tables, 0);
		char		 *q;
		sqlite3_stmt *rows;

		sqlite3_str_appendf(out, "%s: %s\n", name, sqlite3_column_text(tables, 1));
		if (strncmp(name, "sqlite_autoindex", 16) == 0 || sqlite3_column_type(tables, 1) == SQLITE_NULL ||
			strncmp((const char *) sqlite3_column_text(tables, 1), "CREATE INDEX", 12) == 0 ||
			strncmp((const char *) sqlite3_column_text(tables, 1), "CREATE UNIQUE INDEX", 19) == 0)
			continue;
		if (strcmp(name, "tenancy_history") == 0 && skip_fail_history)
			q = sqlite3_mprintf("SELECT action, version, batch FROM \"%w\" WHERE action <> 'fail' ORDER BY 1,2,3", name);
		else if (strcmp(name, "tenancy_history") == 0)
			q = sqlite3_mprintf("SELECT action, version, batch FROM \"%w\" ORDER BY 1,2,3", name);
		else if (strcmp(name, "tenancy_checkpoints") == 0)
			q = sqlite3_mprintf("SELECT batch, version, kind, mode, name LIKE 'pre_migration_%%' FROM \"%w\" ORDER BY 1,2,3,4", name);
		else if (strcmp(name, "tenancy_applied") == 0)
			q = sqlite3_mprintf("SELECT version, checksum, batch FROM \"%w\" ORDER BY 1", name);
		else if (strcmp(name, "tenancy_catalog") == 0)
			q = sqlite3_mprintf("SELECT version, name, checksum, down_sql FROM \"%w\" ORDER BY 1", name);
		else
			q = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1", name);
		if (sqlite3_prepare_v2(db, q, -1, &rows, NULL) != SQLITE_OK)
			die(q, db);
		sqlite3_free(q);
		while (sqlite3_step(rows) == SQLITE_ROW)
		{
			for (int c = 0; c < sqlite3_column_count(rows); c++)
				sqlite3_str_appendf(out, "%s|", sqlite3_column_text(rows, c));
			sqlite3_str_appendall(out, "\n");
		}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	return sqlite3_str_finish(out);
}

/* A database with migrations 1-2 applied (batch 1), 3-4 pending; 3 has a down, 4 has none. */
static sqlite3 *
fresh_db(tn_sqlite_conn *conn)
{
	char			   path[512];
	sqlite3			  *db;
	tn_error		   err;
	tn_migrate_opts	   opts = { 0 };
	tn_migrate_result  res;
	static const char *mig[][4] = {
		{ "1", "users", "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;" },
		{ "2", "seed", "INSERT INTO users(email) VALUES ('a'), ('b');", "DELETE FROM users;" },
		{ "3", "roles", "CREATE TABLE roles(n TEXT); INSERT INTO roles VALUES ('x');", "DROP TABLE roles;" },
		{ "4", "index", "CREATE INDEX users_email ON users(email);", NULL },
	};

	snprintf(path, sizeof(path), "%s/faults.db", dir);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open", db);
	tn_sqlite_conn_init(conn, db);
	tn_error_clear(&err);
	if (tn_sqlite_ensure_schema(conn, &err) != TN_OK)
		die("schema", db);
	for (int i = 0; i < 4; i++)
	{
		tn_migration m;
		int			 added;

		if (tn_migration_from_args(mig[i][0], mig[i][1], mig[i][2], mig[i][3], TN_DIALECT_SQLITE, &m, &err) != TN_OK ||
			tn_catalog_add(&conn->adapter, &m, &added, &err) != TN_OK)
			die(err.message, db);
		tn_migration_clear(&m);
		if (i == 1)
		{
			if (tn_migrate(&conn->adapter, &opts, &res, &err) != TN_OK)
				die(err.message, db);
			tn_migrate_result_free(&res);
		}
	}
	exec_or_die(db, "UPDATE tenancy_checkpoints SET name = 'before_1'");
	return db;
}

typedef int (*scenario_fn)(const tn_adapter *a, tn_error *err);

static int
sc_migrate(const tn_adapter *a, tn_error *err)
{
	tn_migrate_opts	  opts = { 0 };
	tn_migrate_result res;
	int				  rc = tn_migrate(a, &opts, &res, err);

	tn_migrate_result_free(&res);
	return rc;
}

static int
sc_dry_run(const tn_adapter *a, tn_error *err)
{
	tn_migrate_opts	  opts = { 0 };
	tn_migrate_result res;
	int				  rc;

	opts.dry_run = 1;
	rc = tn_migrate(a, &opts, &res, err);
	tn_migrate_result_free(&res);
	return rc;
}

static int
sc_rollback(const tn_adapter *a, tn_error *err)
{
	long long n;

	return tn_rollback(a, "before_1", &n, err);
}

static int
sc_baseline(const tn_adapter *a, tn_error *err)
{
	long long n;

	return tn_baseline(a, "4", &n, err);
}

static int
sc_checkpoint(const tn_adapter *a, tn_error *err)
{
	char name[64];

	return tn_checkpoint(a, "cp1", 0, name, sizeof(name), err);
}

static int
sc_snapshot(const tn_adapter *a, tn_error *err)
{
	char name[64];

	return tn_checkpoint(a, "snap1", 1, name, sizeof(name), err);
}

static int
sc_add(const tn_adapter *a, tn_error *err)
{
	tn_migration m;
	int			 added;
	int			 rc;

	rc = tn_migration_from_args("5", "more", "CREATE TABLE t5(a);", "DROP TABLE t5;", TN_DIALECT_SQLITE, &m, err);
	if (rc != TN_OK)
		return rc;
	rc = tn_catalog_add(a, &m, &added, err);
	tn_migration_clear(&m);
	return rc;
}

static int
sc_reports(const tn_adapter *a, tn_error *err)
{
	tn_rows r;
	int		rc;

	if ((rc = tn_status(a, &r, err)) != TN_OK)
		return rc;
	tn_rows_free(&r);
	if ((rc = tn_verify(a, &r, err)) != TN_OK)
		return rc;
	tn_rows_free(&r);
	if ((rc = tn_plan(a, NULL, &r, err)) != TN_OK)
		return rc;
	tn_rows_free(&r);
	if ((rc = tn_history(a, &r, err)) != TN_OK)
		return rc;
	tn_rows_free(&r);
	if ((rc = tn_checkpoints(a, &r, err)) != TN_OK)
		return rc;
	tn_rows_free(&r);
	return TN_OK;
}

typedef enum
{
	ADAPTER_FAULTS,
	ALLOC_FAULTS
} fault_kind;

/*
 * Run scenario with fault n.  Returns 1 if a fault was actually hit.
 * Checks: on error, a real error value, and (for a scenario that writes) the
 * database equals the starting picture; on success it equals the picture of
 * an unfaulted run; and, when the run opened a transaction or savepoint, none
 * is left open.  A read-only scenario's "unchanged" and a run that never
 * opened a transaction's "autocommit" could not fail: they are not counted.
 */
static int
run_one(const char *label, scenario_fn sc, int writes, fault_kind kind, long n, const char *clean_after)
{
	tn_sqlite_conn conn;
	sqlite3		  *db = fresh_db(&conn);
	char		  *before = picture(db, 1);
	tn_adapter	   a = fault_adapter(&conn.adapter);
	tn_error	   err;
	int			   rc;
	int			   hit;
	char		  *after;
	char		   what[200];
	const char	  *k = kind == ADAPTER_FAULTS ? "adapter" : "allocation";

	tn_error_clear(&err);
	faults.calls = 0;
	faults.opened = 0;
	faults.scripts = 0;
	faults.script_fail_at = 0;
	faults.fail_at = kind == ADAPTER_FAULTS ? n : 0;
	alloc_failed = 0;
	alloc_countdown = kind == ALLOC_FAULTS ? n : -1;
	rc = sc(&a, &err);
	alloc_countdown = -1;
	hit = kind == ADAPTER_FAULTS ? faults.calls >= n : alloc_failed;
	after = picture(db, 1);
	if (rc != TN_OK)
	{
		if ((int) err.code != rc || err.message[0] == '\0')
			printf("  error value incomplete: rc %d, code %d, message \"%s\"\n", rc, (int) err.code, err.message);
		snprintf(what, sizeof(what), "%s, %s fault: error returned with code and message", label, k);
		check((int) err.code == rc && err.message[0] != '\0', what, n);
		if (writes)
		{
			if (strcmp(before, after) != 0)
				printf("  database changed after error: %s\n", err.message);
			snprintf(what, sizeof(what), "%s, %s fault: error leaves the database as it was", label, k);
			check(strcmp(before, after) == 0, what, n);
		}
	}
	else if (clean_after != NULL)
	{
		if (strcmp(after, clean_after) != 0)
			printf("  success left another state than a clean run\n");
		snprintf(what, sizeof(what), "%s, %s fault: success gives the state of a clean run", label, k);
		check(strcmp(after, clean_after) == 0, what, n);
	}
	if (faults.opened > 0)
	{
		snprintf(what, sizeof(what), "%s, %s fault: no transaction left open", label, k);
		check(sqlite3_get_autocommit(db), what, n);
	}
	sqlite3_free(before);
	sqlite3_free(after);
	sqlite3_close(db);
	return hit;
}

static void
run_scenario(const char *label, scenario_fn sc, int writes)
{
	tn_sqlite_conn conn;
	sqlite3		  *db = fresh_db(&conn);
	tn_error	   err;
	char		  *clean;
	char		  *start;
	long		   n;

	tn_error_clear(&err);
	start = picture(db, 1);
	if (sc(&conn.adapter, &err) != TN_OK && strcmp(label, "dry_run") != 0)
		printf("note: %s fails even without faults: %s\n", label, err.message);
	clean = picture(db, 1);
	sqlite3_close(db);
	/* a scenario declared read-only must really change nothing (else its checks would be too few) */
	check(writes || strcmp(start, clean) == 0, "read-only scenario changes nothing without faults", 0);
	sqlite3_free(start);
	for (n = 1; n < 400 && run_one(label, sc, writes, ADAPTER_FAULTS, n, clean); n++)
		;
	printf("ok - %s: %ld adapter faults\n", label, n - 1);
	for (n = 0; n < 4000 && run_one(label, sc, writes, ALLOC_FAULTS, n, clean); n++)
		;
	printf("ok - %s: %ld allocation faults\n", label, n);
	sqlite3_free(clean);
}

/* ---- a failure in the middle of a batch ---- */

#define BATCH_FIRST 3
#define BATCH_LAST	8

static long long
scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long	  v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql, db);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* migrations 1-2 applied (batch 1); 3..8 pending, each a table with one row and a down */
static sqlite3 *
batch_db(tn_sqlite_conn *conn)
{
	sqlite3 *db = fresh_db(conn);
	tn_error err;

	tn_error_clear(&err);
	exec_or_die(db, "DELETE FROM tenancy_catalog WHERE version IN ('3', '4')");
	for (int v = BATCH_FIRST; v <= BATCH_LAST; v++)
	{
		char		 ver[8], name[16], up[128], down[64];
		tn_migration m;
		int			 added;

		snprintf(ver, sizeof(ver), "%d", v);
		snprintf(name, sizeof(name), "step %d", v);
		snprintf(up, sizeof(up), "CREATE TABLE t%d(a); INSERT INTO t%d VALUES (%d);", v, v, v);
		snprintf(down, sizeof(down), "DROP TABLE t%d;", v);
		if (tn_migration_from_args(ver, name, up, down, TN_DIALECT_SQLITE, &m, &err) != TN_OK ||
			tn_catalog_add(&conn->adapter, &m, &added, &err) != TN_OK)
			die(err.message, db);
		tn_migration_clear(&m);
	}
	return db;
}

/*
 * The body of the k-th migration of a 6-migration batch runs and then fails.
 * The promise: the whole batch is rolled back (no tracking row, no object of
 * any of its migrations, no checkpoint of it), what was applied before stays,
 * history records the failure, nothing is left open, and a rerun applies the
 * whole batch.
 */
static void
run_batch_failures(void)
{
	for (int k = 1; k <= BATCH_LAST - BATCH_FIRST + 1; k++)
	{
		tn_sqlite_conn	  conn;
		sqlite3			 *db = batch_db(&conn);
		tn_adapter		  a = fault_adapter(&conn.adapter);
		tn_migrate_opts	  opts = { 0 };
		tn_migrate_result res;
		tn_error		  err;
		int				  rc;
		int				  failing = BATCH_FIRST + k - 1;
		long long		  checkpoints = scalar(db, "SELECT count(*) FROM tenancy_checkpoints");
		char			  sql[200];

		tn_error_clear(&err);
		faults.calls = 0;
		faults.fail_at = 0;
		faults.opened = 0;
		faults.scripts = 0;
		faults.script_fail_at = k;
		rc = tn_migrate(&a, &opts, &res, &err);
		faults.script_fail_at = 0;
		tn_migrate_result_free(&res);
		check(rc == TN_ERR_MIGRATION_FAILED, "batch failure: tn_migrate returns migration_failed", k);
		check(strstr(err.message, "migration") != NULL && err.detail[0] != '\0',
			  "batch failure: the error names the migration and has a detail", k);
		check(sqlite3_get_autocommit(db), "batch failure: no transaction left open", k);
		for (int v = BATCH_FIRST; v <= BATCH_LAST; v++)
		{
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM tenancy_applied WHERE version = '%d'", v);
			if (scalar(db, sql) != 0)
				printf("  failure in migration %d: version %d stays tracked\n", failing, v);
			check(scalar(db, sql) == 0, "batch failure: no tracking row of any batch version", k);
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE name = 't%d'", v);
			if (scalar(db, sql) != 0)
				printf("  failure in migration %d: objects of version %d stay\n", failing, v);
			check(scalar(db, sql) == 0, "batch failure: no object of any batch version", k);
		}
		check(scalar(db, "SELECT count(*) FROM tenancy_applied WHERE version IN ('1', '2')") == 2 &&
				  scalar(db, "SELECT count(*) FROM users") == 2,
			  "batch failure: the versions applied before the batch stay", k);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM tenancy_history WHERE action = 'fail' AND version = '%d'", failing);
		check(scalar(db, sql) == 1, "batch failure: history has one fail row naming the failing version", k);
		check(scalar(db, "SELECT count(*) FROM tenancy_history WHERE action = 'apply' AND batch > 1") == 0,
			  "batch failure: history has no apply row of the failed batch", k);
		check(scalar(db, "SELECT count(*) FROM tenancy_checkpoints") == checkpoints,
			  "batch failure: no checkpoint of the failed batch stays", k);

		/* the rerun, no faults: the whole batch */
		tn_error_clear(&err);
		rc = tn_migrate(&a, &opts, &res, &err);
		check(rc == TN_OK && res.applied == BATCH_LAST - BATCH_FIRST + 1,
			  "batch failure: a rerun applies the whole batch", k);
		tn_migrate_result_free(&res);
		check(scalar(db, "SELECT count(*) FROM tenancy_applied") == BATCH_LAST &&
				  scalar(db, "SELECT count(*) FROM sqlite_master WHERE name GLOB 't[0-9]'") == BATCH_LAST - BATCH_FIRST + 1,
			  "batch failure: after the rerun every version is tracked and its object exists", k);
		sqlite3_close(db);
	}
	printf("ok - batch failure: a body failing at each of %d positions\n", BATCH_LAST - BATCH_FIRST + 1);
}

int
main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : "/tmp";
	/* TN_FAULTS_ONLY=batch: only the mid-batch failures (the quick part, for mutant runs) */
	if (getenv("TN_FAULTS_ONLY") && strcmp(getenv("TN_FAULTS_ONLY"), "batch") == 0)
	{
		run_batch_failures();
		print_tally();
		printf("%d passed, %d failed\n", n_pass, n_fail);
		return n_fail ? 1 : 0;
	}
	run_scenario("migrate", sc_migrate, 1);
	run_scenario("dry_run", sc_dry_run, 1);
	run_scenario("rollback", sc_rollback, 1);
	run_scenario("baseline", sc_baseline, 1);
	run_scenario("checkpoint", sc_checkpoint, 1);
	run_scenario("snapshot", sc_snapshot, 1);
	run_scenario("catalog_add", sc_add, 1);
	run_scenario("reports", sc_reports, 0);
	run_batch_failures();
	print_tally();
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
