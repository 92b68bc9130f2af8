"""PXC128: a value LOAD reads as something else than what the spec means."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.compile import DesiredRow
from proxysql_iac.spec.tables import TABLES, Load

FLAGS = ("CASELESS", "GLOBAL")
UINT32 = 2**32


@rule("PXC128", "value-rewritten-at-load", Severity.ERROR)
def value_rewritten_at_load(ctx: RuleContext) -> Iterator[Issue]:
    """A value ProxySQL reads as something else at LOAD, silently.

    `re_modifiers` keeps only comma-separated items that start with CASELESS or GLOBAL:
    `caseless global`, `CASELESS, GLOBAL` (a space after the comma) or `x` do not do what
    they say. A query rule's `digest` is read as a number (`0x...` hex, or decimal); a value
    that is not one becomes NULL, and a rule without a digest matches every query.
    Differences of case (`caseless`, `0xabc`) are fine: pxc writes the form ProxySQL shows.
    A server's `max_latency_ms` is kept in microseconds in 32 bits: above 4294967 (71
    minutes) it wraps, and 4294968 runs as 0, no latency limit at all. `pgsql_query_rules`
    and `pgsql_servers` (ProxySQL 3.0) are read the same way (measured on 3.0.1).

    Bad::

        mysql_query_rules:
          - {rule_id: 1, active: 1, match_digest: '^SELECT', re_modifiers: 'caseless, global'}
          - {rule_id: 2, active: 1, digest: 'SELECT 1', destination_hostgroup: 20}

    Good::

        mysql_query_rules:
          - {rule_id: 1, active: 1, match_digest: '^SELECT', re_modifiers: 'CASELESS,GLOBAL'}
          - {rule_id: 2, active: 1, digest: '0x3B9E2A5F0C1D7E48', destination_hostgroup: 20}
    """
    yield from _wrapped(ctx)
    for table in TABLES:
        columns = [c for c in table.columns if c.load in (Load.RE_MODIFIERS, Load.DIGEST)]
        for column in columns:
            for row, written in _written_text(ctx, table.name, column.name):
                runs_as = column.loaded(written)
                if column.load is Load.RE_MODIFIERS:
                    items = [i.upper() for i in written.split(",")] if written else []
                    if all(i in FLAGS for i in items):
                        continue
                    yield Issue(
                        (*row.origin, column.name),
                        f"re_modifiers {written!r} runs as {runs_as!r}: ProxySQL keeps only "
                        "comma-separated items starting with CASELESS or GLOBAL",
                        "write CASELESS, GLOBAL or CASELESS,GLOBAL (no spaces)",
                    )
                elif runs_as is None and written.strip():
                    yield Issue(
                        (*row.origin, column.name),
                        f"digest {written!r} is not a number ProxySQL can read: the rule runs "
                        "without a digest and matches every query",
                        "write the digest as shown in stats_mysql_query_digest, e.g. "
                        "0x3B9E2A5F0C1D7E48",
                    )


def _written_text(ctx: RuleContext, table: str, column: str) -> Iterator[tuple[DesiredRow, str]]:
    for row in ctx.desired.rows(table):
        raw = ctx.loaded.written((*row.origin, column)) if column in row.written else None
        if isinstance(raw, str):
            yield row, raw


def _wrapped(ctx: RuleContext) -> Iterator[Issue]:
    for table in TABLES:
        for column in table.columns:
            if column.runtime_unit is None:
                continue
            name = column.name
            factor, unit = column.runtime_unit
            limit = (UINT32 - 1) // factor
            for row in ctx.desired.rows(table.name):
                value = row.values[name]
                if not isinstance(value, int) or not limit < value < UINT32:
                    continue  # beyond 32 bits is PXC116
                runs_as = value * factor % UINT32 // factor
                yield Issue(
                    (*row.origin, name),
                    f"{name} {value} runs as {runs_as}: ProxySQL keeps it in {unit} in 32 "
                    f"bits, so LOAD wraps anything above {limit}"
                    + (" (0 is no limit at all)" if runs_as == 0 else ""),
                    f"stay within {limit}",
                )
