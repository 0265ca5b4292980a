#!/bin/bash
# Consul's limits on /v1/txn (64 operations, 512 KiB a body) seen from the
# server's side: the stand-in's stats list the operations and bytes of each
# transaction it got, so the splitting of kvpush and kvpush --delete is
# proved by what arrived, not by kvpush's own count (-v, in t_kvpush.sh).
# Against a real agent (RECSYNC_TEST_CONSUL) the pushes and deletes still
# run and their results are checked; the stats checks skip.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul

# mark: remembers how many transactions the stand-in has got so far.
mark() { [ "$STANDIN" = 1 ] && MARK=$(standin_eval 'len(d["txn_ops"])'); }
# server NAME EXPR: a Python test over what came since the mark: ops and
# size (lists, one item a transaction), committed (how many got 200),
# LIMIT = 524288.
server() {
	if [ "$STANDIN" != 1 ]; then
		skip "$1 (the stand-in's stats)"
		return
	fi
	got=$(consul_curl "$CONSUL_HTTP_ADDR/_standin/stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = int(sys.argv[1])
ops, size, LIMIT = d["txn_ops"][m:], d["txn_bytes"][m:], 524288
print(bool(eval(sys.argv[2])), "ops", ops, "bytes", size)' "$MARK" "$2")
	case $got in True*) ok "$1" ;; *) fail "$1" "$got" ;; esac
}
# pushed NAME N: the last run printed N records and PREFIX holds N keys.
pushed() {
	if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = "$2" ] && [ "$(keys | wc -l)" = "$2" ]; then
		ok "$1"
	else
		fail "$1" "status $status, $(wc -l <"$T/out") printed, $(keys | wc -l) keys" "$(tail -3 "$T/err")"
	fi
}

# --- by count: 64, 65, 130 records; --max-ops 3
for row in "64|[64]" "65|[64, 1]" "130|[64, 64, 2]"; do
	n=${row%%|*} want=${row#*|}
	new_prefix
	mark
	run -i <(records "$n") kvpush --prefix "$PREFIX"
	pushed "$n records pushed" "$n"
	server "...the server got transactions of $want operations" "str(ops) == '$want'"
done
new_prefix
mark
run -i <(records 10) kvpush --prefix "$PREFIX" --max-ops 3
pushed "--max-ops 3: 10 records pushed" 10
server "...in transactions of 3, 3, 3, 1 operations" "ops == [3, 3, 3, 1]"

# --- by bytes: 10 records of about 100 KB (133 KB as base64)
new_prefix
python3 -c '
import json
for i in range(10):
    print(json.dumps({"record": "big_%d" % i, "expr": "sum(x{l=\"%s\"})" % ("é" * 50000 + str(i))}))' >"$T/big"
mark
run -i "$T/big" kvpush --prefix "$PREFIX"
pushed "10 records of 100 KB pushed" 10
server "...no body above 512 KiB, 10 operations in all" "max(size) <= LIMIT and sum(ops) == 10"
server "...each body but the last too full to take one more record" \
	"all(s + (size[-1] - 2) // ops[-1] > LIMIT for s in size[:-1]) and len(ops) > 1"

# --- at the byte boundary exactly: records whose transaction body is
# 524288 bytes go in one transaction; one byte more in a value and the
# last record goes in a second.  The sizes follow the value kvpush stores
# ({"record":…,"expr":…} and STORED_EXTRA bytes it adds) and the
# operation Consul's API takes ({"KV":{"Verb":"cas","Key":…,"Value":
# base64,"Index":0}}): a change to either must change this test on purpose.
TRACKED=',"tracked_since":"2026-12-03T07:00:00Z"'	# its length, any time
STORED_EXTRA=${#TRACKED}
# boundary GROW: the prefix (made to fit), then the records, one a line.
boundary() {
	python3 - "$PREFIX" "$STORED_EXTRA" "$1" <<'PY'
import json, sys
prefix, extra, grow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
LIMIT = 524288
b64 = lambda n: 4 * ((n + 2) // 3)
head = lambda i: '{"record":"big_%d","expr":"' % i
def op(i, vlen):	# a record's operation at key number i
    return len('{"KV":{"Verb":"cas","Key":%s,"Value":"' % json.dumps("%s/%d" % (prefix, i))) + \
        b64(vlen) + len('","Index":0}}')
# Every body is 1 + the sum of (op + 1): its residue mod 4 is set by the
# prefix's length and the number of records; pick a fitting pair.
for pad in ("", "x"):
    prefix = sys.argv[1] + pad
    for n in (3, 5):
        fixed = 1 + sum(op(i, 0) + 1 for i in range(1, n + 1))
        if (LIMIT - fixed) % 4 == 0:
            break
    else:
        continue
    break
vlen = [3 * ((LIMIT - fixed) // 4 // n)] * n	# whole base64 blocks
vlen[-1] += 3 * ((LIMIT - fixed) // 4) - sum(vlen)
body = 1 + sum(op(i + 1, v) + 1 for i, v in enumerate(vlen))
assert body == LIMIT, body
print(prefix)
for i, v in enumerate(vlen):
    v += grow if i == n - 1 else 0
    print('%s%s"}' % (head(i), "x" * (v - len(head(i)) - 2 - extra)))
PY
}
new_prefix
boundary 0 >"$T/edge"
PREFIX=$(head -n 1 "$T/edge")
tail -n +2 "$T/edge" >"$T/edge.in"
n=$(wc -l <"$T/edge.in")
mark
run -i "$T/edge.in" kvpush --prefix "$PREFIX"
pushed "$n records making a body of exactly 524288 bytes pushed" "$n"
server "...in one transaction of $n operations and 524288 bytes" "ops == [$n] and size == [LIMIT]"
new_prefix
boundary 1 >"$T/edge"
PREFIX=$(head -n 1 "$T/edge")
tail -n +2 "$T/edge" >"$T/edge.in"
mark
run -i "$T/edge.in" kvpush --prefix "$PREFIX"
pushed "the same with the last value one byte longer pushed" "$n"
server "...in two transactions, $((n - 1)) operations and 1" "ops == [$((n - 1)), 1] and max(size) <= LIMIT"

# --- what the server refuses, and kvpush reports (76): more than 64
# operations (Consul <= 1.13; 1.14 takes 128), a body above 512 KiB
if [ "$STANDIN" = 1 ]; then
	new_prefix
	run -i <(records 65) kvpush --prefix "$PREFIX" --max-ops 65
	expect "--max-ops 65: the server's 413, kvpush 76, nothing printed" 76 \
		'Consul refused a transaction of 65 operations: Consul answered HTTP 413: Transaction contains too many operations \(65 > 64\)' /dev/null
	run -i "$T/big" kvpush --prefix "$PREFIX" --max-bytes 1000000
	expect "--max-bytes 1000000: the server's 413, kvpush 76" 76 \
		'Consul answered HTTP 413: Request body\([0-9]+ bytes\) too large, max size: 524288 bytes' /dev/null
	if [ "$(keys | wc -l)" = 0 ]; then
		ok "...nothing written"
	else
		fail "nothing written" "$(keys)"
	fi
else
	skip "the stand-in's 413s for 65 operations and 1 MB bodies (a real agent's limits vary by version)"
fi

# --- --delete: 130 records go in transactions of at most 64 delete-cas
new_prefix
records 130 | kvpush --prefix "$PREFIX" >/dev/null
mark
run -i <(records 130) kvpush --delete --prefix "$PREFIX" -v
if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = 130 ] && [ "$(keys | wc -l)" = 0 ] &&
    grep -q '130 keys of 130 records found and removed' "$T/err"; then
	ok "--delete of 130 records"
else
	fail "--delete of 130 records" "status $status, $(wc -l <"$T/out") printed" "$(tail -3 "$T/err")"
fi
server "...in transactions of 64, 64, 2 operations" "ops == [64, 64, 2]"

# --- --delete of records not stored: reported in the count, not an error
new_prefix
records 3 | kvpush --prefix "$PREFIX" >/dev/null
mark
run -i <(records 1 2; records 2 500) kvpush --delete --prefix "$PREFIX" -v
if [ "$status" = 0 ] && [ "$(indexes)" = 2 ] && grep -q '1 key of 3 records found and removed' "$T/err" &&
    [ "$(keys | awk '{print $1}' | tr '\n' ' ')" = "1 3 " ]; then
	ok "--delete of 1 stored and 2 unknown records: the stored one removed, exit 0"
else
	fail "--delete with unknown records" "status $status $(indexes)" "$(cat "$T/err")"
fi
server "...in one transaction of one operation" "ops == [1]"
mark
run -i <(records 2 500) kvpush --delete --prefix "$PREFIX" -v
expect "--delete of records none of which is stored: exit 0, nothing printed" 0 \
	'0 keys of 2 records found and removed' /dev/null
server "...and no transaction sent" "ops == []"

done_testing
