"""Changes are ordered so runtime never routes to a hostgroup that does not exist (yet)."""

from proxysql_iac.plan.diff import ChangeSet, RowChange, VariableChange
from proxysql_iac.plan.order import order


def _row(table: str, action: str, key: tuple[object, ...]) -> RowChange:
    return RowChange(table, action, key, {}, {})  # type: ignore[arg-type]


def test_modules_load_in_routing_safe_phases() -> None:
    changes = ChangeSet(
        rows=[
            _row("mysql_query_rules", "add", (1,)),
            _row("mysql_users", "add", ("app", 1)),
            _row("mysql_servers", "add", (30, "db4", 3306)),
            _row("proxysql_servers", "add", ("p2", 6032)),
            _row("scheduler", "add", (1,)),
        ],
        variables=[VariableChange("mysql-max_connections", "MYSQL VARIABLES", "1", "2")],
    )
    steps = order(changes, every_node={"SCHEDULER"})
    assert [s.module for s in steps] == [
        "MYSQL VARIABLES",
        "MYSQL SERVERS",
        "MYSQL USERS",
        "MYSQL QUERY RULES",
        "PROXYSQL SERVERS",
        "SCHEDULER",
    ]
    assert [s.every_node for s in steps] == [False, False, False, False, False, True]


def test_a_servers_module_that_only_removes_loads_after_users_and_rules() -> None:
    changes = ChangeSet(
        rows=[
            _row("mysql_servers", "remove", (30, "db4", 3306)),
            _row("mysql_users", "change", ("app", 1)),
            _row("mysql_query_rules", "change", (1,)),
        ]
    )
    assert [s.module for s in order(changes)] == [
        "MYSQL USERS",
        "MYSQL QUERY RULES",
        "MYSQL SERVERS",
    ]


def test_rows_are_batched_and_removals_go_first() -> None:
    rows = [_row("mysql_users", "add", (f"u{i}", 1)) for i in range(600)]
    rows.append(_row("mysql_users", "remove", ("old", 1)))
    steps = order(ChangeSet(rows=rows))
    assert len(steps) == 1
    batches = steps[0].batches
    assert [(b.action, len(b.changes)) for b in batches] == [
        ("remove", 1),
        ("add", 250),
        ("add", 250),
        ("add", 100),
    ]


def test_servers_added_and_removed_load_twice_around_users_and_rules() -> None:
    """Moving a user from hostgroup 10 to 30: runtime must have 30 before the user moves and
    keep 10 until the user has left it."""
    changes = ChangeSet(
        rows=[
            _row("mysql_servers", "add", (30, "db1", 3306)),
            _row("mysql_servers", "remove", (10, "db1", 3306)),
            _row("mysql_users", "change", ("app", 1)),
        ]
    )
    steps = order(changes)
    assert [(s.module, [b.action for b in s.batches]) for s in steps] == [
        ("MYSQL SERVERS", ["add"]),
        ("MYSQL USERS", ["change"]),
        ("MYSQL SERVERS", ["remove"]),
    ]


def test_postgresql_modules_take_the_same_phases_and_go_to_every_node_when_unsynced() -> None:
    """ProxySQL 3.0.1's Cluster syncs no pgsql module: each goes to every node, in the phase
    of its role, and a pgsql servers step that adds and removes loads twice (removals after
    users and rules moved off them), as the MySQL one does."""
    changes = ChangeSet(
        rows=[
            _row("pgsql_query_rules", "change", (1,)),
            _row("pgsql_users", "add", ("app", 1)),
            _row("pgsql_servers", "remove", (10, "pg-old", 5432)),
            _row("pgsql_servers", "add", (10, "pg-new", 5432)),
            _row("mysql_servers", "add", (30, "db4", 3306)),
        ],
        variables=[VariableChange("pgsql-max_connections", "PGSQL VARIABLES", "1", "2")],
    )
    unsynced = {"PGSQL SERVERS", "PGSQL USERS", "PGSQL QUERY RULES", "PGSQL VARIABLES"}
    steps = order(changes, every_node=unsynced)
    assert [(s.phase, s.module, s.every_node) for s in steps] == [
        ("1 variables", "PGSQL VARIABLES", True),
        ("2 servers", "MYSQL SERVERS", False),
        ("2 servers", "PGSQL SERVERS", True),
        ("3 users", "PGSQL USERS", True),
        ("4 query rules", "PGSQL QUERY RULES", True),
        ("5 servers removals", "PGSQL SERVERS", True),
    ]
    removal = steps[-1]
    assert [changes.rows[i].key for b in removal.batches for i in b.changes] == [
        (10, "pg-old", 5432)
    ]


def test_a_servers_step_that_adds_servers_loads_before_users_whatever_else_it_removes() -> None:
    """Removing a hostgroup-attributes row in the same module does not make a step that adds
    servers wait until after users and rules: only removals of servers do."""
    changes = ChangeSet(
        rows=[
            _row("pgsql_servers", "add", (10, "pg-new", 5432)),
            _row("pgsql_hostgroup_attributes", "remove", (10,)),
            _row("pgsql_users", "add", ("app", 1)),
        ]
    )
    steps = order(changes, every_node={"PGSQL SERVERS", "PGSQL USERS"})
    assert [(s.phase, s.module) for s in steps] == [
        ("2 servers", "PGSQL SERVERS"),
        ("3 users", "PGSQL USERS"),
    ]
