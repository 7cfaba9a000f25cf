#!/usr/bin/env bash
# astral-sh/setup-uv from a seeded tool cache; see action.yml.
set -euo pipefail
: "${ACT_STANDIN_UV:?setup-uv stand-in: ACT_STANDIN_UV (a uv binary) is not set}"
if [ -z "$INPUT_VERSION" ]; then
  echo "setup-uv stand-in: no 'version:' input; the real action would fetch 'latest' from GitHub. Pin it (the Makefile's UV_VERSION)." >&2
  exit 1
fi
bin=$RUNNER_TEMP/setup-uv-stand-in/$INPUT_VERSION
mkdir -p "$bin"
ln -sf "$ACT_STANDIN_UV" "$bin/uv"
found=$("$bin/uv" --version | awk '{print $2}')
if [ "$found" != "$INPUT_VERSION" ]; then
  echo "setup-uv stand-in: expected uv $INPUT_VERSION, the seeded tool cache has $found" >&2
  exit 1
fi
echo "$bin" >> "$GITHUB_PATH"
if [ -n "$INPUT_PYTHON_VERSION" ]; then
  echo "UV_PYTHON=$INPUT_PYTHON_VERSION" >> "$GITHUB_ENV"
fi
if [ "$INPUT_ACTIVATE_ENVIRONMENT" = true ]; then
  "$bin/uv" venv -q "$GITHUB_WORKSPACE/.venv"
  echo "$GITHUB_WORKSPACE/.venv/bin" >> "$GITHUB_PATH"
  echo "VIRTUAL_ENV=$GITHUB_WORKSPACE/.venv" >> "$GITHUB_ENV"
fi
echo "setup-uv stand-in: uv $found on PATH"
