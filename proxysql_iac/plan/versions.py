"""What a node's ProxySQL version has, against what the spec uses (PXC145). Pure."""

import re
from collections.abc import Iterable

from proxysql_iac.errors import SpecError
from proxysql_iac.findings import Finding, Severity, render_text
from proxysql_iac.spec.compile import Desired
from proxysql_iac.spec.tables import TABLES, section_versions
from proxysql_iac.spec.variables import catalog_for


def series(version: str) -> str | None:
    """The release series whose catalog a server's `SELECT @@version` answer is checked
    against: 2.x as 2.7 (2.5 and 2.6 have the same MySQL tables), 3.x as 3.0."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 2:
        return "2.7"
    if major >= 3:
        return "3.0"
    return None


def _sections(desired: Desired) -> list[str]:
    """The table and variable sections the spec declares."""
    out = [t.name for t in TABLES if desired.manages(t.name)]
    out += sorted({str(v.origin[0]) for v in desired.variables.values()})
    return out


def lacking(sections: Iterable[str], version: str) -> list[str]:
    """The `sections` (table or variable sections) a node of `version` does not have."""
    found = series(version)
    return [] if found is None else [s for s in sections if found not in section_versions(s)]


def missing_on_node(desired: Desired, node: str, version: str) -> list[Finding]:
    """PXC145: sections and variables of the spec that this node's version does not have."""
    found = series(version)
    if found is None:
        return []
    missing = lacking(_sections(desired), version)
    catalog = catalog_for(found)
    names = [
        name
        for name, v in sorted(desired.variables.items())
        if v.origin[0] not in missing and name not in catalog
    ]
    findings = []
    if missing:
        findings.append(
            Finding(
                "PXC145",
                Severity.ERROR,
                f"node {node} runs ProxySQL {version}, which has no "
                f"{', '.join(missing)}: the spec cannot be applied to it",
                f"run ProxySQL {desired.proxysql_version} on {node}, or remove the sections",
            )
        )
    if names:
        findings.append(
            Finding(
                "PXC145",
                Severity.ERROR,
                f"node {node} runs ProxySQL {version}, which has no variable "
                f"{', '.join(names)}: LOAD would delete it",
                f"run ProxySQL {desired.proxysql_version} on {node}, or remove the variables",
            )
        )
    return findings


def refuse_what_nodes_lack(desired: Desired, versions: dict[str, str]) -> None:
    """Stop before any write when a node does not have what the spec uses."""
    findings = [f for node, v in versions.items() for f in missing_on_node(desired, node, v)]
    if findings:
        raise SpecError(
            "the spec uses what a node's ProxySQL version does not have; nothing was written\n"
            + render_text(findings),
            f"the spec targets ProxySQL {desired.proxysql_version} (`cluster.proxysql_version`)",
        )
