#!/bin/bash
# runner: once
# The Consul stand-in (tests/consul-standin) against what real Consul answers:
# status codes, headers, error texts, raft indexes, CAS, txn rollback, limits,
# ACLs, sessions/locks/TTL, blocking queries and the /_standin/ controls.
# Prints "ok - ..." / "not ok - ..." / "skip - ..." lines (see lib.sh).
#
# It always tests the stand-in, on private instances it starts itself, also
# when RECSYNC_TEST_CONSUL names a real agent: nothing here talks to a real
# Consul, and no check skips for one.  The expectations are not what the
# stand-in happens to do: they were taken from Consul's source (1.16 .. 1.21),
# named at each check where it is not obvious: agent/kvs_endpoint.go (the
# KV verbs, ?cas, the value-size 413), agent/txn_endpoint.go (convertOps:
# the 413s for the body size and the op count, the 400 "Failed to parse
# body"; Txn: a read-only txn goes to Txn.Read without a raft index, a
# conflict answers 409 with the whole TxnResponse), agent/consul/state/txn.go
# (txnKVS: the What texts, rollback) and agent/consul/state/kvs.go.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
STANDIN=$TESTS/consul-standin
# The system Python first (Debian's /usr/bin/python3 is what the stand-in must
# run on, and a pyenv shim costs 0.3 s a call); "main" runs via the shebang.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# standin NAME ARGS...: starts a private stand-in and points the requests at
# it: its URL lands in $A, its process in $PID.
standin() {
	name=$1; shift
	rm -f "$T/$name.addr"
	launcher=$PY
	[ "$name" = main ] && launcher=
	$launcher "$STANDIN" --port 0 --addr-file "$T/$name.addr" "$@" >"$T/$name.stdout" 2>"$T/$name.log" &
	pid=$!
	PIDS="$PIDS $pid"
	wait_for test -s "$T/$name.addr" || { fail "stand-in $name starts" "$(cat "$T/$name.log")"; exit 1; }
	A=$(cat "$T/$name.addr") PID=$pid
}

# req METHOD PATH [curl args...]: $code, headers in $T/h, body in $T/b (on $A).
req() {
	m=$1 p=$2; shift 2
	code=$(curl -sS -X "$m" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$A$p" 2>"$T/curl.err") ||
		code="curl-exit-$?"
}
# hdr NAME: the value of a response header of the last req (last one wins).
hdr() { tr -d '\r' <"$T/h" | awk -v n="$1" 'BEGIN{n=tolower(n)} {i=index($0,": ")} i && tolower(substr($0,1,i-1))==n {v=substr($0,i+2)} END{print v}'; }
# js EXPR: a Python expression over the JSON body d of the last req.
js() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/b" "$1" 2>&1; }
# same NAME GOT WANT
same() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got:  $2" "want: $3"; fi; }
# answer NAME CODE BODY: the last req answered CODE with exactly BODY.
answer() {
	got=$(cat "$T/b"; echo x); got=${got%x}
	if [ "$code" = "$2" ] && [ "$got" = "$3" ]; then ok "$1"; else
		fail "$1" "got:  $code $got" "want: $2 $3"; fi
}
b64() { printf %s "$1" | base64 -w0; }
stat() { curl -sS "$A/_standin/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
raftidx() { stat raft_index; }
txn() { req PUT /v1/txn --data-binary "$1"; }

# ---------------------------------------------------------------- start-up
standin main
A_MAIN=$A PID_MAIN=$PID
same "addr file holds http://127.0.0.1:PORT" "$(grep -Ec '^http://127\.0\.0\.1:[0-9]+$' "$T/main.addr")" 1
same "stdout prints the same address" "$(cat "$T/main.stdout")" "$(cat "$T/main.addr")"

req GET /v1/status/leader
answer "status/leader" 200 '"127.0.0.1:8300"'
same "status/leader is JSON" "$(hdr Content-Type)" "application/json"
same "Vary: Accept-Encoding" "$(hdr Vary)" "Accept-Encoding"
same "ACL default policy header (ACLs off)" "$(hdr X-Consul-Default-Acl-Policy)" "allow"
req GET /v1/status/peers
answer "status/peers" 200 '["127.0.0.1:8300"]'

# ---------------------------------------------------------------- KV basics
req PUT /v1/kv/prometheus/records/a --data-binary 'hello'
answer "PUT answers true" 200 true
same "a PUT carries no X-Consul-Index" "$(hdr X-Consul-Index)" ""
req GET /v1/kv/prometheus/records/a
same "GET 200" "$code" 200
mi=$(js 'd[0]["ModifyIndex"]')
same "GET body: one entry, base64 value" "$(js 'sorted(d[0].keys()), d[0]["Key"], d[0]["Value"], d[0]["Flags"], d[0]["LockIndex"], d[0]["CreateIndex"]==d[0]["ModifyIndex"]')" \
	"(['CreateIndex', 'Flags', 'Key', 'LockIndex', 'ModifyIndex', 'Value'], 'prometheus/records/a', 'aGVsbG8=', 0, 0, True)"
same "single GET: X-Consul-Index = the key's ModifyIndex" "$(hdr X-Consul-Index)" "$mi"
same "X-Consul-Knownleader / Lastcontact / Query-Backend" \
	"$(hdr X-Consul-Knownleader) $(hdr X-Consul-Lastcontact) $(hdr X-Consul-Query-Backend)" "true 0 blocking-query"
same "JSON Content-Type and Content-Length" "$(hdr Content-Type) $(hdr Content-Length)" "application/json $(wc -c <"$T/b")"

req GET /v1/kv/prometheus/records/a?raw
answer "?raw returns the bytes" 200 hello
same "?raw headers" "$(hdr Content-Type)|$(hdr X-Content-Type-Options)|$(hdr Content-Security-Policy)" "text/plain|nosniff|sandbox"

req GET /v1/kv/no/such/key
answer "missing key: 404, empty body" 404 ""
same "missing key: X-Consul-Index = KV table index" "$(hdr X-Consul-Index)" "$mi"

req PUT /v1/kv/empty --data-binary ''
req GET /v1/kv/empty
same "empty value reads back as null" "$(js 'd[0]["Value"]')" None

req PUT '/v1/kv/flagged?flags=42' --data-binary 'v'
req GET /v1/kv/flagged
same "?flags is stored" "$(js 'd[0]["Flags"]')" 42
req PUT /v1/kv/flagged --data-binary 'v'
req GET /v1/kv/flagged
same "a PUT without ?flags sets Flags 0" "$(js 'd[0]["Flags"]')" 0

# unchanged values keep their ModifyIndex (Consul >= 1.6) but use a raft index
req GET /v1/kv/prometheus/records/a; m1=$(js 'd[0]["ModifyIndex"]')
r1=$(raftidx)
req PUT /v1/kv/prometheus/records/a --data-binary 'hello'
req GET /v1/kv/prometheus/records/a
same "re-PUT of the same value keeps ModifyIndex" "$(js 'd[0]["ModifyIndex"]')" "$m1"
same "...but uses up one raft index" "$(raftidx)" $((r1 + 1))

# ---------------------------------------------------------------- CAS
# agent/kvs_endpoint.go KVSPut: ?cas makes it api.KVCAS; the answer is the
# bool of the RPC, so a failed CAS is 200 false, not an error status.
req PUT '/v1/kv/cas/k?cas=0' --data-binary one
answer "cas=0 creates a missing key" 200 true
req PUT '/v1/kv/cas/k?cas=0' --data-binary two
answer "cas=0 on an existing key: false" 200 false
req GET /v1/kv/cas/k; ci=$(js 'd[0]["ModifyIndex"]')
r1=$(raftidx)
req PUT "/v1/kv/cas/k?cas=$((ci + 1000))" --data-binary two
answer "cas with a stale index: false" 200 false
same "a failed CAS still uses a raft index" "$(raftidx)" $((r1 + 1))
req PUT "/v1/kv/cas/k?cas=$ci" --data-binary two
answer "cas with the current index: true" 200 true
req GET /v1/kv/cas/k?raw
same "cas wrote the value" "$(cat "$T/b")" two
req PUT '/v1/kv/cas/missing?cas=5' --data-binary x
answer "cas=N on a missing key: false" 200 false

# ---------------------------------------------------------------- lists
for k in prometheus/records/b prometheus/records/sub/c prometheus/records-old/7 prometheus/other; do
	req PUT "/v1/kv/$k" --data-binary "$k"
done
req GET '/v1/kv/prometheus/records?recurse'
same "?recurse is a raw string prefix (records-old/7 included), sorted" "$(js '[e["Key"] for e in d]')" \
	"['prometheus/records-old/7', 'prometheus/records/a', 'prometheus/records/b', 'prometheus/records/sub/c']"
same "list X-Consul-Index = highest ModifyIndex under the prefix" "$(hdr X-Consul-Index)" "$(js 'max(e["ModifyIndex"] for e in d)')"
req GET '/v1/kv/prometheus/records/?recurse'
same "?recurse with a trailing slash" "$(js 'len(d)')" 3
req GET '/v1/kv/prometheus/records/?keys'
same "?keys" "$(cat "$T/b")" '["prometheus/records/a","prometheus/records/b","prometheus/records/sub/c"]'
req GET '/v1/kv/prometheus/?keys&separator=/'
same "?keys&separator=/" "$(cat "$T/b")" '["prometheus/other","prometheus/records-old/","prometheus/records/"]'
req GET '/v1/kv/nothing/here?recurse'
answer "?recurse with no match: 404" 404 ""
req GET '/v1/kv/nothing/here?keys'
answer "?keys with no match: 404" 404 ""
li=$(hdr X-Consul-Index)
req DELETE /v1/kv/prometheus/records/b
answer "DELETE answers true" 200 true
req GET '/v1/kv/prometheus/records/?recurse'
same "a delete under the prefix raises the list index (tombstone)" "$([ "$(hdr X-Consul-Index)" -gt "$li" ] && echo yes)" yes

# ---------------------------------------------------------------- deletes
# agent/kvs_endpoint.go KVSDelete with ?cas: api.KVDeleteCAS, 200 and the
# bool; state/kvs.go kvsDeleteCASTxn is true for a key already gone.
req GET /v1/kv/flagged; fi_=$(js 'd[0]["ModifyIndex"]')
req DELETE "/v1/kv/flagged?cas=$((fi_ + 7))"
answer "DELETE ?cas stale: false" 200 false
req DELETE "/v1/kv/flagged?cas=$fi_"
answer "DELETE ?cas current: true" 200 true
req DELETE '/v1/kv/never/there?cas=3'
answer "DELETE ?cas on a missing key: true (as Consul)" 200 true
req DELETE '/v1/kv/prometheus/records-old?recurse'
answer "DELETE ?recurse" 200 true
req GET '/v1/kv/prometheus/records-old/7'
same "recursive delete removed records-old/7" "$code" 404

# ---------------------------------------------------------------- KV errors
req GET /v1/kv/
answer "GET /v1/kv/ without ?recurse: 400" 400 "Missing key name"
req PUT /v1/kv/ --data-binary x
answer "PUT /v1/kv/: 400" 400 "Missing key name"
req PUT '/v1/kv/x?cas=1&acquire=abc' --data-binary x
answer "conflicting flags: 400 with the encoded query" 400 "Conflicting flags: acquire=abc&cas=1
"
req DELETE '/v1/kv/x?recurse&cas=1'
answer "DELETE ?recurse&cas conflict" 400 "Conflicting flags: cas=1&recurse=
"
req GET '/v1/kv/x?stale&consistent'
answer "?stale with ?consistent" 400 "Cannot specify ?stale with ?consistent, conflicting semantics."
req GET '/v1/kv/x?index=1&wait=5'
answer "bad ?wait" 400 "Invalid wait time"
req GET '/v1/kv/x?index=abc'
answer "bad ?index" 400 "Invalid index"
req PUT '/v1/kv/x?flags=abc' --data-binary x
answer "bad ?flags: 500 with strconv's text (as Consul)" 500 'strconv.ParseUint: parsing "abc": invalid syntax'
req GET '/v1/kv/x?dc=dc9'
answer "unknown ?dc" 500 "No path to datacenter"
# agent/kvs_endpoint.go KVSPut: Content-Length over kv_max_value_size.
head -c 600000 /dev/zero | tr '\0' a >"$T/big"
req PUT /v1/kv/big --data-binary @"$T/big"
answer "value over kv_max_value_size: 413" 413 "Request body(600000 bytes) too large, max size: 524288 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size."
same "...and Go closes the connection (unread body)" "$(hdr Connection)" close
req GET /v1/kv/big
same "...nothing was stored" "$code" 404
head -c 524288 /dev/zero | tr '\0' a >"$T/max"
req PUT /v1/kv/max --data-binary @"$T/max"
answer "a value of exactly 512 KiB is accepted" 200 true

# ---------------------------------------------------------------- HTTP layer
req POST /v1/kv/x --data-binary x
answer "POST on /v1/kv/: 405" 405 "method POST not allowed"
same "405 Allow header" "$(hdr Allow)" "OPTIONS,GET,PUT,DELETE"
req GET /v1/txn
answer "GET /v1/txn: 405" 405 "method GET not allowed"
req OPTIONS /v1/txn
same "OPTIONS lists the methods" "$code $(hdr Allow)" "200 OPTIONS,PUT"
req GET /v1/catalog/nodes
answer "unimplemented/unknown API path: 404" 404 "Invalid URL path: not a recognized HTTP API endpoint
"
req GET /nope
answer "path outside /v1/: 404" 404 "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'
"
req GET '/v1/kv/a//b?raw'
same "'//' in a key path: 301 to the cleaned path (Go ServeMux)" "$code $(hdr Location)" "301 /v1/kv/a/b?raw"
req GET /v1/kv
same "/v1/kv: 301 to /v1/kv/" "$code $(hdr Location)" "301 /v1/kv/"
req GET '/v1/kv/x?a;b'
answer "a ';' in the query: 500, empty body (Go's url.ParseQuery)" 500 ""
req PUT '/v1/kv/pretty' --data-binary p
req GET '/v1/kv/pretty?pretty'
same "?pretty indents with 4 spaces" "$(sed -n 2p "$T/b")" "    {"
"$PY" -c 'print("x" * 3000)' >"$T/gz"
req PUT /v1/kv/gz --data-binary @"$T/gz"
req GET /v1/kv/gz --compressed
same "gzip for large bodies when accepted" "$(hdr Content-Encoding) $(js 'len(d)')" "gzip 1"

# one keep-alive connection for many requests
c0=$(stat connections)
curl -sS -o /dev/null -o /dev/null -o /dev/null "$A/v1/kv/prometheus/records/a" \
	"$A/v1/kv/prometheus/records?recurse" -X GET "$A/v1/status/leader"
c1=$(stat connections)
same "three requests on one keep-alive connection" "$((c1 - c0))" 2

# ---------------------------------------------------------------- txn
r0=$(raftidx)
txn "[{\"KV\":{\"Verb\":\"set\",\"Key\":\"t/a\",\"Value\":\"$(b64 A)\"}},{\"KV\":{\"Verb\":\"set\",\"Key\":\"t/b\",\"Value\":\"$(b64 B)\",\"Flags\":7}},{\"KV\":{\"Verb\":\"cas\",\"Key\":\"t/c\",\"Index\":0,\"Value\":\"$(b64 C)\"}}]"
same "write txn: 200" "$code" 200
same "write txn: one raft index for all ops" "$(raftidx)" $((r0 + 1))
same "all keys written carry that index; write results have Value null; Errors null" \
	"$(js '[ (r["KV"]["Key"], r["KV"]["ModifyIndex"], r["KV"]["Value"]) for r in d["Results"]], d["Errors"]')" \
	"([('t/a', $((r0 + 1)), None), ('t/b', $((r0 + 1)), None), ('t/c', $((r0 + 1)), None)], None)"
same "write txn: no X-Consul-Index (Consul sends none)" "$(hdr X-Consul-Index)" ""
req GET /v1/kv/t/b
same "txn values and flags stored" "$(js 'd[0]["Value"], d[0]["Flags"]')" "('Qg==', 7)"

r0=$(raftidx)
txn '[{"KV":{"Verb":"get","Key":"t/a"}},{"KV":{"Verb":"get-tree","Key":"t/"}},{"KV":{"Verb":"check-not-exists","Key":"t/zz"}}]'
same "read-only txn: 200" "$code" 200
same "read-only txn does not use a raft index" "$(raftidx)" "$r0"
same "get / get-tree results keep their values" "$(js '[r["KV"]["Value"] for r in d["Results"]]')" "['QQ==', 'QQ==', 'Qg==', 'Qw==']"
same "read-only txn body carries QueryMeta fields" "$(js 'd["KnownLeader"], d["Index"], d["Errors"]')" "(True, 0, None)"
same "read-only txn headers" "$(hdr X-Consul-Knownleader) $(hdr X-Consul-Lastcontact) [$(hdr X-Consul-Index)]" "true 0 []"

req GET /v1/kv/t/c; tc=$(js 'd[0]["ModifyIndex"]')
r0=$(raftidx)
txn "[{\"KV\":{\"Verb\":\"set\",\"Key\":\"t/new\",\"Value\":\"$(b64 N)\"}},{\"KV\":{\"Verb\":\"cas\",\"Key\":\"t/c\",\"Index\":$((tc + 99)),\"Value\":\"$(b64 X)\"}},{\"KV\":{\"Verb\":\"check-index\",\"Key\":\"t/a\",\"Index\":1}},{\"KV\":{\"Verb\":\"get\",\"Key\":\"t/none\"}}]"
# agent/txn_endpoint.go Txn: len(reply.Errors) > 0 -> 409 with the
# marshalled structs.TxnResponse, so Results is null; state/txn.go txnKVS
# reports every failing op with its OpIndex and rolls the whole txn back.
same "failing txn: 409" "$code" 409
same "409 body: Results null, every failing op listed with Consul's text" "$(cat "$T/b")" \
	"{\"Results\":null,\"Errors\":[{\"OpIndex\":1,\"What\":\"failed to set key \\\"t/c\\\", index is stale\"},{\"OpIndex\":2,\"What\":\"failed index check for key \\\"t/a\\\", current modify index $((tc)) != 1\"},{\"OpIndex\":3,\"What\":\"key \\\"t/none\\\" doesn't exist\"}]}"
req GET /v1/kv/t/new
same "rollback: op 0's set was not applied" "$code" 404
same "a txn failing in the state store still used its raft index" "$(raftidx)" $((r0 + 1))

while IFS='|' read -r name ops what; do
	txn "$ops"
	same "txn error: $name" "$code $(js 'd["Errors"][0]["What"]')" "409 $what"
done <<ROWS
check-not-exists on an existing key|[{"KV":{"Verb":"check-not-exists","Key":"t/a"}}]|key "t/a" exists
check-index on a missing key|[{"KV":{"Verb":"check-index","Key":"t/zz","Index":3}}]|failed to check index, key "t/zz" doesn't exist
check-session on a missing key|[{"KV":{"Verb":"check-session","Key":"t/zz","Session":"s"}}]|failed to check session, key "t/zz" doesn't exist
check-session mismatch|[{"KV":{"Verb":"check-session","Key":"t/a","Session":"s"}}]|failed session check for key "t/a", current session "" != "s"
delete-cas stale|[{"KV":{"Verb":"delete-cas","Key":"t/a","Index":1}}]|failed to delete key "t/a", index is stale
lock with an unknown session|[{"KV":{"Verb":"lock","Key":"t/l","Session":"nope"}}]|invalid session "nope"
lock without a session|[{"KV":{"Verb":"lock","Key":"t/l"}}]|missing session
unlock not held|[{"KV":{"Verb":"unlock","Key":"t/a","Session":"s"}}]|failed to unlock key "t/a", lock isn't held, or is held by another session
unknown verb|[{"KV":{"Verb":"frob","Key":"t/a"}}]|unknown KV verb "frob"
empty key|[{"KV":{"Verb":"set","Key":""}}]|Must provide key
ROWS

txn '[{"KV":{"Verb":"delete-tree","Key":"t/"}},{"KV":{"Verb":"delete","Key":"t/none"}}]'
same "delete-only txn: 200 with empty Results" "$code $(cat "$T/b")" '200 {"Results":[],"Errors":null}'
req GET '/v1/kv/t/?keys'
same "delete-tree removed the tree" "$code" 404

# txn limits and decoding errors: agent/txn_endpoint.go convertOps checks
# Content-Length first ("Request body(N bytes) too large, ..."), then
# decodes under http.MaxBytesReader (400 "Failed to parse body: ..."), then
# counts the ops against maxTxnOps (64; 128 from Consul 1.14), all before
# any RPC, so a refused txn changes nothing.
ops64=$("$PY" -c 'import json; print(json.dumps([{"KV":{"Verb":"set","Key":"lim/%d" % i,"Value":"eA=="}} for i in range(64)]))')
ops65=$("$PY" -c 'import json; print(json.dumps([{"KV":{"Verb":"set","Key":"lim/%d" % i,"Value":"eA=="}} for i in range(65)]))')
txn "$ops64"
same "64 ops: accepted" "$code $(js 'len(d["Results"])')" "200 64"
txn "$ops65"
answer "65 ops: 413" 413 "Transaction contains too many operations (65 > 64)"
req GET /v1/kv/lim/64
same "...and nothing of it applied" "$code" 404
"$PY" -c '
import base64, json
v = base64.b64encode(b"y" * 300000).decode()
print(json.dumps([{"KV": {"Verb": "set", "Key": "big/%d" % i, "Value": v}} for i in range(2)]))' >"$T/bigtxn"
sz=$(wc -c <"$T/bigtxn")
req PUT /v1/txn --data-binary @"$T/bigtxn"
answer "txn body over the limit: 413" 413 "Request body($sz bytes) too large, max size: 524288 bytes. See https://www.consul.io/docs/agent/config/config-files#txn_max_req_len."

while IFS='|' read -r name body want; do
	txn "$body"
	answer "txn decode: $name" 400 "Failed to parse body: $want"
done <<'ROWS'
malformed JSON|[{"KV":|unexpected EOF
not JSON|hello|invalid character 'h' looking for beginning of value
empty body||EOF
trailing comma|[{"KV":{"Verb":"get","Key":"a"}},]|invalid character ']' looking for beginning of value
object, not array|{"KV":{}}|json: cannot unmarshal object into Go value of type api.TxnOps
unknown field|[{"KV":{"Verb":"get","Key":"a","Bogus":1}}]|json: unknown field "Bogus"
invalid base64|[{"KV":{"Verb":"set","Key":"a","Value":"abc*"}}]|illegal base64 data at input byte 3
missing base64 padding|[{"KV":{"Verb":"set","Key":"a","Value":"YWJjZA"}}]|illegal base64 data at input byte 4
Flags as a string|[{"KV":{"Verb":"set","Key":"a","Flags":"1"}}]|json: cannot unmarshal string into Go struct field KVTxnOp.KV.Flags of type uint64
negative Index|[{"KV":{"Verb":"cas","Key":"a","Index":-1}}]|json: cannot unmarshal number -1 into Go struct field KVTxnOp.KV.Index of type uint64
ROWS
txn '[{"kv":{"verb":"set","key":"lower/case","value":"eA=="}}]'
same "field names match case-insensitively (Go)" "$code" 200

# smaller limits on a second instance: per-value size and --txn-max-ops 128
standin small --kv-max-value-size 1000 --txn-max-req-len 100000 --txn-max-ops 128
v=$("$PY" -c 'import base64; print(base64.b64encode(b"z" * 1001).decode())')
txn "[{\"KV\":{\"Verb\":\"set\",\"Key\":\"v\",\"Value\":\"$v\"}}]"
answer "txn value over kv_max_value_size: 413" 413 'Value for key "v" is too large (1001 > 1000 bytes)'
txn "$("$PY" -c 'import json; print(json.dumps([{"KV":{"Verb":"get","Key":"k%d" % i}} for i in range(129)]))')"
answer "--txn-max-ops 128 (Consul >= 1.14): 129 ops refused" 413 "Transaction contains too many operations (129 > 128)"
head -c 2000 /dev/zero | tr '\0' b >"$T/two"
req PUT /v1/kv/k --data-binary @"$T/two"
same "a small 413 body is discarded and the connection kept" "$code [$(hdr Connection)]" "413 []"
A=$A_MAIN

# ---------------------------------------------------------------- faults
fault() { curl -sS -X POST --data "$1" "$A/_standin/fault" >/dev/null; }
fault '{"fail_writes":[2],"status":503,"body":"rpc error: leader lost"}'
req PUT /v1/kv/f/1 --data-binary 1
same "fault: write 1 passes" "$code" 200
req PUT /v1/kv/f/2 --data-binary 2
answer "fault: write 2 answers the injected status and body" 503 "rpc error: leader lost"
req GET /v1/kv/f/2
same "fault: ...and was not applied" "$code" 404
req GET /v1/kv/f/1
same "reads are not counted as writes" "$code" 200
fault '{"drop_after_commit":[1]}'
req PUT /v1/kv/f/3 --data-binary 3 -H 'Connection: close'
same "drop_after_commit: no answer at all" "$code" curl-exit-52
req GET /v1/kv/f/3?raw
same "drop_after_commit: ...but the write landed" "$code $(cat "$T/b")" "200 3"
fault '{"race":[{"on_write":1,"key":"f/race","value":"theirs"}]}'
txn '[{"KV":{"Verb":"check-not-exists","Key":"f/race"}},{"KV":{"Verb":"set","Key":"f/race","Value":"b3Vycw=="}}]'
same "race: another writer's key makes our txn 409" "$code $(js 'd["Errors"][0]["What"]')" '409 key "f/race" exists'
req GET /v1/kv/f/race?raw
same "race: their value stays" "$(cat "$T/b")" theirs
fault '{"stall_ms":400,"stall_on":[1]}'
t0=$(date +%s%N)
req PUT /v1/kv/f/slow --data-binary s
t1=$(date +%s%N)
same "stall_ms delays the listed write" "$code $([ $(((t1 - t0) / 1000000)) -ge 400 ] && echo slow)" "200 slow"
fault '{"drop_before_apply":[1]}'
req PUT /v1/kv/f/never --data-binary n -H 'Connection: close'
same "drop_before_apply: no answer at all" "$code" curl-exit-52
req GET /v1/kv/f/never
same "drop_before_apply: ...and nothing applied" "$code" 404
fault '{"only_key":"f/lock","only_param":"acquire","drop_after_commit":[1],"fail_writes":[2]}'
sc_id=$(curl -sS -X PUT --data-binary '{"LockDelay":0}' "$A/v1/session/create" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
req PUT /v1/kv/f/lock --data-binary plain
same "only_key: a PUT without ?acquire passes, uncounted" "$code $(stat writes_seen)" "200 0"
req PUT "/v1/kv/f/other?acquire=$sc_id" --data-binary o
same "only_key: an acquire on another key passes, uncounted" "$code $(stat writes_seen)" "200 0"
req PUT "/v1/kv/f/lock?acquire=$sc_id" --data-binary mine -H 'Connection: close'
same "only_key + only_param: the acquire is applied, its answer lost" "$code" curl-exit-52
req PUT "/v1/kv/f/lock?acquire=$sc_id" --data-binary mine
answer "...the next one gets the injected 500" 500 "No cluster leader"
req GET /v1/kv/f/lock
same "...the lock landed with the first" "$(js 'd[0]["Session"] == "'"$sc_id"'", d[0]["LockIndex"]')" "(True, 1)"
req PUT "/v1/kv/f/lock?release=$sc_id"
same "...a release is no acquire: it passes" "$code $(stat writes_seen)" "200 2"
curl -sS -X POST --data '{"only_param":"acquire"}' -o "$T/b" -w '%{http_code}' "$A/_standin/fault" >"$T/c"
same "only_param without only_key: 400" "$(cat "$T/c")" 400
fault '{"fail_reads":[2],"status":500,"body":"rpc error: No cluster leader"}'
req GET /v1/kv/f/1?raw
same "fail_reads: read 1 passes" "$code" 200
req PUT /v1/kv/f/w --data-binary w
req GET /v1/kv/f/1?raw
answer "fail_reads: read 2 (writes not counted) answers the injected status" 500 "rpc error: No cluster leader"
fault '{"fail_reads":[1],"status":503}'
txn '[{"KV":{"Verb":"get","Key":"f/1"}}]'
same "fail_reads: a read-only txn is a read" "$code" 503
fault '{"drop_reads":[1]}'
req GET '/v1/kv/f/?recurse' -H 'Connection: close'
same "drop_reads: no answer at all" "$code" curl-exit-52
fault '{"stall_reads":[1],"stall_ms":8000,"stall_read_phase":"body"}'
req GET '/v1/kv/f/?recurse' --max-time 4
same "stall_reads in the body: headers and part of the body, then nothing" \
	"$code $([ -s "$T/b" ] && echo partial) $(hdr Content-Length | grep -c .)" "curl-exit-28 partial 1"
same "stats count the reads and writes seen since the fault was set" \
	"$(stat reads_seen) $(stat writes_seen)" "1 0"
fault '{}'
curl -sS -X POST --data '{"fail_writes":"x"}' -o "$T/b" -w '%{http_code}' "$A/_standin/fault" >"$T/c"
same "a bad fault spec: 400" "$(cat "$T/c")" 400

# stats
curl -sS -X POST "$A/_standin/reset" >/dev/null
txn "$ops64"
txn "$ops64"
txn '[{"KV":{"Verb":"get","Key":"lim/1"}}]'
req PUT /v1/kv/s --data-binary s
req DELETE /v1/kv/s
curl -sS "$A/_standin/stats" >"$T/b"
same "stats after reset: txn counts, ops, writes, kv_put, kv_delete" \
	"$(js 'd["txn"], d["txn_writes"], d["txn_ops"], d["kv_put"], d["kv_delete"], len(d["txn_bytes"]), d["requests"]')" \
	"(3, 2, [64, 64, 1], 1, 1, 3, 5)"

# reset keeps the index increasing
req GET /v1/kv/nothing; i0=$(hdr X-Consul-Index)
curl -sS -X POST "$A/_standin/reset" >/dev/null
req GET /v1/kv/nothing; i1=$(hdr X-Consul-Index)
req GET '/v1/kv/lim/?recurse'
same "reset empties the KV store" "$code" 404
same "reset: X-Consul-Index does not go backwards" "$([ "$i1" -gt "$i0" ] && echo yes)" yes

# ---------------------------------------------------------------- blocking queries
req PUT /v1/kv/w --data-binary 1
req GET /v1/kv/w; wi=$(hdr X-Consul-Index)
t0=$(date +%s%N)
req GET "/v1/kv/w?index=$wi&wait=300ms"
t1=$(date +%s%N)
same "blocking GET without change waits and returns the same index" \
	"$code $(hdr X-Consul-Index) $([ $(((t1 - t0) / 1000000)) -ge 290 ] && echo waited)" "200 $wi waited"
(sleep 0.3; curl -sS -X PUT --data-binary 2 "$A/v1/kv/w" >/dev/null) &
bg=$!
t0=$(date +%s%N)
req GET "/v1/kv/w?index=$wi&wait=60s"
t1=$(date +%s%N)
wait $bg
same "blocking GET wakes up on a change (well before its 60 s wait)" \
	"$(js 'd[0]["Value"]') $([ "$(hdr X-Consul-Index)" -gt "$wi" ] && echo newer) $([ $(((t1 - t0) / 1000000)) -lt 30000 ] && echo early)" "Mg== newer early"

# ---------------------------------------------------------------- sessions
standin sess --ttl-scale 0.05
sc() { req PUT /v1/session/create --data-binary "$1"; }
sc '{"Name":"recsync","TTL":"3600s","LockDelay":"15s","Behavior":"release"}'
same "session create: 200 {\"ID\": uuid}" "$code $(js 'len(d["ID"]) == 36 and list(d)')" "200 ['ID']"
S1=$(js 'd["ID"]')
req GET "/v1/session/info/$S1"
same "session info" "$(js 'd[0]["Name"], d[0]["TTL"], d[0]["Behavior"], d[0]["LockDelay"], d[0]["NodeChecks"], d[0]["CreateIndex"] > 0')" \
	"('recsync', '3600s', 'release', 15000000000, ['serfHealth'], True)"
same "session info carries X-Consul-Index" "$([ -n "$(hdr X-Consul-Index)" ] && echo yes)" yes
req GET /v1/session/list
same "session list" "$(js '[s["ID"] for s in d]')" "['$S1']"
req PUT "/v1/session/renew/$S1"
same "renew returns [session]" "$code $(js 'd[0]["ID"]')" "200 $S1"
req PUT /v1/session/renew/00000000-0000-0000-0000-00000000dead
answer "renew of an unknown session: 404" 404 "Session id '00000000-0000-0000-0000-00000000dead' not found"
req GET /v1/session/info/00000000-0000-0000-0000-00000000dead
answer "info of an unknown session: 200 []" 200 "[]"
sc '{"TTL":"5s"}'
answer "TTL below 10s: 500 (Consul answers 500, not 400)" 500 "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]"
sc '{"TTL":"25h"}'
answer "TTL above 24h: 500" 500 "Invalid Session TTL '90000000000000', must be between [10s=24h0m0s]"
sc '{"TTL":"abc"}'
answer "unparsable TTL" 500 'Session TTL '"'"'abc'"'"' invalid: time: invalid duration "abc"'
sc '{"Behavior":"explode"}'
answer "bad Behavior" 500 "Invalid Behavior setting 'explode'"
sc '{"Name":'
answer "malformed session body: 400" 400 "Request decode failed: unexpected EOF"
req GET /v1/session/create
answer "GET /v1/session/create: 405" 405 "method GET not allowed"

# locks
# S2's lock-delay is Consul's most, 60 s: 3 s here, ample for the two
# checks made within it however busy the machine.
sc '{"Name":"other","LockDelay":"60s"}'
S2=$(js 'd["ID"]')
req PUT "/v1/kv/lock/k?acquire=$S1" --data-binary holder1
answer "acquire a free lock: true" 200 true
req GET /v1/kv/lock/k
same "locked key: LockIndex 1, Session set" "$(js 'd[0]["LockIndex"], d[0]["Session"]')" "(1, '$S1')"
req PUT "/v1/kv/lock/k?acquire=$S1" --data-binary holder1
answer "acquire by the holder again: true" 200 true
req PUT "/v1/kv/lock/k?acquire=$S2" --data-binary holder2
answer "acquire by another session: false" 200 false
req PUT "/v1/kv/lock/k?release=$S2"
answer "release by a non-holder: false" 200 false
req PUT "/v1/kv/lock/k?release=$S1" --data-binary released
answer "release by the holder: true" 200 true
req GET /v1/kv/lock/k
same "released: no Session, LockIndex kept" "$(js 'd[0]["LockIndex"], "Session" in d[0]')" "(1, False)"
req PUT "/v1/kv/lock/k?acquire=$S2" --data-binary holder2
req GET /v1/kv/lock/k
same "a new acquisition increments LockIndex" "$(js 'd[0]["LockIndex"], d[0]["Session"]')" "(2, '$S2')"
req PUT "/v1/kv/lock/k?acquire=nope-session" --data-binary x
answer "acquire with an unknown session: 500" 500 'raft apply failed: invalid session "nope-session"'
t_destroy=$(($(date +%s%N) / 1000000))
req PUT "/v1/session/destroy/$S2"
answer "destroy: true" 200 true
req GET /v1/kv/lock/k
same "destroy released the lock" "$(js '"Session" in d[0]')" False
req PUT "/v1/kv/lock/k?acquire=$S1" --data-binary again
answer "lock-delay after destroy: acquire refused" 200 false
txn "[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"lock/k\",\"Session\":\"$S1\"}}]"
same "lock-delay in a txn" "$code $(js 'd["Errors"][0]["What"]')" '409 failed to lock key "lock/k" due to lock delay'
same "...both within the lock-delay" "$(($(date +%s%N) / 1000000 - t_destroy < 3000))" 1
for i in $(seq 600); do
	req PUT "/v1/kv/lock/k?acquire=$S1" --data-binary again
	[ "$(cat "$T/b")" = true ] && break
	sleep 0.05
done
answer "after the lock-delay: acquired" 200 true
same "...not before the lock-delay (3 s) was over" "$(($(date +%s%N) / 1000000 - t_destroy >= 3000))" 1

req GET /v1/kv/lock/k
same "the TTL-less session still holds lock/k" "$(js 'd[0]["Session"]')" "$S1"

# TTL invalidation, on a stand-in of its own: TTL 10s * 2 (Consul's grace)
# * 0.2 = 4 s.  Times are taken around the requests (ms_now before one is
# sent, after its answer), so each check holds however slow the machine:
# an attempt that missed its window (a renewal more than 4 s after the
# creation, a look too late) is made again with a new session.
standin ttl --ttl-scale 0.2
ms_now() { echo $(($(date +%s%N) / 1000000)); }
renewed=
for _ in 1 2 3 4 5; do
	t_create=$(ms_now)
	sc '{"TTL":"10s","Behavior":"delete","LockDelay":0}'
	created=$(ms_now)
	S3=$(js 'd["ID"]')
	req PUT "/v1/kv/lock/del?acquire=$S3" --data-binary d
	sleep 2
	t_renew=$(ms_now)
	req PUT "/v1/session/renew/$S3"
	renew_code=$code renew_done=$(ms_now)
	# The first expiry is at most 4 s after $created: look after that ...
	while [ "$(ms_now)" -le $((created + 4000)) ]; do sleep 0.05; done
	req GET "/v1/session/info/$S3"
	# ... and before the renewed one, at least 4 s after $t_renew.
	if [ "$renew_done" -lt $((t_create + 4000)) ] && [ "$(ms_now)" -lt $((t_renew + 4000)) ]; then
		renewed="$renew_code $(js 'len(d)')"
		break
	fi
done
same "a session renewed before its TTL*2 outlives it" "$renewed" "200 1"
# Without renewal it goes, and not before 4 s after the renewal.
gone=
for i in $(seq 600); do
	req GET "/v1/session/info/$S3"
	[ "$(js 'len(d)')" = 0 ] && gone=$(ms_now) && break
	sleep 0.05
done
same "session invalidated after TTL*2 without renewal" \
	"$([ -n "$gone" ] && [ "$gone" -ge $((t_renew + 4000)) ] && echo yes)" yes
req GET /v1/kv/lock/del
same "Behavior delete: the held key is deleted" "$code" 404
req PUT "/v1/session/renew/$S3"
same "renewing an invalidated session: 404" "$code" 404

# ---------------------------------------------------------------- ACLs
standin acl --acl-token s3cr3t
# anon ACCESS KEY: Consul's message when the anonymous token lacks ACCESS.
anon() {
	printf "Permission denied: anonymous token lacks permission 'key:%s' on \"%s\". The anonymous token is used implicitly when a request does not specify a token." "$1" "$2"
}
req PUT /v1/kv/sec/a --data-binary 1 -H 'X-Consul-Token: s3cr3t'
answer "ACL: the token in X-Consul-Token may write" 200 true
same "ACL: default policy header" "$(hdr X-Consul-Default-Acl-Policy)" deny
req GET /v1/kv/sec/a -H 'Authorization: Bearer s3cr3t'
same "ACL: Authorization: Bearer works" "$code" 200
req GET '/v1/kv/sec/a?token=s3cr3t'
same "ACL: ?token= works" "$code" 200
req GET /v1/kv/sec/a
answer "ACL: anonymous read: 403" 403 "$(anon read sec/a)"
req PUT /v1/kv/sec/b --data-binary 1
answer "ACL: anonymous write: 403" 403 "$(anon write sec/b)"
req GET /v1/kv/sec/a -H 'X-Consul-Token: wrong'
answer "ACL: unknown token: 403 ACL not found" 403 "ACL not found"
req GET '/v1/kv/sec?recurse'
answer "ACL: anonymous list is filtered to nothing (404), not refused" 404 ""
txn '[{"KV":{"Verb":"set","Key":"sec/c","Value":"eA=="}},{"KV":{"Verb":"get","Key":"sec/a"}}]'
same "ACL: anonymous write txn: 409 with permission denied for the write op only" \
	"$code $(js 'len(d["Errors"]), d["Errors"][0]["OpIndex"]') $(js 'd["Errors"][0]["What"]')" \
	"409 (1, 0) $(anon write sec/c)"
txn '[{"KV":{"Verb":"get","Key":"sec/a"}}]'
same "ACL: anonymous read txn: result filtered out" "$code $(js 'd["Results"]')" "200 []"
req PUT /v1/session/create --data-binary '{}'
answer "ACL: anonymous session create: 403" 403 "Permission denied: anonymous token lacks permission 'session:write' on \"consul-standin\". The anonymous token is used implicitly when a request does not specify a token."

# ---------------------------------------------------------------- shutdown
kill -TERM "$PID_MAIN"
t0=$(date +%s)
wait "$PID_MAIN"; rc=$?
t1=$(date +%s)
same "SIGTERM: exits 0 promptly" "$rc $([ $((t1 - t0)) -le 15 ] && echo prompt)" "0 prompt"

done_testing
