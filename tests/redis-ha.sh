# shellcheck shell=bash
# Shared by t_sentinel.sh and t_cluster.sh (source it after lib.sh): real
# redis-server and redis-sentinel processes on loopback, on free ports,
# with their files in the test's temporary directory, stopped at exit.
#
# Every wait polls for its condition, up to HA_WAIT seconds: a failover or
# a cluster settling takes a few seconds, more on a loaded machine.

HA_WAIT=${HA_WAIT:-120}
# The data nodes' password; redis-cli takes it from REDISCLI_AUTH, never
# from its command line.
HA_PW=dat%pw@1
# shellcheck disable=SC2034 # HA_PW_URL is for the scripts that source this
HA_PW_URL='dat%25pw%401'
export REDISCLI_AUTH=$HA_PW

# wait_long CMD...: retries CMD every 0.1 s for up to HA_WAIT seconds.
wait_long() {
	local end=$((SECONDS + HA_WAIT))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# start_node NAME [redis-server options...]: a redis-server on a free port
# (or on PORT_NAME when set: a restart) with its files in $T/NAME; its port
# lands in PORT_NAME.
start_node() {
	local name=$1 port dir=$T/$1; shift
	eval "port=\${PORT_$name:-}"
	[ -n "$port" ] || port=$(free_port)
	mkdir -p "$dir"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
		--save '' --appendonly no --requirepass "$HA_PW" \
		--masterauth "$HA_PW" --logfile "$dir/log" "$@" &
	PIDS="$PIDS $!"
	eval "PID_$name=\$!"
	eval "PORT_$name=$port"
	wait_long redis-cli -p "$port" PING || {
		fail "redis-server $name starts" "$(tail -5 "$dir/log")"; exit 1; }
}

# node NAME ARGS...: redis-cli on node NAME.
node() { local p; eval "p=\$PORT_$1"; shift; redis-cli -p "$p" "$@"; }

# resp PORT CMD...: one command over RESP, its reply printed (python, so
# that the test does not hang on a node that went away).
resp_py=$T/resp.py
cat >"$resp_py" <<'PY'
import socket, sys

def conn(port, pw):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    if pw:
        call(s, f, "AUTH", pw)
    return s, f

def call(s, f, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    return read(f)

def read(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-"):
        if t == b"-":
            raise RuntimeError(rest.decode())
        return rest.decode()
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b"*":
        return [read(f) for _ in range(int(rest))]
    raise RuntimeError("bad reply %r" % line)

def dump(ports, pw, pattern):
    """Every key matching pattern on every node: 'port<TAB>key<TAB>value'."""
    for p in ports:
        s, f = conn(p, pw)
        cursor = "0"
        while True:
            cursor, keys = call(s, f, "SCAN", cursor, "MATCH", pattern,
                                "COUNT", "1000")
            for k in keys:
                if call(s, f, "TYPE", k) == "string":
                    print("%s\t%s\t%s" % (p, k, call(s, f, "GET", k)))
            if cursor == "0":
                break

if __name__ == "__main__":
    dump([int(p) for p in sys.argv[3:]], sys.argv[1], sys.argv[2])
PY

# node_dump PATTERN PORT...: "port<TAB>key<TAB>value" of every string key.
node_dump() { local pat=$1; shift; python3 "$resp_py" "$HA_PW" "$pat" "$@"; }

# holds_exactly DUMP FILE: the keys of DUMP (node_dump's output) are the
# records of FILE, each with its expr; FILE must not be empty.
holds_exactly() {
	[ -s "$2" ] || { echo "no records in $2"; return 1; }
	python3 - "$1" "$2" <<'PY'
import json, sys
got = {}
for l in open(sys.argv[1]):
    port, k, v = l.rstrip("\n").split("\t", 2)
    got[k] = v
want = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    want[r["record"]] = r["expr"]
missing = [k for k in want if got.get(k) != want[k]]
extra = [k for k in got if k not in want]
if missing or extra:
    print("missing or wrong: %s; extra: %s" % (missing[:5], extra[:5]))
    sys.exit(1)
PY
}

# names FILE: the record names of FILE, sorted, one a line.
names() {
	python3 -c 'import json,sys
for n in sorted(json.loads(l)["record"] for l in open(sys.argv[1])): print(n)' "$1"
}

# count_lines FILE: lines in FILE (0 when it does not exist).
count_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# has_lines FILE N: FILE has at least N lines.
has_lines() { [ "$(count_lines "$1")" -ge "$2" ]; }

# vg NAME STDIN WANT CMD...: CMD under valgrind's memcheck must exit WANT
# with no report; skipped for the sanitizer build, which cannot run under it.
vg() {
	local name=$1 in=$2 want=$3 rc
	shift 3
	if [ "$RECSYNC_BIN" != "$TOP/bin" ]; then
		skip "valgrind: $name (the plain build only)"
		return
	fi
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@" <"$in" >"$T/vg.out" 2>"$T/vg.err"
	rc=$?
	if [ "$rc" = "$want" ] && ! grep -q '^==[0-9]*==' "$T/vg.err"; then ok "valgrind: $name"
	else fail "valgrind: $name" "exit $rc, want $want" "$(head -40 "$T/vg.err")"; fi
}
