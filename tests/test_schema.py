"""The JSON Schema editors use is the one pxc prints, and it accepts every example.

`schemas/pxc-spec-v1.json` is checked in so a YAML language server can point at it; it must
equal `pxc schema` output, or editors would flag valid specs (or miss mistakes).
"""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from proxysql_iac.cli import app

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schemas" / "pxc-spec-v1.json"
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))
REGENERATE = "schemas/pxc-spec-v1.json is stale: run `bash scripts/gen_schema.sh` and commit it"


def _printed_schema() -> str:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_checked_in_schema_is_what_pxc_schema_prints() -> None:
    assert SCHEMA_FILE.read_text() == _printed_schema(), REGENERATE


def test_schema_declares_draft_2020_12_and_a_stable_id() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/pxc-spec-v1.json")
    assert schema["required"] == ["version"]


def test_schema_has_a_section_per_proxysql_table() -> None:
    from proxysql_iac.spec.tables import TABLES

    properties = json.loads(SCHEMA_FILE.read_text())["properties"]
    assert {t.name for t in TABLES} <= set(properties)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_every_example_is_valid_for_the_schema(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    document = yaml.safe_load(path.read_text())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_schema_flags_a_misspelt_column_the_way_an_editor_would(
    validator: jsonschema.Draft202012Validator,
) -> None:
    document = {"version": 1, "mysql_servers": [{"hostname": "db1", "use_sll": 1}]}
    messages = [e.message for e in validator.iter_errors(document)]
    assert any("use_sll" in m for m in messages)


def test_schema_flags_an_aurora_timeout_proxysql_would_reject(
    validator: jsonschema.Draft202012Validator,
) -> None:
    row = {"writer_hostgroup": 1, "reader_hostgroup": 2, "domain_name": ".x"}
    row["check_timeout_ms"] = 5000
    document = {"version": 1, "mysql_aws_aurora_hostgroups": [row]}
    assert not validator.is_valid(document)
