#!/bin/bash
# runner: once
# make demo's script runs to the end on this machine and shows what the
# README says it shows.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
run bash "$TOP/demo/run"
[ "$status" = 0 ] && ok "demo/run exits 0" || fail "demo/run exits 0" "status $status" "$(tail -20 "$T/err")"
for want in '"new":21,"rejected":0,"pushed":21' '"new":0,"rejected":0,"pushed":0' \
	'SUCCESS: 21 rules found' 'qlogscan --threshold 0' 'recsync render --shard 1/2'; do
	grep -qF -- "$want" "$T/out" && ok "the demo shows: $want" || fail "the demo shows: $want" "$(tail -20 "$T/out")"
done
done_testing
