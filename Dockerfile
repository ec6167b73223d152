# syntax=docker/dockerfile:1
# Airlock's image: the gateway (Node 26 LTS) plus mlflow-mcp 0.4.0 for the stdio upstream, installed
# at build time so nothing is downloaded at run time. docker-compose.yml builds and runs it; the
# checks in test/integration/deploy-files.test.ts keep this file linted and its pins exact.

# uv, pinned: it installs mlflow-mcp and a Python for it, and stays in the image for `uvx`.
FROM ghcr.io/astral-sh/uv:0.13.0 AS uv

# 1. Compile: the gateway, the MLflow stand-in (dist/standin) and the Lua scripts (npm run build).
FROM node:26.12.1-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-lua.sh scripts/
COPY src src
COPY standin standin
RUN npm run build

# 2. mlflow-mcp in its own uv tool environment under /opt/uv, with a uv-managed Python. The MLflow
# client is pinned to the tracking server's version in docker-compose.yml.
FROM node:26.12.1-bookworm-slim AS mlflow-mcp
COPY --from=uv /uv /uvx /usr/local/bin/
ARG MLFLOW_MCP_VERSION=0.4.0
ARG MLFLOW_VERSION=3.16.0
ARG PYTHON_VERSION=3.13
ENV UV_PYTHON_INSTALL_DIR=/opt/uv/python \
    UV_TOOL_DIR=/opt/uv/tools \
    UV_TOOL_BIN_DIR=/opt/uv/bin \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
RUN uv tool install --python "${PYTHON_VERSION}" --with "mlflow==${MLFLOW_VERSION}" "mlflow-mcp==${MLFLOW_MCP_VERSION}" \
    && /opt/uv/tools/mlflow-mcp/bin/python -c "import mlflow_mcp"

# 3. Runtime: production dependencies, the compiled output, mlflow-mcp; runs as the unprivileged
# node user (uid 1000). Code stays root-owned, so the process cannot rewrite it; the only place it
# writes is its data directory (audit files, the stand-in's store).
FROM node:26.12.1-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AIRLOCK_HOME=/var/lib/airlock \
    UV_PYTHON_INSTALL_DIR=/opt/uv/python \
    UV_TOOL_DIR=/opt/uv/tools \
    UV_TOOL_BIN_DIR=/opt/uv/bin \
    UV_PYTHON_DOWNLOADS=never \
    UV_OFFLINE=1 \
    PATH=/opt/uv/bin:$PATH
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=uv /uv /uvx /usr/local/bin/
COPY --from=mlflow-mcp /opt/uv /opt/uv
COPY --from=build /src/dist dist
COPY policies policies
RUN chmod 0755 dist/cli.js \
    && ln -s /app/dist/cli.js /usr/local/bin/airlock \
    && install -d -o 1000 -g 1000 -m 0700 /var/lib/airlock
USER 1000:1000
EXPOSE 8787
# No curl in the image: node's own fetch asks /readyz (503 while an upstream, Redis or the audit file is not ready).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:8787/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["airlock"]
CMD ["serve", "--config", "/etc/airlock/airlock.config.json"]
