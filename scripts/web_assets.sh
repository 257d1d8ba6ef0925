#!/bin/sh
# The portal's browser libraries: installs the locked npm packages of
# api/web/frontend (echarts, esbuild; axe-core for the browser tests) and builds
# the portal's own ECharts bundles with their licences into api/web/static/vendor/
# (`npm run build`; not committed). Run by scripts/setup.sh and scripts/demo.sh;
# safe to run again; needs the network only when the lock file changed.
set -eu
cd "$(dirname "$0")/../api/web/frontend"
command -v npm >/dev/null 2>&1 || { echo "npm is missing (Debian: apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
echo "portal assets ready: api/web/static/vendor/"
