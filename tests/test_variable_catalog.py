"""Facts about the ProxySQL 2.7.1 global-variable catalog that a user would notice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "proxysql_iac" / "spec" / "data" / "variables-2.7.1.json"
# Vendored from a recording of a real ProxySQL 2.7.1: the names its global_variables lists.
RECORDED_NAMES = ROOT / "tests" / "data" / "variable-names-2.7.1.txt"

TYPES = {"bool", "int", "string"}
MODULES = {"mysql", "admin", "ldap", "sqliteserver"}


@pytest.fixture(scope="module")
def catalog() -> dict:
    return json.loads(CATALOG.read_text())


@pytest.fixture(scope="module")
def variables(catalog: dict) -> dict:
    return catalog["variables"]


def test_header(catalog: dict) -> None:
    assert catalog["proxysql_version"] == "2.7.1"
    assert catalog["sources"]


def test_has_212_variables(variables: dict) -> None:
    assert len(variables) == 212


def test_names_match_recording(variables: dict) -> None:
    lines = RECORDED_NAMES.read_text().splitlines()
    recorded = {line for line in lines if line and not line.startswith("#")}
    assert set(variables) == recorded


def test_file_is_sorted_with_two_space_indent(variables: dict) -> None:
    assert list(variables) == sorted(variables)
    assert CATALOG.read_text().startswith('{\n  "')


def test_entries_are_well_formed(variables: dict) -> None:
    for name, e in variables.items():
        assert e["type"] in TYPES, name
        assert e["module"] in MODULES, name
        assert name.startswith(e["module"] + "-"), name
        assert isinstance(e["default"], str), name
        assert isinstance(e["restart_only"], bool), name
        assert isinstance(e["secret"], bool), name
        if e["type"] != "int":
            assert "min" not in e and "max" not in e, name


def _parses_as(value: str, type_: str) -> bool:
    if type_ == "bool":
        return value in ("true", "false")
    if type_ == "int":
        try:
            int(value)
        except ValueError:
            return False
        return True
    return True


def test_every_default_parses_as_its_type(variables: dict) -> None:
    bad = {n: e["default"] for n, e in variables.items() if not _parses_as(e["default"], e["type"])}
    assert bad == {}


def test_int_defaults_within_range(variables: dict) -> None:
    for name, e in variables.items():
        if e["type"] != "int":
            continue
        value = int(e["default"])
        if e.get("min") is not None:
            assert value >= e["min"], name
        if e.get("max") is not None:
            assert value <= e["max"], name
        if e.get("min") is not None and e.get("max") is not None:
            assert e["min"] <= e["max"], name


def test_defaults_are_allowed_values(variables: dict) -> None:
    for name, e in variables.items():
        if "allowed" in e:
            assert e["default"] in e["allowed"], name


def test_sync_algorithm_allows_exactly_1_to_3(variables: dict) -> None:
    e = variables["admin-cluster_mysql_servers_sync_algorithm"]
    assert e["type"] == "int"
    assert e["allowed"] == ["1", "2", "3"]
    assert (e["min"], e["max"]) == (1, 3)
    assert e["default"] == "1"


def test_restart_only(variables: dict) -> None:
    assert variables["mysql-threads"]["restart_only"] is True
    assert variables["mysql-interfaces"]["restart_only"] is True
    # The admin listeners are rebound by LOAD ADMIN VARIABLES TO RUNTIME.
    assert variables["admin-mysql_ifaces"]["restart_only"] is False


def test_recorded_ranges(variables: dict) -> None:
    # Boundaries a real 2.7.1 accepted (values beyond them were reverted at LOAD).
    expected = {
        "mysql-max_connections": (1, 1000000),
        "admin-cluster_check_interval_ms": (10, 300000),
        "admin-cluster_check_status_frequency": (0, 10000),
        "admin-cluster_mysql_servers_diffs_before_sync": (0, 1000),
        "mysql-monitor_ping_interval": (100, 604800000),
    }
    for name, bounds in expected.items():
        assert (variables[name]["min"], variables[name]["max"]) == bounds, name


def test_credentials_are_secret(variables: dict) -> None:
    for name in (
        "admin-admin_credentials",
        "admin-stats_credentials",
        "admin-cluster_password",
        "mysql-monitor_password",
    ):
        assert variables[name]["secret"] is True, name
    assert variables["mysql-max_connections"]["secret"] is False


def test_interface_defaults(variables: dict) -> None:
    assert variables["admin-admin_credentials"]["default"] == "admin:admin"
    assert variables["admin-mysql_ifaces"]["default"] == "0.0.0.0:6032"
    assert variables["mysql-interfaces"]["default"] == "0.0.0.0:6033"
    assert variables["admin-cluster_username"]["default"] == ""
    assert variables["admin-cluster_password"]["default"] == ""
