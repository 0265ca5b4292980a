# shellcheck shell=bash
# Shared by the tests/t_*.sh scripts: source it first, with the directive
# that lets shellcheck -x follow it from any directory:
#   # shellcheck source-path=SCRIPTDIR source=lib.sh
#   . "$(dirname "$0")/lib.sh"
#
# Each check prints one line the runner counts: "ok - what", "not ok - what"
# (followed by "#" lines of detail) or "skip - what (why)".  A script exits
# non-zero when any of its checks failed.
#
# The tools under test come from $RECSYNC_BIN (bin/ by default; the runner
# points it at the sanitizer build too).  Servers are started on loopback in
# a private temporary directory and stopped when the script exits.

set -u
TESTS=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$TESTS")
RECSYNC_BIN=${RECSYNC_BIN:-$TOP/bin}
PATH=$RECSYNC_BIN:$TOP/bin:$PATH
export PATH RECSYNC_BIN
T=$(mktemp -d "${TMPDIR:-/tmp}/recsync-test.XXXXXX")
FAILED=0
PIDS=

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { echo "ok - $*"; }
skip() { echo "skip - $*"; }
fail() {
	echo "not ok - $1"
	shift
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
	FAILED=1
}
done_testing() { exit "$FAILED"; }

# check NAME CMD...: passes when CMD succeeds.
check() {
	name=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$name"; else
		fail "$name" "command: $*" "$(head -c 2000 "$T/check.out")"
	fi
}

# has NAME REGEX FILE: passes when a line of FILE matches the extended
# REGEX; a failure shows the start of FILE.
has() {
	if grep -Eq -- "$2" "$3" 2>/dev/null; then ok "$1"; else
		fail "$1" "no line of $3 matches /$2/:" "$(head -c 1500 "$3" 2>&1)"
	fi
}

# is NAME GOT WANT: passes when the string GOT equals WANT.
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# lacks NAME REGEX CMD...: passes when CMD succeeds and no line of its
# output matches REGEX; a CMD that fails (Consul down, no such file) fails
# the check, never passes it.
lacks() {
	name=$1 pat=$2; shift 2
	if ! "$@" >"$T/lacks.out" 2>"$T/lacks.err"; then
		fail "$name" "the lookup failed: $*" "$(head -c 1000 "$T/lacks.err")"
	elif grep -Eq -- "$pat" "$T/lacks.out"; then
		fail "$name" "$(grep -E -- "$pat" "$T/lacks.out" | head -5)"
	else
		ok "$name"
	fi
}

# run [-i STDIN] CMD...: runs CMD; its stdout, stderr and status land in
# $T/out, $T/err and $status.
run() {
	stdin=/dev/null
	if [ "$1" = -i ]; then stdin=$2; shift 2; fi
	"$@" <"$stdin" >"$T/out" 2>"$T/err"
	status=$?
}

# expect NAME STATUS ERR_REGEX [OUT_FILE]: judges the last run.  ERR_REGEX
# ("" for an empty stderr, "." for anything) is an extended regex for stderr;
# OUT_FILE, when given, must equal stdout byte for byte.
expect() {
	name=$1 want=$2 errpat=$3 wantout=${4:-}
	problems=
	[ "$status" = "$want" ] || problems="exit status $status, want $want"
	if [ -z "$errpat" ]; then
		[ -s "$T/err" ] && problems="$problems; stderr not empty"
	elif ! grep -Eq -- "$errpat" "$T/err"; then
		problems="$problems; stderr does not match /$errpat/"
	fi
	if [ -n "$wantout" ] && ! cmp -s "$wantout" "$T/out"; then
		problems="$problems; stdout differs: $(diff "$wantout" "$T/out" | head -20)"
	fi
	if [ -z "$problems" ]; then ok "$name"; else
		fail "$name" "$problems" "stderr: $(head -c 1500 "$T/err")"
	fi
}

# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for CMD...: retries CMD for up to 30 s (a loaded CI machine running
# the sanitizer build is slow to start things).
wait_for() {
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.05
	done
}

# exited PID: the process is gone, or a zombie its parent has not waited for.
exited() {
	local stat
	read -r stat 2>/dev/null </proc/"$1"/stat || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# wait_exit PID: waits for the background job PID to end, up to wait_for's
# bound, and sets $status to its exit status; a job that outlasts the bound
# is killed and $status is "still running".
wait_exit() {
	if wait_for exited "$1"; then
		wait "$1"; status=$?
	else
		kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; status="still running"
	fi
}

# start_consul: sets CONSUL_HTTP_ADDR to the stand-in, or to the real agent
# named by RECSYNC_TEST_CONSUL.  Extra arguments go to the stand-in.
# STANDIN is 1 when the stand-in is used (fault injection is possible);
# CONSUL_PID is then its process.
# shellcheck disable=SC2120 # the arguments are optional
start_consul() {
	if [ -n "${RECSYNC_TEST_CONSUL:-}" ]; then
		# shellcheck disable=SC2034 # STANDIN is read by the scripts
		CONSUL_HTTP_ADDR=$RECSYNC_TEST_CONSUL STANDIN=0
		export CONSUL_HTTP_ADDR
		return 0
	fi
	rm -f "$T/consul.addr"
	python3 "$TESTS/consul-standin" --port 0 --addr-file "$T/consul.addr" "$@" \
		>"$T/consul.log" 2>&1 &
	CONSUL_PID=$!
	PIDS="$PIDS $CONSUL_PID"
	wait_for test -s "$T/consul.addr" || { fail "consul stand-in starts" \
		"$(cat "$T/consul.log")"; exit 1; }
	# shellcheck disable=SC2034 # STANDIN is read by the scripts
	CONSUL_HTTP_ADDR=$(cat "$T/consul.addr") STANDIN=1
	export CONSUL_HTTP_ADDR
}

# new_prefix: a KV prefix of its own for each test, so that tests never see
# each other's keys, on the stand-in or on a shared real agent.
PREFIX_SEQ=0
new_prefix() {
	PREFIX_SEQ=$((PREFIX_SEQ + 1))
	PREFIX="recsync-test/$$-$(basename "$0" .sh)/$PREFIX_SEQ"
}

# consul_curl CURL_ARGS...: curl on the Consul HTTP API, quiet but for errors,
# with the token from CONSUL_HTTP_TOKEN when it is set.
consul_curl() {
	curl -sS ${CONSUL_HTTP_TOKEN:+-H "X-Consul-Token: $CONSUL_HTTP_TOKEN"} "$@"
}

# standin_stats FIELD: a counter of the stand-in's /_standin/stats.
standin_stats() {
	consul_curl "$CONSUL_HTTP_ADDR/_standin/stats" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# start_redis [redis.conf lines...]: a private redis-server on a unix
# socket; sets REDIS_SOCK and REDIS_URL.
# shellcheck disable=SC2120 # the arguments are optional
start_redis() {
	REDIS_DIR=$T/redis.$$.$RANDOM
	mkdir -p "$REDIS_DIR"
	REDIS_SOCK=$REDIS_DIR/redis.sock
	{
		echo "port 0"
		echo "unixsocket $REDIS_SOCK"
		echo "unixsocketperm 700"
		echo "dir $REDIS_DIR"
		echo "save \"\""
		echo "appendonly no"
		for line in "$@"; do echo "$line"; done
	} >"$REDIS_DIR/redis.conf"
	redis-server "$REDIS_DIR/redis.conf" >"$REDIS_DIR/log" 2>&1 &
	REDIS_PID=$!
	PIDS="$PIDS $REDIS_PID"
	wait_for test -S "$REDIS_SOCK" || { fail "redis-server starts" \
		"$(cat "$REDIS_DIR/log")"; exit 1; }
	REDIS_URL=unix://$REDIS_SOCK
	export REDIS_URL
}

# start_prometheus DIR [FLAG...]: a real Prometheus on a free loopback port,
# with its data in DIR/data and its log in DIR/log, reading
# DIR/prometheus.yml; when that file is missing, one is written here that
# scrapes Prometheus itself every second and logs its queries to
# DIR/query.log.  FLAGs go to prometheus.  Sets PROM_PORT and PROM_URL.
# Returns non-zero, with the check "prometheus starts" failed, when it is
# not ready within wait_for's bound.
start_prometheus() {
	pdir=$1; shift
	PROM_PORT=$(free_port)
	PROM_URL=http://127.0.0.1:$PROM_PORT
	mkdir -p "$pdir"
	[ -f "$pdir/prometheus.yml" ] || cat >"$pdir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  query_log_file: $pdir/query.log
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:$PROM_PORT']
EOF
	prometheus --config.file="$pdir/prometheus.yml" --storage.tsdb.path="$pdir/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" "$@" >"$pdir/log" 2>&1 &
	PIDS="$PIDS $!"
	if ! wait_for curl -sf "$PROM_URL/-/ready"; then
		fail "prometheus starts" "$(tail -20 "$pdir/log")"
		return 1
	fi
}

# rcli ARGS...: redis-cli on the test server.
rcli() { redis-cli -s "$REDIS_SOCK" "$@"; }

# records N [FIRST]: N valid records, one a line, named ...r<FIRST>.. in
# order, in the compact form the tools write.
records() {
	python3 - "$1" "${2:-1}" <<'PY'
import json, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
for i in range(first, first + n):
    print(json.dumps({"record": "hke:heavy_expr:r%06d" % i,
                      "expr": 'sum(rate(http_requests_total{job="j%d"}[5m])) by (code)' % i},
                     separators=(",", ":"), ensure_ascii=False))
PY
}

# start_standin NAME ARGS...: one more stand-in of this script's own, also
# when RECSYNC_TEST_CONSUL names a real agent (for what only the stand-in
# can be made to do, such as serving TLS with certificates made here).  Its
# URL lands in $STANDIN_URL, its log in $T/NAME.log.
start_standin() {
	sname=$1; shift
	rm -f "$T/$sname.addr"
	python3 "$TESTS/consul-standin" --port 0 --addr-file "$T/$sname.addr" "$@" \
		>"$T/$sname.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for test -s "$T/$sname.addr" || { fail "consul stand-in $sname starts" \
		"$(cat "$T/$sname.log")"; exit 1; }
	# shellcheck disable=SC2034 # STANDIN_URL is read by the scripts
	STANDIN_URL=$(cat "$T/$sname.addr")
}

# keys: "N record" for every PREFIX/N, sorted by N.
keys() {
	consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/?recurse" | python3 -c '
import base64, json, sys
rows, text = [], sys.stdin.read()
for e in json.loads(text) if text.strip() else []:
    n = e["Key"].rsplit("/", 1)[1]
    v = json.loads(base64.b64decode(e["Value"] or ""))
    rows.append((int(n), v["record"]))
for n, r in sorted(rows):
    print(n, r)' 2>/dev/null
}

# indexes: the "index" of each record the last run printed, on one line.
indexes() { python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["index"]) for l in sys.stdin))' <"$T/out"; }

# fault JSON: the stand-in's next fault set (see its header).
fault() { consul_curl -X POST --data "$1" "$CONSUL_HTTP_ADDR/_standin/fault" >/dev/null; }

# standin_eval EXPR: a Python expression over the stand-in's stats as d.
standin_eval() {
	consul_curl "$CONSUL_HTTP_ADDR/_standin/stats" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
