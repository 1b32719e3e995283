/*
 * fuzz_body.c -- libFuzzer harness for migration bodies.
 *
 * Feeds arbitrary bytes to tn_body_validate, tn_detect_flags,
 * tn_body_transaction_control and tn_checksum, and checks the checksum's promises: well-formed output, and
 * the same value after a BOM is prepended or LF is turned into CRLF.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ishared
 *        tests/fuzz/fuzz_body.c shared/tn_*.c -lcrypto
 * Replay (no libFuzzer): add -DREPLAY and pass corpus files or folders.
 * This file must not write files or keep state between inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "tenancy.h"
#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *body = (const char *) data;
	char	   *s;
	char	   *crlf;
	char		c1[TN_CHECKSUM_LEN];
	char		c2[TN_CHECKSUM_LEN];
	tn_error	err;
	size_t		i;
	size_t		k = 0;

	/* validate exactly size bytes (no NUL terminator past the end) */
	(void) tn_body_validate(size ? body : "", size, "fuzz body", &err);

	s = malloc(size + 1);
	crlf = malloc(2 * size + 4);
	if (s == NULL || crlf == NULL)
	{
		free(s);
		free(crlf);
		return 0;
	}
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	if (tn_detect_flags(s) & ~(unsigned) TN_MIG_NO_TRANSACTION)
		abort();
	{
		long at = tn_body_transaction_control(s);

		/* an offset inside the text, at a statement's first byte */
		if (at < -1 || (at >= 0 && (size_t) at >= strlen(s)))
			abort();
		if (tn_body_is_blank(s, strlen(s)) && at >= 0)
			abort();
	}
	{
		/* taking out BEGIN ... COMMIT pairs keeps the length and leaves no transaction control */
		size_t n = strlen(s);
		char  *c = malloc(n + 1);
		int	   r;

		if (c != NULL)
		{
			memcpy(c, s, n + 1);
			r = tn_body_strip_transaction(c);
			if (strlen(c) != n || (r == 1 && tn_body_transaction_control(c) >= 0) ||
				(r != 1 && memcmp(c, s, n) != 0) || (r == 0 && tn_body_transaction_control(s) >= 0))
				abort();
			free(c);
		}
	}

	if (tn_checksum(s, size, c1, &err) != TN_OK ||
		strncmp(c1, "sha256:", 7) != 0 || strlen(c1) != TN_CHECKSUM_LEN - 1)
		abort();

	/* BOM + (LF -> CRLF) must not change the checksum */
	crlf[k++] = (char) 0xEF;
	crlf[k++] = (char) 0xBB;
	crlf[k++] = (char) 0xBF;
	for (i = 0; i < size; i++)
	{
		if (s[i] == '\n' && !(i > 0 && s[i - 1] == '\r'))
			crlf[k++] = '\r';
		crlf[k++] = s[i];
	}
	if (size >= 3 && (unsigned char) s[0] == 0xEF &&
		(unsigned char) s[1] == 0xBB && (unsigned char) s[2] == 0xBF)
		; /* a second BOM is content: skip the check */
	else
	{
		if (tn_checksum(crlf, k, c2, &err) != TN_OK || strcmp(c1, c2) != 0)
			abort();
	}
	free(s);
	free(crlf);
	return 0;
}
