#!/usr/bin/env bash
# See action.yml.
set -euo pipefail
: "${ACT_STANDIN_ARTIFACTS:?download-artifact stand-in: ACT_STANDIN_ARTIFACTS is not set}"
if [ -z "$INPUT_NAME" ] && [ -n "${INPUT_PATTERN:-}" ]; then
  case "$INPUT_PATTERN" in */*|*..*) echo "download-artifact stand-in: bad pattern '$INPUT_PATTERN'" >&2; exit 1 ;; esac
  dest=$GITHUB_WORKSPACE/${INPUT_PATH}
  mkdir -p "$dest"
  for src in "$ACT_STANDIN_ARTIFACTS"/*/; do
    name=$(basename "$src")
    # shellcheck disable=SC2254  # the pattern is a glob on purpose
    case "$name" in $INPUT_PATTERN) mkdir -p "$dest/$name"; cp -a "$src." "$dest/$name/"
      echo "download-artifact stand-in: $name -> $dest/$name" ;; esac
  done
  echo "download-path=$dest" >> "$GITHUB_OUTPUT"
  exit 0
fi
case "$INPUT_NAME" in ""|*/*|*..*) echo "download-artifact stand-in: expected one artifact name, found '$INPUT_NAME'" >&2; exit 1 ;; esac
src=$ACT_STANDIN_ARTIFACTS/$INPUT_NAME
[ -d "$src" ] || { echo "download-artifact stand-in: Artifact not found: $INPUT_NAME" >&2; exit 1; }
dest=$GITHUB_WORKSPACE/${INPUT_PATH}
mkdir -p "$dest"
cp -a "$src/." "$dest/"
echo "download-path=$dest" >> "$GITHUB_OUTPUT"
echo "download-artifact stand-in: $INPUT_NAME -> $dest"
