#!/usr/bin/env bash
# Runs every bench/*.bench.ts (or the names given: `make bench BENCH="records edge"`).
# Each benchmark prints its figures and rewrites its own section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  mapfile -t files < <(ls bench/*.bench.ts | sort)
else
  files=(); for n in "${names[@]}"; do files+=("bench/$n.bench.ts"); done
fi
for f in "${files[@]}"; do
  echo "=== $f ==="
  node --import=tsx "$f"
done
