#!/usr/bin/env bash
# Installs the Debian packages the test suites need, only when missing.
set -euo pipefail
need=()
# command:package — chromium for the e2e suite, jupyter for the real Jupyter template test,
# nginx for the replica failover and header sign-in tests (in /usr/sbin, often not on PATH),
# kubectl to render deploy/kubernetes (any kubectl will do: some machines carry another
# package's), python3-websockets (for Debian's /usr/bin/python3) for the Python protocol example.
for pair in "chromium:chromium" "jupyter:jupyter-notebook" "nginx:nginx" "kubectl:kubernetes-client"; do
  bin=${pair%%:*}; pkg=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$pkg")
done
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || need+=(python3-websockets)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
