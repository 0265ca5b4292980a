#!/bin/bash
# kvpush against the Consul stand-in (or RECSYNC_TEST_CONSUL): numbering,
# re-runs, deletions, batching by count and bytes, races, lost answers,
# ACL tokens, --dry-run, --delete, and what the original Python reads back.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul

put() { consul_curl -X PUT --data-binary "$2" "$CONSUL_HTTP_ADDR/v1/kv/$1" >/dev/null; }
del() { consul_curl -X DELETE "$CONSUL_HTTP_ADDR/v1/kv/$1" >/dev/null; }
txns_in() { grep -Eo 'in [0-9]+ transactions?' "$T/err" | grep -Eo '[0-9]+'; }

# --- usage
while IFS='|' read -r args want pat; do
	# shellcheck disable=SC2086
	run kvpush $args
	expect "kvpush $args" "$want" "$pat"
done <<'ROWS'
--help|0|
--version|0|
--max-ops 0|64|--max-ops
--max-bytes 12|64|--max-bytes
-x|64|usage: kvpush
ROWS
run kvpush --version
has "--version names kvpush and its version" '^kvpush .*[0-9]+\.[0-9]+' "$T/out"

# --- first run numbers 1..N; a re-run through kvdiff adds nothing
new_prefix
records 5 >"$T/five"
run -i "$T/five" kvpush --prefix "$PREFIX" -v
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3 4 5" ]; then
	ok "first run numbers 1..5"
else
	fail "first run numbers 1..5" "status $status, indexes $(indexes)" "$(cat "$T/err")"
fi
is "keys PREFIX/1..5 exist" "$(keys | awk '{print $1}' | tr '\n' ' ')" "1 2 3 4 5 "
kvdiff --prefix "$PREFIX" <"$T/five" >"$T/diff"
run -i "$T/diff" kvpush --prefix "$PREFIX"
expect "a re-run adds nothing" 0 "" /dev/null
is "still 5 keys" "$(keys | wc -l)" 5
# A full disk under stdout is the 74 kvpush(1) names, also in a dry run.
records 1 7 >"$T/seventh"
run sh -c 'kvpush --prefix "$1" "$2" >/dev/full' sh "$PREFIX" "$T/seventh"
expect "stdout on a full disk: 74" 74 "^kvpush: write error on standard output"
run sh -c 'kvpush --dry-run -q --prefix "$1" "$2" >/dev/full' sh "$PREFIX" "$T/seventh"
expect "stdout on a full disk, dry run: 74" 74 "^kvpush: write error on standard output: No space left on device$"
# One of a thing is singular: in kvdiff's counts and in kvpush's.
records 1 6 >"$T/sixth"
run -i "$T/sixth" kvdiff -v --prefix "$PREFIX"
expect "kvdiff -v: \"1 input record, 1 new\"" 0 "^kvdiff: 1 input record, 1 new$" "$T/sixth"
run -i "$T/sixth" kvpush -v --prefix "$PREFIX"
expect "kvpush -v: \"1 record written in 1 transaction\"" 0 "^kvpush: 1 record written in 1 transaction$"

# --- records carrying an index pass through untouched
kvdiff --all --prefix "$PREFIX" </dev/null >"$T/all"
run -i "$T/all" kvpush --prefix "$PREFIX"
expect "indexed records pass through" 0 "" "$T/all"

# --- 10 records, 3 deleted, 5 added: nothing overwritten, new above the largest
new_prefix
records 10 | kvpush --prefix "$PREFIX" >/dev/null
del "$PREFIX/2"; del "$PREFIX/5"; del "$PREFIX/10"
keys >"$T/before"
records 5 100 | kvpush --prefix "$PREFIX" >"$T/out"
is "after deletions new numbers start above the largest (9)" "$(indexes)" "10 11 12 13 14"
if keys | grep -Fxf "$T/before" | cmp -s - "$T/before"; then
	ok "no surviving key overwritten"
else
	fail "no surviving key overwritten" "$(keys)"
fi

# --- foreign and malformed values under the prefix still hold their numbers
new_prefix
put "$PREFIX/4" 'garbage'
put "$PREFIX/abc" '{"record":"x","expr":"y"}'
put "$PREFIX-old/50" '{"record":"x","expr":"y"}'
put "$PREFIX/60/nested" '{"record":"x","expr":"y"}'
records 2 | kvpush --prefix "$PREFIX" >"$T/out"
is "a malformed value's number is taken; foreign keys are not ours" "$(indexes)" "5 6"
is "the malformed value is left alone" "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/4?raw")" garbage

# --- numbers end at 18 digits (KV_MAX_NUMBER), the most kvdiff reads: the
# records numbered below are stored, the rest refused (73), and no key
# kvdiff cannot see is written, on this run or a rerun
new_prefix
put "$PREFIX/999999999999999997" '{"record":"x","expr":"y"}'
records 3 >"$T/in"
run -i "$T/in" kvpush --prefix "$PREFIX"
expect "numbers past 18 digits: 73" 73 \
	"^kvpush: $PREFIX/: no number left: the next would be 1000000000000000000, wider"
is "...the records numbered below it stored and printed" "$(indexes)" \
	"999999999999999998 999999999999999999"
kvdiff --prefix "$PREFIX" <"$T/in" >"$T/diff"
run -i "$T/diff" kvpush --prefix "$PREFIX"
expect "...a rerun: 73 at once, nothing printed" 73 "no number left" /dev/null
is "...only 18-digit keys, the third record in none" \
	"$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/?keys" | tr -d '[]"' | tr ',' '\n' | sed 's|.*/||' | sort | tr '\n' ' ')" \
	"999999999999999997 999999999999999998 999999999999999999 "

# --- batching: 64, 65, 130 records give 1, 2, 3 transactions
while read -r n txns; do
	new_prefix
	records "$n" >"$T/in"
	run -i "$T/in" kvpush --prefix "$PREFIX" -v
	if [ "$status" = 0 ] && [ "$(txns_in)" = "$txns" ] && [ "$(wc -l <"$T/out")" = "$n" ] &&
	    [ "$(keys | wc -l)" = "$n" ]; then
		ok "$n records in $txns transactions"
	else
		fail "$n records in $txns transactions" "status $status, $(txns_in) txns" "$(tail -3 "$T/err")"
	fi
done <<'EOF'
64 1
65 2
130 3
EOF
new_prefix
records 10 | kvpush --prefix "$PREFIX" --max-ops 3 -v >"$T/out" 2>"$T/err"
is "--max-ops 3: 10 records in 4 transactions" "$(txns_in)" 4
new_prefix
records 10 | kvpush --prefix "$PREFIX" --max-bytes 1000 -v >"$T/out" 2>"$T/err"
if [ "$(wc -l <"$T/out")" = 10 ] && [ "$(txns_in)" -gt 1 ]; then
	ok "--max-bytes 1000: $(txns_in) transactions"
else
	fail "--max-bytes" "$(cat "$T/err")"
fi
if [ "$STANDIN" = 1 ]; then
	if standin_stats txn_bytes | python3 -c 'import sys,ast; b=ast.literal_eval(sys.stdin.read()); sys.exit(max(b[-4:]) > 1000)'; then
		ok "--max-bytes 1000: no body above 1000 bytes"
	else
		fail "--max-bytes bodies" "$(standin_stats txn_bytes)"
	fi
fi

# --- large expressions are split by bytes, never above 512 KiB a body
new_prefix
python3 -c '
import json
for i in range(10):
    print(json.dumps({"record": "big_%d" % i, "expr": "sum(x{l=\"%s\"})" % ("é" * 50000 + str(i))}))' >"$T/big"
run -i "$T/big" kvpush --prefix "$PREFIX" -v
if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = 10 ] && [ "$(txns_in)" -ge 3 ]; then
	ok "10 records of 100 KB: $(txns_in) transactions"
else
	fail "10 records of 100 KB split by bytes" "status $status" "$(tail -3 "$T/err")"
fi
if [ "$STANDIN" = 1 ]; then
	if standin_stats txn_bytes | python3 -c 'import sys,ast; b=ast.literal_eval(sys.stdin.read()); sys.exit(max(b) > 524288)'; then
		ok "no transaction body above 512 KiB"
	else
		fail "no transaction body above 512 KiB" "$(standin_stats txn_bytes)"
	fi
fi
consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3?raw" >"$T/raw3"
if python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
sys.exit(not (v["record"] == "big_2" and v["expr"].endswith("é" * 10 + "2\"})")))' "$T/raw3"; then
	ok "UTF-8 expression stored as it was given"
else
	fail "UTF-8 expression stored as it was given" "$(cat "$T/raw3")"
fi

# --- one record too large for any transaction: an error for it alone
new_prefix
{ records 1; python3 -c 'import json; print(json.dumps({"record":"huge","expr":"x"*600000}))'; records 1 2; } >"$T/in"
run -i "$T/in" kvpush --prefix "$PREFIX"
if [ "$status" = 65 ] && grep -q 'huge: .* more than a transaction may hold' "$T/err" &&
    [ "$(indexes)" = "1 2" ]; then
	ok "an oversized record is refused alone; the others land"
else
	fail "an oversized record is refused alone" "status $status, $(indexes)" "$(cat "$T/err")"
fi

# --- bad lines: 65, valid records still pushed
new_prefix
printf '%s\n' '{"record":"a","expr":"up"}' 'nope' '{"record":"b"}' '{"record":"c","expr":"up"}' >"$T/in"
run -i "$T/in" kvpush --prefix "$PREFIX"
if [ "$status" = 65 ] && [ "$(indexes)" = "1 2" ] && grep -q '<stdin>:2:' "$T/err"; then
	ok "bad lines: 65 and the good records pushed"
else
	fail "bad lines: 65" "status $status" "$(cat "$T/err")"
fi

# --- --dry-run writes nothing
new_prefix
records 3 | kvpush --prefix "$PREFIX" >/dev/null
run -i <(records 2 50) kvpush --prefix "$PREFIX" --dry-run
if [ "$status" = 0 ] && [ "$(indexes)" = "4 5" ] && grep -q "would create $PREFIX/4 = " "$T/err" &&
    [ "$(keys | wc -l)" = 3 ]; then
	ok "--dry-run plans 4, 5 and writes nothing"
else
	fail "--dry-run" "status $status $(indexes)" "$(cat "$T/err")"
fi

# --- --delete removes by record name, and only those
kvdiff --all --prefix "$PREFIX" </dev/null | sed -n '2p' >"$T/gone"
run -i "$T/gone" kvpush --delete --prefix "$PREFIX"
expect "--delete prints what it removed" 0 "" "$T/gone"
is "--delete removed PREFIX/2 only" "$(keys | awk '{print $1}' | tr '\n' ' ')" "1 3 "
run -i "$T/gone" kvpush --delete --prefix "$PREFIX"
expect "--delete of a record no longer there removes nothing" 0 "" /dev/null

# --- --delete of a record with an index takes that key only
put "$PREFIX/9" "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/1?raw")"
kvdiff -q --duplicates --prefix "$PREFIX" </dev/null >"$T/dups"
run -i "$T/dups" kvpush --delete --prefix "$PREFIX"
expect "--delete with an index removes that duplicate key" 0 "" "$T/dups"
is "the first key of the record stays" "$(keys | awk '{print $1}' | tr '\n' ' ')" "1 3 "
head -1 "$T/dups" | sed 's/"index":9/"index":3/' >"$T/wrong"
run -i "$T/wrong" kvpush --delete --prefix "$PREFIX"
expect "--delete with an index whose key holds another record removes nothing" 0 "" /dev/null

# --- --delete: a delete-cas more than --max-bytes alone (a long prefix) is
# warned about and left, the others removed, 65; never sent, alone or with
# others.  --max-bytes is the size of a transaction of key 1 alone, so key
# 10 (one digit more) fits none (the 10 keys have one ModifyIndex); the
# listing gives 10 before 2.
new_prefix
PREFIX=$PREFIX/$(printf 'p%.0s' $(seq 200))
records 10 | kvpush --prefix "$PREFIX" >/dev/null
kvdiff --all --prefix "$PREFIX" </dev/null >"$T/all"
bytes=$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/2" | python3 -c '
import json, sys
op = {"KV": {"Verb": "delete-cas", "Key": sys.argv[1] + "/1",
             "Index": json.load(sys.stdin)[0]["ModifyIndex"]}}
print(len(json.dumps([op], separators=(",", ":"))))' "$PREFIX")
[ "$STANDIN" = 1 ] && mark=$(standin_eval 'len(d["txn_bytes"])')
grep -E 'r0000(02|10)"' "$T/all" >"$T/gone"
run -i "$T/gone" kvpush --delete --prefix "$PREFIX" --max-bytes "$bytes"
expect "--delete: a key too long for --max-bytes is left, with 65" 65 \
	"^kvpush: $PREFIX/10 \(hke:heavy_expr:r000010\): $((bytes - 1)) bytes as a transaction operation, more than a transaction may hold \($bytes\); not removed$"
is "...the other removed and printed" "$(indexes)" 2
is "...key 10 kept" "$(keys | awk '{print $1}' | tr '\n' ' ')" "1 3 4 5 6 7 8 9 10 "
if [ "$STANDIN" = 1 ]; then
	is "...no transaction above --max-bytes" \
		"$(standin_eval "max(d['txn_bytes'][$mark:]) <= $bytes")" True
fi

# --- Consul unreachable
run -i "$T/five" kvpush --consul "127.0.0.1:$(free_port)" --retries 0 --timeout 1s
expect "Consul unreachable: 69" 69 "cannot reach Consul"

# --- the original Python client reads what kvpush wrote (seed's get_list)
new_prefix
printf '%s\n' '{"record":"hke:heavy_expr:1","expr":"sum by (job) (rate(x{a=\"中文\"}[5m]))"}' \
	'{"record":"hke:heavy_expr:2","expr":"up == 1"}' | kvpush --prefix "$PREFIX" >/dev/null
host=${CONSUL_HTTP_ADDR#*://}
if /usr/bin/python3 - "${host%:*}" "${host##*:}" "$PREFIX" >"$T/py" 2>&1 <<'PY'
import json, sys
import consul
c = consul.Consul(sys.argv[1], int(sys.argv[2]))
data = c.kv.get(sys.argv[3], recurse=True)[1]
d = {}
for i in data:
    v = json.loads(i.get('Value').decode("utf-8"))
    d[v.get('record')] = v.get('expr')
assert d == {"hke:heavy_expr:1": 'sum by (job) (rate(x{a="中文"}[5m]))',
             "hke:heavy_expr:2": "up == 1"}, d
PY
then ok "python3-consul2 get_list reads the records back"; else fail "python3-consul2 reads back" "$(cat "$T/py")"; fi

# --- fault injection: only the stand-in can do it
if [ "$STANDIN" != 1 ]; then
	skip "races, 5xx and lost answers need the stand-in's fault injection"
	done_testing
fi

# a 409 race: another writer takes PREFIX/3 just before our transaction
new_prefix
records 2 | kvpush --prefix "$PREFIX" >/dev/null
fault "{\"race\":[{\"on_write\":1,\"key\":\"$PREFIX/3\",\"value\":\"theirs\"}]}"
run -i <(records 2 10) kvpush --prefix "$PREFIX" -v
fault '{}'
if [ "$status" = 0 ] && [ "$(indexes)" = "4 5" ] && grep -q renumbering "$T/err" &&
    [ "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3?raw")" = theirs ]; then
	ok "a 409 race: renumbered to 4, 5; the other writer's key kept"
else
	fail "a 409 race" "status $status $(indexes)" "$(cat "$T/err")"
fi

# a race that makes the numbers wider (another writer takes 9 and 99): the
# batch cut exactly at --max-bytes (its size read from the stand-in's last
# transaction at 9 and 10) no longer fits at 100 and 101, so each goes
# alone, in order
new_prefix
records 8 | kvpush --prefix "$PREFIX" >/dev/null
records 2 10 | kvpush --prefix "$PREFIX" >/dev/null
bytes=$(standin_eval 'd["txn_bytes"][-1]')
del "$PREFIX/9"
del "$PREFIX/10"
fault "{\"race\":[{\"on_write\":1,\"key\":\"$PREFIX/9\",\"value\":\"theirs\"},
	{\"on_write\":1,\"key\":\"$PREFIX/99\",\"value\":\"theirs\"}]}"
run -i <(records 2 10) kvpush --prefix "$PREFIX" --max-bytes "$bytes" -v
fault '{}'
if [ "$status" = 0 ] && [ "$(indexes)" = "100 101" ] && [ "$(txns_in)" = 3 ] &&
    [ "$(standin_eval 'd["txn_ops"][-2:]')" = "[1, 1]" ] &&
    consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/100?raw" | grep -q r000010 &&
    consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/101?raw" | grep -q r000011; then
	ok "a race widening the numbers: the batch split in two at 100, 101"
else
	fail "a race widening the numbers" "status $status $(indexes), $(txns_in) txns" \
		"ops $(standin_eval 'd["txn_ops"][-3:]')" "$(cat "$T/err")"
fi

# a race that takes the last 18-digit numbers while a batch is on its way:
# renumbered past them, it is refused (73) after its one 409, never sent
# empty again and again.  The record fits --max-bytes at 18 digits only
# (its size read from the stand-in's transaction of it alone).
new_prefix
put "$PREFIX/999999999999999990" '{"record":"x","expr":"y"}'
records 1 >"$T/one"
kvpush --prefix "$PREFIX" <"$T/one" >/dev/null
bytes=$(standin_eval 'd["txn_bytes"][-1]')
del "$PREFIX/999999999999999991"
fault "{\"race\":[{\"on_write\":1,\"key\":\"$PREFIX/999999999999999991\",\"value\":\"theirs\"},
	{\"on_write\":1,\"key\":\"$PREFIX/999999999999999999\",\"value\":\"theirs\"}]}"
before=$(standin_eval 'd["txn"]')
run -i "$T/one" timeout 30 kvpush --prefix "$PREFIX" --max-bytes "$bytes" -v
fault '{}'
expect "numbers run out in a race: 73, nothing printed" 73 "no number left: the next would be 1000000000000000000" /dev/null
is "...one transaction sent, the one in conflict" "$(($(standin_eval 'd["txn"]') - before))" 1

# a 500 on the first write, then success: no duplicates
new_prefix
fault '{"fail_writes":[1],"status":500,"body":"rpc error: leader lost"}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v --retries 3
fault '{}'
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ]; then
	ok "a 500 then success: 3 keys, no duplicate"
else
	fail "a 500 then success" "status $status" "$(cat "$T/err")" "$(keys)"
fi

# an answer that never came: the write landed; it is not written again
new_prefix
fault '{"drop_after_commit":[1]}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v --retries 3
fault '{}'
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ] && grep -q 'but it landed' "$T/err"; then
	ok "a lost answer: the batch is found landed, no duplicate"
else
	fail "a lost answer" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi

# failing for good: 75, and nothing printed for the batch
new_prefix
fault '{"fail_writes":[1,2,3,4,5],"status":503}'
run -i <(records 3) kvpush --prefix "$PREFIX" --retries 2
fault '{}'
expect "5xx every time: gives up with 75" 75 "gave up after 3 tries" /dev/null

# an answer that comes too late: the client gives up, finds the batch landed
new_prefix
fault '{"stall_ms":10000,"stall_on":[1],"stall_phase":"after"}'
run -i <(records 3) kvpush --prefix "$PREFIX" -v --timeout 1s --retries 2
fault '{}'
if [ "$status" = 0 ] && [ "$(indexes)" = "1 2 3" ] && [ "$(keys | wc -l)" = 3 ] && grep -q 'but it landed' "$T/err"; then
	ok "a timed-out answer: the batch is found landed, no duplicate"
else
	fail "a timed-out answer" "status $status $(indexes)" "$(cat "$T/err")" "$(keys)"
fi

# the answer lost and Consul unreadable too: kvpush cannot tell whether the
# batch landed, so it neither renumbers nor resends, and stops with 75.
# Read 1 is the listing of the numbers; every read after it is dropped
# (no SIGSTOP of the stand-in: that raced with the 1s timeout on a busy
# machine).
new_prefix
fault '{"stall_ms":10000,"stall_on":[1],"stall_phase":"after","drop_reads":[2,3,4,5,6,7,8,9,10,11,12]}'
run -i <(records 3) kvpush --prefix "$PREFIX" --timeout 1s --retries 1
fault '{}'
if [ "$status" = 75 ] && grep -q 'may or may not have landed' "$T/err" && [ ! -s "$T/out" ] &&
    [ "$(keys | wc -l)" = 3 ]; then
	ok "cannot tell whether it landed: 75, nothing printed, nothing written twice"
else
	fail "cannot tell" "status $status" "$(cat "$T/err")" "$(keys)"
fi

# one keep-alive connection for the whole run
new_prefix
before=$(standin_stats api_connections)
records 200 | kvpush --prefix "$PREFIX" >/dev/null
after=$(standin_stats api_connections)
if [ $((after - before)) = 1 ]; then
	ok "one connection for 4 transactions and the reads"
else
	fail "one keep-alive connection" "$((after - before)) connections"
fi

done_testing
