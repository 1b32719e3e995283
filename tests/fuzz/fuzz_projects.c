/*
 * fuzz_projects.c -- libFuzzer harness for the project readers: a Sqitch
 * plan (tn_sqitch.c) and a Liquibase formatted SQL file (tn_liquibase.c).
 *
 * Feeds arbitrary bytes (1) as "sqitch.plan" sent with deploy/revert/verify
 * scripts for changes "a" and "b", (2) as "sqitch.conf" beside plans and
 * scripts in the default and in other places, (3) as a Liquibase changelog (the
 * header line is put first, so the changeset parser is reached) through
 * tn_load_files, and checks what every load must guarantee: on failure an
 * empty set and a message; on success a set sorted by version, every body
 * valid text, every checksum that of its up, only the no-transaction flag,
 * and for Liquibase bodies no more lines than the file and never a
 * "--rollback" line in an up.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ishared
 *        tests/fuzz/fuzz_projects.c shared/tn_*.c -lcrypto
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

/* Does s hold a rollback line: "--rollback" (any case) then a blank or the end of the line? */
static int
has_rollback_line(const char *s)
{
	const char *p = s;

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
			size_t i;

			for (i = 0; i < 8 && q[i] && (q[i] | 0x20) == "rollback"[i]; i++)
				;
			if (i == 8 && (q[8] == '\0' || q[8] == '\n' || q[8] == ' ' || q[8] == '\t' ||
						   (q[8] == '\r' && (q[9] == '\n' || q[9] == '\0'))))
				return 1;
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return 0;
}

static void
check_set(int rc, tn_migration_set *set, tn_error *err, size_t max_lines)
{
	char sum[TN_CHECKSUM_LEN];

	if (rc != TN_OK)
	{
		if (set->count != 0 || set->items != NULL || err->message[0] == '\0' ||
			memchr(err->message, '\0', sizeof(err->message)) == NULL)
			abort();
		return;
	}
	for (size_t i = 0; i < set->count; i++)
	{
		const tn_migration *m = &set->items[i];

		if (m->up_sql == NULL || m->name == NULL || m->name[0] == '\0' ||
			tn_version_validate(m->version, err) != TN_OK ||
			(i > 0 && tn_version_compare(set->items[i - 1].version, m->version) >= 0) ||
			tn_body_check_text(m->up_sql, strlen(m->up_sql), "up", err) != TN_OK ||
			(m->down_sql && tn_body_check_text(m->down_sql, strlen(m->down_sql), "down", err) != TN_OK) ||
			(m->flags & ~(unsigned) TN_MIG_NO_TRANSACTION) ||
			tn_checksum(m->up_sql, strlen(m->up_sql), sum, err) != TN_OK || strcmp(sum, m->checksum) != 0)
			abort();
		if (max_lines > 0 && (count_lines(m->up_sql, strlen(m->up_sql)) > max_lines || has_rollback_line(m->up_sql) ||
							  (m->down_sql && count_lines(m->down_sql, strlen(m->down_sql)) > max_lines)))
			abort();
	}
	tn_migration_set_free(set);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char header[] = "--liquibase formatted sql\n";
	tn_migration_set  set;
	tn_error		  err;
	char			 *s = malloc(size + sizeof(header));
	int				  rc;

	if (s == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	{
		const char *names[] = { "sqitch.plan", "deploy/a.sql", "revert/a.sql", "verify/a.sql", "deploy/b.sql",
								"deploy/a@v1.sql" };
		const char *bodies[] = { s, "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n", "DROP TABLE a;",
								 "BEGIN;\nSELECT x FROM a;\nROLLBACK;\n", "CREATE TABLE b (x int);", "SELECT 1;" };
		size_t		lens[6];

		for (size_t i = 0; i < 6; i++)
			lens[i] = i == 0 ? size : strlen(bodies[i]);
		rc = tn_load_files(6, names, bodies, lens, TN_DIALECT_POSTGRES, &set, &err);
		check_set(rc, &set, &err, 0);
	}
	{
		/* the bytes as sqitch.conf: wherever it points, only files sent are read, and the set holds */
		const char *names[] = { "sqitch.conf", "sqitch.plan", "deploy/a.sql", "db/sqitch.plan", "db/deploy/a.sql",
								"db/revert/a.sql", "up/a.ddl" };
		const char *bodies[] = { s, "a 2020-01-01T00:00:00Z Me <m@x>\n", "CREATE TABLE a (x int);",
								 "a 2020-01-01T00:00:00Z Me <m@x>\n", "CREATE TABLE a (y int);", "DROP TABLE a;",
								 "SELECT 1;" };
		size_t		lens[7];

		for (size_t i = 0; i < 7; i++)
			lens[i] = i == 0 ? size : strlen(bodies[i]);
		rc = tn_load_files(7, names, bodies, lens, TN_DIALECT_SQLITE, &set, &err);
		check_set(rc, &set, &err, 0);
	}
	{
		const char *name = "changelog.sql";
		const char *body = s;
		size_t		len;

		memmove(s + sizeof(header) - 1, s, size + 1);
		memcpy(s, header, sizeof(header) - 1);
		len = size + sizeof(header) - 1;
		rc = tn_load_files(1, &name, &body, &len, TN_DIALECT_SQLITE, &set, &err);
		check_set(rc, &set, &err, count_lines(s, len) + 1);
	}
	free(s);
	return 0;
}
