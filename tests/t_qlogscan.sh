#!/bin/bash
# qlogscan: heavy queries from Prometheus query logs.  The selection rules
# and the noise are tables of hand-made lines; then a real Prometheus writes
# a query log for the queries we send, and the records must match them,
# with the MD5s computed here by Python's hashlib.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
D=$TESTS/data/qlogscan

# The expected records, sorted by name: each argument is "EXPR_JSON COUNT
# MAX", EXPR_JSON the expression as JSON string text, and PREFIX from the
# environment.  Python computes the MD5 of the expression's UTF-8 bytes.
# LAST, from the environment, is the latest line's time (RFC 3339): the
# records' last_used, in UTC to the second.
cat >"$T/want.py" <<'PY'
import hashlib, json, os, re, sys
from datetime import datetime, timezone
prefix = os.environ.get("PREFIX", "hke:heavy_expr")
last = os.environ.get("LAST")
if last:
    m = re.match(r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$", last)
    z = "+00:00" if m.group(4) in "Zz" else m.group(4)
    t = datetime.fromisoformat(m.group(1) + "T" + m.group(2) + z)
    last = t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
recs = []
for arg in sys.argv[1:]:
    expr_json, count, mx = arg.rsplit(" ", 2)
    expr = json.loads('"' + expr_json + '"')
    name = prefix + ":" + hashlib.md5(expr.encode()).hexdigest()
    rec = {"record": name, "expr": expr, "count": int(count), "max_eval_seconds": float(mx)}
    if last:
        rec["last_used"] = last
    recs.append((name, json.dumps(rec, ensure_ascii=False, separators=(",", ":"))))
for name, line in sorted(recs, key=lambda r: r[0].encode()):
    print(line)
PY
want() { python3 "$T/want.py" "$@"; }
# trim S: S without the spaces that pad a table's columns.
trim() { s=${1#"${1%%[! ]*}"}; printf '%s' "${s%"${s##*[! ]}"}"; }

T0=2024-05-01T10:00:00.000Z
T1=2024-05-01T11:00:00.000Z
# qline writes its END as the line's ts: most records were last used then.
export LAST=$T1

# qline PATH QUERY_JSON START END PREP INNER QUEUE: one line as Prometheus
# writes it, evalTotalTime 7.5.
qline() {
	printf '{"httpRequest":{"clientIP":"127.0.0.1","method":"GET","path":"%s"},' "$1"
	printf '"params":{"end":"%s","query":"%s","start":"%s","step":15},' "$4" "$2" "$3"
	printf '"spanID":"0000000000000000","stats":{"timings":{"evalTotalTime":7.5,'
	printf '"resultSortTime":0,"queryPreparationTime":%s,"innerEvalTime":%s,' "$5" "$6"
	printf '"execQueueTime":%s,"execTotalTime":7.5},' "$7"
	printf '"samples":{"totalQueryableSamples":100,"peakSamples":10}},"ts":"%s"}\n' "$4"
}

# judge NAME ARGS REASON EXPR_JSON: the last run selected the line (its
# record the only output) when REASON is "selected", else nothing, and
# --stats counted it under REASON.
judge() {
	local what=$1 args=$2 reason=$3 expr=$4 pfx
	if [ "$reason" = selected ]; then
		pfx=hke:heavy_expr
		case " $args " in *" -p "*) pfx=${args#*-p }; pfx=${pfx%% *} ;; esac
		PREFIX=$pfx LAST=$end want "$expr 1 7.5" >"$T/want"
	else
		: >"$T/want"
	fi
	expect "$what" 0 "stats: $reason 1\$" "$T/want"
}

# The selection rules, a table of hand-made lines in data/qlogscan/rules.table
# (its header names the columns): each rule a line that must be selected
# and one that must not.
rows=0
while IFS='|' read -r row args path query start end prep inner queue reason full expr; do
	case $row in ''|'#'*) continue ;; esac
	rows=$((rows + 1))
	row=$(trim "$row") args=${args//@D/$D}
	case $path in R) path=/api/v1/query_range ;; I) path=/api/v1/query ;; esac
	start=${start/@0/$T0} start=${start/@1/$T1}
	end=${end/@0/$T0} end=${end/@1/$T1}
	[ "$full" = = ] && full=$reason
	qline "$path" "$query" "$start" "$end" "$prep" "$inner" "$queue" >"$T/line"
	# shellcheck disable=SC2086 # options are words
	run -i "$T/line" qlogscan --stats $args
	judge "rule: $row" "$args" "$reason" "$expr"
	# shellcheck disable=SC2086
	run -i "$T/line" qlogscan --stats --full-parse $args
	judge "rule: $row (--full-parse)" "$args" "$full" "$expr"
done <"$D/rules.table"
is "rules table: every row was run" "$rows" "$(grep -Ec '^[^#]' "$D/rules.table")"

# Noise and wrong types, as raw lines: a table in data/qlogscan/noise.table
# (its header names the columns).
L='{"httpRequest":{"path":"/api/v1/query_range"},"params":{"query":"up","start":"2024-05-01T10:00:00Z","end":"2024-05-01T11:00:00Z"},"stats":{"timings":'
rows=0
while IFS='|' read -r row line reason full; do
	case $row in ''|'#'*) continue ;; esac
	rows=$((rows + 1))
	row=$(trim "$row")
	[ "$full" = = ] && full=$reason
	printf '%s\n' "${line//@/"$L"}" >"$T/line"
	run -i "$T/line" qlogscan --stats
	expect "noise: $row" 0 "stats: $reason 1\$"
	run -i "$T/line" qlogscan --stats --full-parse
	expect "noise: $row (--full-parse)" 0 "stats: $full 1\$"
done <"$D/noise.table"
is "noise table: every row was run" "$rows" "$(grep -Ec '^[^#]' "$D/noise.table")"

# Trimming is Python's str.strip(): every character str.isspace() holds, at
# either end, raw UTF-8 or escaped; names from hashlib on the original's
# cleaning (CR and LF out, strip, one leading '-').  A zero-width space and
# a byte order mark are no white space to Python: kept.
cat >"$T/strip.py" <<'PY'
import hashlib, json, sys
def clean(q):
    q = q.replace("\r", "").replace("\n", "").strip()
    return q[1:] if q.startswith("-") else q
spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
qs = ["%ssum(x{i=\"%d\"})%s" % (c, i, c) for i, c in enumerate(spaces)]
qs += ["".join(spaces) + "-y" + "".join(reversed(spaces)),
       "\u3000\n - z \u00a0\r\n", "\u200bw\u200b", "\ufeffv", "u\u2060",
       "\U0001F600t\U0001F600", "\u00a0\u00a0"]
want = {}
with open(sys.argv[1], "w", encoding="utf-8") as log:
    for i, q in enumerate(qs):
        e = {"httpRequest": {"path": "/api/v1/query_range"},
             "params": {"query": q, "start": "2024-05-01T10:00:00Z",
                        "end": "2024-05-01T11:00:00Z"},
             "stats": {"timings": {"queryPreparationTime": 0, "innerEvalTime": 6,
                                   "evalTotalTime": 7.5}}}
        print(json.dumps(e, ensure_ascii=i % 2 == 0), file=log)
        c = clean(q)
        if c:
            name = "hke:heavy_expr:" + hashlib.md5(c.encode()).hexdigest()
            want[name] = json.dumps({"record": name, "expr": c, "count": 1,
                                     "max_eval_seconds": 7.5},
                                    ensure_ascii=False, separators=(",", ":"))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for name in sorted(want, key=lambda n: n.encode()):
        print(want[name], file=out)
PY
python3 "$T/strip.py" "$T/strip.log" "$T/strip.want"
run qlogscan --stats "$T/strip.log"
expect "white space trimmed as Python's str.strip() does, names from hashlib" 0 \
	'stats: empty 1$' "$T/strip.want"

# Invalid UTF-8 cannot sit in a here-document row comfortably: one more.
{ printf '%s' "$L" | sed 's/"up"/"u\xffp"/'; printf '{"queryPreparationTime":0,"innerEvalTime":9,"evalTotalTime":9}}}\n'; } >"$T/line"
run -i "$T/line" qlogscan --stats
expect "noise: invalid UTF-8 in the query" 0 'stats: bad 1$'

# A whole noisy log: counts and longest evaluations add up per query, one
# record each, sorted by name; bad lines shown (five) and totalled; the
# incomplete last line quietly skipped; CRLF line ends.
NOISY_TS=2024-05-01T10:00:09.412Z	# every line of noisy.log that counts
LAST=$NOISY_TS want 'sum(rate(a[5m])) 3 9.25' 'topk(5, b) 2 12' 'vector(1) 1 5.01' \
	'histogram_quantile(0.9, e) 1 5.2' >"$T/noisy.want"
run qlogscan --stats "$D/noisy.log"
expect "noisy log: records" 0 'noisy.log:4: not JSON' "$T/noisy.want"
cat >"$T/noisy.err" <<EOF
qlogscan: $D/noisy.log:4: not JSON: '[' or '{' expected near 'level' (column 5)
qlogscan: $D/noisy.log:8: not a JSON object
qlogscan: $D/noisy.log:14: "stats.timings" is missing or not an object
qlogscan: $D/noisy.log:15: "stats.timings.innerEvalTime" is missing or not a number
qlogscan: $D/noisy.log:19: "params.start" or "params.end" is not an RFC 3339 time
qlogscan: 7 bad lines skipped (the first 5 shown)
qlogscan: stats: lines 23
qlogscan: stats: bytes $(wc -c <"$D/noisy.log")
qlogscan: stats: distinct 4
qlogscan: stats: selected 7
qlogscan: stats: light-precheck 1
qlogscan: stats: blank 1
qlogscan: stats: truncated 1
qlogscan: stats: bad 7
qlogscan: stats: too-long 0
qlogscan: stats: not-http 1
qlogscan: stats: path 1
qlogscan: stats: light 0
qlogscan: stats: timeout 1
qlogscan: stats: range 1
qlogscan: stats: empty 1
qlogscan: stats: excluded 0
qlogscan: stats: recorded 1
EOF
if diff "$T/noisy.err" "$T/err" >"$T/diff"; then ok "noisy log: the whole --stats report"
else fail "noisy log: the whole --stats report" "$(cat "$T/diff")"; fi
if awk '/stats: lines/ { l = $NF } /stats: (lines|bytes|distinct)/ { next }
    /stats:/ { n += $NF } END { exit n != l }' "$T/err"; then
	ok "noisy log: the reasons add up to the lines"
else
	fail "noisy log: the reasons add up to the lines" "$(cat "$T/err")"
fi

run qlogscan "$D/noisy.log"
expect "noisy log: without --stats, only the bad lines" 0 \
	'^qlogscan: 7 bad lines skipped \(the first 5 shown\)$' "$T/noisy.want"
is "noisy log: five bad lines and a total" "$(wc -l <"$T/err")" 6
run qlogscan -v "$D/noisy.log"
expect "noisy log: -v tells of the incomplete last line" 0 \
	'noisy.log:23: skipped an incomplete last line'
run qlogscan --full-parse --stats "$D/noisy.log"
expect "noisy log: --full-parse, same records" 0 'stats: light 1$' "$T/noisy.want"

LAST=$NOISY_TS want 'sum(rate(a[5m])) 3 9.25' 'topk(5, b) 2 12' 'vector(1) 1 5.01' \
	'histogram_quantile(0.9, e) 1 5.2' 'count(up) by (job) 1 8.9' >"$T/want"
run qlogscan --instant "$D/noisy.log"
expect "noisy log: --instant adds the instant query" 0 'bad lines' "$T/want"

PREFIX=team_a:slow LAST=$NOISY_TS want 'sum(rate(a[5m])) 3 9.25' 'topk(5, b) 2 12' \
	'vector(1) 1 5.01' 'histogram_quantile(0.9, e) 1 5.2' \
	'sum(hke:heavy_expr:0211d8a2fcdefee8e626c86ba3916281) 1 6' >"$T/want"
run qlogscan -p team_a:slow "$D/noisy.log"
expect "noisy log: --prefix names the records" 0 'bad lines' "$T/want"

# Several inputs, stdin among them, add up; the output is sorted.
run -i "$D/noisy.log" qlogscan -q "$D/noisy.log" - "$D/noisy.log"
LAST=$NOISY_TS want 'sum(rate(a[5m])) 9 9.25' 'topk(5, b) 6 12' 'vector(1) 3 5.01' \
	'histogram_quantile(0.9, e) 3 5.2' >"$T/want"
expect "files and stdin add up" 0 'bad lines' "$T/want"
check "records sorted by name" sh -c \
	"cut -d'\"' -f4 '$T/out' | LC_ALL=C sort -c"

# A last line without a line end is read when it is whole.
qline /api/v1/query_range 'sum(last)' "$T0" "$T1" 0 6 0 | tr -d '\n' >"$T/last.log"
want 'sum(last) 1 7.5' >"$T/want"
run qlogscan --stats "$T/last.log"
expect "a whole last line without a line end" 0 'stats: selected 1$' "$T/want"

# Lines longer than --max-line are read through without being held, shown
# like bad lines, and the lines after them still count; NUL bytes, a byte
# order mark and carriage returns alone are no trouble.  Memory is checked
# under ulimit -v, but not for the sanitizer build, which reserves terabytes
# of address space.
qline /api/v1/query_range 'sum(after)' "$T0" "$T1" 0 6 0 >"$T/good.log"
want 'sum(after) 2 7.5' >"$T/want2"
{ head -c 3145728 /dev/zero | tr '\0' x; echo; cat "$T/good.log"
  head -c 3145728 /dev/zero; echo; cat "$T/good.log"; } >"$T/long.log"
run qlogscan --stats --max-line 1048576 "$T/long.log"
expect "a line over --max-line is skipped, the next ones read" 0 \
	'long.log:1: longer than --max-line \(1048576 bytes\): 3145728 bytes' "$T/want2"
if grep -q 'long.log:3: longer' "$T/err" && grep -q 'stats: too-long 2$' "$T/err" &&
    grep -q 'stats: lines 4$' "$T/err" && grep -q '^qlogscan: 2 bad lines skipped$' "$T/err" &&
    grep -q "stats: bytes $(wc -c <"$T/long.log")\$" "$T/err"; then
	ok "lines too long: counted, shown at file:line, their bytes read"
else
	fail "lines too long: counted, shown at file:line, their bytes read" "$(cat "$T/err")"
fi
{ cat "$T/good.log"; head -c 3145728 /dev/zero | tr '\0' x; } >"$T/longlast.log"
want 'sum(after) 1 7.5' >"$T/want1"
run qlogscan --max-line 1048576 "$T/longlast.log"
expect "a last line over --max-line without a line end" 0 'longlast.log:2: longer' "$T/want1"
run qlogscan --max-line 1023
expect "--max-line below 1024 (64)" 64 '--max-line'
{ head -c 20000000 /dev/zero; echo; cat "$T/good.log"; } >"$T/nul.log"
case $RECSYNC_BIN in
*/san/*)
	skip "memory bounded under ulimit -v (the sanitizer build needs the address space)" ;;
*)
	# 20 MB of address space: less than a 20 MB line, more than the cap.
	(ulimit -v 20000; qlogscan --max-line 1048576 "$T/nul.log" "$T/good.log" \
		>"$T/out" 2>"$T/err"); status=$?
	expect "a 20 MB line of NULs in 20 MB of memory: the lines after it found" 0 \
		'nul.log:1: longer than --max-line' "$T/want2"
	(ulimit -v 20000; qlogscan "$T/nul.log" >"$T/out" 2>"$T/err"); status=$?
	expect "out of memory is an error (71), never the end of the input" 71 \
		'out of memory' /dev/null ;;
esac
# A light line but for a NUL byte in its query string: bad, shown at its
# column, as before the pre-check was asked first (it never skips a line
# holding a NUL byte).
qline /api/v1/query_range 'sum(nul)' "$T0" "$T1" 0 0.1 0 >"$T/nulq.log"
col=$(($(awk '{ print index($0, "sum(nul)") }' "$T/nulq.log") + 5))
sed -i 's/sum(nul)/sum(n\x00l)/' "$T/nulq.log"
cat "$T/good.log" >>"$T/nulq.log"
run qlogscan --stats "$T/nulq.log"
expect "a light line with a NUL byte in a string: bad, at its column" 0 \
	"nulq.log:1: a NUL byte \\(column $col\\)" "$T/want1"
if grep -q 'stats: bad 1$' "$T/err" && grep -q 'stats: light-precheck 0$' "$T/err"; then
	ok "a light line with a NUL byte in a string: counted bad, not light"
else
	fail "a light line with a NUL byte in a string: counted bad, not light" "$(cat "$T/err")"
fi
# A line under --max-line that would decode to a tree too large for the
# memory jansson may have (4 bytes a byte of --max-line): skipped the same.
python3 -c 'print("[" + "0," * 400000 + "0]")' >"$T/array.log"
cat "$T/good.log" >>"$T/array.log"
cat "$T/good.log" >>"$T/array.log"
run qlogscan --stats --max-line 1048576 "$T/array.log"
expect "a line too large to decode in the memory allowed" 0 \
	'array.log:1: too large to decode in the memory --max-line allows' "$T/want2"
case $RECSYNC_BIN in
*/san/*)
	skip "jansson out of memory under ulimit -v (the sanitizer build)" ;;
*)
	python3 -c 'print("[" + "0," * 4000000 + "0]")' >"$T/array8m.log"
	(ulimit -v 60000; qlogscan "$T/array8m.log" "$T/good.log" >"$T/out" 2>"$T/err")
	status=$?
	expect "out of memory in jansson is an error (71), not a bad line" 71 \
		'out of memory' /dev/null ;;
esac
printf '\357\273\277' | cat - "$T/good.log" "$T/good.log" >"$T/bom.log"
run qlogscan --stats "$T/bom.log"
expect "a UTF-8 byte order mark on the first line" 0 'stats: selected 2$' "$T/want2"
cat "$T/good.log" "$T/good.log" | tr "\n" "\r" >"$T/cr.log"
run qlogscan "$T/cr.log"
expect "carriage returns alone: one line, bad, not quietly truncated" 0 \
	'cr.log:1: not JSON' /dev/null

# gzip: through zcat in a pipe; a compressed file given directly is refused
# with the way to read it.
gzip -c "$D/noisy.log" >"$T/noisy.log.gz"
run sh -c "zcat '$T/noisy.log.gz' | qlogscan -q"
expect "gzip through zcat" 0 'bad lines' "$T/noisy.want"
run qlogscan "$T/noisy.log.gz" "$D/noisy.log"
expect "a gzip file is skipped with a hint (65)" 65 'noisy.log.gz: compressed with gzip.*zcat' \
	"$T/noisy.want"

# An exclude file's blank lines (spaces and tabs only too) and # comments
# exclude nothing: a line of spaces would exclude every query with one.
printf ' \t\n\n# sum\n  # up\nALERTS\n \r\n' >"$T/excl.txt"
{ qline /api/v1/query_range 'sum(up) by (job)' "$T0" "$T1" 0 6 0
  qline /api/v1/query_range 'ALERTS{a=\"1\"}' "$T0" "$T1" 0 6 0; } >"$T/excl.log"
want 'sum(up) by (job) 1 7.5' >"$T/want"
run qlogscan --stats -X "$T/excl.txt" "$T/excl.log"
expect "-X: blank lines and # comments exclude nothing" 0 'stats: excluded 1$' "$T/want"
# A NUL byte would cut the substring short without a word: 65, FILE:LINE.
printf 'ALERTS\nsum(up)\000 by (job)\n' >"$T/excl.nul"
run qlogscan -X "$T/excl.nul" "$T/excl.log"
expect "-X: a line holding a NUL byte ends the run (65)" 65 "^qlogscan: $T/excl.nul:2: a NUL byte \\(column 8\\)"

# Exit statuses and usage.  Columns: name | arguments | status | stderr.
while IFS='|' read -r row args code err; do
	case $row in ''|'#'*) continue ;; esac
	row=$(trim "$row") code=$(trim "$code")
	eval "run qlogscan $args"
	expect "$row" "$code" "$err"
done <<EOF
--help on stdout               |--help                    |0 |
--version                      |--version                 |0 |
unknown option                 |--bogus                   |64|usage: qlogscan
missing option value           |-t                        |64|usage: qlogscan
threshold not a duration       |-t fast                   |64|--threshold: expected a duration
threshold negative             |-t -1s                    |64|--threshold: expected a duration
max-range with a bad unit      |--max-range 6y            |64|--max-range: expected a duration
max-time not a number          |--max-time x              |64|--max-time: expected a duration
prefix empty                   |-p ''                     |64|--prefix: '' does not make a valid metric name
prefix starting with a digit   |-p 1abc                   |64|--prefix: '1abc' does not
prefix with a dash             |--prefix a-b              |64|--prefix: 'a-b' does not
prefix with a space            |-p 'a b'                  |64|--prefix: 'a b' does not
missing file                   |$T/nope.log               |66|nope.log: No such file or directory
a directory                    |$T                        |66|Is a directory
missing exclude file           |-X $T/nope.txt $D/noisy.log|66|nope.txt: No such file or directory
exclude an empty substring     |-x '' $D/noisy.log       |64|--exclude: an empty substring
read error, with its cause     |/proc/self/mem            |74|/proc/self/mem: read error: Input/output error$
EOF
run qlogscan --help
has "--help prints the usage" '^usage: qlogscan \[-iqsuv\]' "$T/out"

run qlogscan -q "$T/nope.log" "$D/noisy.log"
expect "a missing file does not stop the others" 66 'nope.log' "$T/noisy.want"
run sh -c "qlogscan '$D/noisy.log' >/dev/full"
expect "write error on stdout (74)" 74 'write error'

# The pre-check never changes the result: a generated log of realistic
# lines gives the same records with and without it.
if python3 "$TOP/bench/qlogscan-gen" 3 7 >"$T/gen.log" 2>"$T/gen.err"; then
	run qlogscan --stats "$T/gen.log"
	cp "$T/out" "$T/gen.fast"; grep -E 'selected|distinct' "$T/err" >"$T/gen.fast.err"
	run qlogscan --stats --full-parse "$T/gen.log"
	grep -E 'selected|distinct' "$T/err" >"$T/gen.full.err"
	expect "generated log: --full-parse gives the same records" 0 . "$T/gen.fast"
	if cmp -s "$T/gen.fast.err" "$T/gen.full.err" && [ -s "$T/gen.fast" ] &&
	    grep -q "$(wc -l <"$T/gen.fast") distinct heavy" "$T/gen.err"; then
		ok "generated log: the heavy queries the generator planted"
	else
		fail "generated log: the heavy queries the generator planted" \
			"$(cat "$T/gen.err" "$T/gen.fast.err" "$T/gen.full.err")"
	fi
else
	fail "bench/qlogscan-gen runs" "$(cat "$T/gen.err")"
fi

# The progress line: on a terminal only, updated in place.
head -c 2000000 "$T/gen.log" | sed '$d' >"$T/2mb.log"
script -qec "(cat '$T/2mb.log'; sleep 1; cat '$T/2mb.log') | qlogscan >/dev/null" \
	"$T/tty.out" >/dev/null 2>&1
if grep -q 'MB read, [0-9]* lines, [0-9]* heavy queries' "$T/tty.out" &&
    grep -q "$(printf '\r')" "$T/tty.out"; then
	ok "progress line on a terminal"
else
	fail "progress line on a terminal" "$(od -c "$T/tty.out" | head -20)"
fi
# Not into a file, nor a pipe: the same long enough run, which must have
# found records for the silence to mean anything.
(cat "$T/2mb.log"; sleep 1; cat "$T/2mb.log") | qlogscan >"$T/out" 2>"$T/err"
if [ ! -s "$T/2mb.log" ] || [ ! -s "$T/out" ]; then
	fail "no progress line into a file" "input of $(wc -c <"$T/2mb.log") bytes," \
		"$(wc -l <"$T/out") records"
elif [ -s "$T/err" ]; then fail "no progress line into a file" "$(od -c "$T/err" | head)"
else ok "no progress line into a file"; fi
(cat "$T/2mb.log"; sleep 1; cat "$T/2mb.log") | qlogscan 2>&1 >"$T/out" | cat >"$T/err"
if [ ! -s "$T/out" ]; then fail "no progress line into a pipe" "no records"
elif [ -s "$T/err" ]; then fail "no progress line into a pipe" "$(od -c "$T/err" | head)"
else ok "no progress line into a pipe"; fi

# A real Prometheus writes the query log.  We send range and instant
# queries; qlogscan with --threshold 0 must give exactly the records of the
# range queries (with --instant, of all of them), names computed by
# Python's hashlib on the cleaned query.
if ! command -v prometheus >/dev/null; then
	skip "Prometheus query log (prometheus not installed)"
	done_testing
fi
start_prometheus "$T/prom" || done_testing
wait_for sh -c "curl -sf '$PROM_URL/api/v1/query?query=up' | grep -q '\"value\"'" ||
	fail "prometheus scrapes itself" "$(tail -5 "$T/prom/log")"
: >"$T/prom/query.log"	# only the queries below from here on

# The queries: each sent as a range query (POST) and as an instant one
# (GET), in this order.
cat >"$T/queries.py" <<'PY'
QUERIES = [
    'up{job="self"}',
    'up{job="self"}',
    'sum by (handler) (rate(prometheus_http_requests_total{handler=~"/api/v1/.*"}[1m]))',
    'count(up{instance=~"127\\\\.0\\\\.0\\\\.1:[0-9]+"}) > 0',
    'up{job="self",instance!="a&b"} and on() vector(1) < 2',
    'label_replace(up, "x", "日本語 ünïcødé", "", "")',
    'count(up{x="ünïcødé"} or vector(1))',
    '   sum(up)   ',
    'sum(up)\r\n + 1',
    '-vector(1)',
    '\tmax(up)\n',
    'hke:heavy_expr:0211d8a2fcdefee8e626c86ba3916281',
]
PY
cat >"$T/send.py" <<'PY'
import subprocess, sys, time
exec(open(sys.argv[1]).read())
url = sys.argv[2]
end = int(time.time())
for q in QUERIES:
    for args in (["-X", "POST", url + "/api/v1/query_range", "--data-urlencode",
                  "start=%d" % (end - 300), "--data-urlencode", "end=%d" % end,
                  "--data-urlencode", "step=15"],
                 ["-G", url + "/api/v1/query"]):
        out = subprocess.run(["curl", "-sS", "--data-urlencode", "query=" + q] + args,
                             capture_output=True, text=True)
        if out.returncode != 0 or '"status":"success"' not in out.stdout:
            sys.exit("query failed: %r: %s %s" % (q, out.stdout, out.stderr))
PY
run python3 "$T/send.py" "$T/queries.py" "$PROM_URL"
expect "prometheus answers every query" 0 ""
n=$(python3 -c "exec(open('$T/queries.py').read()); print(2 * len(QUERIES))")
wait_for sh -c "[ \$(wc -l <'$T/prom/query.log') -ge $n ]" ||
	fail "prometheus logs every query" "$(cat "$T/prom/query.log")"

# The records expected from the queries sent: cleaned and hashed here, the
# count from how often each was sent, the longest evalTotalTime from what
# Prometheus logged for it.  Compared with qlogscan's output.
cat >"$T/want_log.py" <<'PY'
import hashlib, json, sys
exec(open(sys.argv[1]).read())
instant = sys.argv[3] == "1"
def clean(q):
    q = q.replace("\r", "").replace("\n", "").strip()
    return q[1:] if q.startswith("-") else q
evals, lasts = {}, {}
for line in open(sys.argv[2], encoding="utf-8"):
    e = json.loads(line)
    if e["httpRequest"]["path"] == "/api/v1/query_range" or instant:
        c = clean(e["params"]["query"])
        evals.setdefault(c, []).append(e["stats"]["timings"]["evalTotalTime"])
        # Prometheus 2.x logs ts with milliseconds: last_used keeps seconds.
        lasts[c] = max(lasts.get(c, ""), e["ts"][:19] + "Z")
want = {}
for q in QUERIES:
    c = clean(q)
    if "hke:heavy_expr" in c:
        continue
    name = "hke:heavy_expr:" + hashlib.md5(c.encode()).hexdigest()
    r = want.setdefault(name, {"record": name, "expr": c, "count": 0,
                               "max_eval_seconds": max(evals[c]),
                               "last_used": lasts[c]})
    r["count"] += 2 if instant else 1
got = [json.loads(l) for l in open(sys.argv[4], encoding="utf-8")]
names = [g["record"] for g in got]
if names != sorted(names) or {g["record"]: g for g in got} != want:
    print("want:", *sorted(want.values(), key=lambda r: r["record"]), sep="\n")
    print("got:", *got, sep="\n")
    sys.exit(1)
PY
run qlogscan --threshold 0 --stats "$T/prom/query.log"
expect "prometheus log: range queries at --threshold 0" 0 'stats: recorded 1$'
has "prometheus log: instant queries not taken" 'stats: path 12$' "$T/err"
check "prometheus log: records match the range queries sent" \
	python3 "$T/want_log.py" "$T/queries.py" "$T/prom/query.log" 0 "$T/out"
run qlogscan --threshold 0 --instant "$T/prom/query.log"
expect "prometheus log: --instant" 0 ""
check "prometheus log: records match all the queries sent" \
	python3 "$T/want_log.py" "$T/queries.py" "$T/prom/query.log" 1 "$T/out"
has "prometheus log: a query sent four times counts 4" \
	'"expr":"up\{job=\\"self\\"\}","count":4,' "$T/out"
run qlogscan "$T/prom/query.log"
expect "prometheus log: nothing is heavy at the default 5s" 0 "" /dev/null

done_testing
