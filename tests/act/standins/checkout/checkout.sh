#!/usr/bin/env bash
# actions/checkout against a local bare origin; see action.yml for what is reproduced.
set -euo pipefail
: "${ACT_STANDIN_ORIGIN:?checkout stand-in: ACT_STANDIN_ORIGIN (the bare origin) is not set}"
if [ -n "$INPUT_REPOSITORY" ] && [ "$INPUT_REPOSITORY" != "$GITHUB_REPOSITORY" ]; then
  echo "checkout stand-in: only the repository under test ($GITHUB_REPOSITORY) can be checked out, not '$INPUT_REPOSITORY'" >&2
  exit 1
fi
dest=$GITHUB_WORKSPACE/${INPUT_PATH}
ref=${INPUT_REF:-$GITHUB_SHA}
case "$ref" in -*) echo "checkout stand-in: refusing ref '$ref'" >&2; exit 1 ;; esac
mkdir -p "$dest"
cd "$dest"
git init -q
git remote remove origin 2>/dev/null || true
git remote add origin "file://$ACT_STANDIN_ORIGIN"
if [ "$INPUT_FETCH_DEPTH" = 0 ]; then
  git fetch -q --tags --prune origin '+refs/heads/*:refs/remotes/origin/*'
else
  tags=--no-tags; [ "$INPUT_FETCH_TAGS" = true ] && tags=--tags
  git fetch -q $tags --depth="$INPUT_FETCH_DEPTH" origin "$ref"
  ref=FETCH_HEAD
fi
# A branch or tag name resolves through origin's refs, as the real action does.
if git rev-parse -q --verify "refs/remotes/origin/$ref^{commit}" >/dev/null; then
  ref=refs/remotes/origin/$ref
fi
git checkout -q --detach "$ref"
echo "checkout stand-in: $(git rev-parse HEAD) into $dest (fetch-depth $INPUT_FETCH_DEPTH)"
