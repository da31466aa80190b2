#!/usr/bin/env bash
# Two launcher replicas sharing one keyring and one state dir, behind nginx (round robin,
# no sticky sessions, WebSockets passed through). Open http://127.0.0.1:$PORT and kill
# either replica mid-launch: the page follows on the other one.
#
#   PORT            nginx's port (default 3000); the replicas take PORT+1 and PORT+2
#   LAUNCHER_KEYS   the shared keyring; unset: the dev keyring in the shared state dir
#   LAUNCHER_STATE_DIR  the shared state dir (default .launcher)
# Any other LAUNCHER_* variable is passed to both replicas.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-3000}
PORT_A=${REPLICA_A_PORT:-$((PORT + 1))}
PORT_B=${REPLICA_B_PORT:-$((PORT + 2))}
export LAUNCHER_STATE_DIR=${LAUNCHER_STATE_DIR:-.launcher}
export LAUNCHER_TRUST_PROXY=1
# Pages come from nginx's origin, not a replica's own: allow it for WebSocket upgrades.
export LAUNCHER_ALLOWED_ORIGINS="http://127.0.0.1:$PORT,http://localhost:$PORT${LAUNCHER_ALLOWED_ORIGINS:+,$LAUNCHER_ALLOWED_ORIGINS}"

if ! command -v nginx >/dev/null 2>&1 && [ -x /usr/sbin/nginx ]; then PATH="$PATH:/usr/sbin"; fi
if ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
  else
    echo "replicas: nginx is not installed (Debian: sudo apt-get install nginx)" >&2
    exit 1
  fi
fi
if [ ! -f apps/server/dist/main.js ]; then
  echo "replicas: build first (pnpm build)" >&2
  exit 1
fi

prefix=$(mktemp -d "${TMPDIR:-/tmp}/launcher-nginx-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_healthy() {
  node -e '
    const url = process.argv[1];
    const end = Date.now() + 20000;
    (async () => {
      for (;;) {
        try { if ((await fetch(url)).ok) process.exit(0); } catch {}
        if (Date.now() > end) { console.error(`replicas: ${url} did not answer`); process.exit(1); }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();' "$1"
}

# One after the other: the first creates the dev keyring (if any), the second reads it.
for port in "$PORT_A" "$PORT_B"; do
  PORT=$port HOST=127.0.0.1 node apps/server/dist/main.js &
  pids+=("$!")
  wait_healthy "http://127.0.0.1:$port/health"
done

upstreams="    server 127.0.0.1:$PORT_A max_fails=1 fail_timeout=2s;
    server 127.0.0.1:$PORT_B max_fails=1 fail_timeout=2s;"
template=$(cat scripts/replicas/nginx.conf.template)
conf=${template//\{\{PREFIX\}\}/$prefix}
conf=${conf//\{\{LB_PORT\}\}/$PORT}
conf=${conf//\{\{UPSTREAMS\}\}/$upstreams}
printf '%s\n' "$conf" >"$prefix/nginx.conf"
nginx -p "$prefix" -c "$prefix/nginx.conf" &
pids+=("$!")
wait_healthy "http://127.0.0.1:$PORT/health"

echo "replicas: http://127.0.0.1:$PORT (nginx) -> replicas on :$PORT_A (pid ${pids[0]}) and :$PORT_B (pid ${pids[1]}); Ctrl-C stops all"
wait -n
echo "replicas: a process ended; stopping the rest" >&2
