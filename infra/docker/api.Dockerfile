# syntax=docker/dockerfile:1
# The single-host `api` image (docker-compose.production.yml): every function in one Node process
# (scripts/lib/api-server.ts), plus the one-shot `migrate` and the operator's `admin` command.
# On OpenFaaS each function has its own image instead (template/secureconnect-hono).
#
#   docker build -f infra/docker/api.Dockerfile -t ghcr.io/you/api:v1 .     # from the repo root
#
# Nothing here is built by the tests (no Docker engine on CI); scripts/images.test.ts builds the
# same bundles with the same script and starts them with this file's ENV and CMD.

# Pinned: a rebuild gets the same Node. Node 22 is the LTS line the images run (the code also runs
# on Node 20, which the bundles target).
ARG NODE_IMAGE=node:22.12.0-bookworm-slim

# ---- build: install the workspace from its lockfile, bundle api/migrate/admin --------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused until the lockfile changes. Every workspace's
# package.json must be present for `npm ci` to match the lockfile.
COPY package.json package-lock.json tsconfig.json ./
COPY shared/package.json shared/package.json
COPY realtime-gateway/package.json realtime-gateway/package.json
COPY sdk/package.json sdk/package.json
COPY functions/ functions/
# esbuild and @node-rs/argon2 ship prebuilt binaries as optional packages: no install scripts needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY shared/ shared/
COPY realtime-gateway/ realtime-gateway/
COPY scripts/ scripts/
# /dist/api/: index.mjs, migrate.mjs, admin.mjs (+ maps) and one package.json of their externals.
RUN npx tsx scripts/build-functions.ts --api --out /dist
WORKDIR /dist/api
# The externals the bundles import, at the versions they were built with; the embedded-only ones
# (PGlite) are optional peers and stay out, so the image cannot fall back to an embedded database.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund --no-package-lock

# ---- runtime: Node, the bundles and their externals; nothing else of the repository -------------
FROM ${NODE_IMAGE} AS ship
# A fixed uid/gid, so the compose file's `user:` and secret-file permissions can name it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
# Owned by root: the process cannot rewrite its own code, and the root filesystem can be read-only.
COPY --from=build /dist/api/ ./
USER 10001:10001

# Production mode (embedded stores refused), every interface (the router reaches it as
# `gateway:8080`), DATA_DIR under /tmp so a read-only root filesystem with a tmpfs /tmp works.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/tmp/secureconnect
EXPOSE 8080
# Liveness only (the process serves); the compose file's health check asks /readyz (stores).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `migrate`: node migrate.mjs; the operator: node admin.mjs grant <email>.
CMD ["node", "index.mjs"]
