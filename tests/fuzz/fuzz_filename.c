/*
 * fuzz_filename.c -- libFuzzer harness for migration file names.
 *
 * Feeds arbitrary bytes to tn_parse_filename and checks what every parse
 * must guarantee: on success the version validates and compares equal to
 * itself, the name is non-empty, the dialect and direction are in range;
 * on failure nothing is returned and the message is set.  Also drives
 * tn_version_validate/compare and the name validators on the same bytes.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ishared
 *        tests/fuzz/fuzz_filename.c shared/tn_*.c -lcrypto
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
	char	  *s = malloc(size + 1);
	char	  *version = NULL;
	char	  *name = NULL;
	tn_dialect dialect = TN_DIALECT_ALL;
	int		   direction = 0;
	tn_error   err;
	int		   rc;

	if (s == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';

	rc = tn_parse_filename(s, &version, &name, &dialect, &direction, &err);
	if (rc == TN_OK)
	{
		if (version == NULL || name == NULL || name[0] == '\0' ||
			tn_version_validate(version, &err) != TN_OK ||
			tn_version_compare(version, version) != 0 ||
			(dialect != TN_DIALECT_ALL && dialect != TN_DIALECT_POSTGRES && dialect != TN_DIALECT_OTHER &&
			 dialect != TN_DIALECT_SQLITE) ||
			direction < -1 || direction > 1 ||
			strlen(name) > TN_MAX_NAME_LEN)
			abort();
	}
	else if (version != NULL || name != NULL || err.message[0] == '\0' ||
			 memchr(err.message, '\0', sizeof(err.message)) == NULL)
		abort();
	free(version);
	free(name);

	/* the same bytes as a version, and compare is antisymmetric */
	(void) tn_version_validate(s, &err);
	{
		int a = tn_version_compare(s, "1.2_3");
		int b = tn_version_compare("1.2_3", s);

		if ((a < 0 && b <= 0) || (a > 0 && b >= 0) || (a == 0 && b != 0))
			abort();
	}
	(void) tn_validate_tenant_name(s, &err);
	(void) tn_validate_checkpoint_name(s, &err);
	free(s);
	return 0;
}
