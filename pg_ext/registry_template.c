/*
 * registry_template.c -- the template database that tenant_create clones.
 *
 * Each server that holds database tenants has a template database
 * tenancy_template_<control db>, kept at the newest version of the tenant
 * set: a change of the set brings this server's along, and tenant_create
 * makes (or brings) the one of its server before CREATE DATABASE ..
 * TEMPLATE, which runs over a libpq connection (it cannot run in a
 * transaction).  What this backend last made of a template is remembered,
 * so that a run of tenant_create calls checks it once.  A role that is not
 * a superuser on that server makes no template (tenancy is not a trusted
 * extension): it uses one a superuser prepared for it, owned by it, and is
 * told how when there is none (issue 7; SECURITY.md).
 *
 * Must not: register or drop a tenant, or bring a template anywhere but
 * to the newest version of the set.
 */
#include "postgres.h"

#include <stdlib.h>

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "registry_internal.h"
#include "tn_raise.h"

char *
reg_template_name(void)
{
	char *db = get_database_name(MyDatabaseId);
	char *name = psprintf("tenancy_template_%s", db);

	if (strlen(name) >= NAMEDATALEN)
		name[NAMEDATALEN - 1] = '\0';
	return name;
}

/* ------------------------------------------------------------------ */
/* What this backend knows of the template                             */
/* ------------------------------------------------------------------ */

/*
 * The template this backend last brought to a set (reg_ensure_template),
 * so that tenant_create need not check it again for every tenant: the
 * check costs three connections, and its connection to the template makes
 * the CREATE DATABASE that follows wait (PostgreSQL polls every 100 ms
 * until no other session is connected to the template).  The entry holds
 * only while everything it was made from is unchanged: the location, the
 * template's database OID (a drop and re-create changes it), the
 * extension's version and the exact transport text of the set (any added
 * or edited migration changes it).  TopMemoryContext; one entry.
 */
typedef struct known_template
{
	bool  valid;
	char *location; /* NULL: this server */
	char *tmpl;
	Oid	  oid;
	char *extversion;
	char *set_text;
	char *version; /* where reg_ensure_template left it */
} known_template;

static known_template template_cache;

void
reg_template_forget(void)
{
	known_template *k = &template_cache;

	if (k->location)
		pfree(k->location);
	if (k->tmpl)
		pfree(k->tmpl);
	if (k->extversion)
		pfree(k->extversion);
	if (k->set_text)
		pfree(k->set_text);
	if (k->version)
		pfree(k->version);
	memset(k, 0, sizeof(*k));
}

static void
template_remember(const char *location, const char *tmpl, Oid oid,
				  const char *extversion, const char *set_text, const char *version)
{
	known_template *k = &template_cache;

	reg_template_forget();
	if (oid == InvalidOid)
		return;
	k->location = location ? MemoryContextStrdup(TopMemoryContext, location) : NULL;
	k->tmpl = MemoryContextStrdup(TopMemoryContext, tmpl);
	k->oid = oid;
	k->extversion = MemoryContextStrdup(TopMemoryContext, extversion);
	k->set_text = MemoryContextStrdup(TopMemoryContext, set_text);
	k->version = MemoryContextStrdup(TopMemoryContext, version);
	k->valid = true;
}

/* The template's version when it is known current, else NULL. */
static const char *
template_known(const char *location, const char *tmpl, Oid oid,
			   const char *extversion, const char *set_text)
{
	known_template *k = &template_cache;

	if (!k->valid || oid == InvalidOid || k->oid != oid ||
		(k->location == NULL) != (location == NULL) ||
		(location != NULL && strcmp(k->location, location) != 0) ||
		strcmp(k->tmpl, tmpl) != 0 || strcmp(k->extversion, extversion) != 0 ||
		strcmp(k->set_text, set_text) != 0)
		return NULL;
	return k->version;
}

/* ------------------------------------------------------------------ */
/* Making and bringing the template                                    */
/* ------------------------------------------------------------------ */

/* OID of database dbname on conn's server, InvalidOid when there is none. */
static Oid
database_oid(PGconn *conn, const char *dbname)
{
	const char *p[1] = { dbname };
	PGresult   *res = tn_lpq_exec_or_raise(conn, "SELECT oid FROM pg_catalog.pg_database WHERE datname = $1", 1, p);
	Oid			oid = InvalidOid;

	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		oid = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return oid;
}

static void
admin_opts(tn_lpq_opts *o, const char *location)
{
	memset(o, 0, sizeof(*o));
	o->location = location;
	o->dbname = "postgres";
	o->application_name = "tenancy admin";
}

PGconn *
reg_server_admin_conn(const char *location)
{
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;

	tn_error_clear(&err);
	admin_opts(&o, location);
	conn = tn_lpq_admin_connect(&o, &err);
	if (conn == NULL)
		tn_raise_failure(&err);
	return conn;
}

void
reg_server_admin_done(PGconn *conn, const char *location)
{
	tn_lpq_opts o;

	admin_opts(&o, location);
	tn_lpq_admin_done(conn, &o);
}

bool
reg_template_exists_at(const char *location)
{
	PGconn *conn;
	Oid		oid;

	if (location == NULL)
		return OidIsValid(get_database_oid(reg_template_name(), true));
	conn = reg_server_admin_conn(location);
	oid = database_oid(conn, reg_template_name());
	reg_server_admin_done(conn, location);
	return OidIsValid(oid);
}

/* One text value of a query on conn (NULL when no row or NULL), palloc'd. */
static char *
remote_value(PGconn *conn, const char *sql, int nargs, const char *const *args)
{
	PGresult *res = tn_lpq_exec_or_raise(conn, sql, nargs, args);
	char	 *v = NULL;

	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		v = pstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* Is the role conn is connected as a superuser of that server? */
static bool
remote_superuser(PGconn *conn)
{
	char *v = remote_value(conn, "SELECT rolsuper::text FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) CURRENT_USER", 0, NULL);

	return v != NULL && strcmp(v, "true") == 0;
}

/*
 * An administrator that is not a superuser (issue 7): it cannot create the
 * template's extension (tenancy is not a trusted extension), clones only a
 * database it owns, and migrates the template with its own rights.  So a
 * superuser prepares the template once, owned by that role; until then
 * tenant_create says exactly how (42501), instead of failing half-way.
 */
static void
refuse_unprepared_template(const char *tmpl, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("template database \"%s\" is not prepared for role \"%s\"", tmpl, GetUserNameFromId(GetUserId(), false)),
			 errdetail("%s A role that is not a superuser clones only a template it owns, with tenancy installed and its migrator capability granted there.", why),
			 errhint("A superuser prepares it once: CREATE DATABASE %s OWNER %s (or ALTER DATABASE ... OWNER TO), then, connected to it, CREATE EXTENSION tenancy and SELECT tenancy.grant_capability('%s', 'migrator').",
					 quote_identifier(tmpl), quote_identifier(GetUserNameFromId(GetUserId(), false)),
					 GetUserNameFromId(GetUserId(), false))));
}

/* The template of a non-superuser: it must exist, be its own and hold tenancy for it. */
static void
check_template_of_nonsuperuser(PGconn *conn, const char *location, const char *tmpl, Oid oid)
{
	const char *p[1] = { tmpl };
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *tconn;
	char	   *ok;

	if (oid == InvalidOid)
		refuse_unprepared_template(tmpl, "It does not exist.");
	ok = remote_value(conn, "SELECT (d.datdba OPERATOR(pg_catalog.=) r.oid)::text FROM pg_catalog.pg_database d, pg_catalog.pg_roles r"
							" WHERE d.datname OPERATOR(pg_catalog.=) $1 AND r.rolname OPERATOR(pg_catalog.=) CURRENT_USER",
					  1, p);
	if (ok == NULL || strcmp(ok, "true") != 0)
		refuse_unprepared_template(tmpl, "Another role owns it.");
	tn_error_clear(&err);
	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = tmpl;
	tconn = tn_lpq_connect(&o, &err);
	if (tconn == NULL)
		tn_raise_failure(&err);
	ok = remote_value(tconn, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) f.pronamespace"
							 " WHERE n.nspname OPERATOR(pg_catalog.=) 'tenancy' AND f.proname OPERATOR(pg_catalog.=) 'migrate_synced'"
							 " AND pg_catalog.has_function_privilege(f.oid, 'EXECUTE'))::text",
					  0, NULL);
	tn_lpq_finish(tconn);
	if (ok == NULL || strcmp(ok, "true") != 0)
		refuse_unprepared_template(tmpl, "tenancy is not installed there, or the role may not migrate it.");
}

/*
 * Create the template database on location's server when it is missing
 * (a concurrent tenant_create may have made it: fine) and the extension
 * in it.  Returns the template's OID.  A role that is not a superuser
 * there only uses a template prepared for it (check_template_of_nonsuperuser).
 */
static Oid
template_make(const char *location, const char *tmpl, const char *extversion)
{
	tn_lpq_opts o;
	tn_error	err;
	PGconn	   *conn;
	PGresult   *res;
	Oid			oid;

	tn_error_clear(&err);
	conn = reg_server_admin_conn(location);
	oid = database_oid(conn, tmpl);
	if (!remote_superuser(conn))
	{
		check_template_of_nonsuperuser(conn, location, tmpl, oid);
		reg_server_admin_done(conn, location);
		return oid;
	}
	if (oid == InvalidOid)
	{
		char *sql = psprintf("CREATE DATABASE %s", quote_identifier(tmpl));

		res = tn_lpq_exec(conn, sql, 0, NULL, &err);
		if (res == NULL && strcmp(err.sqlstate, "42P04") != 0)
		{
			tn_lpq_finish(conn);
			tn_raise_failure(&err);
		}
		if (res)
			PQclear(res);
		oid = database_oid(conn, tmpl);
	}
	reg_server_admin_done(conn, location);

	memset(&o, 0, sizeof(o));
	o.location = location;
	o.dbname = tmpl;
	conn = tn_lpq_connect(&o, &err);
	if (conn == NULL)
		tn_raise_failure(&err);
	res = tn_lpq_exec(conn, psprintf("CREATE EXTENSION IF NOT EXISTS tenancy VERSION %s", quote_literal_cstr(extversion)), 0, NULL, &err);
	if (res == NULL && strcmp(err.sqlstate, "23505") != 0 && strcmp(err.sqlstate, "42710") != 0)
	{
		tn_lpq_finish(conn);
		tn_raise_failure(&err);
	}
	if (res)
		PQclear(res);
	tn_lpq_finish(conn);
	return oid;
}

/* The outcome of the one tenant (the template) of a FO_SYNC_TEMPLATE job. */
typedef struct one_outcome
{
	int		 rc;
	tn_error err;
	char	 to_version[TN_MAX_VERSION_LEN + 1];
} one_outcome;

static void
one_done(void *arg, int index pg_attribute_unused(),
		 const fo_tenant *t pg_attribute_unused(), fo_outcome *out)
{
	one_outcome *o = arg;

	o->rc = out->rc;
	o->err = out->err;
	snprintf(o->to_version, sizeof(o->to_version), "%s", out->res.to_version);
}

/* Bring the template to the newest version, as any tenant; returns it. */
static char *
template_sync(const char *location, const char *tmpl, tn_migration_set *set,
			  const char *set_text)
{
	fo_tenant	t;
	fo_job		job;
	one_outcome out;

	memset(&t, 0, sizeof(t));
	t.name = tmpl;
	t.location = location;
	t.dbname = tmpl;
	memset(&job, 0, sizeof(job));
	memset(&out, 0, sizeof(out));
	job.mode = FO_SYNC_TEMPLATE;
	job.tenants = &t;
	job.ntenants = 1;
	job.concurrency = 1;
	job.set = set;
	job.set_text = set_text;
	job.options = fo_timeout_options();
	job.done = one_done;
	job.arg = &out;
	fo_run(&job);
	if (out.rc != TN_OK)
	{
		tn_error_detail_append(&out.err, "This happened in the template database \"%s\", so the change was not accepted.", tmpl);
		tn_raise_failure(&out.err);
	}
	return pstrdup(out.to_version);
}

char *
reg_ensure_template(const char *location, tn_migration_set *set, const char *set_text)
{
	char *tmpl = reg_template_name();
	char *extversion = reg_extension_version();
	Oid	  oid;
	char *version;

	reg_template_forget();
	oid = template_make(location, tmpl, extversion);
	version = template_sync(location, tmpl, set, set_text);
	template_remember(location, tmpl, oid, extversion, set_text, version);
	return version;
}

void
reg_template_follow_set(tn_migration_set *set, const char *set_text)
{
	/*
	 * A template a non-superuser administrator cannot make is left to
	 * tenant_create (which says how a superuser prepares it); one that
	 * exists follows the set, whoever changes it.
	 */
	if (!superuser() && !OidIsValid(get_database_oid(reg_template_name(), true)))
		return;
	(void) reg_ensure_template(NULL, set, set_text);
}

void
reg_check_createdb(PGconn *conn, const char *name)
{
	char *ok = remote_value(conn, "SELECT (rolsuper OR rolcreatedb)::text FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) CURRENT_USER", 0, NULL);

	if (ok != NULL && strcmp(ok, "true") == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to create database \"%s\"", name),
			 errdetail("tenant_create makes a database with the rights of the role it connects as, and that role has no CREATEDB attribute on that server."),
			 errhint("A superuser gives it with ALTER ROLE ... CREATEDB, or creates the database, which you then adopt with tenant_register('%s', location).", name)));
}

char *
reg_template_known_version(PGconn *admin, const char *location, const char *set_text)
{
	char	   *tmpl = reg_template_name();
	const char *known;

	/*
	 * Known only when this backend has already brought it, as it is now,
	 * to this very set.
	 */
	known = template_known(location, tmpl,
						   location == NULL ? get_database_oid(tmpl, true) : database_oid(admin, tmpl),
						   reg_extension_version(), set_text);
	return known ? pstrdup(known) : NULL;
}

void
reg_template_follow_current_set(void)
{
	tn_migration_set set;
	char			*text;

	reg_load_set(&set);
	text = reg_encode_set(&set);
	PG_TRY();
	{
		reg_template_follow_set(&set, text);
	}
	PG_FINALLY();
	{
		tn_migration_set_free(&set);
	}
	PG_END_TRY();
}
