#!/bin/bash
# Every tool's --help describes every option its man page's SYNOPSIS lists,
# each on a line of its own that starts with it ("  -a, --all ...",
# "      --stored ..."), as cli.c makes --help from the tool's option table.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# synopsis_options PAGE: the options the SYNOPSIS of PAGE lists, one a line:
# "Fl qv" is -q and -v, "Fl -all" is --all.
synopsis_options() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1" | grep -oE 'Fl [^ ]+' |
	while read -r _ flag; do
		case $flag in
		-*)	echo "-$flag" ;;
		*)	echo "$flag" | grep -o . | sed 's/^/-/' ;;
		esac
	done | sort -u
}

# The C tools, and recsync, whose --help follows their layout.
TOOLS="$(cd "$TOP/src" && echo */main.c | sed 's|/main\.c||g') recsync"

for tool in $TOOLS; do
	page=$TOP/man/$tool.1
	if [ ! -f "$page" ]; then fail "$tool has a man page"; continue; fi
	if ! "$tool" --help >"$T/help" 2>"$T/help.err"; then
		fail "$tool --help exits 0" "$(cat "$T/help.err")"
		continue
	fi
	opts=$(synopsis_options "$page")
	if [ -z "$opts" ]; then fail "$tool.1's SYNOPSIS lists options"; continue; fi
	missing=
	for opt in $opts; do
		case $opt in
		--*)	pat="^ +(-[[:alnum:]], )?$opt([ =[]|\$)" ;;
		*)	pat="^ +$opt(, --[a-z-]+)?([ =[]|\$)" ;;
		esac
		grep -Eq -- "$pat" "$T/help" || missing="$missing $opt"
	done
	if [ -z "$missing" ]; then
		ok "$tool --help describes each option of its SYNOPSIS on a line of its own"
	else
		fail "$tool --help describes each option of its SYNOPSIS on a line of its own" \
			"missing:$missing"
	fi
done

# One letter means one option in every tool: "-x, --name" lines of every
# --help, no letter with two names.
for tool in $TOOLS; do
	"$tool" --help
done | sed -n 's/^ *\(-[[:alnum:]]\), \(--[a-z-]*\).*/\1 \2/p' | sort -u >"$T/letters"
twice=$(awk '{ n[$1]++ } n[$1] == 2 { print $1 }' "$T/letters")
if [ ! -s "$T/letters" ]; then
	fail "the tools' --help name letters"
elif [ -z "$twice" ]; then
	ok "a letter means one option in every tool ($(wc -l <"$T/letters") letters)"
else
	fail "a letter means one option in every tool" \
		"$(grep -E "^($(echo "$twice" | paste -sd'|')) " "$T/letters")"
fi

# The version is written once, in src/common/version.h: every tool and
# recsync say it, and no other source holds it.
version=$(sed -n 's/^#define RECSYNC_VERSION[[:space:]]*"\(.*\)"$/\1/p' \
	"$TOP/src/common/version.h")
if [ -z "$version" ]; then
	fail "src/common/version.h defines RECSYNC_VERSION"
else
	for tool in $(cd "$TOP/src" && echo */main.c | sed 's|/main\.c||g') recsync; do
		got=$("$tool" --version 2>&1)
		if [ "$got" = "$tool (recsync) $version" ]; then
			ok "$tool --version says $version"
		else
			fail "$tool --version says $version" "got: $got"
		fi
	done
	others=$(grep -rlF -- "$version" "$TOP/src" "$TOP/bin/recsync" |
		grep -v '/src/common/version\.h$')
	if [ -z "$others" ]; then
		ok "the version is written in src/common/version.h only"
	else
		fail "the version is written in src/common/version.h only" "also in: $others"
	fi
fi
done_testing
