#!/bin/bash
# The record stream every tool shares (src/common): fields recsync does not
# own pass through byte for byte, bad lines of every kind are reported at
# file:line while the good ones flow, messages never carry raw control
# bytes, reading fails loudly; and the Consul settings shared by the tools:
# which token wins, and https once CONSUL_HTTP_SSL asks for it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul
start_redis
set -f	# table cells are split into words, never globbed

# trim S: S without the spaces that pad a table's columns.
trim() { s=${1#"${1%%[! ]*}"}; printf '%s' "${s%"${s##*[! ]}"}"; }

# through TOOL FILE: runs TOOL over FILE the way a pipeline would, without
# writing anywhere lasting (kvpush and redisput dry runs).
through() {
	case $1 in
	kvdiff)   run kvdiff --prefix "$PREFIX" "$2" ;;
	kvpush)   run kvpush --dry-run -q --prefix "$PREFIX" "$2" ;;
	redisput) run redisput --dry-run -q "$2" ;;
	yamlemit) run yamlemit -o "$T/rules.yml" "$2" ;;
	esac
}

# --- other fields pass through byte for byte; only the index is edited
new_prefix
{
	printf '%s\n' '{"record":"p1","expr":"up","c":1.10,"e":1e2}' ''
	printf '%s\r\n' '   {"record":"p2", "n": { "x" :[1 ,2.50 ], "s":"a\"}"} ,"expr":"rate(x[5m])"}  '
	printf '%s\n' '{"record":"p3","expr":"caf\u00e9","u":"\u00e9\ud83d\ude00","z":-0.0}'
} >"$T/odd"
printf '%s\n' '{"record":"p1","expr":"up","c":1.10,"e":1e2}' \
	'{"record":"p2", "n": { "x" :[1 ,2.50 ], "s":"a\"}"} ,"expr":"rate(x[5m])"}' \
	'{"record":"p3","expr":"caf\u00e9","u":"\u00e9\ud83d\ude00","z":-0.0}' >"$T/odd.want"
sed 's/}$/,"index":N}/' "$T/odd.want" | awk '{ sub(/"index":N/, "\"index\":" NR); print }' \
	>"$T/odd.pushed"
for tool in kvdiff redisput yamlemit; do
	through $tool "$T/odd"
	expect "$tool: 1.10, 1e2, odd spacing, \\u00e9 come out byte for byte" 0 "" "$T/odd.want"
done
through kvpush "$T/odd"
expect "kvpush --dry-run: the index added last, every other byte kept" 0 "" "$T/odd.pushed"
sed 's/}$/, "index" : 7}/' "$T/odd.want" >"$T/odd.indexed"
through kvdiff "$T/odd.indexed"
expect "kvdiff: an input index removed, every other byte kept" 0 "" "$T/odd.want"
through kvpush "$T/odd.indexed"
expect "kvpush: a record with an index passes untouched" 0 "" "$T/odd.indexed"

# --- bad lines, one a row: name | the line (printf escapes) | the message.
# Each sits between two good lines in a file; every tool reports it at
# FILE:2, still passes both good lines, and exits 65.
printf '%s\n' '{"record":"g1","expr":"up","index":1}' >"$T/good1"
printf '%s\n' '{"record":"g2", "expr":"up" ,"index":2 , "c":1.10}' >"$T/good2"
cat "$T/good1" "$T/good2" >"$T/good.indexed"
printf '%s\n' '{"record":"g1","expr":"up"}' '{"record":"g2", "expr":"up" ,"c":1.10}' >"$T/good.bare"
while IFS="|" read -r what line pat; do
	# shellcheck disable=SC2059 # the row's line is a printf format
	{ cat "$T/good1"; printf "$line\\n"; cat "$T/good2"; } >"$T/bad"
	for tool in kvdiff kvpush redisput yamlemit; do
		want=$T/good.indexed
		[ $tool = kvdiff ] && want=$T/good.bare
		through $tool "$T/bad"
		expect "$tool: $what: 65, the good lines flow" 65 . "$want"
		if grep -qF -- "$tool: $T/bad:2: $pat" "$T/err"; then ok "$tool: $what: reported at FILE:2"
		else fail "$tool: $what: reported at FILE:2" "want: $tool: $T/bad:2: $pat" "$(cat "$T/err")"; fi
		if LC_ALL=C grep -q "$(printf '[\033\302\377]')" "$T/err"; then
			fail "$tool: $what: no raw control or non-UTF-8 byte on stderr" "$(od -c "$T/err" | head)"
		else ok "$tool: $what: no raw control or non-UTF-8 byte on stderr"; fi
	done
done <<'ROWS'
"record" not a string|{"record":5,"expr":"up"}|"record" is not a string
"index" a string|{"record":"r","expr":"up","index":"3"}|"index" is not a positive integer
"index" a float|{"record":"r","expr":"up","index":2.5}|"index" is not a positive integer
"index" 0|{"record":"r","expr":"up","index":0}|"index" is not a positive integer
"index" negative|{"record":"r","expr":"up","index":-4}|"index" is not a positive integer
invalid UTF-8 in a string|{"record":"r","expr":"up\xff\xfe"}|not a JSON record: unable to decode byte 0xff
ESC in the quoted token|{"record":"r","expr":"up"} \x1b[31m|not a JSON record: end of file expected near '\x1b'
C1 CSI in the quoted token|{"record":"r","expr":"up"} \xc2\x9b2J|not a JSON record: end of file expected near '\xc2\x9b'
ROWS

# --- a NUL byte anywhere makes the line bad, in every tool that reads
# lines; jansson alone takes one right after a number, true, false or null.
# One row a place: name | the line (printf escapes, \x00 the NUL).
new_prefix
DELPREFIX=$PREFIX
run kvpush -q --prefix "$DELPREFIX" "$T/good.bare"
expect "NUL rows: g1 and g2 stored for kvpush --delete --dry-run" 0 ""
# What --delete --dry-run prints for them: the stored values as kvdiff
# reads them (kvpush adds tracked_since), each with its index.
run kvdiff --all --prefix "$DELPREFIX"
cp "$T/out" "$T/good.stored"
is "NUL rows: kvdiff --all lists g1 and g2" \
	"$(grep -c '"record":"g[12]"' "$T/good.stored")" 2
new_prefix
qlog() {	# qlog QUERY PREP: a query-log line, 8 s of evaluation
	printf '{"httpRequest":{"path":"/api/v1/query_range"},"params":{"query":"%s",' "$1"
	printf '"start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},'
	printf '"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":%s,' "$2"
	printf '"innerEvalTime":8}}}\n'
}
{ qlog 'sum(a)' 0.1; qlog 'sum(b)' 0.1; } >"$T/qgood"
run qlogscan "$T/qgood"
cp "$T/out" "$T/qgood.want"
if [ "$status" = 0 ] && [ "$(wc -l <"$T/qgood.want")" = 2 ]; then
	ok "NUL rows: qlogscan selects both good log lines"
else
	fail "NUL rows: qlogscan selects both good log lines" "$(cat "$T/err" "$T/out")"
fi
while IFS="|" read -r what line qline; do
	# shellcheck disable=SC2059 # the row's line is a printf format
	{ cat "$T/good1"; printf "$line\\n"; cat "$T/good2"; } >"$T/nul"
	for tool in kvdiff kvpush redisput yamlemit kvpush--delete; do
		want=$T/good.indexed
		[ $tool = kvdiff ] && want=$T/good.bare
		[ $tool = kvpush--delete ] && want=$T/good.stored
		if [ $tool = kvpush--delete ]; then
			run kvpush --delete --dry-run -q --prefix "$DELPREFIX" "$T/nul"
		else
			through $tool "$T/nul"
		fi
		expect "$tool: a NUL $what: 65 at FILE:2, the good lines flow" 65 \
			"^${tool%--delete}: $T/nul:2: not a JSON record: a NUL byte" "$want"
	done
	# the same NUL in a query log's line, between two heavy ones: a bad
	# line, which leaves qlogscan's status 0 (qlogscan(1): logs are noisy)
	# shellcheck disable=SC2059 # the row's qline is a printf format
	{ qlog 'sum(a)' 0.1; printf "$qline\\n"; qlog 'sum(b)' 0.1; } >"$T/qnul"
	run qlogscan --stats "$T/qnul"
	expect "qlogscan: a NUL $what: a bad line at FILE:2, the good lines flow" 0 \
		"^qlogscan: $T/qnul:2: a NUL byte" "$T/qgood.want"
	if grep -q '^qlogscan: stats: bad 1$' "$T/err"; then
		ok "qlogscan: a NUL $what: counted bad"
	else
		fail "qlogscan: a NUL $what: counted bad" "$(cat "$T/err")"
	fi
done <<'ROWS'
after a number|{"record":"r","expr":"up","n":3\x00}|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9\x00,"innerEvalTime":8}}}
after true|{"record":"r","expr":"up","t":true\x00}|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"t":true\x00,"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}
after false|{"record":"r","expr":"up","t":false\x00 }|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"t":false\x00,"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}
after null|{"record":"r","t":null\x00,"expr":"up"}|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"t":null\x00,"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}
after the index|{"record":"r","expr":"up","index":5\x00}|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":8\x00,"queryPreparationTime":9,"innerEvalTime":8}}}
in a light line|{"record":"r","expr":"up","n":0\x00}|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":0.1,"queryPreparationTime":0.1\x00,"innerEvalTime":0.1}}}
inside a string|{"record":"r","expr":"u\x00p"}|{"params":{"query":"x\x00y","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}
first on the line|\x00{"record":"r","expr":"up"}|\x00{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}
last on the line|{"record":"r","expr":"up"}\x00|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}\x00
before a CR|{"record":"r","expr":"up"} \x00\r|{"params":{"query":"x","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"httpRequest":{"path":"/api/v1/query_range"},"stats":{"timings":{"evalTotalTime":8,"queryPreparationTime":9,"innerEvalTime":8}}}\x00\r
alone on the line|\x00|\x00
among blanks|  \x00\t|  \x00\t
ROWS

# a value stored in Consul with a NUL after a number is no record either
RECPREFIX=$PREFIX
new_prefix
printf '{"record":"s1","expr":"up","n":3\000}' >"$T/nulvalue"
consul_curl -X PUT --data-binary "@$T/nulvalue" "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/1" >/dev/null
printf '{"record":"s2","expr":"up"}' >"$T/okvalue"
consul_curl -X PUT --data-binary "@$T/okvalue" "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/2" >/dev/null
run -i /dev/null kvdiff --all --prefix "$PREFIX"
printf '%s\n' '{"record":"s2","expr":"up","index":2}' >"$T/stored.want"
expect "kvdiff: a stored value with a NUL byte is named, the others listed" 0 \
	"$PREFIX/1: value holds a NUL byte" "$T/stored.want"
PREFIX=$RECPREFIX

# a file name carrying ESC and CSI is escaped in the message too
f=$T/$(printf 'in\033[31m\302\2332J.jsonl')
{ cat "$T/good1"; echo garbage; } >"$f"
for tool in kvdiff kvpush redisput yamlemit; do
	through $tool "$f"
	expect "$tool: a file name with control bytes: 65" 65 'in\\x1b\[31m\\xc2\\x9b2J\.jsonl:2: not a JSON record'
	if LC_ALL=C grep -q "$(printf '[\033\302]')" "$T/err"; then
		fail "$tool: the file name's control bytes are escaped" "$(od -c "$T/err" | head)"
	else ok "$tool: the file name's control bytes are escaped"; fi
done

# --- CRLF line ends and blank lines are accepted
printf '{"record":"g1","expr":"up","index":1}\r\n\r\n   \n\t\r\n{"record":"g2", "expr":"up" ,"index":2 , "c":1.10}\r\n' >"$T/crlf"
for tool in kvdiff kvpush redisput yamlemit; do
	want=$T/good.indexed
	[ $tool = kvdiff ] && want=$T/good.bare
	through $tool "$T/crlf"
	expect "$tool: CRLF line ends and blank lines: accepted, no CR written" 0 "" "$want"
done

# --- a 200 KB expression goes through whole
python3 -c 'import sys; print("{\"record\":\"big\",\"c\":1.10,\"expr\":\"sum(x{a=\\\"%s\\\"})\"}" % ("y" * 200000))' >"$T/big"
sed 's/}$/,"index":1}/' "$T/big" >"$T/big.pushed"
for tool in kvdiff kvpush redisput yamlemit; do
	want=$T/big
	[ $tool = kvpush ] && want=$T/big.pushed
	through $tool "$T/big"
	expect "$tool: a 200 KB expression, whole" 0 "" "$want"
done

# --- read errors: a directory is unreadable (74); out of memory for a
# line is 71 (glibc's getline does not set the error flag then)
for tool in kvdiff yamlemit; do
	through $tool "$T"
	expect "$tool: a read error: 74" 74 "$T: read error"
done
case $RECSYNC_BIN in
*/san/*) skip "out of memory for a line: 71 (not under the sanitizers)" ;;
*)
	truncate -s 1G "$T/huge"
	run sh -c "ulimit -v 120000; exec yamlemit -o '$T/rules.yml' '$T/huge'"
	expect "out of memory for a line: 71, not taken for the end" 71 "huge:1: out of memory reading a line"
	rm -f "$T/huge" ;;
esac

# --- the token: a file outranks CONSUL_HTTP_TOKEN, as in Consul's api, and
# is read whole, white space around it removed
PLAIN=$CONSUL_HTTP_ADDR
if [ -n "${RECSYNC_TEST_CONSUL:-}" ]; then
	skip "token precedence needs the stand-in"
else
	TOKEN=3f1c9a52-5b1e-4d8e-9c57-0d6a1a7e2b44
	start_consul --acl-token "$TOKEN"
	new_prefix
	printf '%s\n' "$TOKEN" >"$T/tok.good"
	printf '  \n\t%s \n\n' "$TOKEN" >"$T/tok.padded"
	printf '%s\n' wrong-token >"$T/tok.wrong"
	printf '%s\nsecond-line\n' "$TOKEN" >"$T/tok.two"
	printf ' \n\n' >"$T/tok.empty"
	unset CONSUL_HTTP_TOKEN CONSUL_HTTP_TOKEN_FILE
	# name | CONSUL_HTTP_TOKEN | CONSUL_HTTP_TOKEN_FILE | --token-file | status | stderr
	while IFS="|" read -r what tok file opt want pat; do
		tok=$(trim "$tok") file=$(trim "$file") opt=$(trim "$opt")
		tok=${tok/@TOKEN/$TOKEN}
		set -- kvdiff --prefix "$PREFIX"
		[ -n "$opt" ] && set -- "$@" --token-file "$T/$opt"
		run env ${tok:+CONSUL_HTTP_TOKEN=$tok} ${file:+CONSUL_HTTP_TOKEN_FILE=$T/$file} "$@"
		expect "token: $(trim "$what")" "$(trim "$want")" "$(trim "$pat")"
	done <<-'ROWS'
	env token alone              | @TOKEN      |            |            | 0  |
	env file over env token      | wrong-token | tok.good   |            | 0  |
	env file wins, though wrong  | @TOKEN      | tok.wrong  |            | 77 | ACL not found
	--token-file wins, wrong     | @TOKEN      |            | tok.wrong  | 77 | ACL not found
	--token-file over env file   |             | tok.wrong  | tok.good   | 0  |
	blank lines around it        |             | tok.padded |            | 0  |
	a second line is no token    | @TOKEN      | tok.two    |            | 65 | tok.two: the token is not one line
	an empty file                | @TOKEN      |            | tok.empty  | 65 | tok.empty is empty
	ROWS
fi

# --- CONSUL_HTTP_SSL=true: https even for an http:// address, as in
# Consul's api; the stand-in speaks plain HTTP, so the TLS handshake fails
addr=${PLAIN#http://}
while IFS='|' read -r ssl how want pat; do
	how=$(trim "$how")
	case $how in
	env-http) run env CONSUL_HTTP_SSL="$(trim "$ssl")" CONSUL_HTTP_ADDR="http://$addr" kvdiff --retries 0 --prefix "$PREFIX" ;;
	env-bare) run env CONSUL_HTTP_SSL="$(trim "$ssl")" CONSUL_HTTP_ADDR="$addr" kvdiff --retries 0 --prefix "$PREFIX" ;;
	opt-http) run env CONSUL_HTTP_SSL="$(trim "$ssl")" kvdiff --consul "http://$addr" --retries 0 --prefix "$PREFIX" ;;
	esac
	expect "CONSUL_HTTP_SSL=$(trim "$ssl"), $how" "$(trim "$want")" "$(trim "$pat")"
done <<'ROWS'
true  | env-http | 69 | cannot reach Consul at https://.*(SSL|TLS)
true  | env-bare | 69 | cannot reach Consul at https://
true  | opt-http | 69 | cannot reach Consul at https://
false | env-http | 0  |
ROWS

# --- the Consul address: a password in it (user:pw@host) is masked in every
# message of every Consul tool; one that is not a host and port is a usage
# error named by where it came from, before any connection.
closed=$(free_port)
for tool in kvdiff kvpush kvlock; do
	case $tool in kvlock) targs=(-- true) ;; *) targs=() ;; esac
	run "$tool" --consul "http://alice:s3cret@127.0.0.1:$closed" --retries 0 "${targs[@]}"
	expect "$tool: cannot reach Consul: its password masked" 69 "alice:\*\*\*@127.0.0.1:$closed"
	if grep -q s3cret "$T/err"; then
		fail "$tool: the password is not shown" "$(cat "$T/err")"
	else
		ok "$tool: the password is not shown"
	fi
	while IFS='|' read -r how addr pat; do
		how=$(trim "$how") addr=$(trim "$addr") pat=$(trim "$pat")
		# shellcheck disable=SC2016 # the table says '$tool' for the tool's name
		pat=${pat//'$tool'/$tool}
		case $how in
		opt) run "$tool" --consul "$addr" "${targs[@]}" ;;
		env) run env CONSUL_HTTP_ADDR="$addr" "$tool" "${targs[@]}" ;;
		esac
		expect "$tool: $how $addr: 64" 64 "$pat"
		if grep -q s3cret "$T/err"; then
			fail "$tool: $how $addr: the password is not shown" "$(cat "$T/err")"
		else
			ok "$tool: $how $addr: the password is not shown"
		fi
	done <<-'ROWS'
	opt | http//host                  | ^$tool: --consul: 'http//host': an address is host:port, with no path
	env | redis//u:s3cret@host        | ^$tool: CONSUL_HTTP_ADDR: 'redis//u:\*\*\*@host': an address is host:port
	opt | ftp://u:s3cret@host         | ^$tool: --consul: 'ftp://u:\*\*\*@host': only http:// and https://
	opt | http://u:s3cret@host:99999  | ^$tool: --consul: 'http://u:\*\*\*@host:99999': .*[Pp]ort
	env | http://host:8500/v1?x=1     | ^$tool: CONSUL_HTTP_ADDR: .*with no path
	env | http://host:8500?x=1        | ^$tool: CONSUL_HTTP_ADDR: .*with no query
	opt | http://:8500                | ^$tool: --consul: 'http://:8500': 
	ROWS
done

# --- --check-settings: every tool checks its settings as a run would and
# stops there, 0 or 64, reading no input (a bad line would be 65) and
# connecting nowhere (Consul and Redis unreachable here), writing nothing.
printf 'not a record\n' >"$T/bad.in"
mkdir -p "$T/cs.rules"
closed=$(free_port)
while IFS='|' read -r tool args want pat; do
	tool=$(trim "$tool") want=$(trim "$want") pat=$(trim "$pat")
	# shellcheck disable=SC2046 # the table's arguments are words
	run -i "$T/bad.in" env CONSUL_HTTP_ADDR="127.0.0.1:$closed" REDIS_URL="redis://127.0.0.1:$closed" \
		"$tool" --check-settings $(trim "$args")
	expect "$tool --check-settings $(trim "$args"): $want" "$want" "$pat"
	if [ -z "$(ls -A "$T/cs.rules")" ] && [ ! -e "$T/cs.ran" ]; then
		ok "$tool --check-settings $(trim "$args"): nothing written or run"
	else
		fail "$tool --check-settings $(trim "$args"): nothing written or run" "$(ls -A "$T/cs.rules")"
	fi
done <<ROWS
kvdiff   | --prefix p                              | 0  |
kvdiff   | --prefix / --consul x:1                 | 64 | ^kvdiff: --prefix:
kvdiff   | --timeout 0                             | 64 | ^kvdiff: --timeout:
kvpush   | --max-ops 1                             | 0  |
kvpush   | --consul http://h/x                     | 64 | ^kvpush: --consul: 'http://h/x': an address is host:port
kvlock   | --lock-timeout 1s -- touch $T/cs.ran    | 0  |
kvlock   | --lock-timeout soon -- touch $T/cs.ran  | 64 | ^kvlock: --lock-timeout:
kvlock   | --ttl 1s                                | 64 | ^kvlock: --ttl:
yamlemit | -d $T/cs.rules --check --group-size 3   | 0  |
yamlemit | -d $T/cs.rules --group-size 0           | 64 | ^yamlemit: --group-size:
yamlemit | -o $T/cs.rules/x.yml --shard 5/2        | 64 | ^yamlemit: --shard:
redisput | --set-key k                             | 0  |
redisput | --redis redis//h                        | 64 | ^redisput: --redis:
redisput | --set-key=                              | 64 | ^redisput: --set-key:
kvdrift  | --json                                  | 0  |
kvdrift  | --redis redis//h                        | 64 | ^kvdrift: --redis:
ROWS

done_testing
