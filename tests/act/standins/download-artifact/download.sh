#!/usr/bin/env bash
# See action.yml.
set -euo pipefail
: "${ACT_STANDIN_ARTIFACTS:?download-artifact stand-in: ACT_STANDIN_ARTIFACTS is not set}"
case "$INPUT_NAME" in ""|*/*|*..*) echo "download-artifact stand-in: expected one artifact name, found '$INPUT_NAME'" >&2; exit 1 ;; esac
src=$ACT_STANDIN_ARTIFACTS/$INPUT_NAME
[ -d "$src" ] || { echo "download-artifact stand-in: Artifact not found: $INPUT_NAME" >&2; exit 1; }
dest=$GITHUB_WORKSPACE/${INPUT_PATH}
mkdir -p "$dest"
cp -a "$src/." "$dest/"
echo "download-path=$dest" >> "$GITHUB_OUTPUT"
echo "download-artifact stand-in: $INPUT_NAME -> $dest"
