/*
 * libpq_probe.c -- a database tenant's no-op answered with plain SQL
 * (issue 14): before tenant_migrate_all or tenant_verify_all calls
 * tenancy.migrate_synced / verify_synced in a database tenant, the slot
 * reads the tenant's tracking rows itself, and the core judges them on
 * this side (tn_fanout_state_current, tn_verify_all_row_from_rows).  A
 * tenant with nothing to do then costs a connection and one round trip:
 * no LOAD of tenancy there, no set decoded, no pg_depend scan.
 *
 * What the slot sends, as one simple query (one round trip, one implicit
 * transaction: an error stops the statements after it):
 *   1. SET LOCAL row_security = off, for that transaction only: a COPY of
 *      a table whose row security would apply to the caller then fails
 *      instead of running the table's policies (and the functions they
 *      call) with the caller's rights.  Superusers and BYPASSRLS roles are
 *      never subject to policies.  Checked by COPY itself as it runs, so
 *      nothing can change between a check and the read.
 *   2. COPY pg_catalog.pg_namespace (oid, nspname, nspowner): the owner of
 *      schema "tenancy".  Only rows of a schema a superuser owns are
 *      judged (probe_owner_trusted): its tables were made by a superuser
 *      (CREATE EXTENSION tenancy), and a tenant database's owner who made
 *      a schema "tenancy" of their own, with tables saying whatever they
 *      like, is sent the full path, which refuses them (EXT_CHECK_SQL).
 *   3. the probe: tn_fanout_probe_sql's two statements, COPY ... TO STDOUT
 *      of the two tables as they are.  COPY runs no code of the table's
 *      owner: it refuses views, foreign, partitioned and materialized
 *      tables (it does not read them), no trigger or rule fires on COPY
 *      TO, only built-in output functions exist for a non-superuser's
 *      types, and policies are refused by step 1.  Every name is
 *      qualified: the session's search_path is the tenant's to set (ALTER
 *      DATABASE ... SET).  Each line becomes a row through the core's
 *      tn_rows_add_copy_text; a line it cannot read sends the tenant the
 *      full path.
 *   4. the core's judgement: verify is answered; a migrate with nothing
 *      to do is up_to_date; anything else (or an untrusted schema, a
 *      failed statement, rows the core cannot read) takes the full path
 *      unchanged: EXT_CHECK_SQL, then migrate_synced / verify_synced,
 *      which decide and report as before.  The probe never fails a
 *      tenant by itself.
 *
 * Why COPY and not a SELECT over pg_class (the check until 2026-12): in a
 * fresh backend every query plan over a catalog costs page faults and
 * cache loads; the pg_class check cost the tenant about 1.15 ms of CPU per
 * connection, these four statements cost about 0.2 ms in all (bench/
 * pg_fanout.sh, "no-op rerun"; connect + SELECT 1 costs about 3.8 ms).
 *
 * Must not: decide a tenant's status (the core does), call a function in
 * a tenant's schema, or keep rows past the slot's tenant (the rows are
 * malloc'd by the core and freed by fanout_probe_clear).
 */
#include "postgres.h"

#include "catalog/pg_authid_d.h"
#include "utils/acl.h"
#include "utils/memutils.h"

#include "libpq_fanout_internal.h"

#define PROBE_SCHEMA_SQL             \
	"SET LOCAL row_security = off; " \
	"COPY pg_catalog.pg_namespace (oid, nspname, nspowner) TO STDOUT; "

/* pg_namespace's columns the probe reads: oid, nspname, nspowner */
#define PROBE_SCHEMA_NCOLS 3

/* the probe's results in order: the SET, then its COPYs */
enum
{
	PROBE_SET,
	PROBE_SCHEMAS,
	PROBE_CATALOG,
	PROBE_APPLIED
};

bool
fanout_probe_applies(fo_state *st, fo_slot *slot)
{
	fo_job *job = st->job;

	/* database tenants (schema tenants keep their rows keyed in shared tables) */
	return job->tenants[slot->index].schema == NULL && (job->mode == FO_MIGRATE || job->mode == FO_VERIFY) &&
		   job->set != NULL;
}

int
fanout_probe_send(fo_state *st pg_attribute_unused(), fo_slot *slot)
{
	char *probe;
	char *sql;
	int	  ok;

	if (slot->probe_sent)
		return -1; /* nothing of the probe left to send */
	probe = tn_fanout_probe_sql("tenancy.");
	if (probe == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	sql = psprintf("%s%s", PROBE_SCHEMA_SQL, probe);
	free(probe);
	slot->probe_sent = true;
	slot->probe_results = 0;
	slot->sent_stmt = SENT_PROBE;
	ok = PQsendQuery(slot->conn, sql);
	pfree(sql);
	return ok;
}

/* Both tables are in: the core judges; a tenant it cannot call done goes the full path. */
static void
probe_judge(fo_state *st, fo_slot *slot)
{
	fo_job	*job = st->job;
	tn_rows *catalog_rows = &slot->probe_rows[1];
	tn_rows *applied_rows = &slot->probe_rows[2];
	tn_rows	 verify;
	tn_error err;
	int		 rc;
	int		 current = 0;
	char	 version[TN_MAX_VERSION_LEN + 1];

	tn_error_clear(&err);
	if (job->mode == FO_VERIFY)
	{
		tn_rows_init(&verify, tn_def_verify_all.ncols);
		rc = tn_verify_all_row_from_rows(job->tenants[slot->index].name, job->set, catalog_rows, applied_rows,
										 &verify, &err);
		if (rc == TN_OK && verify.nrows == 1)
		{
			MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

			/* the row verify_synced would have returned: status, version, pending, problems, detail */
			for (int c = 0; c < 5; c++)
			{
				const char *v = tn_rows_get(&verify, 0, c + 1);

				slot->out.cells[c] = v ? pstrdup(v) : NULL;
			}
			MemoryContextSwitchTo(old);
			slot->probe_done = true;
		}
		tn_rows_free(&verify);
	}
	else
	{
		rc = tn_fanout_state_current(job->set, job->target, catalog_rows, applied_rows, &current, version,
									 sizeof(version), &err);
		if (rc == TN_OK && current)
		{
			/* up_to_date: from = to = where it is, nothing applied */
			snprintf(slot->out.res.from_version, sizeof(slot->out.res.from_version), "%s", version);
			snprintf(slot->cur, sizeof(slot->cur), "%s", version);
			slot->have_from = true;
			slot->probe_done = true;
		}
	}
}

/*
 * The owner of schema "tenancy" among the rows of COPY pg_namespace (oid,
 * nspname, nspowner), decoded by the core; InvalidOid if there is none or
 * its owner is not an oid.
 */
static Oid
probe_schema_owner(const tn_rows *schemas)
{
	for (size_t r = 0; r < schemas->nrows; r++)
	{
		const char	 *name = tn_rows_get(schemas, r, 1);
		const char	 *owner = tn_rows_get(schemas, r, 2);
		char		 *end;
		unsigned long v;

		if (name == NULL || strcmp(name, "tenancy") != 0 || owner == NULL)
			continue;
		errno = 0;
		v = strtoul(owner, &end, 10);
		return errno == 0 && end != owner && *end == '\0' && v <= PG_UINT32_MAX ? (Oid) v : InvalidOid;
	}
	return InvalidOid;
}

/*
 * May rows of a schema this role owns be judged?  The bootstrap superuser
 * anywhere; on this server (a tenant without a location is a database of
 * this cluster, whose roles are ours) any role with its privileges, as
 * pg_has_role(owner, 10, 'USAGE') would answer there.  A tenant on another
 * server whose schema another superuser owns takes the full path.
 */
static bool
probe_owner_trusted(fo_state *st, fo_slot *slot, Oid owner)
{
	if (owner == BOOTSTRAP_SUPERUSERID)
		return true;
	return OidIsValid(owner) && st->job->tenants[slot->index].location == NULL &&
		   has_privs_of_role(owner, BOOTSTRAP_SUPERUSERID);
}

void
fanout_probe_result(fo_state *st, fo_slot *slot, PGresult *res pg_attribute_unused())
{
	switch (slot->probe_results++)
	{
		case PROBE_SET:
			slot->probe_trusted = false;
			tn_rows_init(&slot->probe_rows[0], PROBE_SCHEMA_NCOLS);
			tn_rows_init(&slot->probe_rows[1], TN_CATALOG_NCOLS);
			tn_rows_init(&slot->probe_rows[2], TN_APPLIED_NCOLS);
			break;
		case PROBE_SCHEMAS:
			/* the schemas' COPY ended: is "tenancy" there, owned by a superuser? */
			slot->probe_trusted =
				!slot->probe_bad && probe_owner_trusted(st, slot, probe_schema_owner(&slot->probe_rows[0]));
			break;
		case PROBE_CATALOG:
			break; /* the catalog's COPY ended: its rows are in probe_rows[1] */
		case PROBE_APPLIED:
			/* the applied rows' COPY ended: both tables are read */
			if (slot->probe_trusted && !slot->probe_bad)
				probe_judge(st, slot);
			break;
		default:
			break; /* nothing else was sent */
	}
}

int
fanout_probe_copy(fo_slot *slot)
{
	for (;;)
	{
		char *line = NULL;
		int	  len = PQgetCopyData(slot->conn, &line, 1);

		if (len == 0)
			return 0; /* the rest of it has not arrived */
		if (len == -1)
		{
			slot->probe_copying = 0; /* its end (or its error) comes as a result */
			return 1;
		}
		if (len < 0)
			return -1;
		/*
		 * the schemas, then the tables of a trusted schema, in lines the
		 * core can read: else the full path decides
		 */
		if (slot->probe_copying < PROBE_SCHEMAS || slot->probe_copying > PROBE_APPLIED ||
			(slot->probe_copying != PROBE_SCHEMAS && !slot->probe_trusted) ||
			tn_rows_add_copy_text(&slot->probe_rows[slot->probe_copying - PROBE_SCHEMAS], line, (size_t) len) != TN_OK)
			slot->probe_bad = true;
		PQfreemem(line);
	}
}

void
fanout_probe_clear(fo_slot *slot)
{
	for (int i = 0; i < 3; i++)
		tn_rows_free(&slot->probe_rows[i]);
}
