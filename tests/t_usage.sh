#!/bin/bash
# qlogscan --usage: the records the query logs show in use.  Hand-made
# lines in Prometheus 2.x ("ts") and 3.x ("time", slog) form, and a
# generated log, are checked against a reference written here in Python
# (json.loads and hashlib); then a real Prometheus logs raw heavy queries
# and queries that use recorded series.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# The reference: for each line over HTTP with a time, the names its query
# or match[] selectors mention and the name its cleaned query hashes to
# (unless it mentions the prefix), once per line; last_used the latest
# time, in UTC to the second.
cat >"$T/ref.py" <<'PY'
import hashlib, json, re, sys
from datetime import datetime, timezone
prefix = "hke:heavy_expr"
mention = re.compile(r"(?<![A-Za-z0-9_:])" + re.escape(prefix) +
                     r":[0-9a-f]{32}(?![A-Za-z0-9_:])")
def clean(q):
    q = q.replace("\r", "").replace("\n", "").strip()
    return q[1:] if q.startswith("-") else q
def when(s):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    z = m.group(3).replace("Z", "+00:00")
    t = datetime.fromisoformat(m.group(1) + z)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
uses = {}
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8", errors="surrogateescape"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if not isinstance(e, dict) or not isinstance(e.get("httpRequest"), dict):
            continue
        t = e.get("ts", e.get("time"))
        p = e.get("params", {})
        names = set()
        q = p.get("query")
        if isinstance(q, str):
            names.update(mention.findall(q))
            c = clean(q)
            if prefix not in q and c:
                names.add(prefix + ":" + hashlib.md5(c.encode()).hexdigest())
        m = p.get("match[]", [])
        for s in [m] if isinstance(m, str) else m:
            names.update(mention.findall(s))
        for n in names:
            last, k = uses.get(n, ("", 0))
            uses[n] = (max(last, when(t)), k + 1)
for n in sorted(uses):
    print(json.dumps({"record": n, "last_used": uses[n][0], "uses": uses[n][1]},
                     separators=(",", ":")))
PY

H=hke:heavy_expr
A=$H:0123456789abcdef0123456789abcdef
B=$H:fedcba9876543210fedcba9876543210
# v2 TS QUERY [PATH]: a 2.x line; v3 TIME QUERY: a 3.x slog line.
v2() {
	printf '{"httpRequest":{"clientIP":"127.0.0.1","method":"GET","path":"%s"},' "${3:-/api/v1/query_range}"
	printf '"params":{"end":"%s","query":"%s","start":"%s","step":15},' "$1" "$2" "$1"
	printf '"stats":{"timings":{"evalTotalTime":0.1,"queryPreparationTime":0,"innerEvalTime":0.1}},"ts":"%s"}\n' "$1"
}
v3() {
	printf '{"time":"%s","level":"INFO","source":"engine.go:1","msg":"promql query logged",' "$1"
	printf '"params":{"end":"%s","query":"%s","start":"%s","step":15},' "$1" "$2" "$1"
	printf '"stats":{"timings":{"evalTotalTime":0.1}},"httpRequest":{"clientIP":"127.0.0.1","method":"GET","path":"/api/v1/query"}}\n'
}
{
	v2 2024-05-01T10:00:00.000Z "sum($A)"
	v2 2024-03-01T10:00:00.000Z "sum($A) + $A"		# one use, an older time
	v3 2025-01-02T03:04:05.123456789+08:00 "rate(${B}[5m])"	# 3.x, an offset
	v2 2024-05-02T00:00:00Z 'sum(rate(x{job=\"a\"}[5m]))'	# a raw heavy query
	v3 2024-05-03T00:00:00Z '  sum(rate(x{job=\"a\"}[5m]))\n'	# cleaned, the same
	v2 2024-05-04T00:00:00Z "x$A"				# not a whole name
	v2 2024-05-04T00:00:00Z "$A""0"				# nor this
	v2 2024-05-04T00:00:00Z "${A^^}"			# upper case: no md5 name
	printf '{"params":{"query":"%s"},"ruleGroup":{"name":"g"},"ts":"2030-01-01T00:00:00Z"}\n' "$A"
	printf '{"httpRequest":{"path":"/api/v1/series"},"params":{"match[]":["up","%s"]},"ts":"2024-06-01T00:00:00Z"}\n' "$B"
	printf '{"httpRequest":{"path":"/api/v1/series"},"params":{"match[]":"%s"},"ts":"2024-06-02T00:00:00Z"}\n' "$B"
	printf '{"httpRequest":{"path":"/x"},"params":{"que\\u0072y":"%s"},"ts":"2024-07-01T00:00:00Z"}\n' "$A"
	printf '{"httpRequest":{"path":"/x"},"params":{"query":"up","query":"%s"},"ts":"2024-07-02T00:00:00Z"}\n' "$B"
	printf '{"httpRequest":{"path":"/x"},"params":{"query":"\\u0073um(%s)"},"ts":"2024-07-03T00:00:00\\u005a"}\n' "$A"
	printf '{"httpRequest":{"path":"/x"},"params":{"query":"caf\xc3\xa9 \\ud83d\\ude00"},"ts":"2024-07-04T00:00:00Z"}\n'
	printf '{"httpRequest":{"path":"/x"},"params":{"query":"deep"},"x":%s1%s,"ts":"2024-07-05T00:00:00Z"}\n' \
		"$(printf '[%.0s' $(seq 40))" "$(printf ']%.0s' $(seq 40))"
	printf '{"httpRequest":{"path":"/x"},"params":{"query":"n"},"n":-0.5e+3,"t":true,"f":false,"z":null,"ts":"2024-07-06T00:00:00Z"}\n'
} >"$T/hand.log"

run qlogscan --usage --stats "$T/hand.log"
python3 "$T/ref.py" "$T/hand.log" >"$T/want"
expect "hand-made lines: as the reference says" 0 'stats: not-http 1$' "$T/want"
has "a mention twice in a line is one use; last_used the latest of the log" \
	"\"record\":\"$A\",\"last_used\":\"2024-07-03T00:00:00Z\",\"uses\":4}" "$T/out"
has "3.x time with an offset, in UTC; match[] as an array and as a string" \
	"\"record\":\"$B\",\"last_used\":\"2025-01-01T19:04:05Z\",\"uses\":4}" "$T/out"
lacks "a rule evaluation is no use (its time would be 2030)" 2030 cat "$T/out"
lacks "a name inside a longer name is none; upper case is no md5" \
	"${A^^}|\"$A"0 cat "$T/out"

# Bad lines: counted and shown at FILE:LINE, the rest goes on, status 0 as
# for any noise in a query log.
{
	v2 2024-05-01T10:00:00Z "$A"
	printf '{"httpRequest":{},"params":{"query":"%s"}}\n' "$B"
	printf '{"httpRequest":{},"params":{"query":"%s"},"ts":"yesterday"}\n' "$B"
	printf '{"httpRequest":{},"params":{"query":"%s"},"ts":1714557600}\n' "$B"
	printf '{"httpRequest":{},"params":{"query":"%s","n":3\0},"ts":"2024-05-01T00:00:00Z"}\n' "$B"
	printf '{"httpRequest":"x","params":{"query":"%s"},"ts":"2024-05-01T00:00:00Z"}\n' "$B"
	printf '{"httpRequest":{},"params":{"match[]":[1]},"ts":"2024-05-01T00:00:00Z"}\n'
	printf '{"httpRequest":{},"params":{"query":"%s"},"ts":"2024-05-01T00:00:00Z"} x\n' "$B"
	printf 'level=info msg="not JSON"\n'
} >"$T/bad.log"
run qlogscan --usage "$T/bad.log"
printf '{"record":"%s","last_used":"2024-05-01T10:00:00Z","uses":1}\n' "$A" >"$T/want"
expect "bad lines: only the good line's use" 0 'bad.log:2: "ts" or "time" is missing' "$T/want"
for want in 'bad.log:3: "ts" or "time" is not an RFC 3339 time' \
    'bad.log:4: "ts" or "time" is not a string' 'bad.log:5: .*NUL byte' \
    '8 bad lines skipped'; do
	has "bad lines: $want" "$want" "$T/err"
done

# A generated log of realistic lines: the same as the reference, line for
# line; and --usage sees every record that the heavy-query mode finds.
if python3 "$TOP/bench/qlogscan-gen" 3 11 >"$T/gen.log" 2>"$T/gen.err"; then
	run qlogscan --usage "$T/gen.log"
	python3 "$T/ref.py" "$T/gen.log" >"$T/want"
	expect "generated log: as the reference says" 0 "" "$T/want"
	if qlogscan "$T/gen.log" | python3 -c '
import json, sys
used = {json.loads(l)["record"] for l in open(sys.argv[1])}
heavy = [json.loads(l)["record"] for l in sys.stdin]
sys.exit(not heavy or not set(heavy) <= used)' "$T/out"; then
		ok "generated log: every heavy record is in use"
	else
		fail "generated log: every heavy record is in use"
	fi
else
	fail "bench/qlogscan-gen runs" "$(cat "$T/gen.err")"
fi

# A real Prometheus: raw heavy queries, and the same after the proxy's
# rewrite into recorded series (the series do not exist; the query runs and
# is logged all the same).  Its log names each record in use.
if ! command -v prometheus >/dev/null; then
	skip "Prometheus query log (prometheus not installed)"
	done_testing
fi
start_prometheus "$T/prom" || done_testing
RAW='sum by (job) (rate(prometheus_http_requests_total[1m]))'
NAME=$H:$(printf '%s' "$RAW" | md5sum | cut -d' ' -f1)
# shellcheck disable=SC2317 # called through check
send() { ep=$1; shift; curl -sSf -G "$PROM_URL/api/v1/$ep" --data-urlencode "$@" >/dev/null; }
check "prometheus answers a raw heavy query" send query "query=$RAW"
check "prometheus answers a recorded-series query" send query_range \
	"query=sum($A)" --data-urlencode start=1 --data-urlencode end=100 \
	--data-urlencode step=15
check "prometheus answers an instant recorded-series query" send query "query=$B"
wait_for sh -c "[ \$(grep -c '\"httpRequest\"' '$T/prom/query.log') -ge 3 ]" ||
	fail "prometheus logs every query" "$(cat "$T/prom/query.log")"
run qlogscan --usage "$T/prom/query.log"
python3 "$T/ref.py" "$T/prom/query.log" >"$T/want"
expect "prometheus log: as the reference says" 0 "" "$T/want"
for n in "$NAME" "$A" "$B"; do
	has "prometheus log: $n in use once" "\"record\":\"$n\",.*\"uses\":1}" "$T/out"
done
done_testing
