#!/usr/bin/env bash
# See action.yml.
set -euo pipefail
: "${ACT_STANDIN_REGISTRY:?docker-login stand-in: ACT_STANDIN_REGISTRY is not set}"
if [ -z "$INPUT_USERNAME" ] || [ -z "$INPUT_PASSWORD" ]; then
  echo "docker-login stand-in: Username and password required (as the real action says)" >&2
  exit 1
fi
mkdir -p "$ACT_STANDIN_REGISTRY"
printf '%s %s\n' "$INPUT_REGISTRY" "$INPUT_USERNAME" >> "$ACT_STANDIN_REGISTRY/logins.txt"
echo "docker-login stand-in: logged in to $INPUT_REGISTRY as $INPUT_USERNAME (recorded, not contacted)"
