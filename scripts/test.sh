#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, and run the whole
# test suite with ctest. Exit status 0 only when every test passed.
#   1. gcc build with -Werror: unit tests and integration tests (network
#      namespaces, real clients; needs root).
#   2. clang build with AddressSanitizer + UndefinedBehaviorSanitizer and the
#      libFuzzer targets: unit tests, a bounded run of every fuzz target, and
#      the integration tests against the sanitized berthd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)

# House rule: sources are formatted with clang-format (.clang-format).
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j1

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DBERTH_SANITIZE=ON -DBERTH_FUZZ=ON -DBERTH_BENCH=OFF
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j1
