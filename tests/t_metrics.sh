#!/bin/bash
# The metrics file as an operator's Prometheus sees it: a real
# node_exporter (Debian's prometheus-node-exporter) reading the test's
# directory with --collector.textfile.directory, a real Prometheus scraping
# it, both on loopback; /api/v1/query must find recsync_records of the
# store just synced, and status's drift.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ -z "$NODE_EXPORTER" ] || ! command -v prometheus >/dev/null; then
	fail "node_exporter and prometheus are installed" "run tests/install-deps as root"
	done_testing
fi
start_consul
start_redis
new_prefix
SETKEY="test:set:metrics"
RULES=$T/rules TEXTFILE=$T/textfile
mkdir -p "$RULES" "$TEXTFILE" "$T/prom"
# shellcheck disable=SC2317 # called through run
rs() {
	local sub=()
	case ${1:-} in status) sub=("$1"); shift ;; esac
	recsync "${sub[@]}" --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES" \
		--metrics-file "$TEXTFILE/recsync.prom" "$@"
}

NE_PORT=$(free_port)
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NE_PORT" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$TEXTFILE" >"$T/node_exporter.log" 2>&1 &
PIDS="$PIDS $!"
wait_for curl -sf "http://127.0.0.1:$NE_PORT/metrics" ||
	{ fail "node_exporter starts" "$(tail -n 20 "$T/node_exporter.log")"; done_testing; }
PROM_PORT=$(free_port)
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $TOP/examples/alerts.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NE_PORT']
YML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prometheus.log" 2>&1 &
PIDS="$PIDS $!"

# query PROMQL: the value of the one series the query gives, else nothing.
query() {
	curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")' 2>/dev/null
}
# until_query PROMQL WANT: polls until the query gives WANT (up to 3 min: a
# loaded machine starts Prometheus slowly, and it scrapes every second).
until_query() {
	local i=0
	while [ "$(query "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -gt 900 ] && return 1
		sleep 0.2
	done
}

records 7 >"$T/in"
run -i "$T/in" rs -q
[ "$status" = 0 ] || fail "the sync with --metrics-file" "$status" "$(cat "$T/err")"
curl -sf "http://127.0.0.1:$NE_PORT/metrics" >"$T/scraped"
if grep -q '^recsync_records{command="sync",store="consul"} 7$' "$T/scraped" &&
    grep -q '^node_textfile_scrape_error 0$' "$T/scraped"; then
	ok "node_exporter serves the file without a scrape error"
else
	fail "node_exporter serves the file" "$(grep -E 'recsync_records|textfile' "$T/scraped")"
fi
if until_query 'recsync_records{store="consul",command="sync"}' 7; then
	ok "Prometheus finds recsync_records{store=\"consul\"} = 7, the count just synced"
else
	fail "Prometheus finds recsync_records" "got '$(query 'recsync_records{store="consul",command="sync"}')'" \
		"$(tail -n 5 "$T/prometheus.log")"
fi
if until_query 'recsync_last_run_exit_status{command="sync"}' 0 &&
    until_query 'count(time() - recsync_last_success_timestamp_seconds{command="sync"} < 600)' 1; then
	ok "Prometheus: the sync's exit status and a recent success"
else
	fail "exit status and success"
fi

rcli DEL hke:heavy_expr:r000003 >/dev/null
run rs status
[ "$status" = 1 ] || fail "status finds the drift" "$status" "$(cat "$T/out")"
if until_query 'recsync_drift_records{kind="redis_no_value"}' 1 &&
    until_query 'sum(recsync_drift_records)' 1; then
	ok "Prometheus: status's drift, by kind"
else
	fail "drift in Prometheus" "$(cat "$TEXTFILE/recsync.prom")"
fi
if until_query 'recsync_records{store="consul",command="sync"}' 7; then
	ok "status kept the sync's series in the shared file"
else
	fail "sync's series kept"
fi

# examples/alerts.yml in the real Prometheus.  Once RecsyncDrift is
# pending (its hour not up), the rules have seen status's exit 1: that is
# no failure, so RecsyncFailing stays silent; a sync that fails (Consul
# unreachable: 69) makes it fire.
if until_query 'ALERTS{alertname="RecsyncDrift",alertstate="pending"}' 1 &&
    [ "$(query 'count(ALERTS{alertname="RecsyncFailing"}) or vector(0)')" = 0 ]; then
	ok "RecsyncDrift pending, RecsyncFailing silent on status's exit 1"
else
	fail "alerts before the failure" "$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/alerts")"
fi
run -i /dev/null rs -q --consul 127.0.0.1:1
[ "$status" = 69 ] || fail "the failing sync" "$status" "$(cat "$T/err")"
if until_query 'ALERTS{alertname="RecsyncFailing",alertstate="firing",command="sync"}' 1; then
	ok "a real Prometheus with examples/alerts.yml fires RecsyncFailing"
else
	fail "RecsyncFailing fires" "$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/alerts")"
fi
done_testing
