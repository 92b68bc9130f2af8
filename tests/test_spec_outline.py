"""A spec's outline (spec/outline.py) names the nodes and sections the whole spec names, or
nothing: plan and status connect on its word before the spec is parsed, and drop what they
read when the whole spec says otherwise."""

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxysql_iac.spec.outline import outline
from proxysql_iac.validate import validate_files, validate_loaded
from tests.test_examples import SPECS

SETTINGS = settings(
    max_examples=int(os.environ.get("PXC_PROPERTY_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

CLUSTER = """cluster:
  primary: p1
  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}
  nodes:
    - {name: p1, host: 10.0.1.11, port: 6032, tls: {mode: verify_ca, ca: ca.pem}}
    - {name: p2, host: 10.0.1.12}
"""


def _agrees(files: list[Path]) -> None:
    """The outline, when there is one, says what the whole spec says."""
    found = outline(files)
    if found is None:
        return
    whole = validate_files(files)
    assert found.sections == set(whole.loaded.data)
    assert validate_loaded(found.loaded).desired.cluster == whole.desired.cluster


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_outline_of_every_example_is_what_the_whole_spec_says(name: str) -> None:
    files = list(SPECS[name])
    found = outline(files)
    assert found is not None, "an example written as the docs show has an outline"
    _agrees(files)


def test_a_later_file_s_cluster_keys_are_merged_into_the_outline(tmp_path: Path) -> None:
    base, prod = tmp_path / "base.yaml", tmp_path / "prod.yaml"
    base.write_text("version: 1\n" + CLUSTER + "mysql_users: []\n")
    prod.write_text("---\ncluster:\n  primary: p2\n# a note\nmysql_query_rules: []\n")
    found = outline([base, prod])
    assert found is not None
    cluster = validate_loaded(found.loaded).desired.cluster
    assert cluster is not None and cluster.primary == "p2"
    assert found.sections == {"version", "cluster", "mysql_users", "mysql_query_rules"}
    _agrees([base, prod])


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\n" + CLUSTER + "---\nmysql_users: []\n",  # a second document
        "version: 1\n'cluster':\n  primary: p1\n",  # a key written quoted
        "version: 1\n" + CLUSTER + "cluster:\n  primary: p2\n",  # a key written twice
        "version: 1\nx-node: &n {name: p1, host: h}\ncluster:\n  primary: p1\n  nodes: [*n]\n",
        "version: 1\ndefaults: &d {name: p1, host: h}\ncluster:\n  primary: p1\n  nodes: [*d]\n",
        "- version: 1\n",  # not a mapping
        "version: 1\r\ncluster:\r\n  primary: p1\r\n",  # line ends libyaml reads otherwise
        # text at the left margin inside a quoted value: no cluster block at all...
        'version: 1\nmysql_query_rules:\n  - rule_id: 1\n    match_digest: "^SELECT\n'
        + CLUSTER
        + 'x: 1"\n    apply: 1\n',
        # ... or one whose end is text that looks like a section
        "version: 1\n" + CLUSTER + '  name: "a\nmysql_users: []\n  tls: x"\n',
        "version: 1\n" + CLUSTER + "  name: [a,\nmysql_users: b]\n",
        "version: 1\nhostgroups: {w: 1}\n" + CLUSTER,  # the cluster block after a table's
    ],
)
def test_a_file_the_outline_cannot_be_sure_of_gives_none(tmp_path: Path, text: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    found = outline([spec])
    assert found is None or validate_loaded(found.loaded).desired.cluster is None
    _agrees([spec])


def test_missing_or_unreadable_files_give_no_outline(tmp_path: Path) -> None:
    assert outline([tmp_path / "absent.yaml"]) is None
    (tmp_path / "latin1.yaml").write_bytes(b"version: 1\ncomment: caf\xe9\n")
    assert outline([tmp_path / "latin1.yaml"]) is None
    (tmp_path / "rows.yaml").write_text("version: 1\nmysql_users: []\n")
    found = outline([tmp_path / "rows.yaml"])
    assert found is not None and validate_loaded(found.loaded).desired.cluster is None


KEYS = st.sampled_from(
    ["version", "cluster", "rules", "mysql_users", "mysql_servers", "hostgroups", "comment"]
)
SCALARS = st.one_of(st.integers(-3, 70000), st.text(max_size=8), st.none(), st.booleans())
NODE = st.fixed_dictionaries(
    {"name": st.sampled_from(["p1", "p2"]), "host": st.sampled_from(["h1", "10.0.0.1"])},
    optional={
        "port": st.integers(0, 70000),
        "tls": st.fixed_dictionaries({"mode": st.sampled_from(["disabled", "required", "bogus"])}),
    },
)
CLUSTERS = st.fixed_dictionaries(
    {"primary": st.sampled_from(["p1", "p2", "p3"]), "nodes": st.lists(NODE, max_size=3)},
    optional={
        "admin": st.fixed_dictionaries(
            {"user": st.just("radmin"), "password": st.just({"env": "PXC_ADMIN_PASSWORD"})}
        ),
        "proxysql_version": st.sampled_from(["2.7", "3.0", "9"]),
    },
)
VALUES: Any = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3)
)


@SETTINGS
@given(
    sections=st.dictionaries(KEYS, VALUES, max_size=5),
    cluster=st.none() | CLUSTERS,
    style=st.sampled_from([None, True, False]),
    indent=st.sampled_from([2, 4]),
)
def test_whenever_there_is_an_outline_it_agrees_with_the_whole_spec(
    tmp_path: Path, sections: dict[str, Any], cluster: Any, style: Any, indent: int
) -> None:
    if cluster is not None:
        sections["cluster"] = cluster
    text = yaml.safe_dump(sections, default_flow_style=style, indent=indent, sort_keys=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    _agrees([spec])
