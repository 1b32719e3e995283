/*
 * tn_buf.c -- strings owned by the core: the growable tn_buf and
 * tn_strdup.
 *
 * Plain malloc/realloc/free; a tn_buf has one tn_buf_free.  Must not: lose
 * the contents on out-of-memory (it is reported as TN_ERR_NO_MEMORY and the
 * buffer stays valid), or know anything about SQL or migrations.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

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
	TN_ASSERT(b->len + extra < b->cap);
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

char *
tn_strdup(const char *s, tn_error *err)
{
	size_t		n;
	char	   *c;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	c = malloc(n);
	if (c == NULL)
	{
		tn_error_set(err, TN_ERR_NO_MEMORY, "out of memory");
		return NULL;
	}
	memcpy(c, s, n);
	return c;
}

char *
tn_memdup(const char *s, size_t n)
{
	char	   *p = malloc(n + 1);

	if (p)
	{
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}
