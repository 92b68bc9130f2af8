"""The Plan: what will change, in which steps, computed from which live state."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from proxysql_iac.admin.connection import Row
from proxysql_iac.findings import Finding, Severity
from proxysql_iac.plan.diff import ChangeSet, RowChange, VariableChange
from proxysql_iac.plan.order import Batch, ModuleStep
from proxysql_iac.spec.compile import Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.variables import is_secret_variable

FORMAT_VERSION = 1


@dataclass(frozen=True)
class PeerState:
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

    @property
    def has_changes(self) -> bool:
        return not self.changes.empty or any(step.reason for step in self.steps)

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


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
        return "<secret>"
    if isinstance(value, dict) and "secret" in value:
        kind, _, ref = str(value["secret"]).partition(":")
        return SecretRef(env=ref) if kind == "env" else SecretRef(file=ref)
    if value is None or isinstance(value, (int, str)):
        return value
    raise ValueError(f"unexpected value in plan file: {value!r}")


def _changes_to_dict(plan: Plan, *, for_file: bool) -> dict[str, Any]:
    def shown(column: str, value: Value) -> Any:
        if column == "password" and not for_file:
            return None if value is None else "<secret>"
        if column == "password" and for_file and not isinstance(value, SecretRef):
            return {"secret": "inline"} if value is not None else None
        return _value_json(value)

    def old_shown(column: str, value: str | None) -> Any:
        if column == "password":
            return None if value is None else "<secret>"
        return value

    rows = [
        {
            "table": c.table,
            "action": c.action,
            "key": list(c.key),
            "new": {k: shown(k, v) for k, v in c.new.items()},
            "old": {k: old_shown(k, v) for k, v in c.old.items()},
            "origin": list(c.origin),
        }
        for c in plan.changes.rows
    ]
    variables = [
        {
            "name": v.name,
            "module": v.module,
            "old": v.old if not is_secret_variable(v.name) else ("<secret>" if v.old else v.old),
            "new": (
                _value_json(v.new)
                if isinstance(v.new, SecretRef)
                else ("<secret>" if is_secret_variable(v.name) else v.new)
            ),
            "origin": list(v.origin),
        }
        for v in plan.changes.variables
    ]
    return {"rows": rows, "variables": variables}


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
    changes = _changes_to_dict(plan, for_file=True)
    for part in changes.values():
        for change in part:
            del change["origin"]
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
    """JSON form. Secret values never appear: passwords are references or `<secret>`."""
    return {
        "format_version": FORMAT_VERSION,
        "plan_id": plan_id(plan),
        "cluster": plan.cluster,
        "spec_files": plan.spec_files,
        "primary": plan.primary,
        "primary_address": plan.primary_address,
        "has_changes": plan.has_changes,
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
        "drift": plan.drift,
        "destructive": plan.destructive,
    }


def summary(plan: Plan) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    from proxysql_iac.plan.diff import TABLE_MODULE

    for change in plan.changes.rows:
        counts = out.setdefault(TABLE_MODULE[change.table], {"add": 0, "change": 0, "destroy": 0})
        counts["destroy" if change.action == "remove" else change.action] += 1
    for variable in plan.changes.variables:
        counts = out.setdefault(variable.module, {"add": 0, "change": 0, "destroy": 0})
        counts["add" if variable.old is None else "change"] += 1
    return out


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
    )
