/*
 * sqlite_fallback_all.c -- the fallback over a registry: a SQLite registry
 * mirrors a PostgreSQL registry, one SQLite tenant per PostgreSQL tenant.
 *   tenant_fallback_pull_all(primary_registry [, concurrency])
 *       creates (from the template) the SQLite tenants that are missing,
 *       then pulls each from its PostgreSQL tenant;
 *   tenant_fallback_push_all(primary_registry [, on_conflict [, concurrency]])
 *   tenant_fallback_status_all(primary_registry [, concurrency])
 * primary_registry is the connection string of the PostgreSQL registry's
 * database (tenancy.tenants); each tenant is reached by its location,
 * database and schema (tn_fb_tenant_conninfo).  Tenants run on up to
 * concurrency threads, each with its own SQLite and libpq connections;
 * one tenant's failure is its row, never the others' (as in
 * tenant_migrate_all).  pull_all and push_all are recorded as a run
 * (tenant_runs(): target NULL, one run_tenants row per tenant, applied =
 * rows copied or changes pushed).
 *
 * Must not: pull or push itself (tnfb_pull / tnfb_push do, per file), or
 * decide a status word (tn_fb_all_status, tn_fb_push_all_status).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fallback.h"
#include "sqlite_registry_internal.h"
#include "tn_sql.h"

SQLITE_EXTENSION_INIT3

typedef enum
{
	ALL_PULL,
	ALL_PUSH,
	ALL_STATUS
} all_mode;

typedef struct all_tenant
{
	char	 *name;
	char	 *conninfo; /* NULL: err says why */
	char	 *path;		/* the SQLite tenant file, resolved */
	int		  created;
	int		  contacted; /* push: it connected to the primary (0: nothing was recorded) */
	int		  rc;
	tn_error  err;
	tn_rows	  rows; /* what tnfb_pull / _push / _status returned */
	long long ms;
} all_tenant;

typedef struct all_job
{
	all_mode		mode;
	const char	   *policy;
	all_tenant	   *t;
	size_t			n;
	size_t			next;
	pthread_mutex_t lock;
} all_job;

static void
run_tenant(all_job *job, all_tenant *t)
{
	tn_sqlite_conn tc;
	double		   t0 = tn_monotonic_ms();

	if (t->conninfo == NULL || t->path == NULL)
		return; /* t->rc and t->err were set when the tenant was listed */
	if ((t->rc = tnsq_open_tenant_file(t->path, OPEN_RW, &tc, &t->err)) == TN_OK)
	{
		if (job->mode == ALL_PULL)
			t->rc = tnfb_pull(tc.db, t->conninfo, NULL, &t->rows, &t->err);
		else if (job->mode == ALL_PUSH)
			t->rc = tnfb_push(tc.db, t->conninfo, job->policy, &t->rows, &t->contacted, &t->err);
		else
			t->rc = tnfb_status(tc.db, t->conninfo, &t->rows, &t->err);
		tnsq_close_tenant(&tc);
	}
	t->ms = (long long) (tn_monotonic_ms() - t0 + 0.5);
}

static void *
worker(void *arg)
{
	all_job *job = arg;

	for (;;)
	{
		size_t i;

		pthread_mutex_lock(&job->lock);
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->n)
			return NULL;
		run_tenant(job, &job->t[i]);
	}
}

static void
run_all(all_job *job, long long concurrency)
{
	pthread_mutex_init(&job->lock, NULL);
	tnsq_run_threads(worker, job, concurrency < (long long) job->n ? concurrency : (long long) job->n);
	pthread_mutex_destroy(&job->lock);
}

static void
job_free(all_job *job)
{
	for (size_t i = 0; i < job->n; i++)
	{
		free(job->t[i].name);
		free(job->t[i].conninfo);
		free(job->t[i].path);
		tn_rows_free(&job->t[i].rows);
	}
	free(job->t);
}

/* The SQLite tenant of name: its file, created from the template when missing (pull only). */
static int
local_tenant(sqlite3 *db, tn_sqlite_conn *conn, const registry_paths *rp, all_mode mode,
			 all_tenant *t, tn_error *err)
{
	tn_value p[1] = { tn_text(t->name) };
	tn_rows	 loc;
	int		 rc = tn_query_rows(&conn->adapter, "SELECT location FROM {T}tenants WHERE name = $1", 1, p, 1,
								&loc, err);

	if (rc != TN_OK)
		return rc;
	if (loc.nrows == 0 && mode == ALL_PULL)
	{
		sqlite3_stmt *st;

		tn_rows_free(&loc);
		if (sqlite3_prepare_v2(db, "SELECT tenant_create(?1)", -1, &st, NULL) != SQLITE_OK)
			return tn_sqlite_error(db, sqlite3_errcode(db), err);
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
		{
			tn_error_set(err, TN_ERR_ENGINE, "could not create SQLite tenant \"%s\": %s", t->name, sqlite3_errmsg(db));
			sqlite3_finalize(st);
			return err->code;
		}
		sqlite3_finalize(st);
		t->created = 1;
		if ((rc = tn_query_rows(&conn->adapter, "SELECT location FROM {T}tenants WHERE name = $1", 1, p, 1,
								&loc, err)) != TN_OK)
			return rc;
	}
	if (loc.nrows == 0)
	{
		tn_rows_free(&loc);
		tn_error_set(err, TN_ERR_NOT_FOUND, "tenant \"%s\" has no SQLite fallback in this registry", t->name);
		tn_error_hint(err, "Create it with SELECT * FROM tenant_fallback_pull_all(primary_registry).");
		return err->code;
	}
	rc = tn_validate_tenant_path(rp->dir, tn_rows_get(&loc, 0, 0), 1, &t->path, err);
	if (rc == TN_ERR_NOT_FOUND)
		rc = tn_error_set(err, TN_ERR_UNREACHABLE, "tenant file \"%s\" is missing", tn_rows_get(&loc, 0, 0));
	tn_rows_free(&loc);
	return rc;
}

/* The PostgreSQL registry's tenants, each with its connection string and SQLite file. */
static int
list_tenants(sqlite3 *db, tn_sqlite_conn *conn, const registry_paths *rp, const char *registry,
			 all_job *job, tn_error *err)
{
	PGconn	 *pg = NULL;
	PGresult *r = NULL;
	int		  rc;

	if ((rc = tnfb_connect(registry, &pg, err)) != TN_OK)
		return rc;
	rc = tnfb_pq_exec(pg, "SELECT pg_catalog.to_regclass('tenancy.tenants') IS NOT NULL", 0, NULL, &r,
					  "reading the registry", err);
	if (rc == TN_OK && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
	{
		tn_error_set(err, TN_ERR_NOT_FOUND, "primary_registry has no tenancy registry");
		tn_error_detail(err, "Its database has no table tenancy.tenants (the tenancy extension, 1.2 or later).");
		tn_error_hint(err, "Give the connection string of the database where the PostgreSQL tenants were created.");
		rc = err->code;
	}
	PQclear(r);
	r = NULL;
	if (rc == TN_OK)
		rc = tnfb_pq_exec(pg, "SELECT name, location, dbname, schema_name FROM tenancy.tenants ORDER BY name COLLATE \"C\"",
						  0, NULL, &r, "reading the registry", err);
	PQfinish(pg);
	if (rc != TN_OK)
		return rc;
	job->n = (size_t) PQntuples(r);
	if ((job->t = calloc(job->n + 1, sizeof(all_tenant))) == NULL)
	{
		PQclear(r);
		job->n = 0;
		return tnfb_oom(err);
	}
	for (size_t i = 0; rc == TN_OK && i < job->n; i++)
	{
		all_tenant *t = &job->t[i];
		tn_buf		ci = { 0 };

		tn_rows_init(&t->rows, job->mode == ALL_PULL   ? tn_def_fallback_pull.ncols
							   : job->mode == ALL_PUSH ? tn_def_fallback_push.ncols
													   : tn_def_fallback_status.ncols);
		tn_error_clear(&t->err);
		if ((t->name = tnfb_strdup(PQgetvalue(r, (int) i, 0))) == NULL)
		{
			rc = tnfb_oom(err);
			break;
		}
		/* a tenant that cannot be reached or made is its own row, never the call's error */
		t->rc = tn_fb_tenant_conninfo(registry, PQgetisnull(r, (int) i, 1) ? NULL : PQgetvalue(r, (int) i, 1),
									  PQgetvalue(r, (int) i, 2), PQgetisnull(r, (int) i, 3) ? NULL : PQgetvalue(r, (int) i, 3),
									  &ci, &t->err);
		if (t->rc == TN_OK)
		{
			t->conninfo = ci.data;
			t->rc = local_tenant(db, conn, rp, job->mode, t, &t->err);
		}
		else
			tn_buf_free(&ci);
		if (t->rc != TN_OK)
		{
			free(t->conninfo);
			t->conninfo = NULL;
		}
	}
	PQclear(r);
	return rc;
}

/* One result row per tenant from what its call returned. */
static int
tenant_row(all_job *job, all_tenant *t, tn_rows *out, long long *applied)
{
	char		n1[32] = "0", n2[32] = "0", ms[32];
	char	   *error = t->rc != TN_OK ? tn_error_render(&t->err) : NULL;
	const char *row[10];
	long long	a = 0, b = 0;
	int			rc;

	snprintf(ms, sizeof(ms), "%lld", t->ms);
	if (t->rc == TN_OK && job->mode == ALL_PULL)
	{
		for (size_t r = 0; r < t->rows.nrows; r++)
			b += tn_cell_int(tn_rows_get(&t->rows, r, 1), 0);
		a = (long long) t->rows.nrows;
	}
	else if (t->rc == TN_OK && job->mode == ALL_PUSH)
		for (size_t r = 0; r < t->rows.nrows; r++)
		{
			int conflict = strcmp(tn_rows_get(&t->rows, r, 3), TN_FB_CONFLICT) == 0;

			b += conflict;
			a += !conflict;
		}
	snprintf(n1, sizeof(n1), "%lld", a);
	snprintf(n2, sizeof(n2), "%lld", b);
	row[0] = t->name;
	if (job->mode == ALL_STATUS)
	{
		if (t->rc == TN_OK && t->rows.nrows == 1)
			for (int c = 0; c < tn_def_fallback_status.ncols; c++)
				row[c + 1] = tn_rows_get(&t->rows, 0, c);
		else
		{
			for (int c = 0; c < tn_def_fallback_status.ncols; c++)
				row[c + 1] = NULL;
			row[1] = "0";
			row[9] = error;
		}
	}
	else if (job->mode == ALL_PULL)
	{
		row[1] = tn_fb_all_status(TN_FB_PULLED, t->rc, 0);
		row[2] = t->created ? "1" : "0";
		row[3] = n1;
		row[4] = n2;
		row[5] = ms;
		row[6] = error;
		*applied = b;
	}
	else
	{
		row[1] = tn_fb_push_all_status(t->rc, t->contacted, b);
		row[2] = n1;
		row[3] = n2;
		row[4] = ms;
		row[5] = error;
		*applied = a;
	}
	rc = tn_rows_add(out, row);
	free(error);
	return rc;
}

/* Record the run: one run row, one run_tenants row per tenant, the run's status. */
static int
record_run(tn_sqlite_conn *conn, all_job *job, const tn_rows *out, tn_error *err)
{
	long long run_id = 0, applied = 0, failed = 0, unreachable = 0;
	tn_rows	  rt;
	tn_value  p[4];
	int		  rc = tnsq_start_run(conn, NULL, job->n, "running", &run_id, err);

	tn_rows_init(&rt, 8);
	for (size_t i = 0; rc == TN_OK && i < job->n; i++)
	{
		const char *status = tn_rows_get(out, i, 1);
		char		a[32], ms[32];
		const char *row[8];
		long long	n = job->mode == ALL_PULL ? tn_cell_int(tn_rows_get(out, i, 4), 0)
											  : tn_cell_int(tn_rows_get(out, i, 2), 0);

		snprintf(a, sizeof(a), "%lld", n);
		snprintf(ms, sizeof(ms), "%lld", job->t[i].ms);
		applied += n;
		unreachable += strcmp(status, TN_FANOUT_UNREACHABLE) == 0;
		failed += strcmp(status, TN_FANOUT_FAILED) == 0;
		row[0] = job->t[i].name;
		row[1] = status;
		row[2] = row[3] = row[6] = NULL;
		row[4] = a;
		row[5] = ms;
		row[7] = tn_rows_get(out, i, job->mode == ALL_PULL ? 6 : 5);
		if (tn_rows_add(&rt, row) != TN_OK)
			rc = tnfb_oom(err);
		else
			rc = tnsq_insert_run_tenant(conn, run_id, &rt, rt.nrows - 1, err);
	}
	tn_rows_free(&rt);
	if (rc != TN_OK)
		return rc;
	p[0] = tn_int8(run_id);
	p[1] = tn_int8(applied);
	p[2] = tn_int8(failed + unreachable);
	p[3] = tn_text(tn_fanout_run_status(failed, unreachable, 0, 0));
	return tn_exec(&conn->adapter, "UPDATE {T}runs SET finished_at = strftime('%Y-%m-%d %H:%M:%f+00','now'),"
								   " status = $4, applied = $2, failed = $3 WHERE run_id = $1",
				   4, p, err);
}

static int
fill_all(sqlite3 *db, all_mode mode, const char *registry, const char *policy, sqlite3_value *conc,
		 const tn_result_def *def, tn_rows *out, tn_error *err)
{
	tn_sqlite_conn conn;
	registry_paths rp;
	all_job		   job;
	long long	   concurrency;
	tn_fb_policy   parsed;
	int			   rc;

	memset(&job, 0, sizeof(job));
	job.mode = mode;
	job.policy = policy;
	tn_rows_init(out, def->ncols);
	tn_sqlite_conn_init(&conn, db);
	if (registry == NULL)
		return tn_error_null_argument(err, "primary_registry");
	if ((mode == ALL_PUSH && (rc = tn_fb_parse_policy(policy, &parsed, err)) != TN_OK) ||
		(rc = tnsq_parse_concurrency(conc, &concurrency, err)) != TN_OK ||
		(rc = tnsq_registry_ready(&conn, &rp, err)) != TN_OK)
		return rc;
	if ((rc = list_tenants(db, &conn, &rp, registry, &job, err)) == TN_OK)
	{
		long long applied = 0;

		run_all(&job, concurrency);
		for (size_t i = 0; rc == TN_OK && i < job.n; i++)
			if (tenant_row(&job, &job.t[i], out, &applied) != TN_OK)
				rc = tnfb_oom(err);
		if (rc == TN_OK && mode != ALL_STATUS)
			rc = record_run(&conn, &job, out, err);
	}
	job_free(&job);
	if (rc != TN_OK)
		tn_rows_free(out);
	return rc;
}

static const char *
text_arg(int nargs, sqlite3_value **args, int i)
{
	return i < nargs && args[i] && sqlite3_value_type(args[i]) != SQLITE_NULL ? (const char *) sqlite3_value_text(args[i])
																			  : NULL;
}

int
tnfb_fill_pull_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	return fill_all(db, ALL_PULL, text_arg(nargs, args, 0), NULL, nargs > 1 ? args[1] : NULL,
					&tn_def_fallback_pull_all, out, err);
}

int
tnfb_fill_push_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	return fill_all(db, ALL_PUSH, text_arg(nargs, args, 0), text_arg(nargs, args, 1), nargs > 2 ? args[2] : NULL,
					&tn_def_fallback_push_all, out, err);
}

int
tnfb_fill_status_all(sqlite3 *db, int nargs, sqlite3_value **args, tn_rows *out, tn_error *err)
{
	return fill_all(db, ALL_STATUS, text_arg(nargs, args, 0), NULL, nargs > 1 ? args[1] : NULL,
					&tn_def_fallback_status_all, out, err);
}
