"""The Plan: what will change, in which steps, computed from which live state."""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Any, NamedTuple

from proxysql_iac.admin.connection import Row
from proxysql_iac.admin.sql import SqlValue
from proxysql_iac.findings import Finding, Severity
from proxysql_iac.plan.diff import TABLE_MODULE, ChangeSet, RowChange, VariableChange
from proxysql_iac.plan.order import Batch, ModuleStep
from proxysql_iac.spec.compile import Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLES
from proxysql_iac.spec.variables import is_secret_variable

FORMAT_VERSION = 1
SECRET = "<secret>"
# Per table, its secret columns (from the table descriptions): never rendered.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    t.name: frozenset(c.name for c in t.columns if c.secret) for t in TABLES
}


class PeerState(NamedTuple):
    name: str
    address: str
    version: str
    checksums: dict[str, tuple[int, int, str]]  # name -> (version, epoch, checksum)


@dataclass
class Plan:
    spec_files: list[str]
    primary: str
    primary_address: str
    cluster: str  # the cluster's name in the spec, or its primary's address
    changes: ChangeSet
    steps: list[ModuleStep]
    findings: list[Finding] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    peers: list[PeerState] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # reported, never planned
    destructive: list[str] = field(default_factory=list)
    # every peer, and the modules on which it differs from the primary (none: in sync)
    health: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return not self.changes.empty or any(step.reason for step in self.steps)

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def load_only_steps(self) -> list[ModuleStep]:
        """Steps that change no row: a LOAD or SAVE of a module whose memory is the spec's
        already, a heal, or a module written on the peers only."""
        return [s for s in self.steps if s.reason]


def fingerprint_columns(columns: Sequence[tuple[str, str]]) -> str:
    """A digest of a table as (column name, the node's text of the column) pairs."""
    digest = hashlib.sha256()
    for name, text in columns:
        for part in (name, text):
            encoded = part.encode("utf-8", errors="surrogateescape")
            digest.update(b"%d:" % len(encoded) + encoded)
    return digest.hexdigest()[:32]


def fingerprint_rows(rows: list[Row]) -> str:
    # repr() of a list of tuples of str/None is unambiguous and fast.
    text = repr(rows).encode("utf-8", errors="surrogateescape")
    return hashlib.sha256(text).hexdigest()[:32]


def _value_json(value: Value) -> Any:
    # The builtin test first: isinstance() against a pydantic model is slow, and a plan of
    # 50,000 users holds 700,000 values.
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, SecretRef):
        return {"secret": value.describe()}
    return value


def _value_from_json(value: Any) -> Value:
    if value == {"secret": "inline"}:  # a clear-text password the file does not hold
        return SECRET
    if isinstance(value, dict) and "secret" in value:
        kind, _, ref = str(value["secret"]).partition(":")
        return SecretRef(env=ref) if kind == "env" else SecretRef(file=ref)
    if value is None or isinstance(value, (int, str)):
        return value
    raise ValueError(f"unexpected value in plan file: {value!r}")


def is_secret(table: str, column: str) -> bool:
    return column in SECRET_COLUMNS[table]


def variable_is_secret(change: VariableChange) -> bool:
    """A secret variable, or one whose value the spec keeps in a secret reference."""
    return is_secret_variable(change.name) or isinstance(change.new, SecretRef)


def _new_value(for_file: bool, secret: frozenset[str], column: str, value: Value) -> Any:
    if column not in secret or value is None:
        return value  # only a secret column holds a SecretRef
    if isinstance(value, SecretRef):
        return _value_json(value) if for_file else SECRET
    return {"secret": "inline"} if for_file else SECRET


def _old_value(for_file: bool, secret: frozenset[str], column: str, value: SqlValue) -> Any:
    return SECRET if value is not None and column in secret else value


def _shown(
    values: dict[str, Any], secret: frozenset[str], hide: Callable[..., Any], for_file: bool
) -> dict[str, Any]:
    out = dict(values)
    for column in secret.intersection(values) if secret else ():
        out[column] = hide(for_file, secret, column, out[column])
    return out


def _changes_to_dict(plan: Plan, *, for_file: bool) -> dict[str, Any]:
    """Secret columns and variables (by the table descriptions and the variable catalog) are
    references or `<secret>`; in a plan file, a secret written as a literal in the spec is
    `{"secret": "inline"}`."""
    rows = []
    for c in plan.changes.rows:
        secret = SECRET_COLUMNS[c.table]
        rows.append(
            {
                "table": c.table,
                "action": c.action,
                "key": list(c.key),
                "new": _shown(c.new, secret, _new_value, for_file),
                "old": _shown(c.old, secret, _old_value, for_file),
                "origin": list(c.origin),
            }
        )
    return {"rows": rows, "variables": _variables_to_list(plan, for_file=for_file)}


def _variables_to_list(plan: Plan, *, for_file: bool, for_id: bool = False) -> list[Any]:
    variables = []
    for v in plan.changes.variables:
        hidden = variable_is_secret(v)
        new: Any = v.new
        if isinstance(v.new, SecretRef):
            new = _value_json(v.new) if for_file else SECRET
        elif hidden:
            new = SECRET
        variables.append(
            {
                "name": v.name,
                "module": v.module,
                "old": SECRET if hidden and v.old else v.old,
                "new": new,
                **({} if for_id else {"origin": list(v.origin)}),
            }
        )
    return variables


def _rows_for_id(plan: Plan) -> list[Any]:
    """The row changes as `plan_id` digests them, as the plan file holds them less where
    each came from: a run of rows added to (or removed from) one table as one list per
    column, a change as its own mapping. Columns, not 60,000 mappings: their digest is made
    at the speed of the values' own encoding."""
    out: list[Any] = []
    for (table, action), run in groupby(plan.changes.rows, key=attrgetter("table", "action")):
        changes = list(run)
        secret = SECRET_COLUMNS[table]
        columns = None
        if action != "change" and not any(c.old if action == "add" else c.new for c in changes):
            columns = _as_columns([c.new if action == "add" else c.old for c in changes])
        if columns is None:
            out += [
                [
                    table,
                    action,
                    c.key,
                    _shown(c.new, secret, _new_value, True),
                    _shown(c.old, secret, _old_value, True),
                ]
                for c in changes
            ]
            continue
        hide: Callable[..., Any] = _new_value if action == "add" else _old_value
        for name in secret.intersection(columns):
            shown: dict[int, Any] = {}  # by value: 50,000 users share one reference
            for value in columns[name]:
                if id(value) not in shown:
                    shown[id(value)] = hide(True, secret, name, value)
            columns[name] = [shown[id(value)] for value in columns[name]]
        out.append([table, action, [c.key for c in changes], columns])
    return out


def _as_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]] | None:
    """Mappings with the same keys as one list of values per key (None: they differ)."""
    if len(set(map(len, rows))) != 1:
        return None
    try:
        return {name: [row[name] for row in rows] for name in rows[0]}
    except KeyError:
        return None


def _steps_to_list(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "module": s.module,
            "phase": s.phase,
            "every_node": s.every_node,
            "batches": [
                {"table": b.table, "action": b.action, "changes": list(b.changes)}
                for b in s.batches
            ],
            "variables": list(s.variables),
            "load": s.load,
            "save": s.save,
            "reason": s.reason,
        }
        for s in plan.steps
    ]


def plan_id(plan: Plan) -> str:
    """What a reviewer approves, as a short digest: the cluster, every change and step, and
    the fingerprints of the live rows they were computed from. Built from the plan file's
    own secret-free form (references and `<secret>`, fingerprints without secret columns),
    so the ID carries no secret material. Where in the spec a change came from is left
    out: a line that moved does not change what would be done."""
    changes = {
        "rows": _rows_for_id(plan),
        "variables": _variables_to_list(plan, for_file=True, for_id=True),
    }
    material = {
        "primary": plan.primary,
        "primary_address": plan.primary_address,
        "changes": changes,
        "steps": _steps_to_list(plan),
        "fingerprints": plan.fingerprints,
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()[:16]


def plan_to_dict(plan: Plan, *, for_file: bool) -> dict[str, Any]:
    """JSON form: everything the text plan says. Secret values never appear."""
    return {
        "format_version": FORMAT_VERSION,
        "plan_id": plan_id(plan),
        "cluster": plan.cluster,
        "spec_files": plan.spec_files,
        "primary": plan.primary,
        "primary_address": plan.primary_address,
        "has_changes": plan.has_changes,
        "blocked": plan.blocked,
        "headline": headline(plan),
        "summary": summary(plan),
        "changes": _changes_to_dict(plan, for_file=for_file),
        "steps": _steps_to_list(plan),
        "findings": [f.to_dict() for f in plan.findings],
        "fingerprints": plan.fingerprints,
        "checksums": plan.checksums,
        "peers": [
            {"name": p.name, "address": p.address, "version": p.version, "checksums": p.checksums}
            for p in plan.peers
        ],
        "health": plan.health,
        "drift": plan.drift,
        "destructive": plan.destructive,
    }


Counts = dict[str, int]


def change_summary(changes: ChangeSet) -> dict[str, Counts]:
    """Per module: rows and variables to add, change and destroy."""
    out: dict[str, Counts] = {}
    for change in changes.rows:
        counts = out.setdefault(TABLE_MODULE[change.table], {"add": 0, "change": 0, "destroy": 0})
        counts["destroy" if change.action == "remove" else change.action] += 1
    for variable in changes.variables:
        counts = out.setdefault(variable.module, {"add": 0, "change": 0, "destroy": 0})
        counts["add" if variable.old is None else "change"] += 1
    return out


def summary(plan: Plan) -> dict[str, Counts]:
    return change_summary(plan.changes)


def headline(plan: Plan) -> str:
    """The plan in one line, in every format: what changes, and whether apply would refuse."""
    if not plan.has_changes:
        line = "No changes. The primary's memory matches the spec."
    else:
        total = {"add": 0, "change": 0, "destroy": 0}
        for counts in summary(plan).values():
            for kind, n in counts.items():
                total[kind] += n
        line = (
            f"Plan: {total['add']} to add, {total['change']} to change, "
            f"{total['destroy']} to destroy"
        )
        others = len(plan.load_only_steps)
        if others:
            line += f", {others} module step(s) without row changes"
        line += "."
    errors = sum(1 for f in plan.findings if f.severity is Severity.ERROR)
    if errors:
        line += f" Blocked by {errors} error finding(s): apply refuses."
    return line


def plan_from_dict(data: dict[str, Any]) -> Plan:
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported plan format_version {data.get('format_version')!r}")
    changes = ChangeSet(
        rows=[
            RowChange(
                r["table"],
                r["action"],
                tuple(r["key"]),
                {k: _value_from_json(v) for k, v in r["new"].items()},
                dict(r["old"]),
                tuple(r["origin"]),
            )
            for r in data["changes"]["rows"]
        ],
        variables=[
            VariableChange(
                v["name"],
                v["module"],
                v["old"],
                _value_from_json(v["new"]) if isinstance(v["new"], dict) else v["new"],  # type: ignore[arg-type]
                tuple(v["origin"]),
            )
            for v in data["changes"]["variables"]
        ],
    )
    steps = [
        ModuleStep(
            s["module"],
            s["phase"],
            s["every_node"],
            [Batch(b["table"], b["action"], tuple(b["changes"])) for b in s["batches"]],
            tuple(s["variables"]),
            bool(s.get("load", True)),
            bool(s.get("save", True)),
            str(s.get("reason", "")),
        )
        for s in data["steps"]
    ]
    findings = [
        Finding(
            f["code"], Severity(f["severity"]), f["message"], f["hint"], f["file"], f["line"],
            f["column"], f["path"],
        )
        for f in data["findings"]
    ]  # fmt: skip
    return Plan(
        spec_files=list(data["spec_files"]),
        primary=data["primary"],
        primary_address=data["primary_address"],
        cluster=str(data.get("cluster") or data["primary_address"]),
        changes=changes,
        steps=steps,
        findings=findings,
        fingerprints=dict(data["fingerprints"]),
        checksums=dict(data["checksums"]),
        peers=[
            PeerState(
                p["name"],
                p["address"],
                p["version"],
                {k: tuple(v) for k, v in p["checksums"].items()},
            )
            for p in data["peers"]
        ],
        drift=list(data["drift"]),
        destructive=list(data["destructive"]),
        health={k: list(v) for k, v in data.get("health", {}).items()},
    )
