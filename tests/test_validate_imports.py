"""`pxc validate` runs as a pre-commit hook on every commit: it loads only what validation
needs, not the MySQL connector, the sandbox, the templates or the terminal renderer."""

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rw-split-mirroring.yaml"
NOT_NEEDED = ("mysql", "mysql_mimic", "jinja2", "rich", "deepdiff", "proxysql_iac.sandbox")

_RUN = """
import json, sys
from proxysql_iac import cli
code = cli.run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_validate_imports_nothing_it_does_not_need() -> None:
    assert EXAMPLE.exists()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0, done.stderr
    loaded = [
        m for m in result["modules"] if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED)
    ]
    assert loaded == []
