"""SIGINT, SIGTERM and SIGHUP during apply: one behaviour for all three.

A signal becomes `Interrupted`, raised where apply can still act on it: never while a
statement is in flight (its answer is read first, so what the node did is known), never
while memory is being put back, and not between a LOAD and its SAVE. Inside `shielded()` a
signal is remembered and raised when the outermost shield ends.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """A stop requested by a signal (a BaseException, like KeyboardInterrupt: no `except
    Exception` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP


class _Guard:
    def __init__(self) -> None:
        self.depth = 0
        self.pending: int | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.depth:
            self.pending = self.pending or signum
            return
        raise Interrupted(signum)

    def release(self) -> None:
        if self.depth == 0 and self.pending is not None:
            signum, self.pending = self.pending, None
            raise Interrupted(signum)


_guard = _Guard()


@contextmanager
def handled() -> Iterator[None]:
    """Turn the three signals into `Interrupted` for the duration (main thread only). A
    signal that whoever started pxc set to be ignored stays ignored: `nohup pxc apply`
    outlives its terminal, and a background job of a script ignores SIGINT."""
    previous: dict[signal.Signals, Any] = {}
    try:
        for sig in HANDLED:
            if signal.getsignal(sig) == signal.SIG_IGN:
                continue
            previous[sig] = signal.signal(sig, _guard.handle)
    except ValueError:  # not the main thread: leave signals alone
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _guard.pending = None


@contextmanager
def shielded() -> Iterator[None]:
    """Defer signals until the block ends (then raise the first one that came)."""
    _guard.depth += 1
    try:
        yield
    finally:
        _guard.depth -= 1
    _guard.release()


def pending() -> bool:
    return _guard.pending is not None
