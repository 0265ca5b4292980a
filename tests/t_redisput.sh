#!/bin/bash
# redisput against real redis-servers: values, set membership, chunking,
# authentication, db selection, sockets and TCP, failures mid-run.
# shellcheck disable=SC2317 # helpers are called through check and wait_for
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SET=hke:heavy_query_set

# no_secret NAME REGEX: passes when the last run's stderr does not match.
no_secret() {
	if grep -Eq -- "$2" "$T/err"; then fail "$1" "$(cat "$T/err")"; else ok "$1"; fi
}

# whole_chunks NAME N CHUNK MAX: N is a positive multiple of CHUNK below MAX.
whole_chunks() {
	if [ "$2" -gt 0 ] && [ $(($2 % $3)) = 0 ] && [ "$2" -lt "$4" ]; then
		ok "$1 ($2 records)"
	else
		fail "$1" "$2 records printed, chunks of $3"
	fi
}

# crecords N [FIRST]: lib.sh's records, compact as redisput writes them.
crecords() {
	records "$@" | python3 -c 'import json,sys
for l in sys.stdin: print(json.dumps(json.loads(l), separators=(",", ":")))'
}

# cmdstat CMD: how many times the test server ran CMD since CONFIG RESETSTAT.
cmdstat() {
	n=$(rcli INFO commandstats | tr -d '\r' |
		sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p")
	echo "${n:-0}"
}

# in_redis FILE: every record of FILE (simple names and one-line exprs) is
# in Redis: its key holds its expr, the set holds its name.  FILE must not
# be empty: an empty file would prove nothing.
in_redis() {
	[ -s "$1" ] || { echo "no records in $1"; return 1; }
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l); print(r["record"]); print(r["expr"], file=sys.stderr)' \
		"$1" >"$T/names" 2>"$T/exprs" || return 1
	xargs redis-cli -s "$REDIS_SOCK" MGET <"$T/names" >"$T/got" || return 1
	cmp "$T/exprs" "$T/got" || return 1
	xargs redis-cli -s "$REDIS_SOCK" SMISMEMBER "$SET" <"$T/names" |
		grep -vx 1 | grep -q . && { echo "a name is not in $SET"; return 1; }
	return 0
}

# none_in_redis FILE: no record of FILE has a key or a set member.
none_in_redis() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["record"])' "$1" >"$T/names"
	[ "$(xargs redis-cli -s "$REDIS_SOCK" EXISTS <"$T/names")" = 0 ] &&
	! xargs redis-cli -s "$REDIS_SOCK" SMISMEMBER "$SET" <"$T/names" | grep -qx 1
}

# has_lines FILE N: FILE has N lines (for wait_for).
has_lines() { [ "$(wc -l <"$1")" -eq "$2" ]; }

# restart_redis: starts the last server again on its own config and data.
# shellcheck disable=SC2153 # REDIS_DIR is set by lib.sh's start_redis
restart_redis() {
	redis-server "$REDIS_DIR/redis.conf" >>"$REDIS_DIR/log" 2>&1 &
	REDIS_PID=$!
	PIDS="$PIDS $REDIS_PID"
	wait_for sh -c "redis-cli -s '$REDIS_SOCK' PING | grep -q PONG"
}

# --- the main server, on a unix socket --------------------------------------
start_redis
MAIN_URL=$REDIS_URL

run redisput --help
expect "--help: usage on stdout" 0 ""
has "--help prints the usage line" '^usage: redisput ' "$T/out"
run redisput --version
expect "--version" 0 ""
has "--version prints the version" '^redisput \(recsync\) ' "$T/out"

# --- values byte for byte ---------------------------------------------------
python3 - "$T" <<'PY'
import json, re, sys
t = sys.argv[1]
exprs = {
    "t:quotes": 'sum(rate(x{a="b",c=\'d\'}[5m]))',
    "t:backslash": 'x{path=~"C:\\\\dir\\\\.*"} \\ \\n',
    "t:newlines": 'sum(\n  rate(x[5m])\r\n)\n',
    "t:chinese": 'sum(请求{服务="支付"}) 🚀',
    "t:controls": 'a\x01b\x1b[31mc\x7f\td',
    "t:big": "sum(" + "+".join("m%d" % i for i in range(40000)) + ")",
}
assert len(exprs["t:big"]) > 200_000
with open(t + "/vals.jsonl", "w", encoding="utf-8") as f:
    for name, e in exprs.items():
        j = json.dumps({"record": name, "expr": e}, ensure_ascii=False,
                       separators=(",", ":"))
        # jansson writes \u001B where Python writes \u001b.
        f.write(re.sub(r"\\u00([0-9a-f]{2})", lambda m: m.group(0).upper()
                       .replace("\\U", "\\u"), j) + "\n")
        with open(t + "/want." + name, "wb") as w:
            w.write(e.encode() + b"\n")
PY
run -i "$T/vals.jsonl" redisput
expect "special values: written and passed through" 0 "" "$T/vals.jsonl"
for name in t:quotes t:backslash t:newlines t:chinese t:controls t:big; do
	rcli GET "$name" >"$T/got"
	if cmp -s "$T/want.$name" "$T/got"; then ok "GET $name is byte-identical"
	else fail "GET $name is byte-identical" "$(cmp "$T/want.$name" "$T/got")"; fi
	is "$name is in the set" "$(rcli SISMEMBER "$SET" "$name")" 1
done
is "SCARD counts the 6 records" "$(rcli SCARD "$SET")" 6

# Extra fields and the index pass through unchanged.
printf '%s\n' '{"record":"t:extra","expr":"up","index":7,"labels":{"a":"b"}}' >"$T/extra.jsonl"
run -i "$T/extra.jsonl" redisput
expect "extra fields pass through unchanged" 0 "" "$T/extra.jsonl"

# -v reports chunks, keys set, members newly added and the set's size.
crecords 5 >"$T/five"
run -i "$T/five" redisput -v
expect "-v reports the counts" 0 "chunks committed: 1; keys set: 5; members added: 5" "$T/five"
has "-v reports SCARD" "set $SET has 12 members" "$T/err"
run -i "$T/five" redisput -v
expect "-v: a rerun writes nothing (compare mode)" 0 "keys set: 0; members added: 0"
run -i "$T/five" redisput -v --rewrite-all
expect "-v --rewrite-all: members added counts new members only" 0 "keys set: 5; members added: 0"
rcli CONFIG RESETSTAT >/dev/null
run -i "$T/five" redisput -v
is "the set is never read back (no SMEMBERS)" "$(cmdstat smembers)" 0

# Files and "-" are read in turn.
crecords 2 100 >"$T/f1"; crecords 2 200 >"$T/f2"
cat "$T/f1" "$T/five" "$T/f2" >"$T/want"
run -i "$T/five" redisput "$T/f1" - "$T/f2"
expect "files and - read in order" 0 "" "$T/want"

# --- chunk boundaries: one MULTI/EXEC per chunk, no per-record command ------
for n in 0 1 999 1000 1001 2500; do
	rcli FLUSHALL >/dev/null
	rcli CONFIG RESETSTAT >/dev/null
	crecords "$n" >"$T/in"
	run -i "$T/in" redisput --chunk 1000
	expect "$n records, --chunk 1000: exit 0, all passed through" 0 "" "$T/in"
	want=$(( (n + 999) / 1000 ))
	got="$(cmdstat multi) $(cmdstat exec) $(cmdstat mset) $(cmdstat sadd) $(cmdstat set)"
	is "$n records: $want MULTI, EXEC, MSET, SADD each and no SET" \
		"$got" "$want $want $want $want 0"
	is "$n records: SCARD $n" "$(rcli SCARD "$SET")" "$n"
	if [ "$n" -gt 0 ]; then
		check "$n records: every key and member is in Redis" in_redis "$T/in"
	fi
done
rcli FLUSHALL >/dev/null
rcli CONFIG RESETSTAT >/dev/null
crecords 10 >"$T/in"
run -i "$T/in" redisput -c 3
expect "--chunk 3 with 10 records" 0 "" "$T/in"
is "--chunk 3: 4 transactions" "$(cmdstat multi)" 4

# --- compare mode: only what Redis lacks is written, and it heals ---------------
rcli FLUSHALL >/dev/null
crecords 2500 >"$T/in"
redisput --chunk 1000 <"$T/in" >/dev/null
rcli CONFIG RESETSTAT >/dev/null
run -i "$T/in" redisput --chunk 1000
expect "compare: a rerun of what Redis holds" 0 "" "$T/in"
is "compare: the rerun reads (MGET, SMISMEMBER a chunk) and writes nothing" \
	"$(cmdstat mget) $(cmdstat smismember) $(cmdstat multi) $(cmdstat mset) $(cmdstat sadd)" "3 3 0 0 0"
# Damage: keys lost, members lost, a value changed, a key of another type.
mapfile -t nm < <(python3 -c 'import json,sys
lines = open(sys.argv[1]).readlines()
for i in (0, 999, 1000, 2499, 1500, 1700, 42, 43): print(json.loads(lines[i])["record"])' "$T/in")
rcli DEL "${nm[0]}" "${nm[1]}" >/dev/null
rcli SREM "$SET" "${nm[2]}" "${nm[3]}" >/dev/null
rcli SET "${nm[4]}" 'sum(changed)' >/dev/null
rcli DEL "${nm[5]}" >/dev/null; rcli SADD "${nm[5]}" x >/dev/null
rcli DEL "${nm[6]}" >/dev/null; rcli SREM "$SET" "${nm[6]}" >/dev/null
rcli APPEND "${nm[7]}" ' ' >/dev/null
rcli CONFIG RESETSTAT >/dev/null
run -i "$T/in" redisput --chunk 1000 -v
expect "compare: a damaged Redis, one run" 0 "keys set: 6; members added: 3" "$T/in"
check "compare: every key and member is back after one run" in_redis "$T/in"
is "compare: SCARD after healing" "$(rcli SCARD "$SET")" 2500
is "compare: only the damaged chunks are written (MULTI, MSET, SADD)" \
	"$(cmdstat multi) $(cmdstat mset) $(cmdstat sadd)" "3 2 3"
# A name twice: the last one wins, as MSET's order gives, in one chunk or
# across chunks, even when Redis already holds the last one's value.
rcli SET t:dup 'sum(b)' >/dev/null
printf '%s\n' '{"record":"t:dup","expr":"sum(a)"}' '{"record":"t:dup","expr":"sum(b)"}' >"$T/dup"
run -i "$T/dup" redisput
expect "compare: a name twice in a chunk" 0 "" "$T/dup"
is "compare: a name twice in a chunk: the last value wins" "$(rcli GET t:dup)" "sum(b)"
run -i "$T/dup" redisput --chunk 1
expect "compare: a name in two chunks" 0 "" "$T/dup"
is "compare: a name in two chunks: the last value wins" "$(rcli GET t:dup)" "sum(b)"
# --rewrite-all writes every record, as before.
rcli CONFIG RESETSTAT >/dev/null
run -i "$T/in" redisput --chunk 1000 --rewrite-all
expect "--rewrite-all" 0 "" "$T/in"
is "--rewrite-all: no reads, every chunk written" \
	"$(cmdstat mget) $(cmdstat smismember) $(cmdstat multi) $(cmdstat mset) $(cmdstat sadd)" "0 0 3 3 3"

# --- pipelining: chunks go out while earlier ones wait for their replies ------
# (--rewrite-all: in compare mode a chunk's reads wait for the writes
# before them.)  Writes paused, the first chunk's MSET blocks; a client that waits for
# each chunk's replies has sent nothing more (the rest of that chunk, about
# 1 kB, in the server's query buffer), one that pipelines has sent the next
# chunks behind it (some 5 kB each here).
# queued_beyond BYTES: a blocked client's query buffer holds more than BYTES.
queued_beyond() {
	rcli CLIENT LIST | tr ' ' '\n' | sed -n 's/^qbuf=//p' |
		awk -v min="$1" '$1 > min { found = 1 } END { exit !found }'
}
rcli FLUSHALL >/dev/null
crecords 500 >"$T/in"
rcli CLIENT PAUSE 120000 WRITE >/dev/null
redisput --rewrite-all --chunk 100 "$T/in" >"$T/out" 2>"$T/err" &
rp=$!
if wait_for queued_beyond 8000; then ok "pipelining: the next chunks are sent before the first is confirmed"
else fail "pipelining: the next chunks are sent before the first is confirmed" "$(rcli CLIENT LIST)"; fi
is "pipelining: nothing printed before a reply" "$(wc -c <"$T/out")" 0
rcli CLIENT UNPAUSE >/dev/null
wait $rp
status=$?
expect "pipelining: every chunk confirmed and printed in order" 0 "" "$T/in"
check "pipelining: every record is in Redis" in_redis "$T/in"

# --- --set-key ----------------------------------------------------------------
crecords 3 >"$T/in"
run -i "$T/in" redisput --set-key my:set
expect "--set-key my:set" 0 "" "$T/in"
is "--set-key: members in my:set" "$(rcli SCARD my:set)" 3
rcli SET not:aset x >/dev/null
run -i "$T/in" redisput --set-key not:aset
expect "--set-key naming a string: 78 before writing" 78 "not:aset holds a string, not a set"
is "--set-key naming a string prints nothing" "$(wc -c <"$T/out")" 0

# --- --delete -----------------------------------------------------------------
rcli FLUSHALL >/dev/null
crecords 20 >"$T/all"
redisput <"$T/all" >/dev/null
head -n 10 "$T/all" >"$T/gone"; tail -n 10 "$T/all" >"$T/kept"
rcli CONFIG RESETSTAT >/dev/null
run -i "$T/gone" redisput --delete --chunk 4 -v
expect "--delete passes the removed records through" 0 "keys deleted: 10; members removed: 10" "$T/gone"
check "--delete: the deleted records' keys and members are gone" none_in_redis "$T/gone"
check "--delete: the other records stay" in_redis "$T/kept"
is "--delete --chunk 4: 3 transactions of DEL and SREM" \
	"$(cmdstat multi) $(cmdstat del) $(cmdstat srem)" "3 3 3"
run -i "$T/gone" redisput --delete -v
expect "--delete of absent records: no error" 0 "keys deleted: 0; members removed: 0" "$T/gone"

# --- --prune: Redis holds exactly the input afterwards ------------------------
rcli FLUSHALL >/dev/null
crecords 40 >"$T/all"
redisput <"$T/all" >/dev/null
rcli SET unrelated:key x >/dev/null
{ sed -n '1,10p' "$T/all"; crecords 2 41; } >"$T/keep"
sed -n '11,40p' "$T/all" >"$T/stale"
run -i "$T/keep" redisput --prune --chunk 4 -v
expect "--prune: writes and passes the input through" 0 "pruned: 30 members not in the input" "$T/keep"
check "--prune: the input is in Redis" in_redis "$T/keep"
check "--prune: the other members and their keys are gone" none_in_redis "$T/stale"
is "--prune: the set holds exactly the input" "$(rcli SCARD "$SET")" 12
is "--prune: a key that is not a member stays" "$(rcli EXISTS unrelated:key)" 1
is "--prune: no temporary key is left" "$(rcli --scan --pattern '*redisput-prune*')" ""
crecords 5 100 >"$T/more"
redisput <"$T/more" >/dev/null
printf '%s\n' '{"record":"bad name","expr":"up"}' >>"$T/keep"
run -i "$T/keep" redisput --prune
expect "--prune with a bad line: 65, nothing pruned" 65 "input was not read whole; nothing pruned"
check "--prune with a bad line: the other members stay" in_redis "$T/more"
run -i "$T/keep" redisput --prune --dry-run
expect "--prune --dry-run: 65 for the bad line" 65 "<stdin>:13: .*not a valid metric name"
check "--prune --dry-run: nothing removed" in_redis "$T/more"
run -i /dev/null redisput --prune -v
expect "--prune with no input empties the set" 0 "pruned: 17 members"
is "--prune with no input: the set is empty" "$(rcli SCARD "$SET")" 0

# --- --dry-run ------------------------------------------------------------------
rcli FLUSHALL >/dev/null
rcli CONFIG RESETSTAT >/dev/null
crecords 30 >"$T/in"
run -i "$T/in" redisput --dry-run -v --chunk 7
expect "--dry-run prints what it would write" 0 "would write 30 records in 5 chunks" "$T/in"
is "--dry-run writes nothing (DBSIZE, MULTI, MSET)" \
	"$(rcli DBSIZE) $(cmdstat multi) $(cmdstat mset)" "0 0 0"
run -i "$T/in" redisput -n --delete
expect "--dry-run --delete prints what it would delete" 0 "" "$T/in"

# --- bad lines: warned with file:line, skipped, 65 at the end ---------------------
G1='{"record":"good:one","expr":"up"}'
G2='{"record":"good:two","expr":"down"}'
while IFS='|' read -r what bad pattern; do
	rcli FLUSHALL >/dev/null
	printf '%s\n%s\n%s\n' "$G1" "$bad" "$G2" >"$T/in"
	printf '%s\n%s\n' "$G1" "$G2" >"$T/want"
	run redisput "$T/in"
	expect "bad line ($what): 65, the good lines pass" 65 "in:2: .*$pattern|$pattern" "$T/want"
	check "bad line ($what): the good lines are in Redis" in_redis "$T/want"
done <<'EOF'
not JSON|sum(rate(x[5m]))|not a JSON record
truncated JSON|{"record":"a:b","expr":"up"|not a JSON record
an array|["a:b","up"]|not a JSON object
a string|"a:b"|not a JSON record
no record|{"expr":"up"}|missing "record"
record a number|{"record":5,"expr":"up"}|"record" is not a string
record not a metric name|{"record":"a b","expr":"up"}|not a valid metric name
record starting with a digit|{"record":"1ab","expr":"up"}|not a valid metric name
no expr|{"record":"a:b"}|missing "expr"
expr null|{"record":"a:b","expr":null}|"expr" is not a string
empty expr|{"record":"a:b","expr":""}|"expr" is empty
index zero|{"record":"a:b","expr":"up","index":0}|"index" is not a positive integer
index a string|{"record":"a:b","expr":"up","index":"3"}|"index" is not a positive integer
duplicate field|{"record":"a:b","record":"c:d","expr":"up"}|duplicate
NUL in expr|{"record":"a:b","expr":"x\u0000y"}|not a JSON record
the set key as record|{"record":"hke:heavy_query_set","expr":"up"}|record hke:heavy_query_set is the set key itself
EOF
is "a record named like the set key leaves the set alone" "$(rcli TYPE "$SET")" set
run redisput "$T/nonexistent"
expect "a missing input file: 66" 66 "nonexistent: No such file"

# --- usage errors: 64, and a password is never echoed ---------------------------
set -f	# the URLs hold '?' and '['
while IFS='|' read -r what args pattern; do
	# shellcheck disable=SC2086 # args are words on purpose
	run redisput $args
	expect "usage: $what" 64 "$pattern"
	no_secret "usage: $what: the password is not echoed" topsecret
done <<'EOF'
unknown option|--frobnicate|usage: redisput
chunk zero|--chunk 0|--chunk: expected a whole number from 1 to 100000
chunk too big|--chunk 100001|--chunk: expected
chunk not a number|-c lots|--chunk: expected
bad timeout|--timeout soon|--timeout: expected a duration
timeout too long|--timeout 25h|--timeout: at most 24h
empty set key|--set-key=|--set-key: the key name is empty
delete and prune|--delete --prune|--delete and --prune do not go together
wrong scheme|--redis http://topsecret@h|unknown scheme 'http'
no scheme|--redis topsecret@h:1|does not start with a scheme
sentinel without a master name|--redis redis+sentinel://:topsecret@127.0.0.1:1|no master name
sentinel with an empty master name|--redis redis+sentinel://:topsecret@127.0.0.1:1/|no master name
sentinel with no host|--redis redis+sentinel://:topsecret@/mymaster|host list is empty
sentinel port out of range|--redis redis+sentinel://:topsecret@h:1,h:0/m|the port of host 2 of the list
sentinel unknown query|--redis redis+sentinel://h/m?sentinel_pass=topsecret|unknown query parameter
cluster with no host|--redis redis+cluster://:topsecret@|host list is empty
cluster with an empty entry|--redis redis+cluster://:topsecret@h:1,,h:2|an empty entry
cluster port out of range|--redis redis+cluster://:topsecret@h:1,h:2,h:65536|the port of host 3 of the list
cluster db|--redis redis+cluster://:topsecret@h:1/2|only db 0
misspelt scheme|--redis redis+sentinal://:topsecret@h/m|unknown scheme 'redis\+sentinal'
rediss|--redis rediss://:topsecret@h:6380|TLS
port not a number|--redis redis://:topsecret@h:http|the port is not a number
port zero|--redis redis://:topsecret@h:0|the port is not a number
port too big|--redis redis://u:topsecret@h:65536|the port is not a number
db not a number|--redis redis://:topsecret@h:1/x|not a db number
db twice|--redis redis://h:1/2?db=3|the db is given twice
bad percent escape|--redis redis://:topsecret%zz@h|bad percent-escape in the password
percent NUL|--redis redis://:top%00secret@h|bad percent-escape in the password
unknown query|--redis redis://h?pasword=topsecret|unknown query parameter
query without =|--redis redis://h?db|has no '='
unix with a host|--redis unix://host/tmp/s|names no host
unix without a path|--redis unix://|no socket path
unclosed IPv6|--redis redis://[::1:6379|unclosed
junk after IPv6|--redis redis://[::1]x|junk after the IPv6 address
bracket in a host|--redis redis://[[0]|the host is not a host name or an IP address
percent in a host|--redis redis://a%20b:1|the host is not a host name
EOF
set +f
REDIS_URL='redis://:topsecret@h:nope' run redisput
expect "REDIS_URL that does not parse: 64, named" 64 "REDIS_URL: the port is not a number"
no_secret "REDIS_URL error: the password is not echoed" topsecret

# --- connection refused, unreachable, timed out: 69 ------------------------------
PORT=$(free_port)
crecords 3 >"$T/in"
run -i "$T/in" redisput --redis "redis://:topsecret@127.0.0.1:$PORT"
expect "TCP connection refused: 69" 69 "redis://:\*\*\*@127.0.0.1:$PORT: cannot connect: Connection refused"
no_secret "connection refused: the password is masked" topsecret
is "connection refused: nothing printed" "$(wc -c <"$T/out")" 0
run -i "$T/in" redisput --redis "redis://[::1]:$PORT/2"
expect "IPv6 connection refused: 69, the address shown" 69 "^redisput: redis://\[::1\]:$PORT/2: cannot connect"
run -i "$T/in" redisput --redis "unix://$T/no/such.sock"
expect "no such unix socket: 69" 69 "cannot connect: No such file or directory"
REDIS_URL="redis://127.0.0.1:$PORT" run -i "$T/in" redisput
expect "REDIS_URL is used: 69 on its refused port" 69 "127.0.0.1:$PORT: cannot connect"
REDIS_URL="redis://127.0.0.1:$PORT" run -i "$T/in" redisput --redis "$MAIN_URL"
expect "--redis wins over REDIS_URL" 0 "" "$T/in"
# A server that accepts and never answers.
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5)
time.sleep(120)' "$T/mute.sock" &
PIDS="$PIDS $!"
wait_for test -S "$T/mute.sock"
run -i "$T/in" redisput --timeout 300ms --redis "unix://$T/mute.sock"
expect "a server that never answers: 69 after --timeout" 69 "PING: timed out"
# A server that answers every command, but not as Redis would.
python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5)
while True:
    c, _ = s.accept(); c.recv(4096); c.sendall(b":1\r\n"); c.close()' \
	"$T/odd.sock" &
PIDS="$PIDS $!"
wait_for test -S "$T/odd.sock"
run -i "$T/in" redisput --redis "unix://$T/odd.sock"
expect "a server whose PING is no PONG: 69" 69 "PING: not the answer of a Redis server"
is "a server whose PING is no PONG: nothing printed" "$(wc -c <"$T/out")" 0

# --- authentication -------------------------------------------------------------
start_redis "requirepass s3cret" "user alice on >al1ce-pw ~* +@all" \
	"user bob on >bob-pw ~* +@all -mset" 'user carol on >p@ss:w/rd% ~* +@all'
AUTH_SOCK=$REDIS_SOCK
crecords 4 >"$T/in"
while IFS='|' read -r what url status pattern; do
	rcli -a s3cret --no-auth-warning FLUSHALL >/dev/null
	run -i "$T/in" redisput -v --redis "${url/SOCK/$AUTH_SOCK}"
	if [ "$status" = 0 ]; then
		expect "auth: $what" 0 "$pattern" "$T/in"
		n=$(rcli -a s3cret --no-auth-warning SCARD "$SET")
		is "auth: $what: written" "$n" 4
	else
		expect "auth: $what" "$status" "$pattern"
		is "auth: $what: nothing printed" "$(wc -c <"$T/out")" 0
	fi
	no_secret "auth: $what: no password in stderr" 's3cret|al1ce-pw|bob-pw|p@ss|wr0ng'
done <<'EOF'
requirepass in the query|unix://SOCK?password=s3cret|0|connected to unix://:\*\*\*@
ACL user in the URL|unix://alice:al1ce-pw@SOCK|0|connected to unix://alice:\*\*\*@
ACL user in the query|unix://SOCK?user=alice&password=al1ce-pw|0|connected to unix://alice:\*\*\*@
percent-encoded password|unix://carol:p%40ss%3Aw%2Frd%25@SOCK|0|connected to unix://carol:
no password: 77|unix://SOCK|77|PING refused: NOAUTH.*give a password
wrong password: 77|unix://SOCK?password=wr0ng|77|AUTH refused: WRONGPASS
wrong ACL password: 77|unix://alice:wr0ng@SOCK|77|AUTH refused: WRONGPASS
unknown ACL user: 77|unix://mallory:al1ce-pw@SOCK|77|AUTH refused: WRONGPASS
ACL user denied MSET: 77|unix://bob:bob-pw@SOCK|77|MSET refused: NOPERM.*nothing of the chunk was applied
EOF
rcli -a s3cret --no-auth-warning FLUSHALL >/dev/null
REDISCLI_AUTH=s3cret run -i "$T/in" redisput -v --redis "unix://$AUTH_SOCK"
expect "auth: REDISCLI_AUTH supplies the password" 0 "connected to unix://:\*\*\*@" "$T/in"
no_secret "auth: REDISCLI_AUTH is not printed" s3cret
REDISCLI_AUTH=wr0ng run -i "$T/in" redisput --redis "unix://$AUTH_SOCK?password=s3cret"
expect "auth: the URL's password wins over REDISCLI_AUTH" 0 "" "$T/in"
REDISCLI_AUTH=wr0ng run -i "$T/in" redisput --redis "unix://$AUTH_SOCK"
expect "auth: a wrong REDISCLI_AUTH: 77" 77 "WRONGPASS"
no_secret "auth: a wrong REDISCLI_AUTH is not printed" wr0ng

# --- TCP, db selection ----------------------------------------------------------
TCP_PORT=$(free_port)
start_redis "port $TCP_PORT" "bind 127.0.0.1" "requirepass s3cret" \
	"user alice on >al1ce-pw ~* +@all"
TCP_SOCK=$REDIS_SOCK
crecords 6 >"$T/in"
while IFS='|' read -r what url db; do
	rcli -a s3cret --no-auth-warning FLUSHALL >/dev/null
	run -i "$T/in" redisput --redis "${url/SOCK/$TCP_SOCK}"
	expect "db: $what" 0 "" "$T/in"
	got=$(for d in 0 3; do rcli -a s3cret --no-auth-warning -n "$d" SCARD "$SET"; done | tr '\n' ' ')
	want="6 0 "; [ "$db" = 3 ] && want="0 6 "
	is "db: $what: the records are in db $db only (SCARD in db 0, 3)" "$got" "$want"
done <<EOF
TCP, password only|redis://:s3cret@127.0.0.1:$TCP_PORT|0
TCP, ACL user, /3|redis://alice:al1ce-pw@127.0.0.1:$TCP_PORT/3|3
TCP, localhost by name|redis://:s3cret@localhost:$TCP_PORT/0|0
TCP, ?db=3|redis://:s3cret@127.0.0.1:$TCP_PORT?db=3|3
unix socket, ?db=3|unix://SOCK?db=3&password=s3cret|3
unix socket, user and ?db=3|unix://alice:al1ce-pw@SOCK?db=3|3
EOF
rcli -a s3cret --no-auth-warning -n 3 GET hke:heavy_expr:r000001 >"$T/got"
crecords 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["expr"])' >"$T/want"
check "db 3 holds the right value" cmp "$T/want" "$T/got"
run -i "$T/in" redisput --redis "redis://:s3cret@127.0.0.1:$TCP_PORT/99"
expect "db: a db the server does not have: 78" 78 "SELECT refused: ERR DB index is out of range"
run -i "$T/in" redisput --redis "redis://:wr0ng@127.0.0.1:$TCP_PORT"
expect "TCP: wrong password: 77" 77 "WRONGPASS"
no_secret "TCP: wrong password not in stderr" wr0ng

# --- errors inside a chunk: nothing of it printed -------------------------------
start_redis "maxmemory 2mb" "maxmemory-policy noeviction"
python3 -c 'import json
for i in range(40): print(json.dumps({"record": "oom:r%d" % i, "expr": "x" * 100000}))' >"$T/in"
run -i "$T/in" redisput --chunk 5
expect "out of memory in a chunk: 69" 69 "refused: OOM"
n=$(wc -l <"$T/out")
whole_chunks "out of memory: only whole committed chunks printed" "$n" 5 40
[ "$n" -gt 0 ] && check "out of memory: the printed records are in Redis" in_redis "$T/out"

# The set key turns into a string between two chunks: SADD fails inside EXEC.
start_redis
mkfifo "$T/fifo"
: >"$T/out"
redisput --chunk 10 "$T/fifo" >"$T/out" 2>"$T/err" &
rp=$!
exec 7>"$T/fifo"
crecords 10 >&7
wait_for has_lines "$T/out" 10
rcli DEL "$SET" >/dev/null; rcli SET "$SET" oops >/dev/null
crecords 10 11 >&7
exec 7>&-
wait $rp
status=$?
expect "an error inside EXEC: 69" 69 "chunk 2 \(records 11-20\): SADD failed inside the transaction: WRONGTYPE"
is "an error inside EXEC: its chunk is not printed" "$(wc -l <"$T/out")" 10

# --- the server goes away mid-run -------------------------------------------------
# Acknowledged writes survive a kill -9 with appendfsync always, so after a
# restart every record printed must be found.

# Deterministic: kill between chunks, fed through a fifo.
start_redis "appendonly yes" "appendfsync always"
: >"$T/out"
redisput --chunk 100 "$T/fifo" >"$T/out" 2>"$T/err" &
rp=$!
exec 7>"$T/fifo"
crecords 1000 >&7
wait_for has_lines "$T/out" 1000
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
crecords 500 1001 >&7 2>/dev/null
exec 7>&-
wait $rp
status=$?
expect "server killed between chunks: 69" 69 "chunk 11 \(records 1001-1100\): .*(may or may not have been applied|nothing of the chunk was written)"
is "server killed between chunks: the 10 committed chunks printed" "$(wc -l <"$T/out")" 1000
restart_redis
check "server killed between chunks: every printed record is in Redis" in_redis "$T/out"

# Killed while chunks are in flight, as soon as output appears.
start_redis "appendonly yes" "appendfsync always"
crecords 200000 >"$T/big"
: >"$T/out"	# emptied here, not by the child: wait_for tests it
redisput --chunk 100 "$T/big" >"$T/out" 2>"$T/err" &
rp=$!
wait_for test -s "$T/out"
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
wait $rp
status=$?
expect "server killed mid-run: 69" 69 "connection lost|Connection reset|Broken pipe|cannot connect"
n=$(wc -l <"$T/out")
whole_chunks "server killed mid-run: whole chunks printed" "$n" 100 200000
restart_redis
check "server killed mid-run: every printed record is in Redis" in_redis "$T/out"

# The connection killed (CLIENT KILL) while the server stays up.
start_redis
: >"$T/out"	# emptied here, not by the child: wait_for tests it
redisput --chunk 100 "$T/big" >"$T/out" 2>"$T/err" &
rp=$!
wait_for test -s "$T/out"
rcli CLIENT KILL TYPE normal >/dev/null
wait $rp
status=$?
expect "connection killed mid-run: 69" 69 "connection lost|Connection reset|Broken pipe"
n=$(wc -l <"$T/out")
whole_chunks "connection killed mid-run: whole chunks printed" "$n" 100 200000
check "connection killed mid-run: every printed record is in Redis" in_redis "$T/out"

done_testing
