/*
 * registry_tenants.c -- the SQL entry points tenant_create,
 * tenant_register and tenant_drop, and what they do for database tenants.
 *
 * tenant_create clones the template database of its server
 * (registry_template.c) with CREATE DATABASE .. TEMPLATE over a libpq
 * connection, and registers the new database in the caller's transaction;
 * registry_created.c drops it again if that transaction aborts.
 * tenant_register adopts an existing database; tenant_drop unregisters a
 * tenant and, with 'delete', drops its database (or, for a schema tenant,
 * its schema).  Schema tenants (kind 'schema') are made by
 * registry_schema.c; their rows, like every tenant's, are written by
 * registry_spi.c.
 *
 * Must not: store or print a password (locations are checked by
 * tn_lpq_check_location), or leave a database created by a tenant_create
 * whose transaction did not commit.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "registry_internal.h"
#include "tn_raise.h"

PG_FUNCTION_INFO_V1(tenant_create);
PG_FUNCTION_INFO_V1(tenant_register);
PG_FUNCTION_INFO_V1(tenant_drop);

static void
validate_name(const char *name)
{
	tn_error err;

	tn_error_clear(&err);
	if (tn_validate_tenant_name(name, &err) != TN_OK)
		tn_raise(&err);
}

/* true for 'schema', false for 'database' (NULL); the core reads the word and words the refusal */
static bool
check_kind(const char *kind)
{
	tn_tenant_kind parsed;
	tn_error	   err;

	tn_error_clear(&err);
	if (tn_parse_tenant_kind(kind, TN_DIALECT_POSTGRES, &parsed, &err) != TN_OK)
		tn_raise(&err);
	return parsed == TN_KIND_SCHEMA;
}

/* ------------------------------------------------------------------ */
/* tenant_create                                                       */
/* ------------------------------------------------------------------ */

/*
 * Clone the template of location's server as database name and register
 * it (inside SPI; set is the tenant set, text its transport).
 */
static void
create_database_tenant(const char *name, const char *location,
					   tn_migration_set *set, const char *text)
{
	const char *tmpl = reg_template_name();
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	char	   *version;

	/* the server's admin connection, for CREATE DATABASE */
	tn_error_clear(&err);
	conn = reg_server_admin_conn(location);
	version = reg_template_known_version(conn, location, text);
	if (version == NULL)
	{
		/* first of a run: say what is missing before making the template */
		reg_check_createdb(conn, name);
		version = reg_ensure_template(location, set, text);
	}

	/* clone the template; nothing is registered until it exists */
	res = tn_lpq_exec(conn, psprintf("CREATE DATABASE %s TEMPLATE %s", quote_identifier(name), quote_identifier(tmpl)), 0, NULL, &err);
	if (res == NULL)
	{
		/*
		 * In a run the CREATEDB check is not made before (one round trip
		 * less per tenant): a refusal is explained now, the same way.
		 */
		if (strcmp(err.sqlstate, "42501") == 0)
			reg_check_createdb(conn, name);
		/* a connection a statement failed on is never kept */
		tn_lpq_finish(conn);
		/* a template dropped under us: forget it, the next call re-creates it */
		if (strcmp(err.sqlstate, "3D000") == 0)
			reg_template_forget();
		if (strcmp(err.sqlstate, "42P04") == 0)
			tn_error_hint(&err, "Adopt the existing database with tenant_register('%s', location), or choose another name.", name);
		tn_raise_failure(&err);
	}
	PQclear(res);
	/* kept for the next call of this role (libpq_admin.c) */
	reg_server_admin_done(conn, location);
	reg_remember_created(location, name, NULL);
	reg_insert_tenant(name, location, name, version, tn_set_count_newer(set, version), "create", NULL);
	/* a clone of the template, which follows the set: it has the set's repeatables */
	reg_record_set_repeatables(name, set);
}

/*
 * tenant_create(name, location DEFAULT NULL, kind DEFAULT 'database'): the
 * argument order of tenant_register(name, location, kind) and of SQLite's
 * tenant_create(name [, path]).  tenant_create(name, location, 'schema',
 * placement): where Citus keeps the schema (registry_schema.c, citus.c).
 */
Datum
tenant_create(PG_FUNCTION_ARGS)
{
	char			*name = tn_pg_arg_required(fcinfo, 0, "name");
	char			*location = tn_pg_arg_text(fcinfo, 1);
	char			*kind = tn_pg_arg_text(fcinfo, 2);
	char			*placement = PG_NARGS() > 3 ? tn_pg_arg_text(fcinfo, 3) : NULL;
	tn_migration_set set;
	char			*text;

	validate_name(name);
	tn_lpq_check_location(location, "location");
	if (location && location[0] == '\0')
		location = NULL;
	if (check_kind(kind))
	{
		reg_schema_tenant(name, location, false, placement);
		PG_RETURN_TEXT_P(cstring_to_text(name));
	}
	if (placement != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a placement is for schema tenants"),
				 errdetail("A database tenant lives in its own database; Citus places schemas."),
				 errhint("Use tenant_create('%s', location, 'schema', placement), or leave the placement NULL.", name)));

	reg_spi_connect();
	reg_refuse_existing(name);
	reg_load_set(&set);
	PG_TRY();
	{
		text = reg_encode_set(&set);
		create_database_tenant(name, location, &set, text);
	}
	PG_FINALLY();
	{
		/* a connection still open is closed by libpq_conn.c on abort */
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* ------------------------------------------------------------------ */
/* tenant_register                                                     */
/* ------------------------------------------------------------------ */

/* The dbname a location names, else the tenant's name. */
static char *
location_dbname(const char *location, char *name)
{
	char			 *dbname = NULL;
	PQconninfoOption *opts = PQconninfoParse(location, NULL);

	for (PQconninfoOption *p = opts; p && p->keyword; p++)
		if (strcmp(p->keyword, "dbname") == 0 && p->val && p->val[0])
			dbname = pstrdup(p->val);
	if (opts)
		PQconninfoFree(opts);
	return dbname ? dbname : name;
}

/*
 * The newest version applied in the database to register, after making
 * sure it can be reached and tracked (the extension is created there when
 * missing).  NULL when nothing is applied.
 */
static char *
registered_version(const char *name, const char *location, const char *dbname, char **repeatables_out)
{
	tn_buf		repeatables = { 0 };
	char	   *extversion = reg_extension_version();
	char	   *version = NULL;
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;

	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = dbname;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		tn_raise_failure(&err);
	res = tn_lpq_exec(conn, psprintf("CREATE EXTENSION IF NOT EXISTS tenancy VERSION %s", quote_literal_cstr(extversion)), 0, NULL, &err);
	if (res == NULL && strncmp(err.sqlstate, "08", 2) != 0 && strcmp(err.sqlstate, "57014") != 0)
		tn_registry_register_untracked(name, extversion, &err); /* our words, the server's in the detail */
	if (res)
	{
		PQclear(res);
		res = tn_lpq_exec(conn, "SELECT version, checksum FROM tenancy.applied", 0, NULL, &err);
	}
	if (res == NULL)
	{
		tn_lpq_finish(conn);
		tn_raise_failure(&err);
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *v = PQgetvalue(res, r, 0);

		if (tn_version_is_repeatable(v))
		{
			/* what the registry records of it; a repeatable is never the version */
			if (tn_repeatables_record_add(&repeatables, v, PQgetvalue(res, r, 1)) != TN_OK)
			{
				tn_buf_free(&repeatables);
				PQclear(res);
				tn_lpq_finish(conn);
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			}
		}
		else if (version == NULL || tn_version_compare(v, version) > 0)
			version = pstrdup(v);
	}
	PQclear(res);
	tn_lpq_finish(conn);
	*repeatables_out = pstrdup(repeatables.data ? repeatables.data : "");
	tn_buf_free(&repeatables);
	return version;
}

/* Register database dbname at location, at version, counting what it lacks of the set. */
static void
register_database_tenant(const char *name, const char *location, const char *dbname,
						 const char *version, const char *repeatables)
{
	tn_migration_set set;

	reg_load_set(&set);
	PG_TRY();
	{
		reg_insert_tenant(name, location, dbname, version, tn_set_count_newer(&set, version), "register", NULL);
		reg_record_repeatables(name, repeatables);
	}
	PG_FINALLY();
	{
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
}

/* tenant_register(name, location, kind DEFAULT 'database') */
Datum
tenant_register(PG_FUNCTION_ARGS)
{
	char *name = tn_pg_arg_required(fcinfo, 0, "name");
	char *location = tn_pg_arg_text(fcinfo, 1);
	char *kind = tn_pg_arg_text(fcinfo, 2);
	char *dbname;
	char *version;
	char *repeatables;

	validate_name(name);
	if (check_kind(kind))
	{
		/* a schema: in this database when location is NULL */
		tn_lpq_check_location(location, "location");
		if (location && location[0] == '\0')
			location = NULL;
		reg_schema_tenant(name, location, true, NULL);
		PG_RETURN_TEXT_P(cstring_to_text(name));
	}
	if (location == NULL)
		location = tn_pg_arg_required(fcinfo, 1, "location");
	tn_lpq_check_location(location, "location");
	dbname = location_dbname(location, name);

	reg_spi_connect();
	reg_refuse_existing(name);
	version = registered_version(name, location, dbname, &repeatables);
	register_database_tenant(name, location, dbname, version, repeatables);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* ------------------------------------------------------------------ */
/* tenant_drop                                                         */
/* ------------------------------------------------------------------ */

/* DROP DATABASE .. WITH (FORCE) over a connection to location's server. */
static void
drop_database(const char *name, const char *location, const char *dbname)
{
	tn_error  err;
	PGconn	 *conn;
	PGresult *res;
	char	 *sql = psprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", quote_identifier(dbname));

	tn_error_clear(&err);
	conn = reg_server_admin_conn(location);
	res = tn_lpq_exec(conn, sql, 0, NULL, &err);
	if (res == NULL && strncmp(err.sqlstate, "08", 2) != 0 && strcmp(err.sqlstate, "57014") != 0)
		tn_registry_delete_refused(name, dbname, &err); /* our words; the row comes back with the error */
	if (res == NULL)
	{
		tn_lpq_finish(conn);
		tn_raise_failure(&err);
	}
	PQclear(res);
	reg_server_admin_done(conn, location);
}

/* tenant_drop(name, mode DEFAULT 'keep'): 'keep' unregisters, 'delete' also drops the database */
Datum
tenant_drop(PG_FUNCTION_ARGS)
{
	char *name = tn_pg_arg_required(fcinfo, 0, "name");
	char *mode = tn_pg_arg_text(fcinfo, 1);
	int delete;
	tn_error	err;
	const char *v[1] = { name };
	char	   *location;
	char	   *dbname;
	char	   *schema;

	tn_error_clear(&err);
	if (tn_parse_drop_mode(mode, TN_DIALECT_POSTGRES, &delete, &err) != TN_OK)
		tn_raise(&err);

	reg_spi_connect();
	reg_spi_write("DELETE FROM tenancy.tenants WHERE name = $1 RETURNING location, dbname, schema_name", 1, v);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tenant \"%s\" does not exist", name),
				 errhint("See SELECT * FROM tenants().")));
	location = reg_spi_value(0, 1);
	dbname = reg_spi_value(0, 2);
	schema = reg_spi_value(0, 3);
	reg_audit(delete ? "drop_delete" : "drop", name, NULL);
	/* last: if it fails, the registry row comes back with the error */
	if (delete &&schema != NULL)
		reg_drop_schema(location, dbname, schema);
	else if (delete)
		drop_database(name, location, dbname);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}
