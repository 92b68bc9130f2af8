"""Order a ChangeSet into steps: DML per table in batches, then one LOAD per touched module.

Phases keep runtime from routing to a hostgroup that does not exist yet or any more
(by each module's `Role`, MySQL and PostgreSQL alike): variables; servers-module additions
and changes; users; query rules; servers-module removals (when that is all the module does);
proxysql_servers; then the rest (scheduler, firewall, REST API).

Modules ProxySQL Cluster does not sync on this cluster go to every node (`every_node`).
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import NamedTuple

from proxysql_iac.plan.diff import TABLE_MODULE, ChangeSet, RowChange
from proxysql_iac.spec.tables import MODULE_BY_KEYWORD, TABLE_BY_NAME, TABLES, Role

BATCH_ROWS = 250

PHASES: dict[Role, str] = {
    Role.VARIABLES: "1 variables",
    Role.SERVERS: "2 servers",
    Role.USERS: "3 users",
    Role.QUERY_RULES: "4 query rules",
    Role.PROXYSQL_SERVERS: "6 proxysql servers",
    Role.OTHER: "7 other",
}
SERVERS_REMOVALS = "5 servers removals"


class Batch(NamedTuple):
    table: str
    action: str  # add | remove | change
    changes: tuple[int, ...]  # indexes into ChangeSet.rows (or .variables for "variables")


@dataclass
class ModuleStep:
    module: str
    phase: str
    every_node: bool  # modules Cluster does not sync go to every node; the rest to the primary
    batches: list[Batch] = field(default_factory=list)
    variables: tuple[int, ...] = ()
    load: bool = True
    save: bool = True
    reason: str = ""  # why a step without DML is there (an unloaded or unsaved module, a heal)

    @property
    def name(self) -> str:
        """The step as apply reports it: a servers module that loads twice (changes first,
        removals after users and rules) is two steps, and says which one."""
        return self.module + (" (removals)" if self.phase == SERVERS_REMOVALS else "")

    @property
    def title(self) -> str:
        """`name`, and whether the step goes to every node."""
        return self.name + (" (every node)" if self.every_node else "")

    @property
    def statements(self) -> int:
        """DML statements this step sends (LOAD and SAVE not counted)."""
        return len(self.batches) + len(self.variables)


def phase_of(module: str, changes: list[RowChange]) -> str:
    """The phase a module's LOAD belongs to. A servers step that only removes servers loads
    after users and query rules have moved off them; any other servers step (additions,
    changes, or a LOAD with no DML) loads before users and rules that may point at them."""
    role = MODULE_BY_KEYWORD[module].role
    if role is Role.SERVERS and changes and all(c.action == "remove" for c in changes):
        return SERVERS_REMOVALS
    return PHASES[role]


def _server_removals(items: list[tuple[int, RowChange]]) -> list[tuple[int, RowChange]]:
    """The removals of backend servers (rows of a table the Monitor watches)."""
    return [
        (i, c) for i, c in items if c.action == "remove" and TABLE_BY_NAME[c.table].monitor_topology
    ]


def _batches(items: list[tuple[int, RowChange]], batch_rows: int) -> list[Batch]:
    """Removals first (frees primary and unique keys), then changes, then additions; within
    each, tables in their description order."""
    by_kind: dict[tuple[str, str], list[int]] = {}
    for i, c in items:
        by_kind.setdefault((c.table, c.action), []).append(i)
    batches = []
    for action in ("remove", "change", "add"):
        for table in TABLES:
            picked = by_kind.get((table.name, action), [])
            if action == "change":
                batches += [Batch(table.name, action, (i,)) for i in picked]  # one UPDATE each
                continue
            for start in range(0, len(picked), batch_rows):
                batches.append(Batch(table.name, action, tuple(picked[start : start + batch_rows])))
    return batches


def order(
    changes: ChangeSet, every_node: Collection[str] = (), batch_rows: int = BATCH_ROWS
) -> list[ModuleStep]:
    """`every_node`: the modules Cluster does not sync here (apply writes each node)."""
    steps: list[ModuleStep] = []
    by_module: dict[str, list[tuple[int, RowChange]]] = {}
    for index, change in enumerate(changes.rows):
        by_module.setdefault(TABLE_MODULE[change.table], []).append((index, change))
    for module, items in by_module.items():
        later = _server_removals(items) if MODULE_BY_KEYWORD[module].role is Role.SERVERS else []
        if later and len(later) < len(items):
            # Servers module with additions and removals: two LOADs, so that runtime has the
            # new servers before users and rules move to them, and keeps the old ones until
            # users and rules have left them.
            moved = {i for i, _ in later}
            items = [(i, c) for i, c in items if i not in moved]
            removals = _batches(later, batch_rows)
            steps.append(ModuleStep(module, SERVERS_REMOVALS, module in every_node, removals))
        phase = phase_of(module, [c for _, c in items])
        steps.append(ModuleStep(module, phase, module in every_node, _batches(items, batch_rows)))
    variable_steps: dict[str, ModuleStep] = {}
    for index, variable in enumerate(changes.variables):
        step = variable_steps.setdefault(
            variable.module,
            ModuleStep(variable.module, PHASES[Role.VARIABLES], variable.module in every_node),
        )
        step.variables = (*step.variables, index)
    return sort_steps([*steps, *variable_steps.values()])


def sort_steps(steps: list[ModuleStep]) -> list[ModuleStep]:
    return sorted(steps, key=lambda s: (s.phase, s.module))
