#!/bin/bash
# recsync status and kvdrift: each kind of drift made by hand in the real
# redis-server and the Consul stand-in (or a real agent), named by status;
# a plain sync heals what it can and status then exits 0.  The metrics file
# recsync leaves, checked by promtool.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
if [ ! -x "$RECSYNC_BIN/recsync" ] || [ ! -x "$RECSYNC_BIN/kvdrift" ]; then
	fail "recsync and kvdrift are in $RECSYNC_BIN" "run make (make SAN=1 for build/san/bin)"
	done_testing
fi
start_consul
start_redis

new_prefix
SETKEY="test:set:status"
RULES=$T/rules
mkdir -p "$RULES" "$T/m"
N=hke:heavy_expr:r0000

# rs [SUBCOMMAND] ARGS...: recsync with this test's prefix, set and rules.
# shellcheck disable=SC2317 # called through run
rs() {
	local sub=()
	case ${1:-} in retire|rebuild|render|status) sub=("$1"); shift ;; esac
	recsync "${sub[@]}" --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES" "$@"
}
# drift KIND: the names status --json listed under KIND, one a line.
drift() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for x in d["drift"][sys.argv[2]]:
    print(x if isinstance(x, str) else json.dumps(x, separators=(",", ":")))' "$T/out" "$1"
}
# jget PY: a Python expression over status --json's object as d.
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/out" "$1"; }
# shellcheck disable=SC2012 # ls -t: the newest of our own record_*.yml
newest() { ls -t "$RULES"/record_*.yml | head -n 1; }
kv_put() { consul_curl -X PUT --data-binary "$2" "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/$1" >/dev/null; }
kv_del() { consul_curl -X DELETE "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/$1" >/dev/null; }

# --- usage
run rs status "$T/x"
expect "status takes no input file (64)" 64 "status reads no input"
run rs --json
expect "--json is status's (64)" 64 "for status"
run rs status --dry-run
expect "status writes nothing: no --dry-run (64)" 64 "no --dry-run"

# --- everything agrees
records 6 >"$T/in"
run -i "$T/in" rs -q
[ "$status" = 0 ] || fail "the first sync" "$(cat "$T/err")"
kvdiff -q --all --prefix "$PREFIX" </dev/null >"$T/stored"
is "the values carry kvpush's tracked_since (which is no drift)" "$(grep -c '"tracked_since":"' "$T/stored")" 6
run rs status
expect "in step: status exits 0" 0 ""
if grep -q '^drift:  none$' "$T/out" && grep -q '^consul: 6 records under' "$T/out" &&
    grep -q '^redis:  6 members in' "$T/out" && grep -q "^rules:  6 rules in $(newest)\$" "$T/out" &&
    grep -q '^lock:   free$' "$T/out"; then
	ok "the report for people: counts, rule file, lock, no drift"
else
	fail "report" "$(cat "$T/out")"
fi
run rs status --json
if [ "$status" = 0 ] && [ "$(jget '[d["counts"][k] for k in ("consul", "redis", "rules", "foreign_keys")]')" = "[6, 6, 6, 0]" ] &&
    [ "$(jget 'd["drift_total"], d["lock"]["held"], d["status"]')" = "(0, False, 0)" ]; then
	ok "--json: one object, counts of each store, no drift"
else
	fail "--json" "$status" "$(cat "$T/out")"
fi

# --- the kinds a sync heals, each made by hand
rcli DEL "${N}02" >/dev/null				# a member with no value
rcli SET "${N}03" 'sum(up)' >/dev/null			# another expression
rcli SREM "$SETKEY" "${N}04" >/dev/null			# not in Redis's set
rcli SADD "$SETKEY" hke:heavy_expr:gone >/dev/null	# not in Consul
rcli SET hke:heavy_expr:gone 'up' >/dev/null
sed -i "s/${N}05/${N}99/" "$(newest)"			# one rule renamed by hand
run rs status --json
is "drift: status exits 1" "$status" 1
for row in "redis_no_value|${N}02" "redis_differs|${N}03" "redis_missing|${N}04" \
	"redis_extra|hke:heavy_expr:gone" "rules_missing|${N}05" "rules_extra|${N}99"; do
	kind=${row%%|*} name=${row#*|}
	is "status names $kind: $name" "$(drift "$kind")" "$name"
done
is "six drift items, no more" "$(jget 'd["drift_total"]')" 6
run rs status
if grep -q '^drift:  6$' "$T/out" && grep -q "in Redis's set, with no value (1):" "$T/out" &&
    grep -q "^    ${N}02\$" "$T/out" && grep -q "^    ${N}99\$" "$T/out"; then
	ok "the report for people names them too"
else
	fail "report names" "$(cat "$T/out")"
fi

# --- a plain sync heals them; status exits 0
run -i /dev/null rs -q
[ "$status" = 0 ] || fail "the healing sync" "$status" "$(cat "$T/err")"
run rs status
expect "after a plain sync, status exits 0" 0 ""
if [ "$(rcli EXISTS hke:heavy_expr:gone)" = 0 ] && [ "$(rcli GET "${N}03")" != 'sum(up)' ]; then
	ok "the sync pruned the member Consul lacks and rewrote the value"
else
	fail "healed" "$(rcli GET "${N}03")"
fi

# --- Consul's own faults: a name under two keys, a key holding no record,
# a foreign key; none of them stops the report
kv_put 40 "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3?raw")"
kv_put 41 'not a record at all'
kv_put 42 '{"record":"not a name!","expr":"up"}'
kv_put notes 'a foreign key'
run rs status --json
if [ "$status" = 1 ] && [ "$(drift duplicates)" = "{\"record\":\"${N}03\",\"keys\":[3,40]}" ]; then
	ok "status names a record stored under two keys, and both keys"
else
	fail "duplicates" "$(cat "$T/out")"
fi
is "status names the numbered keys that hold no record" "$(drift junk | grep -c "\"$PREFIX/4[12]\"")" 2
is "a foreign key is counted, not drift" "$(jget 'd["counts"]["foreign_keys"], d["counts"]["consul"]')" "(1, 6)"
kv_del 40; kv_del 41; kv_del 42; kv_del notes
run rs status
expect "the keys removed by hand: status exits 0" 0 ""

# --- junk in Redis: names that are no record names, a key of another type
rcli SADD "$SETKEY" "$(printf 'esc\033[31mred')" >/dev/null
rcli SADD "$SETKEY" "$(printf 'bad\377byte')" >/dev/null
rcli DEL "${N}06" >/dev/null; rcli LPUSH "${N}06" x >/dev/null
run rs status --json
if [ "$status" = 1 ] && [ "$(jget 'sorted(d["drift"]["redis_extra"]) == ["bad\ufffdbyte", "esc\x1b[31mred"]')" = True ] &&
    [ "$(drift redis_no_value)" = "${N}06" ]; then
	ok "junk members are named (escaped in JSON); a list is no value"
else
	fail "junk members" "$(cat "$T/out")" "$(cat "$T/err")"
fi
run rs status
if ! grep -q "$(printf '\033')" "$T/out" && grep -q '"esc\\u001b\[31mred"' "$T/out"; then
	ok "no raw control byte reaches the terminal"
else
	fail "escaped" "$(cat -v "$T/out")"
fi
rcli DEL "${N}06" >/dev/null
run -i /dev/null rs -q
run rs status
expect "the sync heals the junk members and the list too" 0 ""

# --- the lock: held, by whom, since when, alive
sid=$(consul_curl -X PUT --data '{"Name":"t_status","TTL":"60s"}' "$CONSUL_HTTP_ADDR/v1/session/create" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
consul_curl -X PUT --data '{"host":"host-a","pid":4242,"since":1700000000}' \
	"$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock?acquire=$sid" >/dev/null
run rs status
if [ "$status" = 0 ] && grep -q '^lock:   held by host-a (pid 4242) since 2023-11-14T22:13:20Z; its session is alive$' "$T/out"; then
	ok "status: the lock held, by whom, since when, its session alive"
else
	fail "lock held" "$(cat "$T/out")" "$(cat "$T/err")"
fi
run rs status --json
if [ "$(SID=$sid jget 'd["lock"]["held"], d["lock"]["host"], d["lock"]["pid"], d["lock"]["since_date"], d["lock"]["alive"], d["lock"]["session"] == __import__("os").environ["SID"]')" = \
    "(True, 'host-a', 4242, '2023-11-14T22:13:20Z', True, True)" ]; then
	ok "--json: the lock's holder, date and session"
else
	fail "lock json" "$(cat "$T/out")"
fi
# Released before the session goes, as kvlock does: no lock-delay after it.
consul_curl -X PUT "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock?release=$sid" >/dev/null
consul_curl -X PUT "$CONSUL_HTTP_ADDR/v1/session/destroy/$sid" >/dev/null
run rs status
has "a released lock is free" '^lock:   free$' "$T/out"

# --- stores that cannot be read: the usual statuses, no report
run rs status --consul 127.0.0.1:1
expect "Consul unreachable: 69" 69 "cannot reach Consul"
run rs status --redis "unix://$T/no.sock"
expect "Redis unreachable: 69" 69 .
rcli SET "$SETKEY-str" x >/dev/null
run recsync status --prefix "$PREFIX" --set-key "$SETKEY-str" --rules-dir "$RULES"
expect "the set key holds a string: 78" 78 "not a set"
# Junk in the rule file: reported, and the other stores compared all the
# same, with what the file gave before its fault forgotten.
{ printf 'groups:\n  - name: g\n    rules:\n      - record: %s\n        expr: up\n' "${N}77"
  printf '      - record: [\n'; } >"$T/bad.yml"
rcli DEL "${N}02" >/dev/null
run rs status --rule-file "$T/bad.yml"
expect "a rule file that is not YAML: 65, FILE:LINE" 65 "bad.yml:[0-9]+:"
if grep -q "^rules:  not compared: $T/bad.yml could not be read\$" "$T/out" && grep -q "^    ${N}02\$" "$T/out" &&
    ! grep -q "${N}77" "$T/out"; then
	ok "a bad rule file: the rest is still compared and reported"
else
	fail "bad rule file report" "$(cat "$T/out")"
fi
run -i /dev/null rs -q
run rs status --rule-file "$T/none.yml"
expect "a rule file that is not there: 66" 66 "none.yml"
if [ "$STANDIN" = 1 ]; then
	start_standin acl --acl-token s3cret
	run env CONSUL_HTTP_ADDR="$STANDIN_URL" CONSUL_HTTP_TOKEN=wrong \
		recsync status --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES"
	expect "Consul refuses the token: 77" 77 .
else
	skip "Consul refuses the token: 77 (needs the stand-in)"
fi
rm -rf "$T/empty"; mkdir "$T/empty"
run rs status --rules-dir "$T/empty" --json
if [ "$status" = 1 ] && [ "$(drift rules_missing | wc -l)" = 6 ] && grep -q 'no rule file in' "$T/err"; then
	ok "no rule file at all: every record is missing from the rules"
else
	fail "no rule file" "$(cat "$T/out")"
fi

# --- the rule file: yamlemit's, unchanged, read by its trailer's line scan;
# any other by libyaml; the report is the same either way.  The records'
# expressions hold lines that look like rules, their names need quotes.
OLDPREFIX=$PREFIX; new_prefix; Q=$T/quick
mkdir "$Q"
python3 - "$TESTS/data/yamlemit/promql-hard.jsonl" >"$Q/in" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(line.strip())
odd = ["x\n  - record: fake1", "x\n- record: fake2", "y\n\n  - record: fake3\n",
       "z\n      - record: fake4", "  - record: fake5", "a\u2028  - record: fake6"]
for i, e in enumerate(odd):
    print(json.dumps({"record": "hke:heavy_expr:odd%d" % i, "expr": e}))
for n in ("on", "yes", "y", "null", "false", ":colon", "_"):
    print(json.dumps({"record": n, "expr": "up"}))
PY
kvpush -q --prefix "$PREFIX" <"$Q/in" >"$Q/stored"
redisput -q --set-key "$SETKEY.q" <"$Q/stored" >/dev/null
nq=$(wc -l <"$Q/in")
# kd FILE: kvdrift -v --json on the quick test's stores and FILE.
kd() { run kvdrift -v --json --prefix "$PREFIX" --set-key "$SETKEY.q" --rules "$1"; }
for opts in "" "--group-size 7 --label env=prod --interval 1m --group g"; do
	# shellcheck disable=SC2086 # options are words
	yamlemit -q $opts -o "$Q/r.yml" <"$Q/stored" >/dev/null
	kd "$Q/r.yml"
	cp "$T/out" "$Q/quick.json"
	if [ "$status" = 0 ] && grep -q "r.yml: $nq rules, as yamlemit wrote them" "$T/err" &&
	    [ "$(jget 'd["counts"]["rules"]')" = "$nq" ]; then
		ok "yamlemit $opts: its file's $nq names by the line scan, no drift"
	else
		fail "line scan $opts" "$status" "$(cat "$T/err" "$T/out")"
	fi
	head -n -1 "$Q/r.yml" >"$Q/plain" && cp "$Q/plain" "$Q/r.yml"
	kd "$Q/r.yml"
	if ! grep -q "as yamlemit wrote them" "$T/err" && cmp -s "$Q/quick.json" "$T/out"; then
		ok "yamlemit $opts: the same report from libyaml, the trailer taken off"
	else
		fail "libyaml $opts" "$(cat "$T/err")" "$(diff "$Q/quick.json" "$T/out")"
	fi
done
# A line longer than the scan's 1 MiB buffer (a rule Consul cannot hold:
# rules_extra), by both paths.
{ cat "$Q/stored"; python3 -c 'import json; print(json.dumps({"record": "big:rule", "expr": "sum(up{a=\"" + "x" * 2500000 + "\"})"}))'; } >"$Q/big.jsonl"
yamlemit -q -o "$Q/r.yml" <"$Q/big.jsonl" >/dev/null
kd "$Q/r.yml"
cp "$T/out" "$Q/quick.json"
if [ "$status" = 1 ] && grep -q "as yamlemit wrote them" "$T/err" && [ "$(drift rules_extra)" = big:rule ]; then
	ok "a 2.5 MB rule: the line scan reads past its buffer"
else
	fail "2.5 MB rule" "$status" "$(cat "$T/err")" "$(head -c 500 "$T/out")"
fi
head -n -1 "$Q/r.yml" >"$Q/plain" && cp "$Q/plain" "$Q/r.yml"
kd "$Q/r.yml"
if [ "$status" = 1 ] && cmp -s "$Q/quick.json" "$T/out"; then
	ok "a 2.5 MB rule: the same report from libyaml"
else
	fail "2.5 MB rule, libyaml" "$(diff "$Q/quick.json" "$T/out" | head -5)"
fi
yamlemit -q -o "$Q/r.yml" <"$Q/stored" >/dev/null
# A rule taken out by hand, the trailer left: libyaml reads the file and
# finds the drift.
python3 - "$Q/r.yml" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = lines.index("  - record: hke:heavy_expr:hard_05")
del lines[i:i + 2]
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(lines))
PY
kd "$Q/r.yml"
if [ "$status" = 1 ] && grep -q "r.yml: changed since yamlemit wrote it; read as YAML" "$T/err" &&
    [ "$(drift rules_missing)" = hke:heavy_expr:hard_05 ] && [ "$(jget 'd["drift_total"]')" = 1 ]; then
	ok "a rule removed below the trailer: read as YAML, the record missing from the rules"
else
	fail "tampered" "$status" "$(cat "$T/err" "$T/out")"
fi
# The same, with the trailer's digest made again for the bytes now above
# it: the count no longer matches.
body=$(head -n -1 "$Q/r.yml" | sha256sum | cut -c1-64)
sed -i "\$s/sha256=[0-9a-f]*/sha256=$body/" "$Q/r.yml"
kd "$Q/r.yml"
if [ "$status" = 1 ] && grep -q "changed since yamlemit wrote it" "$T/err" &&
    [ "$(drift rules_missing)" = hke:heavy_expr:hard_05 ]; then
	ok "the digest right but the count wrong: read as YAML"
else
	fail "count" "$status" "$(tail -n 1 "$Q/r.yml")" "$(cat "$T/err" "$T/out")"
fi
PREFIX=$OLDPREFIX

# --- the metrics file
M=$T/m/recsync.prom
metric() {	# metric NAME LABELS: the value of one series in $M
	awk -v s="$1{$2}" '$1 == s { print $2 }' "$M"
}
records 3 7 >"$T/in2"
run -i "$T/in2" rs -q --metrics-file "$M"
if [ "$status" = 0 ] && [ "$(metric recsync_records 'command="sync",store="consul"')" = 9 ] &&
    [ "$(metric recsync_last_run_records 'command="sync",result="new"')" = 3 ] &&
    [ "$(metric recsync_last_run_exit_status 'command="sync"')" = 0 ] &&
    [ -n "$(metric recsync_lock_wait_seconds 'command="sync"')" ]; then
	ok "sync with --metrics-file (records from stdin): counts, status, lock wait"
else
	fail "sync metrics" "$status" "$(cat "$T/err")" "$(cat "$M" 2>&1)"
fi
check "promtool check metrics: clean" sh -c "promtool check metrics <'$M'"
if [ "$(stat -c %a "$M")" = 644 ] && [ -z "$(find "$T/m" -name '.*')" ]; then
	ok "the file is readable by node_exporter; no temporary file is left"
else
	fail "mode" "$(ls -la "$T/m")"
fi
success=$(metric recsync_last_success_timestamp_seconds 'command="sync"')
rcli DEL "${N}01" >/dev/null
RECSYNC_METRICS_FILE=$M run rs status
if [ "$status" = 1 ] && [ "$(metric recsync_drift_records 'command="status",kind="redis_no_value"')" = 1 ] &&
    [ "$(metric recsync_records 'command="status",store="redis"')" = 9 ] &&
    [ "$(metric recsync_last_run_exit_status 'command="status"')" = 1 ] &&
    [ "$(metric recsync_last_run_exit_status 'command="sync"')" = 0 ]; then
	ok "RECSYNC_METRICS_FILE: status adds its series and keeps sync's"
else
	fail "status metrics" "$(cat "$M")"
fi
check "promtool check metrics: clean with two commands" sh -c "promtool check metrics <'$M'"
sleep 1	# a later second, so that a new success would show
run -i /dev/null rs -q --metrics-file "$M" --consul 127.0.0.1:1
if [ "$status" = 69 ] && [ "$(metric recsync_last_run_exit_status 'command="sync"')" = 69 ] &&
    [ "$(metric recsync_last_success_timestamp_seconds 'command="sync"')" = "$success" ]; then
	ok "a failed run (the lock never taken): its status, the last success carried over"
else
	fail "carried over" "$status" "$(cat "$M")"
fi
# An empty value is refused (64) like any other option's, never taken for
# RECSYNC_METRICS_FILE's file or the newest rule file.
while IFS='|' read -r sub opt; do
	args=()
	[ "$sub" = sync ] || args=("$sub")
	rm -f "$T/m/env.prom"
	RECSYNC_METRICS_FILE=$T/m/env.prom run -i /dev/null rs "${args[@]}" "$opt" ''
	expect "$sub $opt '': refused, 64" 64 "^recsync: $opt: the value is empty"
	check "$sub $opt '': RECSYNC_METRICS_FILE's file not written" test ! -e "$T/m/env.prom"
done <<'ROWS'
sync|--metrics-file
status|--metrics-file
status|--rule-file
ROWS
run -i /dev/null rs -q --metrics-file "$T/nodir/recsync.prom"
expect "--metrics-file in a missing directory: 73 before the run" 73 "no such directory"
run -i /dev/null rs -q --metrics-file "$T/m"
expect "--metrics-file naming a directory: 73" 73 "not a regular file"
run -i "$T/in" rs -q --dry-run --metrics-file "$M"
if [ "$status" = 0 ] && [ "$(metric recsync_last_run_exit_status 'command="sync"')" = 69 ]; then
	ok "a dry run leaves the metrics alone"
else
	fail "dry run metrics" "$(cat "$M")"
fi
# A summary that cannot be written (a full disk) fails the run, 74, as
# without a metrics file, and the metrics say 74.
for cmd in sync render; do
	args=()
	[ "$cmd" = sync ] || args=(render --shard 0/1 -o "$T/full.yml")
	rs "${args[@]}" -q --metrics-file "$M" <"$T/in2" >/dev/full 2>"$T/err"; status=$?
	expect "$cmd: the summary on a full disk with --metrics-file: 74" 74 "^recsync: .*summary"
	is "$cmd: the summary on a full disk: the metrics say 74" \
		"$(metric recsync_last_run_exit_status "command=\"$cmd\"")" 74
done
done_testing
