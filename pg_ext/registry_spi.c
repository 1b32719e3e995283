/*
 * registry_spi.c -- the registry's own statements over SPI in the control
 * database: run one with text parameters, read a value, take the
 * registry's advisory locks, write the audit trail, read the extension's
 * version and a version's sort key.
 *
 * Must not: run a migration or a core call (those go through the SPI
 * adapter, spi_adapter.c), or decide anything about what it reads.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "registry_internal.h"

/* Advisory lock keys in the control database: ("tena", 2) serializes runs. */
#define TN_LOCK_KEY 1952804449	/* "tena" */
#define TN_LOCK_RUNS 2
#define TN_LOCK_SET 3

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
	Oid			types[SPI_MAX_ARGS] = {0};
	Datum		datums[SPI_MAX_ARGS] = {0};
	char		nulls[SPI_MAX_ARGS + 1] = {0};
	int			rc;

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

char *
reg_spi_value(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

void
reg_lock_runs(void)
{
	reg_spi_run("SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_RUNS) ")", 0, NULL);
}

void
reg_lock_set(void)
{
	reg_spi_run("SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(TN_LOCK_KEY) ", " CppAsString2(TN_LOCK_SET) ")", 0, NULL);
}

void
reg_audit(const char *action, const char *tenant, const char *detail)
{
	const char *v[3] = {action, tenant, detail};

	reg_spi_run("INSERT INTO tenancy.audit (action, tenant, detail) VALUES ($1, $2, $3)", 3, v);
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
	char		key[TN_VERSION_KEY_MAX];

	if (version == NULL || version[0] == '\0' ||
		tn_version_key(version, key, sizeof(key)) != TN_OK)
		return NULL;
	return pstrdup(key);
}
