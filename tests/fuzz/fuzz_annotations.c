/*
 * fuzz_annotations.c -- libFuzzer harness for files with sections: goose
 * and sql-migrate annotations, dbmate markers, other tools' markers.
 *
 * Feeds arbitrary bytes as the body of one sent file ("1_x.sql", then
 * "1_x.down.sql") through tn_load_files and checks what every load must
 * guarantee: on success one migration whose up never holds a Down marker
 * line, whose bodies keep the file's line numbering (never more lines than
 * the file), are valid text and whose checksum is that of its up; on
 * failure an empty set and a message.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ishared
 *        tests/fuzz/fuzz_annotations.c shared/tn_*.c -lcrypto
 * Replay (no libFuzzer): add -DREPLAY and pass corpus files or folders.
 * This file must not write files or keep state between inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"
#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static size_t
count_lines(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/*
 * Does s hold a line that is a Down marker: "-- +goose Down", "-- +migrate
 * Down" (any case, as those tools read them) or "-- migrate:down" (dbmate
 * reads it in lowercase only)?
 */
static int
has_down_marker(const char *s)
{
	static const char *const markers[] = { "+goose down", "+migrate down", "migrate:down" };
	const char				*p = s;

	while (*p)
	{
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (q[0] == '-' && q[1] == '-')
		{
			q += 2;
			while (*q == ' ' || *q == '\t')
				q++;
			for (size_t m = 0; m < sizeof(markers) / sizeof(markers[0]); m++)
			{
				size_t ml = strlen(markers[m]);
				size_t i;

				for (i = 0; i < ml && q[i] && (m == 2 || q[i] < 'A' || q[i] > 'Z' ? q[i] : q[i] + 32) == markers[m][i]; i++)
					;
				if (i == ml && (q[i] == '\0' || q[i] == '\n' || q[i] == '\r' || q[i] == ' ' || q[i] == '\t'))
					return 1;
			}
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return 0;
}

static void
check_one(const char *name, const char *body, size_t size)
{
	tn_migration_set set;
	tn_error		 err;
	char			 sum[TN_CHECKSUM_LEN];
	int				 rc = tn_load_files(1, &name, &body, &size, TN_DIALECT_SQLITE, &set, &err);

	if (rc != TN_OK)
	{
		if (set.count != 0 || set.items != NULL || err.message[0] == '\0' ||
			memchr(err.message, '\0', sizeof(err.message)) == NULL)
			abort();
		return;
	}
	if (set.count != 1 || set.items[0].up_sql == NULL)
		abort();
	{
		const tn_migration *m = &set.items[0];
		size_t				lines = count_lines(body, size);

		if (has_down_marker(m->up_sql) ||
			count_lines(m->up_sql, strlen(m->up_sql)) > lines ||
			tn_body_check_text(m->up_sql, strlen(m->up_sql), "up", &err) != TN_OK ||
			(m->down_sql && (count_lines(m->down_sql, strlen(m->down_sql)) > lines ||
							 tn_body_check_text(m->down_sql, strlen(m->down_sql), "down", &err) != TN_OK)) ||
			(m->flags & ~(TN_MIG_NO_TRANSACTION | (TN_MIG_LINE_MAX << TN_MIG_UP_LINE_SHIFT) |
						  (TN_MIG_LINE_MAX << TN_MIG_DOWN_LINE_SHIFT))) ||
			/* the lines before a section and the section's own fit in the file */
			(size_t) tn_flags_lines_before((long long) m->flags, 1) + count_lines(m->up_sql, strlen(m->up_sql)) > lines ||
			(m->down_sql && (size_t) tn_flags_lines_before((long long) m->flags, -1) +
									count_lines(m->down_sql, strlen(m->down_sql)) >
								lines) ||
			tn_checksum(m->up_sql, strlen(m->up_sql), sum, &err) != TN_OK ||
			strcmp(sum, m->checksum) != 0)
			abort();
	}
	tn_migration_set_free(&set);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	check_one("1_x.sql", s, size);
	check_one("1_x.down.sql", s, size);
	free(s);
	return 0;
}
