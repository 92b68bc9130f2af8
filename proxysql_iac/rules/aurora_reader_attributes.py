"""PXC124: `writer_is_also_reader` is ignored on first discovery if the reader hostgroup is new."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import (
    AURORA,
    MYSQL,
    attributes_by_hostgroup,
    hostgroup_label,
)


@rule("PXC124", "aurora-reader-hostgroup-missing", Severity.WARNING)
def aurora_reader_hostgroup_missing(ctx: RuleContext) -> Iterator[Issue]:
    """Aurora `writer_is_also_reader: 1` without attributes for the reader hostgroup.

    ProxySQL 2.7.1 skips adding the writer to the readers on first discovery when the reader
    hostgroup does not exist yet; it fixes itself only after a later LOAD or a failover.
    Declaring the reader hostgroup's attributes makes it exist.

    Bad::

        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 200, reader_hostgroup: 201, domain_name: .x.rds.amazonaws.com,
             writer_is_also_reader: 1}

    Good::

        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 200, reader_hostgroup: 201, domain_name: .x.rds.amazonaws.com,
             writer_is_also_reader: 1}
        mysql_hostgroup_attributes:
          - {hostgroup_id: 201}
    """
    attributes = attributes_by_hostgroup(ctx.desired, MYSQL)
    for row in ctx.desired.rows(AURORA):
        reader = row.values["reader_hostgroup"]
        if row.values["writer_is_also_reader"] != 1 or not isinstance(reader, int):
            continue
        if reader not in attributes:
            yield Issue(
                (*row.origin, "writer_is_also_reader"),
                f"writer_is_also_reader: 1, but reader hostgroup "
                f"{hostgroup_label(ctx.desired, reader)} has no mysql_hostgroup_attributes row: "
                "ProxySQL 2.7.1 does not add the writer to the readers on first discovery",
                f"add `- {{hostgroup_id: {reader}}}` to mysql_hostgroup_attributes",
            )
