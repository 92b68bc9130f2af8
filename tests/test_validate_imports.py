"""`pxc validate` runs as a pre-commit hook on every commit: it loads only what validation
needs, not the MySQL connector or TLS (it connects nowhere), the sandbox, the templates or the
terminal renderer."""

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rw-split-mirroring.yaml"
NOT_NEEDED = ("mysql", "ssl", "mysql_mimic", "jinja2", "rich", "deepdiff", "proxysql_iac.sandbox")

_RUN = """
import json, sys

class Record:  # sees every import that gets past sys.modules, even one that then fails
    tried = set()
    def find_spec(self, name, path=None, target=None):
        self.tried.add(name)

sys.meta_path.insert(0, Record())
from proxysql_iac import cli
code = cli.run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(Record.tried)}))
"""


def modules_loaded(args: Sequence[str], prefixes: Sequence[str]) -> tuple[int, list[str]]:
    """Run one pxc command in its own interpreter, its output into a pipe (as in CI); its exit
    code and the modules it imported or tried to import (one that then failed counts, as the
    connector's C extension on a machine without its OpenSSL) that are, or are under, one of
    `prefixes`."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,  # no terminal either
    )
    result = json.loads(done.stdout.splitlines()[-1])
    loaded = [
        m for m in result["modules"] if any(m == n or m.startswith(n + ".") for n in prefixes)
    ]
    return result["code"], loaded


def test_validate_imports_nothing_it_does_not_need() -> None:
    assert EXAMPLE.exists()
    code, loaded = modules_loaded(["validate", str(EXAMPLE)], NOT_NEEDED)
    assert code == 0
    assert loaded == []
