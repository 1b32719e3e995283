# tenancy -- top-level build.
#   make         build the SQLite extension (sqlite_ext/tenancy.so) and the PG extension
#   make demo    run the demo on the embedded SQLite default
#   make test    every suite (core, SQLite, PostgreSQL, conformance, crash)
#   make bench   benchmarks: tenancy next to the floor, with ratios
# Missing build packages are installed by tools/install-deps.sh when run as root.

CC ?= cc
OPT ?= -O2
CORE_CFLAGS = -std=c99 -Wall -Wextra -Werror -Wno-format-truncation $(OPT) -g -fPIC
CORE_SRC = $(sort $(wildcard shared/*.c))
CORE_HDR = $(wildcard shared/*.h)
SQLITE_SRC = $(sort $(wildcard sqlite_ext/*.c))
SQLITE_HDR = $(wildcard sqlite_ext/*.h)

.PHONY: all deps sqlite pg install-pg demo test bench clean core-check fuzz cli install-cli

all: deps sqlite pg cli

deps:
	@tools/install-deps.sh

sqlite: sqlite_ext/tenancy.so

sqlite_ext/tenancy.so: $(CORE_SRC) $(CORE_HDR) $(SQLITE_SRC) $(SQLITE_HDR)
	$(CC) $(CORE_CFLAGS) -Wno-error=unused-parameter -Ishared -shared -o $@ \
		$(CORE_SRC) $(SQLITE_SRC) -lcrypto -lpthread

# The core must compile with no host header at all.
core-check:
	cd shared && $(CC) -std=c99 -Wall -Wextra -Werror -fsyntax-only *.c

pg:
	@if [ -f pg_ext/Makefile ]; then $(MAKE) -C pg_ext; fi

install-pg: pg
	@if [ -f pg_ext/Makefile ]; then $(MAKE) -C pg_ext install; fi

cli:		# the tenancy command (cli/Makefile)
	$(MAKE) -C cli
install-cli: cli
	$(MAKE) -C cli install

demo: deps sqlite cli
	@demo/demo.sh

test: deps sqlite core-check
	@tests/run_all.sh

bench: deps sqlite
	@bench/run.sh

# Coverage-guided fuzzing of the core's parsers (libFuzzer); new inputs go to tests/out/.
fuzz: deps
	mkdir -p tests/out
	for t in fuzz_filename fuzz_body; do \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -Ishared -Itests/fuzz \
	    -o tests/out/$$t tests/fuzz/$$t.c $(CORE_SRC) -lcrypto -lpthread || exit 1; \
	  mkdir -p tests/out/corpus_$$t; \
	  tests/out/$$t -max_total_time=$${FUZZ_SECONDS:-60} tests/out/corpus_$$t tests/fuzz/corpus/$$t || exit 1; \
	done

clean:
	rm -f sqlite_ext/tenancy.so
	rm -rf tests/out build
	$(MAKE) -C cli clean
	@if [ -f pg_ext/Makefile ]; then $(MAKE) -C pg_ext clean; fi
