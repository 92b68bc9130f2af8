#!/usr/bin/env bash
# The test job: set up, lint, type-check, run the whole suite. Fails when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check proxysql_iac tests benchmarks
echo "== mypy --strict"
.venv/bin/mypy --strict proxysql_iac
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
