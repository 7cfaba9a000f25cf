#!/usr/bin/env bash
# docker/metadata-action stand-in (see action.yml): IMAGE:sha-<GITHUB_SHA> and the labels.
set -euo pipefail
if [[ "$INPUT_TAGS" != "type=sha,format=long" ]]; then
  echo "::error::metadata stand-in: only 'type=sha,format=long' is modelled; got: $INPUT_TAGS" >&2
  exit 1
fi
if [[ ! "$GITHUB_SHA" =~ ^[0-9a-f]{40}$ ]]; then
  echo "metadata stand-in: GITHUB_SHA is not a commit sha: $GITHUB_SHA" >&2
  exit 1
fi
tag="${INPUT_IMAGES,,}:sha-${GITHUB_SHA}"
labels="$(printf '%s\n' "$INPUT_LABELS" | sed '/^[[:space:]]*$/d')
org.opencontainers.image.revision=${GITHUB_SHA}"
echo "tags: $tag"
printf 'labels:\n%s\n' "$labels"
{
  echo "tags=$tag"
  echo "labels<<STANDIN_LABELS_EOF"
  printf '%s\n' "$labels"
  echo "STANDIN_LABELS_EOF"
} >> "$GITHUB_OUTPUT"
