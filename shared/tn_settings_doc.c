/*
 * tn_settings_doc.c -- what tenant_settings() lists on both engines: every
 * setting that changes what tenancy does, with its engine, default, unit
 * and meaning (issue 9, "settings documented").  One table, so the README,
 * PostgreSQL's GUCs (pg_ext/tn_settings.c, checked against this list by
 * sql/pg_fleet.sql) and SQLite's PRAGMA cannot drift apart unseen.
 *
 * Must not: read a setting's current value (the hosts do), or list a
 * setting tenancy does not read.
 */
#include <stdio.h>
#include <string.h>

#include "tn_internal.h"

typedef struct setting_doc
{
	const char *name;
	const char *engine;
	const char *default_value;
	const char *unit;
	const char *meaning;
} setting_doc;

static const setting_doc settings[] = {
	{ "tenancy.connect_timeout", "postgresql", "5", "s",
	  "How long a fan-out waits to connect to a tenant; past it the tenant is unreachable (08006), not a hang." },
	{ "tenancy.statement_timeout", "postgresql", "0", "ms",
	  "statement_timeout of every tenant session a fan-out opens (0: none); a tenant past it fails, the others go on." },
	{ "tenancy.lock_timeout", "postgresql", "30000", "ms",
	  "lock_timeout of every tenant session a fan-out opens (0: none); a lock timeout is transient and retried." },
	{ "tenancy.query_max_bytes", "postgresql", "65536", "kB",
	  "Most result data one tenant_query_all call may hold; above it the call fails with 54000." },
	{ "tenancy.keep_admin_connection", "postgresql", "on", NULL,
	  "Keep tenant_create's connection to the server's postgres database for the next call of the same role with the same credentials (off: connect every time)." },
	{ "tenancy.self_conninfo", "postgresql", "", NULL,
	  "Superuser only: the libpq connection string tenancy's own connections to this server use (empty: its socket, port, user and database)." },
	{ "tenancy.test_atomic_pause", "postgresql", "", NULL,
	  "Superuser only, for tests: pause tenant_migrate_all_atomic at 'prepared' or 'committing'." },
	{ "busy_timeout", "sqlite", "5000", "ms",
	  "PRAGMA busy_timeout: set on a connection that has none; how long a migration waits for another writer of the same file." },
};

int
tn_settings_rows(tn_rows *out, tn_error *err)
{
	TN_ASSERT(out->ncols == tn_def_settings.ncols);
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
	{
		const char *row[6] = { settings[i].name, settings[i].engine, settings[i].default_value,
							   settings[i].unit, NULL, settings[i].meaning };

		if (tn_rows_add(out, row) != TN_OK)
			return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	return TN_OK;
}
