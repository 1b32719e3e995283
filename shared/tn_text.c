/*
 * tn_text.c -- small text checks the core's parsers share: strict UTF-8
 * validation and ASCII case-insensitive keyword comparison.
 *
 * Pure functions over caller-owned bytes: no allocation, no errors.
 */
#include <string.h>

#include "tn_internal.h"

long
tn_utf8_error_offset(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = 0;

	/* strict: no overlongs, no surrogates, nothing above U+10FFFF */
	while (i < len)
	{
		unsigned char c = s[i];
		size_t		need;
		unsigned char lo = 0x80;
		unsigned char hi = 0xBF;
		size_t		k;

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
	size_t		i;

	if (alen != strlen(lower))
		return 0;
	for (i = 0; i < alen; i++)
	{
		char		c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != lower[i])
			return 0;
	}
	return 1;
}
