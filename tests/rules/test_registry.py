"""The rule registry matches the design, and each rule's docs examples say what it does.

Docs are generated from the docstrings, so each Bad:: example must trigger its rule and each
Good:: example must not (and must be clean: no errors, no warnings).
"""

import re
import textwrap
from pathlib import Path

import pytest

from proxysql_iac.findings import Severity
from proxysql_iac.rules import REGISTRY, Rule, load_all
from proxysql_iac.validate import validate_files

# Vendored from the design's table of field rules: code and default severity of each.
DESIGN = Path(__file__).resolve().parents[1] / "data" / "validate-rule-severities.txt"
# Codes the loader or compiler report without a rule of their own.
LOADER_ONLY = {"PXC001", "PXC003"}
# Info rules that explain a ProxySQL behaviour: the good example is the same spec, understood.
EXPLANATIONS = {"PXC109"}

RULES: list[Rule] = sorted(load_all().values(), key=lambda r: r.code)


def _example(rule_: Rule, kind: str) -> str:
    match = re.search(kind + r"::\n\n(.*?)(?=\n\s*\n\s*\w+::|\Z)", rule_.doc, re.S)
    assert match, f"{rule_.code} has no {kind}:: example"
    return "version: 1\n" + textwrap.dedent(match.group(1))


def _findings(text: str, tmp_path: Path) -> list[tuple[str, Severity, str]]:
    path = tmp_path / "example.yaml"
    path.write_text(text)
    return [(f.code, f.severity, f.message) for f in validate_files([path]).findings]


def test_every_validate_rule_of_the_design_is_registered_with_its_severity() -> None:
    lines = [line.split() for line in DESIGN.read_text().splitlines() if line[:1] != "#"]
    expected = {code: severity for code, severity in lines}
    assert expected
    registered = {code: r.severity.value for code, r in REGISTRY.items() if r.when == "validate"}
    assert {c: s for c, s in registered.items() if c in expected} == expected


def test_rule_names_are_kebab_case_and_unique() -> None:
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names), names


@pytest.mark.parametrize("rule_", RULES, ids=[r.code for r in RULES])
def test_bad_example_triggers_the_rule(rule_: Rule, tmp_path: Path) -> None:
    found = _findings(_example(rule_, "Bad"), tmp_path)
    assert rule_.code in {code for code, _, _ in found}, found


@pytest.mark.parametrize("rule_", RULES, ids=[r.code for r in RULES])
def test_good_example_is_clean(rule_: Rule, tmp_path: Path) -> None:
    found = _findings(_example(rule_, "Good"), tmp_path)
    loud = [f for f in found if f[1] is not Severity.INFO]
    assert loud == []
    if rule_.code not in EXPLANATIONS:
        assert rule_.code not in {code for code, _, _ in found}, found


def test_loader_codes_are_not_rules() -> None:
    assert not LOADER_ONLY & set(REGISTRY)
