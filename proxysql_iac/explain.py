"""`pxc explain`: what a spec implies over time, as plain numbers a reviewer can check.

Offline: everything comes from the spec, ProxySQL 2.7.1's variable defaults (the catalog) and
the figures measured in the field (docs/rules.md). Every number states the
formula and the inputs it came from.
"""

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from proxysql_iac.plan.health import CONVERGE_SLACK_S, cluster_syncs, propagation_deadline
from proxysql_iac.planning import load_desired
from proxysql_iac.spec.compile import Desired
from proxysql_iac.spec.tables import MODULES, TABLES, Module, variable_module
from proxysql_iac.spec.variables import CATALOG

INTERVAL = "admin-cluster_check_interval_ms"

# docs/rules.md, "Numbers from the field" and "Aurora, measured against a fake Aurora cluster".
FIELD_PROPAGATION = (
    "measured on a local 2.7.1 pair: 459-612 ms at 200 ms x 3, 102-258 ms at 200 ms x 1, "
    "2.7 s at the built-in 1000 ms x 3"
)
FIELD_AURORA = (
    "Aurora writer failover behind ProxySQL (field): writer SHUNNED at +8.7 s, topology "
    "flipped at +15 s, AWS reported completion at +22 s; about 3 errors in 2,020 queries, "
    "only on new connections. Against a fake Aurora at check_interval_ms 1000 the first check "
    "after a flip came 0.85-0.95 s later (docs/rules.md)."
)
FIELD_OTHER = (
    "RDS Multi-AZ failover (DNS-based): 64 s; ProxySQL has nothing to change.",
    "Load balancer health checks in front of ProxySQL: 3 x 30 s = 90 s in theory, about 110 s "
    "measured (the instance keeps the port open while it shuts down): plan for 110-120 s.",
    "Query mirroring: no measurable latency on the primary path (39 ms vs 40 ms average).",
)


@dataclass(frozen=True)
class Setting:
    name: str
    value: int
    source: str  # "spec" or "default" (ProxySQL 2.7.1)


@dataclass(frozen=True)
class Propagation:
    module: str
    checksums: tuple[str, ...]
    managed: bool
    interval: Setting
    diffs: Setting
    floor_ms: int | None  # interval x diffs; None when diffs_before_sync is 0 (never syncs)
    earliest_ms: int | None  # (diffs - 1) x interval: the change may land just before a poll
    deadline_s: float  # what apply waits for the peers before exit 3


@dataclass(frozen=True)
class AuroraWindow:
    writer_hostgroup: int
    reader_hostgroup: int
    names: tuple[str, str]
    active: bool
    check_interval_ms: int
    check_timeout_ms: int
    max_lag_ms: int
    lag_num_checks: int
    detect_ms: int  # check_interval_ms + check_timeout_ms
    shun_ms: int  # a lagging reader: the first check over max_lag_ms
    recover_ms: int  # lag_num_checks x check_interval_ms
    add_lag_ms: int = 30
    min_lag_ms: int = 30


@dataclass(frozen=True)
class RestartVariable:
    name: str
    value: str
    note: str


@dataclass
class Explanation:
    spec_files: list[str]
    interval: Setting
    propagation: list[Propagation] = field(default_factory=list)
    unsynced: list[tuple[str, bool]] = field(default_factory=list)  # (module, managed)
    aurora: list[AuroraWindow] = field(default_factory=list)
    restart: list[RestartVariable] = field(default_factory=list)


def _setting(desired: Desired, name: str) -> Setting:
    variable = desired.variables.get(name)
    if variable is not None and variable.text is not None and variable.text.lstrip("-").isdigit():
        return Setting(name, int(variable.text), "spec")
    info = CATALOG.get(name)
    return Setting(name, int(info.default) if info is not None else 0, "default")


def _managed_modules(desired: Desired) -> set[str]:
    modules = {t.module.keyword for t in TABLES if desired.manages(t.name)}
    modules |= {variable_module(name).keyword for name in desired.variables}
    return modules


def _propagation(desired: Desired, module: Module, interval: Setting, managed: bool) -> Propagation:
    diffs = _setting(desired, module.diffs_variable)
    settings = {INTERVAL: str(interval.value), module.diffs_variable: str(diffs.value)}
    checksum = f"admin-checksum_{module.checksum_names[0]}"
    if checksum in desired.variables:
        settings[checksum] = desired.variables[checksum].text or ""
    syncs = cluster_syncs(module.keyword, settings)
    floor = interval.value * diffs.value if syncs else None
    earliest = interval.value * (diffs.value - 1) if syncs else None
    return Propagation(
        module.keyword,
        module.checksum_names,
        managed,
        interval,
        diffs,
        floor,
        earliest,
        propagation_deadline(settings, [module.keyword]),
    )


def _int(value: object) -> int:
    return int(str(value))


def _aurora(desired: Desired) -> list[AuroraWindow]:
    names = {v: k for k, v in desired.hostgroups.items()}
    out = []
    for row in desired.rows("mysql_aws_aurora_hostgroups"):
        v = row.values
        interval = _int(v["check_interval_ms"])
        timeout = _int(v["check_timeout_ms"])
        checks = _int(v["lag_num_checks"])
        writer, reader = _int(v["writer_hostgroup"]), _int(v["reader_hostgroup"])
        out.append(
            AuroraWindow(
                writer,
                reader,
                (names.get(writer, ""), names.get(reader, "")),
                _int(v["active"]) == 1,
                interval,
                timeout,
                _int(v["max_lag_ms"]),
                checks,
                interval + timeout,
                interval,
                checks * interval,
                _int(v["add_lag_ms"]),
                _int(v["min_lag_ms"]),
            )
        )
    return out


def _restart(desired: Desired) -> list[RestartVariable]:
    out = []
    for name, variable in sorted(desired.variables.items()):
        info = CATALOG.get(name)
        if info is None or not info.restart_only:
            continue
        value = "<secret>" if info.secret or variable.text is None else variable.text
        out.append(RestartVariable(name, value, info.note))
    return out


def explain_desired(desired: Desired, spec_files: Sequence[str]) -> Explanation:
    interval = _setting(desired, INTERVAL)
    managed = _managed_modules(desired)
    result = Explanation(list(spec_files), interval)
    for module in MODULES:
        if desired.proxysql_version not in module.versions or not module.loadable:
            continue
        if module.synced:
            result.propagation.append(
                _propagation(desired, module, interval, module.keyword in managed)
            )
        else:
            result.unsynced.append((module.keyword, module.keyword in managed))
    result.aurora = _aurora(desired)
    result.restart = _restart(desired)
    return result


def explain(files: Sequence[str | Path]) -> Explanation:
    """Validate the spec (errors stop it) and explain it. Never connects."""
    return explain_desired(load_desired(files), [str(f) for f in files])


# -- rendering --------------------------------------------------------------------------


def _ms(value: int | None) -> str:
    if value is None:
        return "never"
    return f"{value} ms" if value < 10_000 else f"{value / 1000:g} s"


def render_text(result: Explanation) -> str:
    out = [f"pxc explain: {', '.join(result.spec_files)}", ""]
    iv = result.interval
    out.append("Cluster propagation: a LOAD on the primary reaches a peer after")
    out.append("  floor = cluster_check_interval_ms x cluster_<module>_diffs_before_sync")
    out.append(f"  {iv.name} = {iv.value} ({iv.source})")
    out.append("")
    header = ("module", "diffs_before_sync", "floor", "expected", "apply waits")
    rows = [header]
    for p in result.propagation:
        expected = (
            "never (sync disabled)"
            if p.floor_ms is None
            else f"{p.earliest_ms}-{p.floor_ms} ms + pull"
        )
        rows.append(
            (
                p.module + (" *" if p.managed else ""),
                f"{p.diffs.value} ({p.diffs.source})",
                _ms(p.floor_ms),
                expected,
                "no wait" if p.floor_ms is None else f"{p.deadline_s:g} s",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    out.append("  * managed by this spec")
    out.append(
        "  expected: a peer sees the change at its next poll (within one interval) and pulls "
        "after `diffs` differing polls: between (diffs-1) x interval and diffs x interval, plus "
        "the pull itself"
    )
    out.append(f"  field: {FIELD_PROPAGATION}")
    out.append(
        f"  apply waits = 3 x floor + {CONVERGE_SLACK_S:g} s for every peer to match the primary, "
        "then exits 3 "
        "(a module with diffs_before_sync 0 is never pulled, and not waited for)"
    )
    for p in result.propagation:
        if p.floor_ms is None:
            out.append(
                f"  {p.module}: {p.diffs.name} = 0 disables sync: peers never pull it (PXC107)"
            )
    unsynced = [f"{m}{' *' if managed else ''}" for m, managed in result.unsynced]
    out.append(
        "  not synced by ProxySQL Cluster (pxc applies them to every node): " + ", ".join(unsynced)
    )
    out.append("")
    out.append("Aurora (mysql_aws_aurora_hostgroups)")
    if not result.aurora:
        out.append("  none in this spec")
    for a in result.aurora:
        label = " / ".join(
            f"{role} {hg}" + (f" ({name})" if name else "")
            for role, hg, name in (
                ("writer", a.writer_hostgroup, a.names[0]),
                ("reader", a.reader_hostgroup, a.names[1]),
            )
        )
        out.append(f"  {label}{'' if a.active else ' (active=0: not monitored)'}")
        out.append(
            f"    a topology change is seen within {_ms(a.detect_ms)} = check_interval_ms "
            f"{a.check_interval_ms} + check_timeout_ms {a.check_timeout_ms} (the next check, "
            "which may run until its timeout)"
        )
        out.append(
            f"    a reader whose estimated lag, max(lag + add_lag_ms {a.add_lag_ms}, min_lag_ms "
            f"{a.min_lag_ms}), exceeds max_lag_ms {a.max_lag_ms} is SHUNNED at the first check "
            f"over it (within {_ms(a.shun_ms)}) and back ONLINE after lag_num_checks "
            f"{a.lag_num_checks} check(s) below it (within {_ms(a.recover_ms)})"
        )
        if a.min_lag_ms > a.max_lag_ms:
            out.append(
                f"    min_lag_ms {a.min_lag_ms} > max_lag_ms {a.max_lag_ms}: every reader's "
                "estimate exceeds the limit, so readers stay SHUNNED"
            )
    if result.aurora:
        out.append(f"  {FIELD_AURORA}")
    out.append("")
    out.append("Restart needed (LOAD saves these but the running value stays until a restart)")
    if not result.restart:
        out.append("  none in this spec")
    for variable in result.restart:
        note = f"  ({variable.note})" if variable.note else ""
        out.append(f"  {variable.name} = {variable.value}{note}")
    out.append("")
    out.append("Other field figures (docs/rules.md)")
    out.extend(f"  {line}" for line in FIELD_OTHER)
    return "\n".join(out)


def to_dict(result: Explanation) -> dict[str, Any]:
    return {
        "format_version": 1,
        "spec_files": result.spec_files,
        "interval": asdict(result.interval),
        "propagation": [
            {
                "module": p.module,
                "checksums": list(p.checksums),
                "managed": p.managed,
                "cluster_check_interval_ms": asdict(p.interval),
                "diffs_before_sync": asdict(p.diffs),
                "floor_ms": p.floor_ms,
                "expected_ms": None if p.floor_ms is None else [p.earliest_ms, p.floor_ms],
                "apply_deadline_s": p.deadline_s,
            }
            for p in result.propagation
        ],
        "unsynced": [{"module": m, "managed": managed} for m, managed in result.unsynced],
        "aurora": [{**asdict(a), "names": list(a.names)} for a in result.aurora],
        "restart": [asdict(r) for r in result.restart],
        "field": {
            "propagation": FIELD_PROPAGATION,
            "aurora": FIELD_AURORA,
            "other": list(FIELD_OTHER),
        },
    }


def render_json(result: Explanation) -> str:
    return json.dumps(to_dict(result), indent=2)
