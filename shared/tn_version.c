/*
 * tn_version.c -- validate and order migration version tokens.
 *
 * A version token is digits with '.' or '_' separators ("1", "1.2",
 * "2024_01_01", "20240101120000").  Components compare as unbounded
 * non-negative integers, so "1.2" < "1.10", "0002" == "2" and "1_2" ==
 * "1.2"; a token that is a strict prefix of another is the smaller one
 * ("1" < "1.0" < "1.0.1").
 *
 * Also the sortable key of a version (so "who is behind" is one index
 * scan on PostgreSQL) and the one place a leading V/v is stripped from a
 * version written as a file name or target writes it ("V3").
 *
 * A repeatable migration's version is "R__<description>" (see
 * tn_version_is_repeatable): after every other version, bytewise among
 * themselves; its key is "~" and the description, after every numeric key.
 *
 * Must not: allocate, or parse file names (tn_filename.c does that); a
 * leading V/v belongs to the file name, not the version, and
 * tn_version_validate refuses it.
 */
#include <string.h>

#include "tenancy.h"

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_SEP(c)	((c) == '.' || (c) == '_')

int
tn_version_validate(const char *version, tn_error *err)
{
	tn_error scratch;
	size_t	 len;
	size_t	 i;

	if (err == NULL)
		err = &scratch;
	if (version == NULL)
		return tn_error_null_argument(err, "version");

	len = strlen(version);
	if (len == 0)
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
					 "migration version must not be empty");
		tn_error_detail(err, "A version is digits with optional \".\" or \"_\" separators, for example \"1\", \"1.2\" or \"20240101120000\".");
		return TN_ERR_INVALID_ARGUMENT;
	}
	if (len > TN_MAX_VERSION_LEN)
	{
		tn_error_set(err, TN_ERR_TOO_LARGE,
					 "migration version is too long");
		tn_error_detail(err, "The version is %zu bytes long; the limit is %d bytes.",
						len, TN_MAX_VERSION_LEN);
		return TN_ERR_TOO_LARGE;
	}
	if (tn_version_is_repeatable(version))
	{
		for (i = 3; i < len; i++)
			if ((unsigned char) version[i] < 0x20 || version[i] == 0x7f || version[i] == '/' || version[i] == '\\')
			{
				tn_error_set(err, TN_ERR_INVALID_ARGUMENT, "invalid repeatable migration version");
				tn_error_detail(err, "A repeatable migration's version is \"R__\" and a description without control characters, \"/\" or \"\\\".");
				return TN_ERR_INVALID_ARGUMENT;
			}
		return TN_OK;
	}
	if (version[0] == 'V' || version[0] == 'v')
	{
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
					 "invalid migration version \"%s\"", version);
		tn_error_detail(err, "The leading \"%c\" belongs to a file name, not to the version.",
						version[0]);
		tn_error_hint(err, "Write the version as \"%s\".", version + 1);
		return TN_ERR_INVALID_ARGUMENT;
	}
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) version[i];

		if (IS_DIGIT(c))
			continue;
		if (IS_SEP(c))
		{
			if (i == 0 || i + 1 == len || IS_SEP(version[i + 1]))
			{
				tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
							 "invalid migration version \"%s\"", version);
				tn_error_detail(err, "Separators \".\" and \"_\" must stand between two groups of digits.");
				return TN_ERR_INVALID_ARGUMENT;
			}
			continue;
		}
		tn_error_set(err, TN_ERR_INVALID_ARGUMENT,
					 "invalid migration version \"%s\"", version);
		if (c >= 0x20 && c < 0x7f)
			tn_error_detail(err, "The character \"%c\" at byte %zu is not allowed; a version is digits with optional \".\" or \"_\" separators.",
							(char) c, i);
		else
			tn_error_detail(err, "The byte 0x%02x at byte %zu is not allowed; a version is digits with optional \".\" or \"_\" separators.",
							(unsigned) c, i);
		return TN_ERR_INVALID_ARGUMENT;
	}
	return TN_OK;
}

const char *
tn_version_strip(const char *version)
{
	if (version != NULL && (version[0] == 'V' || version[0] == 'v'))
		return version + 1;
	return version;
}

/*
 * Compare one component of each token: [a, a_end) and [b, b_end).
 * All-digit components compare numerically (leading zeros dropped, then
 * by length, then by digits) so no component is ever too long to order.
 * Anything else (only possible for tokens that fail validation) orders
 * after numbers, bytewise, so the order stays total for the fuzzers.
 */
static int
compare_component(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;
	int	   a_num = 1;
	int	   b_num = 1;
	int	   c;

	for (i = 0; i < alen; i++)
		if (!IS_DIGIT(a[i]))
			a_num = 0;
	for (i = 0; i < blen; i++)
		if (!IS_DIGIT(b[i]))
			b_num = 0;

	if (a_num && b_num)
	{
		while (alen > 0 && *a == '0')
		{
			a++;
			alen--;
		}
		while (blen > 0 && *b == '0')
		{
			b++;
			blen--;
		}
		if (alen != blen)
			return alen < blen ? -1 : 1;
		c = alen ? memcmp(a, b, alen) : 0;
		return c < 0 ? -1 : (c > 0 ? 1 : 0);
	}
	if (a_num != b_num)
		return a_num ? -1 : 1;
	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return 0;
}

int
tn_version_is_repeatable(const char *version)
{
	return version != NULL && strncmp(version, TN_REPEATABLE_PREFIX, 3) == 0 && version[3] != '\0';
}

int
tn_version_compare(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL && b == NULL) ? 0 : (a == NULL ? -1 : 1);
	if (tn_version_is_repeatable(a) || tn_version_is_repeatable(b))
	{
		int c;

		if (!tn_version_is_repeatable(a) || !tn_version_is_repeatable(b))
			return tn_version_is_repeatable(a) ? 1 : -1; /* after every versioned one */
		c = strcmp(a + 3, b + 3);
		return c < 0 ? -1 : (c > 0 ? 1 : 0);
	}

	/* Be forgiving: a stray V/v is not part of the version. */
	a = tn_version_strip(a);
	b = tn_version_strip(b);

	for (;;)
	{
		size_t alen = strcspn(a, "._");
		size_t blen = strcspn(b, "._");
		int	   c = compare_component(a, alen, b, blen);

		if (c != 0)
			return c;
		a += alen;
		b += blen;
		if (*a == '\0' || *b == '\0')
		{
			if (*a == '\0' && *b == '\0')
				return 0;
			return *a == '\0' ? -1 : 1;
		}
		a++; /* skip one separator */
		b++;
	}
}

int
tn_version_key(const char *version, char *out, size_t size)
{
	const char *p = tn_version_strip(version);
	size_t		n = 0;

	if (version == NULL || size == 0)
		return TN_ERR_INVALID_ARGUMENT;
	if (tn_version_validate(p, NULL) != TN_OK)
		return TN_ERR_INVALID_ARGUMENT;
	if (tn_version_is_repeatable(version))
	{
		/* '~' sorts after every numeric key's length byte ('!' + at most 64) */
		if (strlen(version) - 3 + 2 > size)
			return TN_ERR_TOO_LARGE;
		out[0] = '~';
		memcpy(out + 1, version + 3, strlen(version) - 3 + 1);
		return TN_OK;
	}
	while (*p)
	{
		const char *start;
		size_t		len;

		while (*p == '0' && p[1] >= '0' && p[1] <= '9')
			p++; /* "0002" == "2"; "0" stays "0" */
		start = p;
		while (*p >= '0' && *p <= '9')
			p++;
		len = (size_t) (p - start);
		if (n + len + 2 > size)
			return TN_ERR_TOO_LARGE;
		out[n++] = (char) ('!' + len); /* longer number sorts after */
		memcpy(out + n, start, len);
		n += len;
		if (*p == '.' || *p == '_')
			p++;
	}
	out[n] = '\0';
	return TN_OK;
}
