#!/bin/bash
# Retiring what nobody uses, end to end: qlogscan --usage on query-log
# lines of chosen ages (2.x and 3.x forms) | recsync touch keeps the use
# in Consul; recsync retire --unused-for plans, refuses past --max, and
# with --yes retires from Consul, Redis and the rule file; a fault midway
# and a rerun give the fault-free result; rendering never changes for a
# touch.  Real redis-server, promtool and the Consul stand-in (or agent).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
if [ ! -x "$RECSYNC_BIN/recsync" ]; then
	fail "recsync is in $RECSYNC_BIN" "run make (make SAN=1 for build/san/bin)"
	done_testing
fi
start_consul
start_redis
new_prefix
SETKEY="test:unused:$PREFIX_SEQ"
RULES=$T/rules
mkdir -p "$RULES"

# shellcheck disable=SC2317 # called through run
rs() { recsync "$@" --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES"; }
field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$T/out" "$1"; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "want '$2', got '$3'"; fi; }
names_stored() { kvdiff -q --all --prefix "$PREFIX" </dev/null | python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["record"][-4:] for l in sys.stdin)))'; }
names_redis() { rcli SMEMBERS "$SETKEY" | sed 's/.*\(....\)$/\1/' | sort | tr '\n' ' ' | sed 's/ $//'; }
names_rules() { /usr/bin/python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); print(" ".join(sorted(r["record"][-4:] for g in d["groups"] for r in g["rules"])))' "$1"; }
newest_rules() { find "$RULES" -name 'record_*.yml' -printf '%T@ %p\n' | sort -rn | head -n 1 | cut -d' ' -f2-; }
ago() { date -u -d "$1 days ago" +%Y-%m-%dT%H:%M:%S.000Z; }

# Five records named as the proxy names them: PREFIX:md5(expr).
for i in 1 2 3 4 5; do
	printf 'sum by (job) (rate(http_requests_total{shard="%d"}[5m]))\n' "$i"
done | python3 -c '
import hashlib, json, sys
for e in sys.stdin.read().splitlines():
    print(json.dumps({"record": "hke:heavy_expr:" + hashlib.md5(e.encode()).hexdigest(), "expr": e},
                     separators=(",", ":")))' >"$T/records"
N=() E=()
while IFS= read -r line; do
	N+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["record"])' "$line")")
	E+=("$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["expr"])[1:-1])' "$line")")
done <"$T/records"
short() { printf '%s' "${N[$1]: -4}"; }
run -i "$T/records" rs
expect "sync: five records" 0 ""

# The logs: record 0 queried raw (it bypassed the proxy) a day ago,
# record 1 through the proxy 60 days ago (3.x), record 2 100 days ago, and
# a rule evaluation of record 3 today (no use).  Records 3 and 4: never.
{
	printf '{"httpRequest":{"path":"/api/v1/query_range"},"params":{"query":"%s"},"ts":"%s"}\n' "${E[0]}" "$(ago 1)"
	printf '{"time":"%s","level":"INFO","msg":"promql query logged","params":{"query":"sum(%s)"},"httpRequest":{"path":"/api/v1/query"}}\n' "$(ago 60)" "${N[1]}"
	printf '{"httpRequest":{"path":"/api/v1/query"},"params":{"query":"%s"},"ts":"%s"}\n' "${N[2]}" "$(ago 100)"
	printf '{"params":{"query":"%s"},"ruleGroup":{"name":"g"},"ts":"%s"}\n' "${E[3]}" "$(ago 0)"
} >"$T/query.log"
qlogscan --usage "$T/query.log" >"$T/usage" 2>"$T/qerr"
run -i "$T/usage" rs touch
expect "touch: stores the use under the lock" 0 ""
same "touch: three names read, all stored" "3 3 0" "$(field names) $(field matched) $(field unknown)"
same "touch: the used records written; the others were tracked when stored" 3 "$(field written)"

# Tracked long ago, as records kept since before tracking would be.
for k in $(seq 1 5); do
	consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/$k?raw" |
		sed 's/"tracked_since":"[^"]*"/"tracked_since":"2020-01-01T00:00:00Z"/' >"$T/v"
	consul_curl -X PUT --data-binary @"$T/v" "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/$k" >/dev/null
done
WANT_LEFT=$(printf '%s\n' "$(short 0)" "$(short 1)" | sort | tr '\n' ' ' | sed 's/ $//')
ALL=$(printf '%s\n' "$(short 0)" "$(short 1)" "$(short 2)" "$(short 3)" "$(short 4)" | sort | tr '\n' ' ' | sed 's/ $//')

# The plan: what would go, each with its last use; nothing changes.
run rs retire --unused-for 90d
expect "plan: exits 0" 0 "would retire ${N[2]}: last used $(ago 100 | cut -c1-10)T"
same "plan: three unused" 3 "$(field unused)"
same "plan: the summary says dry_run, as every summary does" "True True" "$(field plan) $(field dry_run)"
for i in 3 4; do
	if grep -q "would retire ${N[$i]}: last used never" "$T/err"; then ok "plan: record $i never used"
	else fail "plan: record $i never used" "$(cat "$T/err")"; fi
done
same "plan: Consul unchanged" "$ALL" "$(names_stored)"
same "plan: Redis unchanged" "$ALL" "$(names_redis)"

# Bad settings, before anything: under a day, --max not a number, --yes
# alone, FILEs with --unused-for.
for row in "--unused-for 1h|64|below a day" "--unused-for 1d --max x|64|--max" \
    "--max 5|64|are for retire --unused-for" "--unused-for 90d $T/records|64|reads no records"; do
	# shellcheck disable=SC2086 # options are words
	run rs retire ${row%%|*}
	rest=${row#*|}
	expect "retire ${row%%|*}: refused" "${rest%%|*}" "${rest#*|}"
done
run rs retire --unused-for 1h --force
expect "retire --unused-for 1h --force: a plan" 0 "would retire"

# A cap lower than the plan: nothing retired, 65.
run rs retire --unused-for 90d --max 2 --yes
expect "--max 2: refuses, 65" 65 "3 records unused for 90d, more than --max 2"
same "--max 2: Consul unchanged" "$ALL" "$(names_stored)"
# --max 02 is 2, and the summary's "max" a JSON number.
run rs retire --unused-for 90d --max 02 --yes
expect "--max 02: refuses as 2 does, 65" 65 "more than --max 2"
same "--max 02: the summary says 2" 2 "$(field max)"

# A render before and after a touch: byte-identical, nothing reloaded.
run rs render --shard 0/1 -o "$T/shard.yml"
expect "render before the touch" 0 ""
cp "$T/shard.yml" "$T/shard.before"
printf '{"record":"%s","last_used":"%s","uses":1}\n' "${N[0]}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$T/usage2"
run -i "$T/usage2" rs touch
run rs render --shard 0/1 -o "$T/shard.yml"
expect "render after the touch" 0 ""
same "render after the touch: unchanged" False "$(field changed)"
check "render after the touch: byte-identical" cmp "$T/shard.before" "$T/shard.yml"

# Retire for real, with Consul failing the delete once: the run stops,
# and a rerun gives the fault-free result.
if [ "$STANDIN" = 1 ]; then
	fault '{"fail_writes":[1,2,3,4,5,6,7,8,9,10,11,12],"status":500,"body":"No cluster leader"}'
	run rs retire --unused-for 90d --yes
	if [ "${status:?}" != 0 ]; then ok "retire under a failing Consul: fails ($status)"
	else fail "retire under a failing Consul: fails" "$(cat "$T/err")"; fi
	fault '{}'
else
	skip "a failing Consul during retire (the stand-in's faults)"
fi
run rs retire --unused-for 90d --yes
expect "retire --yes: 0" 0 ""
same "retire --yes: Consul keeps the used" "$WANT_LEFT" "$(names_stored)"
same "retire --yes: Redis keeps the used" "$WANT_LEFT" "$(names_redis)"
f=$(newest_rules)
same "retire --yes: the rule file keeps the used" "$WANT_LEFT" "$(names_rules "$f")"
check "retire --yes: promtool accepts the rule file" promtool check rules "$f"
run rs retire --unused-for 90d --yes
expect "retire again: nothing more" 0 ""
same "retire again: none unused" 0 "$(field input)"
done_testing
