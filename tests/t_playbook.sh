#!/bin/bash
# runner: once
# examples/playbook.yml under ansible-core, as a user runs it: two
# Prometheus servers of the inventory (both this host, connection local),
# their query logs fetched, qlogscan | recsync into Consul and Redis, then
# each server's share rendered into its rule file and a real Prometheus
# reloaded at the URL the inventory gives.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
if ! command -v ansible-playbook >/dev/null; then
	fail "ansible-playbook is installed" "tests/install-deps installs ansible-core"
	done_testing
fi
start_consul
start_redis
new_prefix
SETKEY="test:set:$$"

# Two query logs of heavy range queries (6 s of inner evaluation), four
# queries in each, two of them shared.
mkdir -p "$T/logs" "$T/work" "$T/rules"
querylog() {
	python3 - "$@" <<'PY'
import json, sys
for i in sys.argv[1:]:
    print(json.dumps({"httpRequest": {"clientIP": "10.0.0.1", "method": "POST", "path": "/api/v1/query_range"},
        "params": {"end": "2026-11-25T10:00:00.000Z", "query": "sum by (job) (rate(http_requests_total{job=\"j%s\"}[5m]))" % i,
                   "start": "2026-11-25T09:00:00.000Z", "step": 15},
        "stats": {"timings": {"evalTotalTime": 6.1, "resultSortTime": 0, "queryPreparationTime": 0.1,
                              "innerEvalTime": 6.0, "execQueueTime": 0, "execTotalTime": 6.1}},
        "ts": "2026-11-25T10:00:05.702Z"}))
PY
}
querylog 1 2 3 4 >"$T/logs/query.log"

# The real Prometheus both "servers" reload: it loads both shards.
port=$(free_port)
cat >"$T/prom.yml" <<YAML
global: {evaluation_interval: 1m}
rule_files: ["$T/rules/shard-prom0.yml", "$T/rules/shard-prom1.yml"]
YAML
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/promdata" \
	--web.listen-address="127.0.0.1:$port" --web.enable-lifecycle >"$T/prom.log" 2>&1 &
PIDS="$PIDS $!"
wait_for curl -sf "http://127.0.0.1:$port/-/ready" || fail "prometheus starts" "$(tail -5 "$T/prom.log")"

cat >"$T/recsync.env" <<ENV
CONSUL_HTTP_ADDR=$CONSUL_HTTP_ADDR
REDIS_URL=$REDIS_URL
RECSYNC_PREFIX=$PREFIX
RECSYNC_SET_KEY=$SETKEY
RECSYNC_RULES_DIR=$T/rules
ENV
# config.yaml as examples/config.yaml has it, without the per-server
# variables, which the inventory gives (this file would outrank it).
cat >"$T/config.yaml" <<YAML
prome_query_log:
  log_path: $T/logs/query.log
  local_work_dir: $T/work
recsync_env_file: $T/recsync.env
YAML
cat >"$T/hosts" <<INI
[prometheus]
prom0 prome_rules_file=$T/rules/shard-prom0.yml
prom1 prome_rules_file=$T/rules/shard-prom1.yml
[prometheus:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
prome_reload_url=http://127.0.0.1:$port
INI
export ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 HOME=$T
unset ANSIBLE_CONFIG; cd "$T" || exit 1	# no ansible.cfg of the tree or the user

run ansible-playbook -i "$T/hosts" "$TOP/examples/playbook.yml" \
	-e recsync_config="$T/config.yaml" -e recsync_render=true
stored=$(kvdiff -q --all --prefix "$PREFIX" </dev/null | wc -l)
if [ "$status" = 0 ] && [ "$stored" = 4 ] && [ "$(rcli SCARD "$SETKEY")" = 4 ] &&
    grep -q '"pushed": 4' "$T/out"; then
	ok "the playbook: logs fetched, 4 records synced into Consul and Redis"
else
	fail "the playbook's sync" "status $status, $stored stored" "$(tail -40 "$T/out")" "$(tail -20 "$T/err")"
fi
if [ -f "$T/work/prom0.log" ] && [ -f "$T/work/prom1.log" ]; then
	ok "each server's log fetched to local_work_dir"
else
	fail "fetched logs" "$(ls "$T/work")"
fi
n=$(curl -s "http://127.0.0.1:$port/api/v1/rules" |
	python3 -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
if [ "$n" = 4 ] && [ -f "$T/rules/shard-prom0.yml" ] && [ -f "$T/rules/shard-prom1.yml" ]; then
	ok "each server rendered its share; Prometheus at prome_reload_url reloaded and serves all 4 rules"
else
	fail "the playbook's render" "Prometheus serves $n rules" "$(tail -40 "$T/out")"
fi

# Run again: nothing new, the render changes nothing.
run ansible-playbook -i "$T/hosts" "$TOP/examples/playbook.yml" \
	-e recsync_config="$T/config.yaml" -e recsync_render=true
if [ "$status" = 0 ] && grep -Eq 'ok=[0-9]+ +changed=0 ' "$T/out"; then
	ok "the playbook again: nothing changed anywhere"
else
	fail "the playbook again" "status $status" "$(tail -30 "$T/out")"
fi
if kvdiff -q --all --prefix "$PREFIX" </dev/null | grep -c '"tracked_since":"' | grep -qx 4; then
	ok "the playbook's touch: every record tracked in Consul"
else
	fail "the playbook's touch: every record tracked in Consul" "$(kvdiff -q --all --prefix "$PREFIX" </dev/null)"
fi

# The weekly retire: its plan in check mode, then for real; the records were
# tracked today, so nothing is unused and nothing goes.
run ansible-playbook -i "$T/hosts" "$TOP/examples/playbook.yml" --check \
	-e recsync_config="$T/config.yaml" -e recsync_retire=true -e recsync_unused_for=30d
if [ "$status" = 0 ] && grep -q '"plan": true' "$T/out"; then ok "the retire play in check mode: the plan"
else fail "the retire play in check mode: the plan" "status $status" "$(tail -30 "$T/out")"; fi
run ansible-playbook -i "$T/hosts" "$TOP/examples/playbook.yml" \
	-e recsync_config="$T/config.yaml" -e recsync_retire=true -e recsync_unused_for=30d
stored=$(kvdiff -q --all --prefix "$PREFIX" </dev/null | wc -l)
if [ "$status" = 0 ] && [ "$stored" = 4 ] && grep -Eq 'ok=[0-9]+ +changed=0 ' "$T/out"; then
	ok "the retire play: nothing unused, nothing retired, nothing changed"
else
	fail "the retire play: nothing unused, nothing retired" "status $status, $stored stored" "$(tail -30 "$T/out")"
fi
done_testing
