#!/usr/bin/env bash
# Installs the Debian packages the test suites need, only when missing.
set -euo pipefail
need=()
# command:package — chromium for the e2e suite, jupyter for the real Jupyter template test,
# nginx for the replica failover test (in /usr/sbin, often not on PATH).
for pair in "chromium:chromium" "jupyter:jupyter-notebook" "nginx:nginx"; do
  bin=${pair%%:*}; pkg=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
