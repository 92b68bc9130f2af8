"""Rendering of compiled desired state (`pxc compile`): a table view and JSON. No secrets."""

import json
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from proxysql_iac.spec.compile import Desired, Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLES
from proxysql_iac.spec.variables import is_secret_variable

SECRET = "<secret>"


def shown(value: Value | bool | float, *, secret: bool = False) -> str | int | None:
    """A value as pxc may print it: secrets (references and literals) never appear."""
    if isinstance(value, SecretRef) or (secret and value is not None):
        return SECRET
    if isinstance(value, (bool, float)):
        return str(value)
    return value


def desired_as_dict(desired: Desired) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        if not desired.manages(table.name):
            continue
        tables[table.name] = [
            {c.name: shown(row.values[c.name], secret=c.secret) for c in table.columns}
            for row in desired.rows(table.name)
        ]
    variables = {
        name: (SECRET if (v.text is None or is_secret_variable(name)) else v.text)
        for name, v in sorted(desired.variables.items())
    }
    return {
        "format_version": 1,
        "hostgroups": dict(sorted(desired.hostgroups.items(), key=lambda kv: kv[1])),
        "tables": tables,
        "variables": variables,
    }


def render_compile_json(desired: Desired) -> str:
    return json.dumps(desired_as_dict(desired), indent=2, ensure_ascii=False)


def render_compile_text(desired: Desired, console: Console) -> None:
    data = desired_as_dict(desired)
    for name, rows in data["tables"].items():
        table = next(t for t in TABLES if t.name == name)
        view = RichTable(title=f"{name} ({len(rows)} rows)", title_justify="left")
        for column in table.columns:
            view.add_column(column.name, overflow="fold")
        for row in rows:
            view.add_row(*("NULL" if v is None else str(v) for v in row.values()))
        console.print(view)
    if data["variables"]:
        view = RichTable(title="global_variables", title_justify="left")
        view.add_column("variable_name")
        view.add_column("variable_value", overflow="fold")
        for name, value in data["variables"].items():
            view.add_row(name, value)
        console.print(view)
