"""`pxc validate` end to end: exit codes and the machine-readable formats."""

import json
from pathlib import Path

from typer.testing import CliRunner

from proxysql_iac.cli import app

CLEAN = """\
version: 1
mysql_servers:
  - {hostgroup_id: 10, hostname: db1}
mysql_query_rules:
  - {rule_id: 1, active: 1, match_digest: '^SELECT', destination_hostgroup: 10, apply: 1}
"""

INVALID = """\
version: 1
admin_variables:
  cluster_mysql_servers_sync_algorithm: 0
mysql_query_rules:
  - {rule_id: 1, match_digest: '^SELECT'}
"""


def _run(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path), *args])
    return result.exit_code, result.stdout


def test_clean_spec_exits_0(tmp_path: Path) -> None:
    code, out = _run(tmp_path, CLEAN)
    assert code == 0
    assert out.strip() == ""


def test_spec_with_an_error_exits_1_and_names_code_line_and_path(tmp_path: Path) -> None:
    code, out = _run(tmp_path, INVALID)
    assert code == 1
    path = "admin_variables.cluster_mysql_servers_sync_algorithm"
    assert f"spec.yaml:3:41: error PXC106 [{path}]" in out


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    code, out = _run(tmp_path, CLEAN.replace("active: 1, ", ""))
    assert code == 0
    assert "warning PXC112" in out


def test_json_format_lists_findings_with_their_position(tmp_path: Path) -> None:
    code, out = _run(tmp_path, INVALID, "--format", "json")
    payload = json.loads(out)
    assert code == 1 and payload["ok"] is False
    by_code = {f["code"]: f for f in payload["findings"]}
    assert by_code["PXC106"]["line"] == 3 and by_code["PXC106"]["severity"] == "error"
    assert by_code["PXC112"]["path"] == "mysql_query_rules[0]"
    assert by_code["PXC112"]["severity"] == "warning" and by_code["PXC112"]["line"] == 5


def test_github_format_emits_one_annotation_per_finding(tmp_path: Path) -> None:
    code, out = _run(tmp_path, INVALID, "--format", "github")
    lines = out.strip().splitlines()
    assert code == 1
    assert len(lines) == 2
    assert lines[0].startswith("::error file=") and ",line=3," in lines[0]
    assert "title=PXC106" in lines[0]
    assert lines[1].startswith("::warning file=") and ",line=5," in lines[1]


def test_a_usage_error_exits_1_because_2_means_plan_has_changes() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "proxysql_iac.cli", "plan", "spec.yaml", "--no-such-option"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "No such option" in done.stderr
