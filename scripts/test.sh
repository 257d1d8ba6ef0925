#!/usr/bin/env bash
# The README's test command: set up what is missing, then run every test
# (unit, integration against real Mosquitto and InfluxDB, end to end).
#   scripts/test.sh [pytest args]          every test (what CI runs)
#   scripts/test.sh --fast [pytest args]   the fast loop: -m "not integration", no test that
#                                          starts a server or process (tests/conftest.py)
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
if [ "${1:-}" = "--fast" ]; then
  fast=1
  shift
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import telemetry, pytest, playwright" 2>/dev/null \
  || { [ "$fast" -eq 0 ] && { [ ! -f api/web/static/vendor/echarts-charts.min.js ] || ! command -v chromium >/dev/null; }; }; then
  scripts/setup.sh
fi
. .venv/bin/activate
if [ "$fast" -eq 1 ]; then
  exec python -m pytest -m "not integration" "$@"
fi
exec python -m pytest "$@"
