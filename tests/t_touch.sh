#!/bin/bash
# Usage kept in Consul: kvpush --touch writes each record's last_used and
# tracked_since into its value (cas on ModifyIndex, at most once a record a
# day, within the transaction limits), and kvdiff --unused-for lists what
# has been neither used nor newly tracked for a while.  The original's
# get_list still reads every value.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul

# value N: the JSON value of PREFIX/N.
value() { consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/$1?raw"; }
# field N NAME: one member of that value ("" when absent).
field() { value "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"; }
# set_fields N JSON: merges members into PREFIX/N's value by hand (null
# removes one), as an old record or another writer would have it.
set_fields() {
	value "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k, x in json.loads(sys.argv[1]).items():
    if x is None: v.pop(k, None)
    else: v[k] = x
sys.stdout.write(json.dumps(v, separators=(",", ":")))' "$2" >"$T/v"
	consul_curl -X PUT --data-binary @"$T/v" "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/$1" >/dev/null
}
# summary KEY: a count of the last run's summary.
summary() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/out" "$1"; }
same() {	# same NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "want '$2', got '$3'"; fi
}
use() { printf '{"record":"hke:heavy_expr:r%06d","last_used":"%s","uses":1}\n' "$1" "$2"; }
TODAY=$(date -u +%Y-%m-%d)

# kvpush stores each new record with its tracked_since, the clock's time
# of the write (UTC, to the second); touch then leaves it alone.
new_prefix
before=$(date -u +%s)
records 3 | kvpush --prefix "$PREFIX" >/dev/null
after=$(date -u +%s)
stamp=$(field 3 tracked_since)
if [[ $stamp =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
    [ "$(date -u -d "$stamp" +%s)" -ge "$before" ] && [ "$(date -u -d "$stamp" +%s)" -le "$after" ]; then
	ok "kvpush: tracked_since stored with the record, the time of the write"
else fail "kvpush: tracked_since stored with the record, the time of the write" "'$stamp' not in [$before, $after]"; fi
same "kvpush: the value is record, expr, tracked_since" "record expr tracked_since" \
	"$(value 3 | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))')"
kvdiff --prefix "$PREFIX" <(records 3) >"$T/diff" 2>"$T/differr"
if [ ! -s "$T/diff" ] && [ ! -s "$T/differr" ]; then ok "kvdiff: the stored records, tracked_since and all, are not new"
else fail "kvdiff: the stored records, tracked_since and all, are not new" "$(cat "$T/diff" "$T/differr")"; fi
if [ "$(kvdiff -q --all --prefix "$PREFIX" </dev/null | grep -c '"tracked_since":"')" = 3 ]; then
	ok "kvdiff --all: tracked_since is printed with the record"
else fail "kvdiff --all: tracked_since is printed with the record" "$(kvdiff -q --all --prefix "$PREFIX" </dev/null)"; fi
# A record the original system stored: no tracked_since.
consul_curl -X PUT --data-binary '{"record":"hke:heavy_expr:r000004","expr":"up"}' \
	"$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/4" >/dev/null
value 3 >"$T/three"
{
	use 1 2024-05-01T10:00:00.000Z
	use 1 2024-03-01T10:00:00+02:00		# older: the latest wins
	use 2 2099-01-01T00:00:00Z		# the future: clamped to now
	use 9 2024-05-01T10:00:00Z		# not stored
	echo '{"record":"not a name","last_used":"2024-05-01T10:00:00Z"}'
	echo '{"record":"hke:heavy_expr:r000003","last_used":"May 1st"}'
	printf '{"record":"hke:heavy_expr:r000003","last_used":"2024-05-01T10:00:00Z","n":3\0}\n'
	echo
} >"$T/usage"
run kvpush --touch --prefix "$PREFIX" "$T/usage"
expect "touch: bad lines are 65, shown at FILE:LINE" 65 'usage:5: "record" is missing'
for k in "read 7" "bad 3" "names 3" "matched 2" "unknown 1" "clamped 1" "stored 4" "written 3"; do
	same "touch: summary ${k% *}" "${k#* }" "$(summary "${k% *}")"
done
same "touch: last_used, the latest, in UTC" 2024-05-01T10:00:00Z "$(field 1 last_used)"
same "touch: tracked_since is today" "$TODAY" "$(field 1 tracked_since | cut -c1-10)"
same "touch: a use in the future is now" "$TODAY" "$(field 2 last_used | cut -c1-10)"
same "touch: a record kvpush stored, not used: not written" "$(cat "$T/three")" "$(value 3)"
same "touch: a record stored without tracked_since, not used, is tracked" "$TODAY" "$(field 4 tracked_since | cut -c1-10)"
same "touch: ... and has no last_used" "" "$(field 4 last_used)"
same "touch: record and expr stay" 'hke:heavy_expr:r000001 sum(rate(http_requests_total{job="j1"}[5m])) by (code)' \
	"$(field 1 record) $(field 1 expr)"

# The original's get_list (python3-consul2) still reads every value.
host=${CONSUL_HTTP_ADDR#*://}
check "python3-consul2 get_list reads the touched values" /usr/bin/python3 -c '
import json, sys, consul
c = consul.Consul(sys.argv[1], int(sys.argv[2]))
d = {}
for i in c.kv.get(sys.argv[3], recurse=True)[1]:
    v = json.loads(i["Value"].decode("utf-8"))
    d[v.get("record")] = v.get("expr")
assert len(d) == 4 and all(k.startswith("hke:heavy_expr:r") for k in d), d
' "${host%:*}" "${host##*:}" "$PREFIX"

# At most once a record a day: the same uses again write nothing; a use on
# a later day writes that record alone.
before=$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/?recurse" | md5sum)
run kvpush --touch --prefix "$PREFIX" "$T/usage"
same "touch again: nothing written" 0 "$(summary written)"
same "touch again: no value changed" "$before" "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/?recurse" | md5sum)"
use 1 2024-05-01T23:59:59Z >"$T/same-day"
run kvpush --touch --prefix "$PREFIX" "$T/same-day"
same "touch: a later use on the same day writes nothing" 0 "$(summary written)"
use 1 2024-05-02T00:00:01Z >"$T/next-day"
run kvpush --touch --prefix "$PREFIX" "$T/next-day"
expect "touch: clean input is 0" 0 ""
same "touch: a use on a later day writes that record" 1 "$(summary written)"
same "touch: ... its last_used" 2024-05-02T00:00:01Z "$(field 1 last_used)"
# Once a day is per calendar day of the use (UTC), not of the write: a late
# use of yesterday and then a use of today are two writes on this one day;
# another use of today is none.
YESTERDAY=$(date -u -d yesterday +%Y-%m-%d)
use 3 "${YESTERDAY}T12:00:00Z" >"$T/late"
run kvpush --touch --prefix "$PREFIX" "$T/late"
same "touch: a late use of yesterday is written" "1 ${YESTERDAY}T12:00:00Z" "$(summary written) $(field 3 last_used)"
use 3 "${TODAY}T00:00:00Z" >"$T/today"
run kvpush --touch --prefix "$PREFIX" "$T/today"
same "touch: ... then a use of today, written the same day" "1 ${TODAY}T00:00:00Z" "$(summary written) $(field 3 last_used)"
use 3 "${TODAY}T00:00:01Z" >"$T/today2"
run kvpush --touch --prefix "$PREFIX" "$T/today2"
same "touch: ... another use of today is not" "0 ${TODAY}T00:00:00Z" "$(summary written) $(field 3 last_used)"
set_fields 3 '{"last_used":null}'
run -i <(use 1 2024-06-01T00:00:00Z) kvpush --touch --dry-run --prefix "$PREFIX"
same "touch --dry-run: says what it would write" 1 "$(summary would_write)"
same "touch --dry-run: writes nothing" 2024-05-02T00:00:01Z "$(field 1 last_used)"

# kvdiff --unused-for: nothing while every record was tracked today; with
# tracking moved back by hand, the records neither used nor tracked since
# the cutoff.  A record without tracked_since is never unused.
run kvdiff --prefix "$PREFIX" --unused-for 30d
expect "unused-for: nothing tracked long enough" 0 "" /dev/null
set_fields 1 '{"tracked_since":"2024-01-01T00:00:00Z"}'
set_fields 2 '{"tracked_since":"2024-01-01T00:00:00Z"}'
set_fields 3 '{"tracked_since":"2024-01-01T00:00:00Z"}'
set_fields 4 '{"tracked_since":null}'		# never tracked
run kvdiff --prefix "$PREFIX" --unused-for 30d </dev/null
expect "unused-for: exits 0" 0 ""
same "unused-for: used long ago, and never used, by name" "hke:heavy_expr:r000001 hke:heavy_expr:r000003" "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["record"] for l in sys.stdin if "index" not in json.loads(l)))' <"$T/out")"
if grep -q '"last_used":"2024-05-02T00:00:01Z"' "$T/out"; then
	ok "unused-for: each record with its last use"
else fail "unused-for: each record with its last use" "$(cat "$T/out")"; fi
run kvdiff --prefix "$PREFIX" --unused-for 100000d
expect "unused-for: nothing unused for 270 years" 0 "" /dev/null
run kvdiff --prefix "$PREFIX" --unused-for 3x
expect "unused-for: a bad duration is 64" 64 "unused-for"
run kvdiff --prefix "$PREFIX" --unused-for 23h
expect "unused-for: below a day is 64" 64 "below a day .* only with --force"
run kvdiff --prefix "$PREFIX" --unused-for 0 --force
expect "unused-for 0 --force: every record tracked before now" 0 ""
same "unused-for 0 --force: ... but the untracked one" 3 "$(wc -l <"$T/out")"
run kvdiff --prefix "$PREFIX" --unused-for 1d --all
expect "unused-for and --all exclude each other" 64 "exclude each other"

# A record stored within a few bytes of the transaction limit no longer
# fits one once a touch adds its last_used: it is warned about and left,
# the others are touched, 65 on this run and the next; no transaction is
# ever sent that Consul would refuse (413).  On a stand-in of its own whose
# limit is 2048 bytes; the record is the largest kvpush stores there.
start_standin small --txn-max-req-len 2048 --kv-max-value-size 2048
small() { CONSUL_HTTP_ADDR=$STANDIN_URL "$@"; }
new_prefix
big() { python3 -c 'import json,sys; print(json.dumps({"record":"hke:heavy_expr:r000001","expr":"x"*int(sys.argv[1])}))' "$1"; }
lo=1000 hi=2048
while [ "$lo" -lt "$hi" ]; do
	mid=$(((lo + hi + 1) / 2))
	if big "$mid" | small kvpush -n -q --max-bytes 2048 --prefix "$PREFIX" >/dev/null 2>&1; then
		lo=$mid
	else
		hi=$((mid - 1))
	fi
done
{ big "$lo"; records 1 2; } | small kvpush --max-bytes 2048 --prefix "$PREFIX" >/dev/null
{ use 1 2024-05-01T00:00:00Z; use 2 2024-05-01T00:00:00Z; } >"$T/two"
for n in 1 2; do
	run small kvpush --touch --max-bytes 2048 --prefix "$PREFIX" "$T/two"
	expect "touch near the limit, run $n: 65, the big one named" 65 \
		"^kvpush: $PREFIX/1 \(hke:heavy_expr:r000001\): [0-9]+ bytes as a transaction operation with its use, more than a transaction may hold \(2048\); not touched$"
done
same "...the other touched on the first run" 2024-05-01T00:00:00Z \
	"$(CONSUL_HTTP_ADDR=$STANDIN_URL field 2 last_used)"
same "...the big one left as it was" "" "$(CONSUL_HTTP_ADDR=$STANDIN_URL field 1 last_used)"
same "...no transaction above 2048 bytes" True \
	"$(consul_curl "$STANDIN_URL/_standin/stats" | python3 -c 'import json,sys; print(max(json.load(sys.stdin)["txn_bytes"]) <= 2048)')"

# Transactions: 130 records touched go in cas transactions of at most 64
# operations, as the stand-in counts them.
new_prefix
records 130 | kvpush --prefix "$PREFIX" >/dev/null
for i in $(seq 1 130); do use "$i" 2024-05-01T00:00:00Z; done >"$T/many"
[ "$STANDIN" = 1 ] && mark=$(standin_eval 'len(d["txn_ops"])')
run kvpush --touch --prefix "$PREFIX" "$T/many"
same "touch 130: all written" 130 "$(summary written)"
if [ "$STANDIN" = 1 ]; then
	same "touch 130: transactions of 64, 64, 2" "[64, 64, 2]" \
		"$(standin_eval "d['txn_ops'][$mark:]")"
	# Another writer changes a key between the read and the write: the
	# transaction is refused whole, the store read again, nothing lost.
	set_fields 7 '{"last_used":null}'
	for i in $(seq 1 130); do use "$i" 2024-06-01T00:00:00Z; done >"$T/many"
	theirs=$(value 7 | sed 's/}$/,"note":"theirs"}/')
	fault "{\"race\":[{\"on_write\":1,\"key\":\"$PREFIX/7\",\"value\":$(printf %s "$theirs" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}]}"
	run kvpush --touch -v --prefix "$PREFIX" "$T/many"
	expect "touch: a key changed meanwhile is read again" 0 "reading .* again"
	same "touch: every record written after the race" 130 "$(summary written)"
	same "touch: the other writer's value is kept, and touched" \
		"theirs 2024-06-01T00:00:00Z" "$(field 7 note) $(field 7 last_used)"
	fault '{"fail_writes":[1,2,3,4,5],"status":500,"body":"No cluster leader"}'
	run -i <(use 1 2024-07-01T00:00:00Z) kvpush --touch --retries 2 --prefix "$PREFIX"
	expect "touch: Consul failing is 75, nothing written" 75 "No cluster leader"
	same "touch: ... the value as it was" 2024-06-01T00:00:00Z "$(field 1 last_used)"
	fault '{}'
else
	skip "touch transactions and races (the stand-in's stats and faults)"
fi
done_testing
