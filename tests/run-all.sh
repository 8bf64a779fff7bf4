#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need (Debian 12),
# then builds and runs every test in a normal build, under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the concurrency tests under ThreadSanitizer.
# The freestanding compile of the core is part of every build.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v qemu-storage-daemon >/dev/null || need+=(qemu-system-common)
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
STRESS_ITERS=4000 run_suite build-ci-asan -DCMAKE_BUILD_TYPE=Debug -DSWIOTLB_SANITIZE=address,undefined -DSWIOTLB_DEBUG=ON
# TSan's deadlock detector tracks at most 64 locks held at once; a new
# high-water mark takes every area lock of every pool (128 on the 36-CPU
# scenario guests), so the simulated machines run with race detection only.
STRESS_ITERS=3000 run_suite build-ci-tsan -DCMAKE_BUILD_TYPE=Debug -DSWIOTLB_SANITIZE=thread -DSWIOTLB_DEBUG=ON -- -R '(stress|thread|concurr|diff|blk|debug)'
TSAN_OPTIONS=detect_deadlocks=0 run_suite build-ci-tsan -DCMAKE_BUILD_TYPE=Debug -DSWIOTLB_SANITIZE=thread -DSWIOTLB_DEBUG=ON -- -R '(sim|scenario)'
echo "all suites passed"
