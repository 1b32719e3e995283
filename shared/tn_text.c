/*
 * tn_text.c -- small text rules the core shares: strict UTF-8 validation,
 * ASCII case-insensitive keyword comparison, the boolean of a cell from
 * either engine, and the printable copy of a name echoed in a message.
 *
 * Must not: allocate or fail -- pure functions over caller-owned bytes.
 */
#include <string.h>

#include "tn_internal.h"

long
tn_utf8_error_offset(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t				 i = 0;

	/* strict: no overlongs, no surrogates, nothing above U+10FFFF */
	while (i < len)
	{
		unsigned char c = s[i];
		size_t		  need;
		unsigned char lo = 0x80;
		unsigned char hi = 0xBF;
		size_t		  k;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			need = 2;
			lo = (c == 0xE0) ? 0xA0 : 0x80;
			hi = (c == 0xED) ? 0x9F : 0xBF;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			need = 3;
			lo = (c == 0xF0) ? 0x90 : 0x80;
			hi = (c == 0xF4) ? 0x8F : 0xBF;
		}
		else
			return (long) i;
		if (need >= len - i)
			return (long) i;
		for (k = 1; k <= need; k++)
		{
			unsigned char cc = s[i + k];

			if (k == 1 ? (cc < lo || cc > hi) : (cc < 0x80 || cc > 0xBF))
				return (long) i;
		}
		i += need + 1;
	}
	return -1;
}

int
tn_ascii_ieq(const char *a, size_t alen, const char *lower)
{
	size_t i;

	if (alen != strlen(lower))
		return 0;
	for (i = 0; i < alen; i++)
	{
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != lower[i])
			return 0;
	}
	return 1;
}

int
tn_text_bool(const char *v)
{
	if (v == NULL)
		return 0;
	return v[0] == 't' || v[0] == 'T' || v[0] == '1' || v[0] == 'y' || v[0] == 'Y';
}

void
tn_shown(const char *s, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	size_t			  o = 0;
	size_t			  i = 0;
	size_t			  n = strlen(s);

	if (n > TN_SHOWN_MAX)
	{
		/* keep the end: the file name is the useful part of a path */
		s += n - TN_SHOWN_MAX;
		n = TN_SHOWN_MAX;
		if (o + 3 < outsize)
		{
			memcpy(out, "...", 3);
			o = 3;
		}
	}
	while (i < n && o + 5 < outsize)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char) c;
		else if (c >= 0xC2 && c <= 0xDF && i + 1 < n &&
				 ((unsigned char) s[i + 1] & 0xC0) == 0x80)
		{
			out[o++] = s[i++];
			out[o++] = s[i];
		}
		else
		{
			/* longer sequences are escaped too: rare in names, always safe */
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		}
		i++;
	}
	out[o] = '\0';
}
