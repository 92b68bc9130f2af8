"""Reading spec files: YAML into plain values that remember where each one was written.

Parsing is event-driven over libyaml (PyYAML's C parser) so that a spec with tens of thousands
of rows loads in about a second. Scalars follow the YAML 1.2 core schema: only true/false are
booleans (so a firewall `mode: OFF` stays the string "OFF"), and `1e3` is a float, not 1000.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from proxysql_iac.findings import Finding, Severity

Position = tuple[int, int]  # 1-based line and column, as findings show them

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def position(mark: Any) -> Position:
    """The 1-based line and column of a parser mark (None: the start of the file)."""
    return (1, 1) if mark is None else (mark.line + 1, mark.column + 1)


# Values keep the parser's own marks (0-based, with the character index) rather than a tuple
# each: the marks exist anyway, and a spec of 60,000 rows holds half a million of them. They
# become line and column only for a finding.


class YMap(dict[str, Any]):
    """A mapping that knows where it and each of its keys and values were written."""

    __slots__ = ("mark", "marks")

    def __init__(self, mark: Any = None) -> None:  # empty: dict's own __init__ has no work
        self.mark = mark
        self.marks: list[Any] = []  # per key in order: the key's mark, then its value's

    def key_position(self, key: str) -> Position | None:
        return self._position(key, 0)

    def value_position(self, key: str) -> Position | None:
        return self._position(key, 1)

    def _position(self, key: str, which: int) -> Position | None:
        for index, written in enumerate(self):
            if written == key:
                return position(self.marks[2 * index + which])
        return None


class YList(list[Any]):
    """A sequence that knows where it and each of its items were written."""

    __slots__ = ("mark", "marks")

    def __init__(self, mark: Any = None) -> None:  # empty: list's own __init__ has no work
        self.mark = mark
        self.marks: list[Any] = []  # per item


def position_of(value: Any) -> Position:
    """Where a parsed value starts (a scalar does not know: the start of the file)."""
    return position(getattr(value, "mark", None))


@dataclass
class Document:
    file: str
    data: Any

    def mark_of(self, path: tuple[str | int, ...]) -> Position:
        """Where the value at `path` was written (its closest written ancestor if absent)."""
        node: Any = self.data
        found = position_of(node)
        for step in path:
            if isinstance(node, YMap) and isinstance(step, str) and step in node:
                found = node.value_position(step) or found
                node = node[step]
            elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
                found = position(node.marks[step])
                node = node[step]
            else:
                break
        return found

    def key_mark_of(self, path: tuple[str | int, ...]) -> Position:
        """Where the key of the last step was written (for 'unknown key' findings)."""
        if path and isinstance(path[-1], str):
            parent: Any = self.data
            for step in path[:-1]:
                try:
                    parent = parent[step]
                except (KeyError, IndexError, TypeError):
                    return self.mark_of(path)
            if isinstance(parent, YMap):
                found = parent.key_position(path[-1])
                if found is not None:
                    return found
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


def _finding(file: str, message: str, where: Position = (0, 0), hint: str = "") -> Finding:
    return Finding(
        code="PXC001",
        severity=Severity.ERROR,
        message=message,
        hint=hint,
        file=file,
        line=where[0],
        column=where[1],
    )


MAX_ALIAS_EXPANSION = 1_000_000  # values aliases may add to a document, expanded
MAX_DEPTH = 500  # nesting, aliases expanded (libyaml itself stops written nesting at 1000)


class _Open:
    """A collection being composed, with what its aliases expand to so far."""

    __slots__ = ("anchor", "depth", "key", "merged", "nested", "value")

    def __init__(self, value: YMap | YList, anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.key: str | None = None  # a mapping's key awaiting its value
        self.merged: set[str] = set()  # a mapping's keys that came from `<<` (overridable)
        self.nested = 0  # values inside, aliases expanded
        self.depth = 0  # levels inside, aliases expanded


class _Composer:
    """Builds one document's values from libyaml's events, each value with its mark.

    Aliases share values instead of copying them, but whatever walks the data later (JSON
    columns, the models) sees them expanded: the expanded size and depth are tracked so that
    a recursive alias or an alias bomb is a finding, not a hang or a RecursionError.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.root: Any = None
        self.open: list[_Open] = []
        self.top: _Open | None = None
        self.anchors: dict[str, Any] = {}
        self.shapes: dict[str, tuple[int, int]] = {}  # closed anchored collection: size, depth
        self.expanded = 0
        self.documents = 0

    def compose(self, text: str) -> Any:
        parser = _Loader(text)
        try:
            self.consume(iter(parser.get_event, None))
        finally:
            parser.dispose()
        return self.root

    def consume(self, events: Iterator[Any]) -> None:
        attach = self.attach
        plain: dict[str, Any] = {}  # resolved plain scalars: specs repeat values a lot
        scalar_event, mapping_start, mapping_end = (
            yaml.ScalarEvent,
            yaml.MappingStartEvent,
            yaml.MappingEndEvent,
        )
        for event in events:
            kind = type(event)
            if kind is scalar_event:
                if event.tag is None and event.implicit[0]:
                    raw = event.value
                    value = plain.get(raw, plain)
                    if value is plain:
                        value = plain[raw] = _plain_scalar(raw)
                else:
                    try:
                        value = _scalar(event)
                    except ValueError as exc:
                        raise self.error(str(exc), event.start_mark) from None
                attach(value, event.start_mark, event.anchor)
            elif kind is mapping_start:
                self.start(YMap(event.start_mark), event.anchor)
            elif kind is mapping_end or kind is yaml.SequenceEndEvent:
                self.end()
            elif kind is yaml.SequenceStartEvent:
                self.start(YList(event.start_mark), event.anchor)
            elif kind is yaml.AliasEvent:
                self.alias(event.anchor, event.start_mark)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise self.error(
                        "a spec file holds one YAML document; found a second one",
                        event.start_mark,
                        "split it into several files and pass them in order",
                    )

    def error(self, message: str, mark: Any, hint: str = "") -> "SourceError":
        return SourceError(_finding(self.file, message, position(mark), hint))

    def attach(self, value: Any, mark: Any, anchor: str | None) -> None:
        """Put a finished value where the document is: into the open collection (as a key,
        a key's value or an item) or at the root."""
        if anchor is not None:
            self.anchors[anchor] = value
        top = self.top
        if top is None:
            self.root = value
            return
        into: Any = top.value
        if type(into) is YList:
            into.append(value)
            into.marks.append(mark)
            return
        key = top.key
        if key is None:  # a key: most are new words, which need no further look
            top.key = (
                value
                if type(value) is str and value not in into
                else self.key(value, mark, into, top.merged)
            )
            into.marks.append(mark)
            return
        top.key = None
        if key == "<<":
            top.merged |= self.merge(value, mark, into)
            return
        into[key] = value
        into.marks.append(mark)

    def key(self, value: Any, mark: Any, into: YMap, merged: set[str]) -> str:
        if type(value) is str:
            text = value
        elif isinstance(value, (str, int)):
            text = str(value).lower() if isinstance(value, bool) else str(value)
        else:
            raise self.error("a mapping key must be a plain word or number", mark)
        if text in merged:  # a key the mapping writes itself wins over a merged one
            merged.discard(text)
            index = list(into).index(text)
            del into[text]
            del into.marks[2 * index : 2 * index + 2]
        elif text in into:
            first = into.key_position(text) or (0, 0)
            raise self.error(
                f"duplicate key {text!r} (first written at line {first[0]})",
                mark,
                "remove one of them; YAML keeps only the last",
            )
        return text

    def merge(self, value: Any, mark: Any, into: YMap) -> set[str]:
        """`<<: *defaults` (or a list of them, the first winning): the keys of the merged
        mappings that this one does not write, before or after the `<<`. The keys it added."""
        del into.marks[-1]  # the `<<` itself is not a key of the result
        added = set()
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, YMap):
                raise self.error("'<<' merges only mappings", mark)
            for index, (key, item) in enumerate(source.items()):
                if key not in into:
                    into[key] = item
                    into.marks += source.marks[2 * index : 2 * index + 2]
                    added.add(key)
        return added

    def start(self, value: YMap | YList, anchor: str | None) -> None:
        self.top = _Open(value, anchor)
        self.open.append(self.top)
        if anchor:
            self.anchors[anchor] = value
            self.shapes.pop(anchor, None)

    def end(self) -> None:
        done = self.open.pop()
        self.top = self.open[-1] if self.open else None
        size = len(done.value) + done.nested
        if self.top is not None:
            self.top.nested += size
            if done.depth >= self.top.depth:
                self.top.depth = done.depth + 1
        if done.anchor:
            self.shapes[done.anchor] = (size, done.depth + 1)
        self.attach(done.value, done.value.mark, None)

    def alias(self, name: str, mark: Any) -> None:
        if name not in self.anchors:
            raise self.error(f"unknown alias *{name}", mark)
        target = self.anchors[name]
        if isinstance(target, (YMap, YList)):
            if name not in self.shapes:
                raise self.error(
                    f"alias *{name} refers to a collection that contains it",
                    mark,
                    "a recursive structure cannot be a ProxySQL value",
                )
            size, depth = self.shapes[name]
            self.expanded += size
            if self.expanded > MAX_ALIAS_EXPANSION or len(self.open) + depth > MAX_DEPTH:
                raise self.error(
                    f"aliases expand this document beyond {MAX_ALIAS_EXPANSION} "
                    f"values or {MAX_DEPTH} levels",
                    mark,
                    "write the values out, or use fewer nested aliases",
                )
            if self.top is not None:
                self.top.nested += size
                self.top.depth = max(self.top.depth, depth)
        self.attach(target, mark, None)


def parse_text(text: str, file: str) -> Document:
    """Parse one YAML document, keeping positions. Raises SourceError with a finding."""
    try:
        return Document(file=file, data=_Composer(file).compose(text))
    except UnicodeEncodeError as exc:  # a str with lone surrogates (not from a file)
        raise SourceError(
            _finding(file, f"not valid Unicode text (character {exc.start})")
        ) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        found = position(where) if where is not None else (0, 0)
        last_line = text.count("\n") + 1
        if found[0] > last_line:  # libyaml points past a file without a final newline
            found = (last_line, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceError(
            _finding(file, f"malformed YAML: {problem}", found, "fix the YAML syntax")
        ) from None


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
