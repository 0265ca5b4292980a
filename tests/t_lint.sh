#!/bin/bash
# runner: once
# Static checks: the shell scripts pass shellcheck, the man pages render
# without a warning and carry a date and the suite's name, every tool's
# --help matches its man page's options, getopt's messages name the tool.
# shellcheck source-path=SCRIPTDIR source=lib.sh
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
	# As every page: a real date (not an unexpanded $Mdocdate$) and .Os recsync.
	if grep -Eq '^\.Dd [A-Z][a-z]+ [0-9]{1,2}, [0-9]{4}$' "$page" && grep -qx '\.Os recsync' "$page"; then
		ok "$(basename "$page") has .Dd DATE and .Os recsync"
	else
		fail "$(basename "$page") has .Dd DATE and .Os recsync" "$(grep -E '^\.(Dd|Os)' "$page")"
	fi
done
# getopt's complaints start with the tool's name, as every other message
# does, however the tool was run (here by its path).
for tool in kvdiff kvpush kvlock yamlemit redisput qlogscan kvdrift; do
	for args in --bogus -Z; do
		# shellcheck disable=SC2086 # one word
		"$RECSYNC_BIN/$tool" $args >/dev/null 2>"$T/getopt.err"
		first=$(head -n 1 "$T/getopt.err")
		case $first in
		"$tool: unrecognized option '--bogus'"|"$tool: invalid option -- 'Z'")
			ok "$tool $args: getopt's message starts with \"$tool:\"" ;;
		*)	fail "$tool $args: getopt's message starts with \"$tool:\"" "$first" ;;
		esac
	done
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
