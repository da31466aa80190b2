#!/usr/bin/env bash
# Builds the launcher's container image, localhost/launcher:latest, on the engine that
# scripts/engine.sh started (run that first), from the Dockerfile at the root, and prints only
# the image's name on stdout.
#
# The Dockerfile's base is an ARG (a Node 20+ image with npm). The official one is used when
# it can be pulled; where no registry of images can be reached (as on these machines), a base
# is made from this machine's own Node instead — the node binary and the C libraries it links,
# npm and corepack, busybox for a shell, CA certificates — imported as localhost/launcher-node,
# the way engine.sh makes its test image. Safe to run again: an unchanged base is kept and the
# engine's build cache makes an unchanged build quick.
set -euo pipefail

# Everything but the image name goes to stderr.
exec 3>&1 1>&2
cd "$(dirname "$0")/.."

IMAGE=localhost/launcher:latest
OFFICIAL_BASE=node:20-bookworm-slim
MADE_BASE=localhost/launcher-node:20
DOCKER=/usr/bin/docker # Debian's CLI, matching the daemon (another one may sit in /usr/local)
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)

if [ -z "${DOCKER_HOST:-}" ] && [ -S /run/launcher-engine/docker.sock ]; then
  export DOCKER_HOST=unix:///run/launcher-engine/docker.sock
fi
if ! $DOCKER version >/dev/null 2>&1; then
  echo "image.sh: no container engine answers; run scripts/engine.sh first" >&2
  exit 1
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

image_label() { $DOCKER image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# --- the base ---------------------------------------------------------------------------------
make_base() {
  local root node lib
  root="$build/rootfs"
  node=$(command -v node)
  node=$(readlink -f "$node")
  mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc/ssl/certs,tmp,root,home/node}
  chmod 1777 "$root/tmp"
  cp "$node" "$root/usr/local/bin/node"
  # The C libraries node links, at the same paths (the dynamic loader included), and the rest
  # of the C and C++ runtime, which native add-ons of the build tools load (librt…).
  local libs
  libs=$(
    ldd "$node" | grep -o '/[^ ]*'
    if command -v dpkg >/dev/null; then
      dpkg -L libc6 libgcc-s1 libstdc++6 2>/dev/null | grep -E '^/(usr/)?lib/[^/]+/[^/]+\.so(\.[0-9]+)*$'
    fi
  )
  for lib in $(echo "$libs" | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  # npm and corepack, as the official image has them.
  local modules # npm's own folder's parent: /usr/lib/node_modules or /usr/local/lib/node_modules
  modules=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")")
  cp -a "$modules/npm" "$modules/corepack" "$root/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
  # A shell and the usual commands (package scripts run through sh).
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  ln -s /bin/busybox "$root/usr/bin/env" # scripts' `#!/usr/bin/env node`
  # This machine's trust store, which Node is told to use as this machine's is: the registry
  # may be reached through a proxy with its own certificate authority.
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  # The official image's users: root and node (1000).
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
  chown 1000:1000 "$root/home/node"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$build/rootfs.tar" .
  local changes=(
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    "ENV NODE_VERSION=$("$node" --version | tr -d v)"
    'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
    'CMD ["node"]'
  )
  # The same files and settings give the same base: its hash names the build.
  local digest
  digest=$(cat "$build/rootfs.tar" <(printf '%s\n' "${changes[@]}") | sha256sum | cut -c1-16)
  if [ "$(image_label "$MADE_BASE" launcher.base-build)" = "$digest" ]; then
    return
  fi
  echo "image.sh: importing $MADE_BASE (Node $("$node" --version) from this machine)" >&2
  local args=()
  for change in "${changes[@]}" "LABEL launcher.base-build=$digest"; do args+=(--change "$change"); done
  $DOCKER import "${args[@]}" "$build/rootfs.tar" "$MADE_BASE" >/dev/null
}

if $DOCKER image inspect "$OFFICIAL_BASE" >/dev/null 2>&1 ||
  timeout 60 $DOCKER pull -q "$OFFICIAL_BASE" >/dev/null 2>&1; then
  base=$OFFICIAL_BASE
else
  echo "image.sh: $OFFICIAL_BASE cannot be pulled here; making a base from this machine's Node" >&2
  make_base
  base=$MADE_BASE
fi

# --- the image --------------------------------------------------------------------------------
echo "image.sh: building $IMAGE on $base" >&2
$DOCKER build --force-rm --build-arg "BASE=$base" --tag "$IMAGE" . >&2
# Each change of the sources leaves the previous build behind: the image the tag named before,
# and its build stage (keep the newest stage: it is the cache of the next build).
{
  $DOCKER images --quiet --filter dangling=true --filter label=org.opencontainers.image.title=launcher
  $DOCKER images --quiet --filter dangling=true --filter label=launcher.build-stage=true | tail -n +2
} | xargs -r $DOCKER image rm >/dev/null 2>&1 || true
echo "$IMAGE" >&3
