"""The YAML reader: every finding points at the line and column the value was written at,
through anchors, aliases and `<<` merges, and YAML mistakes are findings with their place."""

import pytest

from proxysql_iac.spec.load import load_spec_text

# (spec, (line, column, piece of the message)) of the one finding it gives
CASES = {
    "a duplicate key names the line of the first": (
        "version: 1\nhostgroups:\n  writer: 10\n  reader: 20\n  writer: 30\n",
        (5, 3, "duplicate key 'writer' (first written at line 3)"),
    ),
    "a duplicate key in a flow mapping": (
        "version: 1\nhostgroups: {writer: 10, writer: 20}\n",
        (2, 26, "duplicate key 'writer' (first written at line 2)"),
    ),
    "a value in a flow mapping, at its column": (
        "version: 1\nmysql_servers:\n  - {hostname: db1, port: '3306', weight: 1}\n",
        (3, 27, "port must be an integer, got '3306'"),
    ),
    "a key brought by a merge, where the merged mapping wrote it": (
        "version: 1\nmysql_servers:\n  - &d {hostname: db1}\n"
        "  - {<<: [*d, {port: 1, weigth: 5}], weight: 1}\n",
        (4, 25, "unknown key 'weigth'"),
    ),
    "a value reached through an alias, at the alias": (
        "version: 1\nhostgroups: &h {writer: 1}\nmysql_servers:\n  - {hostname: db1, port: *h}\n",
        (4, 27, "port must be an integer, got a mapping"),
    ),
    "an item of a list, at the item": (
        "version: 1\nmysql_servers:\n  - {hostname: db1}\n  - 5\n",
        (4, 5, "must be a mapping"),
    ),
    "a merge of something that is not a mapping": (
        "version: 1\nhostgroups: {<<: 5}\n",
        (2, 18, "'<<' merges only mappings"),
    ),
    "a key that is not a word or a number": (
        "version: 1\n? [a, b]\n: 1\n",
        (2, 3, "a mapping key must be a plain word or number"),
    ),
    "an alias to nothing": (
        "version: 1\nmysql_servers: *rows\n",
        (2, 16, "unknown alias *rows"),
    ),
    "a tag whose value does not fit it": (
        "version: 1\nmysql_variables: {max_connections: !!bool yes}\n",
        (2, 36, "!!bool 'yes' is not true or false"),
    ),
    "a second document": (
        "version: 1\n---\nversion: 1\n",
        (2, 1, "a spec file holds one YAML document; found a second one"),
    ),
    "OFF is a string (YAML 1.2), not false": (
        "version: 1\nmysql_query_rules:\n  - {rule_id: 1, match_digest: x, apply: OFF}\n",
        (3, 42, "apply must be 0/1 or true/false, got 'OFF'"),
    ),
    "1e3 is a float (YAML 1.2), not 1000": (
        "version: 1\nmysql_servers:\n  - {hostname: db1, port: 1e3}\n",
        (3, 27, "port must be an integer, got 1000.0"),
    ),
    "malformed YAML": (
        "version: 1\nmysql_servers: [\n",
        (3, 1, "malformed YAML"),
    ),
    "an unknown key in a mapping inside a one-line row": (
        "version: 1\ncluster:\n  primary: n1\n  nodes:\n"
        "    - {name: n1, host: h, tls: {mode: required, bogus: 1}}\n",
        (5, 49, "unknown key 'bogus'"),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_finding_points_where_the_value_was_written(name: str) -> None:
    text, (line, column, message) = CASES[name]
    findings = load_spec_text(text, "spec.yaml").findings
    assert [(f.file, f.line, f.column) for f in findings] == [("spec.yaml", line, column)], findings
    assert message in findings[0].message, findings[0]


def test_merged_and_aliased_values_are_the_values_written() -> None:
    text = (
        "version: 1\n"
        "hostgroups: &h {writer: 1, reader: 2}\n"
        "mysql_servers:\n"
        "  - &s {hostgroup_id: writer, hostname: db1, comment: '1'}\n"
        "  - {port: 0x1F, <<: *s}\n"
        "mysql_query_rules:\n"
        "  - {rule_id: 1, match_digest: ~, apply: true, comment: !!str 12}\n"
    )
    loaded = load_spec_text(text)
    assert loaded.findings == []
    assert loaded.data["mysql_servers"][1] == {
        "port": 31,
        "hostname": "db1",
        "hostgroup_id": "writer",
        "comment": "1",
    }
    rule = loaded.data["mysql_query_rules"][0]
    assert rule == {"rule_id": 1, "match_digest": None, "apply": True, "comment": "12"}


def test_a_key_written_beside_a_merge_overrides_the_merged_one_wherever_it_stands() -> None:
    """YAML's merge: the mapping's own keys win over merged ones, before or after `<<`; the
    first of several merged mappings wins over the later ones."""
    text = (
        "version: 1\n"
        "mysql_servers:\n"
        "  - &d {hostgroup_id: 1, hostname: db1, weight: 5, comment: base}\n"
        "  - {<<: *d, hostname: db2, weight: 7}\n"
        "  - {hostname: db3, <<: *d}\n"
        "  - <<: [{comment: first}, *d]\n"
        "    hostname: db4\n"
        "    port: 3307\n"
    )
    loaded = load_spec_text(text, "spec.yaml")
    assert loaded.findings == []
    servers = [dict(s) for s in loaded.data["mysql_servers"]]
    base = {"hostgroup_id": 1, "weight": 5, "comment": "base"}
    assert servers[1:] == [
        {**base, "hostname": "db2", "weight": 7},
        {**base, "hostname": "db3"},
        {**base, "hostname": "db4", "port": 3307, "comment": "first"},
    ]
    # an error in an overriding value points at it, not at the merged mapping
    bad = load_spec_text(text.replace("weight: 7", "weight: x"), "spec.yaml").findings
    assert [(f.line, f.column) for f in bad] == [(4, 37)], bad


def test_a_key_written_twice_beside_a_merge_is_still_a_duplicate() -> None:
    text = "version: 1\nmysql_servers:\n  - &d {hostname: db1}\n  - {<<: *d, port: 1, port: 2}\n"
    findings = load_spec_text(text, "spec.yaml").findings
    assert [(f.line, f.column) for f in findings] == [(4, 23)], findings
    assert "duplicate key 'port' (first written at line 4)" in findings[0].message


def test_a_merged_key_written_twice_beside_the_merge_is_still_a_duplicate() -> None:
    """Overriding a merged key once is allowed; writing that key a second time is the usual
    duplicate (YAML would silently keep only the last)."""
    text = (
        "version: 1\nmysql_servers:\n  - &d {hostname: db1}\n"
        "  - {<<: *d, hostname: db2, hostname: db3}\n"
    )
    findings = load_spec_text(text, "spec.yaml").findings
    assert [(f.line, f.column) for f in findings] == [(4, 29)], findings
    assert "duplicate key 'hostname' (first written at line 4)" in findings[0].message


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("'3306'", "write a whole number without quotes"),
        ("abc", "write a whole number"),
        ("yes", "write a whole number: pxc reads YAML 1.2, where yes is text, not a boolean"),
        ("1.5", "ProxySQL would store a float and run something else; write an integer"),
    ],
)
def test_the_hint_for_an_integer_says_what_to_write_instead_of_what_was(
    value: str, hint: str
) -> None:
    loaded = load_spec_text(f"version: 1\nmysql_servers:\n  - {{hostname: db1, port: {value}}}\n")
    assert [(f.line, f.hint) for f in loaded.findings] == [(3, hint)]


def test_the_hint_for_a_flag_says_one_or_zero() -> None:
    loaded = load_spec_text("version: 1\nmysql_query_rules:\n  - {rule_id: 1, active: Off}\n")
    hints = [f.hint for f in loaded.findings]
    assert hints == [
        "write 1 or 0 (or true/false): pxc reads YAML 1.2, where Off is text, not a boolean"
    ]


def test_a_tab_that_breaks_the_yaml_is_named_in_the_hint() -> None:
    text = "version: 1\nmysql_servers:\n\t- {hostgroup_id: 1, hostname: db1}\n"
    (finding,) = load_spec_text(text, "spec.yaml").findings
    assert (finding.code, finding.line) == ("PXC001", 3)
    assert "tab" in finding.hint and "spaces" in finding.hint
    other = load_spec_text("version: 1\nmysql_servers: [\n", "spec.yaml").findings
    assert other and all("tab" not in f.hint for f in other)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("{env: }", "its `env` is empty: write the name of an environment variable"),
        ("{file: ''}", "its `file` is empty: write the name of a file"),
        ("{env: A, file: b}", "it has both `env` and `file`"),
        ("{}", "it has neither `env` nor `file`"),
        ("{envv: X}", "it has a key a reference does not: envv"),
    ],
)
def test_a_secret_reference_written_wrong_says_what_is_wrong(written: str, why: str) -> None:
    for text, path in (
        (f"version: 1\nmysql_users:\n  - {{username: app, password: {written}}}\n", "mysql_users"),
        (
            "version: 1\ncluster:\n  primary: p\n"
            f"  admin: {{user: a, password: {written}}}\n  nodes: [{{name: p, host: h}}]\n",
            "cluster.admin",
        ),
    ):
        (finding,) = load_spec_text(text, "spec.yaml").findings
        assert finding.code == "PXC117" and finding.path.startswith(path), finding
        assert finding.message == f"password is a secret reference, and {why}"
