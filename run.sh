#!/usr/bin/env bash
# wharf from the repository root.
#
#   ./run.sh test          install, build, lint and run every test
#   ./run.sh bench [ARGS]  benchmarks (npm run bench -- ARGS); `bench soak`: the fault suite, longer
#   ./run.sh up            demo stack on Docker: etcd, one edge, two demo apps with sidecar bridges,
#                          and the three-tier demo (client → service → memcached) found through wharf
#   ./run.sh up --hosts N  the demo on N simulated Docker hosts: an etcd cluster, a bridge, an edge
#                          and a demo app on each, and the three tiers spread over them
#                          (test/support/multi-host-demo.ts)
#   ./run.sh scale N       N demo apps (each with its sidecar, or under the host bridge)
#   ./run.sh host-mode     one host-wide bridge instead of sidecars
#   ./run.sh status        containers of the stack (and simulated hosts) and what is registered
#   ./run.sh down          remove the stack: containers, network and volume, and simulated hosts
#
# Ports on this machine: HTTP_PORT (8080, traffic), ADMIN_PORT (9090, edge admin, loopback
# only), ETCD_PORT (2379, loopback only). Everything the stack creates carries the label
# wharf.stack=demo, and `down` removes exactly that.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

readonly STACK_LABEL=wharf.stack=demo
readonly NETWORK=wharf
readonly ETCD_CONTAINER=wharf-etcd
readonly ETCD_VOLUME=wharf-etcd
readonly ETCD_IMAGE=quay.io/coreos/etcd:v3.4.23
readonly EDGE_CONTAINER=wharf-edge
readonly HOST_BRIDGE_CONTAINER=wharf-bridge
readonly DEMO_HOST=demo.localhost
readonly SHOP_HOST=shop.localhost
readonly HTTP_PORT=${HTTP_PORT:-8080}
readonly ADMIN_PORT=${ADMIN_PORT:-9090}
readonly ETCD_PORT=${ETCD_PORT:-2379}
readonly ETCD_URL=http://$ETCD_CONTAINER:2379
readonly WAIT_SECONDS=${WAIT_SECONDS:-90}
readonly DEMO_SHUTDOWN_DELAY_MS=${DEMO_SHUTDOWN_DELAY_MS:-500}

die() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
  exit "${1:-0}"
}

# ---------------------------------------------------------------------------- tests and benchmarks

cmd_test() {
  require_docker
  ensure_dependencies
  ensure_etcd
  docker/build-images.sh all
  npm run build
  npm run lint
  local report=test/artifacts/vitest.json status=0
  mkdir -p test/artifacts
  npm test -- --reporter=default --reporter=json --outputFile.json="$report" || status=$?
  summarize_tests "$report"
  return "$status"
}

# npm ci only when needed: it deletes node_modules, which costs a minute on every run.
ensure_dependencies() {
  if [[ ! -d node_modules || ! -f node_modules/.package-lock.json ||
    package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
}

# The integration tests start real etcd servers. Use the machine's etcd when it has one
# (Debian: etcd-server), else copy the binaries out of the etcd image the stack runs.
ensure_etcd() {
  command -v etcd >/dev/null && command -v etcdctl >/dev/null && return 0
  local tools=$PWD/.tools/bin
  if [[ ! -x $tools/etcd || ! -x $tools/etcdctl ]]; then
    echo "run.sh: no etcd on this machine; copying it from $ETCD_IMAGE into .tools/bin"
    docker image inspect "$ETCD_IMAGE" >/dev/null 2>&1 || docker/stand-ins.sh
    mkdir -p "$tools"
    local container
    container=$(docker create "$ETCD_IMAGE")
    docker cp "$container:/usr/local/bin/etcd" "$tools/etcd"
    docker cp "$container:/usr/local/bin/etcdctl" "$tools/etcdctl"
    docker rm "$container" >/dev/null
  fi
  export PATH=$tools:$PATH
}

# One plain closing line, whatever the runner prints: "tests: N passed, N failed".
summarize_tests() {
  [[ -f $1 ]] || { echo "tests: no report written ($1)" >&2; return 0; }
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$1"
}

cmd_bench() {
  if [[ ${1:-} == soak ]]; then
    # The fault suites (one host, several simulated hosts) with their faults held longer.
    ensure_dependencies
    ensure_etcd
    docker/build-images.sh all
    npm run build
    WHARF_SOAK=1 npx vitest run --project integration test/reliability test/multihost
    return
  fi
  ensure_bench_peers
  ensure_etcd
  [[ -d node_modules ]] || npm ci --no-audit --no-fund
  docker/build-images.sh all
  npm run build
  npm run bench -- "$@"
}

# The peers the benchmarks compare against, and the load generator: Debian's packages.
ensure_bench_peers() {
  local missing=() tool
  for tool in nginx haproxy caddy wrk taskset dnsmasq dnsperf dig; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "run.sh: installing the benchmark peers: ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends nginx-light haproxy caddy wrk util-linux \
      dnsmasq-base dnsperf bind9-dnsutils
  else
    die "the benchmarks need ${missing[*]} (Debian: sudo apt-get install nginx-light haproxy caddy wrk dnsmasq-base dnsperf bind9-dnsutils)"
  fi
}

# ---------------------------------------------------------------------------- Docker helpers

docker_socket() {
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  [[ $host == unix://* ]] || die "the bridges need a local Docker socket; DOCKER_HOST=$host is not one"
  printf '%s\n' "${host#unix://}"
}

require_docker() {
  command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
  local error
  if ! error=$(docker info 2>&1 >/dev/null); then
    if [[ $error == *"permission denied"* ]]; then
      die "no permission to use the Docker Engine: run as root or join the docker group (usermod -aG docker \$USER, then log in again)"
    fi
    die "cannot reach the Docker Engine. Start it with 'sudo systemctl start docker', or without systemd: 'sudo dockerd >/var/log/dockerd.log 2>&1 &' (then wait for 'docker info' to work)"
  fi
  command -v curl >/dev/null || die "curl is needed to check the stack (apt-get install curl)"
}

# 0 when a container of this stack with that name is running.
stack_container_running() {
  [[ $(docker inspect -f '{{.State.Running}} {{index .Config.Labels "wharf.stack"}}' "$1" 2>/dev/null) == "true demo" ]]
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port this stack publishes must be free, unless the stack's own container publishes it already.
require_port() {
  local port=$1 variable=$2 holder=$3 container_port=$4
  if stack_container_running "$holder" &&
    docker port "$holder" "$container_port/tcp" 2>/dev/null | grep -q ":$port\$"; then
    return 0
  fi
  if port_in_use "$port"; then
    die "port $port is already in use on this machine (needed for $holder); free it or pick another, e.g. $variable=$((port + 1)) ./run.sh ${COMMAND}"
  fi
}

# Starts a container unless one of that name already runs the same image with the same
# settings; otherwise replaces it. Sets RECREATED=1 when it started a new one.
# Usage: ensure_container NAME IMAGE [docker run options...] [-- command...]
RECREATED=0
ensure_container() {
  local name=$1 image=$2
  shift 2
  local options=() command=()
  while (($#)); do
    if [[ $1 == -- ]]; then
      shift
      command=("$@")
      break
    fi
    options+=("$1")
    shift
  done
  local image_id spec
  image_id=$(docker image inspect -f '{{.Id}}' "$image")
  spec=$(printf '%s\0' "$image_id" "${options[@]}" -- "${command[@]}" | sha256sum | cut -c1-16)
  RECREATED=0
  if [[ $(docker inspect -f '{{index .Config.Labels "wharf.spec"}} {{.State.Running}}' "$name" 2>/dev/null) == "$spec true" ]]; then
    return 0
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --label "$STACK_LABEL" --label "wharf.spec=$spec" \
    --restart unless-stopped "${options[@]}" "$image" "${command[@]}" >/dev/null
  RECREATED=1
  printf '  started %s\n' "$name"
}

# Stops gracefully (SIGTERM: apps drain, bridges revoke their lease), then removes.
remove_containers() {
  (($#)) || return 0
  docker stop -t 15 "$@" >/dev/null 2>&1 || true
  docker rm -f "$@" >/dev/null 2>&1 || true
  printf '  removed %s\n' "$*"
}

# ---------------------------------------------------------------------------- the stack

ensure_base() {
  require_port "$HTTP_PORT" HTTP_PORT "$EDGE_CONTAINER" 8080
  require_port "$ADMIN_PORT" ADMIN_PORT "$EDGE_CONTAINER" 9090
  require_port "$ETCD_PORT" ETCD_PORT "$ETCD_CONTAINER" 2379
  docker/build-images.sh stack

  if ! docker network inspect "$NETWORK" >/dev/null 2>&1; then
    docker network create --label "$STACK_LABEL" "$NETWORK" >/dev/null
    printf '  created network %s\n' "$NETWORK"
  fi
  if ! docker volume inspect "$ETCD_VOLUME" >/dev/null 2>&1; then
    docker volume create --label "$STACK_LABEL" "$ETCD_VOLUME" >/dev/null
  fi

  ensure_container "$ETCD_CONTAINER" "$ETCD_IMAGE" \
    --network "$NETWORK" -v "$ETCD_VOLUME:/etcd-data" -p "127.0.0.1:$ETCD_PORT:2379" \
    -- etcd --name "$ETCD_CONTAINER" --data-dir /etcd-data \
    --listen-client-urls http://0.0.0.0:2379 --advertise-client-urls "$ETCD_URL" \
    --listen-peer-urls http://0.0.0.0:2380 \
    --initial-advertise-peer-urls "http://$ETCD_CONTAINER:2380" \
    --initial-cluster "$ETCD_CONTAINER=http://$ETCD_CONTAINER:2380"
  wait_for "etcd to answer" etcd_healthy

  ensure_container "$EDGE_CONTAINER" wharf/edge \
    --network "$NETWORK" -p "$HTTP_PORT:8080" -p "127.0.0.1:$ADMIN_PORT:9090" \
    -e WHARF_ETCD="$ETCD_URL" -e WHARF_LISTEN=0.0.0.0:8080 -e WHARF_ADMIN_LISTEN=0.0.0.0:9090 \
    -e WHARF_DNS_LISTEN=0.0.0.0:53
}

etcd_healthy() {
  docker exec "$ETCD_CONTAINER" etcdctl endpoint health >/dev/null 2>&1
}

host_mode_active() {
  docker inspect "$HOST_BRIDGE_CONTAINER" >/dev/null 2>&1
}

demo_labels=(
  --label wharf.service=demo --label wharf.port=8080
  --label "wharf.http.host=$DEMO_HOST" --label wharf.check=http:/health
)

# Demo app number I, plus its sidecar bridge unless the host bridge does the work.
ensure_demo() {
  local index=$1 sidecars=$2 app=wharf-demo-$1
  # SHUTDOWN_DELAY_MS: on `docker stop` the app keeps serving briefly while its bridge marks
  # it draining and the edge moves traffic away, as an app behind a proxy should.
  ensure_container "$app" wharf/demo \
    --network "$NETWORK" -e "INSTANCE=demo-$index" -e "SHUTDOWN_DELAY_MS=$DEMO_SHUTDOWN_DELAY_MS" \
    "${demo_labels[@]}"
  ensure_sidecar "$app" "$sidecars" "$RECREATED"
}

ensure_host_bridge() {
  local socket
  socket=$(docker_socket)
  ensure_container "$HOST_BRIDGE_CONTAINER" wharf/bridge \
    --network "$NETWORK" -v "$socket:/var/run/docker.sock:ro" \
    -e WHARF_ETCD="$ETCD_URL" -e WHARF_EXPLICIT=true \
    -e WHARF_INTERNAL=true -e WHARF_NETWORK="$NETWORK"
}

# Indexes of the demo apps that exist now, ascending.
demo_indexes() {
  docker ps -a --filter "label=$STACK_LABEL" --filter label=wharf.service=demo --format '{{.Names}}' |
    sed -n 's/^wharf-demo-\([0-9][0-9]*\)$/\1/p' | sort -n
}

# Makes exactly demo apps 1..COUNT exist, with sidecars or under the host bridge.
converge_demos() {
  local count=$1 mode=$2 index
  for index in $(demo_indexes); do
    if ((index > count)); then
      # App first: its bridge sees the kill, drains it and deletes its key; then the bridge.
      remove_containers "wharf-demo-$index"
      remove_containers "wharf-demo-$index-bridge"
    fi
  done
  if [[ $mode == host ]]; then
    # Sidecars go first: a sidecar revoking its lease after the host bridge had written the
    # same key would take the key with it.
    local sidecars
    sidecars=$(docker ps -a --filter "label=$STACK_LABEL" \
      --filter name='^wharf-(demo|memcached|service|client)-[0-9]+-bridge$' --format '{{.Names}}')
    # shellcheck disable=SC2086 # one name per word
    [[ -z $sidecars ]] || remove_containers $sidecars
    ensure_host_bridge
  fi
  for ((index = 1; index <= count; index++)); do
    ensure_demo "$index" "$([[ $mode == sidecar ]] && echo yes || echo no)"
  done
  if [[ $mode == sidecar ]] && host_mode_active; then
    remove_containers "$HOST_BRIDGE_CONTAINER"
  fi
}

# The sidecar bridge of app container APP (when SIDECARS is yes; else the host bridge does the
# work). APP_RECREATED=1: a new app container is a new target, so its bridge starts afresh too.
ensure_sidecar() {
  local app=$1 sidecars=$2 app_recreated=$3 socket
  [[ $sidecars == yes ]] || return 0
  if ((app_recreated)); then
    docker rm -f "$app-bridge" >/dev/null 2>&1 || true
  fi
  socket=$(docker_socket)
  ensure_container "$app-bridge" wharf/bridge \
    --network "$NETWORK" -v "$socket:/var/run/docker.sock:ro" \
    -e WHARF_ETCD="$ETCD_URL" -e WHARF_TARGET="$app" \
    -e WHARF_INTERNAL=true -e WHARF_NETWORK="$NETWORK"
}

# The three-tier demo, each tier finding the next through wharf only: client asks the edge's DNS
# (`--dns <edge>`: SRV _service._tcp.wharf) where service runs; service learns where memcached
# runs from its update command (wharf.requires + wharf.on-change), which rewrites a file and
# sends it SIGHUP. No links, no addresses in any setting.
converge_three_tier() {
  local sidecars=$1 edge_ip index
  edge_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$NETWORK\").IPAddress}}" "$EDGE_CONTAINER")
  [[ -n $edge_ip ]] || die "no address of $EDGE_CONTAINER on network $NETWORK"
  ensure_container wharf-memcached-1 wharf/memcached --network "$NETWORK" \
    --label wharf.service=memcached --label wharf.check=tcp
  ensure_sidecar wharf-memcached-1 "$sidecars" "$RECREATED"
  for index in 1 2; do
    # shellcheck disable=SC2016 # expanded by the shell inside the container, at each run
    ensure_container "wharf-service-$index" wharf/demo --network "$NETWORK" --entrypoint node \
      -e "INSTANCE=service-$index" -e "SHUTDOWN_DELAY_MS=$DEMO_SHUTDOWN_DELAY_MS" \
      --label wharf.service=service --label wharf.port=8080 --label wharf.check=http:/health \
      --label wharf.requires=memcached \
      --label 'wharf.on-change=echo "$WHARF_MEMCACHED_ADDRS" > /tmp/memcached.addrs && kill -HUP 1' \
      -- /app/service.mjs
    ensure_sidecar "wharf-service-$index" "$sidecars" "$RECREATED"
  done
  ensure_container wharf-client-1 wharf/demo --network "$NETWORK" --entrypoint node --dns "$edge_ip" \
    -e INSTANCE=client-1 -e UPSTREAM_SRV=_service._tcp.wharf -e "SHUTDOWN_DELAY_MS=$DEMO_SHUTDOWN_DELAY_MS" \
    --label wharf.service=client --label wharf.port=8080 --label wharf.check=http:/health \
    --label "wharf.http.host=$SHOP_HOST" \
    -- /app/client.mjs
  ensure_sidecar wharf-client-1 "$sidecars" "$RECREATED"
}

three_tier_answers() {
  LAST_SERVED=$(curl -s --max-time 3 -H "Host: $SHOP_HOST" "http://127.0.0.1:$HTTP_PORT/" || true)
  [[ $LAST_SERVED == "client client-1 → service service-"*" hit "* ]]
}

wait_for_three_tier() {
  printf 'waiting for the three-tier demo (client → service → memcached) ...\n'
  if ! wait_for "$SHOP_HOST to answer through client → service → memcached" three_tier_answers; then
    printf 'last answer: %s\n' "${LAST_SERVED:-nothing}" >&2
    exit 1
  fi
  printf 'the edge serves: %s\n' "$LAST_SERVED"
}

# Names the edge answers with for Host: demo.localhost, over enough requests to see them all.
served_instances() {
  local requests=$1 i
  for ((i = 0; i < requests; i++)); do
    curl -s --max-time 2 -H "Host: $DEMO_HOST" "http://127.0.0.1:$HTTP_PORT/" |
      sed -n 's/^hello from //p' || true
  done | sort -u | paste -sd ' ' -
}

wait_for() {
  local what=$1
  shift
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      printf 'run.sh: gave up after %ds waiting for %s\n' "$WAIT_SECONDS" "$what" >&2
      return 1
    fi
    sleep 0.5
  done
}

EXPECTED_INSTANCES=
edge_serves_expected() {
  local count
  count=$(wc -w <<<"$EXPECTED_INSTANCES")
  LAST_SERVED=$(served_instances $((count * 3)))
  [[ $LAST_SERVED == "$EXPECTED_INSTANCES" ]]
}

wait_for_instances() {
  local count=$1 index names=()
  for ((index = 1; index <= count; index++)); do names+=("demo-$index"); done
  EXPECTED_INSTANCES=$(printf '%s\n' "${names[@]}" | sort -u | paste -sd ' ' -)
  LAST_SERVED=
  printf 'waiting for the edge to serve %s ...\n' "$EXPECTED_INSTANCES"
  if ! wait_for "the edge to serve $EXPECTED_INSTANCES" edge_serves_expected; then
    printf 'last seen: %s\n' "${LAST_SERVED:-nothing}" >&2
    printf '\n--- %s logs (last 15 lines)\n' "$EDGE_CONTAINER" >&2
    docker logs --tail 15 "$EDGE_CONTAINER" >&2 2>&1 || true
    local bridge=wharf-demo-1-bridge
    host_mode_active && bridge=$HOST_BRIDGE_CONTAINER
    printf '\n--- %s logs (last 15 lines)\n' "$bridge" >&2
    docker logs --tail 15 "$bridge" >&2 2>&1 || true
    exit 1
  fi
  printf 'the edge serves: %s\n' "$LAST_SERVED"
}

print_tips() {
  printf '\nwharf demo is up. Try:\n'
  printf '  %-52s # %s\n' \
    "curl -H 'Host: $DEMO_HOST' http://localhost:$HTTP_PORT/" "round-robin over the demo apps" \
    "curl http://$DEMO_HOST:$HTTP_PORT/" "*.localhost resolves to loopback" \
    "curl http://127.0.0.1:$ADMIN_PORT/routes" "the edge's route table" \
    "./run.sh status" "containers and what etcd holds" \
    "curl http://$SHOP_HOST:$HTTP_PORT/" "client → service → memcached, each found through wharf" \
    "./run.sh scale 4" "four demo apps, each with its sidecar bridge" \
    "./run.sh host-mode" "one host-wide bridge instead of sidecars" \
    "./run.sh down" "remove everything"
  printf '  the three tiers: client found service by DNS (the edge answers it), service found memcached\n'
  printf '  by its update command; move one and the chain keeps answering:\n'
  printf '    docker exec wharf-client-1 getent hosts service.wharf   # what DNS says\n'
  printf '    docker exec wharf-service-1 cat /tmp/memcached.addrs    # what the update command wrote\n'
  printf '    docker stop wharf-service-1; docker start wharf-service-1\n'
  printf '  demo-1 fails its health check and leaves the route, then comes back:\n'
  local action
  for action in fail pass; do
    printf '    docker exec wharf-demo-1 node -e "fetch('"'"'http://127.0.0.1:8080/health/%s'"'"',{method:'"'"'POST'"'"'})"\n' "$action"
  done
}

current_demo_count() {
  local count
  count=$(demo_indexes | wc -l)
  ((count > 0)) && echo "$count" || echo 2
}

# ---------------------------------------------------------------------------- simulated hosts

# The hosts' part of up, status and down lives with the test harness that starts them.
multi_host() {
  ensure_dependencies
  npx --no-install tsx test/support/multi-host-demo.ts "$@"
}

simulated_hosts_exist() {
  [[ -n $(docker ps -aq --filter "label=$STACK_LABEL" --filter label=wharf.simulated-host) ]]
}

cmd_up_hosts() {
  local count=$1
  [[ $count =~ ^[0-9]+$ ]] || die "--hosts needs a number of hosts, got '$count'"
  require_docker
  docker/build-images.sh all
  multi_host up "$count"
}

# ---------------------------------------------------------------------------- commands

cmd_up() {
  case ${1:-} in
    '') ;;
    --hosts)
      (($# == 2)) || die "usage: ./run.sh up [--hosts N]"
      cmd_up_hosts "$2"
      return
      ;;
    *) die "unknown argument for up: '$1' (usage: ./run.sh up [--hosts N])" ;;
  esac
  require_docker
  ensure_base
  local mode=sidecar
  host_mode_active && mode=host
  local count
  count=$(current_demo_count)
  converge_demos "$count" "$mode"
  converge_three_tier "$([[ $mode == sidecar ]] && echo yes || echo no)"
  wait_for_instances "$count"
  wait_for_three_tier
  print_tips
}

cmd_scale() {
  local count=${1:-}
  if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 1 || count > 50)); then
    die "scale needs a number of demo apps from 1 to 50, got '${count}'"
  fi
  count=$((10#$count))
  require_docker
  ensure_base
  local mode=sidecar
  host_mode_active && mode=host
  converge_demos "$count" "$mode"
  wait_for_instances "$count"
}

cmd_host_mode() {
  require_docker
  ensure_base
  local count
  count=$(current_demo_count)
  converge_demos "$count" host
  converge_three_tier no
  wait_for_instances "$count"
  wait_for_three_tier
  echo "host mode: $HOST_BRIDGE_CONTAINER registers every container labelled wharf.service (./run.sh up goes back to sidecars only after ./run.sh down)"
}

cmd_status() {
  require_docker
  docker ps -a --filter "label=$STACK_LABEL" \
    --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'
  echo
  if simulated_hosts_exist; then
    multi_host status
    echo
  fi
  if ! stack_container_running "$ETCD_CONTAINER"; then
    echo "etcd of the single-host stack is not running (./run.sh up)"
    return 0
  fi
  echo "registered under /wharf/ (etcdctl get --prefix /wharf/):"
  docker exec "$ETCD_CONTAINER" etcdctl get --prefix /wharf/ |
    awk 'NR % 2 == 1 { key = $0; next } { printf "  %s\n    %s\n", key, $0 }'
}

cmd_down() {
  require_docker
  # First, so that their storage and cgroups go with them (a plain docker rm would leave those).
  if simulated_hosts_exist; then multi_host down; fi
  local containers networks volumes
  containers=$(docker ps -a --filter "label=$STACK_LABEL" --format '{{.Names}}')
  # shellcheck disable=SC2086 # one name per word
  [[ -z $containers ]] || remove_containers $containers
  networks=$(docker network ls -q --filter "label=$STACK_LABEL")
  # shellcheck disable=SC2086
  [[ -z $networks ]] || docker network rm $networks >/dev/null
  volumes=$(docker volume ls -q --filter "label=$STACK_LABEL")
  # shellcheck disable=SC2086
  [[ -z $volumes ]] || docker volume rm $volumes >/dev/null
  echo "wharf demo stack removed"
}

COMMAND=${1:-}
(($#)) && shift
case $COMMAND in
  test) cmd_test "$@" ;;
  bench) cmd_bench "$@" ;;
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  scale) cmd_scale "$@" ;;
  host-mode) cmd_host_mode ;;
  -h | --help | help) usage 0 ;;
  '') usage 2 >&2 ;;
  *)
    printf "run.sh: unknown command '%s'\n\n" "$COMMAND" >&2
    usage 2 >&2
    ;;
esac
