# wharf/cli: the wharf command (ls, routes, watch, drain, wait …) in a small image, e.g. as an
# init service that waits for dependencies before an app starts:
#   docker run --rm -e WHARF_ETCD=http://etcd:2379 wharf/cli wait db cache --min 2 --timeout 60s
# Build context: the repository root (docker build -f docker/cli.Dockerfile .).
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
RUN if [ -n "$BUILD_CA_CERTS" ]; then printf '%s\n' "$BUILD_CA_CERTS" >/tmp/build-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/build-ca.pem; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY packages/ packages/
# The CLI shows routes with the edge's own route-table builder, so it builds @wharf/edge too.
RUN npx tsc -b packages/cli

# Production dependencies of the CLI (and of @wharf/core and @wharf/edge, which it links) only.
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
 && npm ci --omit=dev --workspace packages/cli --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app /app
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/edge/dist packages/edge/dist
COPY --from=build /app/packages/cli/dist packages/cli/dist

# It only reads etcd (and writes drains when asked): no privileges, no ports.
USER node

# No shell in between: signals reach node, and `wharf wait … -- cmd` replaces node with cmd
# (process.execve), so cmd runs as PID 1 of the container with its own signals and exit status.
ENTRYPOINT ["node", "/app/packages/cli/dist/main.js"]
CMD ["--help"]
