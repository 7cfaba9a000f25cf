#!/usr/bin/env bash
# One artifact = one folder; see action.yml.
set -euo pipefail
: "${ACT_STANDIN_ARTIFACTS:?upload-artifact stand-in: ACT_STANDIN_ARTIFACTS is not set}"
case "$INPUT_NAME" in ""|*/*|*..*|*$'\n'*) echo "upload-artifact stand-in: bad name '$INPUT_NAME'" >&2; exit 1 ;; esac
dest=$ACT_STANDIN_ARTIFACTS/$INPUT_NAME
if [ -e "$dest" ] && [ "$INPUT_OVERWRITE" != true ]; then
  echo "upload-artifact stand-in: an artifact named '$INPUT_NAME' already exists (GitHub answers 409)" >&2
  exit 1
fi
src=$GITHUB_WORKSPACE/$INPUT_PATH
if [ ! -e "$src" ] || { [ -d "$src" ] && [ -z "$(ls -A "$src")" ]; }; then
  case "$INPUT_IF_NO_FILES_FOUND" in
    error) echo "upload-artifact stand-in: no files found at $INPUT_PATH" >&2; exit 1 ;;
    warn) echo "::warning::No files were found with the provided path: $INPUT_PATH"; exit 0 ;;
    *) exit 0 ;;
  esac
fi
rm -rf "$dest"; mkdir -p "$dest"
if [ -d "$src" ]; then cp -a "$src/." "$dest/"; else cp -a "$src" "$dest/"; fi
echo "upload-artifact stand-in: $INPUT_NAME <- $INPUT_PATH ($(find "$dest" -type f | wc -l) files)"
