#!/bin/bash
# The record stream every tool shares (src/common): fields recsync does not
# own pass through byte for byte, bad lines of every kind are reported at
# file:line while the good ones flow, messages never carry raw control
# bytes, reading fails loudly; and the Consul settings shared by the tools:
# which token wins, and https once CONSUL_HTTP_SSL asks for it.
# shellcheck source=tests/lib.sh
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

done_testing
