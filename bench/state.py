#!/usr/bin/python3
"""What the stores hold, one line per fact, for bench/run to compare.

usage: state.py [--consul URL] [--redis SOCKET] [--rules FILE] [--records FILE] [--expect FILE]

Independent of recsync and of the reference: Consul's listing is read with
urllib, Redis with python3-redis, the rule file with PyYAML's safe loader.
Each fact is a JSON array on a line: ["consul", key, record, expr],
["redis", key, value], ["set", member], ["rule", group, record, expr];
the caller sorts them.  --records reads kvdiff --all's output as the
Consul facts it stands for; --expect, the facts that the records of FILE
make in every store, numbered from 1 in the file's order.  The order of rules in a file is not compared (the
original sorts every rule by name, recsync keeps the stored ones in key
order); the group they are in is.
"""
import argparse
import base64
import json
import sys
import urllib.request

import redis
import yaml

SET_KEY = "hke:heavy_query_set"
PREFIX = "prometheus/records/"


def consul_facts(url, out):
    with urllib.request.urlopen(url.rstrip("/") + "/v1/kv/" + PREFIX + "?recurse") as r:
        for e in json.load(r):
            v = json.loads(base64.b64decode(e["Value"] or ""))
            out(["consul", e["Key"], v.get("record"), v.get("expr")])


def redis_facts(sock, out):
    rc = redis.Redis(unix_socket_path=sock, decode_responses=True)
    keys = [k for k in rc.scan_iter(count=10000) if k != SET_KEY]
    for i in range(0, len(keys), 10000):
        chunk = keys[i:i + 10000]
        for k, v in zip(chunk, rc.mget(chunk)):
            out(["redis", k, v])
    for m in rc.sscan_iter(SET_KEY, count=10000):
        out(["set", m])


def rule_facts(path, out):
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for g in doc["groups"]:
        for r in g["rules"]:
            out(["rule", g["name"], r["record"], r["expr"]])


def record_facts(path, out):
    """kvdiff --all's output: each stored record with its index."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out(["consul", PREFIX + str(r["index"]), r["record"], r["expr"]])


def expected_facts(path, out):
    """What N records make in every store, numbered 1.. in their order."""
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            r = json.loads(line)
            out(["consul", PREFIX + str(i), r["record"], r["expr"]])
            out(["redis", r["record"], r["expr"]])
            out(["set", r["record"]])
            out(["rule", "heavy_expr_record", r["record"], r["expr"]])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--consul")
    p.add_argument("--redis")
    p.add_argument("--rules")
    p.add_argument("--records")
    p.add_argument("--expect")
    a = p.parse_args()
    w = sys.stdout.write

    def out(fact):
        w(json.dumps(fact, ensure_ascii=False) + "\n")
    if a.consul:
        consul_facts(a.consul, out)
    if a.redis:
        redis_facts(a.redis, out)
    if a.rules:
        rule_facts(a.rules, out)
    if a.records:
        record_facts(a.records, out)
    if a.expect:
        expected_facts(a.expect, out)


if __name__ == "__main__":
    main()
