"""Rendering a Plan: terminal text, Markdown for pull requests (jinja2), versioned JSON.

The three carry the same facts: row and variable changes, steps without row changes,
destructive changes, findings, live state not planned, the cluster's health and a one-line
headline. Secret columns and variables are never rendered (the table descriptions and the
variable catalog say which they are). No rendering ends with a blank line.
"""

import json
import re
from importlib import resources

from proxysql_iac.admin.sql import SqlValue
from proxysql_iac.plan.diff import RowChange, VariableChange
from proxysql_iac.plan.model import (
    SECRET,
    Plan,
    headline,
    is_secret,
    plan_id,
    plan_to_dict,
    summary,
    variable_is_secret,
)
from proxysql_iac.plan.order import ModuleStep
from proxysql_iac.spec.compile import Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLE_BY_NAME, Kind


def _show(table: str, column: str, value: Value) -> str:
    if isinstance(value, SecretRef) or (value is not None and is_secret(table, column)):
        return SECRET
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def _key(table: str, key: tuple[SqlValue, ...]) -> str:
    columns = TABLE_BY_NAME[table].key
    return ", ".join(_show(table, c, v) for c, v in zip(columns, key, strict=True))


def row_lines(change: RowChange) -> list[str]:
    table = change.table
    key = _key(table, change.key)
    if change.action == "add":
        defaults = TABLE_BY_NAME[table].column_by_name
        written = ", ".join(
            f"{c}={_show(table, c, v)}" for c, v in change.new.items() if v != defaults[c].default
        )
        return [f"+ {table} ({key}) {written}".rstrip()]
    if change.action == "remove":
        return [f"- {table} ({key})"]
    parts = []
    for c, v in change.new.items():
        keys = _json_keys(table, c, change.old.get(c), v)
        parts += (
            keys if keys else [f"{c}: {_show(table, c, change.old.get(c))} -> {_show(table, c, v)}"]
        )
    return [f"~ {table} ({key}) " + "; ".join(parts)]


def _json_keys(table: str, column: str, old: object, new: object) -> list[str]:
    """A JSON column's change key by key (`servers_defaults.use_ssl: 0 -> 1`), or [] when
    either side is not a JSON object (then the whole values are shown)."""
    if TABLE_BY_NAME[table].column_by_name[column].kind is not Kind.JSON:
        return []
    try:
        before, after = json.loads(str(old)), json.loads(str(new))
    except ValueError:
        return []
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    from deepdiff import DeepDiff  # imported when needed: it costs a plan 0.08 s
    from deepdiff.helper import NotPresent

    lines = []
    for levels in DeepDiff(before, after, view="tree", verbose_level=2).values():
        for level in levels:
            path = ".".join([column, *map(str, level.path(output_format="list"))])
            was = "absent" if isinstance(level.t1, NotPresent) else json.dumps(level.t1)
            now = "absent" if isinstance(level.t2, NotPresent) else json.dumps(level.t2)
            lines.append(f"{path}: {was} -> {now}")
    return sorted(lines)


def variable_line(change: VariableChange) -> str:
    secret = variable_is_secret(change)
    new = SECRET if secret else repr(change.new)
    if change.old is None:
        return f"+ {change.name} = {new}"
    old = SECRET if secret else repr(change.old)
    return f"~ {change.name}: {old} -> {new}"


def step_line(step: ModuleStep) -> str:
    action = "LOAD and SAVE" if step.load else "SAVE" if step.save else "write"
    return f"{step.module}: {action} ({step.reason})"


def cluster_line(plan: Plan) -> str:
    """The peers' health in one line ("" for a single node)."""
    if not plan.health:
        return ""
    in_sync = [peer for peer, modules in plan.health.items() if not modules]
    parts = [
        f"{peer} differs from the primary on {', '.join(modules)}"
        for peer, modules in plan.health.items()
        if modules
    ]
    if in_sync:
        parts.append(f"{', '.join(in_sync)} in sync with the primary")
    return "Cluster: " + "; ".join(parts)


def destructive_heading(allow_destructive: bool) -> str:
    if allow_destructive:
        return "Destructive changes (allowed by --allow-destructive)"
    return "Destructive changes (apply needs --allow-destructive)"


def grouped(
    plan: Plan, limit: int | None = None
) -> tuple[dict[str, list[str]], list[str], dict[str, int]]:
    """Each table's change lines, the variables' lines, and per table how many changed rows
    were left out to keep to `limit` rows a table (None: every row)."""
    tables: dict[str, list[str]] = {}
    left_out: dict[str, int] = {}
    for change in plan.changes.rows:
        lines = tables.setdefault(change.table, [])
        if limit is not None and len(lines) >= limit:
            left_out[change.table] = left_out.get(change.table, 0) + 1
            continue
        lines.extend(row_lines(change))
    return tables, [variable_line(v) for v in plan.changes.variables], left_out


ROWS_LISTED = 100  # changed rows a text plan lists per table, unless asked for every row


def render_text(plan: Plan, *, allow_destructive: bool = False, all_rows: bool = False) -> str:
    """The plan for a terminal or a log. A table with more than ROWS_LISTED changed rows
    lists its first ROWS_LISTED and says how many more (`all_rows`: every one); the counts,
    the plan ID and every other section are whole either way."""
    tables, variables, left_out = grouped(plan, None if all_rows else ROWS_LISTED)
    lines = [f"pxc plan for {plan.primary} ({plan.primary_address})"]

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.append("")
            lines.extend([f"{title}:", *body] if title else body)

    changes: list[str] = []
    for table, rows in [*tables.items(), ("global_variables", variables)]:
        if rows:
            changes += [f"{table}:", *(f"  {row}" for row in rows)]
        if left_out.get(table):
            changes.append(
                f"  ... and {left_out[table]:,} more changed row(s) of {table} "
                "(--all-rows lists every one)"
            )
    section("", changes)
    section("Steps without row changes", [f"  {step_line(s)}" for s in plan.load_only_steps])
    section(
        "",
        [
            f"{module}: {c['add']} to add, {c['change']} to change, {c['destroy']} to destroy"
            for module, c in summary(plan).items()
        ],
    )
    section(destructive_heading(allow_destructive), [f"  ! {d}" for d in plan.destructive])
    section("", [f"{f.severity.value} {f.code}: {f.message}" for f in plan.findings])
    section("Live state not planned as changes", [f"  * {d}" for d in plan.drift])
    section("", [line for line in [cluster_line(plan)] if line])
    section("", [f"Plan ID: {plan_id(plan)}", headline(plan)])
    return "\n".join(lines)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def markdown_text(text: object) -> str:
    """Text from a spec or a node, shown as is in Markdown (no emphasis, code, links, tables
    or HTML): `&` as an entity, the other special characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text).replace("&", "&amp;"))


def code_fence(lines: list[str]) -> str:
    """A fence longer than any run of backticks in the lines, so that none closes it."""
    longest = max((len(run) for line in lines for run in re.findall("`+", line)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(plan: Plan, *, allow_destructive: bool = False) -> str:
    import jinja2  # imported when needed: a text plan or an apply does without it

    text = resources.files("proxysql_iac.plan").joinpath("templates/plan.md.j2").read_text()
    env = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = markdown_text
    env.filters["fence"] = code_fence
    tables, variables, _ = grouped(plan)
    rendered = env.from_string(text).render(
        plan=plan,
        headline=headline(plan),
        summary=summary(plan),
        tables=tables,
        variables=variables,
        steps=[step_line(s) for s in plan.load_only_steps],
        destructive_heading=destructive_heading(allow_destructive),
        cluster=cluster_line(plan),
        plan_id=plan_id(plan),
    )
    return re.sub(r"\n{3,}", "\n\n", rendered).strip("\n")


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan, for_file=False), indent=2, ensure_ascii=False)
