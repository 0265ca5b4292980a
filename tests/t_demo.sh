#!/bin/bash
# runner: once
# make demo's script runs to the end on this machine and shows what the
# README says it shows.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
run bash "$TOP/demo/run"
if [ "$status" = 0 ]; then
	ok "demo/run exits 0"
else
	fail "demo/run exits 0" "status $status" "$(tail -20 "$T/err")"
fi
for want in '"new":21,"rejected":0,"pushed":21' '"new":0,"rejected":0,"pushed":0' \
	'SUCCESS: 21 rules found' 'qlogscan --threshold 0' 'recsync render --shard 1/2'; do
	if grep -qF -- "$want" "$T/out"; then
		ok "the demo shows: $want"
	else
		fail "the demo shows: $want" "$(tail -20 "$T/out")"
	fi
done
done_testing
