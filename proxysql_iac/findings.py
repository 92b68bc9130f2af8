"""Findings: what the validator and the plan-time checks report, as values."""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    hint: str = ""
    file: str = ""
    line: int = 0  # 1-based; 0 when the finding has no place in a file
    column: int = 0  # 1-based
    path: str = ""  # path in the document, e.g. mysql_servers[0].hostname

    def with_severity(self, severity: Severity) -> "Finding":
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @property
    def location(self) -> str:
        if not self.file:
            return ""
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, f.line, f.column, f.code, f.path))


def render_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        where = f.location or "<spec>"
        path = f" [{f.path}]" if f.path else ""
        lines.append(f"{where}: {f.severity.value} {f.code}{path}: {f.message}")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    return "\n".join(lines)


def render_json(findings: list[Finding]) -> str:
    return json.dumps({"findings": [f.to_dict() for f in findings]}, indent=2)


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    out = []
    for f in findings:
        props = [f"title={_gh_escape(f.code, prop=True)}"]
        if f.file:
            props.insert(0, f"file={_gh_escape(f.file, prop=True)}")
            if f.line:
                props.insert(1, f"line={f.line}")
                props.insert(2, f"col={f.column}")
        body = (
            f.message + (f" ({f.path})" if f.path else "") + (f" Hint: {f.hint}" if f.hint else "")
        )
        out.append(f"::{kinds[f.severity]} {','.join(props)}::{_gh_escape(body)}")
    return "\n".join(out)
