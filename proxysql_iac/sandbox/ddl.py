"""Table definitions of the emulated ProxySQL 2.7.1 and 3.0.1 admin schemas.

Written for the sandbox from what a real 2.7.1 build reports (`SHOW CREATE TABLE` of each admin
table), independently of the validator's models. The CHECK expressions are spelled
the way ProxySQL spells them because SQLite quotes the failing expression in its error text
("CHECK constraint failed: port >= 0 AND port <= 65535"), which clients see verbatim.

Each entry maps a table name to its column list (the text between the parentheses). The same
body is used for `main.<t>`, `disk.<t>` and `main.runtime_<t>`.
"""

import json
from importlib import resources

_HG_PAIR_COLUMNS = (
    "writer_hostgroup INT CHECK (writer_hostgroup>=0) NOT NULL PRIMARY KEY , "
    "backup_writer_hostgroup INT CHECK (backup_writer_hostgroup>=0 AND "
    "backup_writer_hostgroup<>writer_hostgroup) NOT NULL , "
    "reader_hostgroup INT NOT NULL CHECK (reader_hostgroup<>writer_hostgroup AND "
    "backup_writer_hostgroup<>reader_hostgroup AND reader_hostgroup>0) , "
    "offline_hostgroup INT NOT NULL CHECK (offline_hostgroup<>writer_hostgroup AND "
    "offline_hostgroup<>reader_hostgroup AND backup_writer_hostgroup<>offline_hostgroup AND "
    "offline_hostgroup>=0) , "
    "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
    "max_writers INT NOT NULL CHECK (max_writers >= 0) DEFAULT 1 , "
    "writer_is_also_reader INT CHECK (writer_is_also_reader IN (0,1,2)) NOT NULL DEFAULT 0 , "
    "max_transactions_behind INT CHECK (max_transactions_behind>=0) NOT NULL DEFAULT 0 , "
    "comment VARCHAR , "
    "UNIQUE (reader_hostgroup) , UNIQUE (offline_hostgroup) , UNIQUE (backup_writer_hostgroup)"
)

# Configuration tables of `main`, in ProxySQL's column order.
CONFIG_TABLES: dict[str, str] = {
    "mysql_servers": (
        "hostgroup_id INT CHECK (hostgroup_id>=0) NOT NULL DEFAULT 0 , "
        "hostname VARCHAR NOT NULL , "
        "port INT CHECK (port >= 0 AND port <= 65535) NOT NULL DEFAULT 3306 , "
        "gtid_port INT CHECK ((gtid_port <> port OR gtid_port=0) AND gtid_port >= 0 AND "
        "gtid_port <= 65535) NOT NULL DEFAULT 0 , "
        "status VARCHAR CHECK (UPPER(status) IN ('ONLINE','SHUNNED','OFFLINE_SOFT', "
        "'OFFLINE_HARD')) NOT NULL DEFAULT 'ONLINE' , "
        "weight INT CHECK (weight >= 0 AND weight <=10000000) NOT NULL DEFAULT 1 , "
        "compression INT CHECK (compression IN(0,1)) NOT NULL DEFAULT 0 , "
        "max_connections INT CHECK (max_connections >=0) NOT NULL DEFAULT 1000 , "
        "max_replication_lag INT CHECK (max_replication_lag >= 0 AND "
        "max_replication_lag <= 126144000) NOT NULL DEFAULT 0 , "
        "use_ssl INT CHECK (use_ssl IN(0,1)) NOT NULL DEFAULT 0 , "
        "max_latency_ms INT UNSIGNED CHECK (max_latency_ms>=0) NOT NULL DEFAULT 0 , "
        "comment VARCHAR NOT NULL DEFAULT '' , "
        "PRIMARY KEY (hostgroup_id, hostname, port)"
    ),
    "mysql_users": (
        "username VARCHAR NOT NULL , password VARCHAR , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
        "use_ssl INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0 , "
        "default_hostgroup INT NOT NULL DEFAULT 0 , default_schema VARCHAR , "
        "schema_locked INT CHECK (schema_locked IN (0,1)) NOT NULL DEFAULT 0 , "
        "transaction_persistent INT CHECK (transaction_persistent IN (0,1)) NOT NULL DEFAULT 1 , "
        "fast_forward INT CHECK (fast_forward IN (0,1)) NOT NULL DEFAULT 0 , "
        "backend INT CHECK (backend IN (0,1)) NOT NULL DEFAULT 1 , "
        "frontend INT CHECK (frontend IN (0,1)) NOT NULL DEFAULT 1 , "
        "max_connections INT CHECK (max_connections >=0) NOT NULL DEFAULT 10000 , "
        "attributes VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL "
        "DEFAULT '' , "
        "comment VARCHAR NOT NULL DEFAULT '' , "
        "PRIMARY KEY (username, backend) , UNIQUE (username, frontend)"
    ),
    "mysql_replication_hostgroups": (
        "writer_hostgroup INT CHECK (writer_hostgroup>=0) NOT NULL PRIMARY KEY , "
        "reader_hostgroup INT NOT NULL CHECK (reader_hostgroup<>writer_hostgroup AND "
        "reader_hostgroup>=0) , "
        "check_type VARCHAR CHECK (LOWER(check_type) IN ('read_only','innodb_read_only',"
        "'super_read_only','read_only|innodb_read_only','read_only&innodb_read_only')) NOT NULL "
        "DEFAULT 'read_only' , "
        "comment VARCHAR NOT NULL DEFAULT '' , UNIQUE (reader_hostgroup)"
    ),
    "mysql_group_replication_hostgroups": _HG_PAIR_COLUMNS,
    "mysql_galera_hostgroups": _HG_PAIR_COLUMNS,
    "mysql_aws_aurora_hostgroups": (
        "writer_hostgroup INT CHECK (writer_hostgroup>=0) NOT NULL PRIMARY KEY , "
        "reader_hostgroup INT NOT NULL CHECK (reader_hostgroup<>writer_hostgroup AND "
        "reader_hostgroup>0) , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
        "aurora_port INT NOT NULL DEFAULT 3306 , "
        "domain_name VARCHAR NOT NULL CHECK (SUBSTR(domain_name,1,1) = '.') , "
        "max_lag_ms INT NOT NULL CHECK (max_lag_ms>= 10 AND max_lag_ms <= 600000) "
        "DEFAULT 600000 , "
        "check_interval_ms INT NOT NULL CHECK (check_interval_ms >= 100 AND "
        "check_interval_ms <= 600000) DEFAULT 1000 , "
        "check_timeout_ms INT NOT NULL CHECK (check_timeout_ms >= 80 AND "
        "check_timeout_ms <= 3000) DEFAULT 800 , "
        "writer_is_also_reader INT CHECK (writer_is_also_reader IN (0,1)) NOT NULL DEFAULT 0 , "
        "new_reader_weight INT CHECK (new_reader_weight >= 0 AND new_reader_weight <=10000000) "
        "NOT NULL DEFAULT 1 , "
        "add_lag_ms INT NOT NULL CHECK (add_lag_ms >= 0 AND add_lag_ms <= 600000) DEFAULT 30 , "
        "min_lag_ms INT NOT NULL CHECK (min_lag_ms >= 0 AND min_lag_ms <= 600000) DEFAULT 30 , "
        "lag_num_checks INT NOT NULL CHECK (lag_num_checks >= 1 AND lag_num_checks <= 16) "
        "DEFAULT 1 , "
        "comment VARCHAR , UNIQUE (reader_hostgroup)"
    ),
    "mysql_hostgroup_attributes": (
        "hostgroup_id INT NOT NULL PRIMARY KEY , "
        "max_num_online_servers INT CHECK (max_num_online_servers>=0 AND "
        "max_num_online_servers <= 1000000) NOT NULL DEFAULT 1000000 , "
        "autocommit INT CHECK (autocommit IN (-1, 0, 1)) NOT NULL DEFAULT -1 , "
        "free_connections_pct INT CHECK (free_connections_pct >= 0 AND "
        "free_connections_pct <= 100) NOT NULL DEFAULT 10 , "
        "init_connect VARCHAR NOT NULL DEFAULT '' , "
        "multiplex INT CHECK (multiplex IN (0, 1)) NOT NULL DEFAULT 1 , "
        "connection_warming INT CHECK (connection_warming IN (0, 1)) NOT NULL DEFAULT 0 , "
        "throttle_connections_per_sec INT CHECK (throttle_connections_per_sec >= 1 AND "
        "throttle_connections_per_sec <= 1000000) NOT NULL DEFAULT 1000000 , "
        "ignore_session_variables VARCHAR CHECK (JSON_VALID(ignore_session_variables) OR "
        "ignore_session_variables = '') NOT NULL DEFAULT '' , "
        "hostgroup_settings VARCHAR CHECK (JSON_VALID(hostgroup_settings) OR "
        "hostgroup_settings = '') NOT NULL DEFAULT '' , "
        "servers_defaults VARCHAR CHECK (JSON_VALID(servers_defaults) OR "
        "servers_defaults = '') NOT NULL DEFAULT '' , "
        "comment VARCHAR NOT NULL DEFAULT ''"
    ),
    "mysql_servers_ssl_params": (
        "hostname VARCHAR NOT NULL , "
        "port INT CHECK (port >= 0 AND port <= 65535) NOT NULL DEFAULT 3306 , "
        "username VARCHAR NOT NULL DEFAULT '' , "
        + " , ".join(
            f"{c} VARCHAR NOT NULL DEFAULT ''"
            for c in (
                "ssl_ca",
                "ssl_cert",
                "ssl_key",
                "ssl_capath",
                "ssl_crl",
                "ssl_crlpath",
                "ssl_cipher",
                "tls_version",
                "comment",
            )
        )
        + " , PRIMARY KEY (hostname, port, username)"
    ),
    "mysql_query_rules": (
        "rule_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 0 , "
        "username VARCHAR , schemaname VARCHAR , "
        "flagIN INT CHECK (flagIN >= 0) NOT NULL DEFAULT 0 , "
        "client_addr VARCHAR , proxy_addr VARCHAR , "
        "proxy_port INT CHECK (proxy_port >= 0 AND proxy_port <= 65535) , "
        "digest VARCHAR , match_digest VARCHAR , match_pattern VARCHAR , "
        "negate_match_pattern INT CHECK (negate_match_pattern IN (0,1)) NOT NULL DEFAULT 0 , "
        "re_modifiers VARCHAR DEFAULT 'CASELESS' , "
        "flagOUT INT CHECK (flagOUT >= 0) , "
        "replace_pattern VARCHAR CHECK(CASE WHEN replace_pattern IS NULL THEN 1 WHEN "
        "replace_pattern IS NOT NULL AND match_pattern IS NOT NULL THEN 1 ELSE 0 END) , "
        "destination_hostgroup INT DEFAULT NULL , "
        "cache_ttl INT CHECK(cache_ttl > 0) , "
        "cache_empty_result INT CHECK (cache_empty_result IN (0,1)) DEFAULT NULL , "
        "cache_timeout INT CHECK(cache_timeout >= 0) , "
        "reconnect INT CHECK (reconnect IN (0,1)) DEFAULT NULL , "
        "timeout INT UNSIGNED CHECK (timeout >= 0) , "
        "retries INT CHECK (retries>=0 AND retries <=1000) , "
        "delay INT UNSIGNED CHECK (delay >=0) , "
        "next_query_flagIN INT UNSIGNED , mirror_flagOUT INT UNSIGNED , "
        "mirror_hostgroup INT UNSIGNED , error_msg VARCHAR , OK_msg VARCHAR , "
        "sticky_conn INT CHECK (sticky_conn IN (0,1)) , "
        "multiplex INT CHECK (multiplex IN (0,1,2)) , "
        "gtid_from_hostgroup INT UNSIGNED , "
        "log INT CHECK (log IN (0,1)) , "
        "apply INT CHECK(apply IN (0,1)) NOT NULL DEFAULT 0 , "
        "attributes VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL "
        "DEFAULT '' , "
        "comment VARCHAR"
    ),
    "mysql_query_rules_fast_routing": (
        "username VARCHAR NOT NULL , schemaname VARCHAR NOT NULL , "
        "flagIN INT NOT NULL DEFAULT 0 , "
        "destination_hostgroup INT CHECK (destination_hostgroup >= 0) NOT NULL , "
        "comment VARCHAR NOT NULL , PRIMARY KEY (username, schemaname, flagIN)"
    ),
    "global_variables": (
        "variable_name VARCHAR NOT NULL PRIMARY KEY , variable_value VARCHAR NOT NULL"
    ),
    "mysql_collations": (
        "Id INTEGER NOT NULL PRIMARY KEY , Collation VARCHAR NOT NULL , "
        "Charset VARCHAR NOT NULL , `Default` VARCHAR NOT NULL"
    ),
    "scheduler": (
        "id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
        "interval_ms INTEGER CHECK (interval_ms>=100 AND interval_ms<=100000000) NOT NULL , "
        "filename VARCHAR NOT NULL , arg1 VARCHAR , arg2 VARCHAR , arg3 VARCHAR , "
        "arg4 VARCHAR , arg5 VARCHAR , comment VARCHAR NOT NULL DEFAULT ''"
    ),
    "mysql_firewall_whitelist_users": (
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , username VARCHAR NOT NULL , "
        "client_address VARCHAR NOT NULL , "
        "mode VARCHAR CHECK (mode IN ('OFF','DETECTING','PROTECTING')) NOT NULL DEFAULT ('OFF') , "
        "comment VARCHAR NOT NULL , PRIMARY KEY (username, client_address)"
    ),
    "mysql_firewall_whitelist_rules": (
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , username VARCHAR NOT NULL , "
        "client_address VARCHAR NOT NULL , schemaname VARCHAR NOT NULL , "
        "flagIN INT NOT NULL DEFAULT 0 , digest VARCHAR NOT NULL , comment VARCHAR NOT NULL , "
        "PRIMARY KEY (username, client_address, schemaname, flagIN, digest)"
    ),
    "mysql_firewall_whitelist_sqli_fingerprints": (
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
        "fingerprint VARCHAR NOT NULL , PRIMARY KEY (fingerprint)"
    ),
    "restapi_routes": (
        "id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
        "timeout_ms INTEGER CHECK (timeout_ms>=100 AND timeout_ms<=100000000) NOT NULL , "
        "method VARCHAR NOT NULL CHECK (UPPER(method) IN ('GET','POST')) , "
        "uri VARCHAR NOT NULL , script VARCHAR NOT NULL , comment VARCHAR NOT NULL DEFAULT ''"
    ),
    "coredump_filters": (
        "filename VARCHAR NOT NULL , line INT NOT NULL , PRIMARY KEY (filename, line)"
    ),
    "proxysql_servers": (
        "hostname VARCHAR NOT NULL , port INT NOT NULL DEFAULT 6032 , "
        "weight INT CHECK (weight >= 0) NOT NULL DEFAULT 0 , "
        "comment VARCHAR NOT NULL DEFAULT '' , PRIMARY KEY (hostname, port)"
    ),
}

# ProxySQL 3.0.1's PostgreSQL configuration tables (in `main`, `disk.` and `runtime_`), written
# from a real 3.0.1's `sqlite_master`. Where a body equals its MySQL twin's it is shared.
PGSQL_TABLES: dict[str, str] = {
    "pgsql_servers": (
        "hostgroup_id INT CHECK (hostgroup_id>=0) NOT NULL DEFAULT 0 , "
        "hostname VARCHAR NOT NULL , "
        "port INT CHECK (port >= 0 AND port <= 65535) NOT NULL DEFAULT 5432 , "
        "status VARCHAR CHECK (UPPER(status) IN ('ONLINE','SHUNNED','OFFLINE_SOFT', "
        "'OFFLINE_HARD')) NOT NULL DEFAULT 'ONLINE' , "
        "weight INT CHECK (weight >= 0 AND weight <=10000000) NOT NULL DEFAULT 1 , "
        "compression INT CHECK (compression IN(0,1)) NOT NULL DEFAULT 0 , "
        "max_connections INT CHECK (max_connections >=0) NOT NULL DEFAULT 1000 , "
        "max_replication_lag INT CHECK (max_replication_lag >= 0 AND "
        "max_replication_lag <= 126144000) NOT NULL DEFAULT 0 , "
        "use_ssl INT CHECK (use_ssl IN(0,1)) NOT NULL DEFAULT 0 , "
        "max_latency_ms INT UNSIGNED CHECK (max_latency_ms>=0) NOT NULL DEFAULT 0 , "
        "comment VARCHAR NOT NULL DEFAULT '' , "
        "PRIMARY KEY (hostgroup_id, hostname, port)"
    ),
    "pgsql_users": (
        "username VARCHAR NOT NULL , password VARCHAR , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , "
        "use_ssl INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0 , "
        "default_hostgroup INT NOT NULL DEFAULT 0 , "
        "transaction_persistent INT CHECK (transaction_persistent IN (0,1)) NOT NULL DEFAULT 1 , "
        "fast_forward INT CHECK (fast_forward IN (0,1)) NOT NULL DEFAULT 0 , "
        "backend INT CHECK (backend IN (0,1)) NOT NULL DEFAULT 1 , "
        "frontend INT CHECK (frontend IN (0,1)) NOT NULL DEFAULT 1 , "
        "max_connections INT CHECK (max_connections >=0) NOT NULL DEFAULT 10000 , "
        "attributes VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL "
        "DEFAULT '' , "
        "comment VARCHAR NOT NULL DEFAULT '' , "
        "PRIMARY KEY (username, backend) , UNIQUE (username, frontend)"
    ),
    "pgsql_replication_hostgroups": CONFIG_TABLES["mysql_replication_hostgroups"],
    "pgsql_hostgroup_attributes": CONFIG_TABLES["mysql_hostgroup_attributes"],
    "pgsql_query_rules": (
        "rule_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL , "
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 0 , "
        "username VARCHAR , database VARCHAR , "
        "flagIN INT CHECK (flagIN >= 0) NOT NULL DEFAULT 0 , "
        "client_addr VARCHAR , proxy_addr VARCHAR , "
        "proxy_port INT CHECK (proxy_port >= 0 AND proxy_port <= 65535) , "
        "digest VARCHAR , match_digest VARCHAR , match_pattern VARCHAR , "
        "negate_match_pattern INT CHECK (negate_match_pattern IN (0,1)) NOT NULL DEFAULT 0 , "
        "re_modifiers VARCHAR DEFAULT 'CASELESS' , "
        "flagOUT INT CHECK (flagOUT >= 0) , "
        "replace_pattern VARCHAR CHECK(CASE WHEN replace_pattern IS NULL THEN 1 WHEN "
        "replace_pattern IS NOT NULL AND match_pattern IS NOT NULL THEN 1 ELSE 0 END) , "
        "destination_hostgroup INT DEFAULT NULL , "
        "cache_ttl INT CHECK(cache_ttl > 0) , "
        "cache_empty_result INT CHECK (cache_empty_result IN (0,1)) DEFAULT NULL , "
        "cache_timeout INT CHECK(cache_timeout >= 0) , "
        "reconnect INT CHECK (reconnect IN (0,1)) DEFAULT NULL , "
        "timeout INT UNSIGNED CHECK (timeout >= 0) , "
        "retries INT CHECK (retries>=0 AND retries <=1000) , "
        "delay INT UNSIGNED CHECK (delay >=0) , "
        "next_query_flagIN INT UNSIGNED , mirror_flagOUT INT UNSIGNED , "
        "mirror_hostgroup INT UNSIGNED , error_msg VARCHAR , OK_msg VARCHAR , "
        "sticky_conn INT CHECK (sticky_conn IN (0,1)) , "
        "multiplex INT CHECK (multiplex IN (0,1,2)) , "
        "log INT CHECK (log IN (0,1)) , "
        "apply INT CHECK(apply IN (0,1)) NOT NULL DEFAULT 0 , "
        "attributes VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL "
        "DEFAULT '' , "
        "comment VARCHAR"
    ),
    "pgsql_query_rules_fast_routing": (
        "username VARCHAR NOT NULL , database VARCHAR NOT NULL , "
        "flagIN INT NOT NULL DEFAULT 0 , "
        "destination_hostgroup INT CHECK (destination_hostgroup >= 0) NOT NULL , "
        "comment VARCHAR NOT NULL , PRIMARY KEY (username, database, flagIN)"
    ),
    "pgsql_firewall_whitelist_users": CONFIG_TABLES["mysql_firewall_whitelist_users"],
    "pgsql_firewall_whitelist_rules": (
        "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1 , username VARCHAR NOT NULL , "
        "client_address VARCHAR NOT NULL , database VARCHAR NOT NULL , "
        "flagIN INT NOT NULL DEFAULT 0 , digest VARCHAR NOT NULL , comment VARCHAR NOT NULL , "
        "PRIMARY KEY (username, client_address, database, flagIN, digest)"
    ),
    "pgsql_firewall_whitelist_sqli_fingerprints": CONFIG_TABLES[
        "mysql_firewall_whitelist_sqli_fingerprints"
    ],
    "pgsql_ldap_mapping": (
        "priority INTEGER CHECK (priority >= 1 AND priority <= 1000000) PRIMARY KEY , "
        "frontend_entity VARCHAR NOT NULL , backend_entity VARCHAR NOT NULL , "
        "comment VARCHAR NOT NULL DEFAULT '' , UNIQUE (frontend_entity)"
    ),
}

# Tables that exist in main but have no runtime_ twin, or no disk copy.
NO_RUNTIME = frozenset({"mysql_collations"})
NO_DISK = frozenset({"coredump_filters"})

RUNTIME_CHECKSUMS_VALUES = (
    "name VARCHAR NOT NULL , version INT NOT NULL , epoch INT NOT NULL , "
    "checksum VARCHAR NOT NULL , PRIMARY KEY (name)"
)
GLOBAL_SETTINGS = "variable_name VARCHAR NOT NULL PRIMARY KEY , variable_value VARCHAR NOT NULL"


def create(schema: str, name: str, body: str) -> str:
    return f"CREATE TABLE {schema}.{name} ({body})"


def _data(name: str) -> str:
    return resources.files("proxysql_iac.sandbox").joinpath("data", name).read_text("utf-8")


def config_tables(pgsql: bool) -> dict[str, str]:
    """The configuration tables of a 2.7 node, or of a 3.0 node (`pgsql`: the MySQL ones,
    unchanged in 3.0.1, then the PostgreSQL ones)."""
    return {**CONFIG_TABLES, **PGSQL_TABLES} if pgsql else dict(CONFIG_TABLES)


def aux_schemas(pgsql: bool = False) -> list[tuple[str, str, str]]:
    """(schema, table, CREATE TABLE) for the stats, monitor and stats_history schemas.

    Generated once from a real 2.7.1's `SHOW CREATE TABLE` into data/aux_schemas.json (and
    from a real 3.0.1 for the `*pgsql*` tables 3.0 adds, data/aux_schemas_pgsql.json); these
    tables are read-only curiosities for a configuration tool, so their DDL carries only
    columns, NOT NULL, defaults and keys.
    """
    rows = json.loads(_data("aux_schemas.json"))
    if pgsql:
        rows += json.loads(_data("aux_schemas_pgsql.json"))
    return [(str(s), str(t), str(d)) for s, t, d in rows]


def reference_rows() -> dict[str, object]:
    data = json.loads(_data("reference_rows.json"))
    assert isinstance(data, dict)
    return data


def default_variables(data_file: str = "global_variables.json") -> list[tuple[str, str]]:
    """The variables of a fresh node: 212 on 2.7.1 (the recorded start pair's values), 373 on
    3.0.1 (`global_variables_3.0.json`: the same start values, plus the 160 `pgsql-` and
    `admin-pgsql_ifaces` with a fresh 3.0.1's values)."""
    return [(str(n), str(v)) for n, v in json.loads(_data(data_file))]
