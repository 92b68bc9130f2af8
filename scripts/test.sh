#!/usr/bin/env bash
# The test job: set up, lint, type-check, run the whole suite. Fails when anything fails.
#
# The suite runs on the sandbox and, when PXC_PROXYSQL_BIN names a ProxySQL 2.7 binary (CI
# sets it), again against a real 3-node cluster the tests start from that binary. The two
# runs go side by side (they mostly wait on the network and on epoch seconds); the real run's
# output follows the sandbox run's. Without a binary the real run is skipped, and says so.
# The ProxySQL 3.0 tests (fixture proxysql30_cluster) run in the real run against a cluster
# started from PXC_PROXYSQL_BIN_30 (CI sets it too); without it they are skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check proxysql_iac tests benchmarks
echo "== mypy --strict"
.venv/bin/mypy --strict proxysql_iac

real_pid=""
real_log=""
conformance_log=""
if [ -n "${PXC_PROXYSQL_BIN:-}" ]; then
  [ -x "$PXC_PROXYSQL_BIN" ] || { echo "PXC_PROXYSQL_BIN=$PXC_PROXYSQL_BIN is not executable" >&2; exit 1; }
  if [ -n "${PXC_PROXYSQL_BIN_30:-}" ] && [ ! -x "$PXC_PROXYSQL_BIN_30" ]; then
    echo "PXC_PROXYSQL_BIN_30=$PXC_PROXYSQL_BIN_30 is not executable" >&2; exit 1
  fi
  real_log=$(mktemp)
  trap 'rm -f "$real_log"' EXIT
  PXC_TEST_SERVER=real .venv/bin/python -m pytest -q -p no:cacheprovider "$@" >"$real_log" 2>&1 &
  real_pid=$!
fi

# The whole suite (no arguments): the conformance replays (minutes of CPU-bound work on the
# sandbox alone) go side by side with the rest of the sandbox run; their output follows it.
conformance_status=0
if [ $# -eq 0 ]; then
  conformance_log=$(mktemp)
  trap 'rm -f "$real_log" "$conformance_log"' EXIT
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/conformance >"$conformance_log" 2>&1 &
  conformance_pid=$!
  echo "== pytest (sandbox)"
  sandbox_status=0
  .venv/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/conformance || sandbox_status=$?
  wait "$conformance_pid" || conformance_status=$?
  echo "== pytest (sandbox: conformance with the recordings)"
  cat "$conformance_log"
else
  echo "== pytest (sandbox)"
  sandbox_status=0
  .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || sandbox_status=$?
fi

real_status=0
if [ -n "$real_pid" ]; then
  wait "$real_pid" || real_status=$?
  echo "== pytest (real ProxySQL: $("$PXC_PROXYSQL_BIN" --version 2>&1 | grep -m1 "ProxySQL version"))"
  if [ -n "${PXC_PROXYSQL_BIN_30:-}" ]; then
    echo "   and for the 3.0 tests: $("$PXC_PROXYSQL_BIN_30" --version 2>&1 | grep -m1 "ProxySQL version")"
  else
    echo "   the 3.0 tests were SKIPPED: PXC_PROXYSQL_BIN_30 is not set (point it at a ProxySQL 3.0 binary)"
  fi
  cat "$real_log"
else
  echo "== real-server run SKIPPED: PXC_PROXYSQL_BIN is not set (point it at a ProxySQL 2.7 binary)"
fi
[ "$sandbox_status" -eq 0 ] || { echo "the sandbox run failed" >&2; exit "$sandbox_status"; }
[ "$conformance_status" -eq 0 ] || { echo "the conformance run failed" >&2; exit "$conformance_status"; }
[ "$real_status" -eq 0 ] || { echo "the real-server run failed" >&2; exit "$real_status"; }
