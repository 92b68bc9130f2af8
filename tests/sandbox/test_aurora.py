"""Aurora auto-discovery in the sandbox against what a real ProxySQL 2.7.1 did.

The expected rows come from `data/aurora-2.7.1-summary.json`, vendored from the recorded runs
(`summary_per_run`, see docs/rules.md): the real binary against
a fake Aurora cluster of SERVER_IDs 127.0.0 (writer), 127.0.1 and 127.0.2, domain_name '.2',
aurora_port 13406, seed 127.0.9.9:13406 in HG 200 with use_ssl=1. Everything is read back over
TCP with mysql-connector-python (pure).
"""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proxysql_iac.sandbox import Sandbox

from .helpers import q, wait_for

pytestmark = pytest.mark.sandbox

REC: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "aurora-2.7.1-summary.json").read_text()
)["runs"]
DEFAULTS = '{"use_ssl":1,"weight":77,"max_connections":55}'
SEED = (
    "INSERT INTO mysql_servers (hostgroup_id, hostname, port, use_ssl, comment) "
    "VALUES (200, '127.0.9.9', 13406, 1, 'seed / cluster endpoint')"
)
AURORA = (
    "INSERT INTO mysql_aws_aurora_hostgroups (writer_hostgroup,reader_hostgroup,active,"
    "aurora_port,domain_name,max_lag_ms,check_interval_ms,check_timeout_ms,"
    "writer_is_also_reader,new_reader_weight,comment) "
    "VALUES (200,201,1,13406,'.2',3000,{interval},800,1,100,'fake aurora')"
)
ATTRS = {
    "A": [],
    "B": [
        f"INSERT INTO mysql_hostgroup_attributes (hostgroup_id, servers_defaults, comment) "
        f"VALUES ({hg}, '{DEFAULTS}', 'servers_defaults test')"
        for hg in (200, 201)
    ],
    "F": [
        "INSERT INTO mysql_hostgroup_attributes (hostgroup_id, comment) "
        "VALUES (201, 'only makes HG 201 exist')"
    ],
}
ATTRS["C"] = ATTRS["D"] = ATTRS["A"]
ATTRS["E"] = ATTRS["B"]
RUN = {k: next(name for name in REC if name.startswith(k + "_")) for k in "ABCDEF"}


# -- recorded row formats -> comparable dicts ---------------------------------------------
_FIELD = re.compile(r"(\w+)=('[^']*'|\S+)")
_KEYS = {"w": "weight", "maxc": "max_conn", "ssl": "use_ssl"}


def parse(line: str) -> dict[str, str]:
    """'hg=200 127.0.0.2:13406 ONLINE weight=1 ...' (any of the recorded spellings)."""
    out: dict[str, str] = {}
    for token in line.split():
        if token.startswith("hg="):
            out["hg"] = token[3:]
        elif re.fullmatch(r"[\d.]+(:\d+)?", token):
            out["host"] = token.split(":")[0]
        elif token in ("ONLINE", "SHUNNED", "OFFLINE_SOFT"):
            out["status"] = token
    for key, value in _FIELD.findall(line):
        if key != "hg":
            out[_KEYS.get(key, key)] = value.strip("'")
    return out


def rows(port: int, table: str = "runtime_mysql_servers") -> list[dict[str, str]]:
    got = q(
        port,
        "SELECT hostgroup_id, hostname, status, weight, max_connections, use_ssl, comment "
        f"FROM {table} ORDER BY hostgroup_id, hostname",
    )
    keys = ("hg", "host", "status", "weight", "max_conn", "use_ssl", "comment")
    return [dict(zip(keys, map(str, r), strict=True)) for r in got]


def assert_rows(port: int, recorded: list[str], table: str = "runtime_mysql_servers") -> None:
    """The node's rows equal the recorded ones, on every field the recording shows."""
    want = [parse(line) for line in recorded]
    got = rows(port, table)
    assert len(got) == len(want), got
    assert [{k: g[k] for k in w} for g, w in zip(got, want, strict=True)] == want


# -- setup -----------------------------------------------------------------------------------
@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(nodes=2) as s:
        for port in s.ports:
            enable_monitor(port)
        yield s


def enable_monitor(port: int, have_ssl: str = "false") -> None:
    # the sandbox starts like the recorded nodes (monitor off); the Aurora runs had it on
    q(
        port,
        "UPDATE global_variables SET variable_value='true' "
        "WHERE variable_name='mysql-monitor_enabled'",
    )
    q(
        port,
        f"UPDATE global_variables SET variable_value='{have_ssl}' "
        "WHERE variable_name='mysql-have_ssl'",
    )
    q(port, "LOAD MYSQL VARIABLES TO RUNTIME")


def configure(port: int, run: str, interval: int = 1000) -> None:
    """The recorded run's admin statements (memory only)."""
    for sql in (
        "DELETE FROM mysql_servers",
        SEED,
        "DELETE FROM mysql_aws_aurora_hostgroups",
        AURORA.format(interval=interval),
        "DELETE FROM mysql_hostgroup_attributes",
        *ATTRS[run],
    ):
        q(port, sql)


def declare(s: Sandbox, **kw: Any) -> None:
    # the fake's readers reported 10..18 ms of lag: estimated 40..48 ms, far below 3000
    s.aurora.declare(
        writer="127.0.0",
        readers=["127.0.1", "127.0.2"],
        lag_ms={"127.0.1": 12, "127.0.2": 15},
        **kw,
    )


def boot(s: Sandbox, run: str) -> int:
    declare(s)
    p1 = s.ports[0]
    configure(p1, run)
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    return p1


def checksum(port: int, name: str = "mysql_servers") -> tuple[int, int, str]:
    v, e, c = q(
        port, f"SELECT version, epoch, checksum FROM runtime_checksums_values WHERE name='{name}'"
    )[0]
    return int(v), int(e), str(c)


SEED_ONLY = ["hg=200 127.0.9.9:13406 ONLINE weight=1 max_conn=1000 use_ssl=1"]


# -- discovery: runs A, B, C, F -------------------------------------------------------------
@pytest.mark.parametrize("run", ["A", "B", "C", "F"])
def test_discovery_right_after_load_matches_the_recording(sb: Sandbox, run: str) -> None:
    rec = REC[RUN[run]]
    p1 = sb.ports[0]
    enable_monitor(p1, have_ssl=rec["have_ssl"])  # C: have_ssl=true changes no backend row
    p1 = boot(sb, run)
    assert_rows(p1, rec["runtime_mysql_servers_after_discovery"])
    # memory is never touched: it keeps only the seed
    assert_rows(p1, SEED_ONLY, table="mysql_servers")
    assert [r[:2] for r in q(p1, "SELECT * FROM monitor.mysql_server_aws_aurora_failovers")] == [
        [f["writer_hostgroup"], f["hostname"]] for f in rec["failovers_table_end"]
    ]


def test_without_servers_defaults_discovered_rows_have_use_ssl_0(sb: Sandbox) -> None:
    # the production trap PXC120/PXC121 exist for: the seed has use_ssl=1, the instances do not
    p1 = boot(sb, "A")
    ssl = {(r["hg"], r["host"]): r["use_ssl"] for r in rows(p1)}
    assert ssl.pop(("200", "127.0.9.9")) == "1"
    assert set(ssl.values()) == {"0"} and len(ssl) == 3


def test_writer_is_also_reader_is_skipped_only_while_the_reader_hostgroup_does_not_exist(
    sb: Sandbox,
) -> None:
    p1 = boot(sb, "A")
    assert ("201", "127.0.0.2") not in {(r["hg"], r["host"]) for r in rows(p1)}
    # later checks do not fix it (the writer is where it belongs) ...
    sb.aurora.check()
    sb.aurora.check()
    assert ("201", "127.0.0.2") not in {(r["hg"], r["host"]) for r in rows(p1)}


def test_the_writer_copy_appears_when_readers_sort_before_the_writer(sb: Sandbox) -> None:
    # discovery follows ORDER BY SERVER_ID: readers first create HG 201, so the bug needs the
    # writer to be the first SERVER_ID, as in the recording
    sb.aurora.declare(writer="127.0.2", readers=["127.0.0", "127.0.1"])
    p1 = sb.ports[0]
    configure(p1, "A")
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    got = {(r["hg"], r["host"], r["weight"]) for r in rows(p1)}
    assert ("200", "127.0.2.2", "1") in got and ("201", "127.0.2.2", "100") in got


# -- SAVE / LOAD (step 7 of runs A, B, F) ----------------------------------------------------
@pytest.mark.parametrize("run", ["A", "B", "F"])
def test_save_from_runtime_then_load_of_the_seed_only_rediscovers(sb: Sandbox, run: str) -> None:
    rec = REC[RUN[run]]
    p1 = boot(sb, run)
    q(p1, "SAVE MYSQL SERVERS FROM RUNTIME")
    assert_rows(p1, rec["step7_memory_after_SAVE_FROM_RUNTIME"], table="mysql_servers")
    configure(p1, run)  # memory back to the seed only
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    final = rec["step7_runtime_after_LOAD_original_memory"][-1]["rows"]
    assert_rows(p1, final)
    assert ("201", "127.0.0.2") in {(r["hg"], r["host"]) for r in rows(p1)}  # HG 201 exists now


# -- failover and lag: runs D and E --------------------------------------------------------
@pytest.mark.parametrize("run", ["D", "E"])
def test_failover_moves_rows_as_recorded(sb: Sandbox, run: str) -> None:
    rec = REC[RUN[run]]
    timeline = rec["failover_runtime_timeline(poll 100ms)"]
    p1 = boot(sb, run)
    assert_rows(p1, timeline[0]["rows"])
    before = checksum(p1)
    sb.aurora.failover("127.0.1")
    # one atomic step: new writer copied from its reader row (weight 100), every ONLINE writer
    # row, the seed included, moved into HG 201 with weight 100
    assert_rows(p1, timeline[-1]["rows"])
    assert_rows(p1, SEED_ONLY, table="mysql_servers")
    assert [r[:2] for r in q(p1, "SELECT * FROM monitor.mysql_server_aws_aurora_failovers")] == [
        [f["writer_hostgroup"], f["hostname"]] for f in rec["failovers_table_end"]
    ]
    # a Monitor change: new runtime checksum, same version (only LOADs and pulls count)
    after = checksum(p1)
    assert after[2] != before[2] and after[0] == before[0]


def test_a_monitor_change_takes_a_new_epoch_and_leaves_mysql_servers_v2_alone(
    sb: Sandbox,
) -> None:
    p1 = boot(sb, "A")
    before, v2 = checksum(p1), checksum(p1, "mysql_servers_v2")
    time.sleep(1.0 - time.time() % 1 + 0.01)  # epochs are whole seconds
    sb.aurora.failover("127.0.1")
    after = checksum(p1)
    assert after[1] > before[1] and after[0] == before[0]
    assert checksum(p1, "mysql_servers_v2") == v2  # memory as of the last LOAD: unchanged


@pytest.mark.parametrize("run", ["D", "E"])
def test_lag_above_max_lag_ms_shuns_the_reader_and_clearing_it_brings_it_back(
    sb: Sandbox, run: str
) -> None:
    rec = REC[RUN[run]]
    p1 = boot(sb, run)
    sb.aurora.failover("127.0.1")
    before = checksum(p1)

    def lagging_rows() -> list[str]:
        return [f"hg={r['hg']} {r['status']}" for r in rows(p1) if r["host"] == "127.0.2.2"]

    changes = rec["lag_timeline(poll 100ms)"]["changes"]
    sb.aurora.set_lag("127.0.2", 5000)  # estimated 5030 ms > max_lag_ms 3000
    assert lagging_rows() == changes[1]["127.0.2.2 rows"] == ["hg=201 SHUNNED"]
    sb.aurora.set_lag("127.0.2", None)
    assert lagging_rows() == changes[2]["127.0.2.2 rows"] == ["hg=201 ONLINE"]
    # SHUNNED counts as ONLINE in the runtime checksum
    assert checksum(p1)[2] == before[2]


def test_lag_just_below_max_lag_ms_after_add_lag_ms_keeps_the_reader_online(
    sb: Sandbox,
) -> None:
    p1 = boot(sb, "A")
    sb.aurora.set_lag("127.0.2", 2970)  # 2970 + add_lag_ms 30 = 3000: not above max_lag_ms
    assert {r["status"] for r in rows(p1) if r["host"] == "127.0.2.2"} == {"ONLINE"}
    sb.aurora.set_lag("127.0.2", 2971)
    assert {r["status"] for r in rows(p1) if r["host"] == "127.0.2.2"} == {"SHUNNED"}
    # SAVE MYSQL SERVERS FROM RUNTIME writes SHUNNED back as ONLINE
    q(p1, "SAVE MYSQL SERVERS FROM RUNTIME")
    assert {r["status"] for r in rows(p1, "mysql_servers")} == {"ONLINE"}


# -- timing, per-node Monitors, cluster ------------------------------------------------------
def test_a_failover_without_check_is_seen_at_the_next_check_interval(sb: Sandbox) -> None:
    declare(sb)
    p1 = sb.ports[0]
    configure(p1, "A", interval=200)
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    sb.aurora.failover("127.0.1", check=False)
    assert ("200", "127.0.0.2") in {(r["hg"], r["host"]) for r in rows(p1)}  # not yet
    took = wait_for(
        lambda: (
            {(r["hg"], r["host"]) for r in rows(p1) if r["hg"] == "200"} == {("200", "127.0.1.2")}
        ),
        timeout=2,
    )
    assert took < 0.6


def test_nothing_is_discovered_while_the_monitor_is_disabled() -> None:
    with Sandbox(nodes=1) as s:  # mysql-monitor_enabled=false, as in the recorded start pair
        declare(s)
        p1 = s.ports[0]
        configure(p1, "A")
        q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
        assert_rows(p1, SEED_ONLY)
        seed_only = checksum(p1)
        enable_monitor(p1)  # the Monitor starts: its first check discovers
        s.aurora.check()
        assert len(rows(p1)) == 4
        # discovered rows are runtime content: the mysql_servers checksum covers them
        assert checksum(p1)[2] != seed_only[2] and checksum(p1)[0] == seed_only[0]


def test_each_node_runs_its_own_monitor() -> None:
    with Sandbox(nodes=2, cluster=False) as s:
        for port in s.ports:
            enable_monitor(port)
            configure(port, "A")
        declare(s)
        s.node(2).aurora.declare(writer="127.0.2", readers=["127.0.0", "127.0.1"])
        for port in s.ports:
            q(port, "LOAD MYSQL SERVERS TO RUNTIME")
        writers = [
            {r["host"] for r in rows(port) if r["hg"] == "200"} - {"127.0.9.9"} for port in s.ports
        ]
        assert writers == [{"127.0.0.2"}, {"127.0.2.2"}]
        s.aurora.failover("127.0.1")  # the sandbox-wide cluster: node 2 keeps its own view
        writers = [
            {r["host"] for r in rows(port) if r["hg"] == "200"} - {"127.0.9.9"} for port in s.ports
        ]
        assert writers == [{"127.0.1.2"}, {"127.0.2.2"}]


def test_a_peer_that_pulls_the_config_discovers_the_same_rows(sb: Sandbox) -> None:
    p1, p2 = sb.ports
    p1 = boot(sb, "B")
    want = rows(p1)
    wait_for(lambda: rows(p2) == want, timeout=3)
    assert_rows(p2, SEED_ONLY, table="mysql_servers")  # memory of the puller: the seed only
    assert checksum(p2)[2] == checksum(p1)[2]
    sb.aurora.failover("127.0.1")  # every node's Monitor sees the flip
    assert rows(p2) == rows(p1)
    assert {r["host"] for r in rows(p2) if r["hg"] == "200"} == {"127.0.1.2"}


def test_monitor_tables_show_checks(sb: Sandbox) -> None:
    p1 = boot(sb, "A")
    status = q(
        p1,
        "SELECT writer_hostgroup, checks_tot, checks_ok "
        "FROM monitor.mysql_server_aws_aurora_check_status",
    )
    assert status and all(r[0] == "200" and r[1] == r[2] for r in status)
    log = q(
        p1,
        "SELECT SERVER_ID, SESSION_ID, estimated_lag_ms FROM monitor.mysql_server_aws_aurora_log "
        "ORDER BY time_start_us DESC, SERVER_ID LIMIT 3",
    )
    assert [r[0] for r in log] == ["127.0.0", "127.0.1", "127.0.2"]
    assert log[0][1] == "MASTER_SESSION_ID" and [r[2] for r in log] == ["0", "42", "45"]


def test_a_hostgroup_exists_for_the_process_lifetime_once_it_had_servers(sb: Sandbox) -> None:
    declare(sb)
    p1 = sb.ports[0]
    q(p1, "INSERT INTO mysql_servers (hostgroup_id, hostname, port) VALUES (201, 'old', 3306)")
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")  # HG 201 now exists in this process
    configure(p1, "A")  # the server in 201 is gone again
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    assert_rows(p1, REC[RUN["F"]]["runtime_mysql_servers_after_discovery"])  # writer copy there


def test_a_restarted_node_is_a_new_process_with_the_first_discovery_bug_again(
    sb: Sandbox,
) -> None:
    p1 = boot(sb, "F")
    assert len(rows(p1)) == 5
    configure(p1, "A")
    for sql in ("LOAD MYSQL SERVERS TO RUNTIME", "SAVE MYSQL SERVERS TO DISK"):
        q(p1, sql)
    q(p1, "SAVE MYSQL VARIABLES TO DISK")
    assert len(rows(p1)) == 5  # HG 201 still exists in this process
    sb.node(1).restart()  # boots from disk: a new Monitor discovers at start-up
    assert_rows(p1, REC[RUN["A"]]["runtime_mysql_servers_after_discovery"])
    assert checksum(p1)[0] == 1  # the boot load; the Monitor's commit does not count
