"""Every rule, from data: tests/rules/cases/<CODE>.yaml holds failing and passing specs.

A failing case lists exactly the findings the rule must report (path in the document, line,
and optionally a piece of the message); a passing case must not trigger the rule at all.
Specs are written to a temporary file and run through the real validator, so these cases
also cover loading, compiling and locating.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from proxysql_iac.rules import load_all
from proxysql_iac.validate import validate_files

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    files: tuple[str, ...]
    fails: tuple[dict[str, Any], ...]
    passes: bool


def _cases() -> list[Case]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for raw in data["cases"]:
            files = tuple(raw["files"]) if "files" in raw else (raw["spec"],)
            fails = tuple(raw.get("fails") or ())
            assert bool(fails) != bool(raw.get("passes")), f"{path.name}: {raw['name']}"
            out.append(Case(data["rule"], raw["name"], files, fails, bool(raw.get("passes"))))
    return out


CASES = _cases()


def _validate(case: Case, tmp_path: Path) -> list[Any]:
    paths = []
    for index, text in enumerate(case.files):
        path = tmp_path / f"spec{index}.yaml"
        path.write_text(text)
        paths.append(path)
    return [f for f in validate_files(paths).findings if f.code == case.rule]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}-{c.name}" for c in CASES])
def test_rule_case(case: Case, tmp_path: Path) -> None:
    found = _validate(case, tmp_path)
    shown = "\n".join(f"{f.file}:{f.line} {f.path}: {f.message}" for f in found)
    if case.passes:
        assert found == [], shown
        return
    assert sorted((f.path, f.line) for f in found) == sorted(
        (want["path"], want["line"]) for want in case.fails
    ), shown
    for want in case.fails:
        finding = next(f for f in found if f.path == want["path"])
        if "message" in want:
            assert want["message"] in finding.message + " " + finding.hint, shown
        if "file" in want:
            assert Path(finding.file).name == want["file"], shown
        rule = load_all().get(case.rule)
        expected = want.get("severity") or (rule.severity.value if rule else "error")
        assert finding.severity.value == expected, shown
        assert finding.column > 0 and finding.hint, shown


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    covered = {c.rule for c in CASES if c.fails} & {c.rule for c in CASES if c.passes}
    missing = set(load_all()) - covered
    assert not missing, f"rules without both kinds of case: {sorted(missing)}"
