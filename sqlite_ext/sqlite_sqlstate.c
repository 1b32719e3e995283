/*
 * sqlite_sqlstate.c -- the SQLSTATE PostgreSQL gives for the error SQLite
 * just reported, so an error a tenant's own SQL raised carries the same
 * SQLSTATE on both engines (tenant_query_all's error rows, the "failed
 * with SQLSTATE ..." detail of a failed migration, the tenancy command's
 * SQLSTATE: line).  SQLite has no SQLSTATE: the extended result code says
 * the class (constraints, I/O, permissions), and for SQLITE_ERROR the
 * start of the message says which compile-time error it was ("no such
 * table: x" is PostgreSQL's "relation "x" does not exist", 42P01).  The
 * message text itself stays SQLite's.
 *
 * Must not: change the message, or guess: an error not in the table has
 * no SQLSTATE ("" -> the core's XX000).
 */
#include <string.h>

#include "sqlite_adapter.h"

SQLITE_EXTENSION_INIT3

/* SQLITE_ERROR messages by how they start (sqlite3 3.40 wording). */
static const struct
{
	const char *prefix;
	const char *sqlstate;
} message_states[] = {
	{ "no such table:", "42P01" },
	{ "no such view:", "42P01" },
	{ "no such column:", "42703" },
	{ "no such function:", "42883" },
	{ "wrong number of arguments to function", "42883" },
	{ "no such index:", "42704" },
	{ "no such trigger:", "42704" },
	{ "no such collation sequence:", "42704" },
	{ "near \"", "42601" }, /* near "FRM": syntax error */
	{ "incomplete input", "42601" },
	{ "unrecognized token:", "42601" },
	{ "ambiguous column name:", "42702" },
	{ "duplicate column name:", "42701" },
	{ "table ", "42P07" },	 /* table x already exists */
	{ "index ", "42P07" },	 /* index x already exists */
	{ "view ", "42P07" },	 /* view x already exists */
	{ "trigger ", "42710" }, /* trigger x already exists */
	{ "cannot commit - no transaction is active", "25P01" },
	{ "cannot rollback - no transaction is active", "25P01" },
	{ "cannot start a transaction within a transaction", "25001" },
};

/* "table x already exists" and the like: the prefix alone is too wide. */
static int
says_exists(const char *msg)
{
	const char *end = strstr(msg, " already exists");

	return end != NULL && end[15] == '\0';
}

const char *
tn_sqlite_sqlstate(sqlite3 *db, int rc)
{
	int			ext = rc;
	const char *msg = "";

	if (db != NULL && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff))
	{
		ext = sqlite3_extended_errcode(db);
		msg = sqlite3_errmsg(db);
	}
	switch (ext)
	{
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
		case SQLITE_CONSTRAINT_ROWID:
			return "23505";
		case SQLITE_CONSTRAINT_NOTNULL:
			return "23502";
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			return "23503";
		case SQLITE_CONSTRAINT_CHECK:
			return "23514";
		case SQLITE_CONSTRAINT_TRIGGER: /* RAISE(ABORT, ...) in a trigger: PL/pgSQL RAISE */
			return "P0001";
		default:
			break;
	}
	switch (ext & 0xff)
	{
		case SQLITE_CONSTRAINT:
			return "23000";
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			return "55P03";
		case SQLITE_INTERRUPT:
			return "57014";
		case SQLITE_NOMEM:
			return "53200";
		case SQLITE_READONLY:
			return "25006";
		case SQLITE_PERM:
		case SQLITE_AUTH:
			return "42501";
		case SQLITE_CANTOPEN:
		case SQLITE_NOTADB:
			return "08006";
		case SQLITE_CORRUPT:
			return "XX001";
		case SQLITE_FULL:
			return "53100";
		case SQLITE_IOERR:
			return "58030";
		case SQLITE_TOOBIG:
			return "54000";
		case SQLITE_MISMATCH:
			return "42804";
		case SQLITE_RANGE:
			return "22023";
		case SQLITE_ERROR:
			for (size_t i = 0; i < sizeof(message_states) / sizeof(message_states[0]); i++)
			{
				const char *p = message_states[i].prefix;

				if (strncmp(msg, p, strlen(p)) != 0)
					continue;
				if (strcmp(message_states[i].sqlstate, "42P07") == 0 ||
					strcmp(message_states[i].sqlstate, "42710") == 0)
				{
					if (says_exists(msg))
						return message_states[i].sqlstate;
					continue;
				}
				return message_states[i].sqlstate;
			}
			return "";
		default:
			return "";
	}
}
