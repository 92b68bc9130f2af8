"""Admin connections over TLS, seen from the network: a relay between pxc and the first node
records every byte, and nothing an eavesdropper could read may cross it unless the spec says
`disabled`.

Runs on the sandbox and on a real ProxySQL. ProxySQL writes its CA into the node's datadir
(`proxysql-ca.pem`); against a cluster someone else runs (PXC_TEST_PROXYSQL),
PXC_TEST_PROXYSQL_CA names the first node's, for example /var/lib/proxysql/proxysql-ca.pem,
and the tests that need it are skipped without it.
"""

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxysql_iac.admin.connection import AdminConnection, Endpoint
from proxysql_iac.admin.sql import raw_query
from proxysql_iac.errors import AdminQueryError
from proxysql_iac.sandbox.tls import CA_FILE, CERT_FILE, KEY_FILE, Authority, write_files
from tests.integration.conftest import run_pxc
from tests.relay import Relay

USER_PASSWORD = "Tls-Us3r-S3cret"
BODY = """
hostgroups: {writer: 10}
mysql_servers:
  - {hostgroup_id: writer, hostname: tls-db1.example.com}
mysql_users:
  - {username: tls_app, password: {env: PXC_TEST_TLS_PW}, default_hostgroup: writer}
"""


@pytest.fixture(autouse=True)
def _user_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_TLS_PW", USER_PASSWORD)


@pytest.fixture
def relay(proxysql_cluster) -> Iterator[Relay]:  # type: ignore[no-untyped-def]
    host, port, _, _ = proxysql_cluster.primary
    with Relay((host, port)) as r:
        yield r


@pytest.fixture
def node_ca(proxysql_cluster) -> Path:  # type: ignore[no-untyped-def]
    """The CA that signed the first node's certificate (ProxySQL's own, in its datadir)."""
    if proxysql_cluster.sandbox is not None:
        return Path(proxysql_cluster.sandbox.node(1).data_dir) / CA_FILE
    if proxysql_cluster.real is not None:  # the servers this run started
        return Path(proxysql_cluster.real.nodes[0].data_dir) / CA_FILE
    path = os.environ.get("PXC_TEST_PROXYSQL_CA")
    if not path:
        pytest.skip(
            "PXC_TEST_PROXYSQL_CA is not set: give the first node's proxysql-ca.pem (in its "
            "datadir) to test verify_ca and verify_identity against the real server"
        )
    return Path(path)


def spec(tmp_path: Path, relay: Relay, user: str, tls: str = "", body: str = BODY) -> Path:
    """A one-node spec that reaches the first node through the relay."""
    path = tmp_path / f"spec-{time.monotonic_ns()}.yaml"
    path.write_text(
        "version: 1\n"
        "cluster:\n"
        "  primary: node1\n"
        f"  admin: {{user: {user}, password: {{env: PXC_TEST_ADMIN_PASSWORD}}}}\n"
        "  nodes:\n"
        f"    - {{name: node1, host: 127.0.0.1, port: {relay.port}{tls}}}\n" + body
    )
    return path


def readable(wire: bytes, user: str) -> list[bytes]:
    """What an eavesdropper could read: SQL, table and host names, the users, a password."""
    words = [b"SELECT", b"INSERT", b"DELETE", b"LOAD ", b"mysql_servers", b"mysql_users"]
    words += [b"global_variables", b"runtime_", b"tls-db1.example.com", b"tls_app"]
    words += [user.encode(), USER_PASSWORD.encode()]
    return [w for w in words if w in wire]


def test_by_default_plan_apply_status_and_export_cross_the_wire_encrypted(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster, relay, tmp_path
) -> None:
    user = proxysql_cluster.primary[2]
    path = spec(tmp_path, relay, user)
    for command in (
        ["plan", str(path)],
        ["apply", str(path), "--auto-approve"],
        ["status", str(path)],
        ["export", "--spec", str(path), "--tables", "mysql_servers"],
    ):
        code, out = run_pxc(*command)
        assert code in (0, 2), (command, out)
        assert readable(relay.wire, user) == [], command
    code, out = run_pxc("status", str(path))
    assert "admin over TLSv1." in out and "(preferred)" in out, out
    assert len(relay.to_node) > 2000 and len(relay.to_pxc) > 2000  # it all went through


def test_disabled_is_plaintext_on_the_wire(proxysql_cluster, relay, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, ", tls: {mode: disabled}")))
    assert code in (0, 2), out
    seen = readable(relay.wire, user)
    assert b"SELECT" in seen and b"mysql_servers" in seen and user.encode() in seen


@pytest.mark.parametrize("given", ["path", "relative path", "{env: PEM text}", "{env: path}"])
def test_verify_ca_with_the_nodes_ca_is_encrypted(  # type: ignore[no-untyped-def]
    given, proxysql_cluster, relay, node_ca, tmp_path, monkeypatch
) -> None:
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    monkeypatch.setenv("PXC_TEST_NODE_CA_PEM", node_ca.read_text())
    monkeypatch.setenv("PXC_TEST_NODE_CA_PATH", str(node_ca))
    shutil.copyfile(node_ca, tmp_path / "node1-ca.pem")
    ca = {
        "path": f"'{node_ca}'",
        "relative path": "node1-ca.pem",
        "{env: PEM text}": "{env: PXC_TEST_NODE_CA_PEM}",
        "{env: path}": "{env: PXC_TEST_NODE_CA_PATH}",
    }[given]
    path = spec(tmp_path, relay, user, f", tls: {{mode: verify_ca, ca: {ca}}}")
    code, out = run_pxc("status", str(path))
    assert code in (0, 2), out
    assert "admin over TLSv1." in out and "(verify_ca)" in out, out
    assert readable(relay.wire, user) == []


def test_export_writes_the_tls_settings_it_connected_with(  # type: ignore[no-untyped-def]
    proxysql_cluster, relay, node_ca, tmp_path, monkeypatch
) -> None:
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_ADMIN_PASSWORD", password)
    exported = tmp_path / "exported.yaml"
    code, out = run_pxc(
        "export",
        "--host",
        "127.0.0.1",
        "--port",
        str(relay.port),
        "--user",
        user,
        "--tables",
        "mysql_servers",
        "--tls-ca",
        str(node_ca),
        "-o",
        str(exported),
    )
    assert code == 0, out
    assert "over TLSv1." in out and "(verify_ca)" in out, out
    assert f"tls: {{mode: verify_ca, ca: {node_ca}}}" in exported.read_text()
    before = len(relay.to_node)
    code, out = run_pxc("plan", str(exported), "--detailed-exitcode")
    assert code == 0, out  # the exported spec connects as export did, and matches the node
    assert len(relay.to_node) > before
    assert readable(relay.wire, user) == []


@pytest.mark.parametrize("command", ["plan", "apply", "status", "export"])
def test_a_wrong_ca_is_refused_with_one_error_naming_the_node(  # type: ignore[no-untyped-def]
    command, proxysql_cluster, relay, tmp_path, monkeypatch
) -> None:
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    wrong = tmp_path / "other-ca.pem"
    wrong.write_text(Authority.create().cert_pem)  # the same name as ProxySQL's own CA
    path = spec(tmp_path, relay, user, f", tls: {{mode: verify_ca, ca: '{wrong}'}}")
    args = {
        "plan": ["plan", str(path)],
        "apply": ["apply", str(path), "--auto-approve"],
        "status": ["status", str(path)],
        "export": ["export", "--spec", str(path)],
    }[command]
    code, out = run_pxc(*args)
    assert code == 1, out
    assert f"the TLS certificate of node1 (127.0.0.1:{relay.port}) does not verify" in out, out
    assert "pxc did not log in" in out and "Traceback" not in out
    assert readable(relay.wire, user) == []  # not even the login went out


def test_with_a_ca_only_that_ca_is_trusted_not_the_systems(  # type: ignore[no-untyped-def]
    proxysql_cluster, relay, node_ca, tmp_path, monkeypatch
) -> None:
    """The connector alone would also trust the system's CAs: with `verify_ca`, any
    certificate a public CA signed, for any name. Here the node's CA is the system's."""
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    monkeypatch.setenv("SSL_CERT_FILE", str(node_ca))  # OpenSSL's default trust store
    no_ca = ", tls: {mode: verify_identity, server_name: proxysql-1.test}"
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, no_ca)))
    assert "Hostname mismatch" in out, out  # the chain verified: the system trusts the node
    wrong = tmp_path / "other-ca.pem"
    wrong.write_text(Authority.create().cert_pem)
    tls = f", tls: {{mode: verify_ca, ca: '{wrong}'}}"
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, tls)))
    assert code == 1 and "does not verify" in out, out


def test_verify_identity_names_what_the_certificate_does_not(  # type: ignore[no-untyped-def]
    proxysql_cluster, relay, node_ca, tmp_path, monkeypatch
) -> None:
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    tls = f", tls: {{mode: verify_identity, ca: '{node_ca}', server_name: proxysql-1.test}}"
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, tls)))
    assert code == 1, out
    assert "does not verify: Hostname mismatch" in out, out
    assert "not valid for 'proxysql-1.test'" in out
    assert readable(relay.wire, user) == []


@pytest.fixture
def operator_certificate(proxysql_cluster, node_ca, tmp_path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """The first node serving a certificate for proxysql-1.test from an operator's CA, put in
    its datadir and loaded with PROXYSQL RELOAD TLS (what docs/operations.md tells people to
    do); the node's own files are put back afterwards. Returns the operator's CA."""
    datadir = node_ca.parent
    if not all((datadir / name).is_file() for name in (CERT_FILE, KEY_FILE)):
        pytest.skip(f"{datadir} does not hold the node's certificate and key")
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in (CA_FILE, CERT_FILE, KEY_FILE):
        shutil.copy2(datadir / name, saved / name)
    authority = Authority.create("pxc test operator CA")
    write_files(str(datadir), authority, authority.issue("proxysql-1.test", ("proxysql-1.test",)))
    (tmp_path / "operator-ca.pem").write_text(authority.cert_pem)
    host, port, user, password = proxysql_cluster.primary
    reload = raw_query("PROXYSQL RELOAD TLS", "reload the node's certificate")
    try:
        with AdminConnection(Endpoint("node1", host, port, user, password)) as conn:
            conn.execute(reload)
        yield tmp_path / "operator-ca.pem"
    finally:
        for name in (CA_FILE, CERT_FILE, KEY_FILE):
            shutil.copy2(saved / name, datadir / name)
        with AdminConnection(Endpoint("node1", host, port, user, password)) as conn:
            conn.execute(reload)


def test_a_certificate_naming_the_node_passes_verify_identity(  # type: ignore[no-untyped-def]
    operator_certificate, proxysql_cluster, relay, tmp_path, monkeypatch
) -> None:
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    tls = (
        f", tls: {{mode: verify_identity, ca: '{operator_certificate}', "
        "server_name: proxysql-1.test}"
    )
    code, out = run_pxc("status", str(spec(tmp_path, relay, user, tls)))
    assert code in (0, 2), out
    assert "(verify_identity)" in out and "admin over TLSv1." in out, out
    assert readable(relay.wire, user) == []


def test_reload_tls_refuses_a_key_that_is_not_the_certificates(  # type: ignore[no-untyped-def]
    proxysql_cluster, node_ca, tmp_path
) -> None:
    datadir = node_ca.parent
    if not (datadir / KEY_FILE).is_file():
        pytest.skip(f"{datadir} does not hold the node's key")
    host, port, user, password = proxysql_cluster.primary
    saved = tmp_path / KEY_FILE
    shutil.copy2(datadir / KEY_FILE, saved)
    other = Authority.create().issue()
    try:
        (datadir / KEY_FILE).write_text(other.key_pem)
        with (
            AdminConnection(Endpoint("node1", host, port, user, password)) as conn,
            pytest.raises(AdminQueryError) as refused,
        ):
            conn.execute(raw_query("PROXYSQL RELOAD TLS", "reload"))
        # 2.7.1: "Unable to use SSL key", or "Private key does not match the public
        # certificate" when the key is of another type than the certificate's
        assert "key" in refused.value.message.lower()
    finally:
        shutil.copy2(saved, datadir / KEY_FILE)
    with AdminConnection(Endpoint("node1", host, port, user, password)) as conn:
        assert conn.tls_version is not None  # the node kept serving its own certificate


@pytest.fixture
def node_without_tls(proxysql_cluster) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """mysql-have_ssl off on the first node (ProxySQL Cluster carries it to the peers), then
    on again. Each LOAD goes out in a wall-clock second of its own (reference: epochs)."""
    host, port, user, password = proxysql_cluster.primary

    def have_ssl(value: str) -> None:
        time.sleep(1.05 - time.time() % 1)
        with AdminConnection(Endpoint("node1", host, port, user, password)) as conn:
            conn.execute(
                raw_query(
                    f"UPDATE global_variables SET variable_value='{value}' "
                    "WHERE variable_name='mysql-have_ssl'",
                    "set mysql-have_ssl",
                )
            )
            conn.execute(raw_query("LOAD MYSQL VARIABLES TO RUNTIME", "load"))
        time.sleep(1.2)  # a new second, and time for the peers to pull

    have_ssl("false")
    try:
        yield
    finally:
        have_ssl("true")


def test_required_refuses_a_node_without_tls_before_logging_in(  # type: ignore[no-untyped-def]
    node_without_tls, proxysql_cluster, tmp_path, monkeypatch
) -> None:
    host, port, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    with Relay((host, port)) as relay:
        code, out = run_pxc("status", str(spec(tmp_path, relay, user)))
        assert "admin over plaintext (preferred)" in out, out  # preferred: plaintext, and says so
    (tmp_path / "ca.pem").write_text(Authority.create().cert_pem)
    for tls in (", tls: {mode: required}", ", tls: {mode: verify_ca, ca: ca.pem}"):
        mode = "required" if "required" in tls else "verify_ca"
        with Relay((host, port)) as relay:
            code, out = run_pxc("plan", str(spec(tmp_path, relay, user, tls)))
            assert code == 1, out
            assert "does not offer TLS on its admin port" in out and f"is {mode}" in out, out
            assert "Traceback" not in out
            assert readable(relay.wire, user) == []  # the login never went out


def test_a_client_key_from_a_reference_is_named_never_shown(  # type: ignore[no-untyped-def]
    proxysql_cluster, relay, tmp_path, monkeypatch
) -> None:
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    issued = Authority.create().issue()
    broken_key = issued.key_pem.replace("\n", "\nTHIS-IS-SECRET-KEY-MATERIAL\n", 1)
    monkeypatch.setenv("PXC_TEST_TLS_CERT", issued.cert_pem)
    monkeypatch.setenv("PXC_TEST_TLS_KEY", broken_key)
    tls = ", tls: {cert: {env: PXC_TEST_TLS_CERT}, key: {env: PXC_TEST_TLS_KEY}}"
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, tls)))
    assert code == 1, out
    assert "{env: PXC_TEST_TLS_KEY}" in out and "THIS-IS-SECRET" not in out, out
    monkeypatch.setenv("PXC_TEST_TLS_KEY", issued.key_pem)  # a good pair is simply used
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, tls)))
    assert code in (0, 2), out


@pytest.mark.skipif(sys.platform != "linux", reason="elsewhere the key goes to a private temp dir")
def test_a_client_key_given_as_text_never_reaches_a_disk(  # type: ignore[no-untyped-def]
    proxysql_cluster, relay, tmp_path, monkeypatch
) -> None:
    """ssl loads a client certificate and key from files only: given as text, they are
    written to memory-backed files, so that no key is left on a disk, even by a process
    ended without its exit handlers (the console script's `lifetime.end`)."""
    _, _, user, password = proxysql_cluster.primary
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    issued = Authority.create().issue()
    monkeypatch.setenv("PXC_TEST_TLS_CERT", issued.cert_pem)
    monkeypatch.setenv("PXC_TEST_TLS_KEY", issued.key_pem)

    def no_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("a temporary directory for the client key")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_disk)
    tls = ", tls: {cert: {env: PXC_TEST_TLS_CERT}, key: {env: PXC_TEST_TLS_KEY}}"
    code, out = run_pxc("plan", str(spec(tmp_path, relay, user, tls)))
    assert code in (0, 2), out
