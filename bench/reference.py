#!/usr/bin/python3
"""The original pipeline, for bench/run to measure recsync against.

usage: reference.py CONSUL_URL REDIS_SOCKET RULES_DIR RECORDS.jsonl

Written from ../shared/seed/ (the Python job recsync replaces) with the
libraries it used, Debian's python3-consul2, python3-redis and python3-yaml:
read what Consul holds under prometheus/records, subtract, write a rule file
of everything with yaml.dump, write the new records to Consul in 64-op
transactions numbered count + 1, then MSET and SADD the new ones into Redis
and read the set back.  Its flaws are kept on purpose: this is the figure
recsync is compared with, not a fixed version of it.  The parser's result
(res_dic, record -> expr) is read from RECORDS, one JSON record a line.
"""
import base64
import datetime
import json
import logging
import sys
from urllib.parse import urlsplit

import consul
import redis
import yaml

CONSUL_RECORD_KEY_PREFIX = "prometheus/records"
REDIS_SET_KEY = "hke:heavy_query_set"


class Consul(object):
    def __init__(self, host, port):
        self._consul = consul.Consul(host, port)

    def get_list(self, key=CONSUL_RECORD_KEY_PREFIX):
        res = self._consul.kv.get(key, recurse=True)
        data = res[1]
        if not data:
            return {}
        pre_record_d = {}
        for i in data:
            v = json.loads(i.get('Value').decode("utf-8"))
            pre_record_d[v.get('record')] = v.get('expr')
        return pre_record_d

    def get_b64encode(self, message):
        message_bytes = message.encode('ascii')
        base64_bytes = base64.b64encode(message_bytes)
        return base64_bytes.decode("utf8")

    def txn_mset(self, record_expr_list):
        lens = len(record_expr_list)
        max_txn_once = 64
        yu_d = lens // max_txn_once
        yu = lens / max_txn_once
        if lens > max_txn_once:
            n = yu_d
            if yu > yu_d:
                n += 1
            for i in range(0, n):
                sli = record_expr_list[i * max_txn_once:(i + 1) * max_txn_once]
                if not self.txn_mset(sli):
                    return False
            return True
        txn_data = []
        for index, data in record_expr_list:
            txn_data.append({"KV": {
                "Key": "{}/{}".format(CONSUL_RECORD_KEY_PREFIX, index),
                "Verb": "set",
                "Value": self.get_b64encode(json.dumps(data)),
            }})
        res = self._consul.txn.put(txn_data)
        if not res:
            logging.error("txn_mset_error")
            return False
        if res.get("Errors"):
            logging.error("txn_mset_error:{}".format(str(res.get("Errors"))))
            return False
        return True


def write_record_yaml_file(rules_dir, record_expr_list):
    data = {"groups": [{"name": "heavy_expr_record", "rules": record_expr_list}]}
    now = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    with open("{}/record_{}_{}.yml".format(rules_dir, len(record_expr_list), now), 'w') as f:
        yaml.dump(data, f, default_flow_style=False, sort_keys=False)


def mset_record_to_redis(rc, res_dic):
    mset_res = rc.mset(res_dic)
    logging.info("mset_res:{} len:{}".format(str(mset_res), len(res_dic)))
    sadd_res = rc.sadd(REDIS_SET_KEY, *res_dic.keys())
    logging.info("sadd_res:{}".format(str(sadd_res)))
    smems = rc.smembers(REDIS_SET_KEY)
    logging.info("smember_res_len:{}".format(len(smems)))


def main():
    url, sock, rules_dir, records = sys.argv[1:5]
    res_dic = {}
    with open(records, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            res_dic[r["record"]] = r["expr"]
    addr = urlsplit(url)
    consul_client = Consul(addr.hostname, addr.port)

    pre_dic = consul_client.get_list(key=CONSUL_RECORD_KEY_PREFIX)
    old_len = len(pre_dic) + 1
    new_key_set = set(res_dic.keys()) - set(pre_dic.keys())
    new_dic = {k: res_dic[k] for k in new_key_set}
    record_expr_list = [{"record": k, "expr": new_dic.get(k)} for k in sorted(new_dic.keys())]
    today_all_dic = {}
    today_all_dic.update(pre_dic)
    today_all_dic.update(new_dic)
    local_record_expr_list = [{"record": k, "expr": today_all_dic.get(k)}
                              for k in sorted(today_all_dic.keys())]
    write_record_yaml_file(rules_dir, local_record_expr_list)

    new_record_expr_list = [(index + old_len, data)
                            for index, data in enumerate(record_expr_list)]
    if new_record_expr_list and not consul_client.txn_mset(new_record_expr_list):
        sys.exit("reference: write_to_consul_error")
    if new_dic:
        mset_record_to_redis(redis.Redis(unix_socket_path=sock), new_dic)


if __name__ == "__main__":
    main()
