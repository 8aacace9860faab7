#!/usr/bin/env bash
# The whole test suite: type check, TypeScript tests (vitest), the Python trainer's tests, the web
# app's browser tests. Prints one closing "N passed, N failed" line over all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=PASSIVE
# Everything the tests write to the temporary folder goes into one folder for this run, removed at the end
# unless BACKLOT_KEEP_TEST_TMP is set (vitest run on its own makes its own: test/support/temp-root.ts).
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/backlot-test-run-$$-XXXXXX") && chmod 711 "$run_tmp" &&
  export TMPDIR="$run_tmp" BACKLOT_TEST_TMP="$run_tmp" && trap '[ -n "${BACKLOT_KEEP_TEST_TMP:-}" ] || rm -rf "$run_tmp"' EXIT
passed=0; failed=0; status=0
mkdir -p test-artifacts

echo "== type check"
if npx tsc -b && node apps/cli/scripts/bundle.mjs && npx tsc -p apps/web/tsconfig.json; then passed=$((passed+1)); else failed=$((failed+1)); status=1; fi

echo "== TypeScript tests"
npx vitest run --reporter=default --reporter=json --outputFile=test-artifacts/vitest.json "$@"
[ $? = 0 ] || status=1
if [ -f test-artifacts/vitest.json ]; then
  read -r p f < <(node -e 'const r=require("./test-artifacts/vitest.json");console.log(r.numPassedTests, r.numFailedTests + r.testResults.filter(t=>t.status==="failed"&&!t.assertionResults.some(a=>a.status==="failed")).length)')
  passed=$((passed+p)); failed=$((failed+f))
fi

if [ -d trainer/tests ]; then
  echo "== trainer tests (python)"
  py="${BACKLOT_PYTHON:-/usr/bin/python3}"
  out=$("$py" -m unittest discover -s trainer/tests -t . 2>&1); rc=$?
  echo "$out" | tail -n 30
  n=$(echo "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' | tail -1); n=${n:-0}
  bad=$(echo "$out" | sed -n 's/^FAILED (\(.*\))/\1/p' | grep -o '[0-9]\+' | paste -sd+ | bc 2>/dev/null || echo 0)
  [ "$rc" = 0 ] || { status=1; [ "${bad:-0}" = 0 ] && bad=1; }
  passed=$((passed + n - ${bad:-0})); failed=$((failed + ${bad:-0}))
fi

echo
echo "$passed passed, $failed failed"
exit $status
