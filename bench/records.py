#!/usr/bin/python3
"""bench/records.py N [FROM] [--index]: N records as qlogscan names them,
numbered from FROM (0), one JSON line each; with --index, each with the
index kvdiff --all gives a stored record (its number + 1)."""
import hashlib
import json
import sys

args = [a for a in sys.argv[1:] if a != "--index"]
n, first = int(args[0]), int(args[1]) if len(args) > 1 else 0
out = sys.stdout.write
for i in range(first, first + n):
    e = ('histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket'
         '{job="api-%d",code=~"5.."}[5m])))' % i)
    r = {"record": "hke:heavy_expr:" + hashlib.md5(e.encode()).hexdigest(), "expr": e}
    if "--index" in sys.argv:
        r["index"] = i + 1
    out(json.dumps(r) + "\n")
