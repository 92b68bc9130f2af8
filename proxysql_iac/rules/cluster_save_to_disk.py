"""PXC108: a `cluster_<module>_save_to_disk` of false loses pulled config on restart."""

import re
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule

SAVE = re.compile(r"^admin-cluster_(\w+)_save_to_disk$")


@rule("PXC108", "sync-not-saved", Severity.WARNING)
def sync_not_saved(ctx: RuleContext) -> Iterator[Issue]:
    """A `cluster_<module>_save_to_disk` of false.

    Peers apply the config they pull at runtime but do not save it to disk: a peer that
    restarts comes back with whatever its disk held before, not with the cluster's config.

    Bad::

        admin_variables:
          cluster_mysql_users_save_to_disk: false

    Good::

        admin_variables:
          cluster_mysql_users_save_to_disk: true
    """
    for name, variable in sorted(ctx.desired.variables.items()):
        match = SAVE.match(name)
        if match is None:
            continue
        value = variable.value
        if value is False or (isinstance(value, str) and value.lower() == "false"):
            module = match.group(1)
            yield Issue(
                variable.origin,
                f"cluster_{module}_save_to_disk = false: peers apply pulled {module} at runtime "
                "and lose it on restart",
                "leave it true (the default)",
            )
