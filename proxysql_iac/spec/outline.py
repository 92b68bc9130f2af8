"""A spec's outline: what its files' top level tells before they are parsed whole.

Parsing and compiling a 60,000-row spec takes most of a second; reading the nodes it names
takes about as long, mostly on the node's side. The outline lets the reading start first:
the sections each file writes (its lines at the left margin), and its `version:`,
`cluster:` and `rules:` sections, which must open the file, loaded as a spec of their own.

It is a guess that pays when it comes true, nothing more: whoever acts on it compares it with
what the whole spec says once validated (`planning.read_while_validating`). A file it cannot
be sure of (a document marker past the first line, a key that is not a plain word, the same
key twice, those sections after another one or not parsing on their own) gives no
outline."""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from proxysql_iac.spec.load import LoadedSpec, combine_documents
from proxysql_iac.spec.source import Document, SourceError, parse_text

# The sections reaching the nodes depends on (the cluster block, the severities the rules
# give it) and the version the rules check them against.
OUTLINED = frozenset({"version", "cluster", "rules"})

# a line that starts a top-level item (after a line break: `^` would be tried at every
# character of the text, ten times slower)
_LEFT_MARGIN = re.compile(r"\n[^\s#][^\n]*")
_SECTION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(?:[ \t]|$)")


class Outline(NamedTuple):
    loaded: LoadedSpec  # the OUTLINED sections of every file, merged as the files are
    sections: frozenset[str]  # every top-level key the files write


def outline(paths: Sequence[str | Path]) -> Outline | None:
    """The outline of the spec files `paths`, or None when they give none to be sure of."""
    sections: set[str] = set()
    documents: list[Document] = []
    for path in paths:
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        spans = _sections(text)
        if spans is None:
            return None
        sections.update(spans)
        # The outlined sections must open the file: their text is then the file's own
        # beginning, which libyaml reads there as it reads it here. (Anywhere else, a quoted
        # value or a bracket opened above and continued at the left margin could make text
        # look like `cluster:`.) What they leave open makes their parse fail.
        leading = list(spans)[: len(OUTLINED & spans.keys())]
        if not OUTLINED.issuperset(leading):
            return None
        head = text[: spans[leading[-1]][1]] if leading else ""
        try:
            documents.append(parse_text(head, str(path)))
        except SourceError:
            return None
    return Outline(combine_documents(documents, []), frozenset(sections))


def _sections(text: str) -> dict[str, tuple[int, int]] | None:
    """Each top-level key of `text` and where its section starts and stops; None when a line
    at the left margin is neither a plain `key:` nor a `---` before the first key."""
    spans: dict[str, tuple[int, int]] = {}
    last = ""
    for line in _LEFT_MARGIN.finditer("\n" + text):
        start, written = line.start(), line.group()[1:]  # `start`: in `text`, past the break
        if last:
            spans[last] = (spans[last][0], start)
        key = _SECTION.match(written)
        if key is None and not spans and written.rstrip() == "---":
            continue
        if key is None or key.group(1) in spans:
            return None  # what this is, the whole read says
        last = key.group(1)
        spans[last] = (start, len(text))
    return spans
