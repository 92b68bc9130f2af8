"""Compile a loaded spec into `Desired`: complete rows per table and variables by full name.

Every omitted column gets ProxySQL's table default, hostgroup names become ids, flags become
0/1 and JSON columns become compact JSON text, so desired rows compare directly with what a
node shows. Secrets stay references (`SecretRef`) until plan/apply resolves them.
"""

import json
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, NamedTuple, get_args

from pydantic import ValidationError

from proxysql_iac.findings import Finding, Severity
from proxysql_iac.spec.load import LoadedSpec, PathT, did_you_mean, format_path
from proxysql_iac.spec.models import Cluster, SecretRef, TlsModeName
from proxysql_iac.spec.tables import (
    DEFAULT_VERSION,
    TABLES,
    VARIABLE_PREFIX,
    VERSIONS,
    Column,
    Kind,
    Load,
    Table,
)

Value = int | str | None | SecretRef


class DesiredRow(NamedTuple):
    values: dict[str, Value]
    origin: PathT  # where the row was written, e.g. ("mysql_servers", 3)
    written: frozenset[str]  # columns the spec wrote explicitly (and that compiled)
    # Written columns whose value could not be compiled (a type error, an undefined hostgroup
    # name): only rows in `Desired.incomplete` have any; their values hold the default.
    failed: frozenset[str] = frozenset()

    def key(self, table: Table) -> tuple[Value, ...]:
        return tuple(self.values[c] for c in table.key)


class DesiredVariable(NamedTuple):
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


TlsValue = str | SecretRef | None


class WrittenTls(NamedTuple):
    """A `tls:` block as written: the keys given with a value of the right type (a mode's
    name, a path or a reference, a name; None where null was written)."""

    given: dict[str, TlsValue]
    unreadable: frozenset[str] = frozenset()  # keys written with a value of the wrong type


class WrittenCredentials(NamedTuple):
    user: str | None
    password: str | SecretRef | None
    tls: WrittenTls | None = None


class WrittenNode(NamedTuple):
    name: str | None
    host: str | None
    port: int | None
    admin: WrittenCredentials | None
    tls: WrittenTls | None = None


class WrittenCluster(NamedTuple):
    """The `cluster:` block as written, for validate's rules: each value of the right type
    is there, any other is None, so that an error in one value hides no finding about the
    others (plan and apply use the validated `Desired.cluster`)."""

    primary: str | None
    admin: WrittenCredentials | None
    nodes: tuple[WrittenNode, ...]


@dataclass
class Desired:
    tables: dict[str, list[DesiredRow]] = field(default_factory=dict)
    variables: dict[str, DesiredVariable] = field(default_factory=dict)
    hostgroups: dict[str, int] = field(default_factory=dict)
    cluster: Cluster | None = None  # None when absent or when it has errors
    rule_overrides: dict[str, str] = field(default_factory=dict)
    proxysql_version: str = DEFAULT_VERSION  # the release series the spec targets
    # What validate still checks when the spec has errors (plan and apply never get that far):
    # rows with a value that did not compile, and the cluster block as written.
    incomplete: dict[str, list[DesiredRow]] = field(default_factory=dict)
    written_cluster: WrittenCluster | None = None

    def rows(self, table: str) -> list[DesiredRow]:
        return self.tables.get(table, [])

    def written_rows(self, table: str) -> list[DesiredRow]:
        """Every row the spec wrote, complete or not: for checks of single values."""
        return [*self.tables.get(table, []), *self.incomplete.get(table, [])]

    def manages(self, table: str) -> bool:
        return table in self.tables


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _column_value(
    column: Column, raw: Any, hostgroups: dict[str, int], refs: "_References", origin: PathT
) -> tuple[Value, str | None]:
    """The stored form of one written value, or an error message for PXC140."""
    kind = type(raw)
    if kind is str:  # the common cases first: most values are stored as written
        if column.hostgroup and column.kind is Kind.INT:
            if raw in hostgroups:
                return hostgroups[raw], None
            return None, raw
        return raw, None
    if kind is int or raw is None:
        return raw, None
    if column.kind is Kind.INT:
        if isinstance(raw, bool):
            return int(raw), None
        return raw, None
    if column.kind is Kind.JSON:
        if isinstance(raw, (dict, list)):
            return compact_json(raw), None
        return raw, None
    if column.secret and isinstance(raw, dict):
        return refs.get(raw, (*origin, column.name)), None
    return raw, None


def _secret_ref(raw: dict[str, Any]) -> SecretRef:
    """A reference the model has already validated (rows with shape errors are skipped):
    building it without validating again halves compile time on 50,000 users."""
    written: set[str] = {k for k in ("env", "file") if k in raw}
    return SecretRef.model_construct(written, env=raw.get("env"), file=raw.get("file"))


class _References:
    """The secret references of one spec. A `file` path is relative to the spec file that
    wrote it; an `env` reference is the same wherever written, so 50,000 users that read one
    variable share one reference."""

    def __init__(self, loaded: LoadedSpec) -> None:
        self.loaded = loaded
        self.by_env: dict[tuple[Any, bool], SecretRef] = {}

    def get(self, raw: dict[str, Any], path: PathT) -> SecretRef:
        if raw.get("file") is None:
            key = (raw.get("env"), "file" in raw)
            ref = self.by_env.get(key)
            if ref is None:
                ref = self.by_env[key] = _secret_ref(raw)
            return ref
        return _secret_ref(raw).written_in(self.loaded.locate(path)[0])


def _bad_paths(findings: list[Finding]) -> set[str]:
    return {f.path for f in findings if f.severity is Severity.ERROR}


def _under(path: str, bad: AbstractSet[str]) -> bool:
    """Is `path`, or anything inside it, a path with an error?"""
    return path in bad or any(p.startswith((path + ".", path + "[")) for p in bad)


def compile_spec(loaded: LoadedSpec) -> tuple[Desired, list[Finding]]:
    """Resolve names and defaults. Rows with errors already reported stay out of the desired
    state; their well-typed values are kept in `incomplete` for validate's checks."""
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
    desired.rule_overrides = _rule_overrides(data.get("rules"))
    if "cluster" in data:
        desired.cluster = _cluster(data["cluster"], loaded)
        desired.written_cluster = _written_cluster(data["cluster"])
    # read from the data, so that a spec with a shape error elsewhere still checks its version
    cluster = data.get("cluster")
    version = cluster.get("proxysql_version") if isinstance(cluster, dict) else None
    if version in VERSIONS:
        desired.proxysql_version = version
    bad_rows = {p.partition(".")[0] for p in bad}  # "mysql_servers[3]" of any path inside it
    refs = _References(loaded)
    for table in TABLES:
        section = data.get(table.name)
        if section is None and table.name not in data:
            continue
        if not isinstance(section, list):
            if section is None:
                desired.tables[table.name] = []
            continue
        rows: list[DesiredRow] = []
        plans: dict[tuple[str, ...], _RowPlan] = {}
        for index, raw_row in enumerate(section):
            if not isinstance(raw_row, dict):
                continue
            suspect = bool(bad_rows) and f"{table.name}[{index}]" in bad_rows
            if not suspect:
                keys = tuple(raw_row)
                plan = plans.get(keys)
                if plan is None:
                    plan = plans[keys] = _RowPlan(table, keys)
                quick = plan.compile(raw_row, (table.name, index), desired.hostgroups, refs)
                if quick is not None:
                    rows.append(quick)
                    continue
            row, unknown = _compile_row(
                table,
                raw_row,
                (table.name, index),
                desired.hostgroups,
                refs,
                bad if suspect else _NO_PATHS,
            )
            findings.extend(unknown)
            if row.failed or unknown or suspect:
                desired.incomplete.setdefault(table.name, []).append(row)
            else:
                rows.append(row)
        desired.tables[table.name] = rows
    for section, prefix in VARIABLE_PREFIX.items():
        variables = data.get(section)
        if not isinstance(variables, dict):
            continue
        for name, value in variables.items():
            if f"{section}.{name}" in bad:
                continue
            if isinstance(value, dict):
                value = refs.get(value, (section, str(name)))
            full = prefix + str(name)
            desired.variables[full] = DesiredVariable(full, value, (section, str(name)))
    return desired, findings


def _rule_overrides(raw: Any) -> dict[str, str]:
    """The `rules:` section, also when another section has errors (its findings still obey
    it); entries that are not a code or name with a severity are the loader's PXC001."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if v in ("error", "warning", "info", "off")}


def _cluster(raw: Any, loaded: LoadedSpec) -> Cluster | None:
    """The cluster block, validated on its own (an error elsewhere does not hide it)."""
    try:
        cluster = Cluster.model_validate(raw)
    except ValidationError:
        return None
    if cluster.admin is not None and isinstance(cluster.admin.password, SecretRef):
        cluster.admin.password.written_in(loaded.locate(("cluster", "admin", "password"))[0])
    for index, node in enumerate(cluster.nodes):
        if node.admin is not None and isinstance(node.admin.password, SecretRef):
            path = ("cluster", "nodes", index, "admin", "password")
            node.admin.password.written_in(loaded.locate(path)[0])
    return cluster


def _written_cluster(raw: Any) -> WrittenCluster | None:
    if not isinstance(raw, dict):
        return None

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    def credentials(value: Any) -> WrittenCredentials | None:
        if not isinstance(value, dict):
            return None
        password = value.get("password")
        if isinstance(password, dict):
            try:
                password = SecretRef.model_validate(password)
            except ValidationError:
                password = None
        if not isinstance(password, (str, SecretRef)):
            password = None
        return WrittenCredentials(text(value.get("user")), password, _written_tls(value.get("tls")))

    nodes = []
    raw_nodes = raw.get("nodes")
    for node in raw_nodes if isinstance(raw_nodes, list) else []:
        node = node if isinstance(node, dict) else {}
        port = node.get("port", 6032)
        nodes.append(
            WrittenNode(
                text(node.get("name")),
                text(node.get("host")),
                port if isinstance(port, int) and not isinstance(port, bool) else None,
                credentials(node.get("admin")),
                _written_tls(node.get("tls")),
            )
        )
    return WrittenCluster(text(raw.get("primary")), credentials(raw.get("admin")), tuple(nodes))


def _written_tls(raw: Any) -> WrittenTls | None:
    if not isinstance(raw, dict):
        return None
    given: dict[str, TlsValue] = {}
    unreadable = set()
    for key, value in raw.items():
        if isinstance(value, dict) and key in ("ca", "cert", "key"):
            try:
                value = SecretRef.model_validate(value)
            except ValidationError:
                unreadable.add(key)
                continue
        if key == "mode" and value is not None and value not in get_args(TlsModeName):
            unreadable.add(key)
        elif value is None or isinstance(value, (str, SecretRef)):
            given[key] = value
        else:
            unreadable.add(key)
    return WrittenTls(given, frozenset(unreadable))


class _RowPlan:
    """How the rows of a table written with the same keys compile when every value is of
    the kind most are (a text, an integer, a defined hostgroup name, a secret reference):
    as `_compile_row` compiles them, without asking each column what it is. A row with any
    other value gets None, and `_compile_row` (which words what is wrong)."""

    AS_WRITTEN, HOSTGROUP, SECRET, REWRITTEN = range(4)

    def __init__(self, table: Table, keys: tuple[str, ...]) -> None:
        self.defaults = _DEFAULTS[table.name]
        self.steps: list[tuple[str, Column, int]] | None = []
        for name in keys:
            column = table.column_by_name.get(name)
            if column is None:
                continue  # an unknown key: the loader reported it
            if column.kind is Kind.JSON:
                self.steps = None
                break
            if column.hostgroup and column.kind is Kind.INT:
                how = self.HOSTGROUP
            elif column.secret:
                how = self.SECRET
            elif name in _REWRITTEN[table.name]:
                how = self.REWRITTEN
            else:
                how = self.AS_WRITTEN
            self.steps.append((name, column, how))
        self.written = frozenset(name for name, _, _ in self.steps or ())

    def compile(
        self,
        raw: dict[str, Any],
        origin: PathT,
        hostgroups: dict[str, int],
        refs: _References,
    ) -> DesiredRow | None:
        if self.steps is None:
            return None
        values: dict[str, Value] = dict(self.defaults)
        for name, column, how in self.steps:
            value = raw[name]
            kind = type(value)
            if kind is int or value is None:
                if how == self.REWRITTEN:
                    value = column.loaded(value) if value is None else value
            elif kind is str:
                if how == self.HOSTGROUP:
                    value = hostgroups.get(value)
                    if value is None:
                        return None  # an undefined name: PXC140
                elif how == self.REWRITTEN:
                    value = column.loaded(value)
            elif how == self.SECRET and isinstance(value, dict):
                value = refs.get(value, (*origin, name))
            else:
                return None
            values[name] = value
        return DesiredRow(values, origin, self.written)


def _compile_row(
    table: Table,
    raw: dict[str, Any],
    origin: PathT,
    hostgroups: dict[str, int],
    refs: _References,
    bad: AbstractSet[str],
) -> tuple[DesiredRow, list[Finding]]:
    """The row, and a PXC140 finding for every hostgroup name that is not defined. A column
    with an error already reported (`bad`: the error paths inside this row) or an undefined
    name is left at its default and listed in the row's `failed`."""
    values: dict[str, Value] = dict(_DEFAULTS[table.name])
    written = []
    failed = []
    findings = []
    columns = table.column_by_name
    rewritten = _REWRITTEN[table.name]
    prefix = format_path(origin) if bad else ""
    for name, raw_value in raw.items():
        column = columns.get(name)
        if column is None:
            continue  # an unknown key: the loader reported it
        if bad and _under(f"{prefix}.{name}", bad):
            failed.append(name)
            continue
        value, unknown = _column_value(column, raw_value, hostgroups, refs, origin)
        if unknown is not None:
            hint = "define it under `hostgroups:` or write the hostgroup id"
            if hostgroups:
                hint = did_you_mean(unknown, list(hostgroups)) or hint
            findings.append(
                refs.loaded.finding(
                    "PXC140",
                    Severity.ERROR,
                    (*origin, column.name),
                    f"hostgroup name {unknown!r} is not defined in `hostgroups:`",
                    hint,
                )
            )
            failed.append(name)
            continue
        if name in rewritten and (value is None or isinstance(value, str)):
            value = column.loaded(value)
        values[name] = value
        written.append(name)
    return DesiredRow(values, origin, frozenset(written), frozenset(failed)), findings


_NO_PATHS: frozenset[str] = frozenset()

# Text columns whose values LOAD rewrites (`online` runs as `ONLINE`): compiled to the form
# runtime shows, so memory, runtime and every peer hold one value and plans stay empty.
_REWRITTEN: dict[str, frozenset[str]] = {
    t.name: frozenset(c.name for c in t.columns if c.load is not Load.KEEP and not c.secret)
    for t in TABLES
}


def _default(table: Table, column: Column) -> Value:
    if column.name in _REWRITTEN[table.name] and (
        column.default is None or isinstance(column.default, str)
    ):
        return column.loaded(column.default)
    return column.default


# Every row starts from its table's defaults as runtime shows them, in column order (the
# order rows compare in).
_DEFAULTS: dict[str, dict[str, Value]] = {
    t.name: {c.name: _default(t, c) for c in t.columns} for t in TABLES
}
