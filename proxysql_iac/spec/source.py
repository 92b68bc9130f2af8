"""Reading spec files: YAML into plain values that remember where each one was written.

Parsing is event-driven over libyaml (PyYAML's C parser) so that a spec with tens of thousands
of rows loads in about a second. Scalars follow the YAML 1.2 core schema: only true/false are
booleans (so a firewall `mode: OFF` stays the string "OFF"), and `1e3` is a float, not 1000.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from proxysql_iac.findings import Finding, Severity

Mark = tuple[int, int]  # 1-based line and column

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class YMap(dict[str, Any]):
    """A mapping that knows where it and each of its values were written."""

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[str, Mark] = {}
        self.value_marks: dict[str, Mark] = {}


class YList(list[Any]):
    """A sequence that knows where it and each of its items were written."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []


@dataclass
class Document:
    file: str
    data: Any

    def mark_of(self, path: tuple[str | int, ...]) -> Mark:
        """Where the value at `path` was written (its closest written ancestor if absent)."""
        node: Any = self.data
        mark: Mark = getattr(node, "mark", (1, 1))
        for step in path:
            if isinstance(node, YMap) and isinstance(step, str) and step in node:
                mark = node.value_marks.get(step, mark)
                node = node[step]
            elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
                mark = node.item_marks[step]
                node = node[step]
            else:
                break
        return mark

    def key_mark_of(self, path: tuple[str | int, ...]) -> Mark:
        """Where the key of the last step was written (for 'unknown key' findings)."""
        if path and isinstance(path[-1], str):
            parent: Any = self.data
            for step in path[:-1]:
                try:
                    parent = parent[step]
                except (KeyError, IndexError, TypeError):
                    return self.mark_of(path)
            if isinstance(parent, YMap) and path[-1] in parent.key_marks:
                return parent.key_marks[path[-1]]
        return self.mark_of(path)


class SourceError(Exception):
    """A file could not be read as a spec document; carries the finding to report."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF_NAN = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


# A plain scalar starting with anything else is a string: most values (names, hostnames)
# skip the regexes below, which matter for big specs.
_MAYBE_NOT_STRING = frozenset("0123456789+-.~nNtTfF")


def _plain_scalar(text: str) -> Any:
    if text and text[0] not in _MAYBE_NOT_STRING:
        return text
    if _NULL.match(text):
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF_NAN.match(text):
        return float(text.replace(".", "").lower())
    return text


_TAGGED = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
}


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag in (None, "!") and event.implicit[0]:
        return _plain_scalar(event.value)
    if tag in (None, "!", "tag:yaml.org,2002:str"):
        return event.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        value = _plain_scalar(event.value)
        if isinstance(value, bool):
            return value
        raise ValueError(f"!!bool {event.value!r} is not true or false")
    if tag in _TAGGED:
        return _TAGGED[tag](event.value)
    raise ValueError(f"unsupported YAML tag {tag!r}")


def _mark(event: Any) -> Mark:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


def _finding(file: str, message: str, mark: Mark = (0, 0), hint: str = "") -> Finding:
    return Finding(
        code="PXC001",
        severity=Severity.ERROR,
        message=message,
        hint=hint,
        file=file,
        line=mark[0],
        column=mark[1],
    )


MAX_ALIAS_EXPANSION = 1_000_000  # values aliases may add to a document, expanded
MAX_DEPTH = 500  # nesting, aliases expanded (libyaml itself stops written nesting at 1000)


def parse_text(text: str, file: str) -> Document:
    """Parse one YAML document, keeping positions. Raises SourceError with a finding."""
    stack: list[Any] = []  # YMap or YList under construction
    pending_key: list[str | None] = []  # per open mapping: the key awaiting its value
    anchors: dict[str, Any] = {}
    # Aliases share values instead of copying them, but whatever walks the data later
    # (JSON columns, the models) sees them expanded. Track the expanded size and depth so
    # that a recursive alias or an alias bomb is a finding, not a hang or a RecursionError.
    frames: list[list[Any]] = []  # per open collection: [nested size, nested depth, anchor]
    shapes: dict[str, tuple[int, int]] = {}  # closed anchored collection: (size, depth)
    expanded = 0
    root: Any = None
    documents = 0

    def attach(value: Any, mark: Mark, anchor: str | None) -> None:
        nonlocal root
        if anchor:
            anchors[anchor] = value
        if not stack:
            root = value
            return
        top = stack[-1]
        if isinstance(top, YList):
            top.append(value)
            top.item_marks.append(mark)
            return
        key = pending_key[-1]
        if key is None:
            if (
                isinstance(value, (YMap, YList))
                or not isinstance(value, (str, int, bool))
                or (value is None)
            ):
                raise SourceError(
                    _finding(file, "a mapping key must be a plain word or number", mark)
                )
            key_text = str(value).lower() if isinstance(value, bool) else str(value)
            if key_text in top.key_marks:
                raise SourceError(
                    _finding(
                        file,
                        f"duplicate key {key_text!r} (first written at line "
                        f"{top.key_marks[key_text][0]})",
                        mark,
                        "remove one of them; YAML keeps only the last",
                    )
                )
            top.key_marks[key_text] = mark
            pending_key[-1] = key_text
            return
        if key == "<<":
            del top.key_marks["<<"]
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, YMap):
                    raise SourceError(_finding(file, "'<<' merges only mappings", mark))
                for k, v in source.items():
                    if k not in top:
                        top[k] = v
                        top.key_marks[k] = source.key_marks[k]
                        top.value_marks[k] = source.value_marks[k]
        else:
            top[key] = value
            top.value_marks[key] = mark
        pending_key[-1] = None

    try:
        events: Iterable[Any] = yaml.parse(text, Loader=_Loader)
        plain: dict[str, Any] = {}  # resolved plain scalars: specs repeat values a lot
        scalar_event = yaml.ScalarEvent
        for event in events:
            kind = type(event)
            if kind is scalar_event:
                start = event.start_mark
                mark = (start.line + 1, start.column + 1)
                if event.tag is None and event.implicit[0]:
                    raw = event.value
                    value = plain.get(raw, plain)
                    if value is plain:
                        value = plain[raw] = _plain_scalar(raw)
                else:
                    try:
                        value = _scalar(event)
                    except ValueError as exc:
                        raise SourceError(_finding(file, str(exc), mark)) from None
                top = stack[-1] if stack else None
                if event.anchor is None and type(top) is YMap:
                    # The common cases, inlined: a plain key, or a scalar for a pending key.
                    key = pending_key[-1]
                    if key is None and type(value) is str and value not in top.key_marks:
                        top.key_marks[value] = mark
                        pending_key[-1] = value
                        continue
                    if key is not None and key != "<<":
                        top[key] = value
                        top.value_marks[key] = mark
                        pending_key[-1] = None
                        continue
                attach(value, mark, event.anchor)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if kind is yaml.MappingStartEvent:
                    stack.append(YMap(_mark(event)))
                    pending_key.append(None)
                else:
                    stack.append(YList(_mark(event)))
                frames.append([0, 0, event.anchor])
                if event.anchor:
                    anchors[event.anchor] = stack[-1]
                    shapes.pop(event.anchor, None)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                done = stack.pop()
                if isinstance(done, YMap):
                    pending_key.pop()
                nested, depth, anchor = frames.pop()
                size = len(done) + nested
                if frames:
                    frames[-1][0] += size
                    frames[-1][1] = max(frames[-1][1], depth + 1)
                if anchor:
                    shapes[anchor] = (size, depth + 1)
                attach(done, done.mark, None)
            elif kind is yaml.AliasEvent:
                if event.anchor not in anchors:
                    raise SourceError(
                        _finding(file, f"unknown alias *{event.anchor}", _mark(event))
                    )
                target = anchors[event.anchor]
                if isinstance(target, (YMap, YList)):
                    if event.anchor not in shapes:
                        raise SourceError(
                            _finding(
                                file,
                                f"alias *{event.anchor} refers to a collection that contains it",
                                _mark(event),
                                "a recursive structure cannot be a ProxySQL value",
                            )
                        )
                    size, depth = shapes[event.anchor]
                    expanded += size
                    if expanded > MAX_ALIAS_EXPANSION or len(stack) + depth > MAX_DEPTH:
                        raise SourceError(
                            _finding(
                                file,
                                f"aliases expand this document beyond {MAX_ALIAS_EXPANSION} "
                                f"values or {MAX_DEPTH} levels",
                                _mark(event),
                                "write the values out, or use fewer nested aliases",
                            )
                        )
                    if frames:
                        frames[-1][0] += size
                        frames[-1][1] = max(frames[-1][1], depth)
                attach(target, _mark(event), None)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise SourceError(
                        _finding(
                            file,
                            "a spec file holds one YAML document; found a second one",
                            _mark(event),
                            "split it into several files and pass them in order",
                        )
                    )
    except UnicodeEncodeError as exc:  # a str with lone surrogates (not from a file)
        raise SourceError(
            _finding(file, f"not valid Unicode text (character {exc.start})")
        ) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        position = (where.line + 1, where.column + 1) if where is not None else (0, 0)
        last_line = text.count("\n") + 1
        if position[0] > last_line:  # libyaml points past a file without a final newline
            position = (last_line, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceError(
            _finding(file, f"malformed YAML: {problem}", position, "fix the YAML syntax")
        ) from None
    return Document(file=file, data=root)


def load_file(path: str | Path) -> Document:
    """Read and parse a spec file. Raises SourceError with a finding, never a traceback."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(_finding(name, "file not found", hint="check the path")) from None
    except IsADirectoryError:
        raise SourceError(_finding(name, "is a directory, not a spec file")) from None
    except OSError as exc:
        raise SourceError(_finding(name, f"cannot read file: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            _finding(name, f"not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8")
        ) from None
    return parse_text(text, name)
