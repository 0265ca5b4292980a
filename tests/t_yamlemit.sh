#!/bin/bash
# yamlemit: records to a Prometheus rule file.  Every file it writes must
# pass the real promtool, read back byte for byte with PyYAML, and load into
# a real Prometheus; --check is run against the real promtool and against
# wrappers that hide rule numbers, fail or hang; the atomic replace is
# checked by forcing failures after and before the temporary file exists.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
D=$TESTS/data/yamlemit
PY=/usr/bin/python3
set -f	# table cells are split into words, never globbed
# --check's scratch files go to a TMPDIR of the test's own, which no_temps
# looks into as well.
export TMPDIR=$T/tmp
mkdir "$TMPDIR"

# trim S: S without the spaces that pad a table's columns.
trim() { s=${1#"${1%%[! ]*}"}; printf '%s' "${s%"${s##*[! ]}"}"; }

# promcheck NAME FILE: the real promtool accepts FILE.
promcheck() {
	if promtool check rules "$2" >"$T/promtool.out" 2>&1; then
		ok "$1: promtool check rules"
	else
		fail "$1: promtool check rules" "$(head -c 1500 "$T/promtool.out")"
	fi
}

# readback NAME FILE WANT_JSONL [OPTIONS]: PyYAML reads FILE back; its
# rules must be WANT_JSONL's records, sorted by name bytewise, each name
# and expr byte for byte, with the labels, interval and group layout the
# options ask for (--label K=V, --interval D, --group G, --group-size M).
cat >"$T/readback.py" <<'PY'
import json, sys, yaml
path, want_path, opts = sys.argv[1], sys.argv[2], sys.argv[3:]
labels, interval, group, size = {}, None, "heavy_expr_record", 0
while opts:
    o, v = opts.pop(0), opts.pop(0)
    if o == "--label":
        k, _, val = v.partition("="); labels[k] = val
    elif o == "--interval": interval = v
    elif o == "--group": group = v
    elif o == "--group-size": size = int(v)
with open(path, "rb") as f:
    doc = yaml.safe_load(f)
want = [json.loads(l) for l in open(want_path, encoding="utf-8") if l.strip()]
want.sort(key=lambda r: r["record"].encode())
bad = []
if list(doc) != ["groups"]:
    bad.append("top level keys %r" % list(doc))
groups = doc["groups"]
rules = [r for g in groups for r in g["rules"]]
if size:
    chunks = [want[i:i + size] for i in range(0, len(want), size)] or [[]]
    names = ["%s_%04d" % (group, i + 1) for i in range(len(chunks))]
    sizes = [len(c) for c in chunks]
else:
    names, sizes = [group], [len(want)]
if [g["name"] for g in groups] != names:
    bad.append("groups %r, want %r" % ([g["name"] for g in groups], names))
if [len(g["rules"]) for g in groups] != sizes:
    bad.append("group sizes %r, want %r" % ([len(g["rules"]) for g in groups], sizes))
for g in groups:
    keys = ["name"] + (["interval"] if interval else []) + ["rules"]
    if list(g) != keys:
        bad.append("group keys %r, want %r" % (list(g), keys))
    if interval and g.get("interval") != interval:
        bad.append("interval %r" % g.get("interval"))
if len(rules) != len(want):
    bad.append("%d rules, want %d" % (len(rules), len(want)))
for r, w in zip(rules, want):
    for k in ("record", "expr"):
        if not isinstance(r.get(k), str) or r[k].encode() != w[k].encode():
            bad.append("%s: %s %r, want %r" % (w["record"], k, r.get(k), w[k]))
    keys = ["record", "expr"] + (["labels"] if labels else [])
    if list(r) != keys:
        bad.append("%s: keys %r" % (w["record"], list(r)))
    if labels and r.get("labels") != labels:
        bad.append("%s: labels %r" % (w["record"], r.get("labels")))
for b in bad[:10]:
    print(b[:300])
sys.exit(1 if bad else 0)
PY
readback() {
	local name=$1 file=$2 want=$3
	shift 3
	if $PY "$T/readback.py" "$file" "$want" "$@" >"$T/readback.out" 2>&1; then
		ok "$name: read back by PyYAML"
	else
		fail "$name: read back by PyYAML" "$(cat "$T/readback.out")"
	fi
}

# no_temps NAME DIR: no temporary file of ours is left in DIR, nor a
# scratch file in $TMPDIR.
no_temps() {
	local left
	left=$(find "$2" "$TMPDIR" -maxdepth 1 \( -name '.*.??????' -o -name 'yamlemit-check.*' \) 2>&1)
	if [ -z "$left" ]; then ok "$1: no temporary file left"; else
		fail "$1: no temporary file left" "$left"
	fi
}

# same NAME A B: files A and B are identical.
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else
		fail "$1" "$(diff "$2" "$3" | head -20)"
	fi
}

# gone PID...: none of these processes is left within 30 s (a zombie that
# only waits for init to reap it is gone too).
gone() {
	local p n=0
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null &&
		    [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]; do
			n=$((n + 1))
			[ $n -gt 600 ] && return 1
			sleep 0.05
		done
	done
}

# trailer NAME FILE N: FILE ends with yamlemit's one comment line, which
# names N rules and the SHA-256 of every byte above it (yamlemit(1)).
trailer() {
	local want
	want="# yamlemit: rules=$3 sha256=$(head -n -1 "$2" | sha256sum | cut -c1-64) of the bytes above"
	if [ "$(tail -n 1 "$2")" = "$want" ] && [ "$(grep -c '^#' "$2")" = 1 ]; then
		ok "$1: the trailer: $3 rules, the digest of the bytes above"
	else
		fail "$1: the trailer" "$(tail -n 1 "$2")" "want: $want"
	fi
}

# verdict NAME STATUS [DETAIL]: ok when STATUS ($? of the test before) is 0.
verdict() {
	if [ "$2" = 0 ]; then ok "$1"; else fail "$1" "${3:-}"; fi
}

records 6 >"$T/six.jsonl"

# --- usage ------------------------------------------------------------------
# Columns: name | arguments (words) | status | stderr pattern.  Every row
# also leaves $T/u.yml alone: a usage error writes nothing.
echo keep >"$T/u.yml"
while IFS='|' read -r row args want errpat; do
	case $row in ''|'#'*) continue ;; esac
	row=$(trim "$row") args=$(trim "$args") errpat=$(trim "$errpat")
	args=${args//@T/$T}
	# shellcheck disable=SC2086 # arguments are words
	run -i "$T/six.jsonl" yamlemit $args
	expect "usage: $row" "$(trim "$want")" "$errpat"
	[ "$(cat "$T/u.yml")" = keep ] || fail "usage: $row: left the file alone"
done <<'EOF'
neither -o nor -d           |                                       | 64 | exactly one of -o FILE and -d DIR
both -o and -d              | -o @T/u.yml -d @T                     | 64 | exactly one of
unknown option              | -o @T/u.yml --frobnicate              | 64 | usage: yamlemit
-o with no file             | -o                                    | 64 | usage: yamlemit
interval without unit       | -o @T/u.yml --interval 30             | 64 | --interval: expected a Prometheus duration
interval unknown unit       | -o @T/u.yml --interval 5x             | 64 | --interval: expected a Prometheus duration
interval units out of order | -o @T/u.yml --interval 1m1h           | 64 | --interval: expected
interval unit twice         | -o @T/u.yml --interval 1m1m           | 64 | --interval: expected
interval fraction           | -o @T/u.yml --interval 1.5m           | 64 | --interval: expected
interval negative           | -o @T/u.yml --interval -1m            | 64 | --interval: expected
interval zero               | -o @T/u.yml --interval 0s             | 64 | --interval: must be more than 0
interval too long           | -o @T/u.yml --interval 300y           | 64 | --interval: expected
label without =             | -o @T/u.yml --label env               | 64 | --label: expected NAME=VALUE
label name with digit first | -o @T/u.yml --label 1env=x            | 64 | not a valid label name
label name with dash        | -o @T/u.yml --label e-nv=x            | 64 | not a valid label name
label name empty            | -o @T/u.yml --label =x                | 64 | not a valid label name
label name reserved         | -o @T/u.yml --label __name__=x        | 64 | reserved by Prometheus
label given twice           | -o @T/u.yml --label a=1 --label a=2   | 64 | 'a' given twice
shard without slash         | -o @T/u.yml --shard 1                 | 64 | --shard: expected K/N
shard K = N                 | -o @T/u.yml --shard 3/3               | 64 | 0 <= K < N
shard N = 0                 | -o @T/u.yml --shard 0/0               | 64 | 0 <= K < N
shard negative              | -o @T/u.yml --shard -1/2              | 64 | 0 <= K < N
shard not numbers           | -o @T/u.yml --shard a/b               | 64 | 0 <= K < N
group size 0                | -o @T/u.yml --group-size 0            | 64 | --group-size: expected a whole number
group size words            | -o @T/u.yml --group-size many         | 64 | --group-size: expected
mode not octal              | -o @T/u.yml --mode 0855               | 64 | --mode: expected octal
mode too big                | -o @T/u.yml --mode 77777              | 64 | --mode: expected octal
empty group                 | -o @T/u.yml --group=                  | 64 | --group: must not be empty
rejects without check       | -o @T/u.yml --rejects @T/r            | 64 | --rejects needs --check
check timeout without check | -o @T/u.yml --check-timeout 1m        | 64 | --check-timeout needs --check
check timeout zero          | -o @T/u.yml --check --check-timeout 0 | 64 | --check-timeout: from 1ms to 24h
check timeout too long      | -o @T/u.yml --check --check-timeout 25h | 64 | --check-timeout: from 1ms to 24h
check timeout words         | -o @T/u.yml --check --check-timeout soon | 64 | --check-timeout: expected a duration
empty check program         | -o @T/u.yml --check=                  | 64 | program name is empty
EOF

run yamlemit --help
expect "--help: usage on stdout, status 0" 0 ""
has "--help prints the usage" '^usage: yamlemit -o FILE \| -d DIR' "$T/out"
run yamlemit --version
expect "--version" 0 ""
has "--version prints the version" '^yamlemit \(recsync\) ' "$T/out"
printf 'label\xffvalue' >"$T/badutf8"
run -i "$T/six.jsonl" yamlemit -o "$T/u.yml" --label "a=$(cat "$T/badutf8")"
expect "usage: label value not UTF-8" 64 "--label: not valid UTF-8"

# Values that must pass: each writes a file promtool takes.
for args in "--interval 30s" "--interval 1h30m" "--interval 2w1d" \
	"--interval 500ms" "--interval 1y" "--mode 600" \
	"--group-size 1000000000" "--label a=" "--group 组"; do
	# shellcheck disable=SC2086
	run -i "$T/six.jsonl" yamlemit -o "$T/v.yml" $args
	expect "value accepted: $args" 0 "" "$T/six.jsonl"
	promcheck "value accepted: $args: promtool takes the file" "$T/v.yml"
done

# --- the file ---------------------------------------------------------------
run -i "$D/basic.jsonl" yamlemit -o "$T/basic.yml"
expect "basic: written, records passed on unchanged" 0 "" "$D/basic.jsonl"
same "basic: the file is as expected (sorted bytewise)" "$D/basic.yml" "$T/basic.yml"
promcheck "basic" "$T/basic.yml"
readback "basic" "$T/basic.yml" "$D/basic.jsonl"
trailer "basic" "$T/basic.yml" 5

# The same records in another order give the same bytes.
tac "$D/basic.jsonl" >"$T/basic.rev"
run yamlemit -o "$T/basic2.yml" "$T/basic.rev"
expect "input order does not matter: status" 0 "" "$T/basic.rev"
same "input order does not matter: same file" "$T/basic.yml" "$T/basic2.yml"

# --label, --interval, --group.
OPTS=(--group "my group" --interval 1m --label env=prod --label region=华东
	--label note="a: b # c" --label on=yes)
run -i "$D/basic.jsonl" yamlemit -o "$T/opts.yml" "${OPTS[@]}"
expect "options: written" 0 "" "$D/basic.jsonl"
same "options: the file is as expected" "$D/basic-opts.yml" "$T/opts.yml"
promcheck "options" "$T/opts.yml"
readback "options" "$T/opts.yml" "$D/basic.jsonl" "${OPTS[@]}"
trailer "options" "$T/opts.yml" 5

# -o -: the YAML on stdout instead of the records.
run -i "$D/basic.jsonl" yamlemit -o -
expect "-o -: the YAML on stdout, no records" 0 "" "$D/basic.yml"

# Write errors, in the rule file or in the records passed on (both go out
# in writes of 1 MiB): 74; the rule file goes in place before the records.
run -i "$D/basic.jsonl" yamlemit -o /dev/full
expect "-o /dev/full: 74" 74 "/dev/full: No space left on device"
echo keep >"$T/full.yml"
# shellcheck disable=SC2016 # the script's $1 is its own
run -i "$D/basic.jsonl" sh -c 'yamlemit -o "$1" >/dev/full' sh "$T/full.yml"
expect "the records to a full standard output: 74" 74 "write error on standard output"
same "the records to a full standard output: the rule file written first" "$D/basic.yml" "$T/full.yml"

# Expressions that are hard to write as YAML but valid PromQL.
run -i "$D/promql-hard.jsonl" yamlemit -o "$T/hard.yml" --label region=华东
expect "hard expressions: written" 0 "" "$D/promql-hard.jsonl"
promcheck "hard expressions" "$T/hard.yml"
readback "hard expressions" "$T/hard.yml" "$D/promql-hard.jsonl" --label region=华东
trailer "hard expressions" "$T/hard.yml" "$(wc -l <"$D/promql-hard.jsonl")"
has "hard expressions: Chinese stays readable (not escaped)" 'up\{job="数据库",region="华东"\}' "$T/hard.yml"

# Strings that are not PromQL but must survive anyway: every YAML indicator
# first, breaks, blanks, control characters, non-BMP text, YAML keywords.
$PY - >"$T/strings.jsonl" <<'PY'
import json
s = ["* x", "& a", "! tag", "@ x", "% x", "? x", "| x", "> x", "'", '"', "`",
     ",", "[", "]", "{", "}", "#", "-", "- ", ": x", "a: ", "a #b", "a#b",
     "a\rb", "a\r\nb", "\ufeffx", "x\x85y", "x\u2029y", " ", "  lead",
     "trail  ", "trail\n\n", "\n\nlead", "l1\n  l2", "l1 \nl2", "l1\n\tl2",
     "yes", "No", "ON", "off", "~", "Null", "NULL", "True", "n", "<<", "=",
     "---", "...", "--- x", "a\\nb", "ctl\x01\x1f\x7f",
     "1:20", "0o17", "0b101", "+1", "-.inf", ".NaN", "2001-12-14t21:59:43.10-05:00",
     "&anchor x", "*alias", "!!str x", "%YAML 1.2", "😀" * 3, "中文 表达式",
     "x" * 300 + " " + "y" * 300, "a" + " " * 200 + "b"]
for i, e in enumerate(s):
    print(json.dumps({"record": "s:%03d" % i, "expr": e}))
PY
run -i "$T/strings.jsonl" yamlemit -o "$T/strings.yml"
expect "odd strings: written" 0 "" "$T/strings.jsonl"
readback "odd strings" "$T/strings.yml" "$T/strings.jsonl"
# NEL, LS and PS are line breaks to YAML 1.1 and text to YAML 1.2: they
# must be escaped, never raw, so that every parser reads the same string.
$PY -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(any(c.encode() in d for c in "\x85\u2028\u2029"))' "$T/strings.yml"
verdict "odd strings: NEL, LS, PS escaped" $?

# Names sorted bytewise whatever they share: a long common prefix, names
# that are the prefix of others, differences before, at and past the
# eighth byte after the prefix (the sort keys on those eight).
$PY -c 'import json
for n in ["p:aaaaaaaaaaaaaaaaaaaaX", "p:aaaaaaaaaaaaaaaaaaaa", "p:aaaaaaaaaaaaaaaaaaaa_",
          "p:aaaaaaaab", "p:aaaaaaaa", "p:aaaaaaaaZ", "p:", "p:aaaaaaa9", "p:aaaaaaa:",
          "p:aaaaaaaaaaaaaaaaaaaa0", "p:A", "p:_", "p:0", "p::"]:
    print(json.dumps({"record": n, "expr": "up"}))' >"$T/prefix.jsonl"
run -i "$T/prefix.jsonl" yamlemit -o "$T/prefix.yml"
expect "names sharing a prefix: written" 0 "" "$T/prefix.jsonl"
readback "names sharing a prefix: sorted bytewise" "$T/prefix.yml" "$T/prefix.jsonl"

# A 200 KB expression: one line, never folded.
$PY -c 'import json; print(json.dumps({"record": "big:one", "expr": "sum(up{a=\"" + "ab cd " * 34000 + "\"}) by (job)"}))' >"$T/big.jsonl"
run -i "$T/big.jsonl" yamlemit -o "$T/big.yml"
expect "200 KB expression: written" 0 "" "$T/big.jsonl"
promcheck "200 KB expression" "$T/big.yml"
readback "200 KB expression" "$T/big.yml" "$T/big.jsonl"
is "200 KB expression: on one line (and the trailer's)" "$(wc -l <"$T/big.yml")" 6

# --group-size: groups of at most M, numbered, in name order.
records 10 >"$T/ten.jsonl"
for m in 1 3 4 10 11; do
	run -i "$T/ten.jsonl" yamlemit -o "$T/gs.yml" --group-size $m --group g
	expect "--group-size $m: written" 0 "" "$T/ten.jsonl"
	readback "--group-size $m" "$T/gs.yml" "$T/ten.jsonl" --group g --group-size $m
	promcheck "--group-size $m" "$T/gs.yml"
done

# --- bad lines: warned with file:line, skipped, 65; the rest still written -
# Columns: name | the bad line | stderr pattern.  Each runs between two good
# records, which must be written and passed on.
records 1 1 >"$T/good1"
records 1 2 >"$T/good2"
cat "$T/good1" "$T/good2" >"$T/good12"
while IFS='|' read -r row line errpat; do
	case $row in ''|'#'*) continue ;; esac
	row=$(trim "$row") errpat=$(trim "$errpat")
	line=$(trim "$line")
	{ cat "$T/good1"; printf '%s\n' "$line"; cat "$T/good2"; } >"$T/bad.jsonl"
	run yamlemit -o "$T/bad.yml" "$T/bad.jsonl"
	expect "bad line: $row" 65 "^yamlemit: $T/bad.jsonl:2: $errpat" "$T/good12"
	readback "bad line: $row" "$T/bad.yml" "$T/good12"
	promcheck "bad line: $row" "$T/bad.yml"
done <<'EOF'
not JSON            | {"record":                                      | not a JSON record
an array            | ["record","expr"]                               | not a JSON object
a string            | "up"                                            | not a JSON record
no record           | {"expr":"up"}                                   | missing "record"
record not a string | {"record":7,"expr":"up"}                        | "record" is not a string
record not a name   | {"record":"a-b","expr":"up"}                    | "record" is not a valid metric name
record empty        | {"record":"","expr":"up"}                       | "record" is not a valid metric name
no expr             | {"record":"x:y"}                                | missing "expr"
expr not a string   | {"record":"x:y","expr":["up"]}                  | "expr" is not a string
expr empty          | {"record":"x:y","expr":""}                      | "expr" is empty
index zero          | {"record":"x:y","expr":"up","index":0}          | "index" is not a positive integer
index negative      | {"record":"x:y","expr":"up","index":-3}         | "index" is not a positive integer
index a string      | {"record":"x:y","expr":"up","index":"3"}        | "index" is not a positive integer
key twice           | {"record":"x:y","expr":"up","expr":"down"}      | not a JSON record
record name clash   | {"record":"hke:heavy_expr:r000001","expr":"up"} | record hke:heavy_expr:r000001 was given another expr at .*bad.jsonl:1
EOF

# The same record twice is harmless: a note, status 0, and -q hides it.
cat "$T/good1" "$T/good1" "$T/good2" >"$T/dup.jsonl"
run yamlemit -o "$T/dup.yml" "$T/dup.jsonl"
expect "same record twice: a note, status 0" 0 "dup.jsonl:2: record hke:heavy_expr:r000001 repeats .*dup.jsonl:1; skipped" "$T/good12"
readback "same record twice" "$T/dup.yml" "$T/good12"
promcheck "same record twice" "$T/dup.yml"
run yamlemit -q -o "$T/dup.yml" "$T/dup.jsonl"
expect "same record twice: -q says nothing" 0 "" "$T/good12"

# Several inputs, "-" among them, read in turn; a missing one is 66.
run -i "$T/good2" yamlemit -o "$T/multi.yml" "$T/good1" - "$T/ten.jsonl"
{ cat "$T/good1" "$T/good2"; sed 1,2d "$T/ten.jsonl"; } >"$T/multi.want"
expect "files and - in turn (repeats noted)" 0 "ten.jsonl:2: record .* repeats" "$T/multi.want"
readback "files and - in turn" "$T/multi.yml" "$T/multi.want"
promcheck "files and - in turn" "$T/multi.yml"
run yamlemit -o "$T/multi.yml" "$T/good1" "$T/nonexistent" "$T/good2"
expect "a missing input: 66, the others written" 66 "nonexistent: No such file" "$T/good12"
readback "a missing input" "$T/multi.yml" "$T/good12"
promcheck "a missing input" "$T/multi.yml"

# --- empty input ------------------------------------------------------------
echo previous >"$T/empty.yml"
run yamlemit -o "$T/empty.yml" /dev/null
expect "empty input: refused, 65" 65 "no records read; nothing written"
is "empty input: the file is left alone" "$(cat "$T/empty.yml")" previous
printf '{"bad"\n' >"$T/allbad"
run yamlemit -o "$T/empty.yml" "$T/allbad"
expect "only bad lines: refused, 65" 65 "no records read"
run yamlemit -o "$T/empty.yml" --allow-empty /dev/null
expect "empty input with --allow-empty: written" 0 ""
promcheck "--allow-empty" "$T/empty.yml"
readback "--allow-empty" "$T/empty.yml" /dev/null
trailer "--allow-empty" "$T/empty.yml" 0
run yamlemit -o "$T/empty.yml" --allow-empty --group-size 5 --group e /dev/null
expect "empty input, --group-size: one empty group" 0 ""
readback "empty input, --group-size" "$T/empty.yml" /dev/null --group e --group-size 5
promcheck "empty input, --group-size" "$T/empty.yml"

# --- --shard ----------------------------------------------------------------
$PY - >"$T/indexed.jsonl" <<'PY'
import json
for i in range(1, 11):
    print(json.dumps({"record": "shard:r%02d" % i, "expr": "up + %d" % i, "index": i}))
PY
for kn in 0/3 1/3 2/3 0/1 4/7; do
	k=${kn%/*} n=${kn#*/}
	$PY -c "
import json, sys
for l in open(sys.argv[1]):
    if json.loads(l)['index'] % $n == $k: sys.stdout.write(l)" "$T/indexed.jsonl" >"$T/shard.want"
	run yamlemit -o "$T/shard.yml" --shard "$kn" "$T/indexed.jsonl"
	expect "--shard $kn: its records written and passed on" 0 "" "$T/shard.want"
	readback "--shard $kn" "$T/shard.yml" "$T/shard.want"
	promcheck "--shard $kn" "$T/shard.yml"
done
# An empty shard is refused like an empty input: it would empty a live file.
cp "$T/shard.yml" "$T/shard.before"
run yamlemit -o "$T/shard.yml" --shard 11/13 "$T/indexed.jsonl"
expect "--shard with no record in it: refused, 65" 65 "no record read is in shard 11/13; nothing written \(--allow-empty" /dev/null
same "--shard with no record in it: the file is left alone" "$T/shard.before" "$T/shard.yml"
run yamlemit -o "$T/shard.yml" --shard 11/13 --allow-empty "$T/indexed.jsonl"
expect "--shard with no record in it, --allow-empty: written" 0 "" /dev/null
promcheck "--shard with no record in it, --allow-empty" "$T/shard.yml"
readback "--shard with no record in it, --allow-empty" "$T/shard.yml" /dev/null
cat "$T/good1" "$T/indexed.jsonl" >"$T/noindex.jsonl"
run yamlemit -o "$T/shard.yml" --shard 1/3 "$T/noindex.jsonl"
$PY -c "
import json, sys
for l in open(sys.argv[1]):
    if json.loads(l)['index'] % 3 == 1: sys.stdout.write(l)" "$T/indexed.jsonl" >"$T/shard.want"
expect "--shard: a record without index is warned, 65" 65 "noindex.jsonl:1: no \"index\" to shard by" "$T/shard.want"
readback "--shard: a record without index" "$T/shard.yml" "$T/shard.want"
promcheck "--shard: a record without index" "$T/shard.yml"

# --- -d and modes -------------------------------------------------------------
mkdir "$T/hist"
TZ=Asia/Shanghai run yamlemit -v -d "$T/hist" "$T/ten.jsonl"
expect "-d: written, path on stderr with -v" 0 "^yamlemit: wrote $T/hist/record_10_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}\.yml \(10 rules\)$" "$T/ten.jsonl"
f=$(sed -n 's/^yamlemit: wrote \(.*\) (10 rules)$/\1/p' "$T/err")
if [ -n "$f" ] && [ "$(find "$T/hist" -type f | wc -l)" -eq 1 ] && [ -f "$f" ]; then
	ok "-d: exactly the file it named"
	promcheck "-d" "$f"
	readback "-d" "$f" "$T/ten.jsonl"
	# Named in local time: the stamp, read in that zone, is the file's mtime.
	if TZ=Asia/Shanghai $PY - "$f" <<'PY'
import os, sys, time
stamp = os.path.basename(sys.argv[1])[len("record_10_"):-len(".yml")]
t = time.mktime(time.strptime(stamp, "%Y-%m-%d_%H-%M-%S"))
sys.exit(0 if abs(t - os.stat(sys.argv[1]).st_mtime) < 5 else 1)
PY
	then ok "-d: the name is the local time"; else fail "-d: the name is the local time" "$f"; fi
else
	fail "-d: exactly the file it named" "$(ls -la "$T/hist")"
fi
run yamlemit -d "$T/hist" "$T/ten.jsonl"
expect "-d without -v: quiet" 0 "" "$T/ten.jsonl"
# -d never writes through what is at its predictable name: a symbolic link
# planted there (to a file, or dangling) stays, its target untouched, and
# the file goes under the next free name, NAME_3.yml here.  The links are
# planted for every second of a window around the run; the name written
# proves the run fell inside it.
mkdir "$T/plant" "$T/plant/d"
printf 'secret\n' >"$T/plant/target"
chmod 600 "$T/plant/target"
$PY - "$T/plant/d" <<'PY'
import os, sys, time
now = int(time.time())
for s in range(now - 5, now + 301):
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.gmtime(s))
    os.symlink("../target", "%s/record_10_%s.yml" % (sys.argv[1], stamp))
    os.symlink("../nowhere", "%s/record_10_%s_2.yml" % (sys.argv[1], stamp))
PY
TZ=UTC run yamlemit -v -d "$T/plant/d" "$T/ten.jsonl"
expect "-d: symbolic links at the name: written, exit 0" 0 "^yamlemit: wrote $T/plant/d/record_10_[0-9_-]+_3\.yml \(10 rules\)$" "$T/ten.jsonl"
expect "-d: symbolic links at the name: each said to be left alone" 0 "record_10_[0-9_-]+_2\.yml exists; left alone$" "$T/ten.jsonl"
f=$(sed -n 's/^yamlemit: wrote \(.*\) (10 rules)$/\1/p' "$T/err")
if [ -f "$f" ] && [ ! -L "$f" ]; then
	readback "-d: symbolic links at the name: the new file" "$f" "$T/ten.jsonl"
else
	# shellcheck disable=SC2012 # ls -la for a human to read
	fail "-d: symbolic links at the name: a regular file of its own" "$f" "$(ls -la "$T/plant/d" | head)"
fi
[ "$(cat "$T/plant/target")" = secret ] && [ "$(stat -c %a "$T/plant/target")" = 600 ]
verdict "-d: the linked file is untouched, content and mode" $? "$(stat -c '%a %s' "$T/plant/target")"
[ ! -e "$T/plant/nowhere" ]
verdict "-d: a dangling link's target is not created" $?
[ "$(find "$T/plant/d" -type l | wc -l)" = $((2 * 306)) ]
verdict "-d: every planted link is still there" $?
no_temps "-d: symbolic links at the name" "$T/plant/d"

# One of a thing is singular in every count printed.
mkdir "$T/one"
run yamlemit -v -d "$T/one" "$T/good1"
expect "-v with one record: \"(1 rule)\"" 0 "^yamlemit: wrote $T/one/record_1_[0-9_-]+\.yml \(1 rule\)$" "$T/good1"
expect "-v with one record: \"1 rule written, 1 record read\"" 0 "^yamlemit: 1 rule written, 1 record read$" "$T/good1"

(umask 077; yamlemit -o "$T/mode.yml" "$T/good1" >/dev/null)
is "mode 0644 whatever the umask" "$(stat -c %a "$T/mode.yml")" 644
yamlemit --mode 0640 -o "$T/mode.yml" "$T/good1" >/dev/null
is "--mode 0640" "$(stat -c %a "$T/mode.yml")" 640

# --- atomic replace -----------------------------------------------------------
# The old file is replaced by a rename, not rewritten: a hard link to it
# keeps the old contents.
mkdir "$T/at"
yamlemit -o "$T/at/rules.yml" "$T/good1" >/dev/null
ln "$T/at/rules.yml" "$T/at/old-link"
cp "$T/at/rules.yml" "$T/at/old-copy"
run yamlemit -o "$T/at/rules.yml" "$T/ten.jsonl"
expect "replace: written" 0 "" "$T/ten.jsonl"
same "replace: the old inode still holds the old file" "$T/at/old-copy" "$T/at/old-link"
readback "replace: the new file" "$T/at/rules.yml" "$T/ten.jsonl"
promcheck "replace: the new file" "$T/at/rules.yml"
no_temps "replace" "$T/at"

# A symbolic link stays a link: the file it points to is replaced.
mkdir "$T/at/real"
yamlemit -o "$T/at/real/r.yml" "$T/good1" >/dev/null
ln -s real/r.yml "$T/at/link.yml"
run yamlemit -o "$T/at/link.yml" "$T/ten.jsonl"
expect "symbolic link: written" 0 "" "$T/ten.jsonl"
[ -L "$T/at/link.yml" ] && [ "$(readlink "$T/at/link.yml")" = real/r.yml ]
verdict "symbolic link: still a link" $? "$(ls -la "$T/at")"
readback "symbolic link: the file it points to" "$T/at/real/r.yml" "$T/ten.jsonl"
promcheck "symbolic link: the file it points to" "$T/at/real/r.yml"
no_temps "symbolic link" "$T/at/real"

# A name that is not a regular file (here a copy of /dev/null, and a
# pipe) is written to, never replaced by a regular file.
if mknod "$T/at/null" c 1 3 2>/dev/null; then
	run yamlemit -o "$T/at/null" "$T/ten.jsonl"
	expect "device: written to" 0 "" "$T/ten.jsonl"
	[ -c "$T/at/null" ]
	verdict "device: still a device" $? "$(ls -la "$T/at/null")"
	rm -f "$T/at/null"
else
	skip "device: written to (mknod needs root)"
fi
mkfifo "$T/at/fifo"
cat "$T/at/fifo" >"$T/fifo.out" &
catpid=$!
run yamlemit -o "$T/at/fifo" "$T/ten.jsonl"
# A reader left waiting (the pipe never opened) must not hang the test.
if [ "${status:-}" != 0 ] || [ ! -p "$T/at/fifo" ]; then kill "$catpid" 2>/dev/null; fi
wait "$catpid"
expect "pipe: written to" 0 "" "$T/ten.jsonl"
[ -p "$T/at/fifo" ]
verdict "pipe: still a pipe" $?
readback "pipe: what went through it" "$T/fifo.out" "$T/ten.jsonl"
promcheck "pipe: what went through it" "$T/fifo.out"
rm -f "$T/at/fifo"

# Failures: nothing written, nothing passed on, the previous file untouched.
mkdir "$T/at/adir"
: >"$T/at/plainfile"
while IFS='|' read -r row path want errpat; do
	case $row in ''|'#'*) continue ;; esac
	row=$(trim "$row") path=$(trim "$path") errpat=$(trim "$errpat")
	path=${path//@T/$T}
	run yamlemit -o "$path" "$T/ten.jsonl"
	expect "cannot create: $row" "$(trim "$want")" "$errpat" /dev/null
done <<'EOF'
missing directory       | @T/at/missing/rules.yml   | 73 | cannot create a temporary file beside it: No such file
under a plain file      | @T/at/plainfile/rules.yml | 73 | Not a directory
name is a directory     | @T/at/adir                | 73 | adir: is a directory
name ends with a slash  | @T/at/rules.yml/          | 73 | is a directory
EOF
run yamlemit -d "$T/at/missing" "$T/ten.jsonl"
expect "cannot create: -d missing directory" 73 "No such file" /dev/null
[ -d "$T/at/adir" ] && [ -z "$(ls -A "$T/at/adir")" ]
verdict "cannot create: the directory is untouched" $?
readback "cannot create: the previous file is untouched" "$T/at/rules.yml" "$T/ten.jsonl"
no_temps "cannot create" "$T/at"

# --rejects cannot be created: found before the rule file is touched.
cat "$T/good1" >"$T/one.jsonl"
run yamlemit --check --rejects "$T/at/missing/rejects" -o "$T/at/rules.yml" "$T/one.jsonl"
expect "rejects cannot be created: 73, nothing passed on" 73 "rejects: cannot create" /dev/null
readback "rejects cannot be created: the previous file is untouched" "$T/at/rules.yml" "$T/ten.jsonl"
no_temps "rejects cannot be created" "$T/at"

# The rule file cannot be created: the rejects file is not replaced either
# (a failed run leaves every previous file as it was).
{ cat "$T/good1"; echo '{"record":"c:bad","expr":"sum("}'; } >"$T/onebad.jsonl"
echo previous >"$T/at/rej.jsonl"
run yamlemit --check --rejects "$T/at/rej.jsonl" -o "$T/at/missing/rules.yml" "$T/onebad.jsonl"
expect "rule file cannot be created: 73, nothing passed on" 73 "cannot create a temporary file beside it" /dev/null
is "rule file cannot be created: the rejects file is untouched" "$(cat "$T/at/rej.jsonl")" previous
no_temps "rule file cannot be created" "$T/at"

# A full disk is 74 and a read-only directory 73, as yamlemit(1) says, for
# -o, -d and --rejects alike, with nothing passed on and nothing left on
# the full disk.  Real file systems: in a mount namespace of its own, a
# 64 KB tmpfs filled to the brim and a read-only one (as root a chmod would
# not stop the writes).  Nothing is mounted outside the namespace.
mkdir -p "$T/fs/full" "$T/fs/ro"
NS=
if unshare -m true 2>/dev/null; then NS=-m; elif unshare -rm true 2>/dev/null; then NS=-rm; fi
# fs_run CMD...: CMD with $T/fs/full a full file system and $T/fs/ro a
# read-only one; what is left on the full one lands in $T/fs/left.
fs_run() {
	# shellcheck disable=SC2016 # the script's variables are its own
	run unshare "$NS" sh -c 'fs=$1; shift
		mount -t tmpfs -o size=64k tmpfs "$fs/full" || exit 90
		mount -t tmpfs -o ro tmpfs "$fs/ro" || exit 90
		cat /dev/zero >"$fs/full/filler" 2>/dev/null
		"$@"; rc=$?; ls -A "$fs/full" >"$fs/left"; exit $rc' sh "$T/fs" "$@"
}
if [ -z "$NS" ]; then
	skip "full and read-only file systems (unshare -m cannot mount here)"
else
	while IFS='|' read -r row args want errpat; do
		case $row in ''|'#'*) continue ;; esac
		row=$(trim "$row") errpat=$(trim "$errpat") args=$(trim "$args")
		args=${args//@FS/$T/fs}
		# shellcheck disable=SC2086 # the row's words are the arguments
		fs_run yamlemit $args "$T/onebad.jsonl"
		expect "$row: $(trim "$want")" "$(trim "$want")" "$errpat" /dev/null
		is "$row: nothing left on the full disk" "$(cat "$T/fs/left" 2>/dev/null)" filler
	done <<'EOF'
# row                | arguments                                       | status | stderr
-o on a full disk    | -o @FS/full/rules.yml                           | 74 | No space left on device
-d on a full disk    | -d @FS/full                                     | 74 | No space left on device
--rejects, full disk | --check --rejects @FS/full/rej -o @FS/rules.yml | 74 | rej.*No space left on device
-o read-only         | -o @FS/ro/rules.yml                             | 73 | Read-only file system
-d read-only         | -d @FS/ro                                       | 73 | Read-only file system
--rejects read-only  | --check --rejects @FS/ro/rej -o @FS/rules.yml   | 73 | Read-only file system
EOF
fi

# A promtool that hangs on the rules (the real one checks anything else)
# with a child of its own: holding its output open, or having closed it.
cat >"$T/hang-promtool" <<EOF
#!/bin/sh
for f; do :; done	# the rule file, the last argument
grep -q hke:heavy_expr "\$f" || exec promtool "\$@"
cp "\$f" "$T/slow.saw"
[ "\$(cat "$T/hang.mode")" = closed ] && exec >/dev/null 2>&1
sleep 600 &
echo \$\$ \$! >"$T/slow.pid"
wait
EOF
chmod +x "$T/hang-promtool"

# Interrupted while promtool runs: the scratch file goes with it, and
# promtool with what it started.
echo open >"$T/hang.mode"
rm -f "$T/slow.pid"
yamlemit --check="$T/hang-promtool" -o "$T/at/rules.yml" \
	"$T/one.jsonl" >"$T/slow.out" 2>"$T/slow.err" &
ypid=$!
if wait_for test -s "$T/slow.pid"; then
	kill -TERM "$ypid"
	wait "$ypid"
	st=$?
	[ "$st" = 143 ] && [ ! -s "$T/slow.out" ] && grep -q hke:heavy_expr "$T/slow.saw"
	verdict "SIGTERM during --check: killed, nothing passed on" $? "status $st"
	# shellcheck disable=SC2046 # two pids
	gone $(cat "$T/slow.pid")
	verdict "SIGTERM during --check: promtool and its child are gone" $? "$(cat "$T/slow.pid")"
	no_temps "SIGTERM during --check" "$T/at"
	readback "SIGTERM during --check: the previous file is untouched" "$T/at/rules.yml" "$T/ten.jsonl"
else
	kill "$ypid" 2>/dev/null
	fail "SIGTERM during --check: the fake promtool started" "$(cat "$T/slow.err")"
fi
# shellcheck disable=SC2046
[ -s "$T/slow.pid" ] && kill $(cat "$T/slow.pid") 2>/dev/null

# Interrupted while the rule file's temporary exists: here the rejects file
# is a named pipe with no reader yet, so opening it waits.
mkfifo "$T/at/rej.fifo"
yamlemit --check --rejects "$T/at/rej.fifo" -o "$T/at/rules.yml" \
	"$T/one.jsonl" >"$T/slow.out" 2>"$T/slow.err" &
ypid=$!
# shellcheck disable=SC2016 # the script's $1 is its own
if wait_for sh -c 'ls -A "$1" | grep -q "^\.rules\.yml\."' sh "$T/at"; then
	kill -TERM "$ypid"
	wait "$ypid"
	st=$?
	[ "$st" = 143 ] && [ ! -s "$T/slow.out" ]
	verdict "SIGTERM while the rule file is written: killed, nothing passed on" $? "status $st"
	no_temps "SIGTERM while the rule file is written" "$T/at"
	readback "SIGTERM while the rule file is written: the previous file is untouched" "$T/at/rules.yml" "$T/ten.jsonl"
else
	kill "$ypid" 2>/dev/null
	fail "SIGTERM while the rule file is written: its temporary appeared" "$(cat "$T/slow.err")"
fi
wait "$ypid" 2>/dev/null
rm -f "$T/at/rej.fifo"

# A promtool that hangs is killed after --check-timeout, with its child: 69,
# and no file is replaced.
cp "$T/at/rules.yml" "$T/before.yml"
for mode in open closed; do
	echo $mode >"$T/hang.mode"
	echo previous >"$T/at/rej"
	rm -f "$T/slow.pid"
	run yamlemit --check="$T/hang-promtool" --check-timeout 2s --rejects "$T/at/rej" \
		-o "$T/at/rules.yml" "$T/one.jsonl"
	expect "promtool hangs, output $mode: 69 after --check-timeout" 69 \
		"hang-promtool did not finish within --check-timeout 2s; killed it" /dev/null
	# shellcheck disable=SC2046
	[ -s "$T/slow.pid" ] && gone $(cat "$T/slow.pid")
	verdict "promtool hangs, output $mode: promtool and its child are gone" $? "$(cat "$T/slow.pid" 2>&1)"
	same "promtool hangs, output $mode: the previous file is untouched" "$T/before.yml" "$T/at/rules.yml"
	is "promtool hangs, output $mode: the rejects file is untouched" "$(cat "$T/at/rej")" previous
	no_temps "promtool hangs, output $mode" "$T/at"
	# shellcheck disable=SC2046
	[ -s "$T/slow.pid" ] && kill $(cat "$T/slow.pid") 2>/dev/null
done
rm -f "$T/at/rej"

# --- --check ------------------------------------------------------------------
# Good rules, two broken ones without index, and a stored one (with index)
# that is broken: not checked again unless --check-all.
cat >"$T/chk.jsonl" <<'EOF'
{"record":"c:good1","expr":"sum(rate(up[5m]))"}
{"record":"c:bad_paren","expr":"sum(up","why":"kept along"}
{"record":"c:good2","expr":"up{job=\"数据\"}","index":4}
{"record":"c:bad_type","expr":"rate(up)"}
{"record":"c:good3","expr":"- up"}
EOF
grep -v bad "$T/chk.jsonl" >"$T/chk.good"
grep bad "$T/chk.jsonl" >"$T/chk.bad"
run yamlemit --check --rejects "$T/rejects" -o "$T/chk.yml" "$T/chk.jsonl"
expect "--check: bad ones dropped, 65" 65 "^yamlemit: [^ ]*chk.jsonl:2: rule c:bad_paren: could not parse expression: .*unclosed left parenthesis" "$T/chk.good"
has "--check: each bad rule with promtool's reason" '^yamlemit: [^ ]*chk.jsonl:4: rule c:bad_type: .*expected type range vector' "$T/err"
promcheck "--check" "$T/chk.yml"
readback "--check" "$T/chk.yml" "$T/chk.good"
if $PY - "$T/rejects" "$T/chk.bad" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [json.loads(l) for l in open(sys.argv[2])]
ok = len(got) == len(want) and all(
    g.pop("error", "").startswith("could not parse expression") and g == w
    for g, w in zip(got, want))
sys.exit(0 if ok else 1)
PY
then ok "--check: --rejects gets the bad records, with the reason"; else
	fail "--check: --rejects gets the bad records, with the reason" "$(cat "$T/rejects")"
fi
run yamlemit --check --rejects "$T/rejects" -o "$T/chk.yml" "$T/chk.good"
expect "--check: all good, status 0" 0 "" "$T/chk.good"
[ -f "$T/rejects" ] && [ ! -s "$T/rejects" ]
verdict "--check: --rejects emptied when nothing is refused" $?
# Every rule refused: like an empty input, refused unless --allow-empty;
# no file is replaced, the rejects file neither.
cp "$T/chk.yml" "$T/chk.before"
echo previous >"$T/rejects"
run yamlemit --check --rejects "$T/rejects" -o "$T/chk.yml" "$T/chk.bad"
expect "--check refusing every rule: refused, 65" 65 "promtool refused every rule; nothing written \(--allow-empty" /dev/null
has "--check refusing every rule: each one still reported" 'rule c:bad_paren: could not parse' "$T/err"
same "--check refusing every rule: the file is left alone" "$T/chk.before" "$T/chk.yml"
is "--check refusing every rule: the rejects file is left alone" "$(cat "$T/rejects")" previous
run yamlemit --check --rejects "$T/rejects" --allow-empty -o "$T/chk.yml" "$T/chk.bad"
expect "--check refusing every rule, --allow-empty: written, 65" 65 "rule c:bad_type" /dev/null
promcheck "--check refusing every rule, --allow-empty" "$T/chk.yml"
readback "--check refusing every rule, --allow-empty" "$T/chk.yml" /dev/null
is "--check refusing every rule, --allow-empty: the rejects written" "$(grep -c '"error"' "$T/rejects")" 2

# Only records without index go to promtool; all of them with --check-all.
mkdir "$T/spy"
cat >"$T/spy-promtool" <<EOF
#!/bin/sh
n=\$(ls "$T/spy" | wc -l)
for f; do :; done
cp "\$f" "$T/spy/run.\$n.yml"
exec promtool "\$@"
EOF
chmod +x "$T/spy-promtool"
{ cat "$T/chk.good"; echo '{"record":"c:stored_bad","expr":"sum(up","index":9}'; } >"$T/stored.jsonl"
run yamlemit --check="$T/spy-promtool" -o "$T/stored.yml" "$T/stored.jsonl"
expect "--check: stored records are not checked again" 0 "" "$T/stored.jsonl"
# The rules of the runs, less the canaries that show promtool works.
spied() { find "$T/spy" -name 'run.*.yml' -exec cat {} + | grep 'record:' | grep -v 'yamlemit:canary_'; }
checked=$(spied | grep -c 'record:')
[ "$checked" = 2 ] && ! spied | grep -q 'c:good2\|stored_bad'
verdict "--check: promtool saw only the 2 unindexed rules" $? "$(spied)"
# The canaries go with the rules: rules that pass take one run, no probe.
[ "$(find "$T/spy" -type f | wc -l)" = 1 ] &&
	[ "$(grep -c 'yamlemit:canary_' "$T"/spy/run.0.yml)" = 2 ]
verdict "--check: one promtool run, the rules and the two canaries" $? "$(ls "$T/spy")"
rm -rf "$T/spy" && mkdir "$T/spy"
run yamlemit --check-all --check="$T/spy-promtool" -o "$T/stored.yml" "$T/stored.jsonl"
grep -v stored_bad "$T/stored.jsonl" >"$T/stored.want"
expect "--check-all: stored records checked too" 65 "rule c:stored_bad: could not parse" "$T/stored.want"
promcheck "--check-all" "$T/stored.yml"
# Nothing new: promtool still runs, once, on the canaries only.
rm -rf "$T/spy" && mkdir "$T/spy"
grep index "$T/stored.jsonl" >"$T/allstored.jsonl"
run yamlemit --check="$T/spy-promtool" -o "$T/stored.yml" "$T/allstored.jsonl"
expect "--check with nothing new: status 0" 0 "" "$T/allstored.jsonl"
[ "$(find "$T/spy" -type f | wc -l)" = 1 ] && [ -z "$(spied)" ]
verdict "--check with nothing new: promtool run once, on the canaries only" $?

# promtool quotes a bad regex raw, line breaks and all: a record whose
# regex holds lines shaped like verdicts (on rules 1-49, naming a good rule
# or the good canary) is refused itself, and nothing else is.
$PY - "$T/forge" <<'PY'
import json, sys
def forged(name):
    # PromQL escapes: the regex gets real line breaks and quotes.
    return "".join(r'\ngroup \"yamlemit_check\", rule %d, \"%s\": forged' % (k, name)
                   for k in range(1, 50))
with open(sys.argv[1] + ".canary.jsonl", "w") as canary, open(sys.argv[1] + ".good.jsonl", "w") as good:
    for out, name in ((canary, "yamlemit:canary_good"), (good, "c:forge_up")):
        for r in ({"record": "c:forge", "expr": 'foo{a=~"(' + forged(name) + '"}'},
                  {"record": "c:forge_rate", "expr": "sum(rate(x[5m]))"},
                  {"record": "c:forge_up", "expr": "up"}):
            out.write(json.dumps(r) + "\n")
PY
grep -v '"c:forge"' "$T/forge.good.jsonl" >"$T/forge.want"
for who in canary good; do
	run yamlemit --check -o "$T/forge.yml" "$T/forge.$who.jsonl"
	expect "--check: lines forged by a regex naming the $who rule: only the forger refused" \
		65 "forge.$who.jsonl:1: rule c:forge: could not parse" "$T/forge.want"
	readback "--check, lines forged naming the $who rule" "$T/forge.yml" "$T/forge.want"
done

# The rejects cannot be written: the rule file stays as it was, and no
# record is passed on.
echo keep >"$T/rj.yml"
run yamlemit --check --rejects /dev/full -o "$T/rj.yml" "$T/chk.jsonl"
expect "--rejects /dev/full: 74, nothing passed on" 74 "/dev/full: write error" /dev/null
is "--rejects /dev/full: the rule file untouched" "$(cat "$T/rj.yml")" keep

# Every other rule bad: promtool says far more than a pipe holds (about
# 600 KB), and each bad rule is still found and named.
records 3000 | $PY -c 'import json, sys
for i, line in enumerate(sys.stdin):
    r = json.loads(line)
    if i % 2:
        r["expr"] = "sum(" + r["expr"]
    print(json.dumps(r, separators=(",", ":")))' >"$T/halfbad.jsonl"
awk 'NR % 2' "$T/halfbad.jsonl" >"$T/halfbad.good"
run yamlemit --check --rejects "$T/rejects" -o "$T/halfbad.yml" "$T/halfbad.jsonl"
expect "--check, 1500 bad rules: refused" 65 \
	"halfbad.jsonl:3000: rule hke:heavy_expr:r003000: .*unclosed left parenthesis" "$T/halfbad.good"
is "--check, 1500 bad rules: each named" \
	"$(grep -c 'rule hke:heavy_expr:r[0-9]*: could not parse' "$T/err")" 1500
is "--check, 1500 bad rules: --rejects has them" "$(grep -c . "$T/rejects")" 1500
readback "--check, 1500 bad rules" "$T/halfbad.yml" "$T/halfbad.good"

# wrap_promtool NAME SED: $T/NAME, the real promtool with its output
# rewritten by the sed script SED.
wrap_promtool() {
	cat >"$T/$1" <<EOF
#!/bin/sh
promtool "\$@" >"$T/$1.out" 2>&1
rc=\$?
sed '$2' "$T/$1.out"
exit \$rc
EOF
	chmod +x "$T/$1"
}

# promtool that names no rule: yamlemit checks halves and still drops
# exactly the bad ones.
wrap_promtool vague-promtool 's/, rule [0-9]*, "[^"]*"//'
{ records 20; cat "$T/chk.bad"; records 20 21; } >"$T/bisect.jsonl"
{ records 20; records 20 21; } >"$T/bisect.good"
run yamlemit --check="$T/vague-promtool" --rejects "$T/rejects" -o "$T/bisect.yml" "$T/bisect.jsonl"
expect "bisect: the bad ones dropped" 65 "rule c:bad_paren: .*unclosed left parenthesis" "$T/bisect.good"
has "bisect: each with its reason" 'rule c:bad_type: .*expected type range vector' "$T/err"
is "bisect: --rejects has the 2" "$(grep -c . "$T/rejects")" 2
promcheck "bisect" "$T/bisect.yml"
readback "bisect" "$T/bisect.yml" "$T/bisect.good"

# A reason that is not UTF-8 (promtool quotes the rule file's bytes): the
# rejects file still has it, the bad bytes as U+FFFD.
wrap_promtool bytes-promtool "s/unclosed/unclo$(printf '\377\300')sed/"
run yamlemit --check="$T/bytes-promtool" --rejects "$T/rejects" -o "$T/bytes.yml" "$T/chk.jsonl"
expect "reason not UTF-8: the bad ones dropped" 65 "rule c:bad_paren: .*unclo" "$T/chk.good"
promcheck "reason not UTF-8" "$T/bytes.yml"
$PY - "$T/rejects" <<'PY'
import json, sys
got = {r["record"]: r.get("error", "") for r in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
sys.exit(0 if "unclo\ufffd\ufffdsed" in got.get("c:bad_paren", "") else 1)
PY
verdict "reason not UTF-8: the rejects keep it, with U+FFFD" $? "$(cat "$T/rejects")"

# promtool that cannot run or does not work: 69, nothing written.
printf '#!/bin/sh\necho "panic: oops" >&2\nexit 2\n' >"$T/crash-promtool"
chmod +x "$T/crash-promtool"
# One that refuses every rule by name: each expression made bad first.
cat >"$T/refuse-promtool" <<'EOF'
#!/bin/sh
for f; do :; done
sed 's/^\( *expr:\).*/\1 sum(/' "$f" >"$f.bad"
# As promtool would say it of the file it was given.
promtool check rules "$f.bad" >"$f.out" 2>&1
rc=$?
sed "s|$f.bad|$f|" "$f.out"
rm -f "$f.bad" "$f.out"
exit $rc
EOF
chmod +x "$T/refuse-promtool"
cp "$T/at/rules.yml" "$T/before.yml"
while IFS='|' read -r row prog input errpat; do
	case $row in ''|'#'*) continue ;; esac
	row=$(trim "$row") prog=$(trim "$prog") errpat=$(trim "$errpat")
	prog=${prog//@T/$T} input=$(trim "$input")
	run yamlemit --check="$prog" --rejects "$T/at/rej" -o "$T/at/rules.yml" "$T/$input"
	expect "promtool unusable: $row" 69 "$errpat" /dev/null
done <<'EOF'
no such program             | /nonexistent      | chk.jsonl       | cannot run /nonexistent: No such file
no such program, no new one | /nonexistent      | allstored.jsonl | cannot run /nonexistent
not executable              | @T/good1          | chk.jsonl       | cannot run .*: Permission denied
not on PATH                 | no-such-promtool  | chk.jsonl       | cannot run no-such-promtool
always fails                | /bin/false        | chk.jsonl       | /bin/false fails on a good rule file
always fails, no new one    | /bin/false        | allstored.jsonl | /bin/false fails on a good rule file
refuses every rule by name  | @T/refuse-promtool | chk.jsonl      | refuse-promtool fails on a good rule file: could not parse
refuses all, no new one     | @T/refuse-promtool | allstored.jsonl | refuse-promtool fails on a good rule file
always passes               | /bin/true         | chk.jsonl       | /bin/true passes a rule file with a bad expression in it; is it promtool\?
always passes, no new one   | /bin/true         | allstored.jsonl | /bin/true passes a rule file with a bad expression
crashes                     | @T/crash-promtool | chk.jsonl       | crash-promtool failed \(exit status 2\): panic: oops
EOF
same "promtool unusable: the previous file is untouched" "$T/before.yml" "$T/at/rules.yml"
[ ! -e "$T/at/rej" ]
verdict "promtool unusable: no rejects file" $?
no_temps "promtool unusable" "$T/at"

# --origin: a record is reported where its "origin" (FILE:LINE, from
# kvdiff --origin) says it was read; without one, or one of another form,
# at its input line.  The member stays, in the output and the rejects.
cat >"$T/orig.jsonl" <<'EOF'
{"record":"o:a","expr":"sum(","origin":"/x/we:ird.jsonl:7"}
{"record":"o:b","expr":"rate(x","origin":"nonsense"}
{"record":"o:c","expr":"up","origin":"f.jsonl:3"}
{"record":"o:c","expr":"down","origin":"g.jsonl:9"}
{"record":"o:d","expr":"max(","origin":"h.jsonl:0"}
EOF
printf '%s\n' '{"record":"o:c","expr":"up","origin":"f.jsonl:3"}' >"$T/orig.want"
run yamlemit --origin --check --rejects "$T/orig.rej" -o "$T/orig.yml" "$T/orig.jsonl"
expect "--origin: a refused rule at its origin" 65 "^yamlemit: /x/we:ird.jsonl:7: rule o:a: " "$T/orig.want"
expect "--origin: not FILE:LINE, at the input line" 65 "^yamlemit: $T/orig.jsonl:2: rule o:b: " "$T/orig.want"
expect "--origin: line 0 is no line, at the input line" 65 "^yamlemit: $T/orig.jsonl:5: rule o:d: " "$T/orig.want"
expect "--origin: a name given twice, both at their origins" 65 "^yamlemit: g.jsonl:9: record o:c was given another expr at f.jsonl:3;" "$T/orig.want"
$PY - "$T/orig.rej" <<'PY'
import json, sys
got = {r["record"]: r.get("origin") for r in map(json.loads, open(sys.argv[1]))}
sys.exit(got != {"o:a": "/x/we:ird.jsonl:7", "o:b": "nonsense", "o:d": "h.jsonl:0"})
PY
verdict "--origin: the rejects keep their origin" $? "$(cat "$T/orig.rej")"
run yamlemit --check -o "$T/orig.yml" "$T/orig.jsonl"
expect "without --origin: at the input line" 65 "^yamlemit: $T/orig.jsonl:1: rule o:a: " "$T/orig.want"

# --- a real Prometheus loads the files ------------------------------------
# start_prometheus RULEFILE: a private server on loopback; sets PROM.
start_prometheus() {
	port=$(free_port)
	mkdir -p "$T/prom"
	printf 'global:\n  evaluation_interval: 1h\nrule_files:\n  - %s\n' "$1" >"$T/prom/prometheus.yml"
	prometheus --config.file="$T/prom/prometheus.yml" \
		--storage.tsdb.path="$T/prom/data" --web.enable-lifecycle \
		--web.listen-address="127.0.0.1:$port" >"$T/prom/log" 2>&1 &
	PIDS="$PIDS $!"
	PROM=http://127.0.0.1:$port
	wait_for curl -fs "$PROM/-/ready"
}

# prom_rules NAME WANT_JSONL [OPTIONS]: /api/v1/rules lists exactly the
# records of WANT_JSONL, in the groups and with the labels asked for.
cat >"$T/api.py" <<'PY'
import json, sys, urllib.request
url, want_path, opts = sys.argv[1], sys.argv[2], sys.argv[3:]
labels, group, size, interval = {}, "heavy_expr_record", 0, None
while opts:
    o, v = opts.pop(0), opts.pop(0)
    if o == "--label":
        k, _, val = v.partition("="); labels[k] = val
    elif o == "--group": group = v
    elif o == "--group-size": size = int(v)
    elif o == "--interval": interval = float(v.rstrip("s"))
doc = json.load(urllib.request.urlopen(url + "/api/v1/rules"))
want = sorted((json.loads(l)["record"] for l in open(want_path) if l.strip()),
              key=lambda s: s.encode())
groups = doc["data"]["groups"]
got = [r["name"] for g in groups for r in g["rules"]]
bad = []
if doc["status"] != "success": bad.append("status %r" % doc["status"])
if got != want: bad.append("rules %r, want %r" % (got[:5], want[:5]))
names = [g["name"] for g in groups]
if size:
    n = max(1, -(-len(want) // size))
    if names != ["%s_%04d" % (group, i + 1) for i in range(n)]: bad.append("groups %r" % names)
elif names != [group]: bad.append("groups %r" % names)
for g in groups:
    if interval and g["interval"] != interval: bad.append("interval %r" % g["interval"])
    for r in g["rules"]:
        if (r.get("labels") or {}) != labels: bad.append("labels %r" % r.get("labels"))
        if r.get("lastError"): bad.append("%s: %s" % (r["name"], r["lastError"]))
print("\n".join(bad[:10]))
sys.exit(1 if bad else 0)
PY
prom_rules() {
	local name=$1 want=$2
	shift 2
	if $PY "$T/api.py" "$PROM" "$want" "$@" >"$T/api.out" 2>&1; then
		ok "$name"
	else
		fail "$name" "$(cat "$T/api.out")" "$(tail -5 "$T/prom/log")"
	fi
}

cat "$D/promql-hard.jsonl" "$T/big.jsonl" "$T/ten.jsonl" >"$T/prom.jsonl"
POPTS=(--group heavy --group-size 7 --interval 30s --label region=华东 --label src=recsync)
run yamlemit -o "$T/prom-rules.yml" "${POPTS[@]}" "$T/prom.jsonl"
expect "prometheus: file written" 0 "" "$T/prom.jsonl"
promcheck "prometheus" "$T/prom-rules.yml"
if start_prometheus "$T/prom-rules.yml"; then
	prom_rules "prometheus: /api/v1/rules lists every rule, grouped and labelled" \
		"$T/prom.jsonl" "${POPTS[@]}"
	# Replaced under the running server, then reloaded.
	run yamlemit -o "$T/prom-rules.yml" --group heavy "$D/basic.jsonl"
	expect "prometheus: file replaced" 0 "" "$D/basic.jsonl"
	if curl -fsS -X POST "$PROM/-/reload" >"$T/reload.out" 2>&1; then
		prom_rules "prometheus: the replaced file after a reload" "$D/basic.jsonl" --group heavy
	else
		fail "prometheus: reload" "$(cat "$T/reload.out")"
	fi
else
	fail "prometheus starts and loads the file" "$(tail -20 "$T/prom/log")"
fi

# --- valgrind (the plain build only; sanitizers cover the other) ----------
if [ ! -x "$RECSYNC_BIN/yamlemit" ] || nm "$RECSYNC_BIN/yamlemit" 2>/dev/null | grep -q __asan_init; then
	skip "valgrind (sanitizer build)"
elif ! command -v valgrind >/dev/null; then
	skip "valgrind (not installed)"
else
	VG=(valgrind -q --leak-check=full --error-exitcode=99)
	run "${VG[@]}" yamlemit -o "$T/vg.yml" --group-size 3 --label a=b --interval 1m "$D/promql-hard.jsonl"
	expect "valgrind: hard expressions, options" 0 "" "$D/promql-hard.jsonl"
	run "${VG[@]}" yamlemit --check --rejects "$T/vg.rej" -o "$T/vg.yml" "$T/chk.jsonl"
	expect "valgrind: --check with rejects" 65 "rule c:bad_paren"
	run "${VG[@]}" yamlemit --check="$T/vague-promtool" -o "$T/vg.yml" "$T/bisect.jsonl"
	expect "valgrind: bisect" 65 "rule c:bad_type"
	run "${VG[@]}" yamlemit --shard 1/3 -o "$T/vg.yml" "$T/noindex.jsonl" "$T/dup.jsonl"
	expect "valgrind: bad lines, shard" 65 "no \"index\""
	run "${VG[@]}" yamlemit -o "$T/at/missing/x.yml" "$T/ten.jsonl"
	expect "valgrind: cannot create" 73 "cannot create"
fi

done_testing
