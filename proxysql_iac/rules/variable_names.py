"""PXC113: variables LOAD would delete (unknown name) or reset (value out of range)."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._variables import range_problem
from proxysql_iac.rules.sync_algorithm import NAME as SYNC_ALGORITHM
from proxysql_iac.spec.load import did_you_mean
from proxysql_iac.spec.tables import VARIABLE_PREFIX, VERSIONS, section_versions
from proxysql_iac.spec.variables import catalog_for


@rule("PXC113", "unknown-variable", Severity.ERROR)
def unknown_variable(ctx: RuleContext) -> Iterator[Issue]:
    """A variable name ProxySQL does not know, or a value outside what it accepts.

    LOAD deletes an unknown name with only a log line, and resets a value of the wrong range
    to the previous one with only a log line: the variable looks set in memory and is not.

    Bad::

        mysql_variables:
          max_connection: 2000        # no such variable
          max_connections: 0          # 1..1000000

    Good::

        mysql_variables:
          max_connections: 2000
    """
    for full, variable in sorted(ctx.desired.variables.items()):
        section, written = (str(step) for step in variable.origin)
        prefix = VARIABLE_PREFIX[section]
        if ctx.desired.proxysql_version not in section_versions(section):
            continue  # PXC142 reports the whole section
        info = ctx.catalog.get(full)
        if info is None:
            yield Issue(
                variable.origin,
                f"{full} is not a ProxySQL {ctx.catalog.release} variable: "
                "LOAD deletes it with only a log line",
                _name_hint(ctx, section, prefix, written, full),
                at_key=True,
            )
            continue
        if full == SYNC_ALGORITHM:
            continue  # PXC106 says why
        problem = range_problem(info, variable)
        if problem:
            yield Issue(
                variable.origin,
                f"{full} {problem}: LOAD resets it to the old value with only a log line",
                f"the default is {info.default!r}" if info.default else "",
            )


def _name_hint(ctx: RuleContext, section: str, prefix: str, written: str, full: str) -> str:
    others = [v for v in VERSIONS if v != ctx.desired.proxysql_version and catalog_for(v).get(full)]
    if others:
        return (
            f"only ProxySQL {' and '.join(others)} has it: if the nodes run it, set "
            f'`cluster.proxysql_version: "{others[-1]}"`'
        )
    if written.startswith(prefix) and ctx.catalog.get(written) is not None:
        return f"write it without the {prefix!r} prefix: `{written.removeprefix(prefix)}`"
    for other_section, other_prefix in VARIABLE_PREFIX.items():
        if other_section != section and ctx.catalog.get(other_prefix + written) is not None:
            return f"it is {other_prefix}{written}: move it under `{other_section}:`"
    names = [n.removeprefix(prefix) for n in ctx.catalog.names if n.startswith(prefix)]
    return did_you_mean(written, names) or f"see the {section} ProxySQL {ctx.catalog.release} knows"
