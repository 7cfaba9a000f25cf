#!/usr/bin/env bash
# Build the local base image (Debian bookworm minbase + python3) with debootstrap.
# Nothing can be pulled from a registry here, so the base is made from the Debian
# mirror the host's apt already uses, then `docker import`ed. Cached: an existing
# image is kept unless BASE_IMAGE_REBUILD=1.
set -euo pipefail

image=${BASE_IMAGE:-local/python:3.11-bookworm}
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker)

if [ "${BASE_IMAGE_REBUILD:-0}" != 1 ] && "$docker" image inspect "$image" >/dev/null 2>&1; then
  echo "base-image: $image already present"
  exit 0
fi
# debootstrap needs root. GitHub's hosted runners run as a normal user with passwordless
# sudo, so re-run under `sudo -n` (never prompting) when that is available.
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n --preserve-env=BASE_IMAGE,BASE_IMAGE_REBUILD,DEBIAN_MIRROR bash "$0" "$@"
  fi
  # 77: "cannot run here" (as automake's skip), so callers can skip rather than fail.
  echo "base-image: debootstrap needs root or passwordless sudo (sudo -n); run as root, configure sudo, or pre-load $image" >&2
  exit 77
fi

# The mirror apt uses on this host (deb822 or one-line format); DEBIAN_MIRROR overrides.
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
    | grep -vE 'security' | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /tmp/base-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "$mirror" >/tmp/base-image-debootstrap.log 2>&1 \
  || { tail -n 30 /tmp/base-image-debootstrap.log >&2; exit 1; }

# pip inside builds verifies TLS with this bundle; the host's is the one known to work here.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# Caches and docs are dead weight in every image built on top of this one.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*

tar -C "$root" --numeric-owner -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  - "$image" >/dev/null
echo "base-image: imported $image ($("$docker" image inspect -f '{{.Size}}' "$image") bytes)"
