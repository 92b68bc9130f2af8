"""Whatever a spec file holds, `pxc validate` answers with findings, never a traceback.

Random text, random YAML documents, and damaged copies of the examples (keys deleted, types
swapped, garbage lines, tabs, anchors and aliases, duplicate keys, bytes that are not UTF-8)
go through the same path as `pxc validate`: load, merge, models, compile, rules. Every
finding must carry a code and a severity, and a finding with a line must point inside the
file it names (lines as YAML counts them: NEL, LS and PS break lines too).
"""

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxysql_iac.findings import Finding, Severity
from proxysql_iac.rules import RuleContext, run_rules
from proxysql_iac.spec.compile import compile_spec
from proxysql_iac.spec.load import load_spec_text
from proxysql_iac.spec.models import SECTIONS
from proxysql_iac.spec.tables import TABLES
from proxysql_iac.validate import validate_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_TEXTS = [p.read_text() for p in sorted(EXAMPLES.rglob("*.yaml"))]
CODE = re.compile(r"^PXC\d{3}$")

# PXC_PROPERTY_EXAMPLES=5000 runs a longer hunt; the default keeps the suite fast.
FAST = settings(
    max_examples=int(os.environ.get("PXC_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------- what must always hold


_YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _line_count(data: bytes) -> int:
    """Lines as YAML counts them (NEL, LS and PS break lines too, as libyaml reports)."""
    return len(_YAML_LINE_BREAK.split(data.decode("utf-8", "replace")))


def assert_findings_are_well_formed(findings: list[Finding], files: dict[str, bytes]) -> None:
    for f in findings:
        assert CODE.match(f.code), f
        assert isinstance(f.severity, Severity), f
        assert f.message, f
        assert f.line >= 0 and f.column >= 0, f
        if f.line:
            assert f.file in files, f
            assert f.line <= _line_count(files[f.file]), (f, _line_count(files[f.file]))


@contextmanager
def _written(contents: list[bytes]) -> Iterator[dict[str, bytes]]:
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, bytes] = {}
        for index, data in enumerate(contents):
            path = Path(tmp) / f"spec{index}.yaml"
            path.write_bytes(data)
            files[str(path)] = data
        yield files


def validate_contents(*contents: bytes) -> list[Finding]:
    """Run `pxc validate`'s whole pipeline on files holding `contents`, merged in order."""
    with _written(list(contents)) as files:
        result = validate_files(list(files))
    assert_findings_are_well_formed(result.findings, files)
    return result.findings


def validate_text(text: str) -> list[Finding]:
    """The in-memory entry point: load_spec_text, compile, rules."""
    loaded = load_spec_text(text, "mem.yaml")
    desired, findings = compile_spec(loaded)
    all_findings = [*loaded.findings, *findings]
    if loaded.documents:
        all_findings.extend(run_rules(RuleContext(loaded, desired)))
    encoded = text.encode("utf-8", "surrogatepass")
    assert_findings_are_well_formed(all_findings, {"mem.yaml": encoded})
    return all_findings


# ---------------------------------------------------------------- documents

_COLUMN_NAMES = sorted({c.name for t in TABLES for c in t.columns})
_KEYS = st.one_of(
    st.sampled_from([*SECTIONS, *_COLUMN_NAMES, "env", "file", "<<", "name", "host"]),
    st.text(min_size=1, max_size=8),
    st.integers(-5, 5),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["writer", "ONLINE", ".example.com", "1e3", "0x1F", "~", "OFF", ""]),
)
_TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=30,
)
_SPEC_LIKE = st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), _SCALARS)},
    optional={
        name: st.one_of(
            st.lists(
                st.dictionaries(st.sampled_from(_COLUMN_NAMES), _TREES, max_size=6), max_size=3
            ),
            _TREES,
        )
        for name in SECTIONS
        if name != "version"
    },
)


def _dump(tree: Any) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


# ---------------------------------------------------------------- mutations of the examples

_GARBAGE_LINES = [
    "\t",
    "\tmysql_servers: []",
    "  - ]",
    "{",
    "key: [unclosed",
    "version: 1",  # a duplicate key
    "hostgroups: {a: 1, a: 2}",
    "x: &loop [*loop]",
    "mysql_servers: &rows [{hostname: a}]",
    "proxysql_servers: *rows",
    "<<: {version: 2}",
    "mysql_variables: {max_connections: !!float 1e3}",
    "mysql_users: [{username: u, password: {env: ''}}]",
    "mysql_users: [{username: u, password: {env: X, file: Y}}]",
    "---",
    "%YAML 1.1",
    "!!binary abc",
    "? [complex, key]\n: value",
    "mysql_hostgroup_attributes: [{hostgroup_id: 1, servers_defaults: &s {a: *s}}]",
]
_SWAPS = ["[]", "{}", "null", "true", "1.5", "-1", "2147483648", "'text'", "{env: X}", "*nope"]


@st.composite
def damaged_example(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(EXAMPLE_TEXTS)).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines = [""]
        index = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.integers(0, 5))
        line = lines[index]
        if operation == 0:  # delete a key (a line)
            del lines[index]
        elif operation == 1 and ":" in line:  # give a key a value of another type
            key = line.split(":", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(_SWAPS))}"
        elif operation == 2:  # a garbage line
            lines.insert(index, draw(st.sampled_from(_GARBAGE_LINES)))
        elif operation == 3:  # a tab in the indentation
            lines[index] = "\t" + line.lstrip(" ")
        elif operation == 4:  # the same key twice
            lines.insert(index, line)
        else:  # random characters
            lines[index] = line[: len(line) // 2] + draw(st.text(max_size=10))
    return "\n".join(lines)


# ---------------------------------------------------------------- the properties


@FAST
@given(st.text(max_size=300))
def test_random_text_never_raises(text: str) -> None:
    validate_text(text)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_in_a_file_never_raise(data: bytes) -> None:
    validate_contents(data)


@FAST
@given(_TREES)
def test_random_yaml_documents_never_raise(tree: Any) -> None:
    validate_text(_dump(tree))


@FAST
@given(_SPEC_LIKE)
def test_spec_shaped_documents_never_raise(tree: dict[str, Any]) -> None:
    validate_text(_dump(tree))


@FAST
@given(damaged_example())
def test_damaged_examples_never_raise(text: str) -> None:
    validate_contents(text.encode())


@FAST
@given(damaged_example(), damaged_example(), st.binary(max_size=8))
def test_damaged_overlays_never_raise(first: str, second: str, junk: bytes) -> None:
    validate_contents(first.encode(), second.encode() + junk)


@FAST
@given(st.text(max_size=50), st.sampled_from(["\udc80", "\ud800x"]))
def test_text_that_is_not_unicode_is_a_finding(text: str, surrogate: str) -> None:
    findings = validate_text(text + surrogate)
    assert any(f.severity is Severity.ERROR for f in findings)


def test_not_utf8_is_a_finding_with_the_file_name() -> None:
    findings = validate_contents(b"version: 1\ncomment: \xff\xfe\n")
    assert [f.code for f in findings] == ["PXC001"]
    assert "UTF-8" in findings[0].message


def test_a_recursive_alias_is_a_finding_not_a_hang() -> None:
    text = (
        "version: 1\n"
        "mysql_hostgroup_attributes:\n"
        "  - {hostgroup_id: 1, servers_defaults: &s {a: *s}}\n"
    )
    findings = validate_text(text)
    assert [(f.code, f.line) for f in findings] == [("PXC001", 3)]
    assert "alias *s" in findings[0].message


def test_an_alias_bomb_is_a_finding_not_a_hang() -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines.append("mysql_hostgroup_attributes: [{hostgroup_id: 1, servers_defaults: {x: *a8}}]")
    findings = validate_text("\n".join(lines))
    assert any("aliases expand" in f.message for f in findings)


def test_a_missing_file_next_to_a_broken_one_reports_both() -> None:
    with _written([b"version: 1\nmysql_servers: [{hostname: [1], port: {a: 1}}]\n"]) as files:
        result = validate_files(["/nonexistent/spec.yaml", *files])
        messages = {(f.code, f.path) for f in result.findings}
        assert ("PXC001", "") in messages  # file not found
        assert ("PXC117", "mysql_servers[0].hostname") in messages
        assert ("PXC117", "mysql_servers[0].port") in messages
