#!/usr/bin/env bash
# Builds the libFuzzer targets of sgp22, smdp/auth and profiles/saip with clang (Bazel's toolchain is
# gcc) and runs each for a while, failing if any of them finds a crash.
#
#   tools/fuzz.sh                 # every target, 30 s each
#   tools/fuzz.sh 10              # 10 s each
#   tools/fuzz.sh 60 der bound_profile_package   # some targets, 60 s each
#   FUZZ_JOBS=2 tools/fuzz.sh     # parallel fuzzing jobs per target
#
# Targets are sgp22/fuzz/<name>_fuzzer.cc. Work files go to
# $SMDP_FUZZ_OUT (default /tmp/smdp-fuzz): bin/ (the fuzzers), corpus/<Type>/
# (seeded from sgp22/test_messages.cc and grown by each run; kept between
# runs), artifacts/ (crashing inputs). Exit code 1 when a target crashed or
# did not build.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-${FUZZ_SECONDS:-30}}"
shift || true
OUT="$(realpath -m "${SMDP_FUZZ_OUT:-/tmp/smdp-fuzz}")"
JOBS="${FUZZ_JOBS:-1}"
CXX="${CXX_FUZZ:-clang++}"

command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found" >&2; exit 1; }

COMMON=(-std=c++20 -O1 -g -I. -fno-omit-frame-pointer
        -fsanitize=address,undefined -fno-sanitize-recover=undefined)
ABSL_LIBS=(-Wl,--push-state,--as-needed
           -labsl_status -labsl_statusor -labsl_cord -labsl_cord_internal
           -labsl_cordz_functions -labsl_cordz_handle -labsl_cordz_info
           -labsl_strings -labsl_strings_internal -labsl_str_format_internal
           -labsl_int128 -labsl_throw_delegate -labsl_raw_logging_internal
           -labsl_time -labsl_time_zone -labsl_civil_time -labsl_base
           -labsl_spinlock_wait -labsl_synchronization -labsl_stacktrace
           -labsl_symbolize -labsl_debugging_internal -labsl_demangle_internal
           -labsl_malloc_internal -labsl_graphcycles_internal
           -labsl_exponential_biased -labsl_bad_optional_access
           -labsl_bad_variant_access -labsl_log_severity
           -Wl,--pop-state)

LIB_SRCS=(sgp22/der.cc sgp22/types.cc sgp22/internal/codec.cc
          sgp22/euicc_info.cc sgp22/authentication.cc
          sgp22/download.cc sgp22/bpp.cc sgp22/notification.cc
          sgp22/fuzz/fuzz_targets.cc smdp/auth/certificate.cc
          profiles/saip/profile_package.cc profiles/saip/coding.cc)

mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/corpus" "$OUT/artifacts"

# Library objects, instrumented for coverage (fuzzer-no-link) and sanitizers.
objs=()
for src in "${LIB_SRCS[@]}"; do
  obj="$OUT/obj/$(echo "$src" | tr '/' '_').o"
  if [[ ! -f "$obj" || "$src" -nt "$obj" || -n "$(find sgp22 smdp/auth profiles/saip hsm -name '*.h' -newer "$obj" -print -quit)" ]]; then
    "$CXX" "${COMMON[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done

# Seeds: the encoded sample messages.
"$CXX" "${COMMON[@]}" sgp22/fuzz/write_seeds.cc sgp22/test_messages.cc \
  "${objs[@]}" "${ABSL_LIBS[@]}" -o "$OUT/bin/write_seeds"
"$OUT/bin/write_seeds" "$OUT/corpus"
mkdir -p "$OUT/corpus/Certificate"
cp hsm/testdata/*.der "$OUT/corpus/Certificate/" 2>/dev/null || true
mkdir -p "$OUT/corpus/ProfilePackage"
"$CXX" "${COMMON[@]}" profiles/saip/fuzz/write_template_seed.cc \
  profiles/saip/template_builder.cc profiles/saip/personalization.cc \
  profiles/saip/internal/der_edit.cc "${objs[@]}" "${ABSL_LIBS[@]}" -lcrypto \
  -o "$OUT/bin/write_template_seed"
"$OUT/bin/write_template_seed" "$OUT/corpus/ProfilePackage/template.der"

# The targets to run.
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for f in sgp22/fuzz/*_fuzzer.cc smdp/auth/fuzz/*_fuzzer.cc \
           profiles/saip/fuzz/*_fuzzer.cc; do
    targets+=("$(basename "$f" _fuzzer.cc)")
  done
fi

failed=()
for t in "${targets[@]}"; do
  src="sgp22/fuzz/${t}_fuzzer.cc"
  [[ -f "$src" ]] || src="smdp/auth/fuzz/${t}_fuzzer.cc"
  [[ -f "$src" ]] || src="profiles/saip/fuzz/${t}_fuzzer.cc"
  [[ -f "$src" ]] || { echo "fuzz: no such target $t ($src)" >&2; failed+=("$t"); continue; }
  type="$(sed -n 's/.*Run("\([A-Za-z0-9]*\)".*/\1/p' "$src")"
  [[ -n "$type" ]] || type="$(echo "$t" | sed -E 's/(^|_)([a-z])/\U\2/g')"
  bin="$OUT/bin/${t}_fuzzer"
  if ! "$CXX" "${COMMON[@]}" -fsanitize=fuzzer "$src" "${objs[@]}" \
      "${ABSL_LIBS[@]}" -o "$bin"; then
    failed+=("$t (build)")
    continue
  fi
  corpus="$OUT/corpus/$type"
  mkdir -p "$corpus"
  log="$OUT/${t}.log"
  rm -f "$OUT"/fuzz-*.log
  echo "fuzz: $t ($type) for ${SECONDS_EACH}s"
  parallel=()
  if [[ "$JOBS" -gt 1 ]]; then parallel=(-jobs="$JOBS" -workers="$JOBS"); fi
  # Runs in $OUT: with -jobs libFuzzer writes fuzz-<n>.log to the cwd.
  if (cd "$OUT" && "$bin" "$corpus" -max_total_time="$SECONDS_EACH" \
      -max_len=16384 -rss_limit_mb=2048 -timeout=10 "${parallel[@]}" \
      -print_final_stats=1 -artifact_prefix="$OUT/artifacts/${t}-") \
      >"$log" 2>&1; then
    runs="$( { cat "$log"; cat "$OUT"/fuzz-*.log 2>/dev/null; } |
            awk '/stat::number_of_executed_units/ {s += $2} END {print s + 0}' || true)"
    cov="$( { cat "$log"; cat "$OUT"/fuzz-*.log 2>/dev/null; } |
            grep -o 'cov: [0-9]*' | tail -1 || true)"
    echo "fuzz: $t ok: ${runs} runs, ${cov:-cov: ?}"
  else
    echo "fuzz: $t FAILED (log: $log)" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 >&2 || true
    failed+=("$t")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${SECONDS_EACH}s without a crash"
