/*
 * tn_migration.c -- one migration: building it from SQL arguments
 * (tenant_migration_add), freeing it, and turning the engine error its
 * body raised into TN_ERR_MIGRATION_FAILED with the line of the failing
 * statement.
 *
 * Must not: reach a database (the callers run the bodies), or keep memory
 * after returning except in the caller's tn_migration.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

/* Line number (1-based) of the first token at or after offset. */
int
tn_line_of_offset(const char *script, long offset)
{
	long i;
	long len = (long) strlen(script);
	int	 line = 1;

	if (offset < 0 || offset > len)
		return 0;
	/* engines differ in where a statement starts: skip blanks and comments */
	for (;;)
	{
		while (offset < len && isspace((unsigned char) script[offset]))
			offset++;
		if (offset + 1 < len && script[offset] == '-' && script[offset + 1] == '-')
		{
			while (offset < len && script[offset] != '\n')
				offset++;
		}
		else if (offset + 1 < len && script[offset] == '/' && script[offset + 1] == '*')
		{
			const char *end = strstr(script + offset + 2, "*/");

			offset = end ? (long) (end - script) + 2 : len;
		}
		else
			break;
	}
	for (i = 0; i < offset; i++)
		if (script[i] == '\n')
			line++;
	return line;
}

unsigned long long
tn_flags_with_lines(unsigned long long flags, long up_lines_before, long down_lines_before)
{
	flags &= ~((TN_MIG_LINE_MAX << TN_MIG_UP_LINE_SHIFT) | (TN_MIG_LINE_MAX << TN_MIG_DOWN_LINE_SHIFT));
	if (up_lines_before > 0 && (unsigned long long) up_lines_before <= TN_MIG_LINE_MAX)
		flags |= (unsigned long long) up_lines_before << TN_MIG_UP_LINE_SHIFT;
	if (down_lines_before > 0 && (unsigned long long) down_lines_before <= TN_MIG_LINE_MAX)
		flags |= (unsigned long long) down_lines_before << TN_MIG_DOWN_LINE_SHIFT;
	return flags;
}

long
tn_flags_lines_before(long long flags, int direction)
{
	unsigned long long f = (unsigned long long) flags;

	return (long) ((f >> (direction < 0 ? TN_MIG_DOWN_LINE_SHIFT : TN_MIG_UP_LINE_SHIFT)) & TN_MIG_LINE_MAX);
}

/*
 * Turn an engine error from a migration body into TN_ERR_MIGRATION_FAILED.
 * The line is the file's: the lines before the body in its file (a dbmate
 * section's, from e->flags) are added to the line in the body.
 */
int
tn_migration_failed(tn_error *err, const tn_entry *e, int direction, const char *what,
					const char *script, long offset, const char *aftermath)
{
	tn_error engine = *err;
	int		 line = tn_line_of_offset(script, offset);
	char	 where[64] = "";

	if (line > 0)
		line += (int) tn_flags_lines_before(e->flags, direction);
	if (line > 0)
		snprintf(where, sizeof(where), " at line %d", line);
	tn_error_set(err, TN_ERR_MIGRATION_FAILED, "%s \"%s\" failed", what, e->version);
	memcpy(err->sqlstate, engine.sqlstate, sizeof(err->sqlstate));
	if (engine.sqlstate[0])
		tn_error_detail(err, "The statement%s of \"%s\" (%s) failed with SQLSTATE %s: %s.",
						where, e->version, e->name, engine.sqlstate, engine.message);
	else
		tn_error_detail(err, "The statement%s of \"%s\" (%s) failed: %s.",
						where, e->version, e->name, engine.message);
	if (engine.detail[0])
		tn_error_detail_append(err, "%s", engine.detail);
	tn_error_detail_append(err, "%s", aftermath);
	if (tn_error_transient(&engine))
		tn_error_hint(err, "%s", TN_TRANSIENT_HINT); /* its own hint: nothing to fix */
	else if (tn_environment_hint(&engine) != NULL)
		tn_error_hint(err, "%s", tn_environment_hint(&engine)); /* the disk, not the migration */
	else if (engine.hint[0])
		tn_error_hint(err, "%s", engine.hint);
	else
		tn_error_hint(err, "Fix the migration and run the migration again.");
	return TN_ERR_MIGRATION_FAILED;
}

void
tn_migration_clear(tn_migration *m)
{
	if (m == NULL)
		return;
	free(m->version);
	free(m->name);
	free(m->up_sql);
	free(m->down_sql);
	free(m->source);
	memset(m, 0, sizeof(*m));
}

int
tn_migration_from_args(const char *version, const char *name,
					   const char *up_sql, const char *down_sql,
					   tn_dialect dialect, tn_migration *out, tn_error *err)
{
	const char *v;
	int			rc;

	memset(out, 0, sizeof(*out));
	if (version == NULL)
		return tn_error_null_argument(err, "version");
	if (name == NULL)
		return tn_error_null_argument(err, "name");
	if (up_sql == NULL)
		return tn_error_null_argument(err, "up_sql");

	v = tn_version_strip(version);
	if ((rc = tn_version_validate(v, err)) != TN_OK)
		return rc;
	if (name[0] == '\0')
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "migration name must not be empty");
		tn_error_detail(err, "Migration \"%s\" has an empty name.", v);
		return TN_ERR_INVALID_ARGUMENT;
	}
	if (strlen(name) > TN_MAX_NAME_LEN)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "migration name is too long");
		tn_error_detail(err, "Migration \"%s\" has a name of %zu bytes; the limit is %d.",
						v, strlen(name), TN_MAX_NAME_LEN);
		return TN_ERR_INVALID_ARGUMENT;
	}
	if (tn_utf8_error_offset(name, strlen(name)) >= 0)
	{
		long bad = tn_utf8_error_offset(name, strlen(name));

		tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "migration name is not valid UTF-8");
		tn_error_detail(err, "Invalid byte sequence at byte offset %ld (byte 0x%02x).",
						bad, (unsigned) (unsigned char) name[bad]);
		return TN_ERR_INVALID_ARGUMENT;
	}
	if ((rc = tn_body_validate(up_sql, strlen(up_sql), "up body", err)) != TN_OK)
		return rc;
	if (down_sql != NULL &&
		(rc = tn_body_validate(down_sql, strlen(down_sql), "down body", err)) != TN_OK)
		return rc;

	out->version = tn_strdup(v, err);
	out->name = tn_strdup(name, err);
	out->up_sql = tn_strdup(up_sql, err);
	out->down_sql = down_sql ? tn_strdup(down_sql, err) : NULL;
	out->dialect = dialect;
	if (!out->version || !out->name || !out->up_sql || (down_sql && !out->down_sql))
	{
		tn_migration_clear(out);
		return tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
	}
	if ((rc = tn_checksum(up_sql, strlen(up_sql), out->checksum, err)) != TN_OK)
	{
		tn_migration_clear(out);
		return rc;
	}
	out->flags = tn_detect_flags(up_sql);
	return TN_OK;
}
