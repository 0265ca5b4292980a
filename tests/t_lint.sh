#!/bin/bash
# runner: once
# Static checks: every shell script passes shellcheck, the man pages render
# without a warning and carry a date and the suite's name, every tool's
# --help matches its man page's options, getopt's messages name the tool.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# shell_files: every shell script in the tree, found by its shebang (sh,
# bash, dash) or its .sh name, so that a new script is linted without a
# change here.  What is built or scratch (build/, tests/tmp/, .git) is
# left out.
shell_files() {
	find "$TOP" \( -name .git -o -path "$TOP/build" -o -path "$TOP/tests/tmp" \) -prune -o -type f -print |
	while IFS= read -r f; do
		case $f in
		*.sh) echo "$f" ;;
		*) head -n 1 "$f" | LC_ALL=C grep -Eq '^#! ?(/usr)?/bin/(env +)?(ba|da)?sh( |$)' &&
			echo "$f" ;;
		esac
	done | LC_ALL=C sort
}
shell_files >"$T/shell-files"
# The finder itself: it must see scripts of each kind, or an empty list
# would pass.
for f in bin/recsync tests/lib.sh tests/run tests/t_lint.sh bench/run .ci/run; do
	if grep -qxF "$TOP/$f" "$T/shell-files"; then ok "shell files found include $f"
	else fail "shell files found include $f" "$(cat "$T/shell-files")"; fi
done
# Each passes shellcheck -x (following what it sources) at the default
# severity.
while IFS= read -r f; do
	check "shellcheck ${f#"$TOP"/}" shellcheck -x "$f"
done <"$T/shell-files"
for page in "$TOP"/man/*.1; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	if [ -z "$out" ]; then
		ok "mandoc -Tlint $(basename "$page")"
	else
		fail "mandoc -Tlint $(basename "$page")" "$out"
	fi
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
	if [ -z "$missing" ]; then
		ok "$tool.1 documents every option of --help"
	else
		fail "$tool.1 documents every option of --help" "missing:$missing"
	fi
done
done_testing
