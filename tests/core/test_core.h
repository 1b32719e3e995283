/*
 * test_core.h -- what test_core.c (the runner) and the test_core_*.c files
 * share: check and its macros, the fixture and scratch folders, the set
 * helpers two families use, and one entry point per family's tests.
 */
#ifndef TEST_CORE_H
#define TEST_CORE_H

#include "tenancy.h"

/* test_core.c: count and print one case ("ok - ..." or "FAIL - ...") */
void check(int ok, const char *file, int line, const char *fmt, const char *arg);

#define CHECK(cond, fmt, arg) check((cond) ? 1 : 0, __FILE__, __LINE__, fmt, arg)

/*
 * SETUP: fixture preparation (make a folder, a symlink, a sparse file).  It is
 * not an assertion about tenancy: success is not counted, a failure is (the
 * checks that follow it would test nothing).
 */
#define SETUP(cond, fmt, arg)                                 \
	do                                                        \
	{                                                         \
		if (!(cond))                                          \
			check(0, __FILE__, __LINE__, "setup: " fmt, arg); \
	} while (0)

/* test_core.c: the scratch folder (argv[2]) and a fixture's path (static buffer) */
extern const char *scratch;
char			  *fixture(const char *name);

/* test_core_folders.c */
const tn_migration *find_version(const tn_migration_set *s, const char *v);
int					well_formed(const tn_migration_set *s);

/* test_core_layouts.c: line (1-based) of the first occurrence of what in s, 0 if absent */
int line_of(const char *s, const char *what);

/* test_core_grammar.c */
void test_versions(void);
void test_filenames(void);

/* test_core_folders.c */
void test_folders(void);
void test_order_folders(void);
void test_runtime_folders(void);

/* test_core_bodies.c */
void test_checksums(void);
void test_clock(void);
void test_bodies(void);
void test_flags(void);
void test_names(void);

/* test_core_layouts.c */
void test_tool_layouts(void);
void test_sent_files(void);

/* test_core_projects.c */
void test_sqitch_liquibase(void);

/* test_core_decisions.c */
void test_tenant_state(void);
void test_repeatables_pending(void);
void test_one_tenant_error_codes(void);
void test_word_arguments(void);
void test_sets(void);
void test_fanout_rows(void);
void test_one_decision(void);

/* test_core_probe.c */
void test_fanout_probe(void);
void test_state_from_tables(void);

/* test_core_stamp.c */
void test_fanout_stamp(void);

/* test_core_revert.c */
void test_revert_decisions(void);

#endif /* TEST_CORE_H */
