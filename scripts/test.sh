#!/usr/bin/env bash
# The README's test command: set up what is missing, then run every test
# (unit, integration against real Mosquitto and InfluxDB, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import telemetry, pytest, playwright" 2>/dev/null \
  || [ ! -f api/web/static/vendor/echarts.min.js ] || ! command -v chromium >/dev/null; then
  scripts/setup.sh
fi
. .venv/bin/activate
exec python -m pytest "$@"
