"""Big specs are read fast by taking their rows away from libyaml: one-line rows
(`  - {username: app, ...}`) and block rows (`- username: app`, then a key a line). Whatever
a spec holds, the result must be exactly libyaml's: the same values of the same types, the
same line and column for every key, value and item, and the same finding when the YAML is
wrong."""

import random
from collections.abc import Callable
from typing import Any

import pytest

from proxysql_iac.spec import source
from proxysql_iac.spec.source import Document, SourceError, YList, YMap, parse_text, position


def shape(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every value with its type and every position, in document order (without recursion:
    a document may nest up to libyaml's limit)."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [(path, value)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, YMap):
            found.append((path, "mapping", position(value.mark)))
            children = []
            for index, (key, item) in enumerate(value.items()):
                marks = value.marks[2 * index : 2 * index + 2]
                found.append((path, key, position(marks[0]), position(marks[1])))
                children.append(((*path, key), item))
            stack += reversed(children)
        elif isinstance(value, YList):
            found.append((path, "list", position(value.mark)))
            children = []
            for index, item in enumerate(value):
                found.append((path, index, position(value.marks[index])))
                children.append(((*path, index), item))
            stack += reversed(children)
        else:
            found.append((path, type(value).__name__, value))
    return found


def asked_marks(document: Document) -> list[tuple[Any, ...]]:
    """Where each key and value is, as a finding asks (`key_mark_of`, `mark_of`): of a fresh
    document, deepest paths first, so that nothing has placed a lazily read mapping before."""
    paths: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document.data)]
    while stack:
        path, value = stack.pop()
        if not isinstance(value, (YMap, YList)) or id(value) in seen:
            continue  # an alias's collection: asked once, by its first path
        seen.add(id(value))
        for step, item in value.items() if isinstance(value, YMap) else enumerate(value):
            paths.append((*path, step))
            stack.append(((*path, step), item))
    found: list[tuple[Any, ...]] = []
    for path in reversed(paths):
        try:
            found.append((path, document.key_mark_of(path), document.mark_of(path)))
        except Exception as exc:  # a traceback is a difference too
            found.append((path, "raised", type(exc).__name__))
    return found


def outcome(text: str, one_line_rows: bool) -> Any:
    try:
        document: Document = parse_text(text, "spec.yaml", one_line_rows=one_line_rows)
        fresh = parse_text(text, "spec.yaml", one_line_rows=one_line_rows)
    except SourceError as exc:
        found = exc.finding
        return ("finding", found.message, found.line, found.column, found.hint)
    return shape(document.data), asked_marks(fresh)


def assert_same_as_libyaml(text: str) -> None:
    assert outcome(text, True) == outcome(text, False), text


CASES = {
    "rows of every scalar kind": (
        "rows:\n"
        "  - {a: 1, b: -2, c: 1.5, d: 1e3, e: .5, f: 0x1F, g: 0o17, h: true, i: False}\n"
        "  - {a: null, b: NULL, c: y, d: on, e: OFF, f: db-1.example.com, g: a/b, h: x@y}\n"
        "  - {a: a=b, b: x~y, c: '', d: \"\", e: 'a, b: {c} # d', f: \"x # y, {z}\"}\n"
        "  - {a: -.5, b: '-', c: ._x, d: 007, e: +1, f: 1_000}\n"
    ),
    "secrets in inner mappings": (
        "users:\n"
        "  - {username: u1, password: {env: PW}, default_hostgroup: 1}\n"
        "  - {username: u2, password: {file: /run/secrets/pw}, comment: '{env: X}'}\n"
        "  - {username: u3, password: { env: PW , file: x }, x: {a: '}'}}\n"
    ),
    "words with spaces in a row": (
        "a:\n  - {x: team 0, y: ^SELECT .* FROM t1$, z: a 'b' \"c\" ?d !e &f *g}\n"
        "  - {x: a  b  , y: a - b}\n  - {x: a , y: b}\n"
    ),
    "spaces inside the braces and after the row": "a:\n- { x: 1 ,y:  2 }   \n- {x: 3}\n",
    "a comment after a row, between rows and blank lines": (
        "a:\n  - {x: 1}  # first\n  # between\n  - {x: 2}\n\n  - {x: 3}\n  - {x: 4}\n"
    ),
    "rows at the top level": "- {x: 1}\n- {x: 2}\n",
    "rows in nested lists and mappings": (
        "a:\n  b:\n    - {x: 1}\n    - c:\n        - {y: 2}\n        - {y: 3}\n    - {x: 4}\n"
    ),
    "rows in a block scalar stay text": "a: |\n  - {x: 1}\n  - {x: 2}\nb:\n  - {x: 3}\n",
    "rows in a folded scalar stay text": "a: >-\n  - {x: 1}\n\n  - {x: 2}\n",
    "rows in a multi-line quoted string stay text": 'a: "one\n  - {x: 1}\n  two"\n',
    "rows in a multi-line plain scalar": "a: one\n  - {x: 1}\n",
    "rows inside a flow sequence": "a: [\n  - {x: 1}\n]\n",
    "a row written twice as an anchor's list and an alias": (
        "a: &rows\n  - {x: 1}\n  - {x: 2, y: {env: Z}}\nb: *rows\nc: [*rows, *rows]\n"
    ),
    "a merged row": "d: &d {x: 1, y: 2}\nrows:\n  - {<<: *d, z: 3}\n  - {x: 1}\n",
    "a duplicate key in a row": "a:\n  - {x: 1}\n  - {x: 1, y: 2, x: 3}\n",
    "a duplicate key in an inner mapping": "a:\n  - {p: {env: A, env: B}}\n",
    "a key that is not a word": "a:\n  - {x: 1}\n  - {true: 1}\n  - {null: 2}\n",
    "a number as a key": "a:\n  - {1: x}\n",
    "a key that is not a word in an inner mapping": (
        "a:\n  - {p: {True: 1}}\n  - {p: {x: 1, FALSE: 2}}\n  - {p: {null: 1}}\n"
    ),
    "rows with different indents in a row": "a:\n  - {x: 1}\n    - {x: 2}\n",
    "a less indented row after a run": "a:\n  b:\n    - {x: 1}\n  - {x: 2}\n",
    "windows line ends": "a:\r\n  - {x: 1}\r\n  - {x: 2}\r\n",
    "a tab after the dash": "a:\n  -\t{x: 1}\n  - {x: 2}\n",
    "non-ASCII text in a row": "a:\n  - {x: 'é'}\n  - {x: 1}\n  - {x: \"ü\"}\n",
    "a control character in a quoted value": "a:\n  - {x: 'a\x07b'}\n",
    "a doubled quote": "a:\n  - {x: 'it''s'}\n  - {x: 2}\n",
    "a backslash escape": 'a:\n  - {x: "a\\tb"}\n  - {x: 2}\n',
    "a colon without a space": "a:\n  - {x:1}\n  - {x: 2}\n",
    "a value that starts like an indicator": "a:\n  - {x: &a 1}\n  - {x: *a}\n  - {x: !!str 1}\n",
    "the placeholder's word in the spec": "a:\n  - {x: _pxc_rows_0}\n  - {x: 2}\n",
    "a second document": "a:\n  - {x: 1}\n---\nb:\n  - {x: 2}\n",
    "an anchor on a row": "a:\n  - &r {x: 1}\n  - {x: 2}\nb: *r\n",
    "an empty row": "a:\n  - {}\n  - {x: 1}\n",
    "a row that is a key": "a:\n  - {x: 1}: 2\n",
    "malformed YAML after rows": "a:\n  - {x: 1}\n  - {x: 2\n",
    "rows after a tag directive": "%TAG ! tag:example.com,2000:\n---\na:\n  - {x: 1}\n",
}


BLOCK_CASES = {
    "block rows of every kind of value": (
        "users:\n- username: u1\n  password: {env: PW}\n  port: 3306\n  on: OFF\n"
        "  match: ^SELECT .* FROM t1$\n  q: 'a: b # c'\n  d: \"x, {y}\"\n  list: a, [b]\n"
        "  e: it's\n  f: -1\n  g: ~x\n  h: null\n  i: .5  \n"
        "- username: u2\n  attributes:\n    x: 1\n    y: 'z'\n  port: 3307\n"
    ),
    "block rows indented under their key": "a:\n  - x: 1\n    y: 2\n  - x: 3\nb: 4\n",
    "a key with nothing below": "a:\n- x: 1\n  y:\n  z: 2\n- x:\n- x: 3\n",
    "a mapping three levels down": "a:\n- x:\n    y:\n      z: 1\n  w: 2\n- x: 3\n",
    "a mapping below indented by four": "a:\n- x:\n      y: 1\n- x: 3\n",
    "an inner flow mapping below": "a:\n- x:\n    y: {env: Q}\n- x: 3\n",
    "a comment and a blank line in a row": (
        "a:\n- x: 1\n  # note\n  y: 2\n- x: 3\n\n  y: 4\n- x: 5\n"
    ),
    "a word that goes on to the next line": "a:\n- x: one\n   two\n  y: 2\n- x: 3\n",
    "a value this grammar does not read": "a:\n- x: 1\n  y: *z\n  w: [1, 2]\n- x: 2\n",
    "a comment after a value": "a:\n- x: 1  # one\n  y: 2\n- x: 3\n",
    "a duplicate key in a block row": "a:\n- x: 1\n  x: 2\n",
    "a duplicate key in a mapping below": "a:\n- x:\n    y: 1\n    y: 2\n",
    "a key that is not a word in a block row": "a:\n- x: 1\n  true: 2\n",
    "block rows in a block scalar": "a: |\n  - x: 1\n    y: 2\nb:\n- x: 1\n",
    "a nested list in a row": "a:\n- x: 1\n  y:\n  - 1\n- x: 2\n",
    "a list after a row's key": "a:\n- x: 1\n  - y\n",
    "block and flow rows together": "a:\n- {x: 1}\n- x: 2\n  y: 3\n- {x: 4}\nb:\n  - x: 5\n",
    "rows at different depths": "a:\n- x: 1\n  y:\n  - z: 2\n    w: 3\n  - z: 4\n- x: 5\n",
    "block rows at the top level": "- x: 1\n  y: 2\n- x: 3\n",
    "a tab in a value": "a:\n- x: a\tb\n- x: 2\n",
    "windows line ends in block rows": "a:\r\n- x: 1\r\n  y: 2\r\n",
}
_BLOCK_ROWS = "".join(
    "  - k0: 0\n    k1: 1\n    k2: 2\n    k3: {" + ", ".join(f"i{j}: {j}" for j in range(5)) + "}\n"
    for _ in range(100)
)
BLOCK_CASES["aliases of block rows counted as they expand"] = (
    f"a: &a\n{_BLOCK_ROWS}b: &b [{', '.join(['*a'] * 40)}]\nc: [{', '.join(['*b'] * 30)}]\n"
)


def _chain(rows: str, levels: int) -> str:
    return f"l0: &l0\n{rows}" + "".join(f"l{n}: &l{n} [*l{n - 1}]\n" for n in range(1, levels))


BLOCK_CASES["aliases of block rows with a mapping below, to the depth limit"] = _chain(
    "- x:\n    y: 1\n", 498
)
BLOCK_CASES["aliases of a flow mapping two levels down, to the depth limit"] = _chain(
    "- x:\n    y: {env: A}\n", 497
)
CASES.update(BLOCK_CASES)
_ROWS = "".join(f"  - {{{', '.join(f'k{j}: {j}' for j in range(9))}}}\n" for _ in range(100))
CASES["aliases of one-line rows counted as they expand"] = (
    f"a: &a\n{_ROWS}b: &b [{', '.join(['*a'] * 40)}]\nc: [{', '.join(['*b'] * 30)}]\n"
)

CASES["aliases of one-line rows nested to the depth limit"] = (
    "l0: &l0\n  - {x: {env: A}}\n" + "".join(f"l{n}: &l{n} [*l{n - 1}]\n" for n in range(1, 499))
)


# Differences found in review (each fails against c3cb050).
CASES.update(
    {
        # key_mark_of asked of an inner mapping before its row placed it: IndexError (a
        # finding such as "unknown key" in `nodes: - {name: n, host: h, tls: {bogus: 1}}`)
        "a key of an inner mapping asked before its row": "- {p: {env: A}}\n",
        # libyaml refuses a simple key longer than 1024 characters; the quick reader reads it
        "a flow row key longer than 1024 characters": "- {" + "k" * 1025 + ": 1}\n",
        "a block row key longer than 1024 characters": "- x: 1\n  " + "k" * 1025 + ": 2\n",
        # a tab in the indentation of a blank line after rows: libyaml's error, but the
        # placeholder (a plain scalar) takes the line as its own trailing white space
        "a tab on a blank line after a flow row": "- {x: 1}\n \t\n",
        "a tab on a blank line after a block row": "- x: 1\n\n \t\n",
        # libyaml's nesting limit: a row read as a placeholder word nests a level less
        "a block row at libyaml's nesting limit": "- " * 999 + "x\n" + " " * 1996 + "- y: 1\n",
        # a lone surrogate after rows: the character's index is counted in the placeholder text
        "a lone surrogate after rows": "- {x: 1}\n\ud800\n",
    }
)
_INNER_ROWS = "".join(
    "  - {k: {" + ", ".join(f"i{j}: {j}" for j in range(9)) + "}}\n" for _ in range(100)
)
# Found in review of the rows read by their run's first row's pattern (3f68989).
CASES.update(
    {
        # a row read by the pattern counts its inner mapping's values, as aliases expand
        "aliases of rows with inner mappings counted as they expand": (
            f"a: &a\n{_INNER_ROWS}b: &b [{', '.join(['*a'] * 40)}]\nc: [{', '.join(['*b'] * 30)}]\n"
        ),
        # one level under the limit tells a depth of 1 from 2
        "aliases of one-line rows with a mapping, one level under the depth limit": (
            "l0: &l0\n  - {x: {env: A}}\n"
            + "".join(f"l{n}: &l{n} [*l{n - 1}]\n" for n in range(1, 498))
        ),
        # a text written bare and quoted in one run: the per-text cache keeps them apart
        "one text written bare and in quotes in one run": (
            "a:\n  - {x: 1}\n  - {x: '1'}\n  - {x: \"1\"}\n  - {x: true}\n  - {x: 'true'}\n"
            '  - {x: null}\n  - {x: "null"}\n'
        ),
        # a quote inside a plain value of an inner mapping: its marks were placed wrong, and
        # asking for one of its keys raised IndexError (`tls: {ca: /etc/it's/ca.pem, x: 1}`)
        "a quote in a plain value of an inner mapping": (
            "- {u: 1, p: {file: /run/it's, bogus: 1}, q: 2}\n- {u: 2, p: {env: x\"y}}\n"
        ),
    }
)


@pytest.mark.parametrize("text", list(CASES.values()), ids=list(CASES))
def test_a_spec_reads_as_libyaml_reads_it(text: str) -> None:
    assert_same_as_libyaml(text)


# Mostly what specs hold, now and then something the quick reader must leave to libyaml.
KEYS = ["hostname", "port", "x", "_y", "Key1", "on", "env", "comment"]
ODD_KEYS = ["true", "null", "NULL", "False", "1", "a b", "x"]
VALUES = [
    *["1", "-2", "0", "1.5", ".5", "1e3", "true", "False", "null", "y", "OFF", "0x1F"],
    *["db-1.x", "a/b", "x@y", "-.5", "007", "a=b", "team 0", "^SELECT .* FROM t$", "a - b"],
    *["'a, b'", "''", '"c # d"', "'{e}'", '""', "'- {f: 1}'", "'x: {y}'"],
    *["{env: PW}", "{file: /p, env: Q}", "{x: '}'}", "{ env: PW }"],
]
ODD_VALUES = [
    "~",
    "'é'",
    '"a\\"b"',
    "a b",
    "-",
    "a:b",
    "{}",
    "[1, 2]",
    "*a",
    "&a 5",
    "'it''s'",
    "{True: 1}",
    "{a: 1, a: 2}",
    "!!str 1",
    "'a\tb'",
    "|",
    "x #y",
]
LINES = ["{indent}- {row}", "{indent}- {row}  ", "{indent}- {row} # note"]
ODD_LINES = [
    "{indent}# note",
    "",
    "{indent}-  {row}",
    "{indent}- - {row}",
    "{indent}  - {row}",
    "{indent}key: {row}",
    "{indent}- plain",
    "{indent}- |",
    "{indent}- {row}\r",
]


def random_row(rng: random.Random) -> str:
    keys = rng.sample(KEYS, rng.randint(1, 4))
    if rng.random() < 0.05:
        keys[-1] = rng.choice(ODD_KEYS)
    values = [rng.choice(VALUES) for _ in keys]
    if rng.random() < 0.05:
        values[-1] = rng.choice(ODD_VALUES)
    separator = rng.choice([", ", ",", " , "])
    return "{" + separator.join(f"{k}: {v}" for k, v in zip(keys, values, strict=True)) + "}"


def one_line_rows(rng: random.Random, indent: str) -> list[str]:
    shape = rng.choice(LINES) if rng.random() < 0.97 else rng.choice(ODD_LINES)
    return [shape.format(indent=indent, row=random_row(rng))]


# The keys of rows written alike, as a spec's rows of one table are: a run's rows then mostly
# share its first row's keys (read by a pattern made from that row), now and then not.
SHAPES = [["hostname", "port"], ["x", "env", "comment"], ["port", "x"], ["Key1"]]


def shaped_rows(rng: random.Random, indent: str) -> list[str]:
    keys = list(rng.choice(SHAPES[:2]) if rng.random() < 0.8 else rng.choice(SHAPES))
    if rng.random() < 0.03:
        keys[-1] = rng.choice(ODD_KEYS)
    values = [rng.choice(VALUES) for _ in keys]
    if rng.random() < 0.05:
        values[-1] = rng.choice(ODD_VALUES)
    separator = rng.choice([", ", ", ", ",", " , "])
    row = "{" + separator.join(f"{k}: {v}" for k, v in zip(keys, values, strict=True)) + "}"
    shape = rng.choice(LINES) if rng.random() < 0.97 else rng.choice(ODD_LINES)
    return [shape.format(indent=indent, row=row)]


BLOCK_VALUES = [
    *VALUES[:-4],
    *["^SELECT .* FROM t$", "a, [b]", "it's", "x  ", "{env: PW}", "{ file: /p }"],
]
ODD_BLOCK_LINES = [
    "{indent}  # note",
    "",
    "{indent}  - item",
    "{indent}   more",
    "{indent}  k: *a",
    "{indent}  k: x # c",
    "{indent}  k:",
    "{indent}    deep: 1",
    "{indent}  k: [1]",
]


def random_block_row(rng: random.Random, indent: str) -> list[str]:
    keys = rng.sample(KEYS, rng.randint(1, 4))
    if rng.random() < 0.05:
        keys[-1] = rng.choice(ODD_KEYS)
    lines = []
    for index, key in enumerate(keys):
        lead = f"{indent}- " if index == 0 else f"{indent}  "
        if rng.random() < 0.1:  # a mapping below
            lines.append(f"{lead}{key}:")
            for inner in rng.sample(KEYS, rng.randint(1, 3)):
                lines.append(f"{indent}    {inner}: {rng.choice(BLOCK_VALUES)}")
        else:
            value = rng.choice(BLOCK_VALUES) if rng.random() > 0.05 else rng.choice(ODD_VALUES)
            lines.append(f"{lead}{key}: {value}")
        if rng.random() < 0.03:
            lines.append(rng.choice(ODD_BLOCK_LINES).format(indent=indent))
    return lines


def block_rows(rng: random.Random, indent: str) -> list[str]:
    if rng.random() < 0.2:
        return [f"{indent}- {random_row(rng)}"]
    return random_block_row(rng, indent)


def random_spec(rng: random.Random, rows: Callable[[random.Random, str], list[str]]) -> str:
    lines = []
    for table in range(rng.randint(1, 4)):
        lines.append(f"table{table}:")
        indent = " " * rng.choice([0, 2, 4])
        for _ in range(rng.randint(1, 8)):
            lines += rows(rng, indent)
    return "\n".join(lines) + rng.choice(["\n", "", "\n\n"])


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize(
    "rows", [one_line_rows, shaped_rows, block_rows], ids=["one-line", "shaped", "block"]
)
def test_generated_specs_read_as_libyaml_reads_them(
    rows: Callable[[random.Random, str], list[str]], seed: int
) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        assert_same_as_libyaml(random_spec(rng, rows))


def test_rows_written_alike_are_read_by_a_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    """Else the pattern is never used, and the speed it buys (docs/performance.md) is lost."""
    calls: list[object] = []
    real = source._row_by_tokens
    monkeypatch.setattr(source, "_row_by_tokens", lambda *a: calls.append(a) or real(*a))
    text = "t:\n" + "".join(f"  - {{a: {i}, b: {{env: X}}, c: 'q, r: s' }}\n" for i in range(50))
    assert source.parse_text(text, "f.yaml").data["t"][49]["a"] == 49
    assert calls == []
