"""Reading spec files: YAML into plain values that remember where each one was written.

Parsing is event-driven over libyaml (PyYAML's C parser), and the one-line rows that make up
most of a big spec are read by a strict grammar of their own (libyaml still parses the rest of
the document around them), so that a spec of 60,000 rows loads in under half a second.
Scalars follow the YAML 1.2 core schema: only true/false are booleans (so a firewall
`mode: OFF` stays the string "OFF"), and `1e3` is a float, not 1000.
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

    def __init__(self, file: str, runs: dict[str, "_Run"] | None = None) -> None:
        self.file = file
        self.runs = runs or {}  # placeholder word: the one-line rows read in its stead
        self.runs_read = 0
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
        plain: dict[str, Any] = dict(self.runs)  # resolved plain scalars: specs repeat them
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
                    elif type(value) is _Run and self.run(value, event):
                        continue
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

    def run(self, run: "_Run", event: Any) -> bool:
        """A placeholder: its rows if it came back as an item of a block sequence where the
        run starts (otherwise it stays a word, and the document is read again without runs)."""
        top, mark = self.top, event.start_mark
        if (
            top is None
            or type(top.value) is not YList
            or event.anchor is not None
            or (mark.line, mark.column) != (run.line, run.column)
        ):
            return False
        self.runs_read += 1
        into = top.value
        into += run.rows
        into.marks += [row.mark for row in run.rows]
        top.nested += run.size
        top.depth = max(top.depth, run.depth)
        return True

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


# A spec of tens of thousands of rows is mostly one-line flow mappings under a `- `, such as
# `  - {username: app, password: {env: APP_PW}, default_hostgroup: 1}`. Runs of such lines are
# read here, by a strict grammar, and libyaml sees a placeholder word in place of each run (the
# run's other lines left blank): it still parses the document around them, so its structure and
# every error stay libyaml's. The rows are kept only if every placeholder came back as an item
# of a block sequence, exactly where its run starts; otherwise (a placeholder swallowed by a
# block scalar, a parse error) the original text is parsed whole, as if this did not exist.

_KEY = r"[A-Za-z_][A-Za-z0-9_]*"
_PLAIN = r"-?[A-Za-z0-9_./][A-Za-z0-9_./+=@~-]*"
_SINGLE = r"'[\t -&(-~]*'"  # printable ASCII without the quote itself (no '' escape)
_DOUBLE = r'"[\t !#-\[\]-~]*"'  # printable ASCII without the quote and backslash
_SCALAR = rf"(?:{_PLAIN}|{_SINGLE}|{_DOUBLE})"
_INNER = rf"\{{ *{_KEY}: +{_SCALAR}(?: *, *{_KEY}: +{_SCALAR})* *\}}"
_PAIR = rf"{_KEY}: +(?:{_SCALAR}|{_INNER})"
_ROW_LINE = re.compile(rf"^( *- )(\{{ *{_PAIR}(?: *, *{_PAIR})* *\}}) *$", re.MULTILINE)
_ROW_PAIR = re.compile(  # a key and its value in a mapping _ROW_LINE matched
    rf"({_KEY}): +(?:({_PLAIN})|'([^']*)'|\"([^\"]*)\"|(\{{(?:[^}}'\"]|'[^']*'|\"[^\"]*\")*\}}))"
)
_NOT_A_WORD = frozenset(_TRUE | _FALSE | {"null", "Null", "NULL"})
_PLACEHOLDER = "_pxc_rows_"


class _Mark:
    """Where a value of a one-line row was written (0-based, as libyaml's marks)."""

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


class _RowMap(YMap):
    """A flow mapping read from one line; its marks are worked out when a finding needs them
    (an inner mapping's, such as `{env: APP_PW}`, by its row)."""

    __slots__ = ("column", "line", "parent", "text")

    def __init__(self, line: int, column: int, text: str, parent: "_RowMap | None") -> None:
        self.line = line
        self.column = column  # of the `{`; -1 for an inner mapping until its row is asked
        self.text = text  # from the `{` to its `}` (an inner mapping's: set by its row)
        self.parent = parent
        if parent is None:
            self.mark = _Mark(line, column)

    def __getattr__(self, name: str) -> Any:
        if name == "mark" and self.parent is not None:
            self.parent.marks  # noqa: B018 - places this inner mapping
            return self.mark
        if name != "marks":
            raise AttributeError(name)
        marks: list[_Mark] = []
        for pair in _ROW_PAIR.finditer(self.text, 1, len(self.text) - 1):
            group = pair.lastindex or 1
            value_at = self.column + pair.start(group) - (1 if group in (3, 4) else 0)
            marks += (_Mark(self.line, self.column + pair.start(1)), _Mark(self.line, value_at))
            if group == 5:
                inner = self[pair.group(1)]
                inner.column, inner.text, inner.mark = value_at, pair.group(5), marks[-1]
        self.marks = marks
        return marks


# One run's rows, token by token: a key and its value (written bare or quoted), or an inner
# mapping's `{`, or a mapping's `}`.
_ROW_TOKEN = re.compile(rf"({_KEY}): +(?:({_PLAIN}|'[^']*'|\"[^\"]*\")|(\{{))|\}}")


class _Run:
    """Consecutive one-line rows of one block sequence, the first `{` at `line`, `column`;
    `size` counts their values (inner mappings' too), as aliases are counted."""

    __slots__ = ("column", "depth", "line", "rows", "size")

    def __init__(self, line: int, column: int, rows: list[_RowMap], size: int) -> None:
        self.line = line
        self.column = column
        self.rows = rows
        self.size = size
        self.depth = 1 + any(type(v) is _RowMap for row in rows for v in row.values())


class _OneLineRows:
    """The text with each run of one-line rows replaced by a placeholder, and the runs."""

    __slots__ = ("runs", "text")

    def __init__(self, text: str, runs: dict[str, _Run]) -> None:
        self.text = text
        self.runs = runs

    @classmethod
    def read(cls, text: str) -> "_OneLineRows | None":
        if _PLACEHOLDER in text or "- {" not in text:
            return None
        spans: list[list[Any]] = []  # per run: its text's start and end, the rows' texts
        end = -2
        indent = ""
        for found in _ROW_LINE.finditer(text):
            if found.start() == end + 1 and found.group(1) == indent:
                spans[-1][1] = end = found.end()
                spans[-1][2].append(found.group(2))
            else:
                indent = found.group(1)
                end = found.end()
                spans.append([found.start(2), end, [found.group(2)]])
        if not spans:
            return None
        pieces: list[str] = []
        runs: dict[str, _Run] = {}
        plain: dict[str, Any] = {}
        words: set[str] = set()
        done = line = 0
        for start, stop, written in spans:
            line += text.count("\n", done, start)
            column = start - text.rfind("\n", 0, start) - 1
            run = _read_run(text, start, stop, written, line, column, plain, words)
            if run is None:
                return None
            name = f"{_PLACEHOLDER}{len(runs)}"
            runs[name] = run
            pieces += (text[done:start], name, "\n" * (len(run.rows) - 1))
            line += len(run.rows) - 1
            done = stop
        pieces.append(text[done:])
        return cls("".join(pieces), runs)


def _read_run(
    text: str,
    start: int,
    stop: int,
    written: list[str],
    line: int,
    column: int,
    plain: dict[str, Any],
    words: set[str],
) -> _Run | None:
    """The rows of one run, or None when this grammar cannot be sure what one means (a key
    written twice, a key that is not a word): then libyaml reads the whole document."""
    rows: list[_RowMap] = []
    row = into = _RowMap(line, column, written[0], None)
    keys = size = 0
    for key, value, opened in _ROW_TOKEN.findall(text, start + 1, stop):
        if key and key not in words:
            if key in _NOT_A_WORD or type(_plain_scalar(key)) is not str:
                return None
            words.add(key)
        if value:
            keys += 1
            if value[0] == "'" or value[0] == '"':
                into[key] = value[1:-1]
            else:
                resolved = plain.get(value, plain)
                if resolved is plain:
                    resolved = plain[value] = _plain_scalar(value)
                into[key] = resolved
        elif opened:
            keys += 1
            into[key] = into = _RowMap(line + len(rows), -1, "", row)
        elif into is row:
            size += len(row)
            rows.append(row)
            if len(rows) < len(written):
                row = into = _RowMap(line + len(rows), column, written[len(rows)], None)
        else:
            size += len(into)
            into = row
    if keys != size or len(rows) != len(written):
        return None  # a key written twice in a mapping
    return _Run(line, column, rows, size)


def parse_text(text: str, file: str, *, one_line_rows: bool = True) -> Document:
    """Parse one YAML document, keeping positions. Raises SourceError with a finding.
    `one_line_rows=False` leaves every line to libyaml (the reference the quick path matches)."""
    try:
        quick = _OneLineRows.read(text) if one_line_rows else None
        if quick is not None:
            try:
                composer = _Composer(file, quick.runs)
                data = composer.compose(quick.text)
                if composer.runs_read == len(quick.runs):
                    return Document(file=file, data=data)
            except (SourceError, yaml.YAMLError):
                pass  # the whole text again, so that the finding is libyaml's own
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
