"""The one description of every ProxySQL configuration table a spec may declare.

Everything downstream is generic over these descriptions: the spec models and JSON Schema,
the constraint checks, compile, diff, ordering into LOAD phases, SQL rendering and export.
Facts (columns in order, defaults, CHECKs, keys) are what real ProxySQL 2.7.1 and 3.0.1
servers answered. Each module (and so each table) names the server versions that have it:
the MySQL tables have the same columns, in the same order, on 2.7.1 and 3.0.1; the `pgsql_*`
tables exist only on 3.0.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple, TypeVar

VERSIONS: tuple[str, ...] = ("2.7", "3.0")
"""The ProxySQL release series a spec may target (`cluster.proxysql_version`)."""
DEFAULT_VERSION = "2.7"

V = TypeVar("V")

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


class Kind(str, Enum):
    INT = "int"
    TEXT = "text"
    JSON = "json"  # a VARCHAR holding JSON or ''; written in the spec as a YAML mapping


class Range(NamedTuple):
    min: int | None = None
    max: int | None = None

    def describe(self, column: str) -> str:
        if self.min is not None and self.max is not None:
            return f"{column} must be between {self.min} and {self.max}"
        if self.min is not None:
            return f"{column} must be >= {self.min}"
        return f"{column} must be <= {self.max}"


class OneOf(NamedTuple):
    values: tuple[int | str, ...]
    case_insensitive: bool = False

    def describe(self, column: str) -> str:
        return f"{column} must be one of {', '.join(map(str, self.values))}"


class StartsWith(NamedTuple):
    prefix: str

    def describe(self, column: str) -> str:
        return f"{column} must start with {self.prefix!r}"


Check = Range | OneOf | StartsWith


class Load(str, Enum):
    """What `LOAD ... TO RUNTIME` does to a text column's value (runtime shows the result,
    and a Cluster peer, which pulls runtime, holds it in memory). Integer columns are read
    as whole numbers; the spec writes them as such."""

    KEEP = "keep"
    UPPER = "upper"  # `online` runs and shows as `ONLINE`
    EMPTY_FOR_NULL = "empty_for_null"  # NULL shows as ''
    RE_MODIFIERS = "re_modifiers"  # items starting with CASELESS / GLOBAL, in that order
    DIGEST = "digest"  # a number, shown as 0x + 16 upper-case hex digits; 0 as NULL

    def apply(self, value: str | None) -> str | None:
        if self is Load.UPPER:
            return None if value is None else value.upper()
        if self is Load.EMPTY_FOR_NULL:
            return "" if value is None else value
        if self is Load.RE_MODIFIERS:
            items = [item.upper() for item in (value or "").split(",")]
            flags = [f for f in ("CASELESS", "GLOBAL") if any(i.startswith(f) for i in items)]
            return ",".join(flags)
        if self is Load.DIGEST:
            return _digest(value)
        return value


def _digest(value: str | None) -> str | None:
    """A digest as ProxySQL reads it (a C number: 0x hex, 0 octal or decimal)."""
    if value is None:
        return None
    text = value.lstrip()
    try:
        if text[:2].lower() == "0x":
            number = int(text[2:], 16)
        elif text.startswith("0"):
            number = int(text, 8)
        else:
            number = int(text)
    except ValueError:
        return None
    if number <= 0 or number >= 2**64 - 1:
        return None
    return f"0x{number:016X}"


class Column(NamedTuple):
    name: str
    kind: Kind
    not_null: bool = True
    default: int | str | None = None
    has_default: bool = True  # False: NOT NULL without DEFAULT, the spec must give it
    check: Check | None = None
    hostgroup: bool = False  # holds a hostgroup id: the spec may use a name
    flag: bool = False  # a 0/1 column: the spec may write true/false
    secret: bool = False  # may be a secret reference; never printed
    description: str = ""
    load: Load = Load.KEEP
    # an integer runtime keeps in a finer unit in unsigned 32 bits (factor, unit): LOAD wraps
    # a larger value
    runtime_unit: tuple[int, str] | None = None
    # a JSON column's keys ProxySQL reads, each with the whole numbers it takes (high None:
    # no upper bound); any other key or value is logged and ignored
    json_keys: tuple[tuple[str, int, int | None], ...] = ()

    def loaded(self, value: str | None) -> str | None:
        """The text runtime shows for a value memory holds as `value` (text)."""
        return self.load.apply(value)

    @property
    def required(self) -> bool:
        return self.not_null and not self.has_default


class DiffersFrom(NamedTuple):
    """A CHECK between two columns of one row."""

    column: str
    other: str
    unless_zero: bool = False  # gtid_port may equal port when it is 0

    def describe(self) -> str:
        extra = " (unless it is 0)" if self.unless_zero else ""
        return f"{self.column} must differ from {self.other}{extra}"


class RequiresNotNull(NamedTuple):
    column: str
    other: str

    def describe(self) -> str:
        return f"{self.column} may be set only when {self.other} is set"


RowCheck = DiffersFrom | RequiresNotNull


class Reaches(NamedTuple):
    """A condition a memory row must meet for LOAD to put it at runtime (and so for a
    Cluster peer, which pulls runtime, ever to see it), on the column's loaded value."""

    column: str
    op: str  # "=", ">=" or "<>"
    value: int | str
    # True: LOAD drops a row failing it silently, a value nobody writes on purpose (a negative
    # default_hostgroup); False: the row is set aside by choice (inactive, OFFLINE_HARD)
    refused: bool = False

    def holds(self, loaded: int | str | None) -> bool:
        if loaded is None:
            return False
        if isinstance(self.value, int):
            try:
                number = int(loaded)
            except (TypeError, ValueError):
                return False
            if self.op == "=":
                return number == self.value
            return number >= self.value if self.op == ">=" else number != self.value
        text = str(loaded)
        return text == self.value if self.op == "=" else text != self.value

    def describe(self) -> str:
        return f"{self.column} {self.op} {self.value}"


class Role(Enum):
    """What a module's rows are to routing: plan orders LOADs by it, so that runtime never
    routes to a hostgroup that does not exist yet or any more."""

    VARIABLES = "variables"
    SERVERS = "servers"  # hostgroups and their backends
    USERS = "users"  # route to a default hostgroup
    QUERY_RULES = "query rules"  # route to destination hostgroups
    PROXYSQL_SERVERS = "proxysql servers"  # the Cluster's own peers
    OTHER = "other"  # scheduler, firewall, REST API, LDAP mapping


class Module(NamedTuple):
    """A LOAD/SAVE module: the unit ProxySQL moves between layers and Cluster syncs."""

    keyword: str  # as in LOAD <keyword> TO RUNTIME
    checksum_names: tuple[str, ...]  # names in runtime_checksums_values ('' when none)
    # Does ProxySQL Cluster copy it between nodes in the recorded builds (offline rules and
    # docs)? plan and apply ask the node instead: see `diffs_variable`.
    synced: bool
    role: Role = Role.OTHER
    save_to_disk_variable: str = ""
    # the Cluster variable of a build that syncs the module: a node that has it (and not at 0)
    # syncs the module; a node without it does not, whatever its version string says
    diffs_variable: str = ""
    versions: tuple[str, ...] = VERSIONS  # the server versions that have it
    loadable: bool = True  # False: no LOAD/SAVE command exists; rows never reach runtime


@dataclass(frozen=True)
class CnfSection:
    """How ProxySQL's config file reader (ProxySQL_Config.cpp) reads a table's section of
    proxysql.cnf at first boot.

    The reader pastes most strings into its INSERT between quotes without escaping them, so a
    value holding that quote breaks the INSERT and the row is silently missing after boot.
    """

    name: str  # section name in proxysql.cnf
    forced: dict[str, int] = field(default_factory=dict)  # columns not read: always this
    null_becomes: dict[str, str] = field(default_factory=dict)  # NULL cannot be stated
    accepted: dict[str, tuple[str, ...]] = field(default_factory=dict)  # others: first value
    double_quoted: frozenset[str] = frozenset()  # pasted between "...": no '"' allowed
    single_quoted: frozenset[str] = frozenset()  # pasted between '...': no "'" allowed
    negative_is_null: bool = False  # nullable integer columns: the reader takes -1 as NULL


@dataclass(frozen=True)
class Table:
    name: str
    module: Module
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    row_checks: tuple[RowCheck, ...] = ()
    auto_id: str = ""  # an AUTOINCREMENT key the spec must nevertheless give
    monitor_owned: tuple[str, ...] = ()  # columns the Monitor rewrites at runtime
    # topology tables whose rows hand their hostgroups to the Monitor: at runtime it moves
    # and adds this table's rows there (servers only)
    monitor_topology: tuple[str, ...] = ()
    runtime_table: str = ""
    description: str = ""
    checksum_command: str = ""  # `CHECKSUM MEMORY <this>` answers a checksum of the table
    disk_checksum: bool = False  # `CHECKSUM DISK <checksum_command>` exists too
    reaches_runtime: tuple[Reaches, ...] = ()  # rows failing one are not loaded (nor synced)
    # LOAD turns each row into one runtime row per flag set: (frontend, backend) for users
    split_flags: tuple[str, ...] = ()
    # (column, runtime column): runtime_<table> shows the column's value under another name
    runtime_shows: tuple[tuple[str, str], ...] = ()
    cnf: CnfSection | None = None  # how proxysql.cnf states it at first boot
    cnf_unreadable: str = ""  # why the config file cannot state it (cnf is None)
    column_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)
    position: dict[str, int] = field(init=False, repr=False, compare=False)

    @property
    def versions(self) -> tuple[str, ...]:
        return self.module.versions

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_by_name", {c.name: c for c in self.columns})
        object.__setattr__(self, "position", {c.name: i for i, c in enumerate(self.columns)})
        if not self.runtime_table:
            object.__setattr__(self, "runtime_table", f"runtime_{self.name}")

    def value(self, row: Sequence[V], column: str) -> V:
        """The value of `column` in a row read with this table's columns, in order."""
        return row[self.position[column]]

    @property
    def sealable(self) -> bool:
        """Can a layer seal vouch for this table's runtime (admin/layers.py)? The node
        checksums its memory table, and the module's runtime checksum moves with every LOAD
        and every Cluster pull, never on its own (the servers' runtime is the Monitor's too)."""
        return bool(
            self.checksum_command
            and any(self.module.checksum_names)
            and self.module.role is not Role.SERVERS
        )

    @property
    def secret_positions(self) -> tuple[int, ...]:
        """Where the secret columns are in a row (a spec may give them as references)."""
        return tuple(i for i, c in enumerate(self.columns) if c.secret)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def hostgroup_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.hostgroup)

    @property
    def integer_columns(self) -> frozenset[str]:
        """Columns read back from a node as int (the admin interface sends text)."""
        return frozenset(c.name for c in self.columns if c.kind is Kind.INT)


def _int(
    name: str,
    default: int | None = None,
    *,
    not_null: bool = True,
    required: bool = False,
    check: Check | None = None,
    hostgroup: bool = False,
    description: str = "",
) -> Column:
    flag = isinstance(check, OneOf) and set(check.values) == {0, 1}
    return Column(
        name,
        Kind.INT,
        not_null=not_null,
        default=default,
        has_default=not required,
        check=check,
        hostgroup=hostgroup,
        flag=flag,
        description=description,
    )


def _text(
    name: str,
    default: str | None = None,
    *,
    not_null: bool = True,
    required: bool = False,
    check: Check | None = None,
    secret: bool = False,
    description: str = "",
    load: Load = Load.KEEP,
) -> Column:
    return Column(
        name,
        Kind.TEXT,
        not_null=not_null,
        default=default,
        has_default=not required,
        check=check,
        secret=secret,
        description=description,
        load=load,
    )


def _json(
    name: str, description: str = "", keys: tuple[tuple[str, int, int | None], ...] = ()
) -> Column:
    return Column(name, Kind.JSON, default="", description=description, json_keys=keys)


# Measured on 2.7.1 and 3.0.1, mysql_servers and pgsql_servers alike: max_latency_ms 4294968
# runs as 0 (no limit at all), 5000000 as 705032.
MAX_LATENCY_MS = Column(
    "max_latency_ms", Kind.INT, default=0, check=Range(min=0), runtime_unit=(1000, "microseconds")
)
# The keys ProxySQL reads from hostgroup attributes' JSON (2.7.1 and 3.0.1; the PostgreSQL
# side of 3.0.1 does not read monitor_slave_lag_when_null).
SERVERS_DEFAULTS_KEYS = (("weight", 0, None), ("max_connections", 0, None), ("use_ssl", 0, 1))


FLAG = OneOf((0, 1))
NON_NEGATIVE = Range(min=0)
PORT = Range(0, 65535)

MYSQL_SERVERS = Module(
    "MYSQL SERVERS",
    ("mysql_servers", "mysql_servers_v2"),
    synced=True,
    role=Role.SERVERS,
    save_to_disk_variable="admin-cluster_mysql_servers_save_to_disk",
    diffs_variable="admin-cluster_mysql_servers_diffs_before_sync",
)
MYSQL_USERS = Module(
    "MYSQL USERS",
    ("mysql_users",),
    synced=True,
    role=Role.USERS,
    save_to_disk_variable="admin-cluster_mysql_users_save_to_disk",
    diffs_variable="admin-cluster_mysql_users_diffs_before_sync",
)
MYSQL_QUERY_RULES = Module(
    "MYSQL QUERY RULES",
    ("mysql_query_rules",),
    synced=True,
    role=Role.QUERY_RULES,
    save_to_disk_variable="admin-cluster_mysql_query_rules_save_to_disk",
    diffs_variable="admin-cluster_mysql_query_rules_diffs_before_sync",
)
MYSQL_VARIABLES = Module(
    "MYSQL VARIABLES",
    ("mysql_variables",),
    synced=True,
    role=Role.VARIABLES,
    save_to_disk_variable="admin-cluster_mysql_variables_save_to_disk",
    diffs_variable="admin-cluster_mysql_variables_diffs_before_sync",
)
ADMIN_VARIABLES = Module(
    "ADMIN VARIABLES",
    ("admin_variables",),
    synced=True,
    role=Role.VARIABLES,
    save_to_disk_variable="admin-cluster_admin_variables_save_to_disk",
    diffs_variable="admin-cluster_admin_variables_diffs_before_sync",
)
PROXYSQL_SERVERS = Module(
    "PROXYSQL SERVERS",
    ("proxysql_servers",),
    synced=True,
    role=Role.PROXYSQL_SERVERS,
    save_to_disk_variable="admin-cluster_proxysql_servers_save_to_disk",
    diffs_variable="admin-cluster_proxysql_servers_diffs_before_sync",
)
SCHEDULER = Module("SCHEDULER", (), synced=False)
MYSQL_FIREWALL = Module("MYSQL FIREWALL", (), synced=False)
RESTAPI = Module("RESTAPI", (), synced=False)

MYSQL_MODULES: tuple[Module, ...] = (
    MYSQL_VARIABLES,
    ADMIN_VARIABLES,
    MYSQL_SERVERS,
    MYSQL_USERS,
    MYSQL_QUERY_RULES,
    PROXYSQL_SERVERS,
    SCHEDULER,
    MYSQL_FIREWALL,
    RESTAPI,
)

_HG = "a hostgroup name from `hostgroups:` or a hostgroup id"

MYSQL_TABLES: tuple[Table, ...] = (
    Table(
        "mysql_servers",
        MYSQL_SERVERS,
        (
            _int("hostgroup_id", 0, check=NON_NEGATIVE, hostgroup=True, description=_HG),
            _text("hostname", required=True, description="hostname, IP, or socket path"),
            _int("port", 3306, check=PORT),
            _int("gtid_port", 0, check=PORT),
            _text(
                "status",
                "ONLINE",
                check=OneOf(("ONLINE", "SHUNNED", "OFFLINE_SOFT", "OFFLINE_HARD"), True),
                load=Load.UPPER,
            ),
            _int("weight", 1, check=Range(0, 10_000_000)),
            _int("compression", 0, check=FLAG),
            _int("max_connections", 1000, check=NON_NEGATIVE),
            _int("max_replication_lag", 0, check=Range(0, 126_144_000)),
            _int("use_ssl", 0, check=FLAG, description="1: connect to this backend with TLS"),
            MAX_LATENCY_MS,
            _text("comment", ""),
        ),
        key=("hostgroup_id", "hostname", "port"),
        row_checks=(DiffersFrom("gtid_port", "port", unless_zero=True),),
        monitor_owned=("status",),
        monitor_topology=(
            "mysql_replication_hostgroups",
            "mysql_group_replication_hostgroups",
            "mysql_galera_hostgroups",
            "mysql_aws_aurora_hostgroups",
        ),
        reaches_runtime=(Reaches("status", "<>", "OFFLINE_HARD"),),
        checksum_command="MYSQL SERVERS",
        disk_checksum=True,
        cnf=CnfSection("mysql_servers", double_quoted=frozenset({"hostname", "status"})),
        description="Backend MySQL servers, by hostgroup.",
    ),
    Table(
        "mysql_replication_hostgroups",
        MYSQL_SERVERS,
        (
            _int("writer_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _int("reader_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _text(
                "check_type",
                "read_only",
                check=OneOf(
                    (
                        "read_only",
                        "innodb_read_only",
                        "super_read_only",
                        "read_only|innodb_read_only",
                        "read_only&innodb_read_only",
                    ),
                    True,
                ),
            ),
            _text("comment", ""),
        ),
        key=("writer_hostgroup",),
        unique=(("reader_hostgroup",),),
        row_checks=(DiffersFrom("reader_hostgroup", "writer_hostgroup"),),
        checksum_command="MYSQL REPLICATION HOSTGROUPS",
        disk_checksum=True,
        cnf=CnfSection(
            "mysql_replication_hostgroups",
            accepted={"check_type": ("read_only", "innodb_read_only", "super_read_only")},
        ),
        description="Async replication: the Monitor moves servers by read_only.",
    ),
    *(
        Table(
            name,
            MYSQL_SERVERS,
            (
                _int("writer_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
                _int("backup_writer_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
                _int("reader_hostgroup", required=True, check=Range(min=1), hostgroup=True),
                _int("offline_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
                _int("active", 1, check=FLAG),
                _int("max_writers", 1, check=NON_NEGATIVE),
                _int("writer_is_also_reader", 0, check=OneOf((0, 1, 2))),
                _int("max_transactions_behind", 0, check=NON_NEGATIVE),
                _text("comment", None, not_null=False),
            ),
            key=("writer_hostgroup",),
            unique=(("backup_writer_hostgroup",), ("offline_hostgroup",), ("reader_hostgroup",)),
            row_checks=(
                DiffersFrom("backup_writer_hostgroup", "writer_hostgroup"),
                DiffersFrom("reader_hostgroup", "writer_hostgroup"),
                DiffersFrom("backup_writer_hostgroup", "reader_hostgroup"),
                DiffersFrom("offline_hostgroup", "writer_hostgroup"),
                DiffersFrom("offline_hostgroup", "reader_hostgroup"),
                DiffersFrom("backup_writer_hostgroup", "offline_hostgroup"),
            ),
            description=description,
            checksum_command=command,
            cnf=CnfSection(name, forced={"active": 1}, null_becomes={"comment": ""}),
        )
        for name, description, command in (
            (
                "mysql_group_replication_hostgroups",
                "MySQL Group Replication topology.",
                "MYSQL GROUP REPLICATION HOSTGROUPS",
            ),
            ("mysql_galera_hostgroups", "Galera / PXC topology.", "MYSQL GALERA HOSTGROUPS"),
        )
    ),
    Table(
        "mysql_aws_aurora_hostgroups",
        MYSQL_SERVERS,
        (
            _int("writer_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _int("reader_hostgroup", required=True, check=Range(min=1), hostgroup=True),
            _int("active", 1, check=FLAG),
            _int("aurora_port", 3306),
            _text(
                "domain_name",
                required=True,
                check=StartsWith("."),
                description="appended to each instance's SERVER_ID; starts with a dot",
            ),
            _int("max_lag_ms", 600000, check=Range(10, 600000)),
            _int("check_interval_ms", 1000, check=Range(100, 600000)),
            _int("check_timeout_ms", 800, check=Range(80, 3000)),
            _int("writer_is_also_reader", 0, check=FLAG),
            _int("new_reader_weight", 1, check=Range(0, 10_000_000)),
            _int("add_lag_ms", 30, check=Range(0, 600000)),
            _int("min_lag_ms", 30, check=Range(0, 600000)),
            _int("lag_num_checks", 1, check=Range(1, 16)),
            _text("comment", None, not_null=False),
        ),
        key=("writer_hostgroup",),
        unique=(("reader_hostgroup",),),
        row_checks=(DiffersFrom("reader_hostgroup", "writer_hostgroup"),),
        cnf=CnfSection(
            "mysql_aws_aurora_hostgroups", forced={"active": 1}, null_becomes={"comment": ""}
        ),
        description="AWS Aurora: the Monitor discovers instances and their roles.",
        checksum_command="MYSQL AURORA HOSTGROUPS",
    ),
    Table(
        "mysql_hostgroup_attributes",
        MYSQL_SERVERS,
        (
            _int("hostgroup_id", required=True, hostgroup=True),
            _int("max_num_online_servers", 1000000, check=Range(0, 1000000)),
            _int("autocommit", -1, check=OneOf((-1, 0, 1))),
            _int("free_connections_pct", 10, check=Range(0, 100)),
            _text("init_connect", ""),
            _int("multiplex", 1, check=FLAG),
            _int("connection_warming", 0, check=FLAG),
            _int("throttle_connections_per_sec", 1000000, check=Range(1, 1000000)),
            _json("ignore_session_variables"),
            _json(
                "hostgroup_settings",
                "keys: handle_warnings, monitor_slave_lag_when_null",
                (("handle_warnings", 0, 1), ("monitor_slave_lag_when_null", 0, 604800)),
            ),
            _json(
                "servers_defaults",
                "keys: weight, max_connections, use_ssl; applied to discovered servers",
                SERVERS_DEFAULTS_KEYS,
            ),
            _text("comment", ""),
        ),
        key=("hostgroup_id",),
        checksum_command="MYSQL HOSTGROUP ATTRIBUTES",
        cnf_unreadable="ProxySQL 2.7.1 does not read it from the config file "
        "(2.7.2 and later 2.7 releases do; 3.0.1 does not)",
        description="Per-hostgroup settings, including servers_defaults for discovered rows.",
    ),
    Table(
        "mysql_servers_ssl_params",
        MYSQL_SERVERS,
        (
            _text("hostname", required=True),
            _int("port", 3306, check=PORT),
            _text("username", ""),
            _text("ssl_ca", ""),
            _text("ssl_cert", ""),
            _text("ssl_key", ""),
            _text("ssl_capath", ""),
            _text("ssl_crl", ""),
            _text("ssl_crlpath", ""),
            _text("ssl_cipher", ""),
            _text("tls_version", "", description="stored but not applied by ProxySQL 2.7"),
            _text("comment", ""),
        ),
        key=("hostname", "port", "username"),
        checksum_command="MYSQL SERVERS SSL PARAMS",
        cnf=CnfSection(
            "mysql_servers_ssl_params",
            single_quoted=frozenset(
                {
                    "hostname",
                    "username",
                    "ssl_ca",
                    "ssl_cert",
                    "ssl_key",
                    "ssl_capath",
                    "ssl_crl",
                    "ssl_crlpath",
                    "ssl_cipher",
                    "tls_version",
                }
            ),
        ),
        description="Per-server TLS parameters for backend connections.",
    ),
    Table(
        "mysql_users",
        MYSQL_USERS,
        (
            _text("username", required=True),
            _text(
                "password",
                None,
                not_null=False,
                secret=True,
                description="{env: NAME}, {file: path}, a hash, or (discouraged) clear text",
                load=Load.EMPTY_FOR_NULL,
            ),
            _int("active", 1, check=FLAG),
            _int("use_ssl", 0, check=FLAG),
            _int("default_hostgroup", 0, hostgroup=True, description=_HG),
            _text("default_schema", None, not_null=False, load=Load.EMPTY_FOR_NULL),
            _int("schema_locked", 0, check=FLAG),
            _int("transaction_persistent", 1, check=FLAG),
            _int("fast_forward", 0, check=FLAG),
            _int("backend", 1, check=FLAG),
            _int("frontend", 1, check=FLAG),
            _int("max_connections", 10000, check=NON_NEGATIVE),
            _json("attributes"),
            _text("comment", ""),
        ),
        key=("username", "backend"),
        unique=(("username", "frontend"),),
        reaches_runtime=(
            Reaches("active", "=", 1),
            Reaches("default_hostgroup", ">=", 0, refused=True),
        ),
        split_flags=("frontend", "backend"),
        cnf=CnfSection(
            "mysql_users",
            forced={"frontend": 1, "backend": 1},
            null_becomes={"password": "", "default_schema": ""},
            single_quoted=frozenset({"username", "password", "default_schema", "attributes"}),
        ),
        description="Client and backend users.",
        checksum_command="MYSQL USERS",
        disk_checksum=True,
    ),
    Table(
        "mysql_query_rules",
        MYSQL_QUERY_RULES,
        (
            _int("rule_id", required=True),
            _int("active", 0, check=FLAG, description="table default 0: the rule is inactive"),
            _text("username", None, not_null=False),
            _text("schemaname", None, not_null=False),
            _int("flagIN", 0, check=NON_NEGATIVE),
            _text("client_addr", None, not_null=False),
            _text("proxy_addr", None, not_null=False),
            _int("proxy_port", None, not_null=False, check=PORT),
            _text("digest", None, not_null=False, load=Load.DIGEST),
            _text("match_digest", None, not_null=False),
            _text("match_pattern", None, not_null=False),
            _int("negate_match_pattern", 0, check=FLAG),
            _text(
                "re_modifiers",
                "CASELESS",
                not_null=False,
                load=Load.RE_MODIFIERS,
                description="CASELESS, GLOBAL or CASELESS,GLOBAL; anything else runs as ''",
            ),
            _int("flagOUT", None, not_null=False, check=NON_NEGATIVE),
            _text("replace_pattern", None, not_null=False),
            _int("destination_hostgroup", None, not_null=False, hostgroup=True, description=_HG),
            _int("cache_ttl", None, not_null=False, check=Range(min=1)),
            _int("cache_empty_result", None, not_null=False, check=FLAG),
            _int("cache_timeout", None, not_null=False, check=NON_NEGATIVE),
            _int("reconnect", None, not_null=False, check=FLAG),
            _int("timeout", None, not_null=False, check=NON_NEGATIVE),
            _int("retries", None, not_null=False, check=Range(0, 1000)),
            _int("delay", None, not_null=False, check=NON_NEGATIVE),
            _int("next_query_flagIN", None, not_null=False),
            _int("mirror_flagOUT", None, not_null=False),
            _int("mirror_hostgroup", None, not_null=False, hostgroup=True, description=_HG),
            _text("error_msg", None, not_null=False),
            _text("OK_msg", None, not_null=False),
            _int("sticky_conn", None, not_null=False, check=FLAG),
            _int("multiplex", None, not_null=False, check=OneOf((0, 1, 2))),
            _int("gtid_from_hostgroup", None, not_null=False, hostgroup=True),
            _int("log", None, not_null=False, check=FLAG),
            _int("apply", 0, check=FLAG),
            _json("attributes"),
            _text("comment", None, not_null=False),
        ),
        key=("rule_id",),
        row_checks=(RequiresNotNull("replace_pattern", "match_pattern"),),
        auto_id="rule_id",
        reaches_runtime=(Reaches("active", "=", 1),),
        checksum_command="MYSQL QUERY RULES",
        disk_checksum=True,
        cnf=CnfSection(
            "mysql_query_rules",
            null_becomes={"re_modifiers": "CASELESS"},
            double_quoted=frozenset(
                {
                    "username",
                    "schemaname",
                    "client_addr",
                    "proxy_addr",
                    "digest",
                    "match_digest",
                    "match_pattern",
                    "replace_pattern",
                    "error_msg",
                    "OK_msg",
                    "re_modifiers",
                }
            ),
            single_quoted=frozenset({"attributes", "comment"}),
            negative_is_null=True,
        ),
        description="Query routing, rewriting, caching and mirroring rules.",
    ),
    Table(
        "mysql_query_rules_fast_routing",
        MYSQL_QUERY_RULES,
        (
            _text("username", required=True),
            _text("schemaname", required=True),
            _int("flagIN", 0),
            _int("destination_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _text("comment", required=True),
        ),
        key=("username", "schemaname", "flagIN"),
        cnf_unreadable="the config file has no section for it",
        description="Routing by (username, schemaname, flagIN) without regexes.",
    ),
    Table(
        "proxysql_servers",
        PROXYSQL_SERVERS,
        (
            _text("hostname", required=True),
            _int("port", 6032),
            _int("weight", 0, check=NON_NEGATIVE),
            _text("comment", ""),
        ),
        key=("hostname", "port"),
        cnf=CnfSection("proxysql_servers", double_quoted=frozenset({"hostname"})),
        description="The ProxySQL Cluster peers.",
    ),
    Table(
        "scheduler",
        SCHEDULER,
        (
            _int("id", required=True),
            _int("active", 1, check=FLAG),
            _int("interval_ms", required=True, check=Range(100, 100_000_000)),
            _text("filename", required=True),
            _text("arg1", None, not_null=False),
            _text("arg2", None, not_null=False),
            _text("arg3", None, not_null=False),
            _text("arg4", None, not_null=False),
            _text("arg5", None, not_null=False),
            _text("comment", ""),
        ),
        key=("id",),
        auto_id="id",
        cnf=CnfSection(
            "scheduler",
            single_quoted=frozenset(
                {"filename", "arg1", "arg2", "arg3", "arg4", "arg5", "comment"}
            ),
        ),
        description="Scripts ProxySQL runs periodically (not synced by Cluster).",
    ),
    Table(
        "mysql_firewall_whitelist_users",
        MYSQL_FIREWALL,
        (
            _int("active", 1, check=FLAG),
            _text("username", required=True),
            _text("client_address", required=True),
            _text("mode", "OFF", check=OneOf(("OFF", "DETECTING", "PROTECTING"))),
            _text("comment", required=True),
        ),
        key=("username", "client_address"),
        cnf_unreadable="the config file has no section for it",
        description="Firewall whitelist: users and their mode (not synced by Cluster).",
    ),
    Table(
        "mysql_firewall_whitelist_rules",
        MYSQL_FIREWALL,
        (
            _int("active", 1, check=FLAG),
            _text("username", required=True),
            _text("client_address", required=True),
            _text("schemaname", required=True),
            _int("flagIN", 0),
            _text("digest", required=True),
            _text("comment", required=True),
        ),
        key=("username", "client_address", "schemaname", "flagIN", "digest"),
        cnf_unreadable="the config file has no section for it",
        description="Firewall whitelist: allowed digests per user.",
    ),
    Table(
        "mysql_firewall_whitelist_sqli_fingerprints",
        MYSQL_FIREWALL,
        (
            _int("active", 1, check=FLAG),
            _text("fingerprint", required=True),
        ),
        key=("fingerprint",),
        cnf_unreadable="the config file has no section for it",
        description="Firewall whitelist: SQL-injection fingerprints to allow.",
    ),
    Table(
        "restapi_routes",
        RESTAPI,
        (
            _int("id", required=True),
            _int("active", 1, check=FLAG),
            _int("timeout_ms", required=True, check=Range(100, 100_000_000)),
            _text("method", required=True, check=OneOf(("GET", "POST"), True)),
            _text("uri", required=True),
            _text("script", required=True),
            _text("comment", ""),
        ),
        key=("id",),
        auto_id="id",
        cnf=CnfSection("restapi", single_quoted=frozenset({"method", "uri", "script", "comment"})),
        description="REST API endpoints served by scripts (not synced by Cluster).",
    ),
)

# ProxySQL 3.0's PostgreSQL side, as a fresh 3.0.1 showed it. ProxySQL Cluster in 3.0.1
# syncs none of these modules (a peer never pulls them, though the primary's
# runtime_checksums_values lists pgsql_servers, pgsql_users, pgsql_query_rules and
# pgsql_variables), and `CHECKSUM MEMORY` answers for none of them.
_V3 = ("3.0",)


def _pgsql(keyword: str, role: Role, checksum: str = "", *, loadable: bool = True) -> Module:
    """A PostgreSQL module. Its Cluster variables are named as the MySQL modules' are, for a
    build that syncs it; 3.0.1 has none of them."""
    name = keyword.lower().replace(" ", "_")
    return Module(
        keyword,
        (checksum,) if checksum else (),
        synced=False,
        role=role,
        save_to_disk_variable=f"admin-cluster_{name}_save_to_disk" if checksum else "",
        diffs_variable=f"admin-cluster_{name}_diffs_before_sync" if checksum else "",
        versions=_V3,
        loadable=loadable,
    )


PGSQL_SERVERS = _pgsql("PGSQL SERVERS", Role.SERVERS, "pgsql_servers")
PGSQL_USERS = _pgsql("PGSQL USERS", Role.USERS, "pgsql_users")
PGSQL_QUERY_RULES = _pgsql("PGSQL QUERY RULES", Role.QUERY_RULES, "pgsql_query_rules")
PGSQL_VARIABLES = _pgsql("PGSQL VARIABLES", Role.VARIABLES, "pgsql_variables")
PGSQL_FIREWALL = _pgsql("PGSQL FIREWALL", Role.OTHER)
# 3.0.1 has no LOAD or SAVE command for pgsql_ldap_mapping (every form is a syntax error).
PGSQL_LDAP_MAPPING = _pgsql("PGSQL LDAP MAPPING", Role.OTHER, loadable=False)

PGSQL_MODULES: tuple[Module, ...] = (
    PGSQL_VARIABLES,
    PGSQL_SERVERS,
    PGSQL_USERS,
    PGSQL_QUERY_RULES,
    PGSQL_FIREWALL,
    PGSQL_LDAP_MAPPING,
)

PGSQL_TABLES: tuple[Table, ...] = (
    Table(
        "pgsql_servers",
        PGSQL_SERVERS,
        (
            _int("hostgroup_id", 0, check=NON_NEGATIVE, hostgroup=True, description=_HG),
            _text("hostname", required=True, description="hostname, IP, or socket path"),
            _int("port", 5432, check=PORT),
            _text(
                "status",
                "ONLINE",
                check=OneOf(("ONLINE", "SHUNNED", "OFFLINE_SOFT", "OFFLINE_HARD"), True),
                load=Load.UPPER,
            ),
            _int("weight", 1, check=Range(0, 10_000_000)),
            _int("compression", 0, check=FLAG),
            _int("max_connections", 1000, check=NON_NEGATIVE),
            _int("max_replication_lag", 0, check=Range(0, 126_144_000)),
            _int("use_ssl", 0, check=FLAG, description="1: connect to this backend with TLS"),
            MAX_LATENCY_MS,
            _text("comment", ""),
        ),
        key=("hostgroup_id", "hostname", "port"),
        monitor_owned=("status",),
        monitor_topology=("pgsql_replication_hostgroups",),
        reaches_runtime=(Reaches("status", "<>", "OFFLINE_HARD"),),
        cnf=CnfSection("pgsql_servers", double_quoted=frozenset({"hostname", "status"})),
        description="Backend PostgreSQL servers, by hostgroup (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_replication_hostgroups",
        PGSQL_SERVERS,
        (
            _int("writer_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _int("reader_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _text(
                "check_type",
                "read_only",
                check=OneOf(
                    (
                        "read_only",
                        "innodb_read_only",
                        "super_read_only",
                        "read_only|innodb_read_only",
                        "read_only&innodb_read_only",
                    ),
                    True,
                ),
            ),
            _text("comment", ""),
        ),
        key=("writer_hostgroup",),
        unique=(("reader_hostgroup",),),
        row_checks=(DiffersFrom("reader_hostgroup", "writer_hostgroup"),),
        cnf=CnfSection(
            "pgsql_replication_hostgroups",
            accepted={"check_type": ("read_only", "innodb_read_only", "super_read_only")},
        ),
        description="PostgreSQL replication: the Monitor moves servers by read_only "
        "(ProxySQL 3.0).",
    ),
    Table(
        "pgsql_hostgroup_attributes",
        PGSQL_SERVERS,
        (
            _int("hostgroup_id", required=True, hostgroup=True),
            _int("max_num_online_servers", 1000000, check=Range(0, 1000000)),
            _int("autocommit", -1, check=OneOf((-1, 0, 1))),
            _int("free_connections_pct", 10, check=Range(0, 100)),
            _text("init_connect", ""),
            _int("multiplex", 1, check=FLAG),
            _int("connection_warming", 0, check=FLAG),
            _int("throttle_connections_per_sec", 1000000, check=Range(1, 1000000)),
            _json("ignore_session_variables"),
            _json("hostgroup_settings", "keys: handle_warnings", (("handle_warnings", 0, 1),)),
            _json(
                "servers_defaults", "keys: weight, max_connections, use_ssl", SERVERS_DEFAULTS_KEYS
            ),
            _text("comment", ""),
        ),
        key=("hostgroup_id",),
        cnf_unreadable="ProxySQL 3.0.1 does not read it from the config file (later releases do)",
        description="Per-hostgroup settings of PostgreSQL hostgroups (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_users",
        PGSQL_USERS,
        (
            _text("username", required=True),
            _text(
                "password",
                None,
                not_null=False,
                secret=True,
                description="{env: NAME}, {file: path}, a hash, or (discouraged) clear text",
                load=Load.EMPTY_FOR_NULL,
            ),
            _int("active", 1, check=FLAG),
            _int("use_ssl", 0, check=FLAG),
            _int("default_hostgroup", 0, hostgroup=True, description=_HG),
            _int("transaction_persistent", 1, check=FLAG),
            _int("fast_forward", 0, check=FLAG),
            _int("backend", 1, check=FLAG),
            _int("frontend", 1, check=FLAG),
            _int("max_connections", 10000, check=NON_NEGATIVE),
            _json("attributes"),
            _text("comment", ""),
        ),
        key=("username", "backend"),
        unique=(("username", "frontend"),),
        reaches_runtime=(
            Reaches("active", "=", 1),
            Reaches("default_hostgroup", ">=", 0, refused=True),
        ),
        split_flags=("frontend", "backend"),
        cnf=CnfSection(
            "pgsql_users",
            forced={"frontend": 1, "backend": 1},
            null_becomes={"password": ""},
            single_quoted=frozenset({"username", "password", "attributes"}),
        ),
        description="PostgreSQL client and backend users (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_query_rules",
        PGSQL_QUERY_RULES,
        (
            _int("rule_id", required=True),
            _int("active", 0, check=FLAG, description="table default 0: the rule is inactive"),
            _text("username", None, not_null=False),
            _text("database", None, not_null=False),
            _int("flagIN", 0, check=NON_NEGATIVE),
            _text("client_addr", None, not_null=False),
            _text("proxy_addr", None, not_null=False),
            _int("proxy_port", None, not_null=False, check=PORT),
            _text("digest", None, not_null=False, load=Load.DIGEST),
            _text("match_digest", None, not_null=False),
            _text("match_pattern", None, not_null=False),
            _int("negate_match_pattern", 0, check=FLAG),
            _text("re_modifiers", "CASELESS", not_null=False, load=Load.RE_MODIFIERS),
            _int("flagOUT", None, not_null=False, check=NON_NEGATIVE),
            _text("replace_pattern", None, not_null=False),
            _int("destination_hostgroup", None, not_null=False, hostgroup=True, description=_HG),
            _int("cache_ttl", None, not_null=False, check=Range(min=1)),
            _int("cache_empty_result", None, not_null=False, check=FLAG),
            _int("cache_timeout", None, not_null=False, check=NON_NEGATIVE),
            _int("reconnect", None, not_null=False, check=FLAG),
            _int("timeout", None, not_null=False, check=NON_NEGATIVE),
            _int("retries", None, not_null=False, check=Range(0, 1000)),
            _int("delay", None, not_null=False, check=NON_NEGATIVE),
            _int("next_query_flagIN", None, not_null=False),
            _int("mirror_flagOUT", None, not_null=False),
            _int("mirror_hostgroup", None, not_null=False, hostgroup=True, description=_HG),
            _text("error_msg", None, not_null=False),
            _text("OK_msg", None, not_null=False),
            _int("sticky_conn", None, not_null=False, check=FLAG),
            _int("multiplex", None, not_null=False, check=OneOf((0, 1, 2))),
            _int("log", None, not_null=False, check=FLAG),
            _int("apply", 0, check=FLAG),
            _json("attributes"),
            _text("comment", None, not_null=False),
        ),
        key=("rule_id",),
        row_checks=(RequiresNotNull("replace_pattern", "match_pattern"),),
        auto_id="rule_id",
        # ProxySQL 3.0.1 shows each of these at runtime under the other's name (measured;
        # SAVE ... FROM RUNTIME writes them back swapped)
        runtime_shows=(
            ("mirror_flagOUT", "mirror_hostgroup"),
            ("mirror_hostgroup", "mirror_flagOUT"),
        ),
        reaches_runtime=(Reaches("active", "=", 1),),
        cnf=CnfSection(
            "pgsql_query_rules",
            null_becomes={"re_modifiers": "CASELESS"},
            double_quoted=frozenset(
                {
                    "username",
                    "database",
                    "client_addr",
                    "proxy_addr",
                    "digest",
                    "match_digest",
                    "match_pattern",
                    "replace_pattern",
                    "error_msg",
                    "OK_msg",
                    "re_modifiers",
                }
            ),
            single_quoted=frozenset({"attributes", "comment"}),
            negative_is_null=True,
        ),
        description="PostgreSQL query routing, rewriting and caching rules (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_query_rules_fast_routing",
        PGSQL_QUERY_RULES,
        (
            _text("username", required=True),
            _text("database", required=True),
            _int("flagIN", 0),
            _int("destination_hostgroup", required=True, check=NON_NEGATIVE, hostgroup=True),
            _text("comment", required=True),
        ),
        key=("username", "database", "flagIN"),
        cnf_unreadable="the config file has no section for it",
        description="PostgreSQL routing by (username, database, flagIN) (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_firewall_whitelist_users",
        PGSQL_FIREWALL,
        (
            _int("active", 1, check=FLAG),
            _text("username", required=True),
            _text("client_address", required=True),
            _text("mode", "OFF", check=OneOf(("OFF", "DETECTING", "PROTECTING"))),
            _text("comment", required=True),
        ),
        key=("username", "client_address"),
        cnf_unreadable="the config file has no section for it",
        description="PostgreSQL firewall whitelist: users and their mode (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_firewall_whitelist_rules",
        PGSQL_FIREWALL,
        (
            _int("active", 1, check=FLAG),
            _text("username", required=True),
            _text("client_address", required=True),
            _text("database", required=True),
            _int("flagIN", 0),
            _text("digest", required=True),
            _text("comment", required=True),
        ),
        key=("username", "client_address", "database", "flagIN", "digest"),
        cnf_unreadable="the config file has no section for it",
        description="PostgreSQL firewall whitelist: allowed digests per user (ProxySQL 3.0).",
    ),
    Table(
        "pgsql_firewall_whitelist_sqli_fingerprints",
        PGSQL_FIREWALL,
        (
            _int("active", 1, check=FLAG),
            _text("fingerprint", required=True),
        ),
        key=("fingerprint",),
        cnf_unreadable="the config file has no section for it",
        description="PostgreSQL firewall whitelist: SQL-injection fingerprints to allow "
        "(ProxySQL 3.0).",
    ),
    Table(
        "pgsql_ldap_mapping",
        PGSQL_LDAP_MAPPING,
        (
            _int("priority", required=True, check=Range(1, 1000000)),
            _text("frontend_entity", required=True),
            _text("backend_entity", required=True),
            _text("comment", ""),
        ),
        key=("priority",),
        unique=(("frontend_entity",),),
        auto_id="priority",
        cnf_unreadable="ProxySQL 3.0.1 has no config file section for it, nor a LOAD command: "
        "pxc does not write its rows at all (PXC144)",
        description="LDAP group to backend user mapping (ProxySQL 3.0; 3.0.1 has no LOAD "
        "command for it, so its rows never take effect).",
    ),
)

TABLES: tuple[Table, ...] = (*MYSQL_TABLES, *PGSQL_TABLES)
"""Every table a spec may declare, in the order batches and sections follow."""
MODULES: tuple[Module, ...] = (*MYSQL_MODULES, *PGSQL_MODULES)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def tables_of(keyword: str) -> tuple[Table, ...]:
    """The tables of one LOAD/SAVE module (`MYSQL SERVERS`, ...)."""
    return tuple(t for t in TABLES if t.module.keyword == keyword)


def tables_on(series: str) -> tuple[Table, ...]:
    """The tables a server of this release series (`2.7`, `3.0`) has."""
    return tuple(t for t in TABLES if series in t.versions)


# Every variable section a spec may declare (pgsql_variables only for ProxySQL 3.0).
VARIABLE_SECTIONS: dict[str, Module] = {
    "mysql_variables": MYSQL_VARIABLES,
    "admin_variables": ADMIN_VARIABLES,
    "pgsql_variables": PGSQL_VARIABLES,
}
VARIABLE_PREFIX: dict[str, str] = {
    "mysql_variables": "mysql-",
    "admin_variables": "admin-",
    "pgsql_variables": "pgsql-",
}

MODULE_BY_KEYWORD: dict[str, Module] = {m.keyword: m for m in MODULES}


def variable_module(name: str) -> Module:
    """The module a global variable belongs to, by its prefix."""
    if name.startswith("pgsql-"):
        return PGSQL_VARIABLES
    return MYSQL_VARIABLES if name.startswith("mysql-") else ADMIN_VARIABLES


def section_versions(section: str) -> tuple[str, ...]:
    """The server versions that have a spec section (every version for the others)."""
    if section in TABLE_BY_NAME:
        return TABLE_BY_NAME[section].versions
    if section in VARIABLE_SECTIONS:
        return VARIABLE_SECTIONS[section].versions
    return VERSIONS
