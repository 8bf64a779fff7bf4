#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need (Debian 12),
# then builds and runs every test in a normal build, under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the concurrency tests under ThreadSanitizer.
# The freestanding compile of the core is part of every build; the normal
# build also checks the exported symbols, the man pages, consumers of the
# installed library, and the source tarball built and tested alone.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)                  # the C++ consumer test
command -v pkg-config >/dev/null || need+=(pkg-config)    # the pkg-config consumer test
command -v lexgrog >/dev/null || need+=(man-db)           # the man page index check
command -v qemu-storage-daemon >/dev/null || need+=(qemu-system-common)
command -v python3 >/dev/null || need+=(python3)          # bench/median5.py in the bench smoke test
command -v gnuplot >/dev/null || need+=(gnuplot-nox)      # swiotlb trace --plot
command -v xmllint >/dev/null || need+=(libxml2-utils)    # ... whose SVG the test parses
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() { # name, cmake args..., then ctest args after --
  local dir=$1; shift
  local cargs=() targs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targs=("$@")
  echo "=== $dir: cmake ${cargs[*]}"
  cmake -S . -B "$dir" "${cargs[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "${targs[@]}"
}

# The normal build is the library as shipped (debug mode compiled out: test_debug
# checks that the flag is refused); the sanitizer builds compile the debug mode
# in (docs/debug.md), which leaves every other test's results unchanged.
run_suite build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The release: the source tarball, unpacked alone, builds and passes the tests
# that read files of the tree.  Those that only compute (stress, fuzz, bench,
# the policy differential) or rebuild the tree (consumers, modules_off) ran
# above on the same files; `cmake --build build --target distcheck` runs all.
echo "=== distcheck"
cmake --build build-ci --target dist >/dev/null
sh tests/distcheck.sh "build-ci/libswiotlb-$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' build-ci/CMakeCache.txt).tar.gz" \
  -E '^(consumers|modules_off|test_stress|test_policy_diff|fuzz_ops|fuzz_cmdline|bench_smoke)$'
STRESS_ITERS=4000 run_suite build-ci-asan -DCMAKE_BUILD_TYPE=Debug -DSWIOTLB_SANITIZE=address,undefined -DSWIOTLB_DEBUG=ON
# No code path holds more than one area lock at a time (src/acct.c), so the
# deadlock detector runs on the simulated machines too.
STRESS_ITERS=3000 run_suite build-ci-tsan -DCMAKE_BUILD_TYPE=Debug -DSWIOTLB_SANITIZE=thread -DSWIOTLB_DEBUG=ON -- -R '(stress|thread|concurr|diff|blk|debug|acct|sim|scenario)'

# libFuzzer: every fuzz target, built with clang-14 (ASan+UBSan+coverage),
# runs for a bounded time from its seed corpus in fuzz/corpus/<target>; a
# crash or a violated property fails the suite.  The seeds are copied to a
# scratch corpus so the tree is not modified.  FUZZ_SECONDS overrides the
# time per target.
if ! command -v clang-14 >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: clang-14"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang-14 >/dev/null
fi
echo "=== build-ci-fuzz: cmake -DCMAKE_C_COMPILER=clang-14 -DSWIOTLB_FUZZ=ON"
cmake -S . -B build-ci-fuzz -DCMAKE_C_COMPILER=clang-14 -DSWIOTLB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-ci-fuzz -j"$jobs" --target fuzz_cmdline_libfuzzer fuzz_ops_libfuzzer >/dev/null
for target in fuzz_cmdline fuzz_ops; do
  work=build-ci-fuzz/corpus-$target
  rm -rf "$work" && mkdir -p "$work" && cp fuzz/corpus/$target/* "$work"/
  opts=()
  [ $target = fuzz_ops ] && opts=(-max_len=256 -entropic=0)
  echo "=== $target: libFuzzer for ${FUZZ_SECONDS:-60} s from $(ls fuzz/corpus/$target | wc -l) seeds"
  if ! (cd build-ci-fuzz && ./fuzz/${target}_libfuzzer -max_total_time="${FUZZ_SECONDS:-60}" -timeout=60 \
        -print_final_stats=1 -artifact_prefix="$target-" "${opts[@]}" "corpus-$target" >"$target.log" 2>&1); then
    tail -n 60 "build-ci-fuzz/$target.log"
    echo "$target: libFuzzer found a crash or a violated property (input: build-ci-fuzz/$target-*)"
    exit 1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' "build-ci-fuzz/$target.log"
done
echo "all suites passed"
