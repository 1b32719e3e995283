/*
 * result.c -- the value a query gives back on either engine: a table of text
 * cells with column names, or an error (message, detail, hint, SQLSTATE).
 *
 * Must not: talk to a database or print; the connections fill it and
 * output.c prints it.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cli.h"

void
cli_result_free(cli_result *r)
{
	for (int c = 0; r->colnames != NULL && c < r->ncols; c++)
		free(r->colnames[c]);
	free(r->colnames);
	for (size_t i = 0; r->cells != NULL && i < r->nrows * (size_t) r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	free(r->err.message);
	free(r->err.detail);
	free(r->err.hint);
	memset(r, 0, sizeof(*r));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

void
cli_result_fail(cli_result *r, const char *sqlstate, const char *message,
				const char *detail, const char *hint)
{
	r->ok = 0;
	memset(r->err.sqlstate, 0, sizeof(r->err.sqlstate));
	if (sqlstate != NULL)
		strncpy(r->err.sqlstate, sqlstate, 5);
	free(r->err.message);
	free(r->err.detail);
	free(r->err.hint);
	r->err.message = strdup(message != NULL ? message : "unknown error");
	r->err.detail = dup_or_null(detail);
	r->err.hint = dup_or_null(hint);
}

/* Cut text at the first occurrence of marker (a line start), returning what follows it. */
static char *
cut_section(char *text, const char *marker)
{
	char *at = strstr(text, marker);

	if (at == NULL)
		return NULL;
	*at = '\0';
	return at + strlen(marker);
}

void
cli_result_fail_rendered(cli_result *r, const char *sqlstate, const char *text)
{
	char *copy = strdup(text != NULL ? text : "unknown error");
	char *hint,
		*detail;

	if (copy == NULL)
	{
		cli_result_fail(r, "53200", "out of memory", NULL, NULL);
		return;
	}
	hint = cut_section(copy, "\nHINT:  ");
	detail = cut_section(copy, "\nDETAIL:  ");
	cli_result_fail(r, sqlstate, copy, detail, hint);
	free(copy);
}

int
cli_result_add_row(cli_result *r, const char *const *values)
{
	size_t base = r->nrows * (size_t) r->ncols;
	char **cells = realloc(r->cells, (base + (size_t) r->ncols + 1) * sizeof(char *));

	if (cells == NULL)
		return -1;
	r->cells = cells;
	for (int c = 0; c < r->ncols; c++)
	{
		cells[base + c] = values[c] != NULL ? strdup(values[c]) : NULL;
		if (values[c] != NULL && cells[base + c] == NULL)
		{
			for (int k = 0; k < c; k++)
				free(cells[base + k]);
			return -1;
		}
	}
	r->nrows++;
	return 0;
}
