#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build berthd, and run it in
# the foreground. Without arguments it serves the built-in default bridge
# berth0 at 10.0.3.1/24 (pool .2-.254, domain berth), creating the bridge.
# Arguments are passed to berthd, e.g. scripts/run.sh --config my.toml
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_TESTS=OFF -DBERTH_BENCH=OFF >/dev/null
cmake --build build --target berthd
exec build/server/berthd "$@"
