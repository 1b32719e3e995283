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
 *   2. the probe: tn_fanout_probe_sql's two statements, COPY ... TO
 *      STDOUT of the two tables as they are (no operator or function, so
 *      the tenant's search_path cannot change what they run; not planned,
 *      which saves the tenant about 0.3 ms of CPU over two SELECTs in a
 *      fresh backend).  Each line becomes a row through the core's
 *      tn_rows_add_copy_text; a line it cannot read sends the tenant the
 *      full path.  COPY runs no code of the table's owner (no trigger,
 *      rule or policy fires on COPY TO, and it refuses anything but a
 *      plain table), and it only runs after the guard passed.
 *   3. the core's judgement: verify is answered; a migrate with nothing
 *      to do is up_to_date; anything else (or a failed guard, or rows the
 *      core cannot read) takes the full path unchanged: EXT_CHECK_SQL,
 *      then migrate_synced / verify_synced, which decide and report as
 *      before.  The probe never fails a tenant by itself.
 *
 * Must not: decide a tenant's status (the core does), call a function in
 * a tenant's schema, or keep rows past the slot's tenant (the rows are
 * malloc'd by the core and freed by fanout_probe_clear).
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

/* Both tables are in: the core judges; a tenant it cannot call done goes the full path. */
static void
probe_judge(fo_state *st, fo_slot *slot)
{
	fo_job	*job = st->job;
	tn_rows *catalog_rows = &slot->probe_rows[0];
	tn_rows *applied_rows = &slot->probe_rows[1];
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

void
fanout_probe_result(fo_state *st, fo_slot *slot, PGresult *res)
{
	switch (slot->probe_results++)
	{
		case 0:
			/* the guard: both tables answered 1 (else it failed) */
			slot->probe_trusted = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 2 &&
								  PQnfields(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "1") == 0 &&
								  strcmp(PQgetvalue(res, 1, 0), "1") == 0;
			tn_rows_init(&slot->probe_rows[0], TN_CATALOG_NCOLS);
			tn_rows_init(&slot->probe_rows[1], TN_APPLIED_NCOLS);
			break;
		case 1:
			break; /* the catalog's COPY ended: its rows are in probe_rows[0] */
		case 2:
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
		/* a table the guard let through, lines the core can read: else the full path decides */
		if (slot->probe_copying < 1 || slot->probe_copying > 2 || !slot->probe_trusted ||
			tn_rows_add_copy_text(&slot->probe_rows[slot->probe_copying - 1], line, (size_t) len) != TN_OK)
			slot->probe_bad = true;
		PQfreemem(line);
	}
}

void
fanout_probe_clear(fo_slot *slot)
{
	tn_rows_free(&slot->probe_rows[0]);
	tn_rows_free(&slot->probe_rows[1]);
}
