#!/bin/bash
# runner: once
# Static checks: the shell scripts pass shellcheck, the man pages render
# without a warning, every tool's --help matches its man page's options.
. "$(dirname "$0")/lib.sh"

for f in "$TOP"/bin/recsync "$TOP"/demo/run "$TOP"/tests/install-deps "$TOP"/tests/run \
	"$TOP"/bench/run "$TOP"/bench/profile "$TOP"/bench/install-deps \
	"$TOP"/tests/fuzz/run; do
	[ -f "$f" ] || continue
	check "shellcheck $(basename "$f")" shellcheck "$f"
done
for page in "$TOP"/man/*.1; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	[ -z "$out" ] && ok "mandoc -Tlint $(basename "$page")" || fail "mandoc -Tlint $(basename "$page")" "$out"
done
for tool in kvdiff kvpush kvlock yamlemit redisput qlogscan kvdrift recsync; do
	page=$TOP/man/$tool.1
	if [ ! -f "$page" ]; then fail "man page for $tool exists"; continue; fi
	# Every long option --help names is documented in the man page.
	missing=
	for opt in $("$tool" --help 2>&1 | grep -Eo -- '--[a-z][a-z-]*' | sort -u); do
		mandoc -Tascii "$page" 2>/dev/null | sed 's/.\x08//g' |
		    grep -qE -- "(^|[^[:alnum:]-])$opt([^[:alnum:]-]|$)" || missing="$missing $opt"
	done
	[ -z "$missing" ] && ok "$tool.1 documents every option of --help" ||
		fail "$tool.1 documents every option of --help" "missing:$missing"
done
done_testing
