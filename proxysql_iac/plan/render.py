"""Rendering a Plan: terminal text, Markdown for pull requests (jinja2), versioned JSON."""

import json
from importlib import resources

import jinja2

from proxysql_iac.plan.diff import RowChange, VariableChange
from proxysql_iac.plan.model import Plan, plan_id, plan_to_dict, summary
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLES
from proxysql_iac.spec.variables import is_secret_variable

SECRET = "<secret>"


def _show(column: str, value: object) -> str:
    if column == "password" and value is not None:
        return SECRET
    if isinstance(value, SecretRef):
        return SECRET
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def row_lines(change: RowChange) -> list[str]:
    key = ", ".join(_show(c, v) for c, v in zip(_table(change.table).key, change.key, strict=True))
    if change.action == "add":
        written = ", ".join(
            f"{c}={_show(c, v)}" for c, v in change.new.items() if v != _default(change.table, c)
        )
        return [f"+ {change.table} ({key}) {written}".rstrip()]
    if change.action == "remove":
        return [f"- {change.table} ({key})"]
    parts = [f"{c}: {_show(c, change.old.get(c))} -> {_show(c, v)}" for c, v in change.new.items()]
    return [f"~ {change.table} ({key}) " + "; ".join(parts)]


def variable_line(change: VariableChange) -> str:
    secret = is_secret_variable(change.name) or isinstance(change.new, SecretRef)
    new = SECRET if secret else repr(change.new)
    if change.old is None:
        return f"+ {change.name} = {new}"
    old = SECRET if secret else repr(change.old)
    return f"~ {change.name}: {old} -> {new}"


def _table(name: str):  # type: ignore[no-untyped-def]
    return next(t for t in TABLES if t.name == name)


def _default(table: str, column: str) -> object:
    return _table(table).column_by_name[column].default


def grouped(plan: Plan) -> tuple[dict[str, list[str]], list[str]]:
    tables: dict[str, list[str]] = {}
    for change in plan.changes.rows:
        tables.setdefault(change.table, []).extend(row_lines(change))
    return tables, [variable_line(v) for v in plan.changes.variables]


def render_text(plan: Plan) -> str:
    tables, variables = grouped(plan)
    lines = [f"pxc plan for {plan.primary} ({plan.primary_address})", ""]
    for table, changes in tables.items():
        lines.append(f"{table}:")
        lines.extend(f"  {c}" for c in changes)
    if variables:
        lines.append("global_variables:")
        lines.extend(f"  {v}" for v in variables)
    for step in plan.steps:
        if step.reason:
            action = "LOAD and SAVE" if step.load else "SAVE" if step.save else "write"
            lines.append(f"{step.module}: {action} ({step.reason})")
    if not plan.has_changes:
        lines.append("No changes. The primary's memory matches the spec.")
    else:
        lines.append("")
        for module, c in summary(plan).items():
            lines.append(
                f"{module}: {c['add']} to add, {c['change']} to change, {c['destroy']} to destroy"
            )
    if plan.destructive:
        lines.append("")
        lines.append("Destructive changes (need --allow-destructive):")
        lines.extend(f"  ! {d}" for d in plan.destructive)
    if plan.findings:
        lines.append("")
        lines.extend(f"{f.severity.value} {f.code}: {f.message}" for f in plan.findings)
    if plan.drift:
        lines.append("")
        lines.append("Live state not planned as changes:")
        lines.extend(f"  * {d}" for d in plan.drift)
    lines.extend(["", f"Plan ID: {plan_id(plan)}"])
    return "\n".join(lines)


def render_markdown(plan: Plan) -> str:
    text = resources.files("proxysql_iac.plan").joinpath("templates/plan.md.j2").read_text()
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, trim_blocks=False)
    tables, variables = grouped(plan)
    return env.from_string(text).render(
        plan=plan, summary=summary(plan), tables=tables, variables=variables, plan_id=plan_id(plan)
    )


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan, for_file=False), indent=2, ensure_ascii=False)
