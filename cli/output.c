/*
 * output.c -- how results look: aligned tables like psql's (centered
 * headers, a rule, numbers right-aligned, multi-line cells continued with
 * "+", "(N rows)"), one JSON document with --json, and errors as psql
 * prints them (ERROR / DETAIL / HINT, plus the SQLSTATE).
 *
 * Must not: decide exit codes or look at what a row means; commands.c does.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Display width of n bytes of UTF-8 (code points; continuation bytes do not count). */
static size_t
display_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

/* Line k of text (lines split at '\n'): start and length, or -1 when there is no such line. */
static int
nth_line(const char *text, int k, const char **start, size_t *len)
{
	const char *p = text != NULL ? text : "";

	for (int i = 0; i < k; i++)
	{
		p = strchr(p, '\n');
		if (p == NULL)
			return -1;
		p++;
	}
	*start = p;
	*len = strcspn(p, "\n");
	return 0;
}

static int
line_count(const char *text)
{
	int n = 1;

	for (const char *p = text != NULL ? text : ""; *p; p++)
		n += *p == '\n';
	return n;
}

static tn_coltype
column_type(const tn_result_def *def, const char *name)
{
	for (int c = 0; def != NULL && c < def->ncols; c++)
		if (strcmp(def->cols[c].name, name) == 0)
			return def->cols[c].type;
	return TN_COL_TEXT;
}

static void
pad(tn_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tn_buf_append(b, " ", 1);
}

/* Print b without trailing spaces, then a newline, and empty it. */
static void
flush_line(tn_buf *b)
{
	size_t n = b->len;

	while (n > 0 && b->data[n - 1] == ' ')
		n--;
	fwrite(b->data != NULL ? b->data : "", 1, n, stdout);
	fputc('\n', stdout);
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static void
print_aligned(const cli_result *r, const tn_result_def *def)
{
	size_t *width = calloc((size_t) r->ncols + 1, sizeof(size_t));
	int	   *right = calloc((size_t) r->ncols + 1, sizeof(int));
	tn_buf	line = { 0 };

	if (width == NULL || right == NULL)
	{
		free(width);
		free(right);
		return;
	}
	for (int c = 0; c < r->ncols; c++)
	{
		width[c] = display_width(r->colnames[c], strlen(r->colnames[c]));
		right[c] = column_type(def, r->colnames[c]) == TN_COL_INT8;
		for (size_t i = 0; i < r->nrows; i++)
		{
			const char *cell = r->cells[i * r->ncols + c];

			for (int k = 0; k < line_count(cell); k++)
			{
				const char *s = "";
				size_t		n = 0;

				nth_line(cell, k, &s, &n);
				if (display_width(s, n) > width[c])
					width[c] = display_width(s, n);
			}
		}
	}
	/* header, centered as psql does (extra space on the right) */
	for (int c = 0; c < r->ncols; c++)
	{
		size_t w = display_width(r->colnames[c], strlen(r->colnames[c]));
		size_t left = (width[c] - w) / 2;

		tn_buf_append(&line, c > 0 ? "| " : " ", c > 0 ? 2 : 1);
		pad(&line, left);
		tn_buf_append(&line, r->colnames[c], strlen(r->colnames[c]));
		pad(&line, width[c] - w - left + 1);
	}
	flush_line(&line);
	for (int c = 0; c < r->ncols; c++)
	{
		if (c > 0)
			tn_buf_append(&line, "+", 1);
		for (size_t i = 0; i < width[c] + 2; i++)
			tn_buf_append(&line, "-", 1);
	}
	flush_line(&line);
	for (size_t i = 0; i < r->nrows; i++)
	{
		int height = 1;

		for (int c = 0; c < r->ncols; c++)
			if (line_count(r->cells[i * r->ncols + c]) > height)
				height = line_count(r->cells[i * r->ncols + c]);
		for (int k = 0; k < height; k++)
		{
			for (int c = 0; c < r->ncols; c++)
			{
				const char *cell = r->cells[i * r->ncols + c];
				const char *s = "";
				size_t		n = 0,
					   w;
				int more;

				if (nth_line(cell, k, &s, &n) != 0)
				{
					s = "";
					n = 0;
				}
				more = k + 1 < line_count(cell);
				w = display_width(s, n);
				tn_buf_append(&line, c > 0 ? "| " : " ", c > 0 ? 2 : 1);
				if (right[c])
					pad(&line, width[c] - w);
				tn_buf_append(&line, s, n);
				if (!right[c])
					pad(&line, width[c] - w);
				tn_buf_append(&line, more ? "+" : " ", 1);
			}
			flush_line(&line);
		}
	}
	printf("(%zu row%s)\n", r->nrows, r->nrows == 1 ? "" : "s");
	tn_buf_free(&line);
	free(width);
	free(right);
}

int
cli_json_string(tn_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int				  rc = tn_buf_append(b, "\"", 1);

	for (; rc == TN_OK && *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			char esc[2] = { '\\', (char) c };

			rc = tn_buf_append(b, esc, 2);
		}
		else if (c == '\n')
			rc = tn_buf_append(b, "\\n", 2);
		else if (c == '\t')
			rc = tn_buf_append(b, "\\t", 2);
		else if (c == '\r')
			rc = tn_buf_append(b, "\\r", 2);
		else if (c < 0x20)
		{
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			rc = tn_buf_append(b, esc, 6);
		}
		else
			rc = tn_buf_append(b, (const char *) &c, 1);
	}
	return rc == TN_OK ? tn_buf_append(b, "\"", 1) : rc;
}

static int
is_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* One cell as a JSON value, typed by the core's column definition. */
static void
json_cell(tn_buf *b, const tn_result_def *def, const char *col, const char *v)
{
	tn_coltype t = column_type(def, col);

	if (v == NULL)
		tn_buf_append(b, "null", 4);
	else if (t == TN_COL_INT8 && is_integer(v))
		tn_buf_append(b, v, strlen(v));
	else if (t == TN_COL_BOOL)
		tn_buf_append(b, tn_text_bool(v) ? "true" : "false", tn_text_bool(v) ? 4 : 5);
	else if (def == &tn_def_query_all && strcmp(col, "row") == 0)
		tn_buf_append(b, v, strlen(v)); /* already JSON on both engines */
	else
		cli_json_string(b, v);
}

static void
print_json(const cli_result *r, const tn_result_def *def)
{
	tn_buf b = { 0 };

	tn_buf_append(&b, "[", 1);
	for (size_t i = 0; i < r->nrows; i++)
	{
		tn_buf_append(&b, i > 0 ? ",\n {" : "\n {", i > 0 ? 4 : 3);
		for (int c = 0; c < r->ncols; c++)
		{
			if (c > 0)
				tn_buf_append(&b, ", ", 2);
			cli_json_string(&b, r->colnames[c]);
			tn_buf_append(&b, ": ", 2);
			json_cell(&b, def, r->colnames[c], r->cells[i * r->ncols + c]);
		}
		tn_buf_append(&b, "}", 1);
	}
	tn_buf_append(&b, r->nrows > 0 ? "\n]\n" : "]\n", r->nrows > 0 ? 3 : 2);
	fputs(b.data, stdout);
	tn_buf_free(&b);
}

void
cli_print_table(const cli_result *r, const tn_result_def *def, int json)
{
	if (json)
		print_json(r, def);
	else
		print_aligned(r, def);
	fflush(stdout);
}

void
cli_print_scalar(const cli_result *r, const char *key, int is_number,
				 const char *sentence, int json)
{
	const char *v = r->nrows > 0 && r->ncols > 0 ? r->cells[0] : NULL;

	if (json)
	{
		tn_buf b = { 0 };

		tn_buf_append(&b, "{", 1);
		cli_json_string(&b, key);
		tn_buf_append(&b, ": ", 2);
		if (v == NULL)
			tn_buf_append(&b, "null", 4);
		else if (is_number && is_integer(v))
			tn_buf_append(&b, v, strlen(v));
		else
			cli_json_string(&b, v);
		tn_buf_append(&b, "}\n", 2);
		fputs(b.data, stdout);
		tn_buf_free(&b);
	}
	else
		printf(sentence, v != NULL ? v : "");
	fflush(stdout);
}

void
cli_print_error(const cli_error *e, int json)
{
	if (json)
	{
		tn_buf b = { 0 };

		tn_buf_append(&b, "{\"error\": {\"message\": ", 22);
		cli_json_string(&b, e->message != NULL ? e->message : "");
		tn_buf_append(&b, ", \"detail\": ", 12);
		if (e->detail != NULL)
			cli_json_string(&b, e->detail);
		else
			tn_buf_append(&b, "null", 4);
		tn_buf_append(&b, ", \"hint\": ", 10);
		if (e->hint != NULL)
			cli_json_string(&b, e->hint);
		else
			tn_buf_append(&b, "null", 4);
		tn_buf_append(&b, ", \"sqlstate\": ", 14);
		if (e->sqlstate[0] != '\0')
			cli_json_string(&b, e->sqlstate);
		else
			tn_buf_append(&b, "null", 4);
		tn_buf_append(&b, "}}\n", 3);
		fputs(b.data, stdout);
		tn_buf_free(&b);
		fflush(stdout);
		return;
	}
	fprintf(stderr, "ERROR:  %s\n", e->message != NULL ? e->message : "");
	if (e->detail != NULL)
		fprintf(stderr, "DETAIL:  %s\n", e->detail);
	if (e->hint != NULL)
		fprintf(stderr, "HINT:  %s\n", e->hint);
	if (e->sqlstate[0] != '\0')
		fprintf(stderr, "SQLSTATE:  %s\n", e->sqlstate);
}
