#!/bin/bash
# ACL tokens: Consul with default-deny ACLs (the stand-in started with
# --acl-token, or a real agent with RECSYNC_TEST_CONSUL_TOKEN): the tools
# work with the token from each of its sources, fail with 77 without it,
# and never print it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
TOKEN=${RECSYNC_TEST_CONSUL_TOKEN:-3f1c9a52-5b1e-4d8e-9c57-0d6a1a7e2b44}
if [ -n "${RECSYNC_TEST_CONSUL:-}" ] && [ -z "${RECSYNC_TEST_CONSUL_TOKEN:-}" ]; then
	skip "ACL tests need RECSYNC_TEST_CONSUL_TOKEN with a real agent"
	done_testing
fi
start_consul --acl-token "$TOKEN"
new_prefix
unset CONSUL_HTTP_TOKEN CONSUL_HTTP_TOKEN_FILE
records 3 >"$T/in"
printf '%s\n' "$TOKEN" >"$T/token"

# no token: the anonymous token may write nothing
run -i "$T/in" kvpush --prefix "$PREFIX" -vv
expect "kvpush without a token: 77" 77 "Permission denied"
if [ ! -s "$T/out" ]; then
	ok "nothing printed for a refused write"
else
	fail "nothing printed for a refused write"
fi
run -i "$T/in" kvpush --prefix "$PREFIX" --token-file "$T/nowhere"
expect "a missing token file: 66" 66 "token file"

# the token from each source, and never in a message
for how in env file-env file-opt; do
	new_prefix
	case $how in
	env)      run -i "$T/in" env CONSUL_HTTP_TOKEN="$TOKEN" kvpush --prefix "$PREFIX" -vv ;;
	file-env) run -i "$T/in" env CONSUL_HTTP_TOKEN_FILE="$T/token" kvpush --prefix "$PREFIX" -vv ;;
	file-opt) run -i "$T/in" kvpush --prefix "$PREFIX" --token-file "$T/token" -vv ;;
	esac
	if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = 3 ]; then
		ok "kvpush with the token ($how)"
	else
		fail "kvpush with the token ($how)" "status $status" "$(cat "$T/err")"
	fi
	if grep -qF "$TOKEN" "$T/err" "$T/out"; then
		fail "the token appears in no output ($how)"
	else
		ok "the token appears in no output ($how)"
	fi
done
run -i /dev/null env CONSUL_HTTP_TOKEN="$TOKEN" kvdiff --all --prefix "$PREFIX"
if [ "$status" = 0 ] && [ "$(wc -l <"$T/out")" = 3 ]; then
	ok "kvdiff --all with the token"
else
	fail "kvdiff with the token"
fi
run -i "$T/in" env CONSUL_HTTP_TOKEN=not-the-token kvdiff --prefix "$PREFIX"
expect "kvdiff with an unknown token: 77" 77 "ACL not found"
if grep -q not-the-token "$T/err"; then
	fail "an unknown token is not echoed"
else
	ok "an unknown token is not echoed"
fi
# recsync --token-file: the token for kvlock and every tool, never shown
start_redis
new_prefix
mkdir "$T/rules"
run -i "$T/in" recsync --token-file "$T/token" --prefix "$PREFIX" --rules-dir "$T/rules" -vv
if [ "$status" = 0 ] && [ "$(kvdiff -q --all --prefix "$PREFIX" --token-file "$T/token" </dev/null | wc -l)" = 3 ] &&
    ! grep -qF "$TOKEN" "$T/err" "$T/out"; then
	ok "recsync --token-file: stored under the lock, the token never shown"
else
	fail "recsync --token-file" "status $status" "$(cat "$T/err")"
fi
run -i "$T/in" recsync --prefix "$PREFIX" --rules-dir "$T/rules"
expect "recsync without the token: 77" 77 "Permission denied"
run env CONSUL_HTTP_TOKEN="$TOKEN" kvlock --prefix "$PREFIX" -- true
expect "kvlock with the token" 0 ""
run kvlock --prefix "$PREFIX" -- true
expect "kvlock without a token: 77" 77 "Permission denied"
done_testing
