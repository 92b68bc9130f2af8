"""Validation of global variables at `LOAD ... VARIABLES TO RUNTIME`, as ProxySQL 2.7.1 does it
(3.0.1 treats its `pgsql-` variables the same way, measured for booleans, unknown names and the
restart-only ones).

A rejected value answers OK and memory is reset to the runtime value; an unknown name is deleted
from memory; restart-only variables keep their runtime value (measured on a real 2.7.1).
"""

import re

# Ranges (inclusive) of integer variables, from ProxySQL 2.7.1's variable tables (measured
# where it matters). Integer variables not listed accept any integer.
INT_RANGES: dict[str, tuple[int, int]] = {
    "admin-cluster_check_interval_ms": (10, 300000),
    "admin-cluster_check_status_frequency": (0, 10000),
    "admin-cluster_mysql_query_rules_diffs_before_sync": (0, 1000),
    "admin-cluster_mysql_servers_diffs_before_sync": (0, 1000),
    "admin-cluster_mysql_users_diffs_before_sync": (0, 1000),
    "admin-cluster_proxysql_servers_diffs_before_sync": (0, 1000),
    "admin-cluster_mysql_variables_diffs_before_sync": (0, 1000),
    "admin-cluster_admin_variables_diffs_before_sync": (0, 1000),
    "admin-cluster_ldap_variables_diffs_before_sync": (0, 1000),
    "admin-cluster_mysql_servers_sync_algorithm": (1, 3),
    "admin-refresh_interval": (100, 100000),
    "admin-restapi_port": (1, 65535),
    "admin-web_port": (1, 65535),
    "admin-web_verbosity": (0, 10),
    "admin-stats_mysql_connection_pool": (0, 300),
    "admin-stats_mysql_connections": (0, 300),
    "admin-stats_mysql_query_cache": (0, 300),
    "admin-stats_system_cpu": (0, 600),
    "admin-stats_system_memory": (0, 600),
    "admin-stats_mysql_query_digest_to_disk": (0, 24 * 3600),
    "admin-prometheus_memory_metrics_interval": (0, 7 * 24 * 3600),
    "admin-coredump_generation_interval_ms": (0, 2147483647),
    "admin-coredump_generation_threshold": (1, 500),
    "mysql-throttle_ratio_server_to_client": (0, 100),
    "mysql-connpoll_reset_queue_length": (0, 10000),
    "mysql-default_max_latency_ms": (0, 20 * 24 * 3600 * 1000),
    "mysql-free_connections_pct": (0, 100),
    "mysql-poll_timeout": (10, 20000),
    "mysql-poll_timeout_on_failure": (10, 20000),
    "mysql-reset_connection_algorithm": (1, 2),
    "mysql-shun_on_failures": (0, 10000000),
    "mysql-shun_recovery_time_sec": (0, 3600 * 24 * 365),
    "mysql-unshun_algorithm": (0, 1),
    "mysql-hostgroup_manager_verbose": (0, 3),
    "mysql-tcp_keepalive_time": (0, 7200),
    "mysql-min_num_servers_lantency_awareness": (0, 10000),
    "mysql-aurora_max_lag_ms_only_read_from_replicas": (0, 100),
    "mysql-connect_retries_on_failure": (0, 1000),
    "mysql-connect_retries_delay": (0, 10000),
    "mysql-connect_timeout_client": (500, 3600 * 1000),
    "mysql-connect_timeout_server": (10, 120 * 1000),
    "mysql-connect_timeout_server_max": (10, 3600 * 1000),
    "mysql-connection_delay_multiplex_ms": (0, 300 * 1000),
    "mysql-connection_max_age_ms": (0, 3600 * 24 * 1000),
    "mysql-handle_unknown_charset": (0, 2),
    "mysql-ping_interval_server_msec": (1000, 7 * 24 * 3600 * 1000),
    "mysql-ping_timeout_server": (10, 600 * 1000),
    "mysql-client_host_cache_size": (0, 1024 * 1024),
    "mysql-client_host_error_counts": (0, 1024 * 1024),
    "mysql-auditlog_filesize": (1024 * 1024, 1024 * 1024 * 1024),
    "mysql-eventslog_filesize": (1024 * 1024, 1024 * 1024 * 1024),
    "mysql-eventslog_default_log": (0, 1),
    "mysql-eventslog_format": (1, 2),
    "mysql-long_query_time": (0, 20 * 24 * 3600 * 1000),
    "mysql-max_allowed_packet": (8192, 1024 * 1024 * 1024),
    "mysql-max_connections": (1, 1000 * 1000),
    "mysql-max_stmts_per_connection": (1, 1024),
    "mysql-max_stmts_cache": (1024, 1024 * 1024),
    "mysql-max_transaction_idle_time": (1000, 20 * 24 * 3600 * 1000),
    "mysql-max_transaction_time": (1000, 20 * 24 * 3600 * 1000),
    "mysql-query_cache_size_MB": (0, 1024 * 10240),
    "mysql-query_cache_soft_ttl_pct": (0, 100),
    "mysql-session_idle_ms": (1, 3600 * 1000),
    "mysql-show_processlist_extended": (0, 2),
    "mysql-threshold_query_length": (1024, 1024 * 1024 * 1024),
    "mysql-threshold_resultset_size": (1024, 1024 * 1024 * 1024),
    "mysql-wait_timeout": (0, 20 * 24 * 3600 * 1000),
    "mysql-monitor_connect_interval": (100, 7 * 24 * 3600 * 1000),
    "mysql-monitor_connect_timeout": (100, 600 * 1000),
    "mysql-monitor_ping_interval": (100, 7 * 24 * 3600 * 1000),
    "mysql-monitor_ping_timeout": (100, 600 * 1000),
    "mysql-monitor_ping_max_failures": (1, 1000 * 1000),
    "mysql-monitor_read_only_interval": (100, 7 * 24 * 3600 * 1000),
    "mysql-monitor_read_only_timeout": (100, 600 * 1000),
    "mysql-monitor_replication_lag_interval": (100, 7 * 24 * 3600 * 1000),
    "mysql-monitor_replication_lag_timeout": (100, 600 * 1000),
    "mysql-monitor_history": (1000, 7 * 24 * 3600 * 1000),
    "mysql-monitor_threads_min": (2, 256),
    "mysql-monitor_threads_max": (4, 1024),
    "mysql-query_retries_on_failure": (0, 1000),
    "mysql-query_rules_fast_routing_algorithm": (1, 2),
    "mysql-query_processor_regex": (1, 2),
    "mysql-set_parser_algorithm": (1, 2),
}

# Changing these needs a restart: LOAD keeps the runtime value and resets memory.
RESTART_ONLY = frozenset(
    {"mysql-threads", "mysql-interfaces", "mysql-stacksize", "pgsql-threads", "pgsql-interfaces"}
)  # (3.0.1 changes pgsql-stacksize at LOAD)
READ_ONLY = frozenset({"admin-version"})

# Excluded from the variables checksums (unless cluster_sync_interfaces=true) and from sync.
NOT_SYNCED = frozenset(
    {
        "mysql-threads",
        "mysql-interfaces",
        "admin-mysql_ifaces",
        "admin-restapi_port",
        "admin-telnet_admin_ifaces",
        "admin-telnet_stats_ifaces",
        "admin-web_port",
    }
)

BOOL_TRUE = frozenset({"true", "1", "TRUE", "True"})
BOOL_FALSE = frozenset({"false", "0", "FALSE", "False"})
_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def leading_int(text: str) -> int | None:
    """C atoi-like parse: the leading integer of the text, or None when there is none."""
    m = _LEADING_INT.match(text)
    return int(m.group(1)) if m else None


def kind_of(default: str) -> str:
    if default in ("true", "false"):
        return "bool"
    if re.fullmatch(r"-?\d+", default):
        return "int"
    return "str"


def validate(name: str, value: str, current: str, default: str) -> str | None:
    """Return the runtime value for `value`, or None if ProxySQL would reject it."""
    if name in READ_ONLY or name in RESTART_ONLY:
        return None if value != current else current
    kind = kind_of(default)
    if kind == "bool":
        if value in BOOL_TRUE:
            return "true"
        if value in BOOL_FALSE:
            return "false"
        return None
    if kind == "int":
        n = leading_int(value)
        if n is None:
            return None
        lo, hi = INT_RANGES.get(name, (-(2**63), 2**63 - 1))
        if not lo <= n <= hi:
            return None
        return str(n)
    if name in ("admin-cluster_username", "admin-cluster_password") and value == "":
        return current  # an empty cluster user is silently a no-op at runtime
    if name in ("admin-admin_credentials", "admin-stats_credentials") and not _creds_ok(value):
        return None
    return value


def _creds_ok(value: str) -> bool:
    return all(":" in part for part in value.split(";") if part)


def parse_credentials(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split(";"):
        if ":" in part:
            user, pw = part.split(":", 1)
            out[user] = pw
    return out
