#!/usr/bin/env bash
# The main job: install pxc and run the demo against the embedded sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py
