"""What apply guarantees when things go wrong: faults, lagging peers, split clusters."""

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxysql_iac.admin.sql import raw_query
from proxysql_iac.sandbox import Sandbox
from proxysql_iac.spec.tables import TABLE_BY_NAME, Column, Kind, Load, OneOf
from tests.integration.conftest import cluster_block, connect, rows, run_pxc

OLD = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1}
  - {hostgroup_id: reader, hostname: db2}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
mysql_query_rules:
  - {rule_id: 1, active: 1, match_digest: '^SELECT', destination_hostgroup: reader, apply: 1}
mysql_variables:
  max_connections: 2048
"""
NEW = """
hostgroups: {writer: 10, reader: 20, reporting: 30}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1}
  - {hostgroup_id: reader, hostname: db3}
  - {hostgroup_id: reporting, hostname: db4}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
  - {username: reports, password: {env: PXC_TEST_APP_PW}, default_hostgroup: reporting}
mysql_query_rules:
  - {rule_id: 1, active: 1, match_digest: '^SELECT', destination_hostgroup: reader, apply: 1}
  - rule_id: 2
    active: 1
    match_digest: '^SELECT .* FROM reports'
    destination_hostgroup: reporting
    apply: 1
mysql_variables:
  max_connections: 3000
"""


# Appended to OLD's servers: the state between the two servers LOADs of OLD -> NEW.
NEW_SERVERS_TOO = """mysql_servers:
  - {hostgroup_id: 10, hostname: db1}
  - {hostgroup_id: 20, hostname: db2}
  - {hostgroup_id: 20, hostname: db3}
  - {hostgroup_id: 30, hostname: db4}
"""


def _without_rules(body: str) -> str:
    """The fault test covers three modules (servers, users, variables) to stay quick."""
    head, _, rest = body.partition("mysql_query_rules:")
    return head + "mysql_variables:" + rest.partition("mysql_variables:")[2]


MODULE_TABLES = {
    "MYSQL SERVERS": ["mysql_servers"],
    "MYSQL USERS": ["mysql_users"],
    "MYSQL QUERY RULES": ["mysql_query_rules"],
}


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "r3liable-S3cret")


def _layers(node: tuple[str, int, str, str]) -> dict[str, tuple[object, ...]]:
    """Per module: (memory, runtime, disk) rows, for comparing whole states."""
    state: dict[str, tuple[object, ...]] = {}
    for module, tables in MODULE_TABLES.items():
        parts = []
        for layer in ("main.", "runtime_", "disk."):
            parts.append(
                tuple(tuple(rows(node, f"SELECT * FROM {layer}{t} ORDER BY 1,2")) for t in tables)
            )
        state[module] = tuple(parts)
    var = (
        "SELECT variable_value FROM {}global_variables WHERE variable_name='mysql-max_connections'"
    )
    state["MYSQL VARIABLES"] = tuple(
        tuple(rows(node, var.format(layer))) for layer in ("main.", "runtime_", "disk.")
    )
    return state


@pytest.mark.sandbox
def test_connection_drop_at_every_statement_leaves_each_module_old_or_new_and_rerun_converges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(nodes=1, data_dir=str(tmp_path / "sandbox")) as sb:
        node = sb.endpoints("radmin", "radmin")[0]
        monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", node[3])
        old = tmp_path / "old.yaml"
        new = tmp_path / "new.yaml"
        for path, body in ((old, OLD), (new, NEW)):
            path.write_text("version: 1\n" + cluster_block([node]) + _without_rules(body))
        assert run_pxc("apply", str(old), "--auto-approve")[0] == 0
        old_state = _layers(node)
        disk_file = Path(sb.node(1).data_dir) / "proxysql.db"
        saved_old = tmp_path / "old-proxysql.db"

        def boot_old() -> None:
            """Restart the node from the OLD state on disk (a fast, exact reset)."""
            sb.node(1).stop()
            shutil.copyfile(saved_old, disk_file)
            sb.node(1).start()

        sb.node(1).stop()
        shutil.copyfile(disk_file, saved_old)
        sb.node(1).start()
        assert _layers(node) == old_state
        # Servers added and removed in one apply load twice (additions before users and rules
        # move, removals after): in between, the servers module holds old and new servers.
        mid = tmp_path / "mid.yaml"
        old_servers = "mysql_servers:\n  - {hostgroup_id: writer, hostname: db1}\n"
        old_servers += "  - {hostgroup_id: reader, hostname: db2}\n"
        assert old_servers in OLD
        mid.write_text(
            "version: 1\n"
            + cluster_block([node])
            + _without_rules(OLD).replace(old_servers, NEW_SERVERS_TOO)
        )
        assert run_pxc("apply", str(mid), "--auto-approve")[0] == 0
        mid_servers = _layers(node)["MYSQL SERVERS"]
        boot_old()
        assert run_pxc("apply", str(new), "--auto-approve")[0] == 0
        new_state = _layers(node)
        assert old_state != new_state
        # Count the statements a clean run sends: the plan's reads, then the apply's.
        boot_old()
        sb.node(1).drop_connection_after(10_000)
        assert run_pxc("plan", str(new))[0] == 0
        reads = 10_000 - (sb.node(1).current().drop_after or 0)
        sb.node(1).drop_connection_after(10_000)
        assert run_pxc("apply", str(new), "--auto-approve")[0] == 0
        total = 10_000 - (sb.node(1).current().drop_after or 0)
        sb.node(1).clear_faults()
        # Every statement apply sends after its plan; of the plan's own reads (which write
        # nothing), the first and the last.
        indexes = [0, reads - 1, *range(reads, total)]
        failures = 0
        for index in indexes:
            boot_old()
            sb.node(1).drop_connection_after(index)
            code, out = run_pxc("apply", str(new), "--auto-approve")
            sb.node(1).clear_faults()
            failures += code != 0
            assert "r3liable-S3cret" not in out
            for module, layers in _layers(node).items():
                between = mid_servers if module == "MYSQL SERVERS" else old_state[module]
                for layer, (got, was, mid_, will) in enumerate(
                    zip(layers, old_state[module], between, new_state[module], strict=True)
                ):
                    where = (index, module, ("memory", "runtime", "disk")[layer])
                    assert got in (was, mid_, will), where
            code, out = run_pxc("apply", str(new), "--auto-approve")
            assert code == 0, (index, out)
            assert _layers(node) == new_state, index
        assert failures >= len(indexes) - 3  # nearly every index interrupts the apply


@pytest.mark.sandbox
def test_peer_that_stops_polling_makes_apply_exit_3_naming_it(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    sb = proxysql_cluster.sandbox
    spec = write_spec(OLD)
    sb.node(3).freeze_cluster(True)
    try:
        code, out = run_pxc("apply", str(spec), "--auto-approve", "--converge-timeout", "2")
    finally:
        sb.node(3).freeze_cluster(False)
    assert code == 3, out
    assert "node3 did not match it" in out
    assert "node2" not in out.split("did not match")[0].split("but")[-1]


@pytest.mark.sandbox
def test_same_second_conflicting_edit_on_a_peer_makes_plan_refuse_with_pxc102(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    sb = proxysql_cluster.sandbox
    sb.same_second_conflict(
        "INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (10,'from-node1')",
        "INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (10,'from-node2')",
        "LOAD MYSQL SERVERS TO RUNTIME",
    )
    spec = write_spec(OLD)
    code, out = run_pxc("plan", str(spec))
    assert code == 1, out
    assert "PXC102" in out and "node2" in out
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 1 and "not healthy" in out
    assert rows(proxysql_cluster.nodes[0], "SELECT hostname FROM mysql_servers") == [
        ("from-node1",)
    ]


@pytest.mark.sandbox
def test_equal_epoch_split_is_named_by_plan_and_healed_by_apply(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    sb = proxysql_cluster.sandbox
    sb.same_second_conflict(
        "INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (10,'db1')",
        "INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (10,'stray')",
        "LOAD MYSQL SERVERS TO RUNTIME",
    )
    time.sleep(1.5)  # ProxySQL never resolves this by itself
    peer = proxysql_cluster.nodes[1]
    assert ("stray",) in rows(peer, "SELECT hostname FROM runtime_mysql_servers")
    spec = write_spec(
        "hostgroups: {writer: 10}\nmysql_servers:\n  - {hostgroup_id: writer, hostname: db1}\n"
    )
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    assert "PXC100" in out and "node2" in out
    assert "LOAD again in a new second" in out
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    for node in proxysql_cluster.nodes:
        assert rows(node, "SELECT hostname FROM runtime_mysql_servers") == [("db1",)]


def test_two_applies_within_one_second_both_reach_every_peer(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    first = write_spec(OLD)
    second = write_spec(OLD.replace("hostname: db2", "hostname: db2b"))
    code, out = run_pxc("apply", str(first), "--auto-approve", "--no-wait")
    assert code == 0, out
    code, out = run_pxc("apply", str(second), "--auto-approve")
    assert code == 0, out
    for node in proxysql_cluster.nodes:
        assert rows(node, "SELECT hostname FROM runtime_mysql_servers ORDER BY 1") == [
            ("db1",),
            ("db2b",),
        ]


def _yaml(text: str) -> str:
    """A double-quoted YAML scalar for any text (PyYAML escapes what YAML cannot hold)."""
    return yaml.safe_dump(text, default_style='"', width=10**6, allow_unicode=True).strip()


TRICKY = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)


# Every free-text column of the three big tables (CHECKed enumerations like `status` left out).
TEXT_COLUMNS = {
    name: [
        c.name
        for c in TABLE_BY_NAME[name].columns
        if c.kind is Kind.TEXT and not isinstance(c.check, OneOf)
    ]
    for name in ("mysql_servers", "mysql_users", "mysql_query_rules")
}
FIXED = {
    "mysql_servers": {"hostgroup_id": 1},
    "mysql_users": {"default_hostgroup": 1},
    "mysql_query_rules": {"rule_id": 5, "active": 0},
}


@settings(
    max_examples=int(os.environ.get("PXC_ROUNDTRIP_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    texts=st.fixed_dictionaries(
        {
            f"{table}.{column}": TRICKY.filter(lambda s: s.strip() != "")
            for table, columns in TEXT_COLUMNS.items()
            for column in columns
        }
    )
)
def test_strings_in_every_varchar_column_round_trip_exactly_through_apply(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster, texts: dict[str, str]
) -> None:
    body = ""
    for table, columns in TEXT_COLUMNS.items():
        fields = [f"{k}: {v}" for k, v in FIXED[table].items()]
        fields += [f"{c}: {_yaml(texts[f'{table}.{c}'])}" for c in columns]
        body += f"{table}:\n  - {{{', '.join(fields)}}}\n"
    spec = write_spec(body)
    # each example replaces the previous one's user: a deletion, hence --allow-destructive
    code, out = run_pxc("apply", str(spec), "--auto-approve", "--no-wait", "--allow-destructive")
    assert code == 0, out
    primary = proxysql_cluster.nodes[0]
    for table, columns in TEXT_COLUMNS.items():
        got = rows(primary, f"SELECT {','.join(columns)} FROM {table}")
        described = TABLE_BY_NAME[table].column_by_name
        # as written, except where pxc writes the form LOAD gives a value (see `Load`)
        assert got == [tuple(_as_held(described[c], texts[f"{table}.{c}"]) for c in columns)]
    assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0


def _as_held(column: Column, text: str) -> str | None:
    return text if column.load is Load.KEEP or column.secret else column.loaded(text)


def test_no_secret_appears_in_any_output_plan_file_or_error(
    write_spec, proxysql_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PXC_TEST_MONITOR_PW", "m0nitor-S3cret")
    spec = write_spec(
        OLD + "  monitor_password: {env: PXC_TEST_MONITOR_PW}\n  monitor_username: monitor\n"
    )
    plan_file = tmp_path / "plan.json"
    outputs = [
        run_pxc("validate", str(spec))[1],
        run_pxc("compile", str(spec), "--format", "json")[1],
        run_pxc("plan", str(spec), "--out", str(plan_file))[1],
        run_pxc("plan", str(spec), "--format", "json")[1],
        run_pxc("plan", str(spec), "--format", "markdown")[1],
        run_pxc("apply", str(spec), "--auto-approve")[1],
        plan_file.read_text(),
    ]
    # And a failing apply: the error message must not carry the secret either.
    changed = write_spec(OLD.replace("max_connections: 2048", "max_connections: 2049"))
    if proxysql_cluster.sandbox is not None:
        proxysql_cluster.sandbox.node(1).fail_statement("mysql_users|global_variables", "injected")
        try:
            outputs.append(run_pxc("apply", str(changed), "--auto-approve")[1])
        finally:
            proxysql_cluster.sandbox.node(1).clear_faults()
    for text in outputs:
        assert "r3liable-S3cret" not in text
        assert "m0nitor-S3cret" not in text
    assert "<secret>" in outputs[3]


def test_memory_edited_between_plan_and_apply_stops_apply_before_any_write(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    from proxysql_iac.admin.sql import raw_query
    from proxysql_iac.apply.executor import execute
    from proxysql_iac.errors import StalePlanError
    from proxysql_iac.planning import make_plan
    from tests.integration.conftest import connect

    spec = write_spec(OLD)
    ctx = make_plan([spec])  # what a person reviews at the confirmation prompt
    primary = proxysql_cluster.nodes[0]
    with connect(primary) as conn:  # meanwhile, someone edits the primary by hand
        conn.execute(
            raw_query("INSERT INTO mysql_users (username,default_hostgroup) VALUES ('x',1)", "edit")
        )
    with pytest.raises(StalePlanError, match="changed on node1 since the plan was made"):
        execute(ctx, lambda line: None)
    assert rows(primary, "SELECT username FROM mysql_users") == [("x",)]
    assert rows(primary, "SELECT hostname FROM mysql_servers") == []


@pytest.mark.sandbox
def test_a_change_only_to_hostgroup_attributes_still_waits_for_every_peer(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    """The runtime mysql_servers checksum does not move when only another table of the
    servers module changes: convergence must watch mysql_servers_v2 too."""
    attributes = "mysql_hostgroup_attributes:\n  - {hostgroup_id: 10, comment: %s}\n"
    spec = write_spec(OLD + attributes % "first")
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    changed = write_spec(OLD + attributes % "second")
    sb = proxysql_cluster.sandbox
    sb.node(3).freeze_cluster(True)
    try:
        code, out = run_pxc("apply", str(changed), "--auto-approve", "--converge-timeout", "2")
    finally:
        sb.node(3).freeze_cluster(False)
    assert code == 3, out
    assert "node3 did not match it" in out


@pytest.mark.sandbox
def test_an_error_quoting_a_password_read_from_the_node_is_scrubbed(
    write_spec, proxysql_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """ProxySQL's error texts can quote a statement (`near "...": syntax error`): a password
    the node holds must not reach the output through one, nor the new one from the spec."""
    monkeypatch.setenv("PXC_TEST_APP_PW", "0ld-Passw0rd")
    spec = write_spec(OLD)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    monkeypatch.setenv("PXC_TEST_APP_PW", "N3w-Passw0rd")
    sb = proxysql_cluster.sandbox
    sb.node(1).fail_statement(
        "UPDATE mysql_users", "near \"'0ld-Passw0rd','N3w-Passw0rd'\": syntax error"
    )
    try:
        code, out = run_pxc("apply", str(spec), "--auto-approve", "-v")
    finally:
        sb.node(1).clear_faults()
    assert code == 1, out
    assert "syntax error" in out
    assert "0ld-Passw0rd" not in out and "N3w-Passw0rd" not in out


@pytest.mark.sandbox
def test_a_peer_whose_unsynced_scheduler_differs_is_planned_and_written(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    """ProxySQL Cluster never copies the scheduler: a peer edited by hand stays different
    until pxc writes it, even when the primary matches the spec."""
    body = OLD + "scheduler:\n  - {id: 1, interval_ms: 10000, filename: /usr/bin/true}\n"
    spec = write_spec(body)
    try:
        assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
        peer = proxysql_cluster.nodes[1]
        with connect(peer, "node2") as conn:
            conn.execute(raw_query("UPDATE scheduler SET filename='/bin/rm' WHERE id=1", "edit"))
            conn.execute(raw_query("LOAD SCHEDULER TO RUNTIME", "load"))
        code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
        assert code == 2, out
        assert "SCHEDULER: write (differs from the spec on node2" in out
        assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
        for node in proxysql_cluster.nodes:
            assert rows(node, "SELECT filename FROM runtime_scheduler") == [("/usr/bin/true",)]
        assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0
    finally:
        for node in proxysql_cluster.nodes:  # the scheduler is not reset by the fixture
            with connect(node) as conn:
                conn.execute(raw_query("DELETE FROM scheduler", "reset"))
                conn.execute(raw_query("LOAD SCHEDULER TO RUNTIME", "reset"))
