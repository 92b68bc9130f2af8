"""`pxc render`: the spec as a bootstrap SQL script for an empty node, or as a proxysql.cnf.

Offline. Secrets appear as `<secret>` unless `reveal_secrets` (then they are resolved from the
environment and files). Password hashes are not secrets and are written as they are.

SQL (`--format sql`): runnable as is with the mysql client, and exactly one statement per
line, each ending with `;`, so a line-based reader splits it without parsing SQL. No
statement spans lines: line breaks inside values are written as `char(10)` pieces joined
with `||` (see `admin.sql.literal(..., one_line=True)`), and comment lines start with `-- `.

cnf (`--format cnf`): libconfig for ProxySQL's first boot, from a jinja2 template. Where the
file's reader (ProxySQL_Config.cpp) defaults a column differently from the table, or cannot
express a value at all, the file states the column explicitly or leaves the row out and
says so in its header.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path

import jinja2

from proxysql_iac.admin import sql
from proxysql_iac.plan.order import BATCH_ROWS
from proxysql_iac.planning import load_desired
from proxysql_iac.rules.plaintext_secrets import is_hash
from proxysql_iac.secrets import SecretStore
from proxysql_iac.spec.compile import Desired, DesiredRow, Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import (
    MODULES,
    TABLES,
    VARIABLE_PREFIX,
    VARIABLE_SECTIONS,
    CnfSection,
    Kind,
    Module,
    Table,
    variable_module,
)
from proxysql_iac.spec.variables import catalog_for, is_secret_variable

PLACEHOLDER = "<secret>"


class RenderFormat(StrEnum):
    sql = "sql"
    cnf = "cnf"


@dataclass
class Rendered:
    text: str
    placeholders: int = 0  # secret values written as <secret>
    not_representable: list[str] = field(default_factory=list)  # cnf: what the file cannot say


class _Secrets:
    """Turns secret values into placeholders, or resolves them (`reveal`)."""

    def __init__(self, store: SecretStore | None) -> None:
        self.store = store
        self.placeholders = 0

    def _hide(self, value: str | SecretRef) -> str:
        if self.store is None:
            self.placeholders += 1
            return PLACEHOLDER
        return self.store.resolve(value) if isinstance(value, SecretRef) else value

    def column(self, secret: bool, value: Value) -> int | str | None:
        if isinstance(value, SecretRef):
            return self._hide(value)
        if secret and isinstance(value, str) and value and not is_hash(value):
            return self._hide(value)
        return value

    def variable(self, name: str, value: bool | int | float | str | SecretRef | None) -> str:
        if isinstance(value, SecretRef):
            return self._hide(value)
        text = _variable_text(value)
        if is_secret_variable(name) and text:
            return self._hide(text)
        return text


def _variable_text(value: bool | int | float | str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _store(files: Sequence[str | Path], reveal: bool) -> SecretStore | None:
    if not reveal:
        return None
    return SecretStore.of_spec(files)


def render(
    files: Sequence[str | Path], fmt: RenderFormat, *, reveal_secrets: bool = False
) -> Rendered:
    """Validate the spec (errors stop it) and render it. Never connects."""
    desired = load_desired(files)
    secrets = _Secrets(_store(files, reveal_secrets))
    names = [str(f) for f in files]
    if fmt is RenderFormat.sql:
        return render_sql(desired, names, secrets)
    return render_cnf(desired, names, secrets)


def _module_variables(desired: Desired, module: Module) -> list[str]:
    return [n for n in sorted(desired.variables) if variable_module(n) is module]


# -- SQL ------------------------------------------------------------------------------

_SQL_HEADER = """\
-- Bootstrap script for an EMPTY ProxySQL {version} node, rendered by `pxc render --format sql`
-- from: {files}
-- Run it as is:  mysql -h HOST -P 6032 -u ADMIN_USER -p < this-file.sql
-- One statement per line, each ending with ';'; no statement spans lines (a line break in
-- a value is written as char(10), char(13), ... joined with '||', and a backslash the mysql
-- client would take for an escape as char(92)). Lines starting with '-- ' are comments.
-- Per module, in dependency order: DELETE every table the spec manages, INSERT its rows
-- ({batch} per statement), update variables by name in global_variables (never SET),
-- LOAD ... TO RUNTIME, SAVE ... TO DISK.
-- Not for a node that is already in a cluster: every LOAD here gets a new epoch, so the
-- peers would pull this node's configuration. Use `pxc apply` on the primary instead."""


def render_sql(desired: Desired, spec_files: Sequence[str], secrets: _Secrets) -> Rendered:
    body: list[str] = []
    for module in MODULES:
        lines = _module_lines(desired, module, secrets)
        if lines:
            body.extend([f"-- {module.keyword}", *lines, ""])
    header = _SQL_HEADER.format(
        version=desired.proxysql_version, files=", ".join(spec_files), batch=BATCH_ROWS
    ).split("\n")
    if secrets.placeholders:
        header += [
            f"-- {secrets.placeholders} secret value(s) are written as '{PLACEHOLDER}': replace "
            "them before running,",
            "-- or render with --reveal-secrets (and keep the output private).",
        ]
    text = "\n".join([*header, "", *body]).rstrip("\n") + "\n"
    return Rendered(text, secrets.placeholders)


def _module_lines(desired: Desired, module: Module, secrets: _Secrets) -> list[str]:
    """DELETE, INSERT, variable updates, LOAD and SAVE of one module: one statement a line.
    A module with no LOAD or SAVE command is not written (as `pxc plan` does not, PXC144):
    its rows would stay in memory, unused and lost at the next restart."""
    tables = [t for t in TABLES if t.module is module and desired.manages(t.name)]
    variables = _module_variables(desired, module)
    if not tables and not variables:
        return []
    if not module.loadable:
        return [
            f"-- {t.name}: {len(desired.rows(t.name))} row(s) NOT rendered: ProxySQL "
            f"{desired.proxysql_version} has no LOAD or SAVE command for it, so they would "
            "never take effect (PXC144)"
            for t in tables
        ]
    catalog = catalog_for(desired.proxysql_version)
    statements = [sql.delete_all(table.name) for table in tables]
    comments = []
    for table in tables:
        rows = [_sql_row(table, row, secrets) for row in desired.rows(table.name)]
        for start in range(0, len(rows), BATCH_ROWS):
            chunk = rows[start : start + BATCH_ROWS]
            statements.append(sql.insert_rows(table.name, table.column_names, chunk, one_line=True))
    for name in variables:
        info = catalog.get(name)
        if info is not None and info.restart_only:
            comments.append(f"-- {name} takes effect only at the next restart")
        text = secrets.variable(name, desired.variables[name].value)
        statements.append(sql.set_variable(name, text, one_line=True))
    statements.append(sql.load_to_runtime(module.keyword))
    statements.append(sql.save_to_disk(module.keyword))
    return [*comments, *(s.sql + ";" for s in statements)]


def _sql_row(table: Table, row: DesiredRow, secrets: _Secrets) -> list[sql.SqlValue]:
    return [secrets.column(c.secret, row.values[c.name]) for c in table.columns]


# -- proxysql.cnf ---------------------------------------------------------------------


def cnf_string(text: str) -> str:
    """A libconfig string literal: backslash escapes as libconfig parses them."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\f":
            out.append("\\f")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def cnf_value(value: int | str) -> str:
    return str(value) if isinstance(value, int) else cnf_string(value)


class _Notes:
    """What the file cannot state, grouped by reason, with a few example rows each."""

    def __init__(self) -> None:
        self._groups: dict[str, list[str]] = {}

    def add(self, reason: str, example: str) -> None:
        self._groups.setdefault(reason, []).append(example)

    def lines(self) -> list[str]:
        out = []
        for reason, examples in self._groups.items():
            shown = ", ".join(examples[:3]) + (", ..." if len(examples) > 3 else "")
            out.append(f"{reason}: {len(examples)} row(s) ({shown})")
        return out


def _key_text(table: Table, row: DesiredRow) -> str:
    values = []
    for name in table.key:
        value = row.values[name]
        values.append(PLACEHOLDER if isinstance(value, SecretRef) else repr(value))
    return "(" + ", ".join(values) + ")"


def _cnf_row(
    section: CnfSection, table: Table, row: DesiredRow, secrets: _Secrets, notes: _Notes
) -> list[tuple[str, str]] | None:
    """The row's settings, or None (with a note) when the file cannot state it."""
    where = _key_text(table, row)
    settings: list[tuple[str, str]] = []
    problem: str | None = None
    for column in table.columns:
        value = secrets.column(column.secret, row.values[column.name])
        name = column.name
        nullable_int = column.kind is Kind.INT and not column.not_null
        if name in section.forced:
            if value != section.forced[name]:
                problem = (
                    f"{name}={value}: the config file does not read {name} "
                    f"(always {section.forced[name]})"
                )
            continue
        if value is None:
            if name in section.null_becomes:
                notes.add(
                    f"{table.name}.{name} NULL becomes {section.null_becomes[name]!r} when read "
                    "from the config file (rows kept)",
                    where,
                )
            continue
        accepted = section.accepted.get(name)
        if accepted and str(value).lower() not in accepted:
            problem = f"{name} {value!r} becomes {accepted[0]} in the config file"
        elif isinstance(value, int) and value < 0 and section.negative_is_null and nullable_int:
            problem = f"{name} {value} reads as NULL from the config file"
        elif isinstance(value, str) and name in section.double_quoted and '"' in value:
            problem = f"{name} holds '\"', which ProxySQL's reader does not escape"
        elif isinstance(value, str) and name in section.single_quoted and "'" in value:
            problem = f"{name} holds \"'\", which ProxySQL's reader does not escape"
        settings.append((name, cnf_value(value)))
    if problem is not None:
        notes.add(f"{table.name}: {problem}; left out", where)
        return None
    return settings


@dataclass
class _Group:
    name: str
    entries: list[tuple[str, str]]


@dataclass
class _Section:
    name: str
    rows: list[list[tuple[str, str]]]


def render_cnf(desired: Desired, spec_files: Sequence[str], secrets: _Secrets) -> Rendered:
    notes = _Notes()
    missing: list[str] = []
    groups = []
    for section_name, prefix in VARIABLE_PREFIX.items():
        entries = []
        for name in sorted(desired.variables):
            if not name.startswith(prefix):
                continue
            text = secrets.variable(name, desired.variables[name].value)
            if '"' in text:
                # Read_Global_Variables_from_configfile pastes the value between "..." unescaped.
                missing.append(
                    f"{name}: its value holds '\"', which ProxySQL's reader does not escape"
                )
                continue
            entries.append((name[len(prefix) :], cnf_string(text)))
        if entries:
            groups.append(_Group(section_name, entries))
    sections = []
    for table in TABLES:
        if not desired.manages(table.name):
            continue
        count = len(desired.rows(table.name))
        section = table.cnf
        if section is None:
            missing.append(f"{table.name} ({count} row(s)): {table.cnf_unreadable}")
            continue
        rows = []
        for row in desired.rows(table.name):
            settings = _cnf_row(section, table, row, secrets, notes)
            if settings is not None:
                rows.append(settings)
        sections.append(_Section(section.name, rows))
    not_representable = [_one_line(n) for n in (*missing, *notes.lines())]
    template = resources.files("proxysql_iac").joinpath("templates/proxysql.cnf.j2").read_text()
    env = jinja2.Environment(
        autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True
    )
    text = env.from_string(template).render(
        spec_files=spec_files,
        placeholders=secrets.placeholders,
        not_representable=not_representable,
        variable_groups=groups,
        sections=sections,
        pgsql=desired.proxysql_version in VARIABLE_SECTIONS["pgsql_variables"].versions,
    )
    return Rendered(text, secrets.placeholders, not_representable)


def _one_line(text: str) -> str:
    return re.sub(r"\s", " ", text)
