#!/bin/bash
# redisput and recsync behind Redis Sentinel: a master, a replica and a
# sentinel on loopback.  The master is found by asking the sentinels;
# SENTINEL FAILOVER between two syncs and in the middle of one leaves
# everything on the new master; sentinels that all fail give 69 naming
# each; passwords are masked.
# shellcheck disable=SC2317 # helpers are called through check and wait_long
# shellcheck disable=SC2154 # PORT_x come from start_node's eval
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis-ha.sh
. "$TESTS/redis-ha.sh"

SET=hke:heavy_query_set
SPW='sent:pw'		# the sentinel's own password, unlike the data one

start_node m1
start_node m2 --replicaof 127.0.0.1 "$PORT_m1"
PORT_s=$(free_port)
mkdir -p "$T/s"
cat >"$T/s/sentinel.conf" <<EOF2
port $PORT_s
bind 127.0.0.1
dir $T/s
sentinel monitor mymaster 127.0.0.1 $PORT_m1 1
sentinel auth-pass mymaster $HA_PW
sentinel down-after-milliseconds mymaster 3000
sentinel failover-timeout mymaster 20000
requirepass $SPW
EOF2
redis-sentinel "$T/s/sentinel.conf" --logfile "$T/s/log" &
PIDS="$PIDS $!"
# scli ARGS...: redis-cli on the sentinel (its password from the environment).
scli() { REDISCLI_AUTH=$SPW redis-cli -p "$PORT_s" "$@"; }
master_port() { scli SENTINEL GET-MASTER-ADDR-BY-NAME mymaster | tail -n 1; }
role() { node "$1" ROLE | head -n 1; }
# replica_ready NAME: the sentinel sees NAME as a replica, its link up.
replica_ready() {
	local p
	eval "p=\$PORT_$1"
	scli SENTINEL REPLICAS mymaster | tr -d '\r' | grep -qx "127.0.0.1:$p" &&
		node "$1" INFO replication | tr -d '\r' | grep -qx 'master_link_status:up' &&
		scli SENTINEL REPLICAS mymaster | tr -d '\r' | grep -A1 -x flags | tail -n 1 | grep -qx slave
}
# caught_up NAME: the replica NAME has every write of the master.
caught_up() {
	local mo ro
	mo=$(node "$2" INFO replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
	ro=$(node "$1" INFO replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
	[ -n "$mo" ] && [ "$mo" = "$ro" ]
}
# failed_over_to NEW OLD: the sentinel names NEW, NEW is a master and OLD
# its replica.
failed_over_to() {
	[ "$(master_port)" = "$(eval "echo \$PORT_$1")" ] && [ "$(role "$1")" = master ] &&
		[ "$(role "$2")" = slave ] && replica_ready "$2"
}
# failover NEW OLD: SENTINEL FAILOVER (retried while the sentinel has no
# good replica yet), then waits until it is done.
failover() {
	wait_long caught_up "$1" "$2" || { fail "the replica catches up" "$(node "$1" INFO replication)"; return 1; }
	wait_long sh -c "REDISCLI_AUTH='$SPW' redis-cli -p $PORT_s SENTINEL FAILOVER mymaster | grep -qx OK" ||
		{ fail "SENTINEL FAILOVER is accepted" "$(scli SENTINEL FAILOVER mymaster)"; return 1; }
	wait_long failed_over_to "$1" "$2" ||
		{ fail "the failover to $1 completes" "master $(master_port), $1 $(role "$1"), $2 $(role "$2")"; return 1; }
}

# in_master NAME FILE: every record of FILE on NAME, and in the set there.
in_master() {
	local p
	eval "p=\$PORT_$1"
	node_dump 'hke:heavy_expr:*' "$p" >"$T/dump" && holds_exactly "$T/dump" "$2" &&
		[ "$(node "$1" SMEMBERS "$SET" | sort)" = "$(names "$2")" ]
}
no_pw() {
	if grep -Fq -- "$HA_PW" "$T/err" || grep -Fq -- "$SPW" "$T/err" ||
		grep -Fq -- "$HA_PW_URL" "$T/err" || grep -Fq -- 'sent%3Apw' "$T/err"; then
		fail "$1" "$(cat "$T/err")"
	else ok "$1"; fi
}

wait_long replica_ready m2 || { fail "the sentinel sees the replica" "$(tail -5 "$T/s/log")"; done_testing; }
ok "a master, a replica and a sentinel"
DEAD=$(free_port)
URL="redis+sentinel://:$HA_PW_URL@127.0.0.1:$DEAD,127.0.0.1:$PORT_s/mymaster?sentinel_password=sent%3Apw"

# --- the master is the one the sentinels name; a dead sentinel is skipped
records 500 >"$T/a"
run -i "$T/a" redisput -v --redis "$URL"
expect "a sync through the sentinels: 0" 0 "connected to the master mymaster of redis\+sentinel://:\*\*\*@" "$T/a"
no_pw "passwords are masked"
check "the master holds the records" in_master m1 "$T/a"

vg "redisput through the sentinels" "$T/a" 0 "$RECSYNC_BIN/redisput" --chunk 100 --redis "$URL"
vg "redisput --prune through the sentinels" "$T/a" 0 "$RECSYNC_BIN/redisput" --prune --chunk 100 --redis "$URL"

# --- SENTINEL FAILOVER between two syncs
failover m2 m1
records 1500 >"$T/b"
run -i "$T/b" redisput --redis "$URL"
expect "the sync after a failover: 0" 0 "" "$T/b"
check "the new master holds everything" in_master m2 "$T/b"

# --- SENTINEL FAILOVER in the middle of a sync: the run reads a FIFO,
# the failover happens once the first chunks are confirmed, and the rest
# must land on the new master in the same run.
records 4000 >"$T/c"
head -n 1000 "$T/c" >"$T/c1"; tail -n +1001 "$T/c" >"$T/c2"
mkfifo "$T/fifo"
redisput --chunk 200 --redis "$URL" <"$T/fifo" >"$T/out" 2>"$T/err" &
rp=$!
exec 3>"$T/fifo"
cat "$T/c1" >&3
wait_long has_lines "$T/out" 1000 || fail "the first chunks are confirmed" "$(cat "$T/err")"
failover m1 m2
cat "$T/c2" >&3
exec 3>&-
wait "$rp"; status=$?
expect "a failover mid-sync: the run goes on, 0" 0 "asking the sentinels for the master again" "$T/c"
no_pw "passwords are masked during a failover"
check "the new master holds everything after the run" in_master m1 "$T/c"
run -i "$T/c" redisput --redis "$URL"
expect "a rerun: 0" 0 "" "$T/c"
check "the rerun leaves everything in place" in_master m1 "$T/c"

# --- recsync sync with the sentinel URL in RECSYNC_REDIS
start_consul
new_prefix
records 3 9001 >"$T/rs"
mkdir -p "$T/rules"
run -i "$T/rs" env RECSYNC_REDIS="$URL" recsync --prefix "$PREFIX" --set-key "$SET" --rules-dir "$T/rules"
expect "recsync sync through the sentinels: 0" 0 ""
for n in $(names "$T/rs"); do
	[ "$(node m1 SISMEMBER "$SET" "$n")" = 1 ] || echo "$n" >>"$T/rs.missing"
done
check "recsync: the records are on the master" test ! -s "$T/rs.missing"

# --- failures: 69 naming each sentinel tried, 77 for a refused password
DEAD2=$(free_port)
run -i "$T/a" redisput --redis "redis+sentinel://:$HA_PW_URL@127.0.0.1:$DEAD,127.0.0.1:$DEAD2/mymaster"
expect "every sentinel down: 69" 69 "sentinel 127\.0\.0\.1:$DEAD: .*cannot connect"
if grep -q "sentinel 127\.0\.0\.1:$DEAD2: .*cannot connect" "$T/err"; then
	ok "every sentinel down: each is named"
else
	fail "every sentinel down: each is named" "$(cat "$T/err")"
fi
no_pw "every sentinel down: passwords are masked"
run -i "$T/a" redisput --redis "redis+sentinel://:$HA_PW_URL@127.0.0.1:$PORT_s/mymaster?sentinel_password=wrong"
expect "the sentinel refuses its password: 69, named" 69 "sentinel 127\.0\.0\.1:$PORT_s: .*AUTH refused"
run -i "$T/a" redisput --redis "redis+sentinel://:$HA_PW_URL@127.0.0.1:$PORT_s/nosuch?sentinel_password=sent%3Apw"
expect "an unknown master name: 69" 69 "knows no master named nosuch"
run -i "$T/a" redisput --redis "redis+sentinel://:wrong@127.0.0.1:$PORT_s/mymaster?sentinel_password=sent%3Apw"
expect "the master refuses the data password: 77" 77 "AUTH refused"
no_pw "a refused password is masked"

done_testing
