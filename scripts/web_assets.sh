#!/bin/sh
# The portal's browser libraries: installs the locked npm packages of
# api/web/frontend (echarts; axe-core for the browser tests) and copies the
# built files the pages load into api/web/static/vendor/ (not committed).
# Run by scripts/setup.sh and scripts/demo.sh; safe to run again.
set -eu
cd "$(dirname "$0")/../api/web/frontend"
command -v npm >/dev/null 2>&1 || { echo "npm is missing (Debian: apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p ../static/vendor
cp node_modules/echarts/dist/echarts.min.js ../static/vendor/echarts.min.js
cp node_modules/echarts/LICENSE ../static/vendor/echarts.LICENSE.txt
echo "portal assets ready: api/web/static/vendor/"
