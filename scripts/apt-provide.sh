#!/usr/bin/env bash
# apt-provide.sh CMD PACKAGE: install Debian's PACKAGE when CMD is missing (root, or sudo -n).
# The one place the project installs a system tool by name (.ci/run, mk/bench.mk).
set -euo pipefail
cmd=$1 pkg=$2 sudo=""
command -v "$cmd" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { echo "apt-provide: $cmd missing; install $pkg (needs root)" >&2; exit 1; }
  sudo="sudo -n"
fi
$sudo apt-get update -q
# policy-rc.d exiting 101 keeps Debian from starting a daemon the package ships (prometheus).
policy=/usr/sbin/policy-rc.d created=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy"
  created=1
fi
rc=0
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$pkg" || rc=$?
[ -z "$created" ] || $sudo rm -f "$policy"
exit "$rc"
