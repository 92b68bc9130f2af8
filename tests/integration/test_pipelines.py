"""The GitHub Action and the GitLab component, run end to end: their shell steps as the
runners run them, pxc against the test cluster (sandbox, or a real ProxySQL), and a fake
GitHub or GitLab API on loopback. A pull request is planned and commented (twice: one
comment), merged, and exactly the reviewed plan is applied; or apply refuses."""

import json
from pathlib import Path

import pytest

from proxysql_iac.admin.sql import raw_query
from tests.fake_review_api import FakeApi, serve
from tests.integration.conftest import connect, rows
from tests.pipelines import run_action, run_gitlab_job

TOKEN = "ghp_pipelineTokenNeverShown42"
MERGE_SHA = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
REFUSED = "the plan changed since it was reviewed: re-plan"

REPORTING = (
    "  - {username: reporting, password: {env: PXC_TEST_APP_PW}, default_hostgroup: reader}\n"
)
SPEC = (
    """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
  - {hostgroup_id: reader, hostname: db2.example.com}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
"""
    + REPORTING
)


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")


def pull_request_event(directory: Path, number: int) -> str:
    path = directory / f"event-{number}.json"
    path.write_text(json.dumps({"pull_request": {"number": number, "head": {"sha": "ab" * 20}}}))
    return str(path)


def merge(api: FakeApi, number: int, labels: tuple[str, ...] = ()) -> None:
    """The platform's record that MERGE_SHA merged change `number` with these labels."""
    if api.kind == "github":
        api.merged[MERGE_SHA] = [
            {"number": number, "merged_at": "2024-05-01T10:00:00Z",
             "merge_commit_sha": MERGE_SHA, "labels": [{"name": x} for x in labels]}
        ]  # fmt: skip
    else:
        api.merged[MERGE_SHA] = [
            {"iid": number, "state": "merged", "merge_commit_sha": MERGE_SHA,
             "labels": list(labels)}
        ]  # fmt: skip


def users(node: tuple[str, int, str, str]) -> list[tuple[str | None, ...]]:
    return rows(node, "SELECT DISTINCT username FROM runtime_mysql_users ORDER BY 1")


def test_github_action_comments_once_and_applies_the_reviewed_plan_then_reports_drift(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    inputs = {"files": str(spec)}
    with serve("github", TOKEN) as api:
        pr = api.env(GITHUB_EVENT_PATH=pull_request_event(tmp_path, 12))
        planned = run_action("plan", inputs, pr, tmp_path)
        assert planned.code == 0, planned.output
        assert planned.outputs["exitcode"] == "2"
        assert planned.outputs["has-changes"] == "true"
        plan_id = planned.outputs["plan-id"]
        assert f"Plan ID: {plan_id}" in planned.output  # the full plan is in the job log
        assert f"Plan ID: `{plan_id}`" in planned.summary
        again = run_action("plan", inputs, pr, tmp_path)  # a second push to the branch
        assert again.code == 0, again.output
        [comment] = api.comments[12]
        assert f"Plan ID: `{plan_id}`" in comment["body"]
        assert [r.method for r in api.writes()] == ["POST", "PATCH"]

        merge(api, 12)
        applied = run_action("apply", inputs, api.env(GITHUB_SHA=MERGE_SHA), tmp_path)
        assert applied.code == 0, applied.output
        assert applied.outputs == {
            "plan-id": plan_id,
            "pull-request": "12",
            "allow-destructive": "false",
            "exitcode": "0",
        }
        assert "s3cr3t-Pa55w0rd" not in applied.output + planned.output
        assert TOKEN not in applied.output + planned.output + comment["body"]
    assert users(proxysql_cluster.primary) == [("app",), ("reporting",)]

    in_sync = run_action("drift", inputs, {}, tmp_path)
    assert in_sync.code == 0, in_sync.output
    assert in_sync.outputs == {"exitcode": "0", "drift": "false"}
    with connect(proxysql_cluster.primary) as conn:  # a hand edit on the primary
        conn.execute(raw_query("UPDATE mysql_servers SET weight=7 WHERE hostgroup_id=20", "x"))
    drifted = run_action("drift", inputs, {}, tmp_path)
    assert drifted.code == 2, drifted.output
    assert drifted.outputs == {"exitcode": "2", "drift": "true"}
    assert "### pxc status" in drifted.summary
    assert "weight: 7 -> 1" in drifted.summary


def test_github_action_refuses_a_merge_whose_plan_changed_since_the_review(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    inputs = {"files": str(spec)}
    with serve("github", TOKEN) as api:
        pr = api.env(GITHUB_EVENT_PATH=pull_request_event(tmp_path, 5))
        assert run_action("plan", inputs, pr, tmp_path).code == 0
        with connect(proxysql_cluster.primary) as conn:  # the cluster moves before the merge
            conn.execute(
                raw_query("INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (20,'x')", "x")
            )
        merge(api, 5)
        applied = run_action("apply", inputs, api.env(GITHUB_SHA=MERGE_SHA), tmp_path)
    assert applied.code == 1
    assert applied.outputs["exitcode"] == "1"
    assert REFUSED in applied.output
    assert users(proxysql_cluster.primary) == []  # nothing written


@pytest.mark.parametrize("labelled", [False, True])
def test_a_destructive_merge_is_applied_only_with_the_label(
    write_spec, proxysql_cluster, tmp_path: Path, labelled: bool
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    inputs = {"files": str(spec)}
    with serve("github", TOKEN) as api:
        merged = api.env(GITHUB_SHA=MERGE_SHA)
        pr = api.env(GITHUB_EVENT_PATH=pull_request_event(tmp_path, 1))
        assert run_action("plan", inputs, pr, tmp_path).code == 0
        merge(api, 1)
        assert run_action("apply", inputs, merged, tmp_path).code == 0
        spec.write_text(spec.read_text().replace(REPORTING, ""))  # the next PR drops a user
        pr = api.env(GITHUB_EVENT_PATH=pull_request_event(tmp_path, 2))
        planned = run_action("plan", inputs, pr, tmp_path)
        assert planned.code == 0, planned.output
        assert "deletes user 'reporting'" in api.comments[2][0]["body"]
        merge(api, 2, ("pxc:allow-destructive",) if labelled else ("docs",))
        applied = run_action("apply", inputs, merged, tmp_path)
    if labelled:
        assert applied.code == 0, applied.output
        assert users(proxysql_cluster.primary) == [("app",)]
    else:
        assert applied.code == 1
        assert "apply refused: destructive changes need --allow-destructive" in applied.output
        assert users(proxysql_cluster.primary) == [("app",), ("reporting",)]


def test_gitlab_component_comments_once_and_applies_the_reviewed_plan(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    inputs = {"files": str(spec), "cluster": "prod"}
    with serve("gitlab", TOKEN) as api:
        for _ in range(2):
            planned = run_gitlab_job("pxc-plan-prod", inputs, api.env(9), tmp_path)
            assert planned.code == 0, planned.output
        [note] = api.comments[9]
        plan_id = json.loads((tmp_path / "pxc-plan-prod.json").read_text())["plan_id"]
        assert f"Plan ID: `{plan_id}`" in note["body"]
        assert (tmp_path / "pxc-plan-prod.env").read_text() == "PXC_PLAN_EXITCODE=2\n"
        assert [r.method for r in api.writes()] == ["POST", "PUT"]

        merge(api, 9)
        env = api.env(0, CI_COMMIT_SHA=MERGE_SHA)
        del env["CI_MERGE_REQUEST_IID"]
        applied = run_gitlab_job("pxc-apply-prod", inputs, env, tmp_path)
        assert applied.code == 0, applied.output
        assert f"Plan ID: {plan_id}" in applied.output
        assert TOKEN not in applied.output + planned.output
    assert users(proxysql_cluster.primary) == [("app",), ("reporting",)]
    drift = run_gitlab_job("pxc-drift-prod", inputs, {}, tmp_path)
    assert drift.code == 0, drift.output
    assert run_gitlab_job("pxc-validate-prod", inputs, {}, tmp_path).code == 0
