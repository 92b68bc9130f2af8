"""Plan-time findings about the cluster (field rules PXC100-PXC105, PXC121). Pure."""

import json
from collections.abc import Collection

from proxysql_iac.admin.live import Live
from proxysql_iac.findings import Finding, Severity
from proxysql_iac.plan.model import PeerState
from proxysql_iac.spec.compile import Desired
from proxysql_iac.spec.tables import MODULE_BY_KEYWORD, MODULES, TABLE_BY_NAME

MODULE_OF_CHECKSUM: dict[str, str] = {name: m.keyword for m in MODULES for name in m.checksum_names}


def _f(code: str, severity: Severity, message: str, hint: str = "") -> Finding:
    return Finding(code, severity, message, hint)


def compared_checksums(variables: dict[str, str]) -> frozenset[str]:
    """The runtime_checksums_values names that say whether a peer has the primary's config.

    For servers that is `mysql_servers_v2` (the configuration as last LOADed). The runtime
    `mysql_servers` checksum also carries each node's Monitor state (SHUNNED servers, moves,
    Aurora discoveries); peers copy it only under sync algorithm 1, so only then is it
    compared too. Every other module has one checksum; modules the build does not sync
    are not compared."""
    names = {
        m.checksum_names[0]
        for m in MODULES
        if m.checksum_names and cluster_can_sync(m.keyword, variables)
    }
    names.add("mysql_servers_v2")
    if variables.get("admin-cluster_mysql_servers_sync_algorithm", "1") != "1":
        names.discard("mysql_servers")
    return frozenset(names)


def cluster_findings(
    primary: Live,
    peers: list[PeerState],
    touched: set[str],
    managed: set[str],
    *,
    settling: Collection[tuple[str, str]] = (),
) -> tuple[list[Finding], list[str]]:
    """Findings, and the managed modules apply must LOAD again to heal a same-second split.

    A peer that differs from the primary on a module the spec manages is an error whether or
    not this plan changes the module: the cluster does not run the spec there, and pxc does
    not overwrite what someone loaded on a peer. On a module the spec does not manage it is a
    warning. `settling` lists (peer, checksum name) pairs still catching up (`pxc status`
    judges them by their state, with a grace period)."""
    findings: list[Finding] = []
    heal: set[str] = set()
    compared = compared_checksums(primary.variables)
    for peer in peers:
        if peer.version != primary.version:
            findings.append(
                _f(
                    "PXC105",
                    Severity.ERROR,
                    f"peer {peer.name} runs ProxySQL {peer.version!r}, the primary "
                    f"{primary.version!r}: builds that differ never sync",
                    "run the same ProxySQL build on every node",
                )
            )
        for name, (version, epoch, checksum) in sorted(peer.checksums.items()):
            module = MODULE_OF_CHECKSUM.get(name)
            if name not in compared or (peer.name, name) in settling:
                continue
            mine = primary.checksums.get(name)
            if module is None or mine is None or checksum == mine.checksum:
                continue
            where = (
                f"{name}: primary v{mine.version} epoch {mine.epoch} {mine.checksum}, "
                f"{peer.name} v{version} epoch {epoch} {checksum}"
            )
            if epoch == mine.epoch:
                if module in touched:
                    findings.append(
                        _f(
                            "PXC102",
                            Severity.ERROR,
                            f"peer {peer.name} disagrees with the primary on {module} ({where}), "
                            "a module this plan changes",
                            "apply a spec that leaves this module as it is first: pxc heals the "
                            "split by LOADing it again; then apply the change",
                        )
                    )
                if module in managed:
                    heal.add(module)
                    findings.append(
                        _f(
                            "PXC100",
                            Severity.WARNING,
                            f"same-second split on {module} ({where}); ProxySQL never resolves "
                            "it by itself: apply LOADs the module again on the primary",
                        )
                    )
                else:
                    findings.append(
                        _f(
                            "PXC100",
                            Severity.ERROR,
                            f"same-second split on {module} ({where}); ProxySQL never resolves it",
                            f"manage {module} in the spec so pxc can heal it, or LOAD it again "
                            "on the primary",
                        )
                    )
                continue
            severity = Severity.ERROR if module in managed else Severity.WARNING
            scope = (
                "a module this plan changes"
                if module in touched
                else "a module the spec manages"
                if module in managed
                else "a module the spec does not manage: pxc leaves it alone"
            )
            if epoch > mine.epoch and module in touched:
                findings.append(
                    _f(
                        "PXC103",
                        Severity.ERROR,
                        f"peer {peer.name} has a newer {module} than the primary ({where}): "
                        "after pxc's LOAD the primary may pull it back and undo the change",
                        "find out who edits that peer; make the primary current first",
                    )
                )
            elif mine.version == 1:
                heal.add(module)
                findings.append(
                    _f(
                        "PXC104",
                        Severity.WARNING,
                        f"the primary has never LOADed {module} since it started (version 1) "
                        f"and {peer.name} differs ({where}); no peer pulls from a version-1 node",
                        "pxc's apply LOADs it on the primary so peers can pull",
                    )
                )
            elif epoch > mine.epoch:
                findings.append(
                    _f(
                        "PXC103",
                        severity,
                        f"peer {peer.name} has a newer {module} than the primary ({where}), "
                        f"{scope}: it was loaded on the peer, and the cluster does not run "
                        "the primary's configuration there",
                        f"find out who edits {peer.name}; to give it the primary's "
                        f"configuration, LOAD {module} TO RUNTIME on the primary",
                    )
                )
            else:
                findings.append(
                    _f(
                        "PXC102",
                        severity,
                        f"peer {peer.name} disagrees with the primary on {module} ({where}), "
                        f"{scope}",
                        "wait for the cluster to converge, or find why this peer does not pull "
                        f"from the primary (its {MODULE_BY_KEYWORD[module].diffs_variable}, "
                        "proxysql_servers, cluster credentials); then plan",
                    )
                )
    return findings, sorted(heal)


def peer_differences(primary: Live, peers: list[PeerState]) -> dict[str, list[str]]:
    """Every peer, and the modules on which it differs from the primary (none: in sync)."""
    compared = compared_checksums(primary.variables)
    out: dict[str, list[str]] = {}
    for peer in peers:
        modules = {
            MODULE_OF_CHECKSUM[name]
            for name, (_, _, checksum) in peer.checksums.items()
            if name in compared
            and name in MODULE_OF_CHECKSUM
            and name in primary.checksums
            and checksum != primary.checksums[name].checksum
        }
        out[peer.name] = [m.keyword for m in MODULES if m.keyword in modules]
    return out


def aurora_tls_findings(desired: Desired, primary: Live) -> list[Finding]:
    """PXC121: runtime Aurora servers without TLS where the spec intends TLS."""
    intended: set[int] = set()
    rows = desired.rows("mysql_hostgroup_attributes")
    for row in rows:
        try:
            defaults = json.loads(str(row.values["servers_defaults"] or "{}"))
        except ValueError:
            continue
        use_ssl = defaults.get("use_ssl") if isinstance(defaults, dict) else None
        if type(use_ssl) is int and use_ssl == 1:  # `true` is ignored by ProxySQL (PXC126)
            intended.add(int(str(row.values["hostgroup_id"])))
    for row in desired.rows("mysql_servers"):
        if row.values["use_ssl"] == 1:
            intended.add(int(str(row.values["hostgroup_id"])))
    aurora: set[int] = set()
    for row in desired.rows("mysql_aws_aurora_hostgroups"):
        aurora.add(int(str(row.values["writer_hostgroup"])))
        aurora.add(int(str(row.values["reader_hostgroup"])))
    findings = []
    servers = TABLE_BY_NAME["mysql_servers"]
    for server in primary.runtime.get("mysql_servers", []):
        hg = servers.value(server, "hostgroup_id")
        hostname, port = servers.value(server, "hostname"), servers.value(server, "port")
        if not isinstance(hg, int) or hg not in aurora & intended:
            continue
        if servers.value(server, "use_ssl") == 0:
            findings.append(
                _f(
                    "PXC121",
                    Severity.ERROR,
                    f"runtime server {hostname}:{port} in Aurora hostgroup {hg} has use_ssl=0 "
                    "although the spec intends TLS for that hostgroup",
                    "set servers_defaults: {use_ssl: 1} for the hostgroup and apply",
                )
            )
    return findings


def cluster_can_sync(keyword: str, variables: dict[str, str]) -> bool:
    """Does this node's build sync the module at all? It does when the node has the module's
    Cluster variable (`admin-cluster_<module>_diffs_before_sync`): ProxySQL 3.0.1 has none for
    the PostgreSQL modules and never syncs them. Decided from what the node shows, not from
    its version string, so that a build that syncs them is followed."""
    variable = MODULE_BY_KEYWORD[keyword].diffs_variable
    return bool(variable) and variable in variables


def unsynced_modules(variables: dict[str, str]) -> frozenset[str]:
    """The modules apply writes to every node: those this build does not sync."""
    return frozenset(m.keyword for m in MODULES if not cluster_can_sync(m.keyword, variables))


def cluster_syncs(keyword: str, variables: dict[str, str]) -> bool:
    """Does ProxySQL Cluster copy this module between nodes with these settings? Not a module
    the build does not sync, not with diffs_before_sync 0, not with its checksum turned off."""
    if not cluster_can_sync(keyword, variables):
        return False
    module = MODULE_BY_KEYWORD[keyword]
    if variables[module.diffs_variable] == "0":
        return False
    return variables.get(f"admin-checksum_{module.checksum_names[0]}", "true") != "false"


# A pull takes a peer time of its own after the floor (fetch, LOAD, SAVE), more on a loaded
# machine: with 2 s, applies on a 2-core machine running six ProxySQL processes and two test
# runs sometimes ended NOT_CONVERGED while the peers were still pulling.
CONVERGE_SLACK_S = 5.0


def propagation_deadline(variables: dict[str, str], modules: list[str]) -> float:
    """Seconds to wait for the peers: 3x the slowest touched module's propagation floor
    (cluster_check_interval_ms x cluster_<module>_diffs_before_sync), plus CONVERGE_SLACK_S."""
    interval = int(variables.get("admin-cluster_check_interval_ms") or 1000)
    worst = 0
    for keyword in modules:
        module = MODULE_BY_KEYWORD[keyword]
        if not cluster_syncs(keyword, variables):
            continue
        diffs = int(variables.get(module.diffs_variable) or 3)
        worst = max(worst, interval * max(diffs, 1))
    return 3 * worst / 1000 + CONVERGE_SLACK_S
