# tenancy -- top-level build.
#   make              build the SQLite extension (sqlite_ext/tenancy.so) and the PG extension (pg_ext/)
#   make install      install both: the PG extension through PGXS (into pg_config's tree) and
#                     the SQLite extension as $(DESTDIR)$(LIBDIR)/tenancy.so (PREFIX=/usr/local)
#   make demo         run the demo on the embedded SQLite default
#   make test         every suite (core, SQLite, PostgreSQL, conformance, crash), assertions on
#   make bench        benchmarks: tenancy next to the floor, with ratios
#   make bench-scale  1,000 and 10,000 tenants: time per tenant, peak memory, file descriptors
#   make format       rewrite the C sources with clang-format (.clang-format, pgindent-like)
#   make format-check report what `make format` would change; fails if anything
#   make warnings     every C file of the project, tests and benches included, with -Werror
# Only demo, test, bench and fuzz install missing packages (tools/install-deps.sh, as root;
# otherwise it prints the apt-get line). make, make install and the PGXS targets never do.
#
# ASSERT=1 builds the SQLite extension with -DTN_ASSERT_CHECKING (the core's TN_ASSERT on);
# `make test` sets it, and exports TN_TEST_CFLAGS for the suites that compile test programs.
# The two variants are built in separate object folders (build/sqlite, build/sqlite-assert);
# a flags stamp relinks sqlite_ext/tenancy.so whenever the variant or the flags change.
# Must not: call a package manager from a build or install target.

CC ?= cc
OPT ?= -O2
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INSTALL ?= install
CLANG_FORMAT ?= clang-format
ASSERT ?= 0

WARN = -Wall -Wextra -Werror
CORE_CFLAGS = -std=c99 $(WARN) $(OPT) -g -fPIC
ifeq ($(ASSERT),1)
TN_TEST_CFLAGS = -DTN_ASSERT_CHECKING
VARIANT = sqlite-assert
else
TN_TEST_CFLAGS =
VARIANT = sqlite
endif
# -fvisibility=hidden: only sqlite3_tenancy_init (marked visibility("default")) leaves the .so
# libpq for the SQLite fallback (sqlite_ext/sqlite_fallback_*.c)
PQ_INC = $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
SQLITE_CFLAGS = $(CORE_CFLAGS) $(TN_TEST_CFLAGS) -fvisibility=hidden -Ishared -I$(PQ_INC) -MMD -MP

CORE_SRC = $(sort $(wildcard shared/*.c))
SQLITE_SRC = $(sort $(wildcard sqlite_ext/*.c))
OBJDIR = build/$(VARIANT)
SQLITE_OBJS = $(patsubst %.c,$(OBJDIR)/%.o,$(CORE_SRC) $(SQLITE_SRC))

# every C file clang-format looks after
FORMAT_FILES = $(sort $(wildcard shared/*.[ch] sqlite_ext/*.[ch] pg_ext/*.[ch] cli/*.[ch] tests/*/*.[ch] bench/*.c))

.PHONY: all deps sqlite pg install install-sqlite install-pg uninstall demo test bench bench-scale clean \
	core-check fuzz format format-check warnings FORCE cli install-cli

all: sqlite pg cli

deps:
	@tools/install-deps.sh

sqlite: sqlite_ext/tenancy.so

# The flags stamp changes (and only then) when the variant or the flags do.
build/$(VARIANT).flags: FORCE
	@mkdir -p build
	@echo '$(CC) $(SQLITE_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(SQLITE_CFLAGS)' >$@

$(OBJDIR)/%.o: %.c build/$(VARIANT).flags
	@mkdir -p $(dir $@)
	$(CC) $(SQLITE_CFLAGS) -c -o $@ $<

sqlite_ext/tenancy.so: $(SQLITE_OBJS) build/$(VARIANT).flags
	$(CC) $(CORE_CFLAGS) -shared -o $@ $(SQLITE_OBJS) -lpq -lcrypto -lpthread
	@cp build/$(VARIANT).flags build/tenancy.so.flags

# relink when the last link was of the other variant
ifneq ($(shell cat build/tenancy.so.flags 2>/dev/null),$(CC) $(SQLITE_CFLAGS))
sqlite_ext/tenancy.so: FORCE
endif

-include $(SQLITE_OBJS:.o=.d)

# The core must compile with no host header at all.
core-check:
	cd shared && $(CC) -std=c99 $(WARN) -fsyntax-only *.c

pg:
	$(MAKE) -C pg_ext

install: install-pg install-sqlite install-cli

install-pg: pg
	$(MAKE) -C pg_ext install

cli:		# the tenancy command (cli/Makefile)
	$(MAKE) -C cli
install-cli: cli
	$(MAKE) -C cli install PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)'

install-sqlite: sqlite
	$(INSTALL) -d '$(DESTDIR)$(LIBDIR)'
	$(INSTALL) -m 755 sqlite_ext/tenancy.so '$(DESTDIR)$(LIBDIR)/tenancy.so'

uninstall:
	rm -f '$(DESTDIR)$(LIBDIR)/tenancy.so' '$(DESTDIR)$(PREFIX)/bin/tenancy'
	$(MAKE) -C pg_ext uninstall

demo: deps
	@$(MAKE) --no-print-directory sqlite cli
	@demo/demo.sh

# deps first, then the build: a recursive make so that nothing is compiled before the
# packages are there (prerequisites of one target may be built in any order with -j).
test: deps
	@$(MAKE) --no-print-directory ASSERT=1 sqlite core-check
	@ASSERT=1 TN_TEST_CFLAGS=-DTN_ASSERT_CHECKING tests/run_all.sh

bench: deps
	@$(MAKE) --no-print-directory sqlite
	@bench/run.sh

# 1,000 and 10,000 tenants: time per tenant, caller peak memory (VmHWM), fds (long; BENCH_SCALE=1 make bench
# runs it too; BENCH_QUICK=1: 100 and 1,000 tenants)
bench-scale: deps
	@$(MAKE) --no-print-directory sqlite
	@bench/scale.sh

# Coverage-guided fuzzing of the core's parsers (libFuzzer); new inputs go to tests/out/.
fuzz: deps
	mkdir -p tests/out
	for t in fuzz_filename fuzz_body fuzz_annotations fuzz_projects; do \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -DTN_ASSERT_CHECKING -Ishared -Itests/fuzz \
	    -o tests/out/$$t tests/fuzz/$$t.c $(CORE_SRC) -lcrypto -lpthread || exit 1; \
	  mkdir -p tests/out/corpus_$$t; \
	  tests/out/$$t -max_total_time=$${FUZZ_SECONDS:-60} tests/out/corpus_$$t tests/fuzz/corpus/$$t || exit 1; \
	done

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES)

# Every C file of the project with -Wall -Wextra -Werror, as the suites build them
# (test programs at -O2, where gcc's -Wformat-truncation looks deepest), plus the PG module
# with COPT=-Werror on top of PGXS's own warning flags.  Used by .ci/run.
warnings:
	for f in $(SQLITE_SRC) $(CORE_SRC); do $(CC) -std=c99 $(WARN) -O2 -fPIC -Ishared -I$(PQ_INC) -DSQLITE_CORE -c -o /dev/null $$f || exit 1; done
	for f in tests/core/test_core.c tests/core/test_core_*.c tests/core/test_citus.c tests/faults/test_faults.c tests/crash/crash_driver.c tests/static/static_main.c; do \
	  $(CC) -std=c99 $(WARN) -O2 $(TN_TEST_CFLAGS) -DSQLITE_CORE -Ishared -Isqlite_ext -c -o /dev/null $$f || exit 1; done
	for f in tests/fuzz/fuzz_filename.c tests/fuzz/fuzz_body.c tests/fuzz/fuzz_annotations.c tests/fuzz/fuzz_projects.c; do \
	  $(CC) -std=c99 $(WARN) -O2 $(TN_TEST_CFLAGS) -DREPLAY -Ishared -Itests/fuzz -c -o /dev/null $$f || exit 1; done
	for f in bench/*.c; do \
	  $(CC) -std=c99 $(WARN) -O2 -I"$$(pg_config --includedir)" -c -o /dev/null $$f || exit 1; done
	$(MAKE) -C pg_ext -B COPT=-Werror

clean:
	rm -f sqlite_ext/tenancy.so
	rm -rf tests/out build
	$(MAKE) -C cli clean
	$(MAKE) -C pg_ext clean

# Deliberate bugs, one at a time in a scratch copy; fails if any survives (tests/mutants/run.sh).
.PHONY: mutants
mutants:
	@tests/mutants/run.sh
