# wharf/edge: HTTP reverse proxy routing by Host and path to endpoints registered in etcd.
# Build context: the repository root (docker build -f docker/edge.Dockerfile .).
# Classic-builder compatible (no BuildKit-only syntax): Debian's docker.io has no buildx.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused until a package.json or the lockfile
# changes. npm ci needs every workspace's manifest because the lockfile names them all.
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/bridge/package.json packages/bridge/
COPY packages/edge/package.json packages/edge/
COPY packages/cli/package.json packages/cli/
# BUILD_CA_CERTS: PEM certificates npm must trust beyond the public roots, for machines that
# reach the registry through a TLS-inspecting proxy (build-images.sh passes the host's local
# CAs). Used only in build stages; the final image carries neither the value nor a file.
ARG BUILD_CA_CERTS=""
# No install scripts: the only ones are native speed-ups of ssh2 (optional, and the slim image
# has no compiler), and TypeScript needs none.
RUN if [ -n "$BUILD_CA_CERTS" ]; then printf '%s\n' "$BUILD_CA_CERTS" >/tmp/build-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/build-ca.pem; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY packages/ packages/
# Same compiler and project references as `npm run build`, limited to what this image ships,
# so a compile error in another program does not block this one.
RUN npx tsc -b packages/edge

# Production dependencies of this program (and of @wharf/core, which it links) only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/bridge/package.json packages/bridge/
COPY packages/edge/package.json packages/edge/
COPY packages/cli/package.json packages/cli/
ARG BUILD_CA_CERTS=""
RUN if [ -n "$BUILD_CA_CERTS" ]; then printf '%s\n' "$BUILD_CA_CERTS" >/tmp/build-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/build-ca.pem; fi \
 && npm ci --omit=dev --workspace packages/edge --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
# The data plane: Debian's HAProxy (2.6, built with Lua), driven by the edge through its Runtime
# API. `setpriv` (util-linux, already in the image) ties its life to the edge's.
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# This image carries HAProxy, so it is the default here; `npx wharf-edge` uses the built-in plane.
ENV WHARF_DATAPLANE=haproxy
WORKDIR /app
COPY --from=deps /app /app
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/edge/dist packages/edge/dist
COPY packages/edge/haproxy packages/edge/haproxy
COPY docker/edge-healthcheck.mjs /app/docker/edge-healthcheck.mjs

# The official image's unprivileged user; the edge needs no privileges and listens on ports
# above 1024 (8080 traffic, 9090 admin).
USER node
EXPOSE 8080 8443 9090

# Asks the admin listener's /healthz on whatever WHARF_ADMIN_LISTEN says (127.0.0.1:9090 by
# default; a wildcard address is probed on loopback).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "/app/docker/edge-healthcheck.mjs"]

# No shell in between: SIGTERM reaches node, which drains in-flight requests and exits 0.
ENTRYPOINT ["node", "/app/packages/edge/dist/main.js"]
