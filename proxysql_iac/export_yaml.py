"""YAML text for exported specs: every string reads back as exactly the same string.

PyYAML's emitter decides quoting by YAML 1.1, but pxc reads specs by the YAML 1.2 core schema
(spec/source.py), where `0o17` is an int and `1e3` a float. So any string a 1.2 reader could
take for something else is quoted, and any string with a line break or a control character is
double-quoted with escapes, which keeps it on one reviewable line.
"""

from typing import Any

import yaml

# How pxc reads a plain scalar: the one definition, so that quoting can never disagree with it.
from proxysql_iac.spec.source import _plain_scalar

_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029")


def _needs_escapes(text: str) -> bool:
    for ch in text:
        code = ord(ch)
        if code < 0x20 and ch != "\t":
            return True
        if 0x7F <= code <= 0x9F or ch in _LINE_BREAKS or ch == "\ufeff":
            return True
        if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            return True
    return False


class _Dumper(yaml.SafeDumper):
    """Block style, sequences indented under their key, no line folding."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class Flow(dict[str, Any]):
    """A small mapping written on one line, e.g. `{env: PXC_ADMIN_PASSWORD}`."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style: str | None = None
    if _needs_escapes(data) or "\t" in data:
        style = '"'
    elif not _reads_as_itself(data):
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _reads_as_itself(text: str) -> bool:
    try:
        value = _plain_scalar(text)
    except ValueError:  # e.g. an integer too long for int()
        return False
    return isinstance(value, str) and value == text


def _represent_flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Flow, _represent_flow)


def dump(data: Any) -> str:
    """One YAML block for `data` (a mapping, in its own key order)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**30,
        indent=2,
    )


def comment_text(text: str) -> str:
    """`text` made safe for a `#` comment line: no line breaks, no control characters."""
    if _needs_escapes(text) or "\t" in text:
        return text.encode("unicode_escape").decode("ascii")
    return text
