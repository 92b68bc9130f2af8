#!/usr/bin/env bash
# The test job: set up, lint, type-check, run the whole suite. Fails when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check proxysql_iac tests benchmarks
echo "== mypy --strict"
.venv/bin/mypy --strict proxysql_iac
echo "== pytest (sandbox)"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
# The same suite against a real 3-node ProxySQL cluster, started by the tests from the binary
# PXC_PROXYSQL_BIN names (CI sets it). Without one the run is skipped, and says so.
if [ -n "${PXC_PROXYSQL_BIN:-}" ]; then
  [ -x "$PXC_PROXYSQL_BIN" ] || { echo "PXC_PROXYSQL_BIN=$PXC_PROXYSQL_BIN is not executable" >&2; exit 1; }
  echo "== pytest (real ProxySQL: $("$PXC_PROXYSQL_BIN" --version 2>&1 | grep -m1 "ProxySQL version"))"
  PXC_TEST_SERVER=real .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
else
  echo "== real-server run SKIPPED: PXC_PROXYSQL_BIN is not set (point it at a ProxySQL 2.7 binary)"
fi
