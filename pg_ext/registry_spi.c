/*
 * registry_spi.c -- the registry's own statements over SPI in the control
 * database: run one with text parameters, read a value, take the
 * registry's advisory locks, write the audit trail, read the extension's
 * version and a version's sort key, and refuse or insert a tenant's row.
 *
 * Must not: run a migration or a core call (those go through the SPI
 * adapter, spi_adapter.c), or decide anything about what it reads.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "registry_internal.h"

/* Advisory lock keys in the control database: ("tena", 2) serializes runs. */
#define TN_LOCK_KEY	 1952804449 /* "tena" */
#define TN_LOCK_RUNS 2
#define TN_LOCK_SET	 3

#define SPI_MAX_ARGS 16

void
reg_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

int
reg_spi_run(const char *sql, int nargs, const char *const *values)
{
	Oid	  types[SPI_MAX_ARGS] = { 0 };
	Datum datums[SPI_MAX_ARGS] = { 0 };
	char  nulls[SPI_MAX_ARGS + 1] = { 0 };
	int	  rc;

	Assert(nargs <= SPI_MAX_ARGS);
	for (int i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		datums[i] = values[i] ? CStringGetTextDatum(values[i]) : (Datum) 0;
		nulls[i] = values[i] ? ' ' : 'n';
	}
	rc = SPI_execute_with_args(sql, nargs, types, datums, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return rc;
}

/* The role that ran CREATE EXTENSION tenancy (pg_extension.extowner). */
static Oid
extension_owner(void)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("tenancy"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(owner))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("extension \"tenancy\" is not installed")));
	return owner;
}

/*
 * A registry write as the extension's owner (pg_cron's way of letting a
 * role schedule only its own jobs): the caller got here through a tenancy
 * entry point it may EXECUTE, which is its capability check, and the
 * statement is tenancy's own, so the role needs no write grant on the
 * registry tables (1.3 took those back: issue 7, finding 2).
 * SECURITY_RESTRICTED_OPERATION: nothing the statement reaches may SET
 * ROLE or leave state behind as the owner.
 */
typedef struct spi_write_args
{
	const char		  *sql;
	int				   nargs;
	const char *const *values;
} spi_write_args;

static int
spi_write_call(void *arg)
{
	spi_write_args *a = arg;

	return reg_spi_run(a->sql, a->nargs, a->values);
}

int
reg_spi_write(const char *sql, int nargs, const char *const *values)
{
	spi_write_args a = { sql, nargs, values };

	return reg_as_extension_owner(spi_write_call, &a);
}

/*
 * A core call on the tenant set's tables (tenancy.set_*) as the extension's
 * owner, as reg_spi_write: the entry point's EXECUTE is the capability
 * check (admin), the statements are the core's own on tenancy's tables,
 * and the role keeps no write grant there (issue 7: a direct INSERT skips
 * every check).  Nothing the set holds runs here: bodies run in tenants.
 */
int
reg_as_extension_owner(reg_owner_call call, void *arg)
{
	Oid			 save_user;
	int			 save_sec;
	volatile int rc = 0;
	Oid			 owner = extension_owner();

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		rc = call(arg);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	return rc;
}

char *
reg_spi_value(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/*
 * The registry's locks.  From 1.3 they are EXCLUSIVE locks on the empty
 * tables tenancy.lock_runs / tenancy.lock_set: LOCK TABLE in that mode
 * needs UPDATE on the table, which only the migrator / admin capability
 * gives, so a role without one cannot block every run (an advisory key
 * can be taken by anyone who can connect: issue 7, finding 11).  A
 * database still at 1.2 keeps the advisory keys.  Both honour lock_timeout.
 */
static void
reg_lock(const char *table, const char *advisory_sql)
{
	if (OidIsValid(get_relname_relid(table, get_namespace_oid("tenancy", false))))
		reg_spi_run(psprintf("LOCK TABLE tenancy.%s IN EXCLUSIVE MODE", table), 0, NULL);
	else
		reg_spi_run(advisory_sql, 0, NULL);
}

void
reg_lock_runs(void)
{
	reg_lock("lock_runs", "SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_RUNS) ")");
}

void
reg_lock_set(void)
{
	reg_lock("lock_set", "SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_SET) ")");
}

void
reg_audit(const char *action, const char *tenant, const char *detail)
{
	const char *v[3] = { action, tenant, detail };

	reg_spi_write("INSERT INTO tenancy.audit (action, tenant, detail) VALUES ($1, $2, $3)", 3, v);
}

char *
reg_extension_version(void)
{
	reg_spi_run("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'tenancy'", 0, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "extension \"tenancy\" is not installed in this database");
	return reg_spi_value(0, 1);
}

char *
reg_version_key(const char *version)
{
	char key[TN_VERSION_KEY_MAX];

	if (version == NULL || version[0] == '\0' ||
		tn_version_key(version, key, sizeof(key)) != TN_OK)
		return NULL;
	return pstrdup(key);
}

/* ------------------------------------------------------------------ */
/* Tenant rows (tenancy.tenants)                                       */
/* ------------------------------------------------------------------ */

void
reg_refuse_existing(const char *name)
{
	const char *v[1] = { name };

	reg_spi_run("SELECT 1 FROM tenancy.tenants WHERE name = $1", 1, v);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("tenant \"%s\" already exists", name),
				 errhint("Choose another name, or drop the tenant first with tenant_drop('%s').", name)));
}

void
reg_insert_tenant(const char *name, const char *location, const char *dbname,
				  const char *version, long long pending, const char *action,
				  const char *schema)
{
	char		pbuf[32];
	const char *v[7];

	snprintf(pbuf, sizeof(pbuf), "%lld", pending);
	v[0] = name;
	v[1] = location;
	v[2] = dbname;
	v[3] = version && version[0] ? version : NULL;
	v[4] = reg_version_key(version);
	v[5] = pbuf;
	if (schema != NULL)
	{
		v[6] = schema;
		reg_spi_write("INSERT INTO tenancy.tenants (name, kind, location, dbname, version, version_key, pending, schema_name)"
					  " VALUES ($1, 'schema', $2, $3, $4, $5, $6::int8, $7)",
					  7, v);
		reg_audit(action, name, location ? psprintf("schema \"%s\" in database \"%s\" at %s", schema, dbname, location) : psprintf("schema \"%s\" in database \"%s\" on this server", schema, dbname));
		return;
	}
	reg_spi_write("INSERT INTO tenancy.tenants (name, kind, location, dbname, version, version_key, pending)"
				  " VALUES ($1, 'database', $2, $3, $4, $5, $6::int8)",
				  6, v);
	reg_audit(action, name, location ? psprintf("database \"%s\" at %s", dbname, location) : psprintf("database \"%s\" on this server", dbname));
}
