#!/bin/bash
# recsync end to end: redis-server, the Consul stand-in (or a real agent)
# and promtool, all real; the wrapper's subcommands, lock and settings.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# recsync runs the tools of its own folder: the copy in $RECSYNC_BIN, or a
# sanitizer pass would test the plain build.
if [ ! -x "$RECSYNC_BIN/recsync" ]; then
	fail "recsync is in $RECSYNC_BIN" "run make (make SAN=1 for build/san/bin)"
	done_testing
fi
start_consul
start_redis

new_prefix
SETKEY="test:set:$PREFIX_SEQ"
RULES=$T/rules
mkdir -p "$RULES"

# rs [SUBCOMMAND] ARGS...: recsync with this test's prefix, Redis set and
# rules dir.
rs() {
	local sub=()
	case ${1:-} in retire|rebuild|render) sub=("$1"); shift ;; esac
	recsync "${sub[@]}" --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES" "$@"
}
# field NAME: a field of the summary line in $T/out.
field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$T/out" "$1"; }
stored() { kvdiff -q --all --prefix "$PREFIX" </dev/null; }
# nfiles DIR: how many files DIR holds, as ls counts them (no dot files).
nfiles() { find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l; }
# rule_names FILE: the rules' names, sorted; fails when FILE cannot be read.
rule_names() { /usr/bin/python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); sys.stdout.write("".join(n + "\n" for n in sorted(r["record"] for g in d["groups"] for r in g["rules"])))' "$1"; }

cat >"$T/sample" <<'JSON'
{"record":"hke:heavy_expr:a1","expr":"sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))"}
{"record":"hke:heavy_expr:a2","expr":"histogram_quantile(0.99, sum without (instance) (rate(http_request_duration_seconds_bucket[10m])))"}
{"record":"hke:heavy_expr:a3","expr":"avg_over_time(node_load1{env=\"生产\"}[1h] offset 1d)"}
{"record":"hke:heavy_expr:a4","expr":"count by (le) (rate(x_bucket{path!~\"/health.*\"}[5m])) > 0"}
JSON

# --- usage
while IFS='|' read -r args want pat; do
	# shellcheck disable=SC2086
	run recsync $args
	expect "recsync $args" "$want" "$pat"
done <<'ROWS'
--help|0|
--version|0|
--bogus|64|unknown option --bogus
--prefix|64|--prefix needs a value
render --shard 0/3|64|render needs
--shard 0/3|64|are for render
--yes|64|--yes is for rebuild
-q rebuild --yes x.jsonl|64|^recsync: 'rebuild' after an option: the subcommand comes first
--rules-dir . retire x.jsonl|64|^recsync: 'retire' after an option: the subcommand comes first
--dry-run status|64|^recsync: 'status' after an option
--yes render --shard 0/1|64|^recsync: 'render' after an option
-v touch|64|^recsync: 'touch' after an option
--dry-run -- retire|66|^kvdiff: retire: No such file
ROWS

# --- a bad setting is refused (64) before the lock and before any
# connection: a stand-in of its own counts every request it is sent, Redis
# counts its connections, and the rules dir and render's file stay empty.
# Columns: arguments ('' an empty one, OUT render's file, ENVF an
# environment file holding the row's VAR=VALUE), VAR=VALUE for the
# environment (or the file), the message.  The message names the setting
# as it was given.
start_standin settings
printf '%s\n' '{"record":"settings:one","expr":"up"}' >"$T/settings.in"
mkdir "$T/settings.rules"
redis_connections() { rcli INFO stats | sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p'; }
standin_requests() {
	consul_curl -s "$STANDIN_URL/_standin/stats" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'
}
while IFS='|' read -r args envset pat; do
	argv=() row="${args//ENVF/FILE} $envset"
	case $args in retire*|rebuild*|render*) argv=("${args%% *}"); args=${args#* } ;; esac
	argv+=(--rules-dir "$T/settings.rules")
	for a in $args; do
		case $a in
		"''") argv+=("") ;;
		OUT) argv+=("$T/settings.out") ;;
		ENVF) argv+=("$T/settings.env") ;;
		*) argv+=("$a") ;;
		esac
	done
	envv=()
	case $args in
	*ENVF*) printf '%s\n' "$envset" >"$T/settings.env" ;;
	*) [ -z "$envset" ] || envv=("$envset") ;;
	esac
	requests=$(standin_requests) conns=$(redis_connections)
	run -i "$T/settings.in" env CONSUL_HTTP_ADDR="$STANDIN_URL" "${envv[@]}" \
		recsync "${argv[@]}"
	expect "bad setting $row: 64, named" 64 "$pat"
	requests2=$(standin_requests) conns2=$(redis_connections)
	if [ "$requests2" = "$requests" ] && [ "$conns2" = $((conns + 1)) ] &&
	    [ -z "$(ls -A "$T/settings.rules")" ] && [ ! -e "$T/settings.out" ] &&
	    ! grep -q 's3cret' "$T/err"; then
		ok "bad setting $row: no request to Consul, no connection to Redis, no file"
	else
		fail "bad setting $row: nothing reached" \
			"Consul requests $requests -> $requests2, Redis connections $conns -> $conns2 (1 is ours)" \
			"$(ls -A "$T/settings.rules")" "$(cat "$T/err")"
	fi
done <<'ROWS'
--redis redis//host||^recsync: --redis: the URL does not start with
--redis redis://:s3cret@h:0||^recsync: --redis: the port
--redis ''||^recsync: --redis: the value is empty
retire --redis redis//host||^recsync: --redis: 
rebuild --yes --redis redis//host||^recsync: --redis: 
--consul http//host||^recsync: --consul: 'http//host': an address is host:port, with no path
--consul http://u:s3cret@h:99999||^recsync: --consul: 'http://u:\*\*\*@h:99999': 
--consul ftp://h||^recsync: --consul: 'ftp://h': only http:// and https://
--consul ''||^recsync: --consul: the value is empty
--group-size 0||^recsync: --group-size: expected a whole number
--group-size x --dry-run||^recsync: --group-size: 
--check-timeout 0s||^recsync: --check-timeout: from 1ms to 24h
--check-timeout soon||^recsync: --check-timeout: expected a duration
--keep x||^recsync: --keep: expected a whole number
--keep 123456789012345678901||^recsync: --keep: expected a whole number
--prefix ''||^recsync: --prefix: the value is empty
--prefix /||^recsync: --prefix: the prefix must not be empty
--set-key ''||^recsync: --set-key: the value is empty
--group ''||^recsync: --group: the value is empty
--rules-dir ''||^recsync: --rules-dir: the value is empty
--promtool ''||^recsync: --promtool: the value is empty
--lock-timeout x||^recsync: --lock-timeout: expected a duration
--lock-timeout x --dry-run||^recsync: --lock-timeout: expected a duration
render --shard 5/2 -o OUT||^recsync: --shard: expected K/N with 0 <= K < N
render --shard 0/2 -o OUT --group-size 0||^recsync: --group-size: 
render --shard 0/2 -o OUT --reload ftp://u:s3cret@h||^recsync: --reload: 'ftp://\*\*\*@h': expected http://
render --shard 0/2 -o OUT --reload ''||^recsync: --reload: the value is empty
--env-file ''||^recsync: --env-file: the value is empty
|RECSYNC_REDIS=redis//host|^recsync: RECSYNC_REDIS: the URL does not start
|REDIS_URL=redis//host|REDIS_URL: the URL does not start
|RECSYNC_GROUP_SIZE=x|^recsync: RECSYNC_GROUP_SIZE: expected a whole number
|CONSUL_HTTP_ADDR=http://u:s3cret@h/x|CONSUL_HTTP_ADDR: 'http://u:\*\*\*@h/x': an address is host:port
|CONSUL_HTTP_SSL=maybe|CONSUL_HTTP_SSL: expected true or false
--env-file ENVF|RECSYNC_CHECK_TIMEOUT=soon|^recsync: .*settings.env:1: RECSYNC_CHECK_TIMEOUT: expected a duration
--env-file ENVF|RECSYNC_REDIS=redis//host|^recsync: .*settings.env:1: RECSYNC_REDIS: the URL does not
--env-file ENVF|CONSUL_HTTP_ADDR=http//h|^recsync: .*settings.env:1: CONSUL_HTTP_ADDR: 'http//h': 
--env-file ENVF --redis redis//host|RECSYNC_REDIS=unix:///x|^recsync: --redis: 
ROWS

# --- the summary written to a full disk: 74, as recsync(1) says
run sh -c 'recsync --prefix "$1" --set-key "$2" --rules-dir "$3" --dry-run "$4" >/dev/full' sh \
	"$PREFIX" "$SETKEY" "$RULES" "$T/sample"
expect "the summary on a full disk: 74" 74 "write error"

# --- a read-only rules directory is 73 and a full one 74, as recsync(1)
# says, with nothing stored anywhere (real file systems, mounted in a mount
# namespace of the run's own)
NS=
if unshare -m true 2>/dev/null; then NS=-m; elif unshare -rm true 2>/dev/null; then NS=-rm; fi
if [ -z "$NS" ]; then
	skip "read-only and full rules directory (unshare -m cannot mount here)"
else
	mkdir -p "$T/fs/full" "$T/fs/ro"
	for how in ro:73 full:74; do
		# shellcheck disable=SC2016 # the script's variables are its own
		run -i "$T/sample" unshare "$NS" sh -c 'fs=$1; shift
			mount -t tmpfs -o size=64k tmpfs "$fs/full" || exit 90
			mount -t tmpfs -o ro tmpfs "$fs/ro" || exit 90
			cat /dev/zero >"$fs/full/filler" 2>/dev/null
			exec "$@"' sh "$T/fs" recsync --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$T/fs/${how%:*}"
		# Read-only is found before the lock (no summary), full on writing.
		if [ "${how%:*}" = ro ]; then
			summary=$(cat "$T/out") want_summary=''
		else
			summary=$(field status) want_summary=${how#*:}
		fi
		if [ "$status" = "${how#*:}" ] && [ "$summary" = "$want_summary" ] && [ -z "$(stored)" ] &&
		    [ "$(rcli SCARD "$SETKEY")" = 0 ]; then
			ok "rules dir ${how%:*}: ${how#*:}, nothing stored"
		else
			fail "rules dir ${how%:*}: ${how#*:}, nothing stored" "status $status" "$(cat "$T/out" "$T/err")" "$(stored)"
		fi
	done
fi

# --- a rules directory that takes no file is found before the lock and
# any work (73), by every run that writes a rule file: not a dry run, a
# plan, touch or status.  Columns: the arguments (DIR a missing directory,
# FILE a file), the status, the message.
: >"$T/settings.file"
while IFS='|' read -r args want pat; do
	argv=()
	for a in $args; do
		case $a in
		DIR) argv+=("$T/no such dir") ;;
		FILE) argv+=("$T/settings.file") ;;
		*) argv+=("$a") ;;
		esac
	done
	requests=$(standin_requests)
	run -i "$T/settings.in" env CONSUL_HTTP_ADDR="$STANDIN_URL" recsync "${argv[@]}"
	expect "recsync $args: $want" "$want" "$pat"
	if [ "$want" = 73 ]; then
		is "recsync $args: no request to Consul, no lock" "$(standin_requests)" "$requests"
	fi
done <<'ROWS'
--rules-dir DIR|73|^recsync: --rules-dir: .*/no such dir: no such directory$
--rules-dir FILE|73|^recsync: --rules-dir: .*/settings.file: not a directory$
retire --rules-dir DIR|73|^recsync: --rules-dir: 
rebuild --yes --rules-dir DIR|73|^recsync: --rules-dir: 
retire --unused-for 90d --yes --rules-dir DIR|73|^recsync: --rules-dir: 
--dry-run --rules-dir DIR|0|would create
rebuild --rules-dir DIR|0|rebuild would add
ROWS
env CONSUL_HTTP_ADDR="$STANDIN_URL" RECSYNC_RULES_DIR="$T/no such dir" recsync </dev/null >"$T/out" 2>"$T/err"; status=$?
expect "RECSYNC_RULES_DIR missing: 73, named" 73 "^recsync: RECSYNC_RULES_DIR: .*no such directory"

# --- first run: everything lands everywhere
run -i "$T/sample" rs
expect "first run exits 0" 0 ""
if [ "$(field new)" = 4 ] && [ "$(field pushed)" = 4 ] && [ "$(field redis)" = 4 ] &&
    [ "$(field input)" = 4 ] && [ "$(field rejected)" = 0 ]; then
	ok "summary: input 4, new 4, pushed 4, in Redis 4"
else
	fail "first-run summary" "$(cat "$T/out")"
fi
is "Consul holds 4 records" "$(stored | wc -l)" 4
file=$(field rule_file)
if [ -f "$file" ] && promtool check rules "$file" >/dev/null 2>&1; then
	ok "the rule file passes promtool"
else
	fail "the rule file passes promtool" "$file"
fi
is "the rule file holds 4 rules" "$(rule_names "$file" | wc -l)" 4
is "Redis maps the record to its expression, UTF-8 intact" "$(rcli GET hke:heavy_expr:a3)" 'avg_over_time(node_load1{env="生产"}[1h] offset 1d)'
is "the Redis set has 4 members" "$(rcli SCARD "$SETKEY")" 4

# --- progress on a terminal only
lacks "no progress line when stderr is a file" 'records' cat "$T/err"
script -qec "'$RECSYNC_BIN/recsync' --prefix '$PREFIX' --set-key '$SETKEY' --rules-dir '$RULES' <'$T/sample' >/dev/null" \
	/dev/null >"$T/tty" 2>&1 </dev/null
if grep -q 'recsync: kvdiff: 0 records' "$T/tty" && grep -q 'recsync: yamlemit: ' "$T/tty" &&
    grep -q 'recsync: redisput: ' "$T/tty"; then
	ok "a progress line for each stage when stderr is a terminal"
else
	fail "progress on a terminal" "$(cat -v "$T/tty")"
fi

# --- records typed on a terminal (script(1) gives the run one): in its
# foreground the run says once that it waits for them and takes them up to
# Ctrl-D; out of it (timeout(1) makes a process group of its own) it
# refuses at once, taking no lock, where the read would have stopped it.
mkdir "$T/rules-tty"
printf '%s\n\004' '{"record":"hke:heavy_expr:typed","expr":"max(up)"}' |
	timeout -s KILL 120 script -qec "'$RECSYNC_BIN/recsync' --prefix '$PREFIX-tty' --set-key '$SETKEY-tty' --rules-dir '$T/rules-tty'; echo \"exit=\$?\"" \
	/dev/null >"$T/tty" 2>&1
if [ "$(grep -c 'reading records from the terminal; end them with Ctrl-D' "$T/tty")" = 1 ] &&
    grep -q 'exit=0' "$T/tty" && PREFIX=$PREFIX-tty stored | grep -q 'heavy_expr:typed"' &&
    [ "$(rcli SISMEMBER "$SETKEY-tty" hke:heavy_expr:typed)" = 1 ]; then
	ok "records typed on the terminal: said once to end them with Ctrl-D, stored"
else
	fail "records typed on the terminal" "$(cat -v "$T/tty")"
fi
# The settings stand-in counts the requests: none, so no lock was taken.
requests=$(standin_requests)
timeout -s KILL 120 script -qec "CONSUL_HTTP_ADDR='$STANDIN_URL' timeout 60 '$RECSYNC_BIN/recsync' --set-key '$SETKEY' --rules-dir '$RULES'; echo \"exit=\$?\"" \
	/dev/null >"$T/tty" 2>&1 </dev/null
if grep -q 'exit=66' "$T/tty" && grep -q 'not in its foreground' "$T/tty" &&
    [ "$(standin_requests)" = "$requests" ]; then
	ok "records read from a terminal out of its foreground: refused, 66, no lock taken"
else
	fail "records read from a terminal out of its foreground" "requests $requests -> $(standin_requests)" \
		"$(cat -v "$T/tty")"
fi

# --- a second run adds nothing, writes no new rule file, and the summary
# names the current one, which still has everything
files_before=$(ls "$RULES")
run -i "$T/sample" rs
expect "second run exits 0" 0 ""
if [ "$(field new)" = 0 ] && [ "$(field pushed)" = 0 ]; then
	ok "second run adds nothing"
else
	fail "second run" "$(cat "$T/out")"
fi
if [ "$(ls "$RULES")" = "$files_before" ] && [ "$(field rule_file)" = "$file" ] &&
    [ "$(field rule_file_changed)" = False ]; then
	ok "a run that changes no rule writes no rule file and names the current one, unchanged"
else
	fail "a run that changes no rule" "$files_before" "$(ls "$RULES")" "$(cat "$T/out")"
fi
is "the current rule file holds the full set" "$(rule_names "$(field rule_file)" | wc -l)" 4
# Paths in the summary are absolute, whatever the options said.
(cd "$T" && run -i /dev/null recsync --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir rules/. --dry-run)
if [ "$(field rule_file)" = "$file" ] && [ "$(field rule_file_changed)" = False ]; then
	ok "--rules-dir given relative: the summary's rule_file is absolute"
else
	fail "--rules-dir relative: rule_file absolute" "$file" "$(cat "$T/out")"
fi
is "still 4 records in Consul" "$(stored | wc -l)" 4

# --- a Redis that lost its data is whole again after the next run
rcli FLUSHALL >/dev/null
run -i /dev/null rs
if [ "$status" = 0 ] && [ "$(field redis)" = 4 ] && [ "$(rcli SCARD "$SETKEY")" = 4 ] &&
    [ "$(rcli GET hke:heavy_expr:a1)" = 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))' ]; then
	ok "Redis emptied: the next run, with no input, writes every stored record again"
else
	fail "Redis repair" "status $status" "$(cat "$T/out")"
fi

# --- a stage that fails stops the run there: Redis unreachable
printf '%s\n' '{"record":"hke:heavy_expr:r1","expr":"min(up)"}' >"$T/r1"
run -i "$T/r1" rs --redis "unix://$T/no-such.sock"
if [ "$status" = 69 ] && [ "$(field status)" = 69 ] && [ "$(field pushed)" = 1 ] && [ "$(field redis)" = 0 ] &&
    stored | grep -q 'heavy_expr:r1"'; then
	ok "Redis unreachable: 69, stored in Consul, summary says so"
else
	fail "Redis unreachable" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
run -i /dev/null rs
if [ "$status" = 0 ] && [ "$(rcli GET hke:heavy_expr:r1)" = 'min(up)' ]; then
	ok "the next run completes what the failed one left"
else
	fail "after Redis came back" "$(cat "$T/out")"
fi

# --- Consul failing at kvpush: the summary counts what was stored, and the
# hard failure outranks the bad line's 65.  A prefix of its own: the fault
# may keep its lock from being released.
records 100 >"$T/f.in"; echo 'not a record' >>"$T/f.in"
if [ "$STANDIN" = 1 ]; then
	fault() { consul_curl -s -X POST --data "$1" "$CONSUL_HTTP_ADDR/_standin/fault" >/dev/null; }
	# Write 1 is the lock's acquire, 2 kvpush's first transaction of 64,
	# 3 to 7 the five tries of its second.
	fault '{"fail_writes":[3,4,5,6,7],"status":500,"body":"No cluster leader"}'
	PREFIX=$PREFIX-fault run -i "$T/f.in" rs
	fault '{}'
	n=$(PREFIX=$PREFIX-fault stored | wc -l)
	if [ "$status" = 75 ] && [ "$(field status)" = 75 ] && [ "$(field new)" = 100 ] &&
	    [ "$(field pushed)" = 64 ] && [ "$n" = 64 ] && [ "$(field redis)" = 0 ]; then
		ok "kvpush failing after one transaction: pushed 64, redis 0, 75 outranks the bad line's 65"
	else
		fail "kvpush failing half way" "status $status, stored $n" "$(cat "$T/out")" "$(cat "$T/err")"
	fi
fi
# A Consul of its own, stopped by promtool, before kvpush: 64 stored
# records passed through by kvdiff and yamlemit, none by kvpush.
python3 "$TESTS/consul-standin" --port 0 --addr-file "$T/gone.addr" >/dev/null 2>&1 & gone=$!
wait_for test -s "$T/gone.addr"
records 64 | kvpush -q --consul "$(cat "$T/gone.addr")" --prefix "$PREFIX" >/dev/null
# It waits until the stand-in no longer answers: kvpush must not race its
# shutdown on a busy machine.
cat >"$T/stop-consul" <<EOF
#!/bin/sh
kill $gone 2>/dev/null
i=0
while curl -s -o /dev/null --max-time 5 "$(cat "$T/gone.addr")/v1/status/leader" && [ \$i -lt 600 ]; do i=\$((i + 1)); sleep 0.05; done
exec promtool "\$@"
EOF
chmod +x "$T/stop-consul"
run -i "$T/f.in" rs --consul "$(cat "$T/gone.addr")" --promtool "$T/stop-consul"
wait "$gone"
if [ "$status" = 69 ] && [ "$(field status)" = 69 ] && [ "$(field new)" = 36 ] && [ "$(field pushed)" = 0 ] &&
    [ "$(field redis)" = 0 ] && grep -q 'kvpush failed' "$T/err"; then
	ok "Consul gone before kvpush: pushed 0 (not less), status 69, not the bad line's 65"
else
	fail "Consul gone before kvpush" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi

# --- --timeout and --retries reach every tool that talks to Consul: a
# stand-in that answers nothing for 5 s, one try of 1 s each
start_standin slow
consul_curl -X POST --data '{"stall_ms":5000}' "$STANDIN_URL/_standin/fault" >/dev/null
run -i "$T/sample" rs --dry-run --consul "$STANDIN_URL" --timeout 1s --retries 0
n=$(consul_curl "$STANDIN_URL/_standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
if [ "$status" = 69 ] && [ "$n" = 1 ] && grep -Eq '^kvdiff: cannot reach Consul.*(too slow|timed out)' "$T/err"; then
	ok "--timeout 1s --retries 0: kvdiff gives up after one try of 1 s"
else
	fail "--timeout and --retries to kvdiff" "status $status, $n requests" "$(cat "$T/err")"
fi
run -i "$T/sample" rs --consul "$STANDIN_URL" --timeout 1s --retries 0
if [ "$status" = 69 ] && grep -Eq '^kvlock: creating a session: cannot reach Consul.*timed out' "$T/err"; then
	ok "--timeout reaches kvlock too"
else
	fail "--timeout to kvlock" "status $status" "$(cat "$T/err")"
fi

# --- README's commands to try things by hand with the stand-in work, on
# free ports and in this test's directory
sed -n '/^python3 tests\/consul-standin --port 8500/,/^kill %1 %2$/p' "$TOP/README.md" |
	sed "s/8500/$(free_port)/g; s/6379/$(free_port)/g; s#/tmp/#$T/byhand-#g; s#^bin/#$RECSYNC_BIN/#" >"$T/byhand.sh"
(cd "$TOP" && run bash -m "$T/byhand.sh")
if [ "$(grep -c . "$T/byhand.sh")" -ge 8 ] && [ "$(grep -c '"status":0' "$T/out")" = 2 ] &&
    [ "$(grep -c '"index":' "$T/out")" = 3 ] && [ -s "$T/byhand-heavy.yml" ]; then
	ok "README: the stand-in started by hand, recsync, kvdiff and render against it"
else
	fail "README's commands by hand" "$(cat "$T/byhand.sh")" "$(cat "$T/out")" "$(tail -5 "$T/err")"
fi

# --- verbosity: -q says nothing, -vv reaches the tools
run -i /dev/null rs -q
expect "-q: a clean run says nothing" 0 ""
run -i /dev/null rs -vv
if [ "$status" = 0 ] && grep -q '^redisput: ' "$T/err" && grep -q '^recsync: kvdiff: kvdiff' "$T/err"; then
	ok "-vv: the stages and the tools' own reports"
else
	fail "-vv" "$(cat "$T/err")"
fi
run -i /dev/null rs -v
lacks "-v: the tools stay quiet" '^redisput: ' cat "$T/err"

# --- --group names the rule group
run -i /dev/null rs --group custom_heavy
is "--group names the group" "$(/usr/bin/python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["groups"][0]["name"])' "$(field rule_file)")" custom_heavy

# --- an expression promtool rejects stays out of Consul and Redis
printf '%s\n' '{"record":"hke:heavy_expr:bad","expr":"sum(rate(x[5m]) by"}' \
	'{"record":"hke:heavy_expr:b1","expr":"max(up)"}' >"$T/mixed"
run -i "$T/mixed" rs
if [ "$status" = 65 ] && [ "$(field rejected)" = 1 ] && [ "$(field pushed)" = 1 ]; then
	ok "one rejected, one pushed, exit 65"
else
	fail "rejected expression" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
lacks "the rejected record is not in Consul" 'heavy_expr:bad' stored
if [ "$(rcli EXISTS hke:heavy_expr:bad)" = 0 ] && [ "$(rcli SISMEMBER "$SETKEY" hke:heavy_expr:bad)" = 0 ]; then
	ok "the rejected record is not in Redis"
else
	fail "the rejected record is not in Redis"
fi
lacks "the rejected record is not in the rule file" bad rule_names "$(field rule_file)"
expect "a rejection is reported at <stdin>:1, the line it came from" 65 "^yamlemit: <stdin>:1: rule hke:heavy_expr:bad: "

# Rejections name the file and line the user wrote, not the line of
# yamlemit's own input (behind the stored records and sorted by kvdiff):
# with several files, and in a rebuild too.  A prefix and rules directory
# of their own, so that the later tests see the store as it was.
SAVED_PREFIX=$PREFIX
new_prefix
mkdir -p "$T/rules-where"
printf '%s\n' '{"record":"hke:heavy_expr:zz1","expr":"avg(up)"}' \
	'{"record":"hke:heavy_expr:aa_bad","expr":"rate(x[5m]"}' >"$T/where1"
printf '%s\n' '{"record":"hke:heavy_expr:mm_bad","expr":"sum("}' '' \
	'{"record":"hke:heavy_expr:mm2","expr":"min(up)"}' \
	'{"record":"hke:heavy_expr:ab_bad","expr":"max(up) by"}' >"$T/where2"
run rs --rules-dir "$T/rules-where" "$T/where1" "$T/where2"
expect "several files: the first rejection at its file:line" 65 "^yamlemit: $T/where1:2: rule hke:heavy_expr:aa_bad: "
expect "several files: the second file's at its lines" 65 "^yamlemit: $T/where2:1: rule hke:heavy_expr:mm_bad: "
expect "several files: after a blank line" 65 "^yamlemit: $T/where2:4: rule hke:heavy_expr:ab_bad: "
if [ "$(grep -c '^yamlemit: .*: rule ' "$T/err")" = 3 ] && ! grep -q '<stdin>' "$T/err"; then
	ok "several files: three rejections, none at <stdin>"
else
	fail "several files: three rejections, none at <stdin>" "$(cat "$T/err")"
fi
if [ "$(field rejected)" = 3 ] && [ "$(field pushed)" = 2 ]; then
	ok "several files: 3 rejected, 2 pushed"
else
	fail "several files: 3 rejected, 2 pushed" "$(cat "$T/out")"
fi
PREFIX=$SAVED_PREFIX

# --- a promtool that hangs: stopped after --check-timeout (or the env
# file's RECSYNC_CHECK_TIMEOUT), 69, nothing stored
printf '#!/bin/sh\nexec sleep 600\n' >"$T/hung-promtool"
chmod +x "$T/hung-promtool"
printf '%s\n' '{"record":"hke:heavy_expr:hung1","expr":"min(up)"}' >"$T/hung.in"
printf 'RECSYNC_CHECK_TIMEOUT=1s\n' >"$T/hung.env"
for how in --check-timeout --env-file; do
	case $how in
	--check-timeout) setting=(--check-timeout 1s) ;;
	--env-file) setting=(--env-file "$T/hung.env") ;;
	esac
	run -i "$T/hung.in" rs --promtool "$T/hung-promtool" "${setting[@]}"
	if [ "$status" = 69 ] && [ "$(field status)" = 69 ] && [ "$(field pushed)" = 0 ] &&
	    grep -q 'promtool' "$T/err"; then
		ok "a hung promtool, $how: 69, nothing pushed"
	else
		fail "a hung promtool, $how" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
	fi
	lacks "a hung promtool, $how: nothing in Consul" 'heavy_expr:hung1' stored
done

# --- the tools recsync runs are those of $RECSYNC_BIN (the sanitizer build
# in its pass): promtool says which yamlemit started it
cat >"$T/which-promtool" <<EOF
#!/bin/sh
readlink /proc/\$PPID/exe >>"$T/checker"
exec promtool "\$@"
EOF
chmod +x "$T/which-promtool"
run -i "$T/sample" rs --dry-run --promtool "$T/which-promtool"
if [ "$status" = 0 ] && [ "$(sort -u "$T/checker" 2>/dev/null)" = "$(readlink -f "$RECSYNC_BIN/yamlemit")" ]; then
	ok "recsync runs the yamlemit of \$RECSYNC_BIN"
else
	fail "recsync runs the yamlemit of \$RECSYNC_BIN" "status $status" "$(cat "$T/checker" 2>&1)" "$(cat "$T/err")"
fi

# --- --dry-run writes nothing anywhere
before_files=$(nfiles "$RULES")
printf '%s\n' '{"record":"hke:heavy_expr:dry","expr":"min(up)"}' >"$T/dry"
run -i "$T/dry" rs --dry-run
if [ "$status" = 0 ] && [ "$(field dry_run)" = True ] && [ "$(field new)" = 1 ]; then
	ok "--dry-run plans one new record"
else
	fail "--dry-run" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
lacks "--dry-run: nothing in Consul" 'heavy_expr:dry' stored
is "--dry-run: nothing in Redis" "$(rcli EXISTS hke:heavy_expr:dry)" 0
is "--dry-run: no rule file written" "$(nfiles "$RULES")" "$before_files"

# --- retire --dry-run: the counts that would remain, each key and Redis
# name it would remove listed, nothing changed
sed -n '1p;2p' "$T/sample" >"$T/retire"
keys_before=$(stored) scard_before=$(rcli SCARD "$SETKEY") files_before=$(ls "$RULES")
run -i "$T/retire" rs retire --dry-run
if [ "$status" = 0 ] && [ "$(field removed)" = 2 ] && [ "$(field redis_removed)" = 2 ] &&
    [ "$(field rules)" = $(($(stored | wc -l) - 2)) ] && [ "$(field rule_file_changed)" = True ] &&
    [ "$(field dry_run)" = True ] &&
    grep -Eq "^recsync: dry run: would remove $PREFIX/[0-9]+ \(hke:heavy_expr:a1\)$" "$T/err" &&
    grep -q '^recsync: dry run: would remove hke:heavy_expr:a2 from Redis$' "$T/err"; then
	ok "retire --dry-run: the rules that would remain, the keys and names it would remove"
else
	fail "retire --dry-run" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
if [ "$(stored)" = "$keys_before" ] && [ "$(rcli SCARD "$SETKEY")" = "$scard_before" ] &&
    [ "$(ls "$RULES")" = "$files_before" ]; then
	ok "retire --dry-run: nothing removed anywhere"
else
	fail "retire --dry-run changed something"
fi

# --- a jq that fails (it reads the records of every plan and listing)
# fails the run: never a plan with parts missing and exit 0.  Columns: the
# arguments, FILE the records to retire.
mkdir -p "$T/badjq"
printf '#!/bin/sh\necho "jq: broken" >&2\nexit 5\n' >"$T/badjq/jq"
chmod +x "$T/badjq/jq"
while IFS='|' read -r args; do
	argv=()
	for a in $args; do if [ "$a" = FILE ]; then argv+=("$T/retire"); else argv+=("$a"); fi; done
	run env PATH="$T/badjq:$PATH" recsync "${argv[@]}" --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES"
	expect "recsync $args with a failing jq: 70" 70 "^recsync: jq failed"
	is "recsync $args with a failing jq: the summary says 70" "$(field status)" 70
done <<'ROWS'
retire --dry-run FILE
retire -q --dry-run FILE
rebuild FILE
retire --unused-for 90d
ROWS

# --- retire: out of Consul, Redis and the rule file
run -i "$T/retire" rs retire
if [ "$status" = 0 ] && [ "$(field removed)" = 2 ] && [ "$(field redis_removed)" = 2 ] &&
    [ "$(field rules)" = "$(stored | wc -l)" ]; then
	ok "retire removes 2 records; the summary counts them"
else
	fail "retire" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
lacks "retired records gone from Consul" 'heavy_expr:a[12]"' stored
if [ "$(rcli EXISTS hke:heavy_expr:a1)" = 0 ] && [ "$(rcli SISMEMBER "$SETKEY" hke:heavy_expr:a2)" = 0 ]; then
	ok "retired records gone from Redis"
else
	fail "retired records gone from Redis"
fi
is "the rule file is written anew without them" "$(rule_names "$(field rule_file)" | tr '\n' ' ')" "hke:heavy_expr:a3 hke:heavy_expr:a4 hke:heavy_expr:b1 hke:heavy_expr:r1 "

# --- rebuild: the plan does nothing; --yes makes the stores hold exactly the input
consul_curl -X PUT --data-binary "$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3?raw")" \
	"$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/40" >/dev/null		# a duplicate of /3
rcli SET hke:heavy_expr:stale 'up' >/dev/null; rcli SADD "$SETKEY" hke:heavy_expr:stale >/dev/null
printf '%s\n' '{"record":"hke:heavy_expr:a4","expr":"count by (le) (rate(x_bucket{path!~\"/health.*\"}[5m])) > 0"}' \
	'{"record":"hke:heavy_expr:a3","expr":"avg_over_time(node_load1{env=\"生产\"}[1h] offset 1d)"}' \
	'{"record":"hke:heavy_expr:c1","expr":"sum(up)"}' >"$T/want"
keys_before=$(stored)
scard_before=$(rcli SCARD "$SETKEY") files_before=$(nfiles "$RULES")
run -i "$T/want" rs rebuild
if [ "$status" = 0 ] && [ "$(field add)" = 1 ] && [ "$(field remove)" = 2 ] && [ "$(field duplicates)" = 1 ] &&
    [ "$(stored)" = "$keys_before" ] && [ "$(rcli SCARD "$SETKEY")" = "$scard_before" ] &&
    [ "$(rcli EXISTS hke:heavy_expr:stale)" = 1 ] && [ "$(nfiles "$RULES")" = "$files_before" ] &&
    grep -q '  add hke:heavy_expr:c1' "$T/err" && grep -q '  remove hke:heavy_expr:b1' "$T/err"; then
	ok "rebuild without --yes: a plan, nothing changed"
else
	fail "rebuild plan" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
# -q: the plan's summary only, no names (recsync(1): only warnings and errors).
run -i "$T/want" rs rebuild -q
expect "rebuild -q without --yes: nothing on stderr" 0 ""
is "rebuild -q without --yes: the plan's summary" "$(field remove) $(field dry_run)" "2 True"
# Kept records must never be absent: every command Redis runs is logged
# (MONITOR) and none may remove them, and their Consul keys must be the
# very ones they were (the first key of each, by its CreateIndex), never
# deleted and written again.
create_index() {
	consul_curl -s "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/?recurse" | python3 -c '
import base64, json, sys
first = {}
for e in json.load(sys.stdin):
    v, n = json.loads(base64.b64decode(e["Value"])), int(e["Key"].rsplit("/", 1)[1])
    if v["record"] in ("hke:heavy_expr:a3", "hke:heavy_expr:a4"):
        first[v["record"]] = min(first.get(v["record"], (n, 0)), (n, e["CreateIndex"]))
for r, (n, c) in sorted(first.items()):
    print(r, n, c)'
}
create_index >"$T/ci.before"
rcli MONITOR >"$T/monitor" 2>&1 &
monitor=$!
wait_for grep -q OK "$T/monitor"
run -i "$T/want" rs rebuild --yes
rcli PING >/dev/null		# the monitor has seen everything before it
kill "$monitor"; wait "$monitor" 2>/dev/null
grep -E '"(DEL|UNLINK|SREM|FLUSHDB|FLUSHALL)"' "$T/monitor" |
	grep -E 'hke:heavy_expr:a[34]"|FLUSH' >"$T/absent"
create_index >"$T/ci.after"
cmp -s "$T/ci.before" "$T/ci.after" || echo "consul: $(cat "$T/ci.before") -> $(cat "$T/ci.after")" >>"$T/absent"
[ -s "$T/monitor" ] && grep -q '"SADD"' "$T/monitor" || echo "the monitor saw no SADD" >>"$T/absent"
is "rebuild --yes exits 0" "$status" 0
if [ "$(stored | python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["record"] for l in sys.stdin)))')" = \
    "hke:heavy_expr:a3 hke:heavy_expr:a4 hke:heavy_expr:c1" ]; then
	ok "Consul holds exactly the input"
else
	fail "Consul after rebuild" "$(stored)"
fi
is "rebuild removed the duplicate key" "$(kvdiff -q --duplicates --prefix "$PREFIX" </dev/null | wc -l)" 0
if [ "$(rcli SMEMBERS "$SETKEY" | sort | tr '\n' ' ')" = "hke:heavy_expr:a3 hke:heavy_expr:a4 hke:heavy_expr:c1 " ] &&
    [ "$(rcli EXISTS hke:heavy_expr:stale)" = 0 ]; then
	ok "Redis holds exactly the input"
else
	fail "Redis after rebuild" "$(rcli SMEMBERS "$SETKEY")"
fi
if [ ! -s "$T/absent" ]; then
	ok "a kept record was never absent during the rebuild"
else
	fail "a kept record was never absent" "$(head -5 "$T/absent")"
fi
is "the rule file holds exactly the input" "$(rule_names "$(field rule_file)" | tr '\n' ' ')" "hke:heavy_expr:a3 hke:heavy_expr:a4 hke:heavy_expr:c1 "

# --- render: three shards, disjoint, together the whole set
records 30 | rs >/dev/null 2>&1
total=$(stored | wc -l)
for k in 0 1 2; do
	run rs render --shard "$k/3" -o "$T/shard$k.yml"
	if [ "$status" != 0 ] || [ "$(field changed)" != True ]; then
		fail "render shard $k" "$(cat "$T/out")" "$(cat "$T/err")"
	fi
	promtool check rules "$T/shard$k.yml" >/dev/null 2>&1 || fail "shard $k passes promtool"
	rule_names "$T/shard$k.yml" >"$T/names$k"
done
is "the 3 shards together hold all $total records" "$(cat "$T"/names[012] | sort -u | wc -l)" "$total"
is "no record is in two shards" "$(cat "$T"/names[012] | sort | uniq -d | wc -l)" 0
run rs render --shard 1/3 -o "$T/shard1.yml"
is "render again: unchanged, file left alone" "$(field changed)" False

# Consul unreachable: the file stays as it was
cp "$T/shard0.yml" "$T/shard0.before"
run rs render --shard 0/3 -o "$T/shard0.yml" --consul "127.0.0.1:$(free_port)"
if [ "$status" = 69 ] && [ "$(field changed)" = False ] && cmp -s "$T/shard0.yml" "$T/shard0.before"; then
	ok "render with Consul unreachable: 69, the file untouched"
else
	fail "render, Consul unreachable" "status $status" "$(cat "$T/out")"
fi

# a failed reload leaves the file as it was, so the next run tries again
cp "$T/shard1.yml" "$T/shard1.before"
records 3 700 | rs >/dev/null 2>&1
run rs render --shard 1/3 -o "$T/shard1.yml" --reload "http://127.0.0.1:$(free_port)"
if [ "$status" = 69 ] && [ "$(field changed)" = False ] && cmp -s "$T/shard1.yml" "$T/shard1.before"; then
	ok "a failed reload: 69 and the old file put back"
else
	fail "failed reload" "status $status" "$(cat "$T/out")"
fi
run rs render --shard 1/3 -o "$T/shard1.yml" --dry-run --reload "http://127.0.0.1:$(free_port)"
if [ "$status" = 0 ] && [ "$(field changed)" = True ] && [ "$(field reloaded)" = False ] &&
    cmp -s "$T/shard1.yml" "$T/shard1.before"; then
	ok "render --dry-run: changed, but nothing written or reloaded"
else
	fail "render --dry-run" "status $status" "$(cat "$T/out")"
fi
run rs render --shard 1/3 -o "$T/shard1.yml"
is "the next render sees the change again" "$(field changed)" True
# A dry run creates nothing beside the file, even for a moment: the
# directory's mtime would move.  Through a symbolic link, the file it
# points to is replaced and keeps its mode.
mkdir -p "$T/prom/real"
cp "$T/shard1.before" "$T/prom/real/shard.yml"; chmod 640 "$T/prom/real/shard.yml"
ln -s real/shard.yml "$T/prom/live.yml"
sleep 0.1
dirs_before=$(stat -c %y "$T/prom" "$T/prom/real")
run rs render --shard 1/3 -o "$T/prom/live.yml" --dry-run
if [ "$status" = 0 ] && [ "$(field changed)" = True ] && [ "$dirs_before" = "$(stat -c %y "$T/prom" "$T/prom/real")" ] &&
    cmp -s "$T/prom/real/shard.yml" "$T/shard1.before"; then
	ok "render --dry-run creates no file at all beside the output"
else
	fail "render --dry-run wrote in the output's directory" "status $status" "$(cat "$T/out")" "$(ls -la "$T/prom" "$T/prom/real")"
fi
run rs render --shard 1/3 -o "$T/prom/live.yml"
if [ "$status" = 0 ] && [ "$(field changed)" = True ] && [ -L "$T/prom/live.yml" ] &&
    cmp -s "$T/prom/real/shard.yml" "$T/shard1.yml" && [ "$(stat -c %a "$T/prom/real/shard.yml")" = 640 ]; then
	ok "render through a symbolic link: the link stays, the file it points to is replaced, its mode kept"
else
	fail "render through a symbolic link" "status $status" "$(cat "$T/out")" "$(ls -la "$T/prom" "$T/prom/real")"
fi
run rs render --shard 1/3 -o /dev/null
expect "render refuses to replace what is not a regular file" 73 "not a regular file"
if [ -c /dev/null ]; then
	ok "/dev/null is still a device"
else
	fail "/dev/null is still a device"
fi
run rs render --shard 0/3 --group-size 2 -o "$T/grouped.yml"
is "--group-size splits the rules into groups" "$(/usr/bin/python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); print(all(len(g["rules"]) <= 2 for g in d["groups"]) and len(d["groups"]) > 1)' "$T/grouped.yml")" True

# render --reload against a real Prometheus that loads the shard (and
# another rule file, to be broken below)
port=$(free_port)
cat >"$T/prom.yml" <<EOF
global: {evaluation_interval: 1s}
rule_files: ["$T/shard2.yml", "$T/other.yml"]
EOF
printf 'groups: []\n' >"$T/other.yml"
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/promdata" \
	--web.listen-address="127.0.0.1:$port" --web.enable-lifecycle >"$T/prom.log" 2>&1 &
PIDS="$PIDS $!"
if wait_for curl -sf "http://127.0.0.1:$port/-/ready"; then
	records 3 500 | rs >/dev/null 2>&1
	run rs render --shard 2/3 -o "$T/shard2.yml" --reload "http://127.0.0.1:$port"
	if [ "$(field changed)" = True ] && [ "$(field reloaded)" = True ]; then
		ok "render --reload: changed and reloaded"
	else
		fail "render --reload" "$(cat "$T/out")" "$(cat "$T/err")"
	fi
	n=$(curl -s "http://127.0.0.1:$port/api/v1/rules" | python3 -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
	if [ "$n" = "$(rule_names "$T/shard2.yml" | wc -l)" ]; then
		ok "Prometheus serves the shard's $n rules after the reload"
	else
		fail "Prometheus rules after reload" "$n"
	fi
	# A record another writer stored that Prometheus would refuse: named
	# by its key, left out, the rest of the share rendered and reloaded,
	# 65.  Key 3002 is in shard 2 of 3.
	consul_curl -X PUT --data-binary '{"record":"hke:heavy_expr:foreign","expr":"sum(rate(x[5m]) by"}' \
		"$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3002" >/dev/null
	records 3 600 | rs >/dev/null 2>&1
	run rs render --shard 2/3 -o "$T/shard2.yml" --reload "http://127.0.0.1:$port"
	n=$(curl -s "http://127.0.0.1:$port/api/v1/rules" | python3 -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
	if [ "$status" = 65 ] && [ "$(field rejected)" = 1 ] && [ "$(field changed)" = True ] &&
	    [ "$(field reloaded)" = True ] && [ "$n" = "$(field rules)" ] &&
	    grep -q "^recsync: render: $PREFIX/3002 (hke:heavy_expr:foreign) is stored but promtool refuses it" "$T/err" &&
	    promtool check rules "$T/shard2.yml" >/dev/null 2>&1 && ! grep -q foreign "$T/shard2.yml"; then
		ok "render: a stored record promtool refuses is named and left out, the rest reloaded, 65"
	else
		fail "render with a record Prometheus would refuse" "status $status, Prometheus has $n rules" \
			"$(cat "$T/out")" "$(cat "$T/err")"
	fi
	consul_curl -X DELETE "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3002" >/dev/null
	# Prometheus refusing the reload (another of its rule files broken):
	# its answer is shown, the shard put back, 69.
	printf 'groups: [{name: x, rules: [{record: y, expr: "sum("}]}]\n' >"$T/other.yml"
	records 3 800 | rs >/dev/null 2>&1
	cp "$T/shard2.yml" "$T/shard2.before"
	run rs render --shard 2/3 -o "$T/shard2.yml" --reload "http://127.0.0.1:$port"
	if [ "$status" = 69 ] && [ "$(field reloaded)" = False ] && cmp -s "$T/shard2.yml" "$T/shard2.before" &&
	    grep -q "reloading Prometheus at http://127.0.0.1:$port failed: HTTP 500: failed to reload config" "$T/err"; then
		ok "a reload Prometheus refuses: its answer shown, 69, the old file put back"
	else
		fail "a reload Prometheus refuses" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
	fi
	printf 'groups: []\n' >"$T/other.yml"
else
	fail "prometheus starts" "$(tail -5 "$T/prom.log")"
fi

# --- two concurrent runs on overlapping input: the second waits for the
# first (held by a promtool that waits until the second says it waits: no
# sleep that a busy machine could outlast); no record twice, no index reused
new_prefix
records 150 1 >"$T/c1"; records 150 100 >"$T/c2"
printf '#!/bin/sh\nwhile [ ! -e "%s" ]; do sleep 0.05; done\nexec promtool "$@"\n' "$T/c.go" >"$T/slow-check"
chmod +x "$T/slow-check"
SETKEY=$SETKEY-c rs --promtool "$T/slow-check" <"$T/c1" >"$T/r1" 2>"$T/e1" & p1=$!
wait_for sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock' | grep -q Session"
SETKEY=$SETKEY-c rs <"$T/c2" >"$T/r2" 2>"$T/e2" & p2=$!
wait_for grep -q 'held by' "$T/e2"
touch "$T/c.go"
wait $p1; s1=$?; wait $p2; s2=$?
if [ "$s1" = 0 ] && [ "$s2" = 0 ] && grep -q 'held by' "$T/e2"; then
	ok "two concurrent runs both succeed, the second after waiting for the first"
else
	fail "concurrent runs" "$s1 $s2" "$(cat "$T/e1" "$T/e2")"
fi
stored >"$T/after"
if [ "$(wc -l <"$T/after")" = 249 ] && [ "$(kvdiff -q --duplicates --prefix "$PREFIX" </dev/null | wc -l)" = 0 ]; then
	ok "249 distinct records, none stored twice"
else
	fail "concurrent: records" "$(wc -l <"$T/after")"
fi
is "249 distinct indexes" "$(python3 -c 'import json,sys; print(len({json.loads(l)["index"] for l in open(sys.argv[1])}))' "$T/after")" 249
cat "$T/c1" "$T/c2" | python3 -c 'import json,sys; print("\n".join(sorted({json.loads(l)["record"] for l in sys.stdin})))' >"$T/union"
rcli SMEMBERS "$SETKEY-c" | LC_ALL=C sort >"$T/members"
if cmp -s "$T/union" "$T/members"; then
	ok "Redis holds the union of both inputs"
else
	fail "concurrent: Redis" "$(diff "$T/union" "$T/members" | head -5)"
fi

# --- the lock: a run waits for a holder (held until the run is over), then
# gives up clearly
kvlock --prefix "$PREFIX" -- sh -c "while [ ! -e '$T/held.go' ]; do sleep 0.05; done" & holder=$!
wait_for sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock' | grep -q Session"
run -i "$T/sample" rs --lock-timeout 1s
if [ "$status" = 75 ] && grep -q 'held by' "$T/err"; then
	ok "a held lock: gives up after --lock-timeout with 75"
else
	fail "held lock" "status $status" "$(cat "$T/err")"
fi
# Who holds it, since when as a date, and whether its session is alive;
# once the session is gone, Consul's lock-delay still keeps the lock.
since='since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
has "held by: the holder's pid, host, since as a date, its session alive" "held by pid $holder on [^ ]+ $since, whose session is alive; gave up" "$T/err"
sid=$(consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Session"])')
consul_curl -X PUT "$CONSUL_HTTP_ADDR/v1/session/destroy/$sid" >/dev/null
run -i "$T/sample" rs --lock-timeout 1s
if [ "$status" = 75 ] && grep -Eq "held by pid $holder on [^ ]+ $since, whose session is gone \(Consul's lock-delay" "$T/err"; then
	ok "held by, the session gone: says so, and that lock-delay holds the lock"
else
	fail "held by, session gone" "status $status" "$(cat "$T/err")"
fi
touch "$T/held.go"; wait "$holder" 2>/dev/null
new_prefix	# lock-delay keeps the old one 15 s
# "seconds" is the whole run, the wait for the lock included, and
# "lock_wait_seconds" that wait: the holder lets go 2 s after the run
# said it waits, at the earliest.
kvlock --prefix "$PREFIX" -- sh -c "while [ ! -e '$T/let-go' ]; do sleep 0.1; done" 2>"$T/holder.err" & holder=$!
wait_for sh -c "curl -s '$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock' | grep -q Session"; held=$?
rs --lock-timeout 2m <"$T/sample" >"$T/out" 2>"$T/err" & waiter=$!
wait_for grep -q 'held by' "$T/err"; waited=$?
sleep 2
touch "$T/let-go"
wait "$holder"; wait "$waiter"; status=$?
if [ "$held" = 0 ] && [ "$waited" = 0 ] && [ "$status" = 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["lock_wait_seconds"] >= 2 and d["seconds"] >= d["lock_wait_seconds"]))' "$T/out"; then
	ok "a run that waited for the lock: lock_wait_seconds >= 2 and seconds counts it"
else
	fail "seconds and lock_wait_seconds" "status $status, the holder held: $held, the run said it waits: $waited" \
		"$(cat "$T/out")" "$(cat "$T/err")" "holder: $(cat "$T/holder.err")"
fi
run -i /dev/null rs --dry-run
is "a dry run takes no lock: lock_wait_seconds 0" "$(field lock_wait_seconds)" 0.0

# --- a run killed outright keeps the lock for 2 x TTL (Consul's grace)
# after kvlock's last renewal, plus the lock-delay: 2 x 30 s + 15 s = 75 s
# at most, as recsync(1) says.  Timed on a stand-in of its own whose TTLs
# and delays run 5 times faster: at least 15 s from before the session was
# created.
start_standin fast --ttl-scale 0.2
t0=$EPOCHREALTIME
kvlock --consul "$STANDIN_URL" --prefix "$PREFIX" -- \
	sh -c "echo \$\$ >'$T/killed.pid'; exec sleep 600" & killed=$!
if wait_for test -s "$T/killed.pid"; then
	kill -KILL "$killed" "$(cat "$T/killed.pid")"; wait "$killed" 2>/dev/null
	run kvlock --consul "$STANDIN_URL" --prefix "$PREFIX" --lock-timeout 60s -- \
		sh -c "date +%s.%N >'$T/acquired'"
	if [ "$status" = 0 ] && python3 -c 'import sys; sys.exit(not float(open(sys.argv[1]).read()) - float(sys.argv[2]) >= 15)' \
	    "$T/acquired" "$t0" && grep -q 'whose session is alive; waiting' "$T/err"; then
		ok "a killed holder's session stays alive; the lock is free after 2 x TTL + lock-delay (15 s scaled), not before"
	else
		fail "a killed holder's lock" "status $status, acquired $(cat "$T/acquired" 2>&1), started $t0" "$(cat "$T/err")"
	fi
else
	fail "a holder to kill takes the lock"
fi

# --- SIGTERM and SIGHUP stop the running stage before the lock goes
cat >"$T/slow-promtool" <<SH
#!/bin/sh
echo \$PPID >"$T/stage.pid"
echo \$\$ >"$T/promtool.pid"
exec sleep 30
SH
chmod +x "$T/slow-promtool"
printf '%s\n' '{"record":"hke:heavy_expr:term","expr":"max(up)"}' >"$T/term.in"
for sig in TERM:143 HUP:129; do
	rm -f "$T/stage.pid"
	recsync --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES" \
		--promtool "$T/slow-promtool" "$T/term.in" >"$T/term.out" 2>&1 &
	top=$!
	if wait_for test -s "$T/stage.pid"; then
		kill -"${sig%:*}" "$top"; wait "$top"; st=$?
		kill -0 "$(cat "$T/stage.pid")" 2>/dev/null; alive=$?
		if [ "$st" = "${sig#*:}" ] && [ "$alive" != 0 ]; then
			ok "SIG${sig%:*}: the running stage is stopped, exit ${sig#*:}"
		else
			fail "SIG${sig%:*}" "status $st, stage alive: $alive" "$(cat "$T/term.out")"
		fi
		lacks "SIG${sig%:*}: nothing reached Consul" 'heavy_expr:term' stored
		kill "$(cat "$T/promtool.pid")" 2>/dev/null
	else
		kill "$top" 2>/dev/null
		fail "SIG${sig%:*}: the slow promtool started"
	fi
done

# --- SIGINT stops a run with --metrics-file (kvlock then runs in the
# background of recsync, which ignores SIGINT for it) at once: 130, the
# stalled stage stopped, the lock let go, and the metrics say 130.  Redis
# is a socket that takes connections and never answers; the signal comes
# from a parent that leaves SIGINT at its default, as cron does.
cat >"$T/hang-redis" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
held = []
while True:
    held.append(s.accept()[0])
    open(sys.argv[2], "w").write("accepted")
PY
python3 "$T/hang-redis" "$T/hang.sock" "$T/hang.accepted" & PIDS="$PIDS $!"
mkdir -p "$T/int-metrics"
printf '%s\n' '{"record":"hke:heavy_expr:int","expr":"max(up)"}' >"$T/int.in"
if wait_for test -S "$T/hang.sock"; then
	env --default-signal=INT,QUIT recsync --prefix "$PREFIX" \
		--rules-dir "$RULES" --redis "unix://$T/hang.sock" --set-key "$SETKEY-int-$$" \
		--metrics-file "$T/int-metrics/recsync.prom" "$T/int.in" >"$T/int.out" 2>"$T/int.err" &
	top=$!
	if wait_for test -s "$T/hang.accepted"; then
		kill -INT "$top"
		wait_exit "$top"
		if [ "$status" = 130 ] && ! pgrep -f "redisput.*$SETKEY-int-$$" >/dev/null &&
		    ! curl -s "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock" | grep -q Session &&
		    grep -q '^recsync_last_run_exit_status{command="sync"} 130$' "$T/int-metrics/recsync.prom"; then
			ok "SIGINT with --metrics-file: 130 at once, the stage stopped, the lock let go, the metrics say 130"
		else
			fail "SIGINT with --metrics-file" "status $status" "$(cat "$T/int.err")" \
				"$(cat "$T/int-metrics/recsync.prom" 2>&1)"
		fi
	else
		kill "$top"; wait "$top"
		fail "SIGINT with --metrics-file: the run reached Redis" "$(cat "$T/int.err")"
	fi
else
	fail "the Redis that never answers starts"
fi

# The same with Ctrl-C typed on a terminal (script(1) gives the run one):
# kvlock gives the terminal to the group of the run under the lock, so
# the interrupt reaches only that group, which must not ignore it.
rm -f "$T/hang.accepted"
mkfifo "$T/ctl"
# shellcheck disable=SC2016 # the inner shell's own $?
script -qec "'$RECSYNC_BIN/recsync' --prefix '$PREFIX' --rules-dir '$RULES' \
	--redis 'unix://$T/hang.sock' --set-key '$SETKEY-int-$$' \
	--metrics-file '$T/int-metrics/recsync.prom' '$T/int.in'; echo \"exit=\$?\"" \
	/dev/null <"$T/ctl" >"$T/tty" 2>&1 &
top=$!
exec {ctl}>"$T/ctl"
if wait_for test -s "$T/hang.accepted"; then
	printf '\003' >&"$ctl"
	wait_exit "$top"
	if grep -q 'exit=130' "$T/tty" && ! pgrep -f "redisput.*$SETKEY-int-$$" >/dev/null &&
	    ! curl -s "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX.lock" | grep -q Session; then
		ok "Ctrl-C on a terminal with --metrics-file: 130 at once, the stage stopped, the lock let go"
	else
		fail "Ctrl-C on a terminal with --metrics-file" "status $status" "$(cat -v "$T/tty")"
	fi
else
	kill "$top"; wait "$top"
	fail "Ctrl-C on a terminal: the run reached Redis" "$(cat -v "$T/tty")"
fi
exec {ctl}>&-

# --- rebuild: a rejection is reported at the file:line the user wrote
new_prefix
printf '%s\n' '{"record":"rw:z","expr":"up"}' '{"record":"rw:a","expr":"sum("}' >"$T/rw"
run rs rebuild --yes "$T/rw"
expect "rebuild: the rejection at its file:line" 65 "^yamlemit: $T/rw:2: rule rw:a: "
is "rebuild: the good record stored, the refused one not" "$(stored | sed 's/"tracked_since":"[^"]*",//')" '{"record":"rw:z","expr":"up","index":1}'

# --- rebuild corner cases: bad input lines remove nothing; a record stored
# twice and no longer wanted goes whole; retiring one key of a record
# stored twice leaves its Redis mapping
new_prefix
printf '%s\n' '{"record":"rb:a","expr":"up"}' '{"record":"rb:b","expr":"up"}' \
	'{"record":"rb:c","expr":"up"}' >"$T/rb"
rs <"$T/rb" >/dev/null 2>&1
printf '%s\n' '{"record":"rb:a","expr":"up"}' '{"record":"rb:b","expr":"up"' \
	'{"record":"rb:c","expr":"up"}' >"$T/rb.bad"
run -i "$T/rb.bad" rs rebuild --yes
if [ "$status" = 65 ] && [ "$(field removed)" = 0 ] && [ "$(stored | wc -l)" = 3 ] &&
    [ "$(rcli SISMEMBER "$SETKEY" rb:b)" = 1 ] && grep -q 'nothing is removed' "$T/err"; then
	ok "rebuild with a bad input line removes nothing"
else
	fail "rebuild with a bad line" "status $status" "$(cat "$T/out")" "$(stored)"
fi
consul_curl -X PUT --data-binary '{"record":"rb:b","expr":"up"}' "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/9" >/dev/null
kvdiff -q --duplicates --prefix "$PREFIX" </dev/null >"$T/rb.dup"
run -i "$T/rb.dup" rs retire
if [ "$status" = 0 ] && [ "$(stored | grep -c 'rb:b')" = 1 ] && [ "$(rcli EXISTS rb:b)" = 1 ]; then
	ok "retiring a duplicate key keeps the record's Redis mapping"
else
	fail "retire a duplicate key" "status $status" "$(cat "$T/err")" "$(stored)"
fi
consul_curl -X PUT --data-binary '{"record":"rb:b","expr":"up"}' "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/10" >/dev/null
printf '%s\n' '{"record":"rb:a","expr":"up"}' >"$T/rb.a"
run -i "$T/rb.a" rs rebuild --yes
if [ "$status" = 0 ] && [ "$(stored | wc -l)" = 1 ] && [ "$(rcli SMEMBERS "$SETKEY")" = rb:a ]; then
	ok "rebuild removes a record stored twice, every key of it"
else
	fail "rebuild with a duplicated gone record" "status $status" "$(cat "$T/out")" "$(stored)"
fi

# --- input: "-" among files is standard input, read once
printf '%s\n' '{"record":"in:b","expr":"up"}' >"$T/in.b"
run -i "$T/in.b" rs --dry-run "$T/rb.a" -
if [ "$status" = 0 ] && [ "$(field input)" = 2 ] && [ "$(field new)" = 1 ]; then
	ok "a file and - together: both read"
else
	fail "file and -" "$(cat "$T/out")" "$(cat "$T/err")"
fi
# stages: the stage lines of $T/err, without their arguments (work files).
stages() { grep -o '^recsync: [a-z]*: [a-z]*' "$T/err"; }
run -i /dev/null rs --dry-run -vv
s1=$status vv=$(stages) tools1=$(grep -c '^redisput: ' "$T/err")
run -i /dev/null rs --dry-run -v -v
if [ "$s1" = 0 ] && [ "$status" = 0 ] && [ -n "$vv" ] && [ "$vv" = "$(stages)" ] &&
    [ "$tools1" -gt 0 ] && [ "$tools1" = "$(grep -c '^redisput: ' "$T/err")" ] &&
    grep -q '^recsync: kvdiff: kvdiff' "$T/err"; then
	ok "-vv is -v -v: the same stage lines and tool reports"
else
	fail "-vv" "$vv" "$(cat "$T/err")"
fi

# --- messages never show a reload URL's password; the summary stays JSON
run rs render --shard 0/1 -o "$T/tab	dir.yml" --reload "http://admin:s3cret@127.0.0.1:$(free_port)"
if [ "$status" = 69 ] && ! grep -q s3cret "$T/err" && grep -q 'http://\*\*\*@' "$T/err"; then
	ok "a reload URL's password is not printed"
else
	fail "reload URL masked" "$(cat "$T/err")"
fi
is "a file name with a tab: the summary is valid JSON" "$(field file)" "$T/tab	dir.yml"
(cd "$T" && run recsync status --json --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "rules/.")
# shellcheck disable=SC2012 # ls -t: the newest of our own record_*.yml
if [ "$(field rule_file)" = "$(ls -t "$RULES"/record_*.yml | head -n 1)" ]; then
	ok "status --json, --rules-dir given relative: the report's rule_file is absolute"
else
	fail "status: rule_file absolute" "$(cat "$T/out")" "$(cat "$T/err")"
fi
(cd "$T" && run rs render --shard 0/1 -o ./rel.yml --dry-run)
if [ "$(field status)" = 0 ] && [ "$(field file)" = "$T/rel.yml" ]; then
	ok "render -o given relative: the summary's file is absolute"
else
	fail "render: file absolute" "status $status" "$(cat "$T/out")"
fi

# --- passwords in --redis and --consul: while a stage is held (by a
# promtool that waits for a file), no process has one in its arguments:
# not kvlock, not the recsync it runs, not a stage.  Redis has a user of
# its own with the password; Consul is given one it ignores.
PW=pw-$$-$RANDOM
rcli ACL SETUSER rs-secret on ">$PW" '~*' '&*' +@all >/dev/null
cat >"$T/held-promtool" <<SH
#!/bin/sh
echo \$PPID >"$T/held.pid"
i=0
while [ ! -e "$T/go" ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
exec promtool "\$@"
SH
chmod +x "$T/held-promtool"
rm -f "$T/held.pid" "$T/go"
recsync --prefix "$PREFIX-pw" --set-key "$SETKEY-pw" --rules-dir "$RULES" -vv \
	--redis "unix://rs-secret:$PW@$REDIS_SOCK" --consul "${CONSUL_HTTP_ADDR/:\/\//://rs:$PW@}" \
	--promtool "$T/held-promtool" "$T/sample" >"$T/pw.out" 2>"$T/pw.err" &
top=$!
# with_secret: the processes whose arguments hold the password, read by
# bash itself: a grep would hold it in its own.
with_secret() {
	local f args
	for f in /proc/[0-9]*/cmdline; do
		mapfile -d '' args <"$f" 2>/dev/null || continue
		[[ "${args[*]}" != *"$PW"* ]] || echo "${f%/cmdline}: ${args[*]//$PW/PW}"
	done
}
if wait_for test -s "$T/held.pid"; then
	stage=$(cat "$T/held.pid")
	inner=$(awk '{ print $4 }' "/proc/$stage/stat")
	mapfile -d '' kvlock_argv <"/proc/$top/cmdline"
	mapfile -d '' inner_argv <"/proc/$inner/cmdline"
	leaks=$(with_secret)
	if [[ "${kvlock_argv[0]}" == *kvlock ]] && [[ "${inner_argv[*]}" == *recsync* ]] && [ -z "$leaks" ]; then
		ok "a stage held: kvlock's, the inner recsync's and no other process's arguments hold the password"
	else
		fail "passwords out of the arguments" "kvlock: ${kvlock_argv[*]//$PW/PW}" \
			"inner: ${inner_argv[*]//$PW/PW}" "$leaks"
	fi
else
	fail "the held promtool started" "$(cat "$T/pw.err")"
fi
touch "$T/go"
wait "$top"; st=$?
if [ "$st" = 0 ] && [ "$(rcli SCARD "$SETKEY-pw")" = 4 ] && [ "$(PREFIX=$PREFIX-pw stored | wc -l)" = 4 ]; then
	ok "--redis and --consul with passwords reach the tools through the environment"
else
	fail "passwords through the environment" "status $st" "$(cat "$T/pw.out" "$T/pw.err")"
fi
if grep -q "$PW" "$T/pw.err" "$T/pw.out"; then
	fail "-vv: no message shows a password" "$(grep "$PW" "$T/pw.err")"
else
	ok "-vv: no message shows a password"
fi
# render's reload: curl is given the URL on its standard input.  A
# listener that accepts and never answers holds curl while we look.  The
# command typed here (and its subshells) holds it, as typed: not counted.
rm -f "$T/hold.port" "$T/hold.accepted"
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept(); open(sys.argv[2], "w").write("x"); time.sleep(120)' "$T/hold.port" "$T/hold.accepted" &
holder=$!
wait_for test -s "$T/hold.port"
rs render --shard 0/1 -o "$T/held-render.yml" --reload "http://prom:$PW@127.0.0.1:$(cat "$T/hold.port")" \
	>"$T/render-pw.out" 2>"$T/render-pw.err" &
render=$!
if wait_for test -e "$T/hold.accepted"; then
	leaks=$(with_secret | grep -v ": /bin/bash $RECSYNC_BIN/recsync render --prefix ")
	if [ -z "$leaks" ]; then
		ok "render --reload: no other process's arguments hold the URL's password"
	else
		fail "render --reload: the password out of curl's arguments" "$leaks"
	fi
else
	fail "render --reload reached the listener" "$(cat "$T/render-pw.err")"
fi
kill "$holder"; wait "$holder" 2>/dev/null
wait "$render"; st=$?
if [ "$st" = 69 ] && ! grep -q "$PW" "$T/render-pw.err" && grep -q 'http://\*\*\*@127.0.0.1' "$T/render-pw.err"; then
	ok "render --reload failing: 69, its URL masked"
else
	fail "render --reload failing" "status $st" "$(cat "$T/render-pw.err")"
fi
run -i "$T/sample" rs --consul "http://rs:$PW@127.0.0.1:$(free_port)"
if [ "$status" = 69 ] && grep -q 'rs:\*\*\*@127.0.0.1' "$T/err" && ! grep -q "$PW" "$T/err"; then
	ok "Consul unreachable: its address shown with the password masked"
else
	fail "Consul address masked" "status $status" "$(cat "$T/err")"
fi

# --- --keep: the newest rule files stay, older ones recsync wrote go
mkdir "$T/keep"
: >"$T/keep/other.yml"
for i in 1 2 3; do
	records 1 "$((900 + i))" | rs --rules-dir "$T/keep" >/dev/null 2>&1
	sleep 1.1	# the file names carry the time to the second
done
run -i /dev/null rs --rules-dir "$T/keep" --keep 2
if [ "$(find "$T/keep" -name 'record_*.yml' | wc -l)" = 2 ] && [ -f "$T/keep/other.yml" ] &&
    [ -f "$(field rule_file)" ]; then
	ok "--keep 2: two rule files left, other files untouched"
else
	fail "--keep" "$(ls "$T/keep")"
fi
run rs --keep x
expect "--keep needs a number" 64 "--keep"
# A number with leading zeros is decimal, as test(1) reads it, and not
# octal as bash's arithmetic would: 09 keeps 9 of 12 (and the run ends with
# its summary), 010 keeps 10.  The 12 files are made by hand, a second
# apart by their times.
while read -r keep want; do
	d=$T/keep.$keep
	mkdir "$d"
	for i in $(seq 10 21); do
		touch -d "@$((1700000000 + i))" "$d/record_1_2026-01-01_00-00-$i.yml"
	done
	run -i /dev/null rs --rules-dir "$d" --keep "$keep"
	if [ "$status" = 0 ] && [ "$(nfiles "$d")" = "$want" ] && [ -f "$(field rule_file)" ]; then
		ok "--keep $keep: $want rule files left, the summary printed"
	else
		fail "--keep $keep" "status $status, $(nfiles "$d") files, want $want" "$(cat "$T/out" "$T/err")"
	fi
done <<'ROWS'
09 9
010 10
0 13
ROWS
# Without --keep, a bounded number of them: 5 (recsync(1) says why).
mkdir "$T/keepdef"
for i in 1 2 3 4 5 6 7; do
	records 1 "$((910 + i))" | rs --rules-dir "$T/keepdef" >"$T/out" 2>"$T/err" ||
		fail "--keep default: run $i" "$(cat "$T/err")"
done
if [ "$(find "$T/keepdef" -name 'record_*.yml' | wc -l)" = 5 ] && [ "$(field rule_file_changed)" = True ] &&
    [ -f "$(field rule_file)" ]; then
	ok "no --keep: the 5 newest rule files stay"
else
	fail "--keep default" "$(ls "$T/keepdef")" "$(cat "$T/out")"
fi

# --- settings from an environment file, never evaluated
printf '%s\n' '{"record":"env:one","expr":"up"}' >"$T/env.one"
kvpush -q --prefix "$PREFIX-env" <"$T/env.one" >/dev/null
printf '%s\n' '{"record":"env:one","expr":"up"}' '{"record":"env:two","expr":"max(up)"}' >"$T/env.in"
mkdir "$T/envrules"
cat >"$T/env" <<EOF
# recsync settings
RECSYNC_PREFIX=$PREFIX-env
RECSYNC_SET_KEY="$SETKEY-env"
RECSYNC_RULES_DIR='$T/envrules'
RECSYNC_GROUP=\$(touch $T/pwned)
EOF
run -i "$T/env.in" recsync --env-file "$T/env"
if [ "$status" = 0 ] && [ "$(field new)" = 1 ] && [ "$(rcli SCARD "$SETKEY-env")" = 2 ] &&
    case $(field rule_file) in "$T/envrules/"*) true ;; *) false ;; esac; then
	ok "env file: prefix, set key (quotes dropped), rules dir taken"
else
	fail "env file settings" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
if [ ! -e "$T/pwned" ] &&
    [ "$(/usr/bin/python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["groups"][0]["name"])' "$(field rule_file)")" = "\$(touch $T/pwned)" ]; then
	ok "env file: nothing evaluated, the value taken as it is"
else
	fail "env file evaluated"
fi
run -i "$T/env.one" recsync --env-file "$T/env" --prefix "$PREFIX-cli" --dry-run
is "the command line outranks the env file" "$(field new)" 1
run -i "$T/env.one" env RECSYNC_PREFIX="$PREFIX-environ" recsync --env-file "$T/env" --dry-run
is "the env file outranks the environment" "$(field new)" 0
printf 'PATH=/evil\n' >"$T/env2"
run recsync --env-file "$T/env2" --dry-run
expect "env file: a variable that is not a setting is refused" 65 "env2:1: PATH is not a recsync setting"
# An environment file that cannot be read is 66, in one line that names
# it (a directory, a missing file, a file whose read fails).
while IFS='|' read -r what file pat; do
	run -i /dev/null recsync --env-file "$file" --dry-run --rules-dir "$RULES"
	expect "env file $what: 66, named" 66 "^recsync: $pat\$"
	is "env file $what: one line said" "$(wc -l <"$T/err")" 1
done <<ROWS
a directory|$T/envrules|.*/envrules: a directory, not an environment file
missing|$T/no-such.env|.*/no-such.env: cannot read the environment file
that fails to read|/proc/self/mem|/proc/self/mem: cannot read the environment file
ROWS

# --- input lines with blanks of their own (passed on as they came): the
# summary still counts what was stored
new_prefix
SETKEY="test:set:$PREFIX_SEQ" RULES=$T/rules-spaced
mkdir -p "$RULES"
printf '%s\n' '{ "record" : "hke:heavy_expr:sp1" , "expr" : "up == 0" }' \
	'{"record":"hke:heavy_expr:sp2", "expr":"sum(up)"	}' >"$T/spaced"
run -i "$T/spaced" rs
if [ "$status" = 0 ] && [ "$(field new)" = 2 ] && [ "$(field pushed)" = 2 ] && [ "$(field redis)" = 2 ]; then
	ok "input with blanks of its own: new 2, pushed 2, in Redis 2"
else
	fail "input with blanks of its own" "status $status" "$(cat "$T/out")" "$(cat "$T/err")"
fi
run -i "$T/spaced" rs
if [ "$status" = 0 ] && [ "$(field new)" = 0 ] && [ "$(field pushed)" = 0 ] && [ "$(stored | wc -l)" = 2 ]; then
	ok "input with blanks of its own, again: nothing new"
else
	fail "input with blanks of its own, again" "status $status" "$(cat "$T/out")"
fi

done_testing
