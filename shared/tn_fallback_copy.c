/*
 * tn_fallback_copy.c -- PostgreSQL's COPY text format for the fallback:
 * split one line of COPY ... TO STDOUT into its fields, undoing the
 * backslash escapes (pull), and append a value escaped for COPY ... FROM
 * STDIN (push).  The format is PostgreSQL's ("COPY", File Formats, Text
 * Format): fields separated by a tab, \N for NULL, backslash escapes for
 * backslash, the control characters and octal / hex bytes.
 *
 * Must not: talk to a database, or allocate (lines are decoded in place,
 * values appended to a caller's tn_buf).
 */
#include <string.h>

#include "tenancy.h"
#include "tn_internal.h"

int
tn_fb_copy_split(char *line, size_t len, int nfields, char **fields, int *isnull,
				 tn_error *err)
{
	char *r = line;
	char *end = line + len;
	char *w;
	int	  f = 0;

	if (len > 0 && end[-1] == '\n')
		end--;
	while (f < nfields)
	{
		char *start = r;

		fields[f] = w = r;
		isnull[f] = 0;
		while (r < end && *r != '\t')
		{
			char c = *r++;

			if (c != '\\' || r == end)
			{
				*w++ = c;
				continue;
			}
			c = *r++;
			switch (c)
			{
				case 'b':
					*w++ = '\b';
					break;
				case 'f':
					*w++ = '\f';
					break;
				case 'n':
					*w++ = '\n';
					break;
				case 'r':
					*w++ = '\r';
					break;
				case 't':
					*w++ = '\t';
					break;
				case 'v':
					*w++ = '\v';
					break;
				case 'N':
					if (r - start == 2 && (r == end || *r == '\t'))
						isnull[f] = 1;
					else
						*w++ = 'N';
					break;
				case 'x':
				{
					int v = 0;
					int n = 0;

					while (n < 2 && r < end && tn_hex_value((unsigned char) *r) >= 0)
						v = v * 16 + tn_hex_value((unsigned char) *r++), n++;
					if (n == 0)
						*w++ = 'x';
					else
						*w++ = (char) v;
					break;
				}
				default:
					if (c >= '0' && c <= '7')
					{
						int v = c - '0';
						int n = 1;

						while (n < 3 && r < end && *r >= '0' && *r <= '7')
							v = v * 8 + (*r++ - '0'), n++;
						*w++ = (char) v;
					}
					else
						*w++ = c; /* \\ and any other: the character itself */
					break;
			}
		}
		f++;
		if (r < end)
		{
			if (f == nfields)
				break; /* a field too many */
			r++;	   /* the tab */
		}
		else if (f < nfields)
			break; /* a field too few */
		*w = '\0';
	}
	if (f != nfields || r != end)
		return tn_error_set(err, TN_ERR_FORMAT, "a COPY line of the primary has %s fields than expected",
							f < nfields ? "fewer" : "more");
	return TN_OK;
}

int
tn_fb_copy_append(const char *value, size_t len, tn_buf *out)
{
	size_t i;
	size_t from = 0;
	int	   rc = TN_OK;

	if (value == NULL)
		return tn_buf_append(out, "\\N", 2);
	for (i = 0; rc == TN_OK && i < len; i++)
	{
		unsigned char c = (unsigned char) value[i];
		char		  esc;

		/* the usual byte needs no escape: one test for it, the switch for the rest */
		if (c != '\\' && (c > '\r' || c < '\b'))
			continue;
		switch (c)
		{
			case '\\':
				esc = '\\';
				break;
			case '\n':
				esc = 'n';
				break;
			case '\r':
				esc = 'r';
				break;
			case '\t':
				esc = 't';
				break;
			case '\b':
				esc = 'b';
				break;
			case '\f':
				esc = 'f';
				break;
			case '\v':
				esc = 'v';
				break;
			default:
				continue;
		}
		if (i > from)
			rc = tn_buf_append(out, value + from, i - from);
		if (rc == TN_OK)
		{
			char pair[2] = { '\\', esc }; /* a backslash and the escape letter (or itself) */

			rc = tn_buf_append(out, pair, 2);
		}
		from = i + 1;
	}
	if (rc == TN_OK && len > from)
		rc = tn_buf_append(out, value + from, len - from);
	return rc;
}
