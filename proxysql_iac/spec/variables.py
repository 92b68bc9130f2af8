"""ProxySQL's global variables per server version: names, types, defaults, accepted ranges.

Each catalog (data/variables-2.7.1.json, data/variables-3.0.1.json) was built from what a
real server of that version answered; validate uses the one of the version a spec targets
to catch names LOAD would delete and values LOAD would reset.
"""

import json
from functools import cached_property
from importlib import resources
from typing import Any, Literal, NamedTuple

VariableType = Literal["bool", "int", "string"]


class VariableInfo(NamedTuple):
    name: str
    type: VariableType
    default: str
    min: int | None = None
    max: int | None = None
    allowed: tuple[str, ...] = ()
    restart_only: bool = False
    secret: bool = False
    note: str = ""

    def problem(self, value: Any) -> str | None:
        """Why ProxySQL would not take `value` (as written in YAML), or None."""
        if self.type == "bool":
            if isinstance(value, bool):
                return None
            if isinstance(value, str) and value in ("true", "false"):
                return None
            return f"expects true or false, got {value!r}"
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"expects a whole number, got {value!r}"
            if self.allowed and str(value) not in self.allowed:
                return f"accepts only {', '.join(self.allowed)}; got {value}"
            if self.min is not None and value < self.min:
                return f"must be >= {self.min}; got {value}"
            if self.max is not None and value > self.max:
                return f"must be <= {self.max}; got {value}"
            return None
        if isinstance(value, (bool, float)):
            return f"expects a string, got {value!r}"
        if self.allowed and str(value) not in self.allowed:
            return f"accepts only {', '.join(self.allowed)}; got {value!r}"
        return None


# The recorded release each series' catalog comes from.
RECORDED_RELEASE: dict[str, str] = {"2.7": "2.7.1", "3.0": "3.0.1"}


class VariableCatalog:
    def __init__(self, entries: dict[str, VariableInfo], release: str = "2.7.1") -> None:
        self._entries = entries
        self.release = release

    @classmethod
    def load(cls, version: str = "2.7") -> "VariableCatalog":
        release = RECORDED_RELEASE[version]
        text = (
            resources.files("proxysql_iac.spec")
            .joinpath(f"data/variables-{release}.json")
            .read_text()
        )
        raw = json.loads(text)["variables"]
        entries = {}
        for name, info in raw.items():
            allowed = tuple(str(v) for v in info.get("allowed") or ())
            entries[name] = VariableInfo(
                name=name,
                type=info["type"],
                default=str(info.get("default") or ""),
                min=info.get("min"),
                max=info.get("max"),
                allowed=allowed,
                restart_only=bool(info.get("restart_only")),
                secret=bool(info.get("secret")),
                note=info.get("note") or "",
            )
        return cls(entries, release)

    def get(self, name: str) -> VariableInfo | None:
        return self._entries.get(name)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._entries


def is_secret_variable(name: str) -> bool:
    """A credential (admin/stats credentials, cluster and monitor passwords): never printed.
    The four ProxySQL credentials are secret even if a catalog were to miss them."""
    info = CATALOG.get(name) or CATALOGS["3.0"].get(name)
    return bool(info and info.secret) or name in _ALWAYS_SECRET


_ALWAYS_SECRET = frozenset(
    {
        "admin-admin_credentials",
        "admin-stats_credentials",
        "admin-cluster_password",
        "mysql-monitor_password",
        "pgsql-monitor_password",
    }
)


class _LazyCatalog(VariableCatalog):
    """Loaded on first use so that importing pxc stays fast."""

    def __init__(self, version: str = "2.7") -> None:
        self._version = version
        self.release = RECORDED_RELEASE[version]
        self._loaded: VariableCatalog | None = None

    def _real(self) -> VariableCatalog:
        if self._loaded is None:
            self._loaded = VariableCatalog.load(self._version)
        return self._loaded

    def get(self, name: str) -> VariableInfo | None:
        return self._real().get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return self._real().names

    def __contains__(self, name: object) -> bool:
        return name in self._real()


CATALOGS: dict[str, VariableCatalog] = {v: _LazyCatalog(v) for v in RECORDED_RELEASE}
CATALOG: VariableCatalog = CATALOGS["2.7"]
"""ProxySQL 2.7's catalog: the default a spec targets."""


def catalog_for(version: str) -> VariableCatalog:
    """The catalog of a release series (`cluster.proxysql_version`)."""
    return CATALOGS[version]
