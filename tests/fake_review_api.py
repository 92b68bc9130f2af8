"""GitHub's and GitLab's comment endpoints, played over real HTTP on loopback.

Just enough of each REST API for `pxc comment` and `pxc reviewed`: list (paginated the way
each platform does it: GitHub with a Link header whose next URL has another path form,
GitLab with X-Next-Page), create, update, the merged change of a commit, token checks, and
any answer a test injects (401, 404, 422). Every request is recorded for the assertions.
"""

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GITHUB_LIMIT = 65536
GITLAB_LIMIT = 1_000_000


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    kind: str  # "github" or "gitlab"
    token: str
    page_size: int = 2
    repo: str = "acme/infra"
    project: str = "42"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    merged: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> changes
    requests: list[Recorded] = field(default_factory=list)
    injected: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)  # method
    redirect_to: str = ""  # answer every request with a redirect there
    link_host: str = ""  # GitHub: next-page links point at this host instead
    url: str = ""
    _next_id: int = 1000

    @property
    def api_url(self) -> str:
        return self.url if self.kind == "github" else self.url + "/api/v4"

    def env(self, number: int = 7, **extra: str) -> dict[str, str]:
        """The CI variables a job on this platform sees."""
        if self.kind == "github":
            return {
                "GITHUB_ACTIONS": "true",
                "GITHUB_API_URL": self.api_url,
                "GITHUB_REPOSITORY": self.repo,
                "GITHUB_TOKEN": self.token,
                "GITHUB_SERVER_URL": "https://github.example",
                "GITHUB_RUN_ID": "99",
                **extra,
            }
        return {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": self.api_url,
            "CI_PROJECT_ID": self.project,
            "CI_MERGE_REQUEST_IID": str(number),
            "GITLAB_TOKEN": self.token,
            "CI_JOB_URL": "https://gitlab.example/acme/infra/-/jobs/5",
            **extra,
        }

    def add_comment(self, number: int, body: str, author: str = "someone") -> dict[str, Any]:
        self._next_id += 1
        item = {"id": self._next_id, "body": body, "author": author}
        if self.kind == "github":
            item["html_url"] = f"https://github.example/{self.repo}/pull/{number}#c{self._next_id}"
        self.comments.setdefault(number, []).append(item)
        return item

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    # The handler's side.
    def answer(
        self, method: str, raw_path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        parts = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.requests.append(Recorded(method, parts.path, query, headers, body))
        if self.redirect_to:
            return 302, {"Location": self.redirect_to + raw_path}, None
        if not self._authorized(headers):
            message = "Bad credentials" if self.kind == "github" else "401 Unauthorized"
            return 401, {}, {"message": message}
        if self.injected and self.injected[0][0] == method:
            _, status, payload = self.injected.pop(0)
            return status, {}, payload
        route = self._github if self.kind == "github" else self._gitlab
        return route(method, parts.path.split("/")[1:], query, body)

    def _authorized(self, headers: dict[str, str]) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        if self.kind == "github":
            return lower.get("authorization") == f"Bearer {self.token}"
        return self.token in (lower.get("private-token"), lower.get("job-token"))

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, str]
    ) -> tuple[list[dict[str, Any]], int | None]:
        page = int(query.get("page", "1"))
        start = (page - 1) * self.page_size
        more = start + self.page_size < len(items)
        return items[start : start + self.page_size], page + 1 if more else None

    def _github(
        self, method: str, segs: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        not_found = (404, {}, {"message": "Not Found"})
        # /repos/{owner}/{repo}/... or the /repositories/{id}/... form of GitHub's next links
        if segs[:3] == ["repos", *self.repo.split("/")]:
            rest = segs[3:]
        elif segs[:2] == ["repositories", "4242"]:
            rest = segs[2:]
        else:
            return not_found
        if len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments":
            number = int(rest[1])
            if method == "GET":
                items, following = self._page(self.comments.get(number, []), query)
                extra = {}
                if following:
                    host = self.link_host or self.url
                    nxt = f"{host}/repositories/4242/issues/{number}/comments"
                    extra["Link"] = f'<{nxt}?per_page=100&page={following}>; rel="next"'
                return 200, extra, [self._shown(c) for c in items]
            if method == "POST":
                if len(body["body"]) > GITHUB_LIMIT:
                    return self._too_long()
                return 201, {}, self._shown(self.add_comment(number, body["body"], "bot"))
        if len(rest) == 3 and rest[:2] == ["issues", "comments"] and method == "PATCH":
            for items in self.comments.values():
                for item in items:
                    if item["id"] == int(rest[2]):
                        if len(body["body"]) > GITHUB_LIMIT:
                            return self._too_long()
                        item["body"] = body["body"]
                        return 200, {}, self._shown(item)
        if len(rest) == 3 and rest[0] == "commits" and rest[2] == "pulls" and method == "GET":
            return 200, {}, self.merged.get(rest[1], [])
        return not_found

    @staticmethod
    def _too_long() -> tuple[int, dict[str, str], Any]:
        error = {"resource": "IssueComment", "code": "custom", "field": "body",
                 "message": "body is too long (maximum is 65536 characters)"}  # fmt: skip
        return 422, {}, {"message": "Validation Failed", "errors": [error]}

    def _gitlab(
        self, method: str, segs: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        not_found = (404, {}, {"message": "404 Project Not Found"})
        if segs[:4] != ["api", "v4", "projects", self.project]:
            return not_found
        rest = segs[4:]
        if len(rest) >= 3 and rest[0] == "merge_requests" and rest[2] == "notes":
            number = int(rest[1])
            if len(rest) == 3 and method == "GET":
                items, following = self._page(self.comments.get(number, []), query)
                extra = {"X-Page": query.get("page", "1"), "X-Next-Page": str(following or "")}
                return 200, extra, [self._shown(c) for c in items]
            if len(rest) == 3 and method == "POST":
                if len(body["body"]) > GITLAB_LIMIT:
                    return 400, {}, {"message": {"note": ["is too long (maximum is 1000000)"]}}
                return 201, {}, self._shown(self.add_comment(number, body["body"], "bot"))
            if len(rest) == 4 and method == "PUT":
                for item in self.comments.get(number, []):
                    if item["id"] == int(rest[3]):
                        item["body"] = body["body"]
                        return 200, {}, self._shown(item)
                return 404, {}, {"message": "404 Not found"}
        if rest[:2] == ["repository", "commits"] and rest[3:] == ["merge_requests"]:
            return 200, {}, self.merged.get(rest[2], [])
        return not_found

    def _shown(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k != "author"}


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, headers, payload = api.answer(
                self.command, self.path, dict(self.headers.items()), body
            )
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(kind: str, token: str, **options: Any) -> Iterator[FakeApi]:
    api = FakeApi(kind, token, **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
