#!/usr/bin/env bash
# Runs every fuzz target of the workspace for a short time each (go test -fuzz takes one
# target of one package per run). Usage: scripts/fuzz.sh 10s
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
fuzztime=${1:-10s}
found=0
while IFS= read -r dir; do
  while IFS= read -r target; do
    found=$((found + 1))
    echo "fuzz $dir $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir"
  done < <(grep -ho '^func \(Fuzz[A-Za-z0-9_]*\)' "$dir"/*_test.go 2>/dev/null | awk '{print $2}' | sed 's/(.*//' | sort -u)
done < <(git ls-files '*_test.go' | xargs -r grep -l '^func Fuzz' | xargs -r -n1 dirname | sort -u | sed 's|^|./|')
echo "fuzz: $found target(s) run"
