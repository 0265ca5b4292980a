#!/bin/bash
# runner: once
# Nothing src/common exports goes unused outside its own file: every global
# symbol defined by build/common/NAME.o is referenced by another object of
# build/ (a tool's or another of src/common's) or named by a unit test or
# fuzz harness.  A function only its own file calls should be static.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=${RECSYNC_BUILD:-$TOP/build}	# the objects of `make all unit`
# The objects of today's sources: one left from a removed file counts not.
objs=$(cd "$TOP/src" && for c in */*.c; do echo "$BUILD/${c%.c}.o"; done)
for o in $objs; do
	[ -f "$o" ] || { fail "$o is built (make all unit)"; done_testing; }
done
# Each object's undefined symbols, as "OBJECT SYMBOL" lines.
for o in $objs; do
	nm -u "$o" | awk -v o="$o" '{ print o, $NF }'
done >"$T/uses"
cat "$TOP"/tests/unit/*.c "$TOP"/tests/fuzz/*.[ch] >"$T/tests.c"

checked=0 unused=
for o in $(echo "$objs" | grep "^$BUILD/common/"); do
	for sym in $(nm -g --defined-only "$o" | awk '{ print $NF }'); do
		checked=$((checked + 1))
		awk -v o="$o" -v s="$sym" '$1 != o && $2 == s { found = 1 }
			END { exit !found }' "$T/uses" && continue
		grep -qw -- "$sym" "$T/tests.c" && continue
		unused="$unused $(basename "$o" .o):$sym"
	done
done
if [ "$checked" -lt 100 ]; then
	fail "src/common exports something to check" "only $checked symbols"
elif [ -z "$unused" ]; then
	ok "each of the $checked symbols src/common exports is used outside its file"
else
	fail "each symbol src/common exports is used outside its file" \
		"unused outside their file:$unused"
fi
done_testing
