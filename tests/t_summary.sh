#!/bin/bash
# --summary-fd N: every tool's counts as one JSON line on fd N at exit, as
# its man page's Summary names them, also when a run fails; never with
# --check-settings; an fd that is stdin, stdout or not open for writing
# is a usage error.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul
start_redis
new_prefix

# summed NAME WANT CMD...: runs CMD with its summary on fd 3 ($T/sum) and
# stdin from $T/in; the summary must be the line WANT (@T for $T).
summed() {
	local name=$1 want=${2//@T/$T}
	shift 2
	"$@" --summary-fd 3 <"$T/in" >"$T/out" 2>"$T/err" 3>"$T/sum"
	status=$?
	if [ "$(cat "$T/sum")" = "$want" ]; then ok "$name"; else
		fail "$name" "summary: $(cat "$T/sum")" "want:    $want" \
			"status $status: $(head -c 1000 "$T/err")"
	fi
}

records 2 >"$T/two"
{ cat "$T/two"; echo 'not json'; } >"$T/in"
summed "kvdiff: input, bad, new, output" \
	'{"input":2,"bad":1,"stored":0,"duplicates":0,"new":2,"output":2}' \
	kvdiff --prefix "$PREFIX"
cp "$T/out" "$T/in"
summed "kvpush: input, pushed, one transaction" \
	'{"input":2,"bad":0,"passed":0,"pushed":2,"too_big":0,"transactions":1}' \
	kvpush --prefix "$PREFIX"
{ cat "$T/out"; records 1 3; } >"$T/in"
summed "kvpush: stored records passed, the new one pushed" \
	'{"input":3,"bad":0,"passed":2,"pushed":1,"too_big":0,"transactions":1}' \
	kvpush --prefix "$PREFIX"
cp "$T/out" "$T/stored"
{ records 3; records 1 9; } >"$T/in"
summed "kvdiff --all: stored, new, output" \
	'{"input":4,"bad":0,"stored":3,"duplicates":0,"new":1,"output":4}' \
	kvdiff --all --prefix "$PREFIX"
summed "kvdiff --gone: what the input does not name" \
	'{"input":4,"bad":0,"stored":3,"duplicates":0,"new":1,"output":0}' \
	kvdiff --gone --prefix "$PREFIX"

cp "$T/stored" "$T/in"
summed "redisput: input, output, chunks" \
	'{"input":3,"bad":0,"skipped":0,"output":3,"chunks":1}' redisput
summed "yamlemit -o: input, rules, output, the file" \
	'{"input":3,"bad":0,"rejected":0,"rules":3,"output":3,"file":"@T/r.yml"}' \
	yamlemit -o "$T/r.yml"
mkdir "$T/d"
summed "yamlemit -o -: no file" \
	'{"input":3,"bad":0,"rejected":0,"rules":3,"output":0,"file":null}' \
	yamlemit -o -
summed "kvdrift: the stores' counts and the drift" \
	'{"consul":3,"redis":3,"rules":3,"foreign_keys":0,"redis_missing":0,"redis_no_value":0,"redis_differs":0,"redis_extra":0,"rules_missing":0,"rules_extra":0,"duplicates":0,"junk":0,"drift":0}' \
	kvdrift --prefix "$PREFIX" --rules "$T/r.yml"
{ head -n 1 "$T/stored"; echo '{"record":"s:bad","expr":"sum("}'; } >"$T/in"
summed "yamlemit --check: a rejected rule" \
	'{"input":2,"bad":0,"rejected":1,"rules":1,"output":1,"file":"@T/c.yml"}' \
	yamlemit --check -o "$T/c.yml"
head -n 1 "$T/stored" >"$T/in"
summed "kvpush --delete: the keys removed" \
	'{"input":1,"bad":0,"removed":1}' kvpush --delete --prefix "$PREFIX"
summed "redisput --delete: the records removed" \
	'{"input":1,"bad":0,"skipped":0,"output":1,"chunks":1}' redisput --delete
: >"$T/in"
summed "qlogscan: lines by reason, as --stats" \
	'{"lines":0,"bytes":0,"selected":0,"light-precheck":0,"blank":0,"truncated":0,"bad":0,"too-long":0,"not-http":0,"path":0,"light":0,"timeout":0,"range":0,"empty":0,"excluded":0,"recorded":0,"output":0}' \
	qlogscan
summed "kvlock: held, and the command's status" \
	'{"held":1,"status":3}' kvlock --prefix "$PREFIX" --summary-fd 3 -- sh -c 'exit 3'

# A run that fails says what it had done by then.
records 2 >"$T/in"
summed "kvdiff, Consul unreachable: a summary all the same" \
	'{"input":0,"bad":0,"stored":0,"duplicates":0,"new":0,"output":0}' \
	kvdiff --consul 127.0.0.1:1 --retries 0
if [ "$status" = 69 ]; then ok "kvdiff, Consul unreachable: 69"; else
	fail "kvdiff, Consul unreachable: 69" "status $status"; fi
summed "redisput, Redis unreachable: a summary all the same" \
	'{"input":0,"bad":0,"skipped":0,"output":0,"chunks":0}' \
	redisput --redis "unix://$T/nothing.sock"

# --check-settings writes none; fds that cannot take it are refused.
if kvdiff --check-settings --summary-fd 3 3>"$T/sum" </dev/null && [ ! -s "$T/sum" ]; then
	ok "--check-settings: no summary"
else
	fail "--check-settings: no summary" "$(cat "$T/sum")"
fi
for tool in kvdiff kvpush yamlemit redisput qlogscan kvdrift kvlock; do
	extra=()
	[ $tool = yamlemit ] && extra=(-o "$T/x.yml")
	[ $tool = kvlock ] && extra=(true)
	run "$tool" --summary-fd 1 "${extra[@]}"
	expect "$tool --summary-fd 1: stdout is the tool's, 64" 64 "summary-fd: 1 is the standard output"
	run "$tool" --summary-fd 9 "${extra[@]}"
	expect "$tool --summary-fd 9: not open, 64" 64 "summary-fd: 9 is not open for writing"
done
run yamlemit --summary-fd 3 -o - "$T/stored" 3</dev/null
expect "--summary-fd open for reading only: 64" 64 "3 is not open for writing"
run yamlemit --summary-fd 3 -o "$T/f.yml" "$T/stored" 3>/dev/full
expect "--summary-fd on a full disk: 74" 74 "summary-fd 3: No space left on device"

# --- recsync reads the tools' summaries, never their records or messages
# A rules directory with a tab: the rule file's path comes whole from
# yamlemit's summary (its -v message shows the tab as \x09).
dir="$T/tab	dir"
mkdir "$dir"
records 2 >"$T/in"
recsync -q --prefix "$PREFIX.r" --rules-dir "$dir" "$T/in" >"$T/out" 2>"$T/err"
status=$?
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rule_file"])' "$T/out" 2>&1)
if [ "$status" = 0 ] && [ -f "$got" ] && [ "${got%/*}" = "$dir" ]; then
	ok "recsync: the rule file's path from yamlemit's summary, a tab and all"
else
	fail "recsync: the rule file's path from yamlemit's summary, a tab and all" \
		"status $status, rule_file $got" "$(cat "$T/out" "$T/err")"
fi
# The plan's names are read as JSON: a member named "record" inside another
# member is not the record's name.
printf '%s\n' '{"record":"p:new","expr":"up","note":{"record":"p:other"}}' >"$T/in"
recsync rebuild --prefix "$PREFIX.r" --rules-dir "$dir" "$T/in" >"$T/out" 2>"$T/err"
if grep -qx '  add p:new' "$T/err" && ! grep -q 'p:other' "$T/err"; then
	ok "recsync rebuild's plan: the record's own name"
else
	fail "recsync rebuild's plan: the record's own name" "$(cat "$T/err")"
fi

done_testing
