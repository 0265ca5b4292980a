#!/bin/bash
# kvdiff against the Consul stand-in (or RECSYNC_TEST_CONSUL): what is new,
# --all, foreign and malformed values under the prefix, bad input lines.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul

# put KEY VALUE: a raw KV write, as another client would make it.
put() { consul_curl -X PUT --data-binary "$2" "$CONSUL_HTTP_ADDR/v1/kv/$1" >/dev/null; }

# --- usage rows: arguments, expected status, stderr pattern
while IFS='|' read -r args want pat; do
	# shellcheck disable=SC2086 # the row's words are the arguments
	run kvdiff $args
	expect "kvdiff $args" "$want" "$pat"
done <<'ROWS'
--help|0|
--version|0|
--bogus|64|usage: kvdiff
--timeout 0|64|--timeout
--timeout abc|64|--timeout
--retries -1|64|--retries
--timeout 1e15s|64|--timeout
--prefix /|64|prefix must not be empty
--consul ftp://x|64|only http
--consul http://|64|'http://': no host
--consul https:///x|64|no host
ROWS
run kvdiff --help
has "--help goes to stdout" '--all' "$T/out"
run kvdiff --version
has "--version names kvdiff and its version" '^kvdiff .*[0-9]+\.[0-9]+' "$T/out"

# --- an empty store: everything is new, sorted and deduplicated
new_prefix
printf '%s\n' '{"record":"b","expr":"up"}' '{"record":"a","expr":"x"}' \
	'{"record":"b","expr":"up"}' '{"record":"c","expr":"y","index":4}' >"$T/in"
printf '%s\n' '{"record":"a","expr":"x"}' '{"record":"b","expr":"up"}' \
	'{"record":"c","expr":"y"}' >"$T/want"
run -i "$T/in" kvdiff --prefix "$PREFIX"
expect "empty store: all new, sorted, once each, input index dropped" 0 "" "$T/want"
# --origin: each input record says where it was read; a stored one does not.
printf '%s\n' '{"record":"a","expr":"x","origin":"old"}' >"$T/in2"
printf '%s\n' '{"record":"a","expr":"x","origin":"'"$T"'/in2:1"}' \
	'{"record":"b","expr":"up","origin":"<stdin>:1"}' \
	'{"record":"c","expr":"y","origin":"<stdin>:4"}' >"$T/want"
run -i "$T/in" kvdiff --origin --prefix "$PREFIX" "$T/in2" -
expect "--origin: FILE:LINE on each record, <stdin> for stdin" 0 "" "$T/want"
# A full disk under stdout is the 74 kvdiff(1) names.
run sh -c 'kvdiff --prefix "$1" "$2" >/dev/full' sh "$PREFIX" "$T/in"
expect "stdout on a full disk: 74" 74 "^kvdiff: write error on standard output: No space left on device$"
run -i /dev/null kvdiff --all --prefix "$PREFIX"
expect "--all on an empty store prints nothing" 0 "" /dev/null

# --- a store with records, a foreign prefix, and bad values
put "$PREFIX/1" '{"record":"a","expr":"x"}'
put "$PREFIX/3" '{"record":"c","expr":"other"}'
put "$PREFIX/2" 'not json at all'
put "$PREFIX/7" '{"record":"bad name","expr":"x"}'
put "$PREFIX/x" '{"record":"foreign","expr":"x"}'
put "$PREFIX/9/deeper" '{"record":"deep","expr":"x"}'
put "$PREFIX-old/7" '{"record":"b","expr":"up"}'
run -i "$T/in" kvdiff --prefix "$PREFIX"
printf '%s\n' '{"record":"b","expr":"up"}' >"$T/want"
expect "stored records subtracted; PREFIX-old is not ours" 0 \
	"$PREFIX/2: value is not JSON" "$T/want"
if grep -q "$PREFIX/7: \"record\" is not a valid" "$T/err"; then
	ok "a malformed stored record is named"
else
	fail "a malformed stored record is named" "$(cat "$T/err")"
fi
has "same record, other expr: warned" 'c is stored in Consul with a different expression' "$T/err"

run -i "$T/in" kvdiff --all --prefix "$PREFIX"
printf '%s\n' '{"record":"a","expr":"x","index":1}' \
	'{"record":"c","expr":"other","index":3}' '{"record":"b","expr":"up"}' >"$T/want"
expect "--all: stored in index order with index, then new" 0 "." "$T/want"

# --- duplicates stored under two keys: the lower number counts, even
# where the keys sort the other way as strings (30 < 4)
put "$PREFIX/12" '{"record":"a","expr":"x"}'
put "$PREFIX/30" '{"record":"d","expr":"x"}'
put "$PREFIX/4" '{"record":"d","expr":"x"}'
run -i /dev/null kvdiff --all --prefix "$PREFIX"
printf '%s\n' '{"record":"a","expr":"x","index":1}' \
	'{"record":"c","expr":"other","index":3}' '{"record":"d","expr":"x","index":4}' >"$T/want"
expect "a record stored twice is printed once, at its lower number" 0 \
	"$PREFIX/30: d is stored at $PREFIX/4 already" "$T/want"
run -i /dev/null kvdiff --duplicates --prefix "$PREFIX"
printf '%s\n' '{"record":"a","expr":"x","index":12}' '{"record":"d","expr":"x","index":30}' >"$T/want"
expect "--duplicates: the later keys of each record" 0 "." "$T/want"
printf '%s\n' '{"record":"c","expr":"other"}' >"$T/keep"
run -i "$T/keep" kvdiff --gone --prefix "$PREFIX"
printf '%s\n' '{"record":"a","expr":"x","index":1}' '{"record":"d","expr":"x","index":4}' >"$T/want"
expect "--gone: stored records the input does not name" 0 "." "$T/want"
run -i "$T/keep" kvdiff --stored --prefix "$PREFIX"
printf '%s\n' '{"record":"c","expr":"other","index":3}' >"$T/want"
expect "--stored: stored records the input names" 0 "." "$T/want"
run kvdiff --gone --all
expect "--gone with --all: usage error" 64 "exclude each other"

# --- bad input lines: reported with file:line, good lines still flow
new_prefix
printf '%s\n' '{"record":"ok1","expr":"up"}' 'garbage' '[1]' '{"record":"1x","expr":"up"}' \
	'{"record":"r","expr":""}' '{"record":"r"}' '{"expr":"up"}' '{"record":"r","expr":7}' \
	'{"record":"r","expr":"up","index":-2}' '{"record":"ok2","expr":"up"}' >"$T/bad"
# jansson quotes the stray byte after the object: the message must escape it.
printf '{"record":"esc","expr":"a"} \x1b[31m\n' >>"$T/bad"
printf '\xff\xfe\n' >>"$T/bad"
printf '%s\n' '{"record":"ok1","expr":"up"}' '{"record":"ok2","expr":"up"}' >"$T/want"
run -i "$T/bad" kvdiff --prefix "$PREFIX"
expect "bad lines: exit 65, good records still printed" 65 "<stdin>:2: not a JSON record" "$T/want"
for pat in '<stdin>:3: not a JSON object' '<stdin>:4: "record" is not a valid metric name' \
	'<stdin>:5: "expr" is empty' '<stdin>:6: missing "expr"' '<stdin>:7: missing "record"' \
	'<stdin>:8: "expr" is not a string' '<stdin>:9: "index" is not a positive integer' \
	'<stdin>:11: not a JSON record: end of file expected near '"'\\x1b'" \
	'<stdin>:12: not a JSON record'; do
	if grep -qF -- "$pat" "$T/err"; then
		ok "reported: $pat"
	else
		fail "reported: $pat" "$(cat "$T/err")"
	fi
done
if grep -q "$(printf '\033')" "$T/err"; then fail "no raw escape reaches stderr"; else ok "no raw escape reaches stderr"; fi
run kvdiff --prefix "$PREFIX" "$T/bad" "$T/missing-file"
if grep -qF "$T/bad:2: not a JSON record" "$T/err"; then
	ok "diagnostics name the file"
else
	fail "diagnostics name the file" "$(cat "$T/err")"
fi
is "a missing input file: 66" "$status" 66

# --- numbers 1..12 come back from Consul as strings sort (1, 10, 11, 12,
# 2, ...); --all prints them by number, and a pretty-printed value (a
# line end between its tokens) still as one line
for i in $(seq 12); do put "dense/$i" "{\"record\":\"r$i\",\"expr\":\"x\"}"; done
put "dense/5" "$(printf '{\n  "record": "r5",\n  "expr": "x y"\n}')"
run -i /dev/null kvdiff --all --prefix dense
for i in $(seq 12); do printf '{"record":"r%d","expr":"x","index":%d}\n' "$i" "$i"; done |
	sed 's/"r5","expr":"x"/"r5","expr":"x y"/' >"$T/want"
expect "--all: numbers in order though Consul lists them as strings" 0 "" "$T/want"

# --- Consul unreachable
run -i "$T/in" kvdiff --consul "127.0.0.1:$(free_port)" --retries 0 --timeout 2s
expect "Consul unreachable: 69" 69 "cannot reach Consul"

done_testing
