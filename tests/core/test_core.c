/*
 * test_core.c -- unit tests of the tenancy core with no database: the
 * runner (check, fixtures, main) of the test_core_*.c files, one a family.
 *
 * Covers version order, the file-name grammar, folder loading from
 * tests/fixtures (and from folders built at run time for symbolic links
 * and non-UTF-8 names), checksums, body checks, flag detection and name
 * rules, and the decisions both hosts take from the core (tenant state,
 * word arguments, targets, tenant sets read through a fake adapter).
 * Prints "ok - ..." or "FAIL - ..." per case and ends with exactly
 * "N passed, N failed".
 *
 * This file must not need a database or a network, and must not leave
 * files anywhere but the scratch folder given as argv[2].
 *
 * Usage: test_core [fixtures-dir] [scratch-dir]
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_core.h"

static int n_pass;
static int n_fail;

void
check(int ok, const char *file, int line, const char *fmt, const char *arg)
{
	char name[512];

	char *p;

	snprintf(name, sizeof(name), fmt, arg ? arg : "");
	/* one line per case: show control characters as '?' */
	for (p = name; *p; p++)
		if ((unsigned char) *p < 0x20)
			*p = '?';
	if (ok)
	{
		n_pass++;
		printf("ok - %s\n", name);
	}
	else
	{
		n_fail++;
		printf("FAIL - %s (%s:%d)\n", name, file, line);
	}
}

static const char *fixtures = "tests/fixtures";
const char		  *scratch = "tests/out/core_scratch";

char *
fixture(const char *name)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", fixtures, name);
	return buf;
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		fixtures = argv[1];
	if (argc > 2)
		scratch = argv[2];

	test_versions();
	test_filenames();
	test_folders();
	test_tool_layouts();
	test_sqitch_liquibase();
	test_sent_files();
	test_order_folders();
	test_runtime_folders();
	test_checksums();
	test_clock();
	test_bodies();
	test_flags();
	test_names();
	test_tenant_state();
	test_repeatables_pending();
	test_one_tenant_error_codes();
	test_word_arguments();
	test_sets();
	test_fanout_rows();
	test_one_decision();
	test_fanout_probe();
	test_state_from_tables();
	test_fanout_stamp();
	test_revert_decisions();

	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail == 0 ? 0 : 1;
}
