#!/usr/bin/env bash
# The floors of the house (../shared/DESIGN.md, "Dependencies point one
# way"), checked on the build graph. Bazel visibility (the package groups in
# BUILD.bazel) already refuses a forbidden direct dependency; these queries
# also catch one that arrives indirectly. One line per rule:
#   layering: <rule> ok      or      layering: <rule> FAILED (<targets>)
# tools/test.sh counts each line as a test case.
set -uo pipefail
cd "$(dirname "$0")/.."

rc=0
check() {
  local rule="$1" query="$2" found
  if ! found=$(bazel query --noshow_progress "$query" 2>/dev/null); then
    echo "layering: $rule FAILED (query did not run)"
    rc=1
  elif [ -n "$found" ]; then
    echo "layering: $rule FAILED ($(echo "$found" | head -5 | tr '\n' ' '))"
    rc=1
  else
    echo "layering: $rule ok"
  fi
}

check hsm_and_profiles_know_no_server_http_or_grpc \
  'deps(//hsm/... + //profiles/...) intersect (//smdp/... + //third_party/system:grpc)'
check sgp22_stands_on_nothing_of_the_house \
  'deps(//sgp22/...) intersect (//smdp/... + //profiles/... + //hsm/... + //tests/...)'
check the_test_euicc_shares_no_server_bsp_or_download \
  'deps(//tests/euicc:software_euicc + //tests/euicc:euicc_apdu_card + //tests/euicc:lpa + //tests/euicc:euicc_cli) intersect (//sgp22/bsp/... + //smdp/download/...)'
check the_es9_core_needs_no_server_composition \
  'deps(//smdp/download/...) intersect (//smdp/server/... + //smdp/http/... + //smdp/grpc/...)'
exit $rc
