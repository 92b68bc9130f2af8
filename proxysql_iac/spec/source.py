"""Reading spec files: YAML into plain values that remember where each one was written.

Parsing is event-driven over libyaml (PyYAML's C parser), and the rows that make up most of
a big spec (one-line flow mappings, or block mappings of a key a line) are read by a strict
grammar of their own while libyaml parses the rest of the document around them: a spec of
60,000 rows loads in about half a second (one-line rows) to 0.9 s (block rows).
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
            or len(self.open) + run.depth > _NESTED_TOO_DEEP
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

_KEY = r"[A-Za-z_][A-Za-z0-9_]{0,127}"  # libyaml takes no simple key over 1024 characters
# A plain word in a flow mapping: printable ASCII without `#`, `:`, `,` and brackets, spaces
# inside it (`team 0`, `^SELECT .* FROM t1$`), not starting with an indicator.
_PLAIN = r"-?[A-Za-z0-9_./^$(\\)+=~;<](?: *[!-\"$-+\--9;-Z\\^-z|~])*"
_SINGLE = r"'[\t -&(-~]*'"  # printable ASCII without the quote itself (no '' escape)
_DOUBLE = r'"[\t !#-\[\]-~]*"'  # printable ASCII without the quote and backslash
_SCALAR = rf"(?:{_PLAIN}|{_SINGLE}|{_DOUBLE})"
_INNER = rf"\{{ *{_KEY}: +{_SCALAR}(?: *, *{_KEY}: +{_SCALAR})* *\}}"
_PAIR = rf"{_KEY}: +(?:{_SCALAR}|{_INNER})"
_ROW_LINE = re.compile(rf"^( *- )(\{{ *{_PAIR}(?: *, *{_PAIR})* *\}}) *$", re.MULTILINE)
_ROW_PAIR = re.compile(  # a key and its value in a mapping _ROW_LINE matched
    rf"({_KEY}): +(?:({_PLAIN})|'([^']*)'|\"([^\"]*)\"|({_INNER}))"
)
_NOT_A_WORD = frozenset(_TRUE | _FALSE | {"null", "Null", "NULL"})
_PLACEHOLDER = "_pxc_rows_"
_TAB_LEADS = re.compile(r"^ *\t", re.MULTILINE)
# libyaml stops at 1,000 levels; a run stands in for one or two of them: near that, libyaml
# reads the whole file and says so itself
_NESTED_TOO_DEEP = 900


def _a_word(key: str, words: set[str]) -> bool:
    """Whether a key libyaml would read as this very text (not `true`, `null`, a number);
    `words`: the keys found so, which need no second look."""
    if key in words:
        return True
    if key in _NOT_A_WORD or type(_plain_scalar(key)) is not str:
        return False
    words.add(key)
    return True


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
        if name not in ("mark", "marks"):
            raise AttributeError(name)
        if self.parent is not None and self.column < 0:
            self.parent.marks  # noqa: B018 - places this inner mapping (column, text, mark)
        if name == "mark":
            return self.mark
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
_ROW_VALUE = rf"({_PLAIN}|'[^']*'|\"[^\"]*\")"  # a token's value, as a pattern's group


class _Run:
    """Consecutive one-line rows of one block sequence, the first `{` at `line`, `column`;
    `size` counts their values (inner mappings' too), as aliases are counted."""

    __slots__ = ("column", "depth", "line", "rows", "size")

    def __init__(self, line: int, column: int, rows: list[YMap], size: int, depth: int) -> None:
        self.line = line
        self.column = column
        self.rows = rows
        self.size = size
        self.depth = depth  # levels inside the sequence: 1, or 2 with a mapping in a row


class _OneLineRows:
    """The text with each run of one-line rows replaced by a placeholder, and the runs."""

    __slots__ = ("runs", "text")

    def __init__(self, text: str, runs: dict[str, _Run]) -> None:
        self.text = text
        self.runs = runs

    @classmethod
    def read(cls, text: str) -> "_OneLineRows | None":
        if _PLACEHOLDER in text or ("\t" in text and _TAB_LEADS.search(text)):
            return None  # a tab before a line's content: libyaml's rules for it, not ours
        plain: dict[str, Any] = {}
        words: set[str] = set()
        found: list[tuple[int, int, int, _Run]] = []  # per run: its text's start and stop
        if "- {" in text:
            flow = _flow_runs(text, plain, words)
            if flow is None:
                return None
            found += flow
        if ":\n" in text or "- " in text:
            block = _block_runs(text, plain, words)
            if block is None:
                return None
            found += block
        if not found:
            return None
        pieces: list[str] = []
        runs: dict[str, _Run] = {}
        done = 0
        for start, stop, lines, run in sorted(found, key=lambda f: f[0]):
            name = f"{_PLACEHOLDER}{len(runs)}"
            runs[name] = run
            pieces += (text[done:start], name, "\n" * (lines - 1))
            done = stop
        pieces.append(text[done:])
        return cls("".join(pieces), runs)


def _flow_runs(
    text: str, plain: dict[str, Any], words: set[str]
) -> list[tuple[int, int, int, _Run]] | None:
    """The runs of one-line flow mappings (`  - {username: app, ...}`): per run, where its
    text starts and stops, its number of lines, and its rows."""
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
    runs = []
    done = line = 0
    for start, stop, written in spans:
        line += text.count("\n", done, start)
        column = start - text.rfind("\n", 0, start) - 1
        run = _read_run(written, line, column, plain, words)
        if run is None:
            return None
        runs.append((start, stop, len(run.rows), run))
        line += len(run.rows) - 1
        done = stop
    return runs


def _read_run(
    written: list[str],
    line: int,
    column: int,
    plain: dict[str, Any],
    words: set[str],
) -> _Run | None:
    """The rows of one run, or None when this grammar cannot be sure what one means (a key
    written twice, a key that is not a word): then libyaml reads the whole document. A row
    written as the run's first one (the same keys, in the same order and nesting) is read by
    one match of a pattern made from that row; any other row, token by token."""
    shape = _RowShape.of(written[0], words)
    rows: list[YMap] = []
    size = 0
    for number, row_text in enumerate(written):
        found = shape.pattern.fullmatch(row_text) if shape is not None else None
        if found is not None and shape is not None:
            row = shape.row(found.groups(), line + number, column, row_text, plain)
            size += shape.size
        else:
            read = _row_by_tokens(row_text, line + number, column, plain, words)
            if read is None:
                return None
            row, values = read
            size += values
        rows.append(row)
    depth = 1 + any(type(v) is _RowMap for row in rows for v in row.values())
    return _Run(line, column, rows, size, depth)


def _value(written: str, plain: dict[str, Any]) -> Any:
    """A value as written on a row's line: a quoted text without its quotes, a plain word
    resolved; each distinct text once (`plain`: a quoted one is kept with its quotes, so no
    text of one kind stands for the other)."""
    resolved = plain.get(written, plain)
    if resolved is plain:
        if written[0] == "'" or written[0] == '"':
            resolved = written[1:-1]
        else:
            resolved = _plain_scalar(written)
        plain[written] = resolved
    return resolved


def _row_by_tokens(
    row_text: str, line: int, column: int, plain: dict[str, Any], words: set[str]
) -> tuple[_RowMap, int] | None:
    """One row read token by token, and its number of values (inner mappings' too); None for
    a key written twice in a mapping or a key that is not a word."""
    row = into = _RowMap(line, column, row_text, None)
    keys = size = 0
    for key, value, opened in _ROW_TOKEN.findall(row_text, 1):
        if key and not _a_word(key, words):
            return None
        if value:
            keys += 1
            into[key] = _value(value, plain)
        elif opened:
            keys += 1
            into[key] = into = _RowMap(line, -1, "", row)
        elif into is row:
            size += len(row)
        else:
            size += len(into)
            into = row
    return (row, size) if keys == size else None


class _RowShape:
    """The keys of a one-line row, in order, with the mappings inside it: a pattern that
    matches a row written with exactly these keys, a group per value."""

    __slots__ = ("inner", "keys", "pattern", "size")

    def __init__(self, pattern: re.Pattern[str], keys: list[str], inner: dict[str, list[str]]):
        self.pattern = pattern
        self.keys = keys  # the row's keys; an inner mapping's key stands for its keys' values
        self.inner = inner  # per inner mapping's key, its keys
        self.size = len(keys) + sum(len(k) for k in inner.values())

    @classmethod
    def of(cls, row_text: str, words: set[str]) -> "_RowShape | None":
        parts = [r"\{ *"]
        keys: list[str] = []
        inner: dict[str, list[str]] = {}
        into: list[str] | None = None
        first = True
        for key, value, opened in _ROW_TOKEN.findall(row_text, 1):
            if not key:  # a `}`
                if into is None:
                    break
                parts.append(r" *\}")
                into, first = None, False
                continue
            mapping = keys if into is None else into
            if not _a_word(key, words) or key in mapping:
                return None
            parts.append(("" if first else r" *, *") + re.escape(key) + ": +")
            if value:
                parts.append(_ROW_VALUE)
                mapping.append(key)
                first = False
            elif opened and into is None:
                parts.append(r"\{ *")
                keys.append(key)
                into = inner[key] = []
                first = True
            else:
                return None
        parts.append(r" *\}")
        return cls(re.compile("".join(parts)), keys, inner)

    def row(
        self, values: tuple[str, ...], line: int, column: int, row_text: str, plain: dict[str, Any]
    ) -> _RowMap:
        resolved = [plain[v] if v in plain else _value(v, plain) for v in values]
        row = _RowMap(line, column, row_text, None)
        if not self.inner:
            row.update(zip(self.keys, resolved, strict=True))
            return row
        at = 0
        for key in self.keys:
            names = self.inner.get(key)
            if names is None:
                row[key] = resolved[at]
                at += 1
            else:
                inner = row[key] = _RowMap(line, -1, "", row)
                inner.update(zip(names, resolved[at : at + len(names)], strict=True))
                at += len(names)
        return row


# Rows written in block style, one key a line, such as
#   - username: app
#     password: {env: APP_PW}
#     attributes:
#       x: 1
# (a value on its line: a word, a number, a quoted text or a one-line flow mapping; or a
# mapping of such values, one level deeper). The same placeholders stand for their runs.
# A plain word in block context may hold spaces, commas and brackets (`^SELECT .* FROM t1$`):
# printable ASCII without `:` and `#`, not starting with an indicator, not ending in a space.
_BLOCK_PLAIN = r"(?:-?[A-Za-z0-9_./^$(\\)+=~;<]|-[0-9.])(?: *[!-\"$-9;-~])*"
_BLOCK_LINE = re.compile(
    rf"^( *)(- )?({_KEY}):(?: +({_BLOCK_PLAIN}|{_SINGLE}|{_DOUBLE}|{_INNER}))? *$",
    re.MULTILINE,
)
# The same line after a line break: `^` is tried at every character of the text, a line
# break is found fast (a 5 MB spec: 17 ms instead of 67). The first line is `_BLOCK_LINE`'s.
_BLOCK_LINE_AFTER_BREAK = re.compile("\n" + _BLOCK_LINE.pattern[1:], re.MULTILINE)


def _block_lines(text: str) -> Iterator[re.Match[str]]:
    """Every `_BLOCK_LINE` of `text`; group 1 starts where the line does."""
    first = _BLOCK_LINE.match(text)
    if first is not None:
        yield first
    yield from _BLOCK_LINE_AFTER_BREAK.finditer(text)


class _BlockMap(YMap):
    """A row (or a mapping in it) read from block lines; `where` keeps, per key, its line and
    the columns of the key and of the value (-1: a mapping below, at its own mark)."""

    __slots__ = ("where",)

    def __init__(self, line: int, column: int) -> None:  # no marks yet
        self.mark = _Mark(line, column)
        self.where: list[tuple[int, int, int]] = []

    def __getattr__(self, name: str) -> Any:
        if name != "marks":
            raise AttributeError(name)
        marks: list[Any] = []
        for (line, key_at, value_at), value in zip(self.where, self.values(), strict=True):
            marks.append(_Mark(line, key_at))
            marks.append(value.mark if value_at < 0 else _Mark(line, value_at))
        self.marks = marks
        return marks


class _BlockRunner:
    """Reads the runs of block-style rows, line by line."""

    def __init__(self, text: str, plain: dict[str, Any], words: set[str]) -> None:
        self.text = text
        self.plain = plain
        self.words = words
        self.runs: list[tuple[int, int, int, _Run]] = []
        self.rows: list[_BlockMap] = []  # the open run's complete rows
        self.run_start = self.run_stop = self.run_line = self.indent = -1
        self.row: _BlockMap | None = None  # the row being read
        self.row_stop = -1  # where its last line ends
        self.below: _BlockMap | None = None  # the mapping one level down, being read
        self.waiting: str | None = None  # the row's key whose mapping has no line yet
        self.waiting_at = (0, 0, -1)  # its line and key column
        self.size = 0  # values in the open run's complete rows, as aliases count them
        self.deep = False  # one of them holds a mapping
        self.row_size = 0  # the same, of the row being read
        self.row_deep = False

    def value(self, written: str, line: int, column: int) -> Any:
        if written[0] == "{":
            return _inner_mapping(written, line, column, self.plain, self.words)
        return _value(written, self.plain)

    def goes_on(self, at: int) -> bool:
        """Whether the line at `at` (after a row's last line read) may belong to the row:
        text indented deeper than the row's `- ` (a blank line or a comment cannot)."""
        text = self.text
        end = text.find("\n", at)
        line = text[at : len(text) if end < 0 else end]
        content = line.lstrip(" ")
        return bool(content) and content[0] != "#" and len(line) - len(content) > self.indent

    def end_row(self) -> None:
        """The row being read is complete when nothing waits for its lines."""
        if self.row is not None and self.waiting is None:
            self.rows.append(self.row)
            self.run_stop = self.row_stop
            self.size += self.row_size
            self.deep = self.deep or self.row_deep
        else:
            self.end_run()  # a row libyaml reads ends the run before it
        self.row = self.below = None
        self.waiting = None

    def end_run(self) -> None:
        if self.rows:
            depth = 2 if self.deep else 1
            run = _Run(self.run_line, self.indent + 2, list(self.rows), self.size, depth)
            lines = self.text.count("\n", self.run_start, self.run_stop) + 1
            self.runs.append((self.run_start, self.run_stop, lines, run))
        self.rows = []
        self.size = 0
        self.deep = False

    def read(self) -> list[tuple[int, int, int, _Run]] | None:
        text, plain, words = self.text, self.plain, self.words
        line = counted = 0
        previous_end = -2
        for found in _block_lines(text):
            start = found.start(1)
            if start == previous_end + 1:
                line += 1
            else:
                line += text.count("\n", counted, start)
                if self.row is not None:
                    if self.goes_on(previous_end + 1):
                        self.row = None  # a line of it this grammar does not read: libyaml does
                    self.end_row()
                    self.end_run()
            counted = start
            previous_end = found.end()
            indent, dash, key, written = found.groups()
            if key not in words and not _a_word(key, words):
                return None
            row = self.row
            if (  # the common line: the next key of the row, and a word
                row is not None
                and not dash
                and self.below is None
                and self.waiting is None
                and len(indent) == row.mark.column
                and written is not None
                and written[0] not in "{'\""
            ):
                if key in row:
                    return None  # a key written twice: libyaml's finding
                row[key] = _value(written, plain)
                row.where.append((line, len(indent), found.start(4) - start))
                self.row_size += 1
                self.row_stop = previous_end
                continue
            column = len(indent) + (2 if dash else 0)
            if dash:
                if self.row is not None:
                    self.end_row()
                if self.rows and len(indent) != self.indent:
                    self.end_run()
                if not self.rows:
                    self.run_start, self.run_line = found.start(3), line
                    self.indent = len(indent)
                self.row = _BlockMap(line, column)
                self.below = None
                self.waiting = None
                self.row_size = 0
                self.row_deep = False
                into = self.row
            elif self.row is None:
                continue
            elif column == self.row.mark.column:
                if self.waiting is not None:  # `key:` with nothing below: libyaml reads it
                    self.row = None
                    self.end_run()
                    continue
                self.below = None
                into = self.row
            elif column == self.row.mark.column + 2 and (
                self.waiting is not None or self.below is not None
            ):
                if self.waiting is not None:
                    self.below = _BlockMap(line, column)
                    self.row[self.waiting] = self.below
                    self.row.where.append(self.waiting_at)
                    self.waiting = None
                    self.row_deep = True
                into = self.below  # type: ignore[assignment]
                if written is None or written[0] == "{":
                    self.row = None  # deeper still: libyaml reads the row
                    self.end_run()
                    continue
            else:
                self.end_row()
                self.end_run()
                continue
            if key in into:
                return None  # a key written twice: libyaml's finding
            self.row_size += 1
            self.row_stop = found.end()
            if written is None:
                self.waiting = key
                self.waiting_at = (line, column, -1)
                continue
            value_at = found.start(4) - start
            value = self.value(written, line, value_at)
            if value is None and written[0] == "{":
                return None  # a key written twice in the inner mapping
            if written[0] == "{":
                self.row_deep = True
                self.row_size += len(value)
            into[key] = value
            into.where.append((line, column, value_at))
        if self.row is not None:
            if self.goes_on(previous_end + 1):
                self.row = None
            self.end_row()
        self.end_run()
        return self.runs


def _block_runs(
    text: str, plain: dict[str, Any], words: set[str]
) -> list[tuple[int, int, int, _Run]] | None:
    """The runs of block-style rows (see `_BLOCK_LINE`), or None when a key is written twice
    or is not a word."""
    return _BlockRunner(text, plain, words).read()


def _inner_mapping(
    written: str, line: int, column: int, plain: dict[str, Any], words: set[str]
) -> "_RowMap | None":
    mapping = _RowMap(line, column, written, None)
    pairs = 0
    for pair in _ROW_PAIR.finditer(written, 1, len(written) - 1):
        key, bare, single, double = pair.group(1, 2, 3, 4)
        if not _a_word(key, words):
            return None
        if bare is not None:
            mapping[key] = _value(bare, plain)
        else:
            mapping[key] = single if double is None else double
        pairs += 1
    return mapping if len(mapping) == pairs else None


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
            except (SourceError, yaml.YAMLError, UnicodeEncodeError):
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
        hint = "fix the YAML syntax"
        if "\t" in _line(text, found[0]).split("#")[0]:
            hint = "this line holds a tab: YAML indents with spaces only; replace the tab"
        raise SourceError(_finding(file, f"malformed YAML: {problem}", found, hint)) from None


def _line(text: str, number: int) -> str:
    """Line `number` (1-based) of `text`; empty when there is none."""
    lines = text.split("\n", number)
    return lines[number - 1] if 0 < number <= len(lines) else ""


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
