/*
 * tn_body_guard.c -- whose rights a fan-out's migration bodies run with in
 * a tenant, and which schemas they may resolve names in (issue 7, finding
 * 4; SECURITY.md promise 2).
 *
 * In a tenant, the owner of the tenant (the schema's owner for a schema
 * tenant, the database's owner otherwise) controls the search_path the
 * bodies see (ALTER DATABASE ... SET, objects in its schemas).  So bodies
 * run as that owner (SECURITY_LOCAL_USERID_CHANGE: no SET ROLE out of
 * it); when the owner is a superuser or the caller itself, nothing
 * changes.  And before they run, every schema of their search_path (but
 * pg_catalog) must be owned by a superuser or that owner and give CREATE
 * to nobody else: a role with CREATE there could shadow lower() or "="
 * for everyone the bodies run as (PostgreSQL's CVE-2018-1058 advice).
 * The administrator's opt-in is ownership: make a trusted role (or a
 * superuser) the tenant's owner.
 *
 * No-transaction statements are sent to a tenant as they are, as the
 * connected role: they cannot be moved into the owner's rights (SET ROLE
 * is no boundary: code the owner controls can RESET it), so the tenant
 * side takes them only where that owner is a superuser or the connected
 * role itself, and in trusted schemas (tn_pg_guard_raw_session).
 *
 * Must not: run a body, or change the session's search_path.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "spi_adapter.h"

void
tn_pg_adapter_bodies_as_owner(tn_pg_adapter_ctx *ctx, const char *schema)
{
	Oid		  owner = InvalidOid;
	HeapTuple tp;

	if (schema != NULL)
	{
		Oid nsp = get_namespace_oid(schema, true);

		if (OidIsValid(nsp) && HeapTupleIsValid(tp = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp))))
		{
			owner = ((Form_pg_namespace) GETSTRUCT(tp))->nspowner;
			ReleaseSysCache(tp);
		}
	}
	else if (HeapTupleIsValid(tp = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId))))
	{
		owner = ((Form_pg_database) GETSTRUCT(tp))->datdba;
		ReleaseSysCache(tp);
	}
	ctx->check_body_path = true;
	ctx->body_user = (!OidIsValid(owner) || superuser_arg(owner) || owner == GetUserId())
						 ? InvalidOid
						 : owner;
}

/*
 * The first schema of $1 (but pg_catalog) that someone other than a
 * superuser or $2 owns or may create in.  pg_database_owner (public's
 * owner since PostgreSQL 15) stands for the database's owner.
 */
#define UNTRUSTED_SCHEMAS_SQL                                                                                                     \
	"WITH s AS (SELECT n.nspname, n.nspacl, CASE WHEN n.nspowner OPERATOR(pg_catalog.=) 'pg_database_owner'::pg_catalog.regrole"  \
	"            THEN (SELECT d.datdba FROM pg_catalog.pg_database d WHERE d.oid OPERATOR(pg_catalog.=) $3)"                      \
	"            ELSE n.nspowner END AS owner"                                                                                    \
	"       FROM pg_catalog.pg_namespace n"                                                                                       \
	"      WHERE n.oid OPERATOR(pg_catalog.=) ANY ($1) AND n.nspname OPERATOR(pg_catalog.<>) 'pg_catalog'),"                      \
	" t AS (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolsuper OR r.oid OPERATOR(pg_catalog.=) $2)"                         \
	"SELECT s.nspname::pg_catalog.text FROM s WHERE s.owner OPERATOR(pg_catalog.<>) ALL (SELECT oid FROM t)"                      \
	" UNION ALL "                                                                                                                 \
	"SELECT s.nspname::pg_catalog.text FROM s, pg_catalog.aclexplode(s.nspacl) a"                                                 \
	" WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'"                                                                     \
	"   AND (CASE WHEN a.grantee OPERATOR(pg_catalog.=) 'pg_database_owner'::pg_catalog.regrole THEN s.owner ELSE a.grantee END)" \
	"       OPERATOR(pg_catalog.<>) ALL (SELECT oid FROM t)"                                                                      \
	"   AND a.grantee OPERATOR(pg_catalog.<>) s.owner"                                                                            \
	" LIMIT 1"

void
tn_pg_check_body_path(const tn_pg_adapter_ctx *ctx)
{
	List	 *path = fetch_search_path(false);
	Oid		  user = OidIsValid(ctx->body_user) ? ctx->body_user : GetUserId();
	Datum	 *oids = palloc(sizeof(Datum) * (list_length(path) + 1));
	int		  n = 0;
	ListCell *lc;
	Datum	  args[3];
	Oid		  types[3] = { OIDARRAYOID, OIDOID, OIDOID };
	int		  rc;

	foreach (lc, path)
		if (!isTempOrTempToastNamespace(lfirst_oid(lc)))
			oids[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	args[0] = PointerGetDatum(construct_array(oids, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	args[1] = ObjectIdGetDatum(user);
	args[2] = ObjectIdGetDatum(MyDatabaseId);
	rc = SPI_execute_with_args(UNTRUSTED_SCHEMAS_SQL, 3, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not check the schemas of the search_path (SPI %d)", rc);
	if (SPI_processed > 0)
	{
		char *nsp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema \"%s\" of the search_path of the tenant's migrations is not trusted", nsp),
				 errdetail("Someone other than the tenant's owner (%s) or a superuser owns it or may create objects in it, "
						   "so a function or operator there could shadow the one a migration means and run with its rights.",
						   GetUserNameFromId(user, true) ? GetUserNameFromId(user, true) : "?"),
				 errhint("REVOKE CREATE ON SCHEMA %s from the other roles, or take it out of the tenant's search_path.",
						 quote_identifier(nsp))));
	}
	SPI_freetuptable(SPI_tuptable);
}

void
tn_pg_guard_raw_session(const tn_pg_adapter_ctx *ctx)
{
	int nest;

	if (OidIsValid(ctx->body_user))
	{
		const char *owner = GetUserNameFromId(ctx->body_user, true);
		const char *me = GetUserNameFromId(GetUserId(), true);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no-transaction migrations do not run in a tenant owned by role \"%s\"", owner ? owner : "?"),
				 errdetail("Their statements are sent as they are and run with the rights of %s, not the tenant owner's, "
						   "so code the owner controls would run with those rights.",
						   me ? me : "the connected role"),
				 errhint("Make a superuser or the connecting role the tenant's owner, or apply that migration in the tenant as its owner.")));
	}
	/* the schemas their names resolve in: the path they will run with */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", ctx->caller_search_path ? ctx->caller_search_path : "",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		tn_pg_check_body_path(ctx);
	}
	PG_FINALLY();
	{
		AtEOXact_GUC(true, nest);
	}
	PG_END_TRY();
}
