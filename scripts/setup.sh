#!/usr/bin/env bash
# Create .venv (if needed) and install pxc with its test tools. Needs only python3 and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet -e '.[test]' 2>&1 | grep -v -E '^(WARNING: Location|  )' || true
.venv/bin/python -c "import proxysql_iac, mysql.connector, mysql_mimic, pytest" \
  || { echo "setup failed: dependencies did not install" >&2; exit 1; }
