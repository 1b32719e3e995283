/*
 * tn_buf.c -- strings owned by the core: the growable tn_buf,
 * tn_strdup, and a JSON string written into a tn_buf.
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
	size_t need = b->len + extra + 1;
	size_t cap;
	char  *p;

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
tn_buf_printf(tn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int		n;

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
	size_t n;
	char  *c;

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
	char *p = malloc(n + 1);

	if (p)
	{
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Append s[0..n) to b as a JSON string (escaped; a broken UTF-8 byte becomes U+FFFD). */
int
tn_json_string(tn_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int				  rc = tn_buf_append(b, "\"", 1);

	for (size_t i = 0; rc == TN_OK && i < n;)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			char esc[2] = { '\\', (char) c };

			rc = tn_buf_append(b, esc, 2);
			i++;
		}
		else if (c < 0x20)
		{
			char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

			rc = c == '\n' ? tn_buf_append(b, "\\n", 2) : c == '\t' ? tn_buf_append(b, "\\t", 2)
													  : c == '\r'	? tn_buf_append(b, "\\r", 2)
																	: tn_buf_append(b, esc, 6);
			i++;
		}
		else if (c < 0x80)
		{
			rc = tn_buf_append(b, s + i, 1);
			i++;
		}
		else
		{
			/* copy a valid UTF-8 sequence; a broken byte becomes U+FFFD */
			size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3
									 : c >= 0xC0   ? 2
												   : 1;

			if (len > 1 && i + len <= n && tn_utf8_error_offset(s + i, len) == -1)
			{
				rc = tn_buf_append(b, s + i, len);
				i += len;
			}
			else
			{
				rc = tn_buf_append(b, "\\ufffd", 6);
				i++;
			}
		}
	}
	if (rc == TN_OK)
		rc = tn_buf_append(b, "\"", 1);
	return rc;
}
