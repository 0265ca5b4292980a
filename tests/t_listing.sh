#!/bin/bash
# The names recsync lists (retire's dry run, what it keeps out of Redis in
# one, rebuild's plan) are read from the records as JSON, whatever their
# member order, spacing or escapes, not picked out of the text; a dry run
# that stops early lists what it got to, and nothing it did not.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul
start_redis
new_prefix
SETKEY=listing:$PREFIX
RULES=$T/rules
mkdir "$RULES"

# shellcheck disable=SC2317 # called through run
rs() {
	local sub=()
	case ${1:-} in retire|rebuild) sub=("$1"); shift ;; esac
	recsync "${sub[@]}" --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES" "$@"
}

records 3 >"$T/three"
run -i "$T/three" rs
expect "three records stored" 0 ""

# r000001 by escapes, r000002 with its members the other way round.
printf '%s\n' '{"record":"hke:heavy_expr:\u0072000001","expr":"x"}' \
	'{ "expr" : "y" , "record" : "hke:heavy_expr:r000002" }' >"$T/retire"
run -i "$T/retire" rs retire --dry-run
expect "retire --dry-run exits 0" 0 "would remove"
for n in 1 2; do
	has "retire --dry-run: the key of r00000$n" \
		"^recsync: dry run: would remove $PREFIX/$n \\(hke:heavy_expr:r00000$n\\)$" "$T/err"
	has "retire --dry-run: r00000$n out of Redis, by its name" \
		"^recsync: dry run: would remove hke:heavy_expr:r00000$n from Redis$" "$T/err"
done
is "retire --dry-run: four lines" "$(grep -c 'would remove' "$T/err")" 4

# r000003 stored a second time, under key 4 (as another writer may have):
# a retire of key 4 alone leaves the name stored, so Redis keeps it.
consul_curl "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/3?raw" >"$T/value3"
consul_curl -X PUT --data-binary "@$T/value3" "$CONSUL_HTTP_ADDR/v1/kv/$PREFIX/4" >/dev/null
sed -n 3p "$T/three" | sed 's/}$/,"index":4}/' >"$T/key4"
run -i "$T/key4" rs retire --dry-run
expect "retire --dry-run of one key of two exits 0" 0 "would remove"
has "one key of two: that key" "^recsync: dry run: would remove $PREFIX/4 \\(hke:heavy_expr:r000003\\)$" "$T/err"
is "one key of two: the name stays in Redis" "$(grep -c 'from Redis' "$T/err")" 0

# Consul gone: the dry run stops at its first stage and lists nothing.
run -i "$T/retire" rs retire --dry-run --consul 127.0.0.1:1 --retries 0
expect "retire --dry-run without Consul: 69" 69 "cannot reach Consul"
lacks "retire --dry-run without Consul: no file missing behind it" \
	'No such file|cannot open|Could not open' cat "$T/err"
lacks "retire --dry-run without Consul: nothing listed" 'would remove' cat "$T/err"

# rebuild's plan: the names to add and to remove.
printf '%s\n' '{"record":"hke:heavy_expr:\u0072000009","expr":"x"}' \
	'{"record":"hke:heavy_expr:r000001","expr":"x"}' >"$T/rebuild"
run -i "$T/rebuild" rs rebuild
expect "rebuild's plan exits 0" 0 "run it with --yes"
has "rebuild's plan: the name to add" '^  add hke:heavy_expr:r000009$' "$T/err"
has "rebuild's plan: a name to remove" '^  remove hke:heavy_expr:r000002$' "$T/err"

done_testing
