#!/bin/bash
# The rule file recsync leaves in --rules-dir: made once, by the checked
# pass of yamlemit, and placed there under the name yamlemit -d gives
# (record_<rules>_<local time>.yml), 0644 whatever the umask, never over
# what holds that name (_2.yml then), with no temporary left behind; a run
# that changes no rule places none.  promtool, which checks the new rules,
# runs with GOGC=200 unless GOGC is set.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
start_consul
start_redis
new_prefix
SETKEY=rulefile:$PREFIX
RULES=$T/rules
mkdir "$RULES"

# shellcheck disable=SC2317 # called through run
rs() { recsync --prefix "$PREFIX" --set-key "$SETKEY" --rules-dir "$RULES" "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <"$T/out"; }
# stamped N: the names a file of N rules may have, this second or a later one.
stamped() { echo "record_$1_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}(_[0-9]+)?\.yml"; }

records 3 >"$T/three"
(umask 077 && run -i "$T/three" rs && echo "$status" >"$T/status")
status=$(cat "$T/status")
expect "first run exits 0" 0 ""
file=$(field rule_file)
if [[ ${file##*/} =~ ^$(stamped 3)$ ]] && [ "${file%/*}" = "$RULES" ]; then
	ok "the rule file is named as yamlemit -d names one: ${file##*/}"
else
	fail "the rule file's name" "$file"
fi
is "its mode is 0644 under umask 077" "$(stat -c %a "$file")" 644
kvdiff --all --prefix "$PREFIX" </dev/null >"$T/stored"
yamlemit -q -o "$T/want.yml" "$T/stored" >/dev/null
check "it holds what yamlemit makes of the stored records" cmp "$T/want.yml" "$file"
is "no temporary is left in the rules directory" "$(find "$RULES" -name '.*' -type f | wc -l)" 0
is "one rule file" "$(find "$RULES" -type f | wc -l)" 1

# Nothing new: no new file, the current one named.
run -i "$T/three" rs
expect "again: exits 0" 0 ""
is "again: the rules did not change" "$(field rule_file_changed)" False
is "again: the same file is named" "$(field rule_file)" "$file"
is "again: still one rule file" "$(find "$RULES" -type f | wc -l)" 1

# Every name the next file may take in the next two minutes is held by a
# planted link to a file of someone else's: the file goes under _2, and the
# links and what they point to are left as they were.
echo 'not ours' >"$T/victim"
now=$(date +%s)
for ((s = now; s < now + 120; s++)); do
	ln -s "$T/victim" "$RULES/record_4_$(date -d "@$s" +%Y-%m-%d_%H-%M-%S).yml"
done
{ cat "$T/three"; records 1 4; } >"$T/four"
run -i "$T/four" rs
expect "a taken name: exits 0" 0 ""
file=$(field rule_file)
if [[ ${file##*/} =~ ^record_4_.*_2\.yml$ ]] && [ -f "$file" ] && [ ! -L "$file" ]; then
	ok "a taken name: the file goes under _2 (${file##*/})"
else
	fail "a taken name: the file goes under _2" "$file"
fi
is "a taken name: what the link points to is left alone" "$(cat "$T/victim")" 'not ours'
is "a taken name: the links are left alone" "$(find "$RULES" -type l | wc -l)" 120
kvdiff --all --prefix "$PREFIX" </dev/null >"$T/stored"
yamlemit -q -o "$T/want.yml" "$T/stored" >/dev/null
check "a taken name: the file holds the four rules" cmp "$T/want.yml" "$file"
is "a taken name: no temporary is left" "$(find "$RULES" -name '.*' | wc -l)" 0

# promtool, which checks the new rules, runs with GOGC=200 unless GOGC is
# set (recsync(1), ENVIRONMENT): the real promtool, through a script that
# notes what it was given.
cat >"$T/promtool" <<EOF
#!/bin/sh
echo "GOGC=\${GOGC-unset}" >>"$T/gogc"
exec $(command -v promtool) "\$@"
EOF
chmod +x "$T/promtool"
records 1 10 | rs --promtool "$T/promtool" >/dev/null 2>"$T/err"
records 1 11 | GOGC=50 rs --promtool "$T/promtool" >/dev/null 2>>"$T/err"
is "promtool runs with GOGC=200, or the GOGC given" "$(sort -u "$T/gogc" | tr '\n' ' ')" "GOGC=200 GOGC=50 "

done_testing
