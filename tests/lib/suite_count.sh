# tests/lib/suite_count.sh -- the counting every tests/suites/*.sh shares, so that each
# suite's checks read alike and its last line is the one tests/run_all.sh adds up.
#
# Source it near the top of a suite (it sets pass=0 fail=0), then:
#   ok NAME...                 one passed check: prints "ok   NAME" (not when SUITE_OK_QUIET=1,
#                              unless VERBOSE is set: a suite of hundreds of trials prints only
#                              its failures and a summary)
#   bad NAME...                one failed check: prints "FAIL NAME"
#   finish                     prints "N passed, N failed" and exits 0 only when nothing failed
#   check_eq NAME GOT WANT     passes when GOT = WANT (exact strings, newlines included); a failure
#                              prints both (40 lines of each at most), the value the suite got first
#   check_cmd DESC CMD...      passes when the command CMD... exits 0
#   check_grep NAME RE FILE    passes when the file has a line matching the grep pattern RE; a
#                              failure names the file to read
#   check_has NAME TEXT HAY    passes when the fixed text TEXT occurs in HAY; a failure prints HAY
#   absent NAME TEXT HAY       passes when the fixed text TEXT does not occur in HAY; a failure
#                              prints TEXT
# A suite may also add to pass and fail itself (50_pg_tap.sh adds each TAP file's counts).
# Must not: count set-up as a check (a suite calls bad for a failed set-up, never ok), or print
# anything after finish.

pass=0
fail=0

ok() {
	pass=$((pass + 1))
	if [ "${SUITE_OK_QUIET:-0}" != 1 ] || [ -n "${VERBOSE:-}" ]; then echo "ok   $*"; fi
	return 0
}

bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
	return 0
}

finish() {
	echo "${pass} passed, ${fail} failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# VALUE, at most 40 lines of it (a table dump that differs would fill the log)
suite_count_show() {
	local label=$1 value=$2 n
	n=$(wc -l <<<"$value")
	echo "     $label $(head -40 <<<"$value")"
	[ "$n" -gt 40 ] && echo "     ... ($n lines in all)"
	return 0
}

check_eq() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		bad "$name"
		suite_count_show "got: " "$got"
		suite_count_show "want:" "$want"
	fi
}

check_cmd() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

check_grep() {
	local name=$1 re=$2 file=$3
	if grep -q -- "$re" "$file"; then ok "$name"; else bad "$name (see $file)"; fi
}

check_has() {
	local name=$1 needle=$2 hay=$3
	if grep -qF -- "$needle" <<<"$hay"; then
		ok "$name"
	else
		bad "$name"
		echo "     missing: $needle"
		suite_count_show "in:     " "$hay"
	fi
}

absent() {
	local name=$1 needle=$2 hay=$3
	if grep -qF -- "$needle" <<<"$hay"; then
		bad "$name"
		echo "     found: $needle"
	else
		ok "$name"
	fi
}
