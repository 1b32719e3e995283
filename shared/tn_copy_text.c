/*
 * tn_copy_text.c -- one row of PostgreSQL's COPY text format (what
 * "COPY ... TO STDOUT" sends, one line per row) as a row of a tn_rows
 * table.  The PostgreSQL fan-out reads a tenant's tracking tables with COPY
 * (no planner in the tenant: libpq_probe.c) and hands each line here, so
 * the rows it judges are the same cells a SELECT would have returned.
 *
 * The format: cells separated by a tab, the line ended by a newline, "\N"
 * a NULL cell, and a backslash escaping what follows it (\b \f \n \r \t
 * \v, \\, 1 to 3 octal digits, \x and 1 or 2 hex digits, any other
 * character itself), as PostgreSQL's CopyReadAttributesText reads it.
 *
 * Must not: accept a line whose cell count is not the table's, or one
 * that decodes to a NUL byte (no text cell holds one); keep memory other
 * than the row it adds.
 */
#include <stdlib.h>
#include <string.h>

#include "tn_internal.h"

/*
 * Decode line[0..len) into buf (at least len + 1 bytes): cells are
 * NUL-terminated in place, cells[i] points at each (NULL for \N).
 * Returns the cell count, or -1 for a malformed line.
 */
static int
split_line(const char *line, size_t len, char *buf, char **cells, int max_cells)
{
	size_t i = 0;
	char  *out = buf;
	int	   n = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	for (;;)
	{
		char *start = out;
		int	  is_null = 0;

		if (n == max_cells)
			return -1;
		if (len - i >= 2 && line[i] == '\\' && line[i + 1] == 'N' && (len - i == 2 || line[i + 2] == '\t'))
		{
			is_null = 1;
			i += 2;
		}
		while (!is_null && i < len && line[i] != '\t')
		{
			char c = line[i++];

			if (c == '\\')
			{
				if (i == len)
					return -1; /* a backslash ends the line */
				c = line[i++];
				switch (c)
				{
					case 'b':
						c = '\b';
						break;
					case 'f':
						c = '\f';
						break;
					case 'n':
						c = '\n';
						break;
					case 'r':
						c = '\r';
						break;
					case 't':
						c = '\t';
						break;
					case 'v':
						c = '\v';
						break;
					case 'x':
					{
						int v = i < len ? tn_hex_value(line[i]) : -1;

						if (v < 0)
							break; /* "\x" alone is an x */
						i++;
						if (i < len && tn_hex_value(line[i]) >= 0)
							v = v * 16 + tn_hex_value(line[i++]);
						c = (char) v;
						break;
					}
					default:
						if (c >= '0' && c <= '7')
						{
							int v = c - '0';

							for (int k = 0; k < 2 && i < len && line[i] >= '0' && line[i] <= '7'; k++)
								v = v * 8 + (line[i++] - '0');
							c = (char) (v & 0xFF);
						}
						break;
				}
				if (c == '\0')
					return -1;
			}
			else if (c == '\r' || c == '\n')
				return -1; /* never raw in a cell */
			*out++ = c;
		}
		*out++ = '\0';
		cells[n++] = is_null ? NULL : start;
		if (i == len)
			return n;
		i++; /* the tab */
	}
}

int
tn_rows_add_copy_text(tn_rows *r, const char *line, size_t len)
{
	char  *buf;
	char **cells;
	int	   n;
	int	   rc;

	TN_ASSERT(r->ncols > 0 && line != NULL);
	buf = malloc(len + 1 + (size_t) r->ncols);
	cells = malloc(sizeof(char *) * (size_t) r->ncols);
	if (buf == NULL || cells == NULL)
	{
		free(buf);
		free(cells);
		return TN_ERR_NO_MEMORY;
	}
	n = split_line(line, len, buf, cells, r->ncols);
	rc = n == r->ncols ? tn_rows_add(r, (const char *const *) cells) : TN_ERR_ENGINE;
	free(buf);
	free(cells);
	return rc;
}
