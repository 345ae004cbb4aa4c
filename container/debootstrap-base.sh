#!/usr/bin/env bash
# LOCAL STAND-IN for the Dockerfile's base image (python:3.11-slim-bookworm), for a machine
# that reaches Debian's apt mirror but no container registry. It is NOT the official Python
# image: Debian bookworm (minbase) with Debian's own python3 (3.11), python3-venv and
# `python` -> python3, imported as a single-layer image and labelled as a stand-in.
#
#   container/debootstrap-base.sh [IMAGE]     # default: the name below; no-op if it exists
#
# Needs root, debootstrap and podman (container/build-image.sh installs them when missing).
set -euo pipefail

image=${1:-localhost/news-enrich-base:bookworm-python3.11-debootstrap}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if podman image exists "$image"; then
    echo "base: $image already exists (podman rmi $image to rebuild it)"
    exit 0
fi

rootfs=$(mktemp -d /var/tmp/news-enrich-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "base: debootstrap bookworm from $mirror (a few minutes)"
debootstrap --variant=minbase \
    --include=python3,python3-venv,python-is-python3,ca-certificates \
    bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# What python:3.11-slim also leaves out: package lists, caches, documentation.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/*

tar --numeric-owner -C "$rootfs" -c . | podman import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --change 'LABEL org.opencontainers.image.title="news-enrich local base (debootstrap stand-in)"' \
    --change 'LABEL org.opencontainers.image.description="LOCAL STAND-IN for python:3.11-slim-bookworm: Debian bookworm minbase + Debian python3 3.11, made by container/debootstrap-base.sh"' \
    --message "debootstrap bookworm minbase + python3 (stand-in for python:3.11-slim-bookworm)" \
    - "$image"
echo "base: built $image"
