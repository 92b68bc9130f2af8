"""`pxc sandbox up` prints a cluster block users can paste into a spec as is."""

from pathlib import Path

from proxysql_iac.sandbox.launcher import describe
from proxysql_iac.validate import validate_files


def test_printed_cluster_block_is_a_valid_spec(tmp_path: Path) -> None:
    text = describe([16032, 16033, 16034])
    block = text[text.index("cluster:") :]
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\n" + block + "\n")
    result = validate_files([spec])
    assert result.ok, result.findings
    assert result.desired.cluster is not None
    assert [n.port for n in result.desired.cluster.nodes] == [16032, 16033, 16034]


def test_printed_cluster_block_verifies_each_nodes_certificate(tmp_path: Path) -> None:
    text = describe([16032, 16033], data_dir=str(tmp_path / "data dir"))
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\n" + text[text.index("cluster:") :] + "\n")
    result = validate_files([spec])
    assert result.ok and not result.findings, result.findings
    assert result.desired.cluster is not None
    cas = [result.desired.cluster.tls_for(n).ca for n in result.desired.cluster.nodes]
    assert cas == [str(tmp_path / "data dir" / f"node{k}" / "proxysql-ca.pem") for k in (1, 2)]


def test_a_3_0_sandboxs_cluster_block_targets_3_0(tmp_path: Path) -> None:
    text = describe([16032, 16033], version="3.0")
    spec = tmp_path / "spec.yaml"
    block = text[text.index("cluster:") :]
    spec.write_text(
        "version: 1\n" + block + "\npgsql_servers:\n  - {hostgroup_id: 1, hostname: pg1}\n"
        "admin_variables: {pgsql_ifaces: 127.0.0.1:6132}\n"
    )
    result = validate_files([spec])
    assert result.ok, result.findings
    assert result.desired.proxysql_version == "3.0"
