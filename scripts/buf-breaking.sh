#!/usr/bin/env bash
# buf breaking against the landed baseline: the public protos (events and APIs) may only grow.
#
# The baseline is BUF_BREAKING_AGAINST (any git revision) or else the newest commit at least
# four hours older than HEAD: a session lasts at most three, so that commit had landed before
# the change under test began. A baseline without protos has nothing to break.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
buf=.bin/buf

against=${BUF_BREAKING_AGAINST:-}
if [ -z "$against" ]; then
  head_time=$(git log -1 --format=%ct HEAD)
  against=$(git rev-list -1 --before=$((head_time - 4 * 3600)) HEAD || true)
fi
if [ -z "$against" ]; then
  echo "buf breaking: no landed baseline yet (history younger than 4 hours); nothing to compare"
  exit 0
fi
if ! git cat-file -e "$against:buf.yaml" 2>/dev/null || ! git cat-file -e "$against:proto" 2>/dev/null; then
  echo "buf breaking: baseline $against has no protos; nothing to compare"
  exit 0
fi

tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add --detach --quiet "$tmp/base" "$against"
# The baseline imports the same registry files; they are not in git, so lend it ours.
cp -r third_party "$tmp/base/third_party"
"$buf" breaking --against "$tmp/base"
echo "buf breaking: no breaking change against $(git rev-parse --short "$against")"
