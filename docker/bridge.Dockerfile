# wharf/bridge: registers health-checked Docker containers in etcd.
# Build context: the repository root (docker build -f docker/bridge.Dockerfile .).
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
RUN npx tsc -b packages/bridge

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
 && npm ci --omit=dev --workspace packages/bridge --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app /app
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/bridge/dist packages/bridge/dist

# Runs as root on purpose. The bridge must read the Docker socket (mounted read-only at
# /var/run/docker.sock), and whoever can talk to that socket can already become root on the
# host, so a non-root user here would add no protection, only a host-specific docker group
# GID to pass at run time. Sites whose policy requires a non-root uid can run it with
# `--user 1000:$(stat -c %g /var/run/docker.sock)`. It listens on no port.
#
# No HEALTHCHECK: the bridge serves nothing to probe, and a process-alive check says nothing
# Docker does not know already (the container exits when the process does). Its liveness is
# visible in etcd: its /wharf/bridges/<id> key lives only as long as its lease.

# No shell in between: SIGTERM reaches node, which revokes the lease and exits 0.
# The bridge allocates little and never bursts: a 1 MiB young generation keeps idle RSS down
# (measured about 7 MB less) at no cost it could notice.
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/packages/bridge/dist/main.js"]
