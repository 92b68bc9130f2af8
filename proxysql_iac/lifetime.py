"""How long what a pxc command makes lives: in the pxc process (`cli.script`, the console
script), as long as the process.

A command over a large spec ends holding tens of thousands of rows several times over: as
written, compiled, read from the nodes, in the plan. Freeing them one object at a time when
the command returns takes a tenth of a second (status of 2,000 servers, 50,000 users and
10,000 rules: 0.07 to 0.12 s) for a process that is about to end. The console script keeps
them (`keep`) and ends with `os._exit` once its output is flushed (`end`): nothing is freed
and no exit handler runs (pxc registers none; every file it writes is closed by then).
Called as a library, as the tests call it, nothing is kept."""

import contextlib
import os
import sys
from typing import NoReturn


class _Kept:
    objects: list[object] | None = None  # None: not the pxc process


_KEPT = _Kept()


def keep_until_the_end() -> None:
    """From now on, what `keep` is given lives until `end`."""
    _KEPT.objects = []


def keep(*objects: object) -> None:
    if _KEPT.objects is not None:
        _KEPT.objects.extend(objects)


def end(code: int) -> NoReturn:
    """End the process with `code`, after flushing what it printed."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone, a stream closed
            stream.flush()
    os._exit(code)
