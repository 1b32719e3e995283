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
 *   1. PROBE_GUARD_SQL: are tenancy.catalog and tenancy.applied plain
 *      tables without row security, owned by a superuser?  Only then is
 *      reading them safe for the caller: a view, a foreign table or a
 *      policy there could run the tenant owner's code with the caller's
 *      rights (issue 7), and a non-superuser cannot give a superuser a
 *      table, a policy or a rule.  It does not answer "no": it fails (an
 *      integer cast of the table's name), so the reads after it never run.
 *      Every name and operator is qualified: the session's search_path is
 *      the tenant's to set (ALTER DATABASE ... SET).  It is written to be
 *      cheap in a fresh backend: exact operators only (no operator or
 *      function overload to resolve), one pg_class index probe per table
 *      (the separate round trip and the ANY(array) query it replaces cost
 *      about 1.5 ms of the tenant's CPU more per connection).
 *   2. the probe: tn_fanout_probe_sql's two statements (the two tables
 *      as they are: no operator or function, so the tenant's search_path
 *      cannot change what they run).
 *   3. the core's judgement: verify is answered; a migrate with nothing
 *      to do is up_to_date; anything else (or a failed guard, or rows the
 *      core cannot read) takes the full path unchanged: EXT_CHECK_SQL,
 *      then migrate_synced / verify_synced, which decide and report as
 *      before.  The probe never fails a tenant by itself.
 *
 * Must not: decide a tenant's status (the core does), call a function in
 * a tenant's schema, or keep a result past the slot's statement (the
 * catalog's PGresult is the slot's until the applied rows arrive).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "libpq_fanout_internal.h"

/*
 * 10 is the bootstrap superuser (BOOTSTRAP_SUPERUSERID): pg_has_role(x,
 * 10, 'USAGE') is true for a superuser and for a role holding the
 * bootstrap superuser's privileges, which can become it (SET ROLE).  It
 * reads the role through the syscache (pg_roles, a view, costs about
 * 0.5 ms more in a fresh backend).  A missing table fails the regclass
 * cast; an untrusted one fails the ELSE branch (its name is no integer).
 */
#define PROBE_GUARD_SQL                                                                          \
	"SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'r' AND NOT c.relrowsecurity"             \
	"   AND pg_catalog.pg_has_role(c.relowner, 10::pg_catalog.oid, 'USAGE'::pg_catalog.text)"    \
	"   THEN 1 ELSE c.relname::pg_catalog.text::pg_catalog.int4 END"                             \
	" FROM pg_catalog.pg_class c"                                                                \
	" WHERE c.oid OPERATOR(pg_catalog.=) 'tenancy.catalog'::pg_catalog.regclass::pg_catalog.oid" \
	"    OR c.oid OPERATOR(pg_catalog.=) 'tenancy.applied'::pg_catalog.regclass::pg_catalog.oid; "

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
	sql = psprintf("%s%s", PROBE_GUARD_SQL, probe);
	free(probe);
	slot->probe_sent = true;
	slot->probe_results = 0;
	slot->sent_stmt = SENT_PROBE;
	ok = PQsendQuery(slot->conn, sql);
	pfree(sql);
	return ok;
}

/* A PGresult's cells as the core's rows; false when out of memory. */
static bool
rows_of(PGresult *res, tn_rows *out)
{
	int			 nf = PQnfields(res);
	const char **row = palloc(sizeof(char *) * (nf > 0 ? nf : 1));

	tn_rows_init(out, nf);
	for (int r = 0; r < PQntuples(res); r++)
	{
		for (int c = 0; c < nf; c++)
			row[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		if (tn_rows_add(out, row) != TN_OK)
		{
			tn_rows_free(out);
			return false;
		}
	}
	return true;
}

/* Both results are in: the core judges; a tenant it cannot call done goes the full path. */
static void
probe_judge(fo_state *st, fo_slot *slot, PGresult *applied)
{
	fo_job	*job = st->job;
	tn_rows	 catalog_rows, applied_rows, verify;
	tn_error err;
	int		 rc = TN_ERR_NO_MEMORY;
	int		 current = 0;
	char	 version[TN_MAX_VERSION_LEN + 1];

	tn_error_clear(&err);
	if (!rows_of(slot->probe_catalog, &catalog_rows))
		return;
	if (!rows_of(applied, &applied_rows))
	{
		tn_rows_free(&catalog_rows);
		return;
	}
	if (job->mode == FO_VERIFY)
	{
		tn_rows_init(&verify, tn_def_verify_all.ncols);
		rc = tn_verify_all_row_from_rows(job->tenants[slot->index].name, job->set, &catalog_rows, &applied_rows,
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
		rc = tn_fanout_state_current(job->set, job->target, &catalog_rows, &applied_rows, &current,
									 version, sizeof(version), &err);
		if (rc == TN_OK && current)
		{
			/* up_to_date: from = to = where it is, nothing applied */
			snprintf(slot->out.res.from_version, sizeof(slot->out.res.from_version), "%s", version);
			snprintf(slot->cur, sizeof(slot->cur), "%s", version);
			slot->have_from = true;
			slot->probe_done = true;
		}
	}
	tn_rows_free(&catalog_rows);
	tn_rows_free(&applied_rows);
}

void
fanout_probe_result(fo_state *st, fo_slot *slot, PGresult *res)
{
	switch (slot->probe_results++)
	{
		case 0:
			/* the guard: both tables answered 1 (else it failed) */
			slot->probe_trusted = PQntuples(res) == 2 && PQnfields(res) == 1 &&
								  strcmp(PQgetvalue(res, 0, 0), "1") == 0 && strcmp(PQgetvalue(res, 1, 0), "1") == 0;
			break;
		case 1:
			/* the catalog's rows, kept until the applied rows arrive */
			if (slot->probe_trusted)
				slot->probe_catalog = res;
			break;
		case 2:
			if (slot->probe_trusted && slot->probe_catalog != NULL)
				probe_judge(st, slot, res);
			break;
		default:
			break; /* nothing else was sent */
	}
}

bool
fanout_probe_keeps(fo_slot *slot, PGresult *res)
{
	return slot->probe_catalog == res;
}

void
fanout_probe_clear(fo_slot *slot)
{
	if (slot->probe_catalog)
		PQclear(slot->probe_catalog);
	slot->probe_catalog = NULL;
}
