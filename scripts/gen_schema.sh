#!/usr/bin/env bash
# Regenerate schemas/pxc-spec-v1.json from the pydantic models (what `pxc schema` prints).
# tests/test_schema.py fails when the checked-in file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
"$PY" -m proxysql_iac.cli schema > schemas/pxc-spec-v1.json
echo "wrote schemas/pxc-spec-v1.json"
