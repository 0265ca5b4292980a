#!/bin/bash
# Faults that only the stand-in can inject (its header lists them): reads
# answered 5xx or 429, dropped, cut off or stalled (kvdiff's listing,
# kvpush's read-backs), writes answered 429, a write's connection dropped
# before it was applied, every write losing its numbers to another writer,
# and keys changed between kvpush --delete's read and its delete-cas.  Against a real agent (RECSYNC_TEST_CONSUL) every check
# skips.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul
if [ "$STANDIN" != 1 ]; then
	skip "read faults, dropped writes, conflicts and delete races need the stand-in's fault injection"
	done_testing
fi

raw() { consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$1?raw"; }
# elapsed CMD...: run CMD (as run does) and set $ms to how long it took.
elapsed() {
	t0=$(date +%s%N)
	run "$@"
	ms=$((($(date +%s%N) - t0) / 1000000))
}
# counted: keeps the reads and writes the stand-in saw since the fault was
# set (before a check's own reads add to them); seen NAME READS WRITES
# judges them.
counted() { counts=$(standin_eval '"%d %d" % (d["reads_seen"], d["writes_seen"])'); }
seen() {
	if [ "$counts" = "$2 $3" ]; then
		ok "$1"
	else
		fail "$1" "reads, writes: $counts, want $2 $3"
	fi
}

# ================================================================ reads
new_prefix
records 50 | kvpush --prefix "$PREFIX" >/dev/null
kvdiff --all --prefix "$PREFIX" </dev/null >"$T/want"
is "50 records to read" "$(wc -l <"$T/want")" 50

# Rows: fault | kvdiff's options | status | stderr | stdout (want or
# empty) | reads the stand-in saw | what is checked.
while IFS='|' read -r spec opts want pat out reads name; do
	fault "$spec"
	# shellcheck disable=SC2086 # the row's words are the options
	run kvdiff --all --prefix "$PREFIX" $opts
	counted
	expect "kvdiff: $name" "$want" "$pat" "$( [ "$out" = want ] && echo "$T/want" || echo /dev/null)"
	seen "...$reads reads" "$reads" 0
done <<'ROWS'
{"fail_reads":[1],"status":500,"body":"rpc error: No cluster leader"}|-v|0|server error; trying again|want|2|one 5xx on the listing, then the answer
{"fail_reads":[1,2,3],"status":503,"body":"rpc error: No cluster leader"}|--retries 2|69|Consul answered HTTP 503: rpc error: No cluster leader|empty|3|5xx every time: 69 after --retries 2, nothing printed
{"fail_reads":[1],"status":403,"body":"Permission denied: token lacks permission"}|--retries 2|77|HTTP 403: Permission denied|empty|1|a 403 on the listing is not tried again: 77
{"drop_reads":[1]}|-v|0|trying again|want|2|the listing's connection dropped, then the answer
{"fail_reads":[1],"status":429,"body":""}|-v|0|rate limited \(HTTP 429\); trying again|want|2|a 429 (a rate limit, no body, as Consul's) on the listing, then the answer
{"fail_reads":[1,2,3],"status":429,"body":""}|--retries 2|69|Consul answered HTTP 429$|empty|3|429 every time: 69 after --retries 2, nothing printed
{"drop_reads":[1,2,3,4,5,6]}|--retries 1|69|cannot reach Consul at http|empty|2|the connection dropped every time: 69
{"cut_reads":[1,2,3]}|--retries 2|76|^kvdiff: reading [^ ]*: Consul's answer was cut off: transfer closed with [0-9]+ bytes remaining to read$|empty|1|a listing cut off after records came: 76, not tried again, nothing printed
ROWS

# stalled NAME FAULT RETRIES MAX_MS READS: kvdiff --timeout 1s against a
# listing stalled by FAULT: 69 with nothing printed, within MAX_MS, after
# READS tries.
stalled() {
	fault "$2"
	elapsed kvdiff --all --prefix "$PREFIX" --timeout 1s --retries "$3"
	counted
	expect "kvdiff: $1: 69, nothing printed" 69 "cannot reach Consul at http" /dev/null
	if [ "$ms" -lt "$4" ]; then
		ok "...given up on within $4 ms ($ms ms)"
	else
		fail "$1: given up on in time" "$ms ms"
	fi
	seen "...$5 tries" "$5" 0
}
# Stalled before its answer: a transport failure, tried again; --timeout 1s
# and --retries 1 bound it to a few seconds (the bound leaves room for a
# busy machine, and is still well short of the 30 s stall).
stalled "a stalled listing" '{"stall_reads":[1,2,3],"stall_ms":30000}' 1 20000 2
# Stalled midway, after some records came: not tried again (they were
# handed on), and still nothing printed.  libcurl's low-speed check
# averages over about 5 s: a stall after a burst is noticed some seconds
# past --timeout.
stalled "a listing stalled midway" \
	'{"stall_reads":[1],"stall_ms":30000,"stall_read_phase":"body"}' 3 25000 1

# Once the stall is over, the same fault lets a patient client through.
fault '{"stall_reads":[1],"stall_ms":1500,"stall_read_phase":"body"}'
run kvdiff --all --prefix "$PREFIX" --timeout 10s
expect "kvdiff: a listing slow midway but within --timeout arrives whole" 0 "" "$T/want"
fault '{}'

# A listing cut off before any record came is read again.
new_prefix
records 1 | kvpush --prefix "$PREFIX" >/dev/null
kvdiff --all --prefix "$PREFIX" </dev/null >"$T/one"
fault '{"cut_reads":[1]}'
run kvdiff --all --prefix "$PREFIX" -v
counted
expect "kvdiff: a listing cut off before its first record, then the answer" 0 \
	"transfer closed with [0-9]+ bytes remaining to read; trying again" "$T/one"
seen "...2 reads" 2 0

# kvpush's reads: the listing of the numbers, and the read-backs of a lost
# answer (consul_call_idempotent)
new_prefix
fault '{"fail_reads":[1],"status":500}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && grep -q 'trying again' "$T/err"; then
	ok "kvpush: a 5xx on the listing of numbers, then 1 2 3"
else
	fail "kvpush: a 5xx on the listing of numbers" "status $status $(indexes)" "$(cat "$T/err")"
fi

new_prefix
fault '{"stall_ms":10000,"stall_on":[1],"stall_phase":"after","fail_reads":[2],"status":500}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v --timeout 1s --retries 2
counted
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ] &&
    grep -q "GET /v1/kv/$PREFIX/1?raw: HTTP 500, trying again" "$T/err" && grep -q 'but it landed' "$T/err"; then
	ok "kvpush: a lost answer, a 5xx on its read-back, read again: landed, no duplicate"
else
	fail "kvpush: a 5xx on the read-back" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi
seen "...1 write; the listing and 1+1+1+1 read-backs" 5 1

# A transaction answered 429 was refused before it was applied: sent again
# after the same pause as an unanswered one, with no read-back; 429 every
# time is 75, nothing printed.
new_prefix
fault '{"fail_writes":[1],"status":429,"body":""}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v
counted
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ] &&
    grep -q 'transaction of 3 operations: Consul answered HTTP 429; trying again' "$T/err"; then
	ok "kvpush: a 429 on the transaction, sent again: 1 2 3"
else
	fail "kvpush: a 429 on the transaction" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi
seen "...the listing, 2 writes, no read-back" 1 2
new_prefix
fault '{"fail_writes":[1,2,3,4],"status":429,"body":""}'
run -i <(records 3) kvpush --prefix "$PREFIX" --retries 2
counted
expect "kvpush: 429 every time: 75 after --retries 2, nothing printed" 75 \
	"gave up after 3 tries: Consul answered HTTP 429$" /dev/null
seen "...3 writes" 1 3
is "...nothing written" "$(keys | wc -l)" 0
# A read-back answered 429 is read again.
new_prefix
fault '{"stall_ms":10000,"stall_on":[1],"stall_phase":"after","fail_reads":[2],"status":429,"body":""}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v --timeout 1s --retries 2
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ] &&
    grep -q "GET /v1/kv/$PREFIX/1?raw: HTTP 429, trying again" "$T/err" && grep -q 'but it landed' "$T/err"; then
	ok "kvpush: a 429 on a read-back, read again: landed, no duplicate"
else
	fail "kvpush: a 429 on a read-back" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi
fault '{}'

# ================================================================ writes
# Dropped before it was applied.  On the kept-alive connection curl sends
# the request again by itself (the stand-in's NB) ...
new_prefix
fault '{"drop_before_apply":[1]}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v
counted
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ]; then
	ok "a write dropped before it was applied, sent again by curl: 1 2 3"
else
	fail "a write dropped before it was applied" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi
seen "...the listing, 2 writes" 1 2
# ... and when the second one is dropped too, kvpush finds nothing landed
# and sends the batch again: still no duplicate.
new_prefix
fault '{"drop_before_apply":[1,2]}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v --retries 2
counted
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ] &&
    grep -q 'trying again' "$T/err" && ! grep -q 'but it landed' "$T/err"; then
	ok "two drops before the commit: kvpush reads back, sends again, no duplicate"
else
	fail "two drops before the commit" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi
seen "...3 writes, 1 read-back" 2 3

# Every write loses its numbers: another writer takes PREFIX/k just before
# the k-th transaction.  After 10 renumberings kvpush gives up (75), having
# printed and written nothing.
new_prefix
races=$(python3 -c 'import json,sys; print(json.dumps({"race": [{"on_write": k, "key": "%s/%d" % (sys.argv[1], k), "value": "theirs %d" % k} for k in range(1, 13)]}))' "$PREFIX")
fault "$races"
before=$(standin_eval 'd["txn_conflicts"]')
run -i <(records 1) kvpush --prefix "$PREFIX" -v
fault '{}'
expect "every write in conflict: gives up with 75" 75 "gave up after 10 conflicting writes" /dev/null
is "...after renumbering 10 times" "$(grep -c renumbering "$T/err")" 10
if [ $(($(standin_eval 'd["txn_conflicts"]') - before)) = 11 ]; then
	ok "...11 transactions answered 409"
else
	fail "11 transactions answered 409" "$(standin_eval 'd["txn_conflicts"]') - $before"
fi
if [ "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/?recurse" | python3 -c '
import base64, json, sys
print(sorted(base64.b64decode(e["Value"]).decode() for e in json.load(sys.stdin)) == sorted("theirs %d" % k for k in range(1, 12)))')" = True ]; then
	ok "...nothing of ours written, the other writer's 11 keys intact"
else
	fail "nothing of ours written" "$(keys)"
fi

# ================================================================ --delete
# The key is rewritten between kvpush's read and its delete-cas, still with
# a record of that name: the transaction fails, kvpush reads again and
# removes the key as it is now.
new_prefix
records 5 | kvpush --prefix "$PREFIX" >/dev/null
records 1 2 >"$T/gone"
changed='{"record":"hke:heavy_expr:r000002","expr":"changed"}'
fault "{\"race\":[{\"on_write\":1,\"key\":\"$PREFIX/2\",\"value\":$(printf %s "$changed" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}]}"
before=$(standin_eval '(d["txn_conflicts"], d["txn_writes"])')
run -i "$T/gone" kvpush --delete --prefix "$PREFIX" -v
fault '{}'
printf '%s\n' '{"record":"hke:heavy_expr:r000002","expr":"changed","index":2}' >"$T/want"
expect "--delete: a key changed after the read is read again, then removed" 0 \
	"keys changed meanwhile; reading $PREFIX/ again" "$T/want"
is "...PREFIX/2 gone, the others kept" "$(keys | awk '{print $1}' | tr '\n' ' ')" "1 3 4 5 "
after=$(standin_eval '(d["txn_conflicts"], d["txn_writes"])')
if python3 -c 'import sys; b, a = eval(sys.argv[1]), eval(sys.argv[2]); sys.exit(not (a[0] - b[0] == 1 and a[1] - b[1] == 1))' "$before" "$after"; then
	ok "...one delete-cas refused (409), one committed"
else
	fail "one 409, one commit" "$before -> $after"
fi

# Rewritten with another record: a plain DELETE would remove it; the
# delete-cas fails, and read again the key no longer holds the record.
new_prefix
records 3 | kvpush --prefix "$PREFIX" >/dev/null
fault "{\"race\":[{\"on_write\":1,\"key\":\"$PREFIX/2\",\"value\":\"{\\\"record\\\":\\\"someone_else\\\",\\\"expr\\\":\\\"up\\\"}\"}]}"
run -i "$T/gone" kvpush --delete --prefix "$PREFIX" -v
fault '{}'
expect "--delete: a key rewritten with another record after the read is left alone" 0 \
	"0 keys of 1 record found and removed" /dev/null
if [ "$(raw "$PREFIX/2")" = '{"record":"someone_else","expr":"up"}' ] && [ "$(keys | wc -l)" = 3 ]; then
	ok "...the other writer's record is still at PREFIX/2"
else
	fail "the other record kept" "$(keys)"
fi

# Changed before every delete: 10 new reads, then 75 with nothing printed.
new_prefix
records 3 | kvpush --prefix "$PREFIX" >/dev/null
races=$(python3 -c 'import json,sys; print(json.dumps({"race": [{"on_write": k, "key": sys.argv[1] + "/2", "value": json.dumps({"record": "hke:heavy_expr:r000002", "expr": "v%d" % k})} for k in range(1, 13)]}))' "$PREFIX")
fault "$races"
run -i "$T/gone" kvpush --delete --prefix "$PREFIX"
fault '{}'
expect "--delete: keys changing all the time: 75 after 10 new reads" 75 "gave up: $PREFIX/ keeps changing" /dev/null
is "...nothing removed" "$(keys | wc -l)" 3

# The answer to a delete lost: curl sends it again, delete-cas of a key
# already gone is true, and the record is printed once.
new_prefix
records 3 | kvpush --prefix "$PREFIX" >/dev/null
fault '{"drop_after_commit":[1]}'
run -i "$T/gone" kvpush --delete --prefix "$PREFIX"
fault '{}'
if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = 1 ] && [ "$(keys | awk '{print $1}' | tr '\n' ' ')" = "1 3 " ]; then
	ok "--delete: a lost answer, sent again: removed, printed once"
else
	fail "--delete: a lost answer" "status $status" "$(cat "$T/out" "$T/err")" "$(keys)"
fi

# A 5xx on the listing before deleting is tried again.
fault '{"fail_reads":[1],"status":500}'
run -i <(records 1 3) kvpush --delete --prefix "$PREFIX"
fault '{}'
if [ "$status" = 0 ] && [ "$(indexes)" = 3 ] && [ "$(keys | awk '{print $1}')" = 1 ]; then
	ok "--delete: a 5xx on the listing, then removed"
else
	fail "--delete: a 5xx on the listing" "status $status" "$(cat "$T/err")" "$(keys)"
fi

done_testing
