#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing,
# builds everything, runs every test, and ends with one line
#   tests: N passed, M failed
# (N and M count test cases; a target that fails to build or run counts as a
# failure). Exit code is non-zero when M > 0 or N == 0.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }

# Tests that read the public SGP.26 test PKI find it here (GTEST_SKIP if not).
SGP26_DIR="${SMDP_SGP26_DIR:-$(cd .. && pwd)/shared/sgp26}"

BEP="$(mktemp -t smdp-bep.XXXXXX.json)"
bazel test //... --test_env=SMDP_SGP26_DIR="$SGP26_DIR" --keep_going \
  --build_event_json_file="$BEP" "$@"
bazel_rc=$?

# The floors of the house on the build graph, each rule a test case
# (tools/layering.sh), then the libFuzzer targets (clang, ASan+UBSan), each a
# test case: 30 s each unless SMDP_FUZZ_SECONDS says otherwise (0 skips
# fuzzing). Both write their lines to one log that count_tests.py reads.
FUZZ_LOG="$(mktemp -t smdp-fuzz.XXXXXX.log)"
bash tools/layering.sh 2>&1 | tee "$FUZZ_LOG"
if [ "${SMDP_FUZZ_SECONDS:-30}" != 0 ]; then
  bash tools/fuzz.sh "${SMDP_FUZZ_SECONDS:-30}" 2>&1 | tee -a "$FUZZ_LOG"
  [ "${PIPESTATUS[0]}" -eq 0 ] || echo "fuzz: FAILED" >> "$FUZZ_LOG"
fi

python3 tools/count_tests.py "$BEP" "$bazel_rc" "$FUZZ_LOG"
rc=$?
rm -f "$BEP" "$FUZZ_LOG"
exit $rc
