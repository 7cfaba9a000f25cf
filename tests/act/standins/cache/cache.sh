#!/usr/bin/env bash
# restore|save one `path` under `key` in the folder store $ACT_STANDIN_CACHE/<key>/.
set -euo pipefail
: "${ACT_STANDIN_CACHE:?cache stand-in: ACT_STANDIN_CACHE (the folder store) is not set}"
path=$INPUT_PATH key=$INPUT_KEY
case "$key$path" in */..*|../*|*$'\n'*) echo "cache stand-in: refusing key '$key' / path '$path'" >&2; exit 1 ;; esac
key=${key//\//_}
src=$GITHUB_WORKSPACE/$path
if [ "$1" = save ]; then
  [ -e "$src" ] || { echo "cache stand-in: nothing at $path to save"; exit 0; }
  mkdir -p "$ACT_STANDIN_CACHE/$key"
  cp -a "$src/." "$ACT_STANDIN_CACHE/$key/"
  echo "cache stand-in: saved $path under $key"
  exit 0
fi
entry=
if [ -d "$ACT_STANDIN_CACHE/$key" ]; then
  entry=$key
else
  while IFS= read -r prefix; do
    prefix=${prefix//\//_}
    [ -n "$prefix" ] || continue
    for candidate in $(ls -t "$ACT_STANDIN_CACHE" 2>/dev/null); do
      if [[ "$candidate" == "$prefix"* ]]; then entry=$candidate; break 2; fi
    done
  done <<< "${INPUT_RESTORE_KEYS:-}"
fi
if [ -z "$entry" ]; then
  echo "cache stand-in: miss for $key"; echo "hit=false"; exit 0
fi
mkdir -p "$src"
cp -a "$ACT_STANDIN_CACHE/$entry/." "$src/"
echo "cache stand-in: restored $entry into $path"
[ "$entry" = "$key" ] && echo "hit=true" || echo "hit=false"
