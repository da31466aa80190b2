#!/usr/bin/env bash
# Starts a container engine for the docker driver's tests, from Debian's packages, and prints
# only `export DOCKER_HOST=unix://…` on stdout (use it as `eval "$(scripts/engine.sh)"`).
#
# Engine: Debian's docker.io (dockerd 20.10). It runs here without extra configuration and is
# the reference implementation of the Engine API that dockerode speaks (real 409 on a name
# clash, events with `until`), where Podman 4.3 needs rlimit, runtime and events workarounds.
#
# Sets up, idempotently (safe to run twice):
#   - dockerd, detached, data in $ENGINE_DIR, log in $ENGINE_DIR/engine.log;
#   - the test image localhost/launcher-scratchpad:latest (the docker flavour of the
#     Scratchpad template), built from a busybox-static rootfs tar and imported;
#   - a loopback registry (Debian's docker-registry) holding a second image that is *not*
#     present locally, so the tests can watch a real pull with per-layer progress. Its
#     reference is in the test image's label `launcher.test-pull-image`.
set -euo pipefail

# Everything but the final export goes to stderr. Fd 3 is the caller's `$(…)` pipe: every
# process left running (dockerd, the registry) must close it, or `$(…)` waits for ever.
exec 3>&1 1>&2

ENGINE_DIR=/var/lib/launcher-engine
RUN_DIR=/run/launcher-engine
SOCK="$RUN_DIR/docker.sock"
LOG="$ENGINE_DIR/engine.log"
IMAGE=localhost/launcher-scratchpad:latest
PULL_NAME=launcher-scratchpad-pull
DOCKER=/usr/bin/docker # Debian's CLI, matching the daemon (another one may sit in /usr/local)

if [ "$(id -u)" -ne 0 ]; then
  echo "engine.sh: must run as root" >&2
  exit 1
fi

# --- packages -------------------------------------------------------------------------------
need=()
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static) # a static /bin/busybox
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "engine.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d may refuse to start services; the engine is started below, not by the package.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$ENGINE_DIR" "$RUN_DIR"
export DOCKER_HOST="unix://$SOCK"

ping_engine() { curl -sf --max-time 2 --unix-socket "$SOCK" http://engine/_ping >/dev/null 2>&1; }

wait_for() { # wait_for SECONDS WHAT COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "engine.sh: $what did not come up; last lines of $LOG:" >&2
      tail -n 30 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# --- the engine ------------------------------------------------------------------------------
if ! ping_engine; then
  pid=$(cat "$RUN_DIR/docker.pid" 2>/dev/null || true)
  # A dead process can linger as a zombie: judge it by its cmdline, not by kill -0.
  if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q dockerd; then
    echo "engine.sh: dockerd (pid $pid) is starting; waiting" >&2
  else
    echo "engine.sh: starting dockerd (log: $LOG)" >&2
    rm -f "$RUN_DIR/docker.pid" "$SOCK"
    # A dockerd that was killed (say, with the session that started it) leaves containerd
    # behind, or its pid file and sockets: the next dockerd then waits on them for ever.
    # Only processes of this engine's own exec root are ended.
    pkill -KILL -f -- "$RUN_DIR/exec/containerd" 2>/dev/null || true
    rm -rf "$RUN_DIR/exec/containerd"
    setsid /usr/sbin/dockerd \
      --data-root "$ENGINE_DIR/docker" \
      --exec-root "$RUN_DIR/exec" \
      --pidfile "$RUN_DIR/docker.pid" \
      -H "unix://$SOCK" \
      </dev/null >>"$LOG" 2>&1 3>&- &
  fi
  wait_for 90 "dockerd" ping_engine
fi

# --- the loopback registry -------------------------------------------------------------------
registry_answers() { curl -sf --max-time 2 "http://127.0.0.1:$1/v2/" >/dev/null 2>&1; }
port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=$(cat "$ENGINE_DIR/registry.port" 2>/dev/null || echo 5000)
if ! registry_answers "$port"; then
  # Keep the recorded port unless something else took it.
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port" >"$ENGINE_DIR/registry.port"
  mkdir -p "$ENGINE_DIR/registry"
  cat >"$ENGINE_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $ENGINE_DIR/registry
http:
  addr: 127.0.0.1:$port
EOF
  echo "engine.sh: starting docker-registry on 127.0.0.1:$port" >&2
  setsid docker-registry serve "$ENGINE_DIR/registry.yml" </dev/null >>"$LOG" 2>&1 3>&- &
  wait_for 30 "docker-registry" registry_answers "$port"
fi
PULL_IMAGE="127.0.0.1:$port/$PULL_NAME:latest"

# --- the test image --------------------------------------------------------------------------
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root="$build/rootfs"
mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"

# PID 1: serves with busybox nc, one /serve per connection, and stops cleanly on TERM.
cat >"$root/start" <<'EOF'
#!/bin/sh
PORT="${SCRATCHPAD_PORT:-8080}"
if [ -z "$SCRATCHPAD_PASSWORD" ]; then
  echo "scratchpad: SCRATCHPAD_PASSWORD is not set" >&2
  exit 2
fi
nc -ll -p "$PORT" -e /serve &
server=$!
trap 'echo "scratchpad: stopping"; kill "$server" 2>/dev/null; exit 0' TERM INT
echo "scratchpad: listening on port $PORT"
wait "$server"
EOF

# One HTTP exchange on stdin/stdout. busybox httpd hides the Authorization header from CGI
# and only knows fixed user names, so the Basic check (any user name) is done here.
cat >"$root/serve" <<'EOF'
#!/bin/sh
cr=$(printf '\r')
read -r method target proto
auth=""
while read -r line; do
  line=${line%"$cr"}
  [ -z "$line" ] && break
  case "$line" in
    [Aa]uthorization:\ [Bb]asic\ *) auth=${line#* [Bb]asic } ;;
  esac
done
path=${target%%\?*}
reply() { # reply STATUS BODY [EXTRA-HEADER]
  printf 'HTTP/1.1 %s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %s\r\nConnection: close\r\n' "$1" "${#2}"
  [ -n "$3" ] && printf '%s\r\n' "$3"
  printf '\r\n%s' "$2"
}
if [ "$path" = /health ]; then
  reply "200 OK" "ok"
  exit 0
fi
creds=$(printf '%s' "$auth" | base64 -d 2>/dev/null)
case "$creds" in
  *:*) given=${creds#*:} ;;
  *) given="" ;;
esac
if [ -z "$given" ] || [ "$given" != "$SCRATCHPAD_PASSWORD" ]; then
  echo "scratchpad: $method $path 401" >&2
  reply "401 Unauthorized" "<h1>401</h1>" 'WWW-Authenticate: Basic realm="Scratchpad"'
  exit 0
fi
echo "scratchpad: $method $path 200" >&2
if [ "$path" = / ]; then
  reply "200 OK" "<!doctype html><title>Scratchpad</title><h1>Scratchpad</h1><p>Your notes live here.</p>"
else
  reply "404 Not Found" "<h1>404</h1>"
fi
EOF
chmod 0755 "$root/start" "$root/serve"

# A deterministic tar, so the same inputs give the same layer; its hash names the build.
make_tar() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2" .; }
make_tar "$root" "$build/rootfs.tar"
digest=$(cat "$build/rootfs.tar" <(echo "$PULL_IMAGE") | sha256sum | cut -c1-16)

image_label() { $DOCKER image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

if [ "$(image_label "$IMAGE" launcher.test-build)" != "$digest" ]; then
  echo "engine.sh: importing $IMAGE" >&2
  $DOCKER import \
    --change 'CMD ["/start"]' \
    --change 'EXPOSE 8080' \
    --change "LABEL launcher.test-build=$digest launcher.test-pull-image=$PULL_IMAGE" \
    "$build/rootfs.tar" "$IMAGE" >/dev/null
fi

# The pull image: the same rootfs plus some incompressible bytes, so its layer takes a few
# progress events to download. It lives only in the registry: removed locally after the push
# (and again on every run, since tests pull it).
if ! curl -sf --max-time 5 -o /dev/null \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:$port/v2/$PULL_NAME/manifests/latest"; then
  echo "engine.sh: pushing $PULL_IMAGE" >&2
  cp -a "$root" "$build/pullfs"
  head -c 16777216 /dev/urandom >"$build/pullfs/ballast"
  make_tar "$build/pullfs" "$build/pull.tar"
  $DOCKER import --change 'CMD ["/start"]' --change 'EXPOSE 8080' \
    "$build/pull.tar" "$PULL_IMAGE" >/dev/null
  $DOCKER push "$PULL_IMAGE" >>"$LOG" 2>&1
fi
$DOCKER image rm -f "$PULL_IMAGE" >/dev/null 2>&1 || true

echo "engine.sh: engine ready at $DOCKER_HOST" >&2
echo "export DOCKER_HOST=$DOCKER_HOST" >&3
