"""Compile a loaded spec into `Desired`: complete rows per table and variables by full name.

Every omitted column gets ProxySQL's table default, hostgroup names become ids, flags become
0/1 and JSON columns become compact JSON text, so desired rows compare directly with what a
node shows. Secrets stay references (`SecretRef`) until plan/apply resolves them.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from proxysql_iac.findings import Finding, Severity
from proxysql_iac.spec.load import LoadedSpec, PathT, did_you_mean
from proxysql_iac.spec.models import Cluster, SecretRef
from proxysql_iac.spec.tables import (
    DEFAULT_VERSION,
    SPEC_TABLES,
    SPEC_VARIABLE_PREFIX,
    VERSIONS,
    Column,
    Kind,
    Load,
    Table,
)

Value = int | str | None | SecretRef


@dataclass(frozen=True)
class DesiredRow:
    values: dict[str, Value]
    origin: PathT  # where the row was written, e.g. ("mysql_servers", 3)
    written: frozenset[str]  # columns the spec wrote explicitly

    def key(self, table: Table) -> tuple[Value, ...]:
        return tuple(self.values[c] for c in table.key)


@dataclass(frozen=True)
class DesiredVariable:
    name: str  # full name, e.g. mysql-monitor_username
    value: bool | int | float | str | SecretRef | None  # as written
    origin: PathT

    @property
    def text(self) -> str | None:
        """The value as ProxySQL stores it (None for an unresolved secret)."""
        return variable_text(self.value)


def variable_text(value: bool | int | float | str | SecretRef | None) -> str | None:
    if isinstance(value, SecretRef):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


@dataclass
class Desired:
    tables: dict[str, list[DesiredRow]] = field(default_factory=dict)
    variables: dict[str, DesiredVariable] = field(default_factory=dict)
    hostgroups: dict[str, int] = field(default_factory=dict)
    cluster: Cluster | None = None
    rule_overrides: dict[str, str] = field(default_factory=dict)
    proxysql_version: str = DEFAULT_VERSION  # the release series the spec targets

    def rows(self, table: str) -> list[DesiredRow]:
        return self.tables.get(table, [])

    def manages(self, table: str) -> bool:
        return table in self.tables


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _column_value(column: Column, raw: Any, hostgroups: dict[str, int]) -> tuple[Value, str | None]:
    """The stored form of one written value, or an error message for PXC140."""
    if raw is None:
        return None, None
    if column.kind is Kind.INT:
        if isinstance(raw, bool):
            return int(raw), None
        if isinstance(raw, str) and column.hostgroup:
            if raw in hostgroups:
                return hostgroups[raw], None
            return None, raw
        return raw, None
    if column.kind is Kind.JSON:
        if isinstance(raw, (dict, list)):
            return compact_json(raw), None
        return raw, None
    if column.secret and isinstance(raw, dict):
        return _secret_ref(raw), None
    return raw, None


def _secret_ref(raw: dict[str, Any]) -> SecretRef:
    """A reference the model has already validated (rows with shape errors are skipped):
    building it without validating again halves compile time on 50,000 users."""
    written: set[str] = {k for k in ("env", "file") if k in raw}
    return SecretRef.model_construct(written, env=raw.get("env"), file=raw.get("file"))


def _bad_paths(findings: list[Finding]) -> set[str]:
    return {f.path for f in findings if f.severity is Severity.ERROR}


def compile_spec(loaded: LoadedSpec) -> tuple[Desired, list[Finding]]:
    """Resolve names and defaults. Rows with shape errors already reported are skipped."""
    data = loaded.data
    findings: list[Finding] = []
    bad = _bad_paths(loaded.findings)
    desired = Desired()
    hostgroups = data.get("hostgroups")
    if isinstance(hostgroups, dict):
        desired.hostgroups = {
            str(k): v
            for k, v in hostgroups.items()
            if isinstance(v, int) and not isinstance(v, bool)
        }
    model = loaded.model
    if model is not None:
        desired.cluster = getattr(model, "cluster", None)
        desired.rule_overrides = dict(getattr(model, "rules", None) or {})
    # read from the data, so that a spec with a shape error elsewhere still checks its version
    cluster = data.get("cluster")
    version = cluster.get("proxysql_version") if isinstance(cluster, dict) else None
    if version in VERSIONS:
        desired.proxysql_version = version
    for table in SPEC_TABLES:
        section = data.get(table.name)
        if section is None and table.name not in data:
            continue
        if not isinstance(section, list):
            if section is None:
                desired.tables[table.name] = []
            continue
        rows: list[DesiredRow] = []
        for index, raw_row in enumerate(section):
            if not isinstance(raw_row, dict):
                continue
            prefix = f"{table.name}[{index}]"
            if prefix in bad or any(p.startswith(prefix + ".") for p in bad):
                continue
            row = _compile_row(table, raw_row, (table.name, index), desired.hostgroups, loaded)
            if isinstance(row, Finding):
                findings.append(row)
                continue
            rows.append(row)
        desired.tables[table.name] = rows
    for section, prefix in SPEC_VARIABLE_PREFIX.items():
        variables = data.get(section)
        if not isinstance(variables, dict):
            continue
        for name, value in variables.items():
            if f"{section}.{name}" in bad:
                continue
            if isinstance(value, dict):
                value = _secret_ref(value)
            full = prefix + str(name)
            desired.variables[full] = DesiredVariable(full, value, (section, str(name)))
    return desired, findings


def _compile_row(
    table: Table,
    raw: dict[str, Any],
    origin: PathT,
    hostgroups: dict[str, int],
    loaded: LoadedSpec,
) -> DesiredRow | Finding:
    values: dict[str, Value] = dict(_DEFAULTS[table.name])
    written = []
    for name, raw_value in raw.items():
        column = table.column_by_name.get(name)
        if column is not None:
            written.append(name)
            value, unknown = _column_value(column, raw_value, hostgroups)
            if unknown is not None:
                hint = "define it under `hostgroups:` or write the hostgroup id"
                if hostgroups:
                    hint = did_you_mean(unknown, list(hostgroups)) or hint
                return loaded.finding(
                    "PXC140",
                    Severity.ERROR,
                    (*origin, column.name),
                    f"hostgroup name {unknown!r} is not defined in `hostgroups:`",
                    hint,
                )
            values[name] = value
    for column in _REWRITTEN[table.name]:
        value = values[column.name]
        if value is None or isinstance(value, str):
            values[column.name] = column.loaded(value)
    return DesiredRow(values, origin, frozenset(written))


# Text columns whose values LOAD rewrites (`online` runs as `ONLINE`): compiled to the form
# runtime shows, so memory, runtime and every peer hold one value and plans stay empty.
_REWRITTEN: dict[str, list[Column]] = {
    t.name: [c for c in t.columns if c.load is not Load.KEEP and not c.secret] for t in SPEC_TABLES
}
# Every row starts from its table's defaults, in column order (the order rows compare in).
_DEFAULTS: dict[str, dict[str, Value]] = {
    t.name: {c.name: c.default for c in t.columns} for t in SPEC_TABLES
}
