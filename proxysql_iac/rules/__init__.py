"""Validator findings. One small module per rule; each registers itself with `@rule`.

A rule is a function of a `RuleContext` that yields `Issue`s; the runner turns them into
findings with the rule's code, its severity (after the spec's `rules:` overrides) and the
file, line and column the offending value was written at. The docstring of each rule gives a
bad and a good example; docs/spec.md is generated from it.
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, NamedTuple

from proxysql_iac.findings import Finding, Severity
from proxysql_iac.spec.compile import Desired, WrittenCluster
from proxysql_iac.spec.load import LoadedSpec, PathT
from proxysql_iac.spec.variables import CATALOGS, VariableCatalog, catalog_for

When = Literal["validate", "plan"]


class Issue(NamedTuple):
    path: PathT
    message: str
    hint: str = ""
    at_key: bool = False


class RuleContext(NamedTuple):
    loaded: LoadedSpec
    desired: Desired

    @property
    def catalog(self) -> VariableCatalog:
        """The variables of the ProxySQL version the spec targets."""
        return catalog_for(self.desired.proxysql_version)

    @property
    def cluster(self) -> WrittenCluster | None:
        """The `cluster:` block as written (checked even when some of its values are not)."""
        return self.desired.written_cluster


Check = Callable[[RuleContext], Iterable[Issue]]


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    when: When
    check: Check
    doc: str


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str, name: str, severity: Severity, when: When = "validate"
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if code in REGISTRY:
            raise RuntimeError(f"rule code {code} registered twice")
        REGISTRY[code] = Rule(code, name, severity, when, check, (check.__doc__ or "").strip())
        return check

    return register


def load_all() -> dict[str, Rule]:
    """Import every rule module of this package (each registers itself)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY


def load_everything() -> None:
    """Every rule and everything they load on first use (the variable catalogs), loaded now
    rather than while they run: `validate.RulesBeside` runs them in a process forked while
    another thread may hold an import lock."""
    load_all()
    for catalog in CATALOGS.values():
        catalog.get("")


def severity_for(rule_: Rule, overrides: dict[str, str]) -> Severity | None:
    """The effective severity, or None when the spec turned the rule off."""
    chosen = overrides.get(rule_.code, overrides.get(rule_.name))
    if chosen is None:
        return rule_.severity
    if chosen == "off":
        return None
    return Severity(chosen)


def run_rules(
    ctx: RuleContext, when: When = "validate", only: Callable[[str], bool] | None = None
) -> Iterator[Finding]:
    """The findings of the rules run `when`, by code (`only`: the codes to run)."""
    overrides = ctx.desired.rule_overrides
    for code in sorted(load_all()):
        rule_ = REGISTRY[code]
        if rule_.when != when or (only is not None and not only(code)):
            continue
        severity = severity_for(rule_, overrides)
        if severity is None:
            continue
        for issue in rule_.check(ctx):
            yield ctx.loaded.finding(
                rule_.code, severity, issue.path, issue.message, issue.hint, at_key=issue.at_key
            )
