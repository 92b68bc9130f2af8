"""Load spec files: parse, merge in order, check shape and types against the models.

Returns a `LoadedSpec` with the merged data, the validated model (when the shape is right)
and findings that point at the file, line and column each problem was written at.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from proxysql_iac.findings import Finding, Severity
from proxysql_iac.spec.models import (
    SECTIONS,
    AdminCredentials,
    Cluster,
    Node,
    plain_row,
    spec_model,
)
from proxysql_iac.spec.source import (
    Document,
    SourceError,
    YList,
    YMap,
    load_file,
    parse_text,
    position_of,
)
from proxysql_iac.spec.tables import (
    TABLE_BY_NAME,
    TABLES,
    VARIABLE_PREFIX,
    VARIABLE_SECTIONS,
    Column,
    Kind,
)
from proxysql_iac.spec.variables import is_secret_variable

PathT = tuple[str | int, ...]

# Sections whose later value replaces an earlier one whole (a table you mention is a table
# you own); every other mapping merges key by key.
_REPLACED = frozenset(TABLE_BY_NAME) | {"version"}


def format_path(path: PathT) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out


@dataclass
class LoadedSpec:
    documents: list[Document]
    data: dict[str, Any]
    model: BaseModel | None
    findings: list[Finding] = field(default_factory=list)

    def written(self, path: PathT) -> Any:
        """The value the spec files wrote at `path` (None when nothing was written there)."""
        depth, node = _walk(self.data, path)
        return node if depth == len(path) else None

    def locate(self, path: PathT) -> tuple[str, int, int]:
        """File, line and column where `path` (or its closest written ancestor) came from."""
        best: tuple[int, Document] | None = None
        documents = self.documents
        if path and path[0] in _REPLACED:
            # only the last file that writes a replaced section counts: earlier ones are gone
            owners = [d for d in documents if isinstance(d.data, dict) and path[0] in d.data]
            documents = owners[-1:] or documents
        for doc in documents:
            depth = _depth_present(doc.data, path)
            if depth and (best is None or depth >= best[0]):
                best = (depth, doc)
        if best is None:
            if not self.documents:
                return ("", 0, 0)
            doc = self.documents[0]  # e.g. a missing top-level key: the start of the file
            line, col = doc.mark_of(())
            return doc.file, line, col
        doc = best[1]
        line, col = doc.mark_of(path)
        return doc.file, line, col

    def locate_key(self, path: PathT) -> tuple[str, int, int]:
        for doc in reversed(self.documents):
            if _depth_present(doc.data, path) == len(path):
                line, col = doc.key_mark_of(path)
                return doc.file, line, col
        return self.locate(path)

    def finding(
        self,
        code: str,
        severity: Severity,
        path: PathT,
        message: str,
        hint: str = "",
        *,
        at_key: bool = False,
    ) -> Finding:
        file, line, col = self.locate_key(path) if at_key else self.locate(path)
        return Finding(code, severity, message, hint, file, line, col, format_path(path))


def _walk(data: Any, path: PathT) -> tuple[int, Any]:
    """How many steps of `path` exist in `data`, and the value the last of them reaches."""
    depth = 0
    node = data
    for step in path:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            break
        depth += 1
    return depth, node


def _depth_present(data: Any, path: PathT) -> int:
    return _walk(data, path)[0]


def _merge(base: Any, overlay: Any, top: bool) -> Any:
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            if key in merged and not (top and key in _REPLACED):
                merged[key] = _merge(merged[key], value, False)
            else:
                merged[key] = value
        return merged
    return overlay


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _reference_message(name: str, value: dict[Any, Any]) -> tuple[str, str, str]:
    """What is wrong with a mapping written where a secret reference goes."""
    written = [k for k in ("env", "file") if k in value]
    others = [str(k) for k in value if k not in ("env", "file")]
    if others:
        why = f"it has a key a reference does not: {', '.join(others)}"
    elif len(written) != 1:
        why = "it has both `env` and `file`" if written else "it has neither `env` nor `file`"
    elif value[written[0]] is None or value[written[0]] == "":
        what = "an environment variable" if written[0] == "env" else "a file"
        why = f"its `{written[0]}` is empty: write the name of {what}"
    else:
        why = f"its `{written[0]}` must be text"
    return (
        "PXC117",
        f"{name} is a secret reference, and {why}",
        "write {env: NAME} or {file: path}, exactly one of them",
    )


def _type_message(error: dict[str, Any], path: PathT, value: Any) -> tuple[str, str, str]:
    """(code, message, hint) for one pydantic error, in the spec's own words. The value of a
    secret (a password, a secret variable) is never quoted, only its kind."""
    kind = error["type"]
    name = str(path[-1]) if path else "spec"
    column = _column_of(path)
    secret = name == "password" or (column is not None and column.secret)
    if len(path) == 2 and path[0] in VARIABLE_SECTIONS:
        secret = is_secret_variable(VARIABLE_PREFIX[str(path[0])] + name)
    shown = _show(value, secret=secret)
    if kind == "missing":
        if len(path) >= 3 and path[0] in TABLE_BY_NAME:
            return (
                "PXC003",
                f"{name} is required: ProxySQL's {path[0]}.{name} is NOT NULL and has no default",
                f"add `{name}:` to this row",
            )
        return ("PXC001", f"{name} is required", f"add `{name}:`")
    if kind == "extra_forbidden":
        parent = path[:-1]
        candidates = _allowed_keys(parent)
        hint = did_you_mean(name, candidates) if candidates else ""
        return ("PXC001", f"unknown key {name!r}", hint or "remove it")
    if kind == "literal_error" and path == ("version",):
        return ("PXC001", f"unsupported spec version {shown}", "write `version: 1`")
    is_variable = len(path) == 2 and path[0] in VARIABLE_SECTIONS
    if is_variable or (path[:1] == ("cluster",) and name == "password"):
        # A union of scalars and SecretRef: pydantic names only its first member.
        what = "a single value or a secret reference" if is_variable else "a string or a secret"
        if isinstance(value, dict):
            return _reference_message(name, value)
        return ("PXC117", f"{name} must be {what}, got {shown}", "")
    if column is not None:
        if column.kind is Kind.INT:
            what = "an integer" + (" or a hostgroup name" if column.hostgroup else "")
            if column.flag:
                what = "0/1 or true/false"
            return ("PXC117", f"{name} must be {what}, got {shown}", _integer_hint(value, column))
        if column.kind is Kind.JSON:
            return (
                "PXC117",
                f"{name} must be a mapping (sent as JSON), got {shown}",
                "write a YAML mapping, e.g. {use_ssl: 1}",
            )
        if column.secret and isinstance(value, dict):
            return _reference_message(name, value)
        if column.secret:
            return (
                "PXC117",
                f"{name} must be a string, {{env: NAME}} or {{file: path}}, got {shown}",
                "a secret reference has exactly one of `env` or `file`",
            )
        return ("PXC117", f"{name} must be a string, got {shown}", "quote the value")
    if kind in ("int_type", "int_parsing"):
        return ("PXC117", f"{name} must be an integer, got {shown}", "write a whole number")
    if kind == "string_type":
        return ("PXC117", f"{name} must be a string, got {shown}", "quote the value")
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        expected = "a list" if kind == "list_type" else "a mapping"
        return ("PXC001", f"{name} must be {expected}, got {shown}", "")
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return ("PXC001", f"{name}: {message}", "")
    return ("PXC001", f"{name}: {error['msg'].lower()}", "")


# Words YAML 1.1 took for booleans; pxc reads YAML 1.2, where they are text.
_YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


def _integer_hint(value: Any, column: Column) -> str:
    """How to write an integer column's value, given what was written instead."""
    wanted = "1 or 0 (or true/false)" if column.flag else "a whole number"
    if isinstance(value, float):
        return "ProxySQL would store a float and run something else; write an integer"
    if isinstance(value, str):
        if value.strip().lstrip("+-").isdigit():
            return f"write {wanted} without quotes"
        if value.lower() in _YAML11_BOOLEANS:
            return f"write {wanted}: pxc reads YAML 1.2, where {value} is text, not a boolean"
    return f"write {wanted}"


def kind_of(value: Any) -> str:
    """What a value is, without the value: how a secret of the wrong type is described."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else "a string"


def _show(value: Any, *, secret: bool = False) -> str:
    if secret or isinstance(value, (dict, list)) or value is None:
        return kind_of(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _column_of(path: PathT) -> Any:
    if len(path) >= 3 and path[0] in TABLE_BY_NAME and isinstance(path[1], int):
        return TABLE_BY_NAME[str(path[0])].column_by_name.get(str(path[2]))
    return None


def _allowed_keys(parent: PathT) -> list[str]:
    if not parent:
        return list(SECTIONS)
    if len(parent) == 2 and parent[0] in TABLE_BY_NAME:
        return list(TABLE_BY_NAME[str(parent[0])].column_names)
    if parent == ("cluster",):
        return list(Cluster.model_fields)
    if parent[-1] == "admin":
        return list(AdminCredentials.model_fields)
    if len(parent) == 3 and parent[:2] == ("cluster", "nodes"):
        return list(Node.model_fields)
    return []


def _value_at(data: Any, path: PathT) -> tuple[PathT, Any]:
    """Walk as far as the data goes; pydantic adds union-member tags past the real path."""
    depth, node = _walk(data, path)
    walked = list(path[:depth])
    if depth < len(path):
        step = path[depth]
        if (
            isinstance(node, dict)
            and isinstance(step, str)
            and not step.startswith(("function-", "union["))
            and step not in ("str", "int", "bool", "float", "dict[str,any]", "list[any]")
        ):
            walked.append(step)  # a missing key: report at the key's own path
    return tuple(walked), node


def model_findings(loaded: LoadedSpec, error: ValidationError) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[PathT] = set()
    for item in error.errors():
        path, value = _value_at(loaded.data, tuple(item["loc"]))
        if path in seen:
            continue
        seen.add(path)
        code, message, hint = _type_message(dict(item), path, value)
        at_key = item["type"] == "extra_forbidden"
        findings.append(loaded.finding(code, Severity.ERROR, path, message, hint, at_key=at_key))
    return findings


def load_spec(paths: Sequence[str | Path]) -> LoadedSpec:
    documents: list[Document] = []
    findings: list[Finding] = []
    for path in paths:
        try:
            documents.append(load_file(path))
        except SourceError as exc:
            findings.append(exc.finding)
    return combine_documents(documents, findings)


def load_spec_text(text: str, file: str = "<spec>") -> LoadedSpec:
    try:
        return combine_documents([parse_text(text, file)], [])
    except SourceError as exc:
        return LoadedSpec([], {}, None, [exc.finding])


def combine_documents(documents: list[Document], findings: list[Finding]) -> LoadedSpec:
    """Parsed files merged in order and checked against the models."""
    merged: Any = {}
    usable: list[Document] = []
    for doc in documents:
        if doc.data is None:
            doc.data = YMap()
        if not isinstance(doc.data, dict):
            line, col = position_of(doc.data)
            findings.append(
                Finding(
                    "PXC001",
                    Severity.ERROR,
                    "a spec file must be a mapping of sections (version, cluster, tables, ...)",
                    "start the file with `version: 1`",
                    doc.file,
                    line,
                    col,
                )
            )
            continue
        usable.append(doc)
        merged = _merge(merged, doc.data, True)
    loaded = LoadedSpec(usable, merged, None, findings)
    if not usable:
        return loaded
    # Files that could be read are checked even when another one could not (all findings
    # at once); compile and the rules rely on the model having vetted every value.
    try:
        loaded.model = spec_model(merged).model_validate(_for_the_model(merged))
    except ValidationError as exc:
        loaded.findings.extend(model_findings(loaded, exc))
    return loaded


def _for_the_model(merged: dict[str, Any]) -> dict[str, Any]:
    """The merged spec as the model needs to see it: a table whose every row `plain_row`
    accepts is given to it empty. The model would accept those rows as they are, and
    building an object of each costs 7 µs a row (0.4 s of 60,000); a table with any other row
    goes to the model whole, so what it reports, and where, is as before. (`model` then
    holds no rows of such a table; nothing reads them there: compile reads the data.)"""
    plain_tables = [
        t.name
        for t in TABLES
        if is_list(merged.get(t.name)) and all(map(plain_row(t.name), merged[t.name]))
    ]
    return {**merged, **{name: [] for name in plain_tables}} if plain_tables else merged


def is_mapping(value: Any) -> bool:
    return isinstance(value, (dict, YMap))


def is_list(value: Any) -> bool:
    return isinstance(value, (list, YList))
