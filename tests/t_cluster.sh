#!/bin/bash
# redisput and recsync against a Redis Cluster of three masters that the
# test creates (redis-server --cluster-enabled yes, redis-cli --cluster
# create): a sync spread over every node, a slot migrated during a run
# (ASK, then MOVED), a node restarted during a run (69, then a rerun
# converges), retire and rebuild, and a cluster that is down (69, nothing
# written).
# shellcheck disable=SC2317 # helpers are called through check and wait_long
# shellcheck disable=SC2154,SC2086 # PORT_x come from start_node's eval; $PORTS is a list
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis-ha.sh
. "$TESTS/redis-ha.sh"

SET=hke:heavy_query_set

# cluster_node NAME: a cluster-enabled node, its bus on a free port too
# (CPORT_NAME), again on the same ports when restarted.
cluster_node() {
	local cport
	eval "cport=\${CPORT_$1:-}"
	[ -n "$cport" ] || cport=$(free_port)
	eval "CPORT_$1=$cport"
	start_node "$1" --cluster-enabled yes --cluster-config-file nodes.conf \
		--cluster-port "$cport" --cluster-node-timeout 3000 \
		--appendonly yes --appendfsync always
}

# cluster_ok: every node says cluster_state:ok and knows three masters.
cluster_ok() {
	local n
	for n in c1 c2 c3; do
		node "$n" CLUSTER INFO | tr -d '\r' | grep -qx 'cluster_state:ok' || return 1
		node "$n" CLUSTER INFO | tr -d '\r' | grep -qx 'cluster_size:3' || return 1
	done
}

cluster_node c1; cluster_node c2; cluster_node c3
redis-cli --cluster create "127.0.0.1:$PORT_c1" "127.0.0.1:$PORT_c2" \
	"127.0.0.1:$PORT_c3" --cluster-yes >"$T/create.log" 2>&1 ||
	{ fail "redis-cli --cluster create" "$(cat "$T/create.log")"; done_testing; }
wait_long cluster_ok || { fail "the cluster settles" "$(node c1 CLUSTER INFO)"; done_testing; }
ok "a cluster of three masters"
PORTS="$PORT_c1 $PORT_c2 $PORT_c3"
URL="redis+cluster://:$HA_PW_URL@127.0.0.1:$PORT_c2,127.0.0.1:$PORT_c1"

# members: the set's members, sorted (asked of the node serving it).
members() { redis-cli -c -p "$PORT_c1" SMEMBERS "$SET" | sort; }
# every_member_has_a_value: the set never names a record with no value.
every_member_has_a_value() {
	node_dump 'hke:heavy_expr:*' $PORTS | cut -f2 | sort >"$T/valued" || return 1
	members | comm -23 - "$T/valued" >"$T/unvalued"
	[ ! -s "$T/unvalued" ] || { echo "no value: $(head -3 "$T/unvalued")"; return 1; }
}

# --- a sync of 10k records: every key readable, every node a share
records 10000 >"$T/in"
run -i "$T/in" redisput -v --redis "$URL"
expect "10k records into the cluster: 0, every record passed through" 0 \
	"connected to redis\+cluster://:\*\*\*@.*: 3 masters" "$T/in"
no_pw() {
	if grep -Fq -- "$HA_PW" "$T/err" || grep -Fq -- "$HA_PW_URL" "$T/err"; then
		fail "$1" "$(grep -F -- "${HA_PW%%@*}" "$T/err" | head -3)"
	else ok "$1"; fi
}
no_pw "the password is masked in messages"
node_dump 'hke:heavy_expr:*' $PORTS >"$T/dump"
check "every key is on the cluster with its expr" holds_exactly "$T/dump" "$T/in"
for p in $PORTS; do
	n=$(grep -c "^$p	" "$T/dump")
	if [ "$n" -gt 2000 ]; then ok "node $p holds a share ($n keys)"
	else fail "node $p holds a share" "$n keys"; fi
done
names "$T/in" >"$T/want.names"
check "the set names every record" cmp -s "$T/want.names" <(members)

# --- compare mode: a rerun writes nothing; one run heals lost keys, lost
# members and changed values, on whichever node they live
# cstat CMD: calls of CMD summed over the nodes since CONFIG RESETSTAT.
cstat() {
	local p n=0 c
	for p in $PORTS; do
		c=$(redis-cli -p "$p" INFO commandstats | tr -d '\r' |
			sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p")
		n=$((n + ${c:-0}))
	done
	echo "$n"
}
resetstat() { local p; for p in $PORTS; do redis-cli -p "$p" CONFIG RESETSTAT >/dev/null; done; }
resetstat
run -i "$T/in" redisput --redis "$URL"
expect "compare: a rerun into the cluster" 0 "" "$T/in"
got="$(cstat smismember) $(cstat mset) $(cstat sadd)"
if [ "$(cstat get)" -ge 10000 ] && [ "$got" = "10 0 0" ]; then
	ok "compare: the rerun reads every key (GET, SMISMEMBER) and writes nothing"
else
	fail "compare: the rerun reads every key (GET, SMISMEMBER) and writes nothing" \
		"GET $(cstat get); SMISMEMBER, MSET, SADD: $got"
fi
mapfile -t nm < <(names "$T/in" | sed -n '1p;2p;500p;501p;7000p;9999p')
rc() { redis-cli -c -p "$PORT_c1" "$@" >/dev/null; }
rc DEL "${nm[0]}"; rc DEL "${nm[1]}"
rc SREM "$SET" "${nm[2]}" "${nm[3]}"
rc SET "${nm[4]}" 'sum(changed)'
rc DEL "${nm[5]}"; rc SREM "$SET" "${nm[5]}"
run -i "$T/in" redisput -v --redis "$URL"
expect "compare: a damaged cluster, one run" 0 "keys set: 4; members added: 3" "$T/in"
node_dump 'hke:heavy_expr:*' $PORTS >"$T/dump"
check "compare: every key is back with its expr" holds_exactly "$T/dump" "$T/in"
check "compare: the set names every record again" cmp -s "$T/want.names" <(members)

head -n 300 "$T/in" >"$T/vg.in"
vg "redisput into the cluster" "$T/vg.in" 0 "$RECSYNC_BIN/redisput" --chunk 100 --redis "$URL"
vg "redisput --delete in the cluster" "$T/vg.in" 0 "$RECSYNC_BIN/redisput" --delete --redis "$URL"
vg "redisput --prune in the cluster" "$T/vg.in" 0 "$RECSYNC_BIN/redisput" --prune --chunk 100 --redis "$URL"

# --- a slot migrated during a run: ASK while it moves, MOVED after.
# Record names are metric names (no hash tags), so the test picks names
# of one slot: CRC16/XMODEM (binascii.crc_hqx) modulo 16384, as the
# cluster spec says.  The run reads a FIFO in three parts, each with 20
# records of that slot among others, and the slot moves between them.
SLOT=$(node c1 CLUSTER KEYSLOT hke:heavy_expr:mig)
python3 - "$SLOT" "$T" <<'PY'
import binascii, json, sys
slot, t = int(sys.argv[1]), sys.argv[2]
same, other, i = [], [], 0
while len(same) < 60 or len(other) < 300:
    name = "hke:heavy_expr:mig%d" % i
    s = binascii.crc_hqx(name.encode(), 0) % 16384
    if s == slot and len(same) < 60:
        same.append(name)
    elif s != slot and len(other) < 300:
        other.append(name)
    i += 1
for part in range(3):
    with open("%s/mig%d" % (t, part + 1), "w") as f:
        for n in same[20 * part:20 * part + 20] + other[100 * part:100 * part + 100]:
            f.write(json.dumps({"record": n, "expr": "sum(up{n=\"%s\"})" % n},
                               separators=(",", ":")) + "\n")
PY
# owner_of SLOT: the node serving SLOT, by c1's CLUSTER NODES (id
# addr@cport flags master ping pong epoch link slot-ranges...).
owner_of() {
	local port n
	port=$(node c1 CLUSTER NODES | python3 -c '
import sys
slot = int(sys.argv[1])
for line in sys.stdin:
    f = line.split()
    for r in f[8:]:
        lo, _, hi = r.partition("-")
        if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
            print(f[1].split("@")[0].rsplit(":", 1)[1])' "$1")
	for n in c1 c2 c3; do
		[ "$(eval "echo \$PORT_$n")" = "$port" ] && echo "$n"
	done
}
SRC=$(owner_of "$SLOT")
case $SRC in c1) DST=c2 ;; c2) DST=c3 ;; *) DST=c1 ;; esac
SRC_ID=$(node "$SRC" CLUSTER MYID) DST_ID=$(node "$DST" CLUSTER MYID)
eval "DST_PORT=\$PORT_$DST"
for n in c1 c2 c3; do node "$n" CONFIG RESETSTAT >/dev/null; done
cat "$T/mig1" "$T/mig2" "$T/mig3" >"$T/mig"
mkfifo "$T/fifo"
redisput -v --chunk 120 --redis "$URL" <"$T/fifo" >"$T/out" 2>"$T/err" &
rp=$!
exec 3>"$T/fifo"
cat "$T/mig1" >&3
wait_long has_lines "$T/out" 120 || fail "the first part is written" "$(cat "$T/err")"
# The slot starts to move: its keys go, new ones are asked for (ASK).
node "$DST" CLUSTER SETSLOT "$SLOT" IMPORTING "$SRC_ID" >/dev/null
node "$SRC" CLUSTER SETSLOT "$SLOT" MIGRATING "$DST_ID" >/dev/null
# shellcheck disable=SC2046 # one key a word
node "$SRC" MIGRATE 127.0.0.1 "$DST_PORT" "" 0 10000 AUTH "$HA_PW" KEYS \
	$(node "$SRC" CLUSTER GETKEYSINSLOT "$SLOT" 1000) >"$T/migrate.out" 2>&1
cat "$T/mig2" >&3
wait_long has_lines "$T/out" 240 || fail "the second part is written" "$(cat "$T/err")"
# The slot has moved: the run's map is stale (MOVED).
for n in c1 c2 c3; do node "$n" CLUSTER SETSLOT "$SLOT" NODE "$DST_ID" >/dev/null; done
cat "$T/mig3" >&3
exec 3>&-
wait "$rp"; status=$?
expect "a slot migrated during the run: 0" 0 . "$T/mig"
asking=$(node "$DST" INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_asking:calls=\([0-9]*\),.*/\1/p')
if [ "${asking:-0}" -gt 0 ]; then
	ok "ASK was followed ($asking ASKING)"
else
	fail "ASK was followed" "no ASKING on $DST"
fi
slots_calls=0
for n in c1 c2 c3; do
	c=$(node "$n" INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_cluster|slots:calls=\([0-9]*\),.*/\1/p')
	slots_calls=$((slots_calls + ${c:-0}))
done
if [ "$slots_calls" -ge 2 ]; then
	ok "MOVED made the run read the slot map again"
else
	fail "MOVED made the run read the slot map again" "CLUSTER SLOTS ran $slots_calls times"
fi
if [ "$(node "$DST" CLUSTER COUNTKEYSINSLOT "$SLOT")" = 60 ] && [ "$(node "$SRC" CLUSTER COUNTKEYSINSLOT "$SLOT")" = 0 ]; then
	ok "all 60 keys of the slot are on its new node"
else
	fail "the slot's keys" "$DST: $(node "$DST" CLUSTER COUNTKEYSINSLOT "$SLOT"), $SRC: $(node "$SRC" CLUSTER COUNTKEYSINSLOT "$SLOT")"
fi
node_dump 'hke:heavy_expr:mig*' $PORTS >"$T/dump"
check "every migrated-slot record holds its expr" holds_exactly "$T/dump" "$T/mig"
check "every member has a value" every_member_has_a_value

# --- a node restarted during a run: 69 naming it; a rerun converges
records 3000 20001 >"$T/rs"
head -n 500 "$T/rs" >"$T/rs1"; tail -n +501 "$T/rs" >"$T/rs2"
rm -f "$T/fifo"; mkfifo "$T/fifo"
redisput --chunk 500 --redis "$URL" <"$T/fifo" >"$T/out" 2>"$T/err" &
rp=$!
exec 3>"$T/fifo"
cat "$T/rs1" >&3
wait_long has_lines "$T/out" 500 || fail "the part before the restart is written" "$(cat "$T/err")"
node c3 SHUTDOWN >/dev/null 2>&1
wait "$PID_c3" 2>/dev/null
cat "$T/rs2" >&3
exec 3>&-
wait "$rp"; status=$?
expect "a node down during the run: 69, naming it" 69 "127\.0\.0\.1:$PORT_c3"
no_pw "the password is masked when a node is lost"
cluster_node c3
wait_long cluster_ok || fail "the cluster settles after the restart" "$(node c1 CLUSTER INFO)"
check "after the failed run, every member has a value" every_member_has_a_value
run -i "$T/rs" redisput --redis "$URL"
expect "the rerun: 0" 0 "" "$T/rs"
node_dump 'hke:heavy_expr:r02*' $PORTS >"$T/dump"
check "the rerun converged: every record holds its expr" holds_exactly "$T/dump" "$T/rs"

# --- recsync sync, retire and rebuild with the cluster as its Redis (the
# URL in RECSYNC_REDIS: it reaches the tools through the environment)
start_consul
new_prefix
SETKEY="test:set:$PREFIX_SEQ" RULES=$T/rules
mkdir -p "$RULES"
rs() {
	local sub=()
	case ${1:-} in retire|rebuild|status) sub=("$1"); shift ;; esac
	RECSYNC_REDIS=$URL recsync "${sub[@]}" --prefix "$PREFIX" --set-key "$SETKEY" \
		--rules-dir "$RULES" "$@"
}
set_is() {	# set_is FILE: the set holds exactly the names of FILE's records
	[ "$(redis-cli -c -p "$PORT_c1" SMEMBERS "$SETKEY" | sort | tr '\n' ' ')" = \
	  "$(names "$1" | tr '\n' ' ')" ]
}
values_are() {	# values_are FILE: those records' keys hold their exprs
	node_dump 'hke:heavy_expr:rc*' $PORTS >"$T/dump" && holds_exactly "$T/dump" "$1"
}
records 6 1 | sed 's/heavy_expr:r/heavy_expr:rc/' >"$T/rc"
run -i "$T/rc" rs
expect "recsync sync into the cluster: 0" 0 ""
check "sync: the set names the six records" set_is "$T/rc"
check "sync: their values are on the cluster" values_are "$T/rc"
head -n 2 "$T/rc" >"$T/rc.retire"; tail -n 4 "$T/rc" >"$T/rc.kept"
run -i "$T/rc.retire" rs retire
expect "recsync retire in the cluster: 0" 0 ""
check "retire: the set names the four others" set_is "$T/rc.kept"
check "retire: only their values are left" values_are "$T/rc.kept"
redis-cli -c -p "$PORT_c1" SET hke:heavy_expr:rcstale 'up' >/dev/null
redis-cli -c -p "$PORT_c1" SADD "$SETKEY" hke:heavy_expr:rcstale >/dev/null
{ sed -n '3p;4p' "$T/rc"; records 1 7 | sed 's/heavy_expr:r/heavy_expr:rc/'; } >"$T/rc.want"
run -i "$T/rc.want" rs rebuild --yes
expect "recsync rebuild --yes in the cluster: 0" 0 ""
check "rebuild: the set names exactly the input" set_is "$T/rc.want"
check "rebuild: the cluster holds exactly the input's values" values_are "$T/rc.want"
check "rebuild: the temporary sets are gone" test -z "$(node_dump '*redisput-prune*' $PORTS;
	for p in $PORTS; do redis-cli -p "$p" --scan --pattern '*redisput-prune*'; done)"

# recsync status reads the set and every value from the cluster too
drift() {
	python3 -c 'import json,sys
print(" ".join(json.load(open(sys.argv[1]))["drift"][sys.argv[2]]))' "$T/out" "$1"
}
run rs status --json
expect "status of the cluster in step: 0" 0 ""
gone=$(sed -n '1p' "$T/rc.want" | python3 -c 'import json,sys; print(json.load(sys.stdin)["record"])')
other=$(sed -n '2p' "$T/rc.want" | python3 -c 'import json,sys; print(json.load(sys.stdin)["record"])')
redis-cli -c -p "$PORT_c1" DEL "$gone" >/dev/null
redis-cli -c -p "$PORT_c1" SET "$other" 'sum(up)' >/dev/null
run rs status --json
if [ "$status" = 1 ] && [ "$(drift redis_no_value)" = "$gone" ] && [ "$(drift redis_differs)" = "$other" ]; then
	ok "status names a value gone and a value changed on the cluster"
else
	fail "status of the cluster's drift" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
run -i /dev/null rs -q
run rs status --json
expect "a sync heals the cluster: status 0" 0 ""
# shellcheck disable=SC2012 # ls -t: the newest of our own record_*.yml
vg "kvdrift reading the cluster" /dev/null 0 "$RECSYNC_BIN/kvdrift" --prefix "$PREFIX" \
	--set-key "$SETKEY" --redis "$URL" --rules "$(ls -t "$RULES"/record_*.yml | head -n 1)"

# --- a cluster that is down: 69 before anything is written
start_node lone --cluster-enabled yes --cluster-config-file nodes.conf \
	--cluster-port "$(free_port)"
run -i "$T/mig1" redisput --redis "redis+cluster://:$HA_PW_URL@127.0.0.1:$PORT_lone"
expect "cluster_state:fail: 69" 69 "cluster_state:fail"
if [ "$(node lone DBSIZE)" = 0 ]; then
	ok "the failed cluster: nothing written"
else
	fail "the failed cluster: nothing written" "DBSIZE $(node lone DBSIZE)"
fi
start_node plain
run -i "$T/mig1" redisput --redis "redis+cluster://:$HA_PW_URL@127.0.0.1:$PORT_plain"
expect "a server that is not a cluster node: 69" 69 "CLUSTER INFO refused: .*cluster support disabled"
if [ "$(node plain DBSIZE)" = 0 ]; then
	ok "not a cluster: nothing written"
else
	fail "not a cluster: nothing written"
fi
DEAD=$(free_port)
run -i "$T/mig1" redisput --redis "redis+cluster://:$HA_PW_URL@127.0.0.1:$DEAD"
expect "no seed answers: 69, naming it" 69 "seed .*127\.0\.0\.1:$DEAD: cannot connect"
no_pw "the password is masked when no seed answers"

done_testing
