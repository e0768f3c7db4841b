#!/usr/bin/env bash
# Builds wharf's images: wharf/demo and wharf/memcached (the demos' apps); with `stack` also
# wharf/bridge and wharf/edge (what `./run.sh up` runs); with `all` (the default, what the tests
# need) also wharf/cli and wharf-test/host, the simulated Docker host of the multi-host tests,
# built once (debootstrap, about two minutes) and kept. Base images come first from
# stand-ins.sh (present, pulled, or built offline). Unchanged inputs hit Docker's layer cache,
# so a second run takes seconds.
#
# Usage: docker/build-images.sh [demo|stack|all]      VERBOSE=1 shows docker build's output
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
what=${1:-all}
case $what in
  demo | stack) "$root/docker/stand-ins.sh" ;;
  all) "$root/docker/stand-ins.sh" host ;;
  *)
    echo "usage: $0 [demo|stack|all]" >&2
    exit 2
    ;;
esac

# Certificates this machine trusts beyond the public roots (Debian keeps locally added CAs in
# /usr/local/share/ca-certificates; BUILD_CA_CERTS_FILE names another PEM file). Where the
# registry is reached through a TLS-inspecting proxy, npm inside the builds needs them too.
build_ca_certs() {
  local files=()
  if [[ -n ${BUILD_CA_CERTS_FILE:-} ]]; then
    files=("$BUILD_CA_CERTS_FILE")
  else
    shopt -s nullglob globstar
    files=(/usr/local/share/ca-certificates/**/*.crt)
    shopt -u nullglob globstar
  fi
  ((${#files[@]})) && cat "${files[@]}"
  return 0
}
ca_certs=$(build_ca_certs)

build() {
  local image=$1 dockerfile=$2 context=$3 started log
  started=$SECONDS
  if [[ ${VERBOSE:-} == 1 ]]; then
    # --network host: npm ci inside the build reaches the registry the way this machine does.
    docker build --force-rm --network host --build-arg BUILD_CA_CERTS="$ca_certs" \
      -t "$image" -f "$root/$dockerfile" "$context"
  else
    log=$(mktemp)
    if ! docker build --force-rm --network host --build-arg BUILD_CA_CERTS="$ca_certs" \
      -t "$image" -f "$root/$dockerfile" "$context" >"$log" 2>&1; then
      {
        # npm prints its usage after the real error, so show the first error lines as well.
        echo "--- first error lines:"
        grep -m 12 -iE 'error' "$log" | grep -vE '^(npm error|\S*npm error)\s*$' || true
        echo "--- last lines:"
        tail -n 25 "$log"
      } >&2
      rm -f "$log"
      echo "build-images: building $image from $dockerfile failed" >&2
      exit 1
    fi
    rm -f "$log"
  fi
  printf '%-32s built in %ds (%s)\n' "$image" $((SECONDS - started)) \
    "$(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

build wharf/demo docker/demo.Dockerfile "$root/docker"
build wharf/memcached docker/memcached.Dockerfile "$root/docker"
if [[ $what != demo ]]; then
  build wharf/bridge docker/bridge.Dockerfile "$root"
  build wharf/edge docker/edge.Dockerfile "$root"
fi
if [[ $what == all ]]; then
  build wharf/cli docker/cli.Dockerfile "$root"
fi
