#!/usr/bin/env bash
# Provision a Docker engine on this kind of machine and make sure the daemon answers.
# Only Debian's docker.io can be installed here, and the daemon must not touch the host
# network: no bridge, no iptables, no masquerading. Every container uses --network host.
set -euo pipefail

log=${DOCKERD_LOG:-/tmp/dockerd.log}

# A hosted runner (GitHub's ubuntu images) is a normal user with password-less sudo.
sudo=""
if [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then
    echo "docker-engine: ${need[*]} missing and neither root nor sudo; install them" >&2
    exit 1
  fi
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

# Debian's client, matched to its daemon (an older client may sit earlier on PATH).
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker)

if "$docker" info >/dev/null 2>&1; then
  echo "docker-engine: daemon already running"
  exit 0
fi

$sudo nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if "$docker" info >/dev/null 2>&1; then
    echo "docker-engine: daemon ready ($("$docker" version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
echo "docker-engine: daemon did not become ready; last log lines:" >&2
tail -n 20 "$log" >&2
exit 1
