#!/bin/bash
# TLS and the forms of the Consul address: kvdiff and kvpush against the
# stand-in serving HTTPS (--tls-cert/--tls-key, --tls-client-ca), with
# certificates made here by the openssl CLI: https:// with CONSUL_CACERT or
# CONSUL_CAPATH, no CA, CONSUL_HTTP_SSL_VERIFY=false, client certificates
# (CONSUL_CLIENT_CERT/KEY), host:port with CONSUL_HTTP_SSL; then host:port
# over plain HTTP and the default address 127.0.0.1:8500.
#
# The TLS checks always run on stand-ins of their own, also when
# RECSYNC_TEST_CONSUL names a real agent: they test the tools' TLS settings
# (libcurl's), for which an agent would need this script's certificates.
# The plain-HTTP checks use start_consul, so the real agent when given.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
unset CONSUL_HTTP_SSL CONSUL_HTTP_SSL_VERIFY CONSUL_CACERT CONSUL_CAPATH \
	CONSUL_CLIENT_CERT CONSUL_CLIENT_KEY CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR

if ! command -v openssl >/dev/null; then
	skip "TLS checks need the openssl CLI (tests/install-deps installs it)"
	done_testing
fi

# --- certificates: a CA, the server's for 127.0.0.1, a client's
P=$T/pki
mkdir -p "$P/capath"
ossl() { openssl "$@" >>"$P/log" 2>&1 || { fail "openssl $1" "$(cat "$P/log")"; done_testing; }; }
newkey() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $P/$1.key"; }
# shellcheck disable=SC2046 # newkey's words are arguments
ossl req -x509 $(newkey ca) -out "$P/ca.crt" -subj /CN=recsync-test-ca -days 2
# sign NAME CN EXTENSIONS: a key and a certificate signed by the CA.
sign() {
	# shellcheck disable=SC2046
	ossl req $(newkey "$1") -out "$P/$1.csr" -subj "/CN=$2"
	printf '%s\n' "$3" >"$P/$1.ext"
	ossl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
		-CAcreateserial -out "$P/$1.crt" -days 2 -extfile "$P/$1.ext"
}
sign server localhost 'subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth'
sign other elsewhere 'subjectAltName=DNS:elsewhere.invalid
extendedKeyUsage=serverAuth'
sign client recsync-client 'extendedKeyUsage=clientAuth'
cp "$P/ca.crt" "$P/capath/"
ossl rehash "$P/capath"

start_standin tls --tls-cert "$P/server.crt" --tls-key "$P/server.key"
TLS=$STANDIN_URL
start_standin mtls --tls-cert "$P/server.crt" --tls-key "$P/server.key" \
	--tls-client-ca "$P/ca.crt"
MTLS=$STANDIN_URL
start_standin other --tls-cert "$P/other.crt" --tls-key "$P/other.key"
OTHER=$STANDIN_URL
case $TLS in https://127.0.0.1:*) ok "a TLS stand-in gives an https:// address" ;;
*) fail "a TLS stand-in gives an https:// address" "$TLS" ;; esac
HOSTPORT=${TLS#https://}

new_prefix
records 3 >"$T/in"
# tls ENV... -- CMD...: CMD with only the given TLS variables set.
tls() {
	vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	run -i "$T/in" env "${vars[@]}" "$@"
}
# landed NAME: the last run printed the three records and left no stderr.
landed() {
	if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = 3 ] && [ ! -s "$T/err" ]; then
		ok "$1"
	else
		fail "$1" "status $status, $(wc -l <"$T/out") lines" "$(cat "$T/err")"
	fi
}
TLSFAIL='cannot reach Consul at https://127\.0\.0\.1:[0-9]+: .*(SSL|TLS|certificate)'

# --- server certificate checked against CONSUL_CACERT / CONSUL_CAPATH
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_CACERT="$P/ca.crt" -- kvpush --prefix "$PREFIX"
landed "https:// with CONSUL_CACERT: kvpush writes"
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_CACERT="$P/ca.crt" -- kvdiff --all --prefix "$PREFIX"
landed "https:// with CONSUL_CACERT: kvdiff reads"
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_CAPATH="$P/capath" -- kvdiff --all --prefix "$PREFIX"
landed "https:// with CONSUL_CAPATH (a hashed directory)"
tls CONSUL_HTTP_ADDR="$TLS" -- kvdiff --all --prefix "$PREFIX" --retries 0
expect "https:// without the CA: 69, the certificate named" 69 "$TLSFAIL" /dev/null
tls CONSUL_HTTP_ADDR="$TLS" -- kvpush --prefix "$PREFIX" --retries 0
expect "kvpush without the CA: 69, nothing printed" 69 "$TLSFAIL" /dev/null
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_CACERT="$P/nowhere.pem" -- kvdiff --prefix "$PREFIX" --retries 0
expect "a CONSUL_CACERT that does not exist: 69" 69 'cannot reach Consul at https://'
tls CONSUL_HTTP_ADDR="$OTHER" CONSUL_CACERT="$P/ca.crt" -- kvdiff --all --prefix "$PREFIX" --retries 0
expect "a certificate for another host name: 69" 69 "$TLSFAIL" /dev/null

# --- CONSUL_HTTP_SSL_VERIFY
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_HTTP_SSL_VERIFY=false -- kvdiff --all --prefix "$PREFIX"
landed "CONSUL_HTTP_SSL_VERIFY=false: no CA needed"
tls CONSUL_HTTP_ADDR="$OTHER" CONSUL_HTTP_SSL_VERIFY=0 -- kvdiff --all --prefix "$PREFIX"
landed "CONSUL_HTTP_SSL_VERIFY=0: another host name's certificate taken"
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_HTTP_SSL_VERIFY=true -- kvdiff --all --prefix "$PREFIX" --retries 0
expect "CONSUL_HTTP_SSL_VERIFY=true still verifies" 69 "$TLSFAIL"
tls CONSUL_HTTP_ADDR="$TLS" CONSUL_HTTP_SSL_VERIFY=maybe -- kvdiff --prefix "$PREFIX"
expect "CONSUL_HTTP_SSL_VERIFY=maybe: 64" 64 "CONSUL_HTTP_SSL_VERIFY: expected true or false"

# --- client certificates (the agent's verify_incoming)
failed_before=$(consul_curl --cacert "$P/ca.crt" --cert "$P/client.crt" --key "$P/client.key" \
	"$MTLS/_standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tls_failed"])')
tls CONSUL_HTTP_ADDR="$MTLS" CONSUL_CACERT="$P/ca.crt" CONSUL_CLIENT_CERT="$P/client.crt" \
	CONSUL_CLIENT_KEY="$P/client.key" -- kvdiff --all --prefix "$PREFIX"
landed "a client certificate required: CONSUL_CLIENT_CERT/KEY given, it works"
tls CONSUL_HTTP_ADDR="$MTLS" CONSUL_CACERT="$P/ca.crt" -- kvdiff --all --prefix "$PREFIX" --retries 0
# libcurl's reason is a race: "tlsv13 alert certificate required" when it
# reads the server's alert, "getpeername() failed" when the reset came first.
expect "a client certificate required, none given: 69" 69 \
	'cannot reach Consul at https://127\.0\.0\.1:[0-9]+: ' /dev/null
tls CONSUL_HTTP_ADDR="$MTLS" CONSUL_CACERT="$P/ca.crt" -- kvpush --prefix "$PREFIX" --retries 0
expect "kvpush without its client certificate: 69, nothing printed" 69 'cannot reach Consul' /dev/null
failed_after=$(consul_curl --cacert "$P/ca.crt" --cert "$P/client.crt" --key "$P/client.key" \
	"$MTLS/_standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tls_failed"])')
if [ "$failed_after" -ge $((failed_before + 2)) ]; then
	ok "the server refused the handshakes without a client certificate"
else
	fail "the server refused the handshakes" "tls_failed $failed_before -> $failed_after"
fi

# --- host:port with CONSUL_HTTP_SSL=true is https
tls CONSUL_HTTP_ADDR="$HOSTPORT" CONSUL_HTTP_SSL=true CONSUL_CACERT="$P/ca.crt" -- kvdiff --all --prefix "$PREFIX"
landed "CONSUL_HTTP_ADDR=host:port with CONSUL_HTTP_SSL=true speaks https"
tls CONSUL_HTTP_SSL=1 CONSUL_CACERT="$P/ca.crt" -- kvdiff --all --prefix "$PREFIX" --consul "$HOSTPORT"
landed "--consul host:port with CONSUL_HTTP_SSL=1 speaks https"
tls CONSUL_HTTP_ADDR="$HOSTPORT" CONSUL_CACERT="$P/ca.crt" -- kvdiff --all --prefix "$PREFIX" --retries 0
expect "host:port without CONSUL_HTTP_SSL is plain http: the TLS port answers nothing" 69 \
	'cannot reach Consul at http://127\.0\.0\.1:[0-9]+: '
tls CONSUL_HTTP_ADDR="$HOSTPORT" CONSUL_HTTP_SSL=false CONSUL_CACERT="$P/ca.crt" -- kvdiff --prefix "$PREFIX" --retries 0
expect "CONSUL_HTTP_SSL=false: plain http" 69 'cannot reach Consul at http://'
tls CONSUL_HTTP_ADDR="$HOSTPORT" CONSUL_HTTP_SSL=yes -- kvdiff --prefix "$PREFIX"
expect "CONSUL_HTTP_SSL=yes: 64" 64 "CONSUL_HTTP_SSL: expected true or false"

# --- plain HTTP: host:port, and the default address
start_consul
case $CONSUL_HTTP_ADDR in
http://*)
	new_prefix
	records 3 | kvpush --prefix "$PREFIX" >/dev/null
	tls CONSUL_HTTP_ADDR="${CONSUL_HTTP_ADDR#http://}" -- kvdiff --all --prefix "$PREFIX"
	landed "CONSUL_HTTP_ADDR=host:port is http"
	;;
*) skip "CONSUL_HTTP_ADDR=host:port (the agent is not http://)" ;;
esac
if (exec 3<>/dev/tcp/127.0.0.1/8500) 2>/dev/null; then
	skip "the default address 127.0.0.1:8500 (something listens there)"
else
	start=$(date +%s%N)
	tls -- env -u CONSUL_HTTP_ADDR kvdiff --prefix "$PREFIX" --retries 0
	ms=$((($(date +%s%N) - start) / 1000000))
	expect "no CONSUL_HTTP_ADDR: 127.0.0.1:8500, refused" 69 \
		'cannot reach Consul at http://127\.0\.0\.1:8500: .*(refused|Could not connect|Couldn.t connect)'
	# not the 30 s --timeout; room for a busy machine
	if [ "$ms" -lt 20000 ]; then
		ok "a refused connection fails at once (${ms} ms)"
	else
		fail "a refused connection fails at once" "${ms} ms"
	fi
fi

done_testing
