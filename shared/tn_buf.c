/*
 * tn_buf.c -- growable strings and text result tables owned by the core.
 *
 * Plain malloc/realloc/free; every structure has one *_free.  Functions
 * report out-of-memory as TN_ERR_NO_MEMORY and leave the structure valid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"

static int
buf_reserve(tn_buf *b, size_t extra)
{
	size_t		need = b->len + extra + 1;
	size_t		cap;
	char	   *p;

	if (need <= b->cap)
		return TN_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return TN_ERR_NO_MEMORY;
	b->data = p;
	b->cap = cap;
	return TN_OK;
}

int
tn_buf_append(tn_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) != TN_OK)
		return TN_ERR_NO_MEMORY;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return TN_OK;
}

int
tn_buf_printf(tn_buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TN_ERR_INVALID_ARGUMENT;
	if (buf_reserve(b, (size_t) n) != TN_OK)
		return TN_ERR_NO_MEMORY;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
	return TN_OK;
}

void
tn_buf_free(tn_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
tn_rows_init(tn_rows *r, int ncols)
{
	r->ncols = ncols;
	r->nrows = 0;
	r->cap = 0;
	r->cells = NULL;
}

int
tn_rows_add(tn_rows *r, const char *const *values)
{
	size_t		base;
	int			i;

	if (r->nrows == r->cap)
	{
		size_t		cap = r->cap ? r->cap * 2 : 16;
		char	  **cells = realloc(r->cells, cap * (size_t) r->ncols * sizeof(char *));

		if (cells == NULL)
			return TN_ERR_NO_MEMORY;
		r->cells = cells;
		r->cap = cap;
	}
	base = r->nrows * (size_t) r->ncols;
	for (i = 0; i < r->ncols; i++)
	{
		const char *v = values[i];

		r->cells[base + i] = NULL;
		if (v != NULL)
		{
			size_t		n = strlen(v) + 1;
			char	   *copy = malloc(n);

			if (copy == NULL)
			{
				while (--i >= 0)
					free(r->cells[base + i]);
				return TN_ERR_NO_MEMORY;
			}
			memcpy(copy, v, n);
			r->cells[base + i] = copy;
		}
	}
	r->nrows++;
	return TN_OK;
}

const char *
tn_rows_get(const tn_rows *r, size_t row, int col)
{
	if (row >= r->nrows || col < 0 || col >= r->ncols)
		return NULL;
	return r->cells[row * (size_t) r->ncols + col];
}

void
tn_rows_free(tn_rows *r)
{
	size_t		i;

	if (r->cells != NULL)
		for (i = 0; i < r->nrows * (size_t) r->ncols; i++)
			free(r->cells[i]);
	free(r->cells);
	r->cells = NULL;
	r->nrows = r->cap = 0;
}

int
tn_text_bool(const char *v)
{
	if (v == NULL)
		return 0;
	return v[0] == 't' || v[0] == 'T' || v[0] == '1' || v[0] == 'y' || v[0] == 'Y';
}
