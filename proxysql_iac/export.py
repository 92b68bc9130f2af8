"""`pxc export`: one node's memory tables and variables → a spec that plans no changes.

Generic over spec/tables.py: every table is read with its columns in order, only columns that
differ from the table default are written, rows are sorted by key, hostgroup columns use names
derived from the topology tables, and secrets become `{env: NAME}` references.
"""

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proxysql_iac.admin.connection import AdminConnection, Endpoint, Row
from proxysql_iac.admin.live import read_rows, read_variables, read_version
from proxysql_iac.errors import AdminQueryError, PxcError, SpecError
from proxysql_iac.export_yaml import Flow, comment_text, dump
from proxysql_iac.findings import Finding, Severity, has_errors
from proxysql_iac.plan.versions import series
from proxysql_iac.planning import client_tls, endpoints
from proxysql_iac.rules import load_all
from proxysql_iac.rules.admin_tls import tls_contradictions
from proxysql_iac.secrets import SecretStore, native_password_hash
from proxysql_iac.spec.load import did_you_mean
from proxysql_iac.spec.models import AdminTls, Cluster, SecretRef
from proxysql_iac.spec.tables import (
    DEFAULT_VERSION,
    TABLES,
    VARIABLE_PREFIX,
    Column,
    Kind,
    Table,
    tables_on,
)
from proxysql_iac.spec.variables import VariableCatalog, catalog_for, is_secret_variable
from proxysql_iac.validate import validate_files

ADMIN_PASSWORD_ENV = "PXC_ADMIN_PASSWORD"
VARIABLE_SECTIONS = tuple(VARIABLE_PREFIX)  # mysql_variables, admin_variables, pgsql_variables
SECTION_NAMES = (*(t.name for t in TABLES), *VARIABLE_SECTIONS)

# Read-only status, not configuration: LOAD resets it.
_NOT_CONFIGURATION = frozenset({"admin-version"})
# Listener addresses: each node has its own and ProxySQL Cluster does not sync them, so one
# spec value cannot be right for every node (and PXC132 checks it against each node's port).
# They belong to each node's proxysql.cnf: export names them but does not write them.
_NODE_LOCAL = frozenset(
    {
        "admin-mysql_ifaces",
        "pgsql-interfaces",
        "admin-restapi_port",
        "admin-telnet_admin_ifaces",
        "admin-telnet_stats_ifaces",
        "admin-web_port",
        "mysql-interfaces",
    }
)
# Written even when they hold the table default: an omitted query-rule `active` reads as a
# mistake (PXC112), so the exported spec says it.
_ALWAYS_WRITTEN = frozenset({("mysql_query_rules", "active"), ("pgsql_query_rules", "active")})
_OVERRIDE_NOTE = (
    "the live configuration has problems validate reports as errors; set to warning in "
    "`rules:` so that plan works (fix them, then remove the override): "
)
_NATIVE_HASH = re.compile(r"^\*[0-9A-Fa-f]{40}$")
_ROLE_COLUMN = re.compile(r"^(\w+)_hostgroup$")


@dataclass(frozen=True)
class SecretName:
    """An environment variable the exported spec refers to, and what it must hold."""

    env: str
    holds: str  # for people: what to put in it
    source: tuple[str, ...]  # ("admin",), ("variable", name) or (table, *key)


@dataclass
class Export:
    text: str
    node: str
    address: str
    version: str
    transport: str = ""  # how pxc reached the node, e.g. "TLSv1.3 (verify_ca)"
    secrets: list[SecretName] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # validate on the written spec

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


@dataclass(frozen=True)
class Target:
    """The node to read, and the `cluster:` block the exported spec gets."""

    endpoint: Endpoint
    cluster: dict[str, Any]
    secrets: tuple[SecretName, ...]


@dataclass
class NodeConfig:
    """What was read from the node, every value as the text it sent."""

    version: str
    rows: dict[str, list[Row]]
    variables: dict[str, str] | None  # None: variables were not requested
    missing: list[str] = field(default_factory=list)  # tables the node does not have
    unloadable: list[str] = field(default_factory=list)  # tables no command loads: not read
    transport: str = ""  # how it was read, e.g. "TLSv1.3 (verify_ca)"

    @property
    def series(self) -> str:
        """The release series whose tables and variables the node has (2.7 when unknown)."""
        return series(self.version) or DEFAULT_VERSION


def run_export(
    *,
    host: str | None = None,
    port: int = 6032,
    user: str = "radmin",
    password: str | None = None,
    spec_files: Sequence[str | Path] = (),
    node: str | None = None,
    tables: Sequence[str] | None = None,
    keep_hashes: bool = False,
    tls: AdminTls | None = None,
    now: datetime | None = None,
) -> Export:
    """Read the node given by address or by a spec's `cluster:` block, and write its spec.

    `tls`: how to reach a node given by address (the spec's own settings otherwise); the
    exported `cluster.admin.tls` says the same, so plan connects the way export did."""
    sections = select_sections(tables)
    if node is not None and not spec_files:
        raise PxcError("--node picks a node of a spec's cluster: give --spec too")
    if spec_files:
        if host is not None:
            raise PxcError("give either --host or --spec, not both")
        if tls is not None:
            raise PxcError(
                "the --tls options go with --host", "with --spec, the spec's TLS settings are used"
            )
        target = target_from_spec(spec_files, node)
    else:
        if host is None:
            raise PxcError("nothing to read", "give --host (and --port), or --spec FILE")
        if password is None:
            raise PxcError(
                f"no admin password: set {ADMIN_PASSWORD_ENV}",
                "or run pxc export on a terminal to be asked for it",
            )
        target = target_from_address(host, port, user, password, tls or AdminTls())
    with AdminConnection(target.endpoint) as conn:
        config = read_node(conn, sections, explicit=tables is not None)
        mode = target.endpoint.tls.mode.value
        config.transport = f"{conn.tls_version or 'plaintext'} ({mode})"
    return export_config(
        config,
        target,
        sections=sections,
        explicit=tables is not None,
        keep_hashes=keep_hashes,
        now=now or datetime.now(UTC),
    )


def select_sections(names: Sequence[str] | None) -> tuple[str, ...]:
    if names is None:
        return SECTION_NAMES
    unknown = [n for n in names if n not in SECTION_NAMES]
    if unknown:
        hint = did_you_mean(unknown[0], list(SECTION_NAMES)) or (
            "sections are table names and mysql_variables, admin_variables, pgsql_variables"
        )
        raise PxcError(f"unknown table {unknown[0]!r} in --tables", hint)
    return tuple(n for n in SECTION_NAMES if n in names)


def target_from_address(host: str, port: int, user: str, password: str, tls: AdminTls) -> Target:
    name = f"{host}:{port}"
    for issue in tls_contradictions(name, host, port, tls):
        raise PxcError(f"the TLS options contradict each other: {issue.message}", issue.hint)
    admin: dict[str, Any] = {"user": user, "password": Flow(env=ADMIN_PASSWORD_ENV)}
    if tls.model_fields_set:
        admin["tls"] = _tls_block(tls, absolute=True)
    cluster = {
        "primary": name,
        "admin": admin,
        "nodes": [{"name": name, "host": host, "port": port}],
    }
    secret = SecretName(ADMIN_PASSWORD_ENV, f"the admin password of {user} on {name}", ("admin",))
    endpoint = Endpoint(name, host, port, user, password, tls=client_tls(tls, SecretStore()))
    return Target(endpoint, cluster, (secret,))


def tls_options(
    mode: str | None,
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
    server_name: str | None,
) -> AdminTls | None:
    """pxc export's --tls-* options as spec settings (None: none given); a CA alone means
    verify_ca, as the spec cannot hold a CA that nothing checks."""
    given = {
        "mode": str(mode) if mode else ("verify_ca" if ca is not None else None),
        "ca": str(ca) if ca is not None else None,
        "cert": str(cert) if cert is not None else None,
        "key": str(key) if key is not None else None,
        "server_name": server_name,
    }
    chosen = {k: v for k, v in given.items() if v is not None}
    return AdminTls.model_validate(chosen) if chosen else None


def _tls_block(tls: AdminTls, *, absolute: bool = False) -> Flow:
    """TLS settings as a spec writes them: the keys given, on one line; `absolute`: paths
    made absolute (they were relative to where pxc export ran)."""
    block = Flow()
    for key in AdminTls.model_fields:
        if key not in tls.model_fields_set:
            continue
        value = getattr(tls, key)
        if isinstance(value, SecretRef):
            value = Flow(value.model_dump(exclude_none=True))
        elif absolute and key in ("ca", "cert", "key") and isinstance(value, str):
            value = str(Path(value).expanduser().resolve())
        block[key] = value
    return block


def target_from_spec(files: Sequence[str | Path], node: str | None) -> Target:
    """The node from a spec's `cluster:` block (the primary unless `node` names another).

    Exporting the primary keeps the whole block, so plan checks the peers as before; another
    node gets a block of its own, as the primary of the exported spec.
    """
    validation = validate_files(files)
    cluster = validation.desired.cluster
    if cluster is None:
        raise SpecError(f"{files[0]} has no usable `cluster:` block", "or give --host and --port")
    name = node or cluster.primary
    chosen = next((n for n in cluster.nodes if n.name == name), None)
    if chosen is None:
        raise SpecError(
            f"no node {name!r} in the spec's cluster",
            did_you_mean(name, [n.name for n in cluster.nodes]) or "",
        )
    endpoint = next(e for e in endpoints(cluster, SecretStore.of_spec(files)) if e.name == name)
    block, secrets = _cluster_block(cluster, name)
    return Target(endpoint, block, tuple(secrets))


def _cluster_block(cluster: Cluster, node: str) -> tuple[dict[str, Any], list[SecretName]]:
    secrets: list[SecretName] = []

    def credentials(raw: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
        if raw is None:
            return None
        password = raw["password"]
        if not isinstance(password, dict):  # a literal never goes into an exported file
            password = {"env": ADMIN_PASSWORD_ENV}
        password = Flow(password)
        if "env" in password and all(s.env != password["env"] for s in secrets):
            secrets.append(
                SecretName(
                    password["env"], f"the admin password of {raw['user']} {where}", ("admin",)
                )
            )
        return {"user": raw["user"], "password": password}

    data = cluster.model_dump(mode="python", exclude_none=True)
    shared_tls = cluster.admin.tls if cluster.admin is not None else None
    for n, model in zip(data["nodes"], cluster.nodes, strict=True):
        if model.tls is not None:
            n["tls"] = _tls_block(model.tls)
    if node != cluster.primary:
        model = next(n for n in cluster.nodes if n.name == node)
        chosen = next(n for n in data["nodes"] if n["name"] == node)
        if "admin" not in chosen and "admin" in data:
            chosen["admin"] = {k: v for k, v in data["admin"].items() if k != "tls"}
        if shared_tls is not None:  # the node's settings in effect, now its own
            chosen["tls"] = _tls_block(cluster.tls_for(model))
        data = {k: v for k, v in data.items() if k == "name"}
        data["primary"] = node
        data["nodes"] = [chosen]
    if "admin" in data:
        data["admin"] = credentials(data["admin"], "on the nodes")
        if shared_tls is not None:
            data["admin"]["tls"] = _tls_block(shared_tls)
    for n in data["nodes"]:
        if "admin" in n:
            n["admin"] = credentials(n["admin"], f"on {n['name']}")
    return data, secrets


def read_node(conn: AdminConnection, sections: Sequence[str], *, explicit: bool) -> NodeConfig:
    """The node's memory: the tables its release series has (pgsql_* from 3.0 on)."""
    config = NodeConfig(version=read_version(conn), rows={}, variables=None)
    has = {t.name for t in tables_on(config.series)}
    for table in TABLES:
        if table.name not in sections:
            continue
        if table.name not in has:
            if explicit:
                config.missing.append(table.name)
            continue
        if not table.module.loadable:
            config.unloadable.append(table.name)
            continue
        try:
            config.rows[table.name] = read_rows(conn, table)
        except AdminQueryError:
            if explicit:
                raise
            config.missing.append(table.name)  # an older ProxySQL without this table
    if any(s in sections for s in VARIABLE_SECTIONS):
        config.variables = read_variables(conn, "global_variables")
    return config


def export_config(
    config: NodeConfig,
    target: Target,
    *,
    sections: Sequence[str] = SECTION_NAMES,
    explicit: bool = False,
    keep_hashes: bool = False,
    now: datetime,
) -> Export:
    """The spec for what was read (pure but for validating the text it produces)."""
    builder = _Builder(keep_hashes, {s.env for s in target.secrets}, catalog_for(config.series))
    tables = builder.tables(config, explicit)
    variables = builder.variables(config.variables or {}, sections)
    result = Export(
        text="",
        node=target.endpoint.name,
        address=target.endpoint.address,
        version=config.version,
        transport=config.transport,
        secrets=[*target.secrets, *builder.secrets],
        notes=builder.notes,
    )
    result.notes.extend(
        f"{name}: the node has no such table; not exported" for name in config.missing
    )
    result.notes.extend(
        f"{name}: ProxySQL has no LOAD or SAVE command for it, its rows never take effect; "
        "not exported"
        for name in config.unloadable
    )
    unsynced = [t.name for t in TABLES if tables.get(t.name) and not t.module.synced]
    if unsynced and len(target.cluster.get("nodes", [])) > 1:
        result.notes.append(
            f"{', '.join(unsynced)}: not synced by ProxySQL Cluster; pxc applies them to every "
            "node of cluster.nodes, so plan shows changes on peers whose rows differ"
        )
    cluster = dict(target.cluster)
    if config.series != DEFAULT_VERSION:
        cluster = {"proxysql_version": config.series, **cluster}
    body: dict[str, Any] = {"cluster": cluster}
    if builder.hostgroups:
        body["hostgroups"] = {
            name: hg for hg, name in sorted(builder.hostgroups.items(), key=lambda i: i[0])
        }
    body.update(tables)
    body.update(variables)
    result.text = _render(result, body, now)
    result.findings = _validate(result.text)
    overrides = _overrides(result.findings)
    if overrides:
        result.overrides = overrides
        body["rules"] = dict(overrides)
        result.notes.append(_OVERRIDE_NOTE + ", ".join(sorted(overrides)))
        result.text = _render(result, body, now)
        result.findings = _validate(result.text)
    return result


class _Builder:
    def __init__(self, keep_hashes: bool, taken: set[str], catalog: VariableCatalog) -> None:
        self.keep_hashes = keep_hashes
        self.catalog = catalog
        self.taken = set(taken)
        self.secrets: list[SecretName] = []
        self.notes: list[str] = []
        self.hostgroups: dict[int, str] = {}
        self._roles: dict[int, str] = {}
        self._secret_env: dict[tuple[str, str, str], str] = {}

    def tables(self, config: NodeConfig, explicit: bool) -> dict[str, list[dict[str, Any]]]:
        typed = {
            table.name: _sorted_rows(
                table, [dict(zip(table.column_names, r, strict=True)) for r in rows]
            )
            for table in TABLES
            if (rows := config.rows.get(table.name)) is not None
        }
        self._roles = _topology_roles(typed)
        out: dict[str, list[dict[str, Any]]] = {}
        for table in TABLES:
            rows_ = typed.get(table.name)
            if rows_ is None or (not rows_ and not explicit):
                continue
            out[table.name] = [self._row(table, row) for row in rows_]
        return out

    def _row(self, table: Table, row: dict[str, Any]) -> dict[str, Any]:
        written: dict[str, Any] = {}
        for column in table.columns:
            value = row[column.name]
            if (
                column.has_default
                and value == column.default
                and (table.name, column.name) not in _ALWAYS_WRITTEN
            ):
                continue
            written[column.name] = self._value(table, column, row, value)
        return written

    def _value(self, table: Table, column: Column, row: dict[str, Any], value: Any) -> Any:
        if value is None:
            return None
        if column.hostgroup and isinstance(value, int):
            return self._hostgroup(value)
        if column.secret and isinstance(value, str):
            return self._secret_column(table, column, row, value)
        if column.kind is Kind.JSON and isinstance(value, str):
            return _json_value(value)
        _check_text(value, f"{table.name} {_key_text(table, row)} {column.name}")
        return value

    def _hostgroup(self, hostgroup: int) -> str:
        if hostgroup not in self.hostgroups:
            role = self._roles.get(hostgroup)
            self.hostgroups[hostgroup] = f"{role}-{hostgroup}" if role else f"hg{hostgroup}"
        return self.hostgroups[hostgroup]

    def _secret_column(
        self, table: Table, column: Column, row: dict[str, Any], value: str
    ) -> str | dict[str, str]:
        if value == "":
            return value  # no password: nothing to hide
        if self.keep_hashes and _valid_text(value):
            if _NATIVE_HASH.match(value) or value.startswith("$A$"):
                return value  # the stored hash, as stored
            return native_password_hash(value)
        is_user = table.name == "mysql_users"
        who = str(row["username"]) if is_user else _key_text(table, row)
        reuse = (table.name, who, value)  # one user's two rows with one password: one name
        if reuse in self._secret_env:
            return Flow(env=self._secret_env[reuse])
        stem = (
            f"PXC_USER_{_env_part(who)}_PASSWORD"
            if is_user
            else (f"PXC_{_env_part(table.name)}_{_env_part(who)}_{_env_part(column.name)}")
        )
        env = self._unique(stem)
        self._secret_env[reuse] = env
        holds = (
            f"the password of mysql user {comment_text(json.dumps(who))}"
            if is_user
            else f"{table.name} {comment_text(who)} {column.name}"
        )
        key = tuple(str(row[c]) for c in table.key)
        self.secrets.append(SecretName(env, holds, (table.name, *key)))
        return Flow(env=env)

    def _unique(self, stem: str) -> str:
        env, n = stem, 1
        while env in self.taken:
            n += 1
            env = f"{stem}_{n}"
        self.taken.add(env)
        return env

    def variables(self, live: dict[str, str], sections: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {s: {} for s in VARIABLE_SECTIONS if s in sections}
        prefixes = {VARIABLE_PREFIX[s]: s for s in out}
        unknown: list[str] = []
        local: list[str] = []
        for name, text in sorted(live.items()):
            prefix = name.split("-", 1)[0] + "-"
            section = prefixes.get(prefix)
            if section is None or name in _NOT_CONFIGURATION:
                continue
            info = self.catalog.get(name)
            if info is None:
                unknown.append(name)
                continue
            if text == info.default:
                continue
            if name in _NODE_LOCAL:
                local.append(f"{name}={text}")
                continue
            short = name[len(prefix) :]
            if is_secret_variable(name):
                out[section][short] = self._secret_variable(name, text)
            else:
                _check_text(text, name)
                out[section][short] = _typed_variable(info.type, text)
        if local:
            self.notes.append(
                "not exported, this node's own listeners (not synced by ProxySQL Cluster; "
                "keep them in each node's proxysql.cnf): " + ", ".join(local)
            )
        if unknown:
            self.notes.append(
                "not exported, unknown to ProxySQL 2.7.1's variable list: " + ", ".join(unknown)
            )
        return {s: v for s, v in out.items() if v}

    def _secret_variable(self, name: str, text: str) -> str | dict[str, str]:
        if text == "":
            return text
        env = self._unique("PXC_" + _env_part(name))
        self.secrets.append(SecretName(env, f"the value of {name}", ("variable", name)))
        return Flow(env=env)


def _sort_value(value: Any) -> tuple[int, int, str]:
    if value is None:
        return (0, 0, "")
    if isinstance(value, int):
        return (1, value, "")
    return (2, 0, str(value))


def _sorted_rows(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: tuple(_sort_value(r[c]) for c in table.key))


def _topology_roles(rows: dict[str, list[dict[str, Any]]]) -> dict[int, str]:
    """writer/reader/backup-writer/offline for hostgroups of the topology tables.

    A topology table is one with a `writer_hostgroup` column; its `<role>_hostgroup` columns
    name the roles. The first role a hostgroup has (in table order) wins.
    """
    roles: dict[int, str] = {}
    for table in TABLES:
        if "writer_hostgroup" not in table.column_by_name:
            continue
        for row in rows.get(table.name, []):
            for column in table.hostgroup_columns:
                match = _ROLE_COLUMN.match(column)
                value = row[column]
                if match and isinstance(value, int):
                    roles.setdefault(value, match.group(1).replace("_", "-"))
    return roles


def _typed_variable(kind: str, text: str) -> bool | int | str:
    """The YAML value whose text (spec/compile.py `variable_text`) is exactly `text`."""
    if kind == "bool" and text in ("true", "false"):
        return text == "true"
    if kind == "int" and re.fullmatch(r"-?[0-9]+", text) and str(int(text)) == text:
        return int(text)
    return text


def _json_value(text: str) -> Any:
    """A JSON column as a YAML mapping (or list) when that reads back to the same JSON."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    if isinstance(parsed, (dict, list)) and _yaml_safe(parsed):
        return parsed
    return text


def _yaml_safe(value: Any) -> bool:
    if isinstance(value, dict):
        return all(k != "<<" and _valid_text(k) and _yaml_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_yaml_safe(v) for v in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, str):
        return _valid_text(value)
    return True


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _check_text(value: Any, where: str) -> None:
    if isinstance(value, str) and not _valid_text(value):
        raise PxcError(
            f"{comment_text(where)} holds bytes that are not UTF-8 text; a spec cannot hold them",
            "fix the value on the node, then export again",
        )


def _key_text(table: Table, row: dict[str, Any]) -> str:
    return "(" + ", ".join(str(row[c]) for c in table.key) + ")"


def _env_part(text: str) -> str:
    part = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    return part or "X"


def _render(result: Export, body: dict[str, Any], now: datetime) -> str:
    lines = [
        f"# Exported by pxc export from {comment_text(result.node)} ({result.address})"
        + (f" over {result.transport}," if result.transport else ","),
        f"# ProxySQL {comment_text(result.version)}, at {now.strftime('%Y-%m-%d %H:%M:%S UTC')}.",
        "#",
        "# Hostgroup names come from the topology tables (writer-<id>, reader-<id>, ...) or are",
        "# hg<id>: rename them to what they mean. Only values that differ from the defaults of",
        f"# ProxySQL {series(result.version) or DEFAULT_VERSION} (as recorded on 2.7.1 and "
        "3.0.1) are written.",
    ]
    if len(body["cluster"].get("nodes", [])) == 1:
        lines += [
            "#",
            "# cluster.nodes has only the node read: add its peers (see proxysql_servers) so that",
            "# plan and apply check them too.",
        ]
    if result.secrets:
        lines += ["#", "# Secrets are references; set these environment variables for plan/apply:"]
        width = max(len(s.env) for s in result.secrets)
        lines += [f"#   {s.env.ljust(width)}  {comment_text(s.holds)}" for s in result.secrets]
    if result.overrides:
        lines += [
            "#",
            "# The live configuration has problems validate reports as errors; `rules:` at the",
            "# end sets them to warning so that plan works. Fix them, then remove the override:",
        ]
        lines += [
            f"#   {f.code}: {comment_text(f.message)}"
            for f in result.findings
            if f.code in result.overrides and f.severity is Severity.ERROR
        ]
    notes = [n for n in result.notes if not n.startswith(_OVERRIDE_NOTE)]
    if notes:
        lines += ["#", "# Notes:"] + [f"#   {comment_text(n)}" for n in notes]
    parts = ["\n".join(lines) + "\n", "version: 1\n"]
    parts += [dump({name: value}) for name, value in body.items()]
    return "\n".join(parts)


def _validate(text: str) -> list[Finding]:
    with tempfile.TemporaryDirectory(prefix="pxc-export-") as tmp:
        path = Path(tmp) / "export.yaml"
        path.write_text(text, encoding="utf-8")
        findings = validate_files([path]).findings
    return findings


def _overrides(findings: list[Finding]) -> dict[str, str]:
    """Rule codes whose errors describe the live configuration as it is (not an export bug).

    Loader and compile errors are not among them: they would mean the exporter wrote
    something the spec format does not accept, and no override could make plan right.
    """
    rules = load_all()
    return {f.code: "warning" for f in findings if f.severity is Severity.ERROR and f.code in rules}


def describe(result: Export) -> list[str]:
    """What to tell the person who ran export (stderr): names to set, notes, findings."""
    over = f", over {result.transport}" if result.transport else ""
    lines = [f"exported {result.node} (ProxySQL {comment_text(result.version)}{over})"]
    if result.secrets:
        lines.append("set these environment variables before pxc plan/apply:")
        width = max(len(s.env) for s in result.secrets)
        lines += [f"  {s.env.ljust(width)}  {comment_text(s.holds)}" for s in result.secrets]
    lines += [f"note: {comment_text(n)}" for n in result.notes]
    for f in result.findings:
        lines.append(f"{f.severity.value} {f.code} [{f.path}]: {comment_text(f.message)}")
    return lines
