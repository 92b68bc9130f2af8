"""Regenerate the generated parts of docs/spec.md from the code.

* between `<!-- tables:begin -->` and `<!-- tables:end -->`: every table section and its
  columns, from proxysql_iac/spec/tables.py;
* between `<!-- rules:begin -->` and `<!-- rules:end -->`: every registered validator rule
  (code, name, severity, explanation, bad and good example), from the rules' docstrings.

    python scripts/gen_rule_docs.py           # rewrite docs/spec.md
    python scripts/gen_rule_docs.py --check   # exit 1 when docs/spec.md is stale

tests/test_docs.py fails when the file is stale, so a new rule or column must be documented.
"""

import argparse
import inspect
import re
import sys
from pathlib import Path

from proxysql_iac.rules import Rule, load_all
from proxysql_iac.spec.tables import TABLES, Column, Kind, OneOf, Range, StartsWith, Table

SPEC_MD = Path(__file__).resolve().parent.parent / "docs" / "spec.md"
MARKERS = {
    "tables": ("<!-- tables:begin -->", "<!-- tables:end -->"),
    "rules": ("<!-- rules:begin -->", "<!-- rules:end -->"),
}


# ---------------------------------------------------------------- rules


def _split_doc(doc: str) -> tuple[str, str, str, str]:
    """(summary, explanation, bad example, good example) of a rule docstring."""
    text = inspect.cleandoc(doc)
    parts = re.split(r"^(Bad|Good)::\s*$", text, flags=re.MULTILINE)
    prose = parts[0].strip()
    examples = {parts[i]: inspect.cleandoc(parts[i + 1]) for i in range(1, len(parts) - 1, 2)}
    summary, _, explanation = prose.partition("\n\n")
    return (
        " ".join(summary.split()),
        explanation.strip(),
        examples.get("Bad", ""),
        examples.get("Good", ""),
    )


def _rule_section(rule: Rule) -> str:
    summary, explanation, bad, good = _split_doc(rule.doc)
    out = [
        f"### {rule.code} `{rule.name}`",
        "",
        f"Default severity: **{rule.severity.value}**. Checked at: {rule.when}.",
        "",
        summary,
    ]
    if explanation:
        out += ["", explanation]
    for label, example in (("Bad", bad), ("Good", good)):
        if example:
            out += ["", f"{label}:", "", "```yaml", example, "```"]
    return "\n".join(out)


def render_rules() -> str:
    rules = sorted(load_all().values(), key=lambda r: r.code)
    index = ["| code | name | default | when | what it catches |", "|---|---|---|---|---|"]
    for rule in rules:
        summary = _split_doc(rule.doc)[0].replace("|", "\\|")
        index.append(
            f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) | `{rule.name}` | "
            f"{rule.severity.value} | {rule.when} | {summary} |"
        )
    return "\n\n".join(["\n".join(index), *(_rule_section(r) for r in rules)])


# ---------------------------------------------------------------- tables


def _type(column: Column) -> str:
    if column.kind is Kind.JSON:
        return "mapping (JSON)"
    if column.hostgroup:
        return "hostgroup name or id"
    if column.flag:
        return "0/1 or true/false"
    if column.secret:
        return "string or secret reference"
    return "integer" if column.kind is Kind.INT else "string"


def _default(column: Column) -> str:
    if column.required:
        return "**required**"
    if column.default is None:
        return "NULL"
    if column.default == "":
        return "`''`"
    return f"`{column.default}`"


def _constraint(column: Column) -> str:
    check = column.check
    if check is None or column.flag:
        return ""
    if isinstance(check, Range):
        if check.min is not None and check.max is not None:
            return f"{check.min}..{check.max}"
        return f">= {check.min}" if check.min is not None else f"<= {check.max}"
    if isinstance(check, OneOf):
        values = ", ".join(f"`{v}`" for v in check.values)
        return f"one of {values}" + (" (any case)" if check.case_insensitive else "")
    if isinstance(check, StartsWith):
        return f"starts with `{check.prefix}`"
    return ""


def _table_section(table: Table) -> str:
    module = table.module
    synced = "synced by ProxySQL Cluster" if module.synced else "not synced by ProxySQL Cluster"
    keys = ", ".join(f"`{k}`" for k in table.key)
    versions = " and ".join(table.versions)
    loads = (
        f"Module: `LOAD {module.keyword} TO RUNTIME` ({synced})."
        if module.loadable
        else "No LOAD or SAVE command exists for it (its rows never reach runtime or disk)."
    )
    out = [
        f"### `{table.name}`",
        "",
        table.description,
        "",
        f"ProxySQL {versions}. {loads} Key: {keys}.",
    ]
    if table.unique:
        uniques = "; ".join(", ".join(f"`{c}`" for c in u) for u in table.unique)
        out[-1] += f" Unique: {uniques}."
    if table.auto_id:
        out[-1] += f" `{table.auto_id}` is required in the spec (rows are matched by it)."
    for check in table.row_checks:
        out[-1] += f" Row check: {check.describe()}."
    if table.monitor_owned:
        owned = ", ".join(f"`{c}`" for c in table.monitor_owned)
        out[-1] += f" The Monitor rewrites {owned} at runtime (not drift)."
    out += ["", "| column | type | default | allowed | notes |", "|---|---|---|---|---|"]
    for column in table.columns:
        notes = column.description.replace("|", "\\|")
        if not column.not_null and not column.required:
            notes = ("nullable. " + notes).strip()
        out.append(
            f"| `{column.name}` | {_type(column)} | {_default(column)} | "
            f"{_constraint(column)} | {notes} |"
        )
    return "\n".join(out)


def render_tables() -> str:
    return "\n\n".join(_table_section(t) for t in TABLES)


# ---------------------------------------------------------------- the file


def update(text: str) -> str:
    rendered = {"tables": render_tables(), "rules": render_rules()}
    for part, (begin, end) in MARKERS.items():
        if begin not in text or end not in text:
            raise SystemExit(f"{SPEC_MD}: markers {begin} / {end} are missing")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n\n{rendered[part]}\n\n{end}{tail}"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/spec.md's generated parts.")
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = parser.parse_args()
    current = SPEC_MD.read_text()
    fresh = update(current)
    if args.check:
        if fresh != current:
            print("docs/spec.md is stale: run `python scripts/gen_rule_docs.py`", file=sys.stderr)
            return 1
        return 0
    SPEC_MD.write_text(fresh)
    print(f"wrote {SPEC_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
