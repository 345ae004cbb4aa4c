#!/usr/bin/env bash
# `make image`: build the Dockerfile with whatever builder this machine has.
#
#   - Docker, when its daemon answers (`docker buildx build`, which knows --build-context);
#   - else podman (Debian's podman/buildah/runc, installed with apt-get when missing), as
#     `podman build --isolation chroot --format docker`: chroot isolation needs no nested
#     container runtime for the RUN steps, and the docker format keeps the HEALTHCHECK,
#     which the OCI format drops.
#
# The base image: BASE_IMAGE if it can be pulled; if not (no registry reachable) and it is
# the Dockerfile's default, a LOCAL STAND-IN made by container/debootstrap-base.sh (Debian
# bookworm + Debian's python3 3.11), with a warning; the image's
# org.opencontainers.image.base.name label then names the stand-in.
#
# Environment (the Makefile passes them on):
#   IMAGE             tag to build (news-enrich:<version>)
#   BASE_IMAGE        python:3.11-slim-bookworm
#   WHEELS_DIR        a directory of wheels handed to the build as the `wheels` build
#                     context (default: pip's find-links on this machine, if any)
#   TORCH_INDEX_URL   default: empty when WHEELS_DIR holds torch 2.13.0+cpu, else PyTorch's
#                     CPU index
#   PIP_INDEX_URL     default: the Dockerfile's (PyPI)
#   PIP_CA_BUNDLE     a CA bundle pip needs to reach the index (default: pip's `cert` setting
#                     on this machine, if any), handed over as the `certs` build context
#   STANZA_LANGUAGES  default: empty (spaCy only; Stanza's models need huggingface.co)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image=${IMAGE:-news-enrich:$version}
default_base=python:3.11-slim-bookworm
base=${BASE_IMAGE:-$default_base}
standin=localhost/news-enrich-base:bookworm-python3.11-debootstrap
stanza=${STANZA_LANGUAGES:-}

# A pip setting of this machine: its environment variable, else `pip config list`.
pip_setting() {
    local variable=$1 key=$2
    if [[ -n "${!variable:-}" ]]; then
        echo "${!variable}"
    else
        python3 -m pip config list 2>/dev/null | sed -n "s/^global\.$key='\(.*\)'$/\1/p" | head -1
    fi
}

if [[ -z "${WHEELS_DIR+set}" ]]; then
    WHEELS_DIR=$(pip_setting PIP_FIND_LINKS find-links)
fi
if [[ -z "${PIP_CA_BUNDLE+set}" ]]; then
    PIP_CA_BUNDLE=$(pip_setting PIP_CERT cert)
fi
if [[ -z "${TORCH_INDEX_URL+set}" ]]; then
    if compgen -G "${WHEELS_DIR:-/nonexistent}/torch-2.13.0+cpu-*.whl" >/dev/null; then
        TORCH_INDEX_URL=
    else
        TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
    fi
fi

build_args=(--build-arg "BASE_IMAGE=$base" --build-arg "TORCH_INDEX_URL=$TORCH_INDEX_URL"
            --build-arg "STANZA_LANGUAGES=$stanza")
if [[ -n "${PIP_INDEX_URL:-}" ]]; then
    build_args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
fi
if [[ -n "${WHEELS_DIR:-}" && -d "$WHEELS_DIR" ]]; then
    build_args+=(--build-context "wheels=$WHEELS_DIR")
fi
if [[ -n "${PIP_CA_BUNDLE:-}" && -f "$PIP_CA_BUNDLE" ]]; then
    build_args+=(--build-context "certs=$(dirname "$PIP_CA_BUNDLE")"
                 --build-arg "PIP_CERT=/certs/$(basename "$PIP_CA_BUNDLE")")
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    builder=docker
else
    builder=podman
    if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 \
        || ! command -v iptables >/dev/null 2>&1; then
        echo "image: installing podman, buildah, runc and debootstrap from Debian's packages"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            podman buildah runc debootstrap fuse-overlayfs uidmap netavark iptables >/dev/null
    fi
fi

if ! "$builder" image inspect "$base" >/dev/null 2>&1 && ! "$builder" pull -q "$base" >/dev/null 2>&1; then
    if [[ "$base" != "$default_base" || "$builder" != podman ]]; then
        echo "image: cannot pull the base image $base" >&2
        exit 1
    fi
    echo "image: WARNING: $base cannot be pulled here; building on a LOCAL STAND-IN,"
    echo "image:          $standin (debootstrap: Debian bookworm + python3 3.11)"
    command -v debootstrap >/dev/null 2>&1 || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    container/debootstrap-base.sh "$standin"
    base=$standin
    build_args[1]="BASE_IMAGE=$base"
fi

echo "image: $builder builds $image on $base (wheels: ${WHEELS_DIR:-none}," \
     "torch index: ${TORCH_INDEX_URL:-none}, pip CA: ${PIP_CA_BUNDLE:-none}," \
     "Stanza: ${stanza:-none})"
start=$SECONDS
if [[ $builder == docker ]]; then
    docker buildx build --load "${build_args[@]}" -t "$image" .
else
    podman build --isolation chroot --format docker --layers "${build_args[@]}" -t "$image" .
fi
elapsed=$((SECONDS - start))
size=$("$builder" image inspect --format '{{.Size}}' "$image")
awk -v image="$image" -v s="$elapsed" -v size="$size" 'BEGIN {
    printf "image: built %s in %dm%02ds, %d bytes (%.2f GB)\n", image, s / 60, s % 60, size, size / 1e9 }'
