"""Plans built the way `pxc plan` builds them (spec → diff against a node's rows → order),
for a node that has no rows yet: input for tests that need a plan but no cluster."""

from pathlib import Path

from proxysql_iac.admin.live import Live
from proxysql_iac.plan.diff import diff
from proxysql_iac.plan.model import Plan
from proxysql_iac.plan.order import order
from proxysql_iac.planning import cluster_key, load_desired
from proxysql_iac.secrets import SecretStore


def plan_for_an_empty_node(spec: Path, fingerprints: dict[str, str] | None = None) -> Plan:
    desired = load_desired([spec])
    assert desired.cluster is not None
    changes = diff(desired, Live("proxysql-1"), SecretStore(spec.parent).resolve)
    return Plan(
        spec_files=[str(spec)],
        primary="proxysql-1",
        primary_address="10.0.0.1:6032",
        cluster=cluster_key(desired.cluster),
        changes=changes,
        steps=order(changes),
        fingerprints=fingerprints or {},
    )
