#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build berthd and berthctl,
# install them under /usr/local (so both are on root's PATH, with their man
# pages), and run berthd in the foreground. Without arguments it serves the
# built-in default bridge berth0 at 10.0.3.1/24 (pool .2-.254, domain berth),
# creating the bridge. Arguments are passed to berthd, e.g.
# scripts/run.sh --config my.toml
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_TESTS=OFF -DBERTH_BENCH=OFF >/dev/null
cmake --build build --target berthd berthctl berth_man_pages
# Also puts berthd.service, sysusers.d and tmpfiles.d snippets under
# /usr/local/lib; nothing is enabled or started.
cmake --install build --prefix /usr/local >/dev/null
echo "run.sh: installed /usr/local/sbin/berthd and /usr/local/bin/berthctl" \
  "(man berthd, man berthctl, man berth.toml); starting berthd" >&2
exec /usr/local/sbin/berthd "$@"
