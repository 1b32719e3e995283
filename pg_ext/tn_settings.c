/*
 * tn_settings.c -- every tenancy.* setting, defined when the module loads.
 *
 * Undefined custom settings are free-for-all placeholders: any role could
 * SET tenancy.self_conninfo and point tenancy's own connections (the
 * rollback of tenant_create among them) at another server, or splice
 * "-c ..." into a tenant session through a timeout (issue 7, findings 6
 * and 9).  Here each setting gets a type, a range and a context:
 * self_conninfo and the test hook are superuser-only (PGC_SUSET), the
 * timeouts are integers in milliseconds or seconds, so what reaches libpq
 * is a number and nothing else.  The prefix is reserved, so a misspelt
 * tenancy.* name is an error, not a silent placeholder.  A value SET
 * before the module loaded is checked against these rules when it loads
 * (PostgreSQL drops it with a WARNING if the role may not set it).
 *
 * Must not: read a setting's value for anyone (the users call
 * GetConfigOption), or accept a self_conninfo that carries a password.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "libpq-fe.h"

void _PG_init(void);

static char *self_conninfo = NULL;
static char *test_atomic_pause = NULL;
static char *tenant_schema = NULL;
static int	 connect_timeout_s = 5;
static int	 statement_timeout_ms = 0;
static int	 lock_timeout_ms = 30000;
static int	 query_max_kb = 65536;
static bool	 keep_admin_connection = true;

/* self_conninfo: a libpq connection string without a password */
static bool
check_self_conninfo(char **newval, void **extra pg_attribute_unused(),
					GucSource source pg_attribute_unused())
{
	PQconninfoOption *opts;
	char			 *parse_err = NULL;
	bool			  has_password = false;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	opts = PQconninfoParse(*newval, &parse_err);
	if (opts == NULL)
	{
		if (parse_err)
			PQfreemem(parse_err); /* may quote the value: not shown */
		GUC_check_errdetail("The value is not a valid libpq connection string.");
		return false;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			has_password = true;
	PQconninfoFree(opts);
	if (has_password)
	{
		GUC_check_errdetail("The connection string must not contain a password; use the server's password file.");
		return false;
	}
	return true;
}

void
_PG_init(void)
{
	DefineCustomStringVariable("tenancy.self_conninfo",
							   "libpq connection string tenancy uses to reach this server (empty: its own socket, port, user and database).",
							   "Superuser only: tenancy's own connections, the rollback of tenant_create included, go there.",
							   &self_conninfo, "", PGC_SUSET, 0,
							   check_self_conninfo, NULL, NULL);
	DefineCustomIntVariable("tenancy.connect_timeout",
							"Seconds to wait for a tenant connection.",
							NULL, &connect_timeout_s, 5, 1, 3600, PGC_USERSET,
							GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("tenancy.statement_timeout",
							"statement_timeout of tenant sessions opened by a fan-out (0: none).",
							NULL, &statement_timeout_ms, 0, 0, INT_MAX, PGC_USERSET,
							GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("tenancy.lock_timeout",
							"lock_timeout of tenant sessions opened by a fan-out (0: none).",
							NULL, &lock_timeout_ms, 30000, 0, INT_MAX, PGC_USERSET,
							GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("tenancy.query_max_bytes",
							"Most result data one tenant_query_all call may hold (rows arrive one at a time).",
							"Above it the call fails with 54000.",
							&query_max_kb, 65536, 64, INT_MAX, PGC_USERSET,
							GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomBoolVariable("tenancy.keep_admin_connection",
							 "Keep tenant_create's server connection for the next call of the same role (libpq_admin.c).",
							 "Off: every tenant_create, tenant_drop 'delete' and template check connects anew.",
							 &keep_admin_connection, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("tenancy.test_atomic_pause",
							   "Test hook: pause an atomic run at this point ('prepared' or 'committing').",
							   NULL, &test_atomic_pause, "", PGC_SUSET, GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("tenancy.tenant_schema",
							   "Set by tenancy for one call: the schema tenant whose tracking rows the views tenancy.tenant_* show.",
							   "Superuser only, so a migration body running as the schema's owner cannot change it.",
							   &tenant_schema, "", PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE | GUC_NO_RESET_ALL,
							   NULL, NULL, NULL);
	MarkGUCPrefixReserved("tenancy");
}
