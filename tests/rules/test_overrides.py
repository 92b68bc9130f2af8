"""`rules:` in the spec changes a finding's severity, by code or by name, or turns it off."""

from pathlib import Path

import pytest

from proxysql_iac.findings import Severity
from proxysql_iac.validate import Validation, validate_files

INACTIVE_RULE = """\
version: 1
mysql_query_rules:
  - {rule_id: 10, match_digest: '^SELECT'}
"""


def _validate(tmp_path: Path, text: str) -> Validation:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return validate_files([path])


def _severities(result: Validation, code: str) -> list[Severity]:
    return [f.severity for f in result.findings if f.code == code]


def test_rule_without_override_keeps_its_default_severity(tmp_path: Path) -> None:
    result = _validate(tmp_path, INACTIVE_RULE)
    assert _severities(result, "PXC112") == [Severity.WARNING]
    assert result.ok


@pytest.mark.parametrize("key", ["PXC112", "rule-inactive-by-default"])
def test_override_to_error_makes_the_spec_invalid(tmp_path: Path, key: str) -> None:
    result = _validate(tmp_path, INACTIVE_RULE + f"rules: {{{key}: error}}\n")
    assert _severities(result, "PXC112") == [Severity.ERROR]
    assert not result.ok


@pytest.mark.parametrize("key", ["PXC112", "rule-inactive-by-default"])
def test_override_off_silences_the_rule(tmp_path: Path, key: str) -> None:
    result = _validate(tmp_path, INACTIVE_RULE + f"rules: {{{key}: off}}\n")
    assert _severities(result, "PXC112") == []


def test_override_can_lower_an_error_rule_to_a_warning(tmp_path: Path) -> None:
    spec = INACTIVE_RULE + "admin_variables: {cluster_mysql_servers_sync_algorithm: 0}\n"
    result = _validate(tmp_path, spec + "rules: {sync-algorithm: warning}\n")
    assert _severities(result, "PXC106") == [Severity.WARNING]
    assert result.ok


def test_override_of_one_rule_leaves_the_others_alone(tmp_path: Path) -> None:
    spec = INACTIVE_RULE + "mysql_variables: {monitor_password: monitor}\n"
    result = _validate(tmp_path, spec + "rules: {PXC112: off}\n")
    assert _severities(result, "PXC130") == [Severity.WARNING]


def test_undefined_hostgroup_name_stays_an_error_even_when_pxc140_is_off(tmp_path: Path) -> None:
    # the row did not compile: silencing it would make plan delete the live user
    spec = """\
version: 1
mysql_users:
  - {username: app, password: {env: X}, default_hostgroup: nosuch}
rules: {PXC140: off}
"""
    result = _validate(tmp_path, spec)
    assert _severities(result, "PXC140") == [Severity.ERROR]
    assert not result.ok


def test_unknown_rule_in_overrides_is_a_shape_error(tmp_path: Path) -> None:
    result = _validate(tmp_path, INACTIVE_RULE + "rules: {PXC112: loud}\n")
    assert [f.path for f in result.findings if f.code == "PXC001"] == ["rules.PXC112"]
