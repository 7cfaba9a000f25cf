#!/usr/bin/env bash
# See action.yml. Writes multi-line outputs with GitHub's heredoc syntax.
set -euo pipefail
ref_re='^[a-z0-9][a-z0-9._/:-]*$'
tags=() version=
while IFS= read -r image; do
  image=$(echo "$image" | tr 'A-Z' 'a-z' | xargs)
  [ -n "$image" ] || continue
  [[ "$image" =~ $ref_re ]] || { echo "docker-metadata stand-in: bad image name '$image'" >&2; exit 1; }
  while IFS= read -r spec; do
    spec=$(echo "$spec" | xargs)
    [ -n "$spec" ] || continue
    case "$spec" in
      type=sha,format=long*) version=sha-$GITHUB_SHA ;;
      type=sha*) version=sha-${GITHUB_SHA:0:7} ;;
      type=raw,value=*) version=${spec#type=raw,value=}; version=${version%%,*} ;;
      *) echo "docker-metadata stand-in: tag spec '$spec' not supported (type=sha, type=raw only)" >&2; exit 1 ;;
    esac
    tags+=("$image:$version")
  done <<< "$INPUT_TAGS"
done <<< "$INPUT_IMAGES"
[ ${#tags[@]} -gt 0 ] || { echo "docker-metadata stand-in: no images" >&2; exit 1; }
delim=EOF_$RANDOM$RANDOM
{
  echo "version=$version"
  echo "tags<<$delim"; printf '%s\n' "${tags[@]}"; echo "$delim"
  echo "labels<<$delim"
  echo "org.opencontainers.image.revision=$GITHUB_SHA"
  echo "org.opencontainers.image.source=$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"
  echo "org.opencontainers.image.version=$version"
  printf '%s\n' "$INPUT_LABELS" | sed '/^[[:space:]]*$/d'
  echo "$delim"
} >> "$GITHUB_OUTPUT"
echo "docker-metadata stand-in: ${tags[*]}"
