"""The one exception hierarchy of pxc, and the exit codes pipelines rely on."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2  # plan --detailed-exitcode: there are changes
    NOT_CONVERGED = 3  # apply succeeded on the primary, peers did not converge in time


class PxcError(Exception):
    """An error a person can act on. `str(error)` must never contain a secret value."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class SpecError(PxcError):
    """The spec cannot be used (findings carry the details)."""


class StalePlanError(PxcError):
    """The node changed since the plan was made; nothing was written."""


class AdminConnectionError(PxcError):
    """A ProxySQL admin interface could not be reached or refused us."""


class AdminQueryError(PxcError):
    """The admin interface answered a statement with an error."""

    def __init__(self, message: str, errno: int = 0, sql_summary: str = "") -> None:
        super().__init__(message)
        self.errno = errno
        self.sql_summary = sql_summary


class ApplyError(PxcError):
    """Apply failed; memory was put back where possible (the message says what happened)."""


class ApplyRefused(PxcError):
    """Apply did not start: the plan is blocked, destructive, or was not confirmed."""
