#!/bin/bash
# runner: once
# examples/alerts.yml: promtool checks it, and its unit tests
# (tests/alerts_test.yml: each alert firing, each staying silent) pass;
# broken copies of the alerts must fail them, so the tests can fail.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

check "promtool check rules examples/alerts.yml" promtool check rules "$TOP/examples/alerts.yml"
check "promtool test rules tests/alerts_test.yml" promtool test rules "$TESTS/alerts_test.yml"
for alert in RecsyncNotSucceeding RecsyncFailing RecsyncDrift RecsyncLockStuck; do
	if grep -q "alertname: $alert\$" "$TESTS/alerts_test.yml" &&
	    [ "$(grep -A1 "alertname: $alert\$" "$TESTS/alerts_test.yml" | grep -c 'exp_alerts: \[\]')" -ge 1 ] &&
	    [ "$(grep -A1 "alertname: $alert\$" "$TESTS/alerts_test.yml" | grep -c 'exp_alerts:$')" -ge 1 ]; then
		ok "$alert has a silent case and a firing case"
	else
		fail "$alert: tests for both cases"
	fi
done

# mutant NAME SED: the alerts changed by SED must fail the unit tests.
mkdir -p "$T/examples" "$T/tests"
cp "$TESTS/alerts_test.yml" "$T/tests/"
mutant() {
	sed "$2" "$TOP/examples/alerts.yml" >"$T/examples/alerts.yml"
	if cmp -s "$TOP/examples/alerts.yml" "$T/examples/alerts.yml"; then
		fail "mutant $1: the change applies"
	elif promtool test rules "$T/tests/alerts_test.yml" >"$T/mutant.out" 2>&1; then
		fail "the unit tests catch: $1" "$(cat "$T/mutant.out")"
	else
		ok "the unit tests catch: $1"
	fi
}
mutant "no success for 2h instead of 26h" 's/> 26 \* 3600/> 2 * 3600/'
mutant "65 counted as a failure" 's/ != 0 != 65/ != 0/'
mutant "status's drift (1) counted as a failure" 's/{command="status"} > 1/{command="status"} > 0/'
mutant "drift without the hour" 's/^        for: 1h$/        for: 1m/'
mutant "a dead holder not alerted" 's/ or recsync_lock_holder_alive == 0//'
# shellcheck disable=SC2016 # $labels is Prometheus's template, not the shell's
mutant "annotations without the instance" '0,/{{ $labels.instance }}/s/{{ $labels.instance }}/x/'
done_testing
