"""The user documentation says what the code does: generated parts are current, and every
rule and every table section is documented.

docs/spec.md's table reference and rule reference are generated from tables.py and the rule
registry by scripts/gen_rule_docs.py; a new rule or column fails here until it is documented.
"""

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from proxysql_iac.rules import load_all
from proxysql_iac.spec.tables import TABLES

ROOT = Path(__file__).resolve().parent.parent
SPEC_MD = ROOT / "docs" / "spec.md"


def _generator() -> ModuleType:
    script = ROOT / "scripts" / "gen_rule_docs.py"
    spec = importlib.util.spec_from_file_location("gen_rule_docs", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_parts_of_spec_md_are_current() -> None:
    current = SPEC_MD.read_text()
    assert _generator().update(current) == current, (
        "docs/spec.md is stale: run `python scripts/gen_rule_docs.py` and commit it"
    )


@pytest.mark.parametrize("code", sorted(load_all()))
def test_every_rule_has_an_explanation_and_a_bad_and_a_good_example(code: str) -> None:
    rule = load_all()[code]
    summary, _, bad, good = _generator()._split_doc(rule.doc)
    assert summary, f"{code}: the docstring's first line explains the rule"
    assert bad and good, f"{code}: the docstring needs a Bad:: and a Good:: example"
    assert f"### {code} `{rule.name}`" in SPEC_MD.read_text()


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_every_table_section_is_documented(table: str) -> None:
    assert f"### `{table}`" in SPEC_MD.read_text()


def test_spec_md_documents_secrets_merging_and_hostgroup_names() -> None:
    text = SPEC_MD.read_text()
    for heading in ("## Secret references", "## Several files", "## Hostgroups", "## Rules"):
        assert heading in text
    assert "{env: " in text and "{file: " in text


DOCS = ["README.md", *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md")))]


@pytest.mark.parametrize("doc", DOCS)
def test_relative_links_in_the_docs_point_at_files_that_exist(doc: str) -> None:
    path = ROOT / doc
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text()):
        assert (path.parent / target).exists(), f"{doc} links to missing {target}"


def test_performance_md_was_written_from_the_current_benchmark() -> None:
    """docs/performance.md records a digest of the benchmark's definitions; changing what is
    measured without measuring again (and running benchmarks/report.py) fails here."""
    script = ROOT / "benchmarks" / "report.py"
    spec = importlib.util.spec_from_file_location("bench_report", script)
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    doc = (ROOT / "docs" / "performance.md").read_text()
    found = re.search(r"<!-- benchmark definitions: ([0-9a-f]+) ", doc)
    assert found is not None, "docs/performance.md was not written by benchmarks/report.py"
    assert found.group(1) == report.digest(), (
        "docs/performance.md is stale: run benchmarks/real_server.py and benchmarks/report.py"
    )


def _shipped_text() -> list[Path]:
    """What users get: the package (code, templates, data), the docs, examples, scripts."""
    roots = [ROOT / "proxysql_iac", ROOT / "docs", ROOT / "examples", ROOT / "scripts"]
    files = [ROOT / "README.md", *(p for r in roots for p in sorted(r.rglob("*")) if p.is_file())]
    return [p for p in files if p.suffix in (".py", ".md", ".j2", ".json", ".yaml", ".sh", "")]


def test_nothing_users_get_points_outside_the_repository() -> None:
    """Every file a message or a doc names is in the repository (facts restated in docs/)."""
    for path in _shipped_text():
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in (r"\bshared/", r"\.\./shared", r"field-rules\.md", r"proxysql-admin\.md"):
            assert not re.search(pattern, text), f"{path.relative_to(ROOT)} cites {pattern}"
