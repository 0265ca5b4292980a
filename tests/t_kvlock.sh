#!/bin/bash
# kvlock: the lock is held while the command runs and released after it,
# the command's status comes back, a second holder waits, a dead holder's
# lock frees itself by TTL, and a long command keeps its lock by renewal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
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
if python3 -c 'import json,sys; sys.exit(not json.load(open(sys.argv[1]))[0].get("Session"))' "$T/during"; then
	ok "the key is locked while the command runs"
else
	fail "locked while running" "$(cat "$T/during")"
fi
if [ -z "$(lock_session)" ]; then
	ok "the lock is released after the command"
else
	fail "released after" "$(lock_session)"
fi
sid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Session"])' "$T/during" 2>/dev/null)
if [ -n "$sid" ] && [ "$(consul_curl -s "$CONSUL_HTTP_ADDR/v1/session/info/$sid")" = "[]" ]; then
	ok "the session is destroyed"
else
	fail "session destroyed" "$sid"
fi
# The session has no health check (not the agent's serfHealth): only its
# TTL or a destroy ends it (kvlock(1), CAVEATS).
cat >"$T/session-checks" <<'EOF'
#!/bin/sh
curl_token() { curl -sS ${CONSUL_HTTP_TOKEN:+-H "X-Consul-Token: $CONSUL_HTTP_TOKEN"} "$@"; }
sid=$(curl_token "$CONSUL_HTTP_ADDR/v1/kv/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Session"])')
curl_token "$CONSUL_HTTP_ADDR/v1/session/info/$sid"
EOF
run kvlock --prefix "$PREFIX" -- sh "$T/session-checks" "$KEY"
if python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))[0]
sys.exit(bool(s.get("NodeChecks") or s.get("Checks") or s.get("ServiceChecks")))' "$T/out" 2>/dev/null; then
	ok "the session has no health check, only its TTL"
else
	fail "the session has no health check" "$(cat "$T/out" "$T/err")"
fi
run kvlock --prefix "$PREFIX" -- sh -c 'exit 3'
expect "the command's exit status comes back" 3 ""
run kvlock --prefix "$PREFIX" -- sh -c 'kill -TERM $$'
expect "a command killed by a signal: 128 + signal" 143 ""
run kvlock --prefix "$PREFIX" -- /nonexistent/command
expect "a command that cannot run: 127" 127 "nonexistent"

# $T/gate FILE: a command that holds the lock until the test creates FILE
# (no sleep that a busy machine could outlast).
cat >"$T/gate" <<'EOF'
#!/bin/sh
while [ ! -e "$1" ]; do sleep 0.05; done
EOF
chmod +x "$T/gate"
# waiting NAME ARGS...: a holder that keeps the lock until $T/NAME.go
# exists ($first), and `kvlock ARGS...` left waiting for it ($waiter, its
# stderr in $T/NAME.err).
waiting() {
	wname=$1; shift
	kvlock --prefix "$PREFIX" -- "$T/gate" "$T/$wname.go" & first=$!
	wait_for sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' | grep -q Session"
	kvlock "$@" 2>"$T/$wname.err" & waiter=$!
	wait_for grep -q 'held by' "$T/$wname.err"
}

# --- a second holder waits for the first, and takes the lock once it is
# released; the next holder takes it at once (--lock-timeout 0: one try):
# kvlock releases before it destroys its session, which would start a
# lock-delay (15 s, 4.5 s on the stand-in here).
waiting first --prefix "$PREFIX" --lock-timeout 120s -- true
touch "$T/first.go"
wait "$first"; wait "$waiter"; st=$?
if [ "$st" = 0 ] && grep -q 'held by' "$T/first.err"; then
	ok "a second holder waits, then runs"
else
	fail "a second holder waits" "status $st" "$(cat "$T/first.err")"
fi
kvlock --prefix "$PREFIX" -- true
run kvlock --prefix "$PREFIX" --lock-timeout 0 -- true
expect "the next holder takes the lock at once: no lock-delay after a release" 0 ""
run kvlock --prefix "$PREFIX" -q -- true
expect "-q: nothing said" 0 ""

# --- a waiter stopped by a signal exits at once, 128 + its number; one
# whose session is lost (destroyed here, as by an operator, or
# invalidated) says so and exits 75: its next acquires got Consul's 500
# "invalid session", tried again until 69.  Each waiter's command, a name
# of its own, tells its session from any other in the session list.
# Columns: the row, what is done to the waiter, its status, its message.
while IFS='|' read -r row how want pat; do
	ln -s /bin/true "$T/$row-waiter"
	waiting "$row" --prefix "$PREFIX" --lock-timeout 120s -- "$T/$row-waiter"
	case $how in
	SIGINT) kill -INT "$waiter" ;;
	destroyed)
		consul_curl -s "$CONSUL_HTTP_ADDR/v1/session/list" | python3 -c '
import json, sys
print("\n".join(s["ID"] for s in json.load(sys.stdin) if s["Name"] == "kvlock " + sys.argv[1]))' "$T/$row-waiter" |
		while read -r sid; do
			consul_curl -s -X PUT "$CONSUL_HTTP_ADDR/v1/session/destroy/$sid" >/dev/null
		done ;;
	esac
	wait_exit "$waiter"
	touch "$T/$row.go"
	wait "$first"
	if [ "$status" = "$want" ] && grep -q "$pat" "$T/$row.err"; then
		ok "waiting for the lock ($how): $want, \"$pat\""
	else
		fail "waiting, $how" "status $status, want $want" "$(cat "$T/$row.err")"
	fi
done <<'ROWS'
stop|SIGINT|130|stopped by signal
vain|destroyed|75|session was lost while waiting
ROWS
# --- a command name that is not UTF-8 is no crash
ln -s /bin/true "$T/$(printf 'bad\xff')"
run kvlock --prefix "$PREFIX" -- "$T/$(printf 'bad\xff')"
expect "a command name that is not UTF-8" 0 ""

# --- --key names the lock's key
run kvlock --key "$PREFIX-other.lock" -- sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$PREFIX-other.lock' >'$T/other'"
if grep -q Session "$T/other"; then
	ok "--key: the lock is taken on that key"
else
	fail "--key" "$(cat "$T/other")"
fi

# --- a lock lost while the command runs: the command is stopped
kvlock --prefix "$PREFIX" --ttl 10s -- sh -c "echo \$\$ >'$T/victim'; exec sleep 60" 2>"$T/lost.err" & holder=$!
wait_for test -s "$T/victim"
sid=$(consul_curl -s "$CONSUL_HTTP_ADDR/v1/kv/$KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Session"])')
consul_curl -s -X PUT "$CONSUL_HTTP_ADDR/v1/session/destroy/$sid" >/dev/null
wait "$holder"; st=$?
kill -0 "$(cat "$T/victim")" 2>/dev/null; alive=$?
if [ "$st" = 75 ] && [ "$alive" != 0 ] && grep -q 'was lost' "$T/lost.err"; then
	ok "a lost lock stops the command, and kvlock exits 75, not with the command's status"
else
	fail "lost lock" "status $st, alive $alive" "$(cat "$T/lost.err")"
fi
kill "$(cat "$T/victim")" 2>/dev/null
# ... and one that ignores SIGTERM gets SIGKILL soon after (before, it ran
# on, holding no lock, until it chose to end, and kvlock exited with its
# status).
kvlock --prefix "$PREFIX" --ttl 10s -- sh -c "trap '' TERM; echo \$\$ >'$T/stubborn'; while :; do sleep 0.1; done" \
	2>"$T/stubborn.err" & holder=$!
wait_for test -s "$T/stubborn"
consul_curl -s -X PUT "$CONSUL_HTTP_ADDR/v1/session/destroy/$(lock_session)" >/dev/null
wait_exit "$holder"
kill -0 "$(cat "$T/stubborn")" 2>/dev/null; alive=$?
if [ "$status" = 75 ] && [ "$alive" != 0 ] && grep -q 'was lost' "$T/stubborn.err" &&
    grep -q 'SIGKILL' "$T/stubborn.err"; then
	ok "a lost lock: a command that ignores SIGTERM gets SIGKILL, 75"
else
	fail "a lost lock, SIGTERM ignored" "status $status, alive $alive" "$(cat "$T/stubborn.err")"
fi
kill -KILL -- -"$(cat "$T/stubborn")" 2>/dev/null

# --- the command's group: a writer it leaves in the background keeps the
# lock until it is done; one that stays is stopped after --grace
run kvlock --prefix "$PREFIX" -- sh -c "(sleep 1.5; curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' >'$T/gc.during') >/dev/null & exit 0"
if [ "$status" = 0 ] && grep -q Session "$T/gc.during" 2>/dev/null && [ -z "$(lock_session)" ]; then
	ok "a background writer the command left holds the lock until it ends"
else
	fail "background writer" "status $status" "$(cat "$T/gc.during" 2>&1)" "$(cat "$T/err")"
fi
start=$SECONDS
run kvlock --prefix "$PREFIX" --grace 1s -- sh -c "sleep 60 & echo \$! >'$T/gc1'; (trap '' TERM; exec sleep 60) & echo \$! >'$T/gc2'; exit 5"
kill -0 "$(cat "$T/gc1")" 2>/dev/null; a1=$?
kill -0 "$(cat "$T/gc2")" 2>/dev/null; a2=$?
if [ "$status" = 5 ] && [ "$a1" != 0 ] && [ "$a2" != 0 ] && [ $((SECONDS - start)) -lt 20 ] &&
    grep -q 'SIGTERM' "$T/err" && grep -q 'SIGKILL' "$T/err" && [ -z "$(lock_session)" ]; then
	ok "stragglers: SIGTERM after --grace, SIGKILL after twice; then the lock goes"
else
	fail "stragglers" "status $status, alive $a1 $a2" "$(cat "$T/err")"
fi
kill "$(cat "$T/gc1")" "$(cat "$T/gc2")" 2>/dev/null
kvlock --prefix "$PREFIX" -- sh -c "sleep 60 & echo \$! >'$T/gc3'; wait" & holder=$!
wait_for test -s "$T/gc3"
kill -TERM "$holder"; wait "$holder"; st=$?
kill -0 "$(cat "$T/gc3")" 2>/dev/null; alive=$?
if [ "$st" = 143 ] && [ "$alive" != 0 ]; then
	ok "SIGTERM to kvlock reaches the command's whole group"
else
	fail "SIGTERM to the group" "status $st, alive $alive"
fi
kill "$(cat "$T/gc3")" 2>/dev/null
# --- the command gets SIGINT and SIGQUIT at their defaults: a shell that
# starts kvlock in the background (as here, or recsync with --metrics-file)
# sets both to ignored for it, and a command left ignoring them would never
# end on Ctrl-C.  Columns: the signal, sent to kvlock (which passes it on)
# or to the command's group (as a terminal does), and the status.
ulimit -c 0	# SIGQUIT's core dump
while read -r sig to want; do
	rm -f "$T/dfl.pid"
	kvlock --prefix "$PREFIX" -- sh -c "echo \$\$ >'$T/dfl.pid'; exec sleep 600" 2>"$T/dfl.err" & holder=$!
	if ! wait_for test -s "$T/dfl.pid"; then
		kill "$holder"; fail "SIG$sig to $to: the command started" "$(cat "$T/dfl.err")"; continue
	fi
	case $to in kvlock) kill -"$sig" "$holder" ;; group) kill -"$sig" -- -"$(cat "$T/dfl.pid")" ;; esac
	wait_exit "$holder"
	kill -KILL "$(cat "$T/dfl.pid")" 2>/dev/null
	if [ "$status" = "$want" ] && [ -z "$(lock_session)" ]; then
		ok "SIG$sig to $to, kvlock started in the background: the command ends, $want, the lock released"
	else
		fail "SIG$sig to $to in the background" "status $status, want $want; lock: $(lock_session)" "$(cat "$T/dfl.err")"
	fi
done <<'ROWS'
INT kvlock 130
INT group 130
QUIT group 131
ROWS
cat >"$T/catch" <<SH
#!/bin/sh
trap 'echo TERM >"$T/caught"; exit 0' TERM
echo \$\$ >"$T/catcher"
while :; do sleep 0.1; done
SH
chmod +x "$T/catch"
kvlock --prefix "$PREFIX-killed" -- "$T/catch" 2>"$T/catch.err" & holder=$!
wait_for test -s "$T/catcher"
kill -9 "$holder"; wait "$holder" 2>/dev/null
if wait_for test -s "$T/caught"; then
	ok "kvlock killed: its command gets SIGTERM"
else
	fail "kvlock killed: the command carries on"
fi
kill "$(cat "$T/catcher")" 2>/dev/null
# ... and so does the rest of its group, a pipeline's other stages or a
# job it started (before, only the command itself did, and they went on).
kvlock --prefix "$PREFIX-killed2" -- sh -c "sleep 600 & echo \$! >'$T/killed.bg'; wait" 2>"$T/killed.err" & holder=$!
wait_for test -s "$T/killed.bg"
kill -9 "$holder"; wait "$holder" 2>/dev/null
if wait_for exited "$(cat "$T/killed.bg")"; then
	ok "kvlock killed: the command's whole group gets SIGTERM"
else
	fail "kvlock killed: the rest of the command's group carries on" "$(cat "$T/killed.err")"
fi
kill "$(cat "$T/killed.bg")" 2>/dev/null

# --- a stopped command still ends when kvlock is told to stop: each signal
# passed on is followed by SIGCONT.  timeout -s KILL bounds the run.
new_prefix; KEY=$PREFIX.lock
timeout -s KILL 60 kvlock --prefix "$PREFIX" -- sh -c "echo \$\$ \$PPID >'$T/stopped'; kill -STOP \$\$; exit 7" & holder=$!
wait_for test -s "$T/stopped"
read -r cpid kpid <"$T/stopped"
wait_for grep -q '^State:.*stopped' "/proc/$cpid/status"
kill -TERM "$kpid"; wait "$holder"; st=$?
if [ "$st" = 143 ] && [ -z "$(lock_session)" ]; then
	ok "SIGTERM to kvlock ends a stopped command (SIGCONT follows) and the lock goes"
else
	fail "a stopped command" "status $st (137: still waiting after 60 s)" "lock: $(lock_session)"
fi
kill -KILL "$kpid" 2>/dev/null; kill -KILL -- "-$cpid" 2>/dev/null

# The report: a run on a terminal, not in its foreground (timeout(1) makes a
# group of its own), whose command reads the terminal and is stopped by
# SIGTTIN; timeout's SIGTERM and SIGCONT reach only kvlock's group.
# script(1) gives the run a terminal; timeout -s KILL bounds it.
new_prefix; KEY=$PREFIX.lock
start=$SECONDS
timeout -s KILL 60 script -qec "timeout 5 kvlock --prefix '$PREFIX' -- sh -c 'echo \$\$ \$PPID >\"$T/ttyrun\"; cat'; echo status \$?" \
	/dev/null </dev/null >"$T/tty" 2>&1
st=$?
if [ "$st" = 0 ] && test -s "$T/ttyrun" && grep -q 'status 124' "$T/tty" && [ -z "$(lock_session)" ]; then
	ok "timeout 5 kvlock ... -- cat on a terminal ends after $((SECONDS - start)) s and releases the lock"
else
	fail "a stopped terminal reader" "script's status $st (137: killed after 60 s)" "$(cat -v "$T/tty")" "lock: $(lock_session)"
fi
if [ -s "$T/ttyrun" ]; then
	read -r cpid kpid <"$T/ttyrun"
	kill -KILL "$kpid" 2>/dev/null; kill -KILL -- "-$cpid" 2>/dev/null
fi

# --- session creation is retried when nothing was sent (connection
# refused), --retries times; a request that went out is not repeated.
port=$(free_port)
run kvlock -v --consul "127.0.0.1:$port" --retries 0 -- true
expect "refused, --retries 0: one try, 69" 69 "creating a session: cannot reach Consul"
grep -q 'trying again' "$T/err" && fail "--retries 0 tries again" "$(cat "$T/err")"
run kvlock -v --consul "127.0.0.1:$port" --retries 2 -- true
if [ "$status" = 69 ] && [ "$(grep -c 'session/create: .*trying again' "$T/err")" = 2 ]; then
	ok "refused, --retries 2: three tries, then 69"
else
	fail "refused, --retries 2" "status $status" "$(cat "$T/err")"
fi
kvlock -v --consul "127.0.0.1:$port" --retries 100 --prefix "$PREFIX" -- touch "$T/late.ran" 2>"$T/late.err" & late=$!
if wait_for grep -q 'trying again' "$T/late.err"; then
	start_standin late --port "$port"
	wait "$late"; st=$?
	if [ "$st" = 0 ] && [ -e "$T/late.ran" ]; then
		ok "a session is created once Consul listens"
	else
		fail "Consul listening late" "status $st" "$(cat "$T/late.err")"
	fi
else
	fail "Consul listening late: no retry" "$(cat "$T/late.err")"
	kill "$late" 2>/dev/null
fi
python3 - "$T/mute.port" "$T/mute.count" <<'PY' & PIDS="$PIDS $!"
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
n = 0
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:  # read a request's head, then hang up without an answer
    c, _ = s.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    n += 1
    with open(sys.argv[2], "w") as f:
        f.write(str(n))
    c.close()
PY
wait_for test -s "$T/mute.port"
run kvlock --consul "127.0.0.1:$(cat "$T/mute.port")" --retries 3 -- true
if [ "$status" = 69 ] && [ "$(cat "$T/mute.count" 2>/dev/null)" = 1 ]; then
	ok "a session request sent and unanswered is not sent again (69)"
else
	fail "sent once" "status $status, requests $(cat "$T/mute.count" 2>/dev/null)" "$(cat "$T/err")"
fi

# --- kvlock never leaves its session or the lock behind when it gives up:
# it reads the key, releases it if it holds it, destroys the session.  On
# a stand-in of this script's own (also when RECSYNC_TEST_CONSUL names an
# agent): only it can apply an acquire and lose the answer.
start_standin faults --ttl-scale 0.3
MAIN_CONSUL=$CONSUL_HTTP_ADDR
CONSUL_HTTP_ADDR=$STANDIN_URL
sessions() {
	consul_curl -s "$CONSUL_HTTP_ADDR/v1/session/list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
lock_index() {
	consul_curl -s "$CONSUL_HTTP_ADDR/v1/kv/$KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["LockIndex"])' 2>/dev/null
}
MANY=$(seq -s, 1 40)
# gave_up NAME RAN: the last run exited 69, left no holder on the key and
# no session, and its command (which would create RAN) never ran; the
# next run takes the lock at once.
gave_up() {
	left=$(sessions) holder=$(lock_session)
	fault '{}'
	kvlock --prefix "$PREFIX" --lock-timeout 0 -- true 2>"$T/next.err"; next=$?
	if [ "$status" = 69 ] && [ -z "$holder" ] && [ "$left" = 0 ] && [ ! -e "$2" ] && [ "$next" = 0 ]; then
		ok "$1: 69, the key names no session, none is left, the next run takes the lock at once"
	else
		fail "$1" "status $status, key held by '$holder', $left session(s) left, next run $next" \
			"$(cat "$T/err")" "$(cat "$T/next.err")"
	fi
}
new_prefix; KEY=$PREFIX.lock
fault "{\"only_key\":\"$KEY\",\"only_param\":\"acquire\",\"drop_after_commit\":[$MANY]}"
run kvlock --prefix "$PREFIX" --retries 2 -- touch "$T/ran.dropped"
if [ "$(lock_index)" -ge 1 ] 2>/dev/null; then
	ok "the fault applied the acquire (LockIndex $(lock_index))"
else
	fail "the fault applied the acquire" "$(consul_curl -s "$CONSUL_HTTP_ADDR/v1/kv/$KEY")"
fi
gave_up "every acquire applied, its answer lost" "$T/ran.dropped"
new_prefix; KEY=$PREFIX.lock
fault "{\"only_key\":\"$KEY\",\"only_param\":\"acquire\",\"fail_writes\":[$MANY],\"status\":500}"
run kvlock --prefix "$PREFIX" --retries 2 -- touch "$T/ran.500"
gave_up "every acquire answered 500" "$T/ran.500"
new_prefix; KEY=$PREFIX.lock
fault "{\"only_key\":\"$KEY\",\"only_param\":\"acquire\",\"drop_after_commit\":[1],\"fail_writes\":[$(seq -s, 2 40)],\"status\":500}"
run kvlock --prefix "$PREFIX" --retries 2 -- touch "$T/ran.mixed"
gave_up "an acquire applied and lost, then 500s" "$T/ran.mixed"
new_prefix; KEY=$PREFIX.lock
mkdir "$T/rules.dropped"
fault "{\"only_key\":\"$KEY\",\"only_param\":\"acquire\",\"drop_after_commit\":[$MANY]}"
records 2 >"$T/two"
run -i "$T/two" env REDIS_URL="unix://$T/no-redis.sock" recsync --prefix "$PREFIX" --rules-dir "$T/rules.dropped"
gave_up "recsync, every acquire applied and lost" "$T/no-such-file"
if [ -z "$(ls -A "$T/rules.dropped")" ] && [ -z "$(keys)" ]; then
	ok "recsync that could not lock wrote nothing"
else
	fail "recsync that could not lock wrote" "$(ls -A "$T/rules.dropped")" "$(keys)"
fi
CONSUL_HTTP_ADDR=$MAIN_CONSUL
new_prefix; KEY=$PREFIX.lock

# --- a renewal that fails counts, whatever the failure: once none has
# succeeded for the TTL (10 s), the session may be gone and another run may
# hold the lock, so the command is stopped and kvlock exits 75 (before, it
# ran on and exited with the command's status).  One that fails and then
# succeeds stops nothing.  Each row on a stand-in of its own, all at once,
# the fault set once the command runs.  Columns: the row, the fault (a
# fault set, "stall": every request stalled, "gone": the stand-in killed),
# the status.
FAILING=$(seq -s, 1 60)
ROWS=$(cat <<ROWS
500|{"fail_renews":[$FAILING],"status":500}|75
403|{"fail_renews":[$FAILING],"status":403,"body":"Permission denied"}|75
429|{"fail_renews":[$FAILING],"status":429,"body":"rate limit exceeded"}|75
stall|stall|75
gone|gone|75
once|{"fail_renews":[1,2],"status":500}|0
ROWS
)
while IFS='|' read -r row how want; do
	start_standin "renew-$row"; spid=$!
	echo "$STANDIN_URL $spid" >"$T/renew-$row.standin"
	kvlock --consul "$STANDIN_URL" --prefix "$PREFIX" --ttl 10s --timeout 2s --retries 0 -- \
		sh -c "echo \$\$ >'$T/renew-$row.pid'; exec '$T/gate' '$T/renew-$row.go'" \
		2>"$T/renew-$row.err" & echo $! >"$T/renew-$row.kvlock"
done <<<"$ROWS"
while IFS='|' read -r row how want; do
	read -r url spid <"$T/renew-$row.standin"
	wait_for test -s "$T/renew-$row.pid"
	case $how in
	stall) CONSUL_HTTP_ADDR=$url fault '{"stall_ms":60000}' ;;
	gone) kill "$spid" ;;
	*) CONSUL_HTTP_ADDR=$url fault "$how" ;;
	esac
done <<<"$ROWS"
sleep 11	# longer than the TTL: the row "once" must outlive it
touch "$T/renew-once.go"
while IFS='|' read -r row how want; do
	wait_exit "$(cat "$T/renew-$row.kvlock")"
	cpid=$(cat "$T/renew-$row.pid" 2>/dev/null)
	alive=no; [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null && alive=yes
	touch "$T/renew-$row.go"
	if [ "$want" = 0 ]; then
		if [ "$status" = 0 ] && grep -q 'renewed the session after 2 failed tries' "$T/renew-$row.err"; then
			ok "renewals that fail, then succeed within the TTL: the command runs on (0)"
		else
			fail "renewals failing, then not" "status $status" "$(cat "$T/renew-$row.err")"
		fi
	elif [ "$status" = "$want" ] && [ "$alive" = no ] &&
	    grep -q 'no renewal of the session has succeeded for 10s' "$T/renew-$row.err" &&
	    grep -q 'was lost; stopping the command' "$T/renew-$row.err"; then
		ok "renewals that fail ($row) for the TTL: the lock counts as lost, the command is stopped, $want"
	else
		fail "renewals failing ($row)" "status $status, want $want; command alive: $alive" "$(cat "$T/renew-$row.err")"
	fi
done <<<"$ROWS"

# --- a lost lock is noticed within Consul's lock-delay (15 s, on a stand-in
# of real time here), however long the TTL: the session is checked at least
# every 5 s.  A holder with --ttl 1m whose session an operator destroys, and
# a second run that takes the lock once the lock-delay is over: its command
# finds the first's gone (before, the first checked every 20 s and still
# ran when the second took the lock).
start_standin delay
kvlock --consul "$STANDIN_URL" --prefix "$PREFIX" --ttl 1m -- sh -c "echo \$\$ >'$T/delay.pid'; exec '$T/gate' '$T/delay.go'" \
	2>"$T/delay.err" & holder=$!
wait_for test -s "$T/delay.pid"
sid=$(CONSUL_HTTP_ADDR=$STANDIN_URL lock_session)
consul_curl -s -X PUT "$STANDIN_URL/v1/session/destroy/$sid" >/dev/null
kvlock --consul "$STANDIN_URL" --prefix "$PREFIX" --lock-timeout 120s -- \
	sh -c "if kill -0 $(cat "$T/delay.pid") 2>/dev/null; then echo running; else echo gone; fi >'$T/delay.seen'" 2>"$T/delay2.err"
second=$?
touch "$T/delay.go"
wait_exit "$holder"
if [ "$second" = 0 ] && [ "$(cat "$T/delay.seen")" = gone ] && [ "$status" = 75 ]; then
	ok "--ttl 1m: a destroyed session is noticed, the command stopped, before the lock-delay lets another run in"
else
	fail "a lost lock noticed within the lock-delay" "second run $second, saw the first's command $(cat "$T/delay.seen" 2>&1); first $status" \
		"$(cat "$T/delay.err")" "$(cat "$T/delay2.err")"
fi

if [ "$STANDIN" != 1 ]; then
	skip "TTL expiry and renewal tests need the stand-in's --ttl-scale"
	done_testing
fi

# --- a holder that dies: the TTL frees the lock (after Consul's lock-delay).
# Its session, renewed every 3.3 s, is invalidated 6 s after its last
# renewal, so the key names it for at least 2.7 s after the kill: a look
# that took longer (a very busy machine) proves nothing and is made again.
ms_now() { echo $(($(date +%s%N) / 1000000)); }
for attempt in 1 2 3; do
	rm -f "$T/orphan"
	kvlock --prefix "$PREFIX" --ttl 10s -- sh -c "echo \$\$ >'$T/orphan'; exec sleep 60" 2>"$T/dead.err" & dead=$!
	wait_for test -s "$T/orphan"
	t_kill=$(ms_now)
	kill -9 "$dead"; wait "$dead" 2>/dev/null
	held=$(lock_session)
	kill "$(cat "$T/orphan")" 2>/dev/null	# the command, left behind by its killed holder
	[ $(($(ms_now) - t_kill)) -lt 2500 ] && break
done
if [ -n "$held" ]; then
	ok "a killed holder's lock stays held"
else
	fail "a killed holder's lock stays held" "attempts: $attempt"
fi
run kvlock --prefix "$PREFIX" --lock-timeout 120s -- true
if [ "$status" = 0 ]; then
	ok "a dead holder's lock is freed by its TTL"
else
	fail "a dead holder's lock is freed by its TTL" "status $status" "$(cat "$T/err")"
fi

# --- a waiter keeps its own session alive: it waits here longer than the
# 6 s in which an unrenewed session is invalidated, then takes the lock.
waiting long-wait --prefix "$PREFIX" --ttl 10s --lock-timeout 120s -- true
sleep 9	# at least this long: a busier machine only makes the wait longer
touch "$T/long-wait.go"
wait "$first"; wait "$waiter"; st=$?
if [ "$st" = 0 ]; then
	ok "a waiter renews its session while it waits (9 s, more than the 6 s it would live)"
else
	fail "a long waiter" "status $st" "$(cat "$T/long-wait.err")"
fi

# --- a command outliving the TTL keeps the lock by renewing the session:
# the command itself looks at the key once the session, unrenewed, would
# have been invalidated (6 s here), so no race with its end.
run kvlock --prefix "$PREFIX" --ttl 10s -- sh -c "sleep 8; curl -s '$CONSUL_HTTP_ADDR/v1/kv/$KEY' >'$T/long'"
if [ "$status" = 0 ] && grep -q Session "$T/long" && [ -z "$(lock_session)" ]; then
	ok "held past the TTL (6 s here) by renewal, released after"
else
	fail "renewal" "status $status" "$(cat "$T/long")" "$(cat "$T/err")"
fi
done_testing
