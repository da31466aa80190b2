#!/usr/bin/env bash
# Stops the engine that scripts/engine.sh started (dockerd, its containerd, the loopback
# registry); `.ci/run` calls it for an engine it started, so that a run leaves nothing behind.
# The engine's data stays, so the next start is quick. Safe to run when nothing runs.
set -uo pipefail
ENGINE_DIR=/var/lib/launcher-engine
RUN_DIR=/run/launcher-engine

pid=$(cat "$RUN_DIR/docker.pid" 2>/dev/null || true)
# A dead process can linger as a zombie: judge it by its cmdline, not by kill -0.
is_dockerd() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q dockerd; }
if [ -n "$pid" ] && is_dockerd "$pid" && kill -TERM "$pid" 2>/dev/null; then
  for _ in $(seq 1 100); do is_dockerd "$pid" || break; sleep 0.1; done
fi
pkill -KILL -f -- "$RUN_DIR/exec/containerd" 2>/dev/null
pkill -TERM -f -- "docker-registry serve $ENGINE_DIR/registry.yml" 2>/dev/null
rm -f "$RUN_DIR/docker.pid" "$RUN_DIR/docker.sock"
echo "engine-stop.sh: engine stopped" >&2
