#!/bin/bash
# kvlock: the lock is held while the command runs and released after it,
# the command's status comes back, a second holder waits, a dead holder's
# lock frees itself by TTL, and a long command keeps its lock by renewal.
. "$(dirname "$0")/lib.sh"
# Session clocks run at 0.3 of real time on the stand-in: a "10s" TTL
# expires after 10 s * 2 (Consul's grace) * 0.3 = 6 s without renewal.
start_consul --ttl-scale 0.3
new_prefix
KEY=$PREFIX.lock

lock_session() {
	consul_curl -s "$CONSUL_HTTP_ADDR/v1/kv/$KEY" | python3 -c '
import json, sys
t = sys.stdin.read()
print(json.loads(t)[0].get("Session", "") if t.strip() else "")'
}

# --- usage
while IFS='|' read -r args want pat; do
	# shellcheck disable=SC2086
	run kvlock $args
	expect "kvlock $args" "$want" "$pat"
done <<'ROWS'
--help|0|
|64|usage: kvlock
--ttl 5s true|64|--ttl
--lock-timeout x true|64|--lock-timeout
ROWS

# --- held while the command runs, released after, status passed on
run kvlock --prefix "$PREFIX" -- sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' >'$T/during'"
python3 -c 'import json,sys; sys.exit(not json.load(open(sys.argv[1]))[0].get("Session"))' "$T/during" &&
	ok "the key is locked while the command runs" || fail "locked while running" "$(cat "$T/during")"
[ -z "$(lock_session)" ] && ok "the lock is released after the command" || fail "released after" "$(lock_session)"
sid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Session"])' "$T/during" 2>/dev/null)
[ -n "$sid" ] && [ "$(consul_curl -s "$CONSUL_HTTP_ADDR/v1/session/info/$sid")" = "[]" ] &&
	ok "the session is destroyed" || fail "session destroyed" "$sid"
run kvlock --prefix "$PREFIX" -- sh -c 'exit 3'
expect "the command's exit status comes back" 3 ""
run kvlock --prefix "$PREFIX" -- sh -c 'kill -TERM $$'
expect "a command killed by a signal: 128 + signal" 143 ""
run kvlock --prefix "$PREFIX" -- /nonexistent/command
expect "a command that cannot run: 127" 127 "nonexistent"

# --- a second holder waits for the first, and takes the lock as soon as it
# is released: kvlock releases before it destroys its session, which
# would start a lock-delay (15 s, 4.5 s on the stand-in here) longer than
# the waits below.
kvlock --prefix "$PREFIX" -- sleep 1 & first=$!
wait_for sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' | grep -q Session"
run kvlock --prefix "$PREFIX" --lock-timeout 3s -- true
wait "$first"
expect "a second holder waits, then runs, within less than the lock-delay" 0 "held by"
kvlock --prefix "$PREFIX" -- true
run kvlock --prefix "$PREFIX" --lock-timeout 1s -- true
expect "the next holder takes the lock at once: no lock-delay after a release" 0 ""
run kvlock --prefix "$PREFIX" -q -- true
expect "-q: nothing said" 0 ""

# --- a waiter can be stopped; a command name that is not UTF-8 is no crash
kvlock --prefix "$PREFIX" -- sleep 3 & first=$!
wait_for sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' | grep -q Session"
kvlock --prefix "$PREFIX" --lock-timeout 60s -- true 2>"$T/waiter.err" & waiter=$!
wait_for grep -q 'held by' "$T/waiter.err"
kill -INT "$waiter"; wait "$waiter"; st=$?
wait "$first"
[ "$st" = 130 ] && grep -q 'stopped by signal' "$T/waiter.err" && ok "SIGINT stops a waiting kvlock at once (130)" ||
	fail "SIGINT while waiting" "status $st" "$(cat "$T/waiter.err")"
ln -s /bin/true "$T/$(printf 'bad\xff')"
run kvlock --prefix "$PREFIX" -- "$T/$(printf 'bad\xff')"
expect "a command name that is not UTF-8" 0 ""

# --- --key names the lock's key
run kvlock --key "$PREFIX-other.lock" -- sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$PREFIX-other.lock' >'$T/other'"
grep -q Session "$T/other" && ok "--key: the lock is taken on that key" || fail "--key" "$(cat "$T/other")"

# --- a lock lost while the command runs: the command is stopped
kvlock --prefix "$PREFIX" --ttl 10s -- sh -c "echo \$\$ >'$T/victim'; exec sleep 60" 2>"$T/lost.err" & holder=$!
wait_for test -s "$T/victim"
sid=$(consul_curl -s "$CONSUL_HTTP_ADDR/v1/kv/$KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Session"])')
consul_curl -s -X PUT "$CONSUL_HTTP_ADDR/v1/session/destroy/$sid" >/dev/null
wait "$holder"; st=$?
kill -0 "$(cat "$T/victim")" 2>/dev/null; alive=$?
[ "$st" = 143 ] && [ "$alive" != 0 ] && grep -q 'was lost' "$T/lost.err" &&
	ok "a lost lock stops the command (143)" || fail "lost lock" "status $st, alive $alive" "$(cat "$T/lost.err")"
kill "$(cat "$T/victim")" 2>/dev/null

# --- the command's group: a writer it leaves in the background keeps the
# lock until it is done; one that stays is stopped after --grace
run kvlock --prefix "$PREFIX" -- sh -c "(sleep 1.5; curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' >'$T/gc.during') >/dev/null & exit 0"
[ "$status" = 0 ] && grep -q Session "$T/gc.during" 2>/dev/null && [ -z "$(lock_session)" ] &&
	ok "a background writer the command left holds the lock until it ends" ||
	fail "background writer" "status $status" "$(cat "$T/gc.during" 2>&1)" "$(cat "$T/err")"
start=$SECONDS
run kvlock --prefix "$PREFIX" --grace 1s -- sh -c "sleep 60 & echo \$! >'$T/gc1'; (trap '' TERM; exec sleep 60) & echo \$! >'$T/gc2'; exit 5"
kill -0 "$(cat "$T/gc1")" 2>/dev/null; a1=$?
kill -0 "$(cat "$T/gc2")" 2>/dev/null; a2=$?
[ "$status" = 5 ] && [ "$a1" != 0 ] && [ "$a2" != 0 ] && [ $((SECONDS - start)) -lt 20 ] &&
	grep -q 'SIGTERM' "$T/err" && grep -q 'SIGKILL' "$T/err" && [ -z "$(lock_session)" ] &&
	ok "stragglers: SIGTERM after --grace, SIGKILL after twice; then the lock goes" ||
	fail "stragglers" "status $status, alive $a1 $a2" "$(cat "$T/err")"
kill "$(cat "$T/gc1")" "$(cat "$T/gc2")" 2>/dev/null
kvlock --prefix "$PREFIX" -- sh -c "sleep 60 & echo \$! >'$T/gc3'; wait" & holder=$!
wait_for test -s "$T/gc3"
kill -TERM "$holder"; wait "$holder"; st=$?
kill -0 "$(cat "$T/gc3")" 2>/dev/null; alive=$?
[ "$st" = 143 ] && [ "$alive" != 0 ] && ok "SIGTERM to kvlock reaches the command's whole group" ||
	fail "SIGTERM to the group" "status $st, alive $alive"
kill "$(cat "$T/gc3")" 2>/dev/null
cat >"$T/catch" <<SH
#!/bin/sh
trap 'echo TERM >"$T/caught"; exit 0' TERM
echo \$\$ >"$T/catcher"
while :; do sleep 0.1; done
SH
chmod +x "$T/catch"
kvlock --prefix "$PREFIX-killed" -- "$T/catch" & holder=$!
wait_for test -s "$T/catcher"
kill -9 "$holder"; wait "$holder" 2>/dev/null
wait_for test -s "$T/caught" && ok "kvlock killed: its command gets SIGTERM" ||
	fail "kvlock killed: the command carries on"
kill "$(cat "$T/catcher")" 2>/dev/null

if [ "$STANDIN" != 1 ]; then
	skip "TTL expiry and renewal tests need the stand-in's --ttl-scale"
	done_testing
fi

# --- a holder that dies: the TTL frees the lock (after Consul's lock-delay)
kvlock --prefix "$PREFIX" --ttl 10s -- sh -c "echo \$\$ >'$T/orphan'; exec sleep 60" 2>"$T/dead.err" & dead=$!
wait_for test -s "$T/orphan"
kill -9 "$dead"; wait "$dead" 2>/dev/null
kill "$(cat "$T/orphan")" 2>/dev/null	# the command, left behind by its killed holder
run kvlock --prefix "$PREFIX" --lock-timeout 30s -- true
expect "a dead holder's lock is freed by its TTL" 0 "held by"

# --- a command outliving the TTL keeps the lock by renewing the session
kvlock --prefix "$PREFIX" --ttl 10s -- sleep 9 & long=$!
sleep 8
[ -n "$(lock_session)" ] && ok "held past the TTL (6 s here) by renewal" || fail "renewal" "lock lost"
wait "$long"
expect_status=$?
[ "$expect_status" = 0 ] && ok "the long command ends normally" || fail "long command" "status $expect_status"
done_testing
