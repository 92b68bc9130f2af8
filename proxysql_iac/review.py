"""Plans on pull requests (GitHub) and merge requests (GitLab): one comment per cluster,
updated in place, and the reviewed plan's ID found again when the merge is applied.

Only the standard library's HTTP client is used. The CI's own environment says where the
API is, which change is under review and which token to use; the token travels only in a
request header, to the API's own host, and never appears in output or in a comment.
"""

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPMessage
from pathlib import Path
from typing import Any

from proxysql_iac.errors import PxcError, SpecError
from proxysql_iac.plan.model import Plan, plan_id
from proxysql_iac.plan.render import render_markdown
from proxysql_iac.planning import cluster_key, load_desired, read_plan_file

PLAN_ID_LINE = re.compile(r"^Plan ID: `([0-9a-f]{16})`", re.MULTILINE)
DESTRUCTIVE_LABEL = "pxc:allow-destructive"
TIMEOUT_S = 30


def marker(cluster: str) -> str:
    """The hidden first line that finds a cluster's comment again."""
    return f"<!-- pxc:plan cluster={urllib.parse.quote(cluster, safe=':@._-/')} -->"


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    url: str


@dataclass(frozen=True)
class MergedChange:
    number: int
    labels: frozenset[str]


class ApiError(PxcError):
    """GitHub or GitLab refused a request or could not be reached (one line, no token)."""


def _need(env: Mapping[str, str], name: str, why: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise PxcError(f"{name} is not set: {why}")
    return value


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _api_message(raw: bytes) -> str:
    """The error text GitHub (`message`, `errors`) or GitLab (`message`, `error`) sent."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")
    if not isinstance(data, dict):
        return str(data)
    message = data.get("message") or data.get("error") or ""
    if isinstance(message, (dict, list)):
        message = json.dumps(message)
    details = [
        e.get("message") or e.get("code") if isinstance(e, dict) else str(e)
        for e in data.get("errors") or []
    ]
    return "; ".join(str(part) for part in [message, *details] if part)


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the API's own host: the token header would travel along."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameHostRedirects)


class Platform:
    """A code review platform's REST API, as much of it as pxc needs."""

    name = ""
    noun = ""  # "pull request" / "merge request"
    sign = ""  # "#12" / "!12"
    limit = 0  # the longest comment body the platform accepts, in characters
    token_variable = ""

    def __init__(self, api_url: str, token: str, headers: dict[str, str]) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self._headers = {**headers, "User-Agent": "pxc", "Content-Type": "application/json"}

    # What each platform provides.
    def change_number(self) -> int:
        raise NotImplementedError

    def commit(self) -> str:
        raise NotImplementedError

    def job_url(self) -> str:
        raise NotImplementedError

    def comments(self, number: int) -> Iterator[Comment]:
        raise NotImplementedError

    def create(self, number: int, body: str) -> Comment:
        raise NotImplementedError

    def update(self, number: int, comment: Comment, body: str) -> Comment:
        raise NotImplementedError

    def merged_change(self, sha: str) -> MergedChange | None:
        raise NotImplementedError

    def _next_page(self, url: str, headers: Message) -> str | None:
        raise NotImplementedError

    # The HTTP part, shared.
    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call(method, self.api_url + path, body)[0]

    def pages(self, path: str) -> Iterator[Any]:
        url: str | None = self.api_url + path
        origin = urllib.parse.urlsplit(self.api_url).netloc
        while url is not None:
            if urllib.parse.urlsplit(url).netloc != origin:
                raise ApiError(f"{self.name} API: a next page on another host ({url}); stopped")
            data, headers = self._call("GET", url, None)
            yield data
            url = self._next_page(url, headers)

    def _call(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[Any, Message]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers)
        where = urllib.parse.urlsplit(url).path
        try:
            with _OPENER.open(request, timeout=TIMEOUT_S) as response:
                raw = response.read()
                headers = response.headers
        except urllib.error.HTTPError as exc:
            line = self._status_line(method, where, exc.code, _api_message(exc.read() or b""))
            raise ApiError(self._scrub(line)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(
                self._scrub(f"{self.name} API at {self.api_url} cannot be reached: {reason}")
            ) from None
        try:
            return (json.loads(raw) if raw.strip() else None), headers
        except ValueError:
            raise ApiError(f"{self.name} API: {method} {where} did not answer JSON") from None

    def _status_line(self, method: str, where: str, status: int, detail: str) -> str:
        advice = {
            401: f"check {self.token_variable}",
            403: f"the token may not comment on the {self.noun}",
            404: f"check the project and the {self.noun} (a token without access also gets 404)",
        }.get(status)
        if self.token_variable == "CI_JOB_TOKEN" and status in (401, 403, 404):
            advice = (
                "GitLab's job token may not read or write merge request notes: set "
                "GITLAB_TOKEN to a project access token with the api scope"
            )
        line = f"{self.name} API: {method} {where} answered {status}"
        line += f": {_one_line(detail)}" if detail else ""
        return line + (f"; {advice}" if advice else "")

    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "<token>") if self.token else text


class GitHub(Platform):
    name = "GitHub"
    noun = "pull request"
    sign = "#"
    limit = 65536
    token_variable = "GITHUB_TOKEN"

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.repo = _need(env, "GITHUB_REPOSITORY", "pxc needs the owner/name of the repository")
        token = _need(
            env, "GITHUB_TOKEN", "give the step `env: {GITHUB_TOKEN: ${{ github.token }}}`"
        )
        super().__init__(
            env.get("GITHUB_API_URL") or "https://api.github.com",
            token,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        self._repo_path = "/repos/" + urllib.parse.quote(self.repo, safe="/")

    def _event(self) -> dict[str, Any]:
        path = _need(self.env, "GITHUB_EVENT_PATH", "pxc reads the pull request from the event")
        try:
            event = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PxcError(f"cannot read the workflow event {path}: {exc}") from None
        return event if isinstance(event, dict) else {}

    def change_number(self) -> int:
        event = self._event()
        pull = event.get("pull_request")
        if isinstance(pull, dict) and isinstance(pull.get("number"), int):
            return int(pull["number"])
        issue = event.get("issue")
        if isinstance(issue, dict) and issue.get("pull_request") and "number" in issue:
            return int(issue["number"])
        raise PxcError(
            "this workflow run is not for a pull request: pxc comment runs on `pull_request` events"
        )

    def commit(self) -> str:
        pull = self._event().get("pull_request") if self.env.get("GITHUB_EVENT_PATH") else None
        if isinstance(pull, dict) and isinstance(pull.get("head"), dict):
            return str(pull["head"].get("sha") or "")
        return self.env.get("GITHUB_SHA", "")

    def job_url(self) -> str:
        server, run = self.env.get("GITHUB_SERVER_URL"), self.env.get("GITHUB_RUN_ID")
        return f"{server}/{self.repo}/actions/runs/{run}" if server and run else ""

    @staticmethod
    def _comment(item: dict[str, Any]) -> Comment:
        return Comment(int(item["id"]), item.get("body") or "", item.get("html_url", ""))

    def comments(self, number: int) -> Iterator[Comment]:
        for page in self.pages(f"{self._repo_path}/issues/{number}/comments?per_page=100"):
            yield from map(self._comment, page or [])

    def create(self, number: int, body: str) -> Comment:
        path = f"{self._repo_path}/issues/{number}/comments"
        return self._comment(self.call("POST", path, {"body": body}))

    def update(self, number: int, comment: Comment, body: str) -> Comment:
        path = f"{self._repo_path}/issues/comments/{comment.id}"
        return self._comment(self.call("PATCH", path, {"body": body}))

    def merged_change(self, sha: str) -> MergedChange | None:
        pulls = [p for p in self.call("GET", f"{self._repo_path}/commits/{sha}/pulls") or []]
        merged = [p for p in pulls if p.get("merged_at")]
        chosen = next((p for p in merged if p.get("merge_commit_sha") == sha), None)
        chosen = chosen or (merged[0] if merged else None)
        if chosen is None:
            return None
        labels = frozenset(str(label.get("name")) for label in chosen.get("labels") or [])
        return MergedChange(int(chosen["number"]), labels)

    def _next_page(self, url: str, headers: Message) -> str | None:
        found = re.search(r'<([^>]+)>\s*;\s*rel="next"', headers.get("Link") or "")
        return found.group(1) if found else None


class GitLab(Platform):
    name = "GitLab"
    noun = "merge request"
    sign = "!"
    limit = 1_000_000
    token_variable = "GITLAB_TOKEN"

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        api = _need(env, "CI_API_V4_URL", "pxc needs GitLab's API address")
        project = _need(env, "CI_PROJECT_ID", "pxc needs the project")
        token = env.get("GITLAB_TOKEN", "").strip()
        headers = {"PRIVATE-TOKEN": token}
        if not token and env.get("CI_JOB_TOKEN"):
            token, self.token_variable = env["CI_JOB_TOKEN"], "CI_JOB_TOKEN"
            headers = {"JOB-TOKEN": token}
        elif not token:
            raise PxcError(
                "GITLAB_TOKEN is not set: give the job a project access token with the `api` "
                "scope as a masked CI/CD variable"
            )
        super().__init__(api, token, headers)
        self._project_path = "/projects/" + urllib.parse.quote(project, safe="")

    def change_number(self) -> int:
        iid = _need(
            self.env,
            "CI_MERGE_REQUEST_IID",
            "pxc comment runs in merge request pipelines "
            '(rules: [{if: $CI_PIPELINE_SOURCE == "merge_request_event"}])',
        )
        if not iid.isdigit():
            raise PxcError(f"CI_MERGE_REQUEST_IID is not a number: {iid!r}")
        return int(iid)

    def commit(self) -> str:
        return self.env.get("CI_COMMIT_SHA", "")

    def job_url(self) -> str:
        return self.env.get("CI_JOB_URL", "")

    def _notes(self, number: int) -> str:
        return f"{self._project_path}/merge_requests/{number}/notes"

    def comments(self, number: int) -> Iterator[Comment]:
        for page in self.pages(f"{self._notes(number)}?sort=asc&order_by=created_at&per_page=100"):
            for item in page or []:
                yield self._comment(number, item)

    def _comment(self, number: int, item: dict[str, Any]) -> Comment:
        project = self.env.get("CI_PROJECT_URL", "")
        url = f"{project}/-/merge_requests/{number}#note_{item['id']}" if project else ""
        return Comment(int(item["id"]), item.get("body") or "", url)

    def create(self, number: int, body: str) -> Comment:
        return self._comment(number, self.call("POST", self._notes(number), {"body": body}))

    def update(self, number: int, comment: Comment, body: str) -> Comment:
        path = f"{self._notes(number)}/{comment.id}"
        return self._comment(number, self.call("PUT", path, {"body": body}))

    def merged_change(self, sha: str) -> MergedChange | None:
        path = f"{self._project_path}/repository/commits/{sha}/merge_requests"
        requests = [r for r in self.call("GET", path) or [] if r.get("state") == "merged"]
        chosen = next(
            (r for r in requests if sha in (r.get("merge_commit_sha"), r.get("squash_commit_sha"))),
            requests[0] if requests else None,
        )
        if chosen is None:
            return None
        return MergedChange(int(chosen["iid"]), frozenset(map(str, chosen.get("labels") or [])))

    def _next_page(self, url: str, headers: Message) -> str | None:
        page = (headers.get("X-Next-Page") or "").strip()
        if not page:
            return None
        parts = urllib.parse.urlsplit(url)
        query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "page"]
        query.append(("page", page))
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def detect(env: Mapping[str, str]) -> Platform:
    if env.get("GITHUB_ACTIONS") == "true":
        return GitHub(env)
    if env.get("GITLAB_CI") == "true":
        return GitLab(env)
    raise PxcError(
        "not running in GitHub Actions or GitLab CI (neither GITHUB_ACTIONS nor GITLAB_CI is "
        "true): `pxc comment PLAN.json --print` shows the comment here"
    )


def comment_body(
    plan: Plan,
    *,
    limit: int,
    job_url: str = "",
    commit: str = "",
) -> str:
    """The Markdown comment: the hidden marker, the plan, and where it came from; cut with a
    note when the platform would refuse it (the plan ID stays: it is near the top)."""
    footer_parts = [f"planned at `{commit[:12]}`" if commit else ""]
    footer_parts.append(f"[job log]({job_url})" if job_url else "")
    footer = " · ".join(p for p in footer_parts if p)
    # Secret columns and variables are never rendered (see plan/render.py): nothing to scrub.
    text = render_markdown(plan).rstrip("\n")
    body = f"{marker(plan.cluster)}\n{text}\n" + (f"\n<sub>{footer}</sub>\n" if footer else "")
    if len(body) <= limit:
        return body
    where = f"the [job log]({job_url})" if job_url else "the job log"
    note = (
        f"\n\n**This plan is cut here**: it is longer than a comment may be ({limit:,} "
        f"characters). The full plan is in {where}.\n"
    )
    kept = body[: max(0, limit - len(note) - 32)]
    kept = kept[: kept.rfind("\n") + 1] if "\n" in kept else kept
    closing = ""
    if kept.count("```") % 2:
        closing += "```\n"
    closing += "</details>\n" * max(0, kept.count("<details>") - kept.count("</details>"))
    return kept + closing + note


@dataclass(frozen=True)
class Posted:
    created: bool
    url: str
    number: int
    sign: str
    noun: str


def post_plan(plan_file: Path, env: Mapping[str, str]) -> Posted:
    """Create the cluster's comment on the change under review, or update it in place."""
    plan = checked_plan(plan_file)
    platform = detect(env)
    number = platform.change_number()
    body = comment_body(
        plan, limit=platform.limit, job_url=platform.job_url(), commit=platform.commit()
    )
    existing = find_comment(platform, number, plan.cluster)
    if existing is None:
        made = platform.create(number, body)
        return Posted(True, made.url, number, platform.sign, platform.noun)
    made = platform.update(number, existing, body)
    return Posted(False, made.url or existing.url, number, platform.sign, platform.noun)


def preview(plan_file: Path, env: Mapping[str, str]) -> str:
    """The comment as it would be posted, without the CI (no marker limit, no footer)."""
    plan = checked_plan(plan_file)
    return comment_body(plan, limit=10**9)


def checked_plan(plan_file: Path) -> Plan:
    raw, plan = read_plan_file(plan_file)
    recorded = raw.get("plan_id")
    if recorded != plan_id(plan):
        raise SpecError(
            f"{plan_file}: its plan_id does not match its changes and steps (edited, or "
            "written by another pxc version)",
            "write it again with `pxc plan --out`",
        )
    return plan


def find_comment(platform: Platform, number: int, cluster: str) -> Comment | None:
    """The first comment that starts with the cluster's marker: the one pxc created."""
    wanted = marker(cluster)
    return next((c for c in platform.comments(number) if c.body.startswith(wanted)), None)


@dataclass(frozen=True)
class Reviewed:
    number: int
    sign: str
    noun: str
    cluster: str
    plan_id: str
    destructive_allowed: bool

    def outputs(self) -> list[str]:
        """`name=value` lines for $GITHUB_OUTPUT (or a GitLab dotenv report)."""
        return [
            f"plan-id={self.plan_id}",
            f"pull-request={self.number}",
            f"allow-destructive={'true' if self.destructive_allowed else 'false'}",
        ]


def reviewed_plan(
    files: list[Path], env: Mapping[str, str], *, label: str, commit: str | None
) -> Reviewed:
    """The change that merged `commit`, and the plan ID its pxc comment for this cluster
    shows: what the reviewers approved, for `pxc apply --plan-id`."""
    desired = load_desired(files)
    if desired.cluster is None:
        raise SpecError("the spec has no `cluster:` block", "plan and apply need the nodes")
    cluster = cluster_key(desired.cluster)
    platform = detect(env)
    sha = commit or platform.commit()
    if not sha:
        raise PxcError("no commit to look up: pass --commit SHA")
    merged = platform.merged_change(sha)
    if merged is None:
        raise PxcError(
            f"commit {sha[:12]} did not come from a merged {platform.noun}: pxc applies only "
            f"a plan reviewed in a {platform.noun}"
        )
    ref = f"{platform.noun} {platform.sign}{merged.number}"
    found = find_comment(platform, merged.number, cluster)
    if found is None:
        raise PxcError(
            f"{ref} has no pxc plan comment for cluster {cluster}: nothing was reviewed for "
            f"it; plan it in a new {platform.noun}"
        )
    shown = PLAN_ID_LINE.search(found.body)
    if shown is None:
        raise PxcError(f"the pxc comment on {ref} shows no plan ID: plan it again")
    return Reviewed(
        merged.number,
        platform.sign,
        platform.noun,
        cluster,
        shown.group(1),
        label in merged.labels,
    )
