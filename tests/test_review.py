"""`pxc comment` and `pxc reviewed` against a fake GitHub and a fake GitLab REST API.

The plans are built the way `pxc plan` builds them, for an empty node (tests/plans.py), so
these tests need no cluster. pxc runs through its real
entry point: the errors are what a user sees on stderr.
"""

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proxysql_iac.cli import main
from proxysql_iac.plan.model import plan_to_dict
from tests.fake_review_api import GITHUB_LIMIT, FakeApi, serve
from tests.plans import plan_for_an_empty_node

TOKEN = "ghp_T0kenThatMustNeverBeSeen1234"
APP_PASSWORD = "Sup3r-s3cret-app-pw"

SPEC = """\
version: 1
cluster:
  name: {name}
  primary: proxysql-1
  admin: {{user: radmin, password: {{env: PXC_ADMIN_PASSWORD}}}}
  nodes:
    - {{name: proxysql-1, host: 10.0.0.1, port: 6032}}
hostgroups: {{writer: 10, reader: 20}}
mysql_servers:
{servers}
mysql_users:
  - {{username: app, password: {{env: APP_DB_PASSWORD}}, default_hostgroup: writer}}
"""

CI_VARIABLES = re.compile(r"^(GITHUB_|GITLAB_|CI_)")


def _clean_ci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite may itself run in GitHub Actions or GitLab CI: start from neither."""
    for name in list(os.environ):
        if CI_VARIABLES.match(name):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DB_PASSWORD", APP_PASSWORD)


def make_plan_file(
    directory: Path, *, name: str = "prod", servers: int = 1, comment: str = "primary"
) -> Path:
    """A plan file as `pxc plan --out` writes it, for a node that has no rows yet."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = directory / f"{name}.yaml"
    rows = [
        f"  - {{hostgroup_id: writer, hostname: db{i}.example.com, comment: '{comment}'}}"
        for i in range(servers)
    ]
    spec.write_text(SPEC.format(name=name, servers="\n".join(rows)))
    plan = plan_for_an_empty_node(spec)
    out = directory / f"{name}-plan.json"
    out.write_text(json.dumps(plan_to_dict(plan, for_file=True), indent=2))
    return out


def pxc(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    *args: str,
) -> tuple[int, str, str]:
    """Run the `pxc` console script in process, in a CI environment made of `env` (the
    application's own variables stay): exit code, stdout, stderr."""
    _clean_ci_environment(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["pxc", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.fixture(params=["github", "gitlab"])
def api(request: pytest.FixtureRequest) -> Iterator[FakeApi]:
    with serve(request.param, TOKEN) as fake:
        yield fake


def event_file(directory: Path, number: int) -> str:
    path = directory / "event.json"
    path.write_text(json.dumps({"number": number, "pull_request": {"number": number,
                                "head": {"sha": "0123456789abcdef0123"}}}))  # fmt: skip
    return str(path)


def ci_env(api: FakeApi, directory: Path, number: int = 7) -> dict[str, str]:
    if api.kind == "github":
        return api.env(GITHUB_EVENT_PATH=event_file(directory, number))
    return api.env(number)


def plan_id_of(plan_file: Path) -> str:
    return str(json.loads(plan_file.read_text())["plan_id"])


def test_first_run_creates_one_comment_and_the_next_run_updates_it_in_place(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for i in range(3):  # other people's comments, over two pages
        api.add_comment(7, f"looks good {i}")
    env = ci_env(api, tmp_path)
    first = make_plan_file(tmp_path / "a", servers=1)
    code, out, err = pxc(monkeypatch, capsys, env, "comment", str(first))
    assert code == 0, err
    noun = "pull request #7" if api.kind == "github" else "merge request !7"
    assert out.startswith(f"created the pxc comment on {noun}")
    [created] = api.writes()
    assert created.method == "POST"
    mine = api.comments[7][-1]
    assert mine["body"].startswith("<!-- pxc:plan cluster=prod -->\n")
    assert f"Plan ID: `{plan_id_of(first)}`" in mine["body"]

    api.requests.clear()
    second = make_plan_file(tmp_path / "b", servers=2)
    assert plan_id_of(second) != plan_id_of(first)
    code, out, err = pxc(monkeypatch, capsys, env, "comment", str(second))
    assert code == 0, err
    assert out.startswith(f"updated the pxc comment on {noun}")
    [updated] = api.writes()
    assert updated.method == ("PATCH" if api.kind == "github" else "PUT")
    assert updated.path.endswith(f"/{mine['id']}")
    assert len(api.comments[7]) == 4  # three from people, one from pxc
    assert f"Plan ID: `{plan_id_of(second)}`" in api.comments[7][-1]["body"]
    assert "db1.example.com" in api.comments[7][-1]["body"]
    # the comment was found on the second page, reached the platform's own way
    pages = [r for r in api.requests if r.method == "GET"]
    assert len(pages) == 2
    if api.kind == "github":
        assert pages[1].path == "/repositories/4242/issues/7/comments"  # the Link URL as given
    else:
        assert pages[1].query["page"] == "2"
    assert TOKEN not in out + err


def test_requests_carry_the_token_in_the_platforms_header_only(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    env = ci_env(api, tmp_path)
    code, _, err = pxc(monkeypatch, capsys, env, "comment", str(make_plan_file(tmp_path)))
    assert code == 0, err
    for request in api.requests:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert TOKEN not in request.path + json.dumps(request.query)
        if api.kind == "github":
            assert headers["authorization"] == f"Bearer {TOKEN}"
            assert headers["accept"] == "application/vnd.github+json"
            assert request.path.startswith("/repos/acme/infra/issues/7/comments")
        else:
            assert headers["private-token"] == TOKEN
            assert request.path.startswith("/api/v4/projects/42/merge_requests/7/notes")


def test_gitlab_falls_back_to_the_job_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with serve("gitlab", TOKEN) as api:
        env = api.env(7, CI_JOB_TOKEN=TOKEN)
        del env["GITLAB_TOKEN"]
        code, _, err = pxc(monkeypatch, capsys, env, "comment", str(make_plan_file(tmp_path)))
    assert code == 0, err
    assert all(r.headers.get("Job-Token") == TOKEN for r in api.requests)


def test_each_cluster_has_its_own_comment(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    env = ci_env(api, tmp_path)
    for _ in range(2):
        for name in ("prod", "staging"):
            plan_file = make_plan_file(tmp_path / name, name=name)
            assert pxc(monkeypatch, capsys, env, "comment", str(plan_file))[0] == 0
    bodies = [c["body"].splitlines()[0] for c in api.comments[7]]
    assert bodies == ["<!-- pxc:plan cluster=prod -->", "<!-- pxc:plan cluster=staging -->"]
    assert [r.method for r in api.writes()].count("POST") == 2


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (401, None, "answered 401"),  # the fake's own answer to a wrong token
        (404, None, "answered 404"),
        (422, {"message": "Validation Failed", "errors": [{"code": "invalid"}]}, "answered 422"),
    ],
)
def test_api_errors_are_one_line_and_exit_1_without_the_token(
    api: FakeApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    status: int,
    payload: dict[str, Any] | None,
    expected: str,
) -> None:
    env = ci_env(api, tmp_path)
    if status == 401:
        env[("GITHUB" if api.kind == "github" else "GITLAB") + "_TOKEN"] = TOKEN + "-revoked"
    elif status == 404:
        if api.kind == "github":
            env["GITHUB_REPOSITORY"] = "acme/missing"
        else:
            env["CI_PROJECT_ID"] = "999"
    else:
        api.injected.append(("POST", status, payload or {}))
    code, out, err = pxc(monkeypatch, capsys, env, "comment", str(make_plan_file(tmp_path)))
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in err and TOKEN not in err
    if status == 401:
        token_name = "GITHUB_TOKEN" if api.kind == "github" else "GITLAB_TOKEN"
        assert f"check {token_name}" in lines[0]
        assert ("Bad credentials" if api.kind == "github" else "401 Unauthorized") in lines[0]
    if status == 422:
        assert "Validation Failed; invalid" in lines[0]
    assert [r.method for r in api.writes()] == (["POST"] if status == 422 else [])


def test_an_api_that_cannot_be_reached_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with serve("github", TOKEN) as api:
        env = ci_env(api, tmp_path)
    # the server is stopped: its port refuses connections
    code, _, err = pxc(monkeypatch, capsys, env, "comment", str(make_plan_file(tmp_path)))
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "GitHub API at http://127.0.0.1:" in err and "cannot be reached" in err


def test_a_redirect_to_another_host_is_not_followed_with_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with serve("github", TOKEN) as elsewhere, serve("github", TOKEN) as api:
        api.redirect_to = elsewhere.url.replace("127.0.0.1", "localhost")
        env = ci_env(api, tmp_path)
        code, _, err = pxc(monkeypatch, capsys, env, "comment", str(make_plan_file(tmp_path)))
    assert code == 1
    assert "answered 302" in err
    assert elsewhere.requests == []


def test_a_next_page_on_another_host_is_not_requested_with_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with serve("github", TOKEN) as elsewhere, serve("github", TOKEN) as api:
        api.link_host = elsewhere.url.replace("127.0.0.1", "localhost")
        for i in range(3):
            api.add_comment(7, f"comment {i}")
        env = ci_env(api, tmp_path)
        code, _, err = pxc(monkeypatch, capsys, env, "comment", str(make_plan_file(tmp_path)))
    assert code == 1
    assert "a next page on another host" in err
    assert elsewhere.requests == [] and api.writes() == []


def test_a_plan_longer_than_a_comment_is_cut_with_a_note_and_keeps_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    plan_file = make_plan_file(tmp_path, servers=1500)
    with serve("github", TOKEN) as api:
        code, _, err = pxc(monkeypatch, capsys, ci_env(api, tmp_path), "comment", str(plan_file))
    assert code == 0, err
    body = api.comments[7][0]["body"]
    assert len(body) <= GITHUB_LIMIT
    assert f"Plan ID: `{plan_id_of(plan_file)}`" in body
    assert "**This plan is cut here**" in body
    assert "[job log](https://github.example/acme/infra/actions/runs/99)" in body
    assert body.count("```") % 2 == 0
    assert body.count("<details>") == body.count("</details>")
    with serve("gitlab", TOKEN) as api:  # GitLab takes a million characters
        assert pxc(monkeypatch, capsys, api.env(7), "comment", str(plan_file))[0] == 0
    assert "cut here" not in api.comments[7][0]["body"]
    assert "db1499.example.com" in api.comments[7][0]["body"]


def test_no_secret_reaches_the_comment(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # Secrets are kept out by meaning (the password column is never rendered), not by
    # replacing their values in the text: a server comment that happens to equal a secret
    # value is shown as the spec (which the same review shows) wrote it.
    plan_file = make_plan_file(tmp_path, comment=APP_PASSWORD)
    code, out, err = pxc(monkeypatch, capsys, ci_env(api, tmp_path), "comment", str(plan_file))
    assert code == 0, err
    body = api.comments[7][0]["body"]
    assert TOKEN not in body
    assert "password=<secret>" in body and f"comment='{APP_PASSWORD}'" in body
    assert body.count(APP_PASSWORD) == 1  # the comment column, never the password
    code, out, _ = pxc(monkeypatch, capsys, {}, "comment", str(plan_file), "--print")
    assert code == 0 and out.count(APP_PASSWORD) == 1 and "Plan ID: `" in out


def test_a_plan_file_edited_after_pxc_plan_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    plan_file = make_plan_file(tmp_path)
    data = json.loads(plan_file.read_text())
    data["changes"]["rows"][0]["new"]["weight"] = 1000
    plan_file.write_text(json.dumps(data))
    code, _, err = pxc(monkeypatch, capsys, {}, "comment", str(plan_file), "--print")
    assert code == 1
    assert "its plan_id does not match its changes and steps" in err


def test_outside_ci_or_outside_a_pull_request_it_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    plan_file = str(make_plan_file(tmp_path))
    code, _, err = pxc(monkeypatch, capsys, {}, "comment", plan_file)
    assert code == 1 and "not running in GitHub Actions or GitLab CI" in err
    push = tmp_path / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main"}))
    with serve("github", TOKEN) as api:
        env = api.env(GITHUB_EVENT_PATH=str(push))
        code, _, err = pxc(monkeypatch, capsys, env, "comment", plan_file)
    assert code == 1 and "not for a pull request" in err and api.requests == []
    with serve("gitlab", TOKEN) as api:
        env = api.env(7)
        del env["CI_MERGE_REQUEST_IID"]
        code, _, err = pxc(monkeypatch, capsys, env, "comment", plan_file)
    assert code == 1 and "CI_MERGE_REQUEST_IID is not set" in err


MERGE_SHA = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"


def merged_change(api: FakeApi, number: int, labels: list[str]) -> None:
    if api.kind == "github":
        api.merged[MERGE_SHA] = [
            {"number": 3, "merged_at": None, "labels": []},  # an open PR with the commit
            {"number": number, "merged_at": "2024-05-01T10:00:00Z", "merge_commit_sha": MERGE_SHA,
             "labels": [{"name": label} for label in labels]},
        ]  # fmt: skip
    else:
        api.merged[MERGE_SHA] = [
            {"iid": number, "state": "merged", "merge_commit_sha": MERGE_SHA, "labels": labels}
        ]


def merge_env(api: FakeApi) -> dict[str, str]:
    env = api.env(0, **({"GITHUB_SHA": MERGE_SHA} if api.kind == "github" else {}))
    env.pop("CI_MERGE_REQUEST_IID", None)  # a default-branch pipeline has no MR
    if api.kind == "gitlab":
        env["CI_COMMIT_SHA"] = MERGE_SHA
    return env


@pytest.mark.parametrize("labelled", [False, True])
def test_reviewed_finds_the_merged_changes_plan_id_and_label(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, labelled: bool
) -> None:
    plan_file = make_plan_file(tmp_path)
    assert pxc(monkeypatch, capsys, ci_env(api, tmp_path, 12), "comment", str(plan_file))[0] == 0
    api.add_comment(12, "<!-- pxc:plan cluster=prod -->\nPlan ID: `0000000000000000` (a copy)")
    merged_change(api, 12, ["pxc:allow-destructive"] if labelled else ["docs"])
    spec = tmp_path / "prod.yaml"
    code, out, err = pxc(monkeypatch, capsys, merge_env(api), "reviewed", str(spec))
    assert code == 0, err
    assert out.splitlines() == [
        f"plan-id={plan_id_of(plan_file)}",
        "pull-request=12",
        f"allow-destructive={'true' if labelled else 'false'}",
    ]
    assert "label pxc:allow-destructive: " + ("present" if labelled else "absent") in err
    assert TOKEN not in out + err


def test_reviewed_refuses_a_commit_without_a_merged_change_or_without_a_comment(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    make_plan_file(tmp_path)
    spec = str(tmp_path / "prod.yaml")
    code, _, err = pxc(monkeypatch, capsys, merge_env(api), "reviewed", spec)
    assert code == 1 and "did not come from a merged" in err
    merged_change(api, 12, [])
    api.add_comment(12, "<!-- pxc:plan cluster=staging -->\nPlan ID: `0123456789abcdef`")
    code, _, err = pxc(monkeypatch, capsys, merge_env(api), "reviewed", spec)
    assert code == 1
    assert "has no pxc plan comment for cluster prod" in err
