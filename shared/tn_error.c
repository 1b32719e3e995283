/*
 * tn_error.c -- errors as values: setting, naming, mapping to SQLSTATE and
 * rendering for hosts that have only one error string (SQLite).
 *
 * Also the one place a failed TN_ASSERT lands.
 *
 * Must not: allocate (except tn_error_render, whose result the caller
 * frees), longjmp, or print -- except tn_assert_failed, which prints and
 * aborts, and is reached only in builds with -DTN_ASSERT_CHECKING.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"

static const struct
{
	const char *name;
	const char *sqlstate;
} code_info[TN_CODE_COUNT] = {
	[TN_OK] = { "ok", "00000" },
	[TN_ERR_NULL_ARGUMENT] = { "null_argument", "22004" },
	[TN_ERR_INVALID_ARGUMENT] = { "invalid_argument", "22023" },
	[TN_ERR_INVALID_NAME] = { "invalid_name", "42602" },
	[TN_ERR_IO] = { "io_error", "58030" },
	[TN_ERR_FORMAT] = { "format_error", "TN005" },
	[TN_ERR_DUPLICATE] = { "duplicate", "42710" },
	[TN_ERR_EXISTS] = { "exists", "42710" },
	[TN_ERR_NOT_FOUND] = { "not_found", "42704" },
	[TN_ERR_DRIFT] = { "drift", "TN001" },
	[TN_ERR_MIGRATION_FAILED] = { "migration_failed", "TN002" },
	[TN_ERR_OUT_OF_ORDER] = { "out_of_order", "TN003" },
	[TN_ERR_MISSING_DOWN] = { "missing_down", "TN004" },
	[TN_ERR_NO_TRANSACTION] = { "no_transaction", "25001" },
	[TN_ERR_NOT_SUPPORTED] = { "not_supported", "0A000" },
	[TN_ERR_PERMISSION] = { "permission_denied", "42501" },
	[TN_ERR_BUSY] = { "busy", "55P03" },
	[TN_ERR_TOO_LARGE] = { "too_large", "54000" },
	[TN_ERR_NO_MEMORY] = { "out_of_memory", "53200" },
	[TN_ERR_INTERRUPTED] = { "interrupted", "57014" },
	[TN_ERR_ENGINE] = { "engine_error", "XX000" },
	[TN_ERR_UNREACHABLE] = { "unreachable", "08006" },
	[TN_ERR_DISK_FULL] = { "disk_full", "53100" },
	[TN_ERR_READ_ONLY] = { "read_only", "25006" },
	[TN_ERR_WRONG_OBJECT] = { "wrong_object_type", "42809" },
};

void
tn_error_clear(tn_error *err)
{
	if (err == NULL)
		return;
	err->code = TN_OK;
	err->sqlstate[0] = '\0';
	err->message[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
}

int
tn_error_set(tn_error *err, tn_code code, const char *fmt, ...)
{
	va_list ap;

	TN_ASSERT((int) code >= 0 && code < TN_CODE_COUNT);
	if (err == NULL)
		return code;
	tn_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void
tn_error_detail(tn_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
tn_error_hint(tn_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

const char *
tn_strerror(tn_code code)
{
	if ((int) code < 0 || code >= TN_CODE_COUNT || code_info[code].name == NULL)
		return "unknown";
	return code_info[code].name;
}

const char *
tn_error_sqlstate(const tn_error *err)
{
	const char *own = err->sqlstate;

	if (err->code == TN_ERR_ENGINE)
		return own[0] ? own : tn_code_sqlstate(TN_ERR_ENGINE);
	/*
	 * A failed migration is TN002, the body's SQLSTATE in the detail --
	 * except a cause outside the body (an operator's intervention, class
	 * 57; a full disk, lock slots, read-only storage, I/O: classes 53, 58
	 * and 25006), which is not the body's fault (tn_storage_error.c).
	 */
	if (err->code == TN_ERR_MIGRATION_FAILED && strlen(own) == 5 && tn_sqlstate_is_environment(own))
		return own;
	return tn_code_sqlstate(err->code) ? tn_code_sqlstate(err->code) : tn_code_sqlstate(TN_ERR_ENGINE);
}

tn_code
tn_code_of_sqlstate(const char *sqlstate)
{
	if (sqlstate == NULL || sqlstate[0] == '\0' || strcmp(sqlstate, "00000") == 0 ||
		strcmp(sqlstate, "XX000") == 0)
		return TN_ERR_ENGINE;
	/* the first code with it: 42710 is "duplicate" (its text says which) */
	for (int c = 1; c < TN_CODE_COUNT; c++)
		if (code_info[c].sqlstate != NULL && strcmp(code_info[c].sqlstate, sqlstate) == 0)
			return (tn_code) c;
	return TN_ERR_ENGINE;
}

const char *
tn_code_sqlstate(tn_code code)
{
	if ((int) code < 0 || code >= TN_CODE_COUNT || code_info[code].sqlstate == NULL)
		return "XX000";
	return code_info[code].sqlstate;
}

char *
tn_error_render(const tn_error *err)
{
	size_t len;
	char  *out;

	len = strlen(err->message) + strlen(err->detail) + strlen(err->hint) + 32;
	out = malloc(len);
	if (out == NULL)
		return NULL;
	snprintf(out, len, "%s%s%s%s%s", err->message,
			 err->detail[0] ? "\nDETAIL:  " : "", err->detail,
			 err->hint[0] ? "\nHINT:  " : "", err->hint);
	return out;
}

int
tn_error_null_argument(tn_error *err, const char *argname)
{
	tn_error_set(err, TN_ERR_NULL_ARGUMENT, "argument \"%s\" must not be null", argname);
	tn_error_hint(err, "Pass a value for \"%s\".", argname);
	return TN_ERR_NULL_ARGUMENT;
}

void
tn_error_detail_append(tn_error *err, const char *fmt, ...)
{
	va_list ap;
	size_t	len;

	if (err == NULL)
		return;
	len = strlen(err->detail);
	if (len > 0 && len + 1 < sizeof(err->detail))
		err->detail[len++] = ' ';
	if (len + 1 >= sizeof(err->detail))
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail + len, sizeof(err->detail) - len, fmt, ap);
	va_end(ap);
}

void
tn_assert_failed(const char *cond, const char *file, int line)
{
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, cond);
	fflush(stderr);
	abort();
}

void
tn_error_parse_rendered(tn_error *err, tn_code code, const char *text)
{
	const char *detail = strstr(text, "\nDETAIL:  ");
	const char *hint = strstr(text, "\nHINT:  ");
	const char *end_message = detail ? detail : hint ? hint
													 : text + strlen(text);

	if (hint != NULL && detail != NULL && hint < detail)
		detail = NULL; /* a "DETAIL:" inside the hint is text */
	if (detail == NULL)
		end_message = hint ? hint : text + strlen(text);
	tn_error_set(err, code, "%.*s", (int) (end_message - text), text);
	if (detail != NULL)
	{
		const char *d = detail + strlen("\nDETAIL:  ");

		tn_error_detail(err, "%.*s", (int) ((hint ? hint : d + strlen(d)) - d), d);
	}
	if (hint != NULL)
		tn_error_hint(err, "%s", hint + strlen("\nHINT:  "));
	if (code == TN_ERR_MIGRATION_FAILED)
	{
		/* the body's SQLSTATE, as tn_migration_failed wrote it into the detail */
		const char *k = strstr(err->detail, "failed with SQLSTATE ");

		if (k != NULL)
		{
			k += strlen("failed with SQLSTATE ");
			if (strspn(k, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5 && k[5] == ':')
			{
				memcpy(err->sqlstate, k, 5);
				err->sqlstate[5] = '\0';
			}
		}
	}
}
