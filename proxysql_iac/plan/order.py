"""Order a ChangeSet into steps: DML per table in batches, then one LOAD per touched module.

Phases keep runtime from routing to a hostgroup that does not exist yet or any more:
variables; servers-module additions and changes; users; query rules; servers-module removals
(when that is all the module does); proxysql_servers; then the modules Cluster does not sync,
which are applied to every node.
"""

from dataclasses import dataclass, field

from proxysql_iac.plan.diff import TABLE_MODULE, ChangeSet, RowChange
from proxysql_iac.spec.tables import MODULES, TABLES

BATCH_ROWS = 250

UNSYNCED = tuple(m.keyword for m in MODULES if not m.synced)


@dataclass(frozen=True)
class Batch:
    table: str
    action: str  # add | remove | change
    changes: tuple[int, ...]  # indexes into ChangeSet.rows (or .variables for "variables")


@dataclass
class ModuleStep:
    module: str
    phase: str
    every_node: bool  # unsynced modules go to every node; the rest to the primary only
    batches: list[Batch] = field(default_factory=list)
    variables: tuple[int, ...] = ()
    load: bool = True
    save: bool = True
    reason: str = ""  # why a step without DML is there (an unloaded or unsaved module, a heal)

    @property
    def statements(self) -> int:
        """DML statements this step sends (LOAD and SAVE not counted)."""
        return len(self.batches) + len(self.variables)


def phase_of(module: str, changes: list[RowChange]) -> str:
    """The phase a module's LOAD belongs to. A servers step that only removes servers loads
    after users and query rules have moved off them; any other servers step (additions,
    changes, or a LOAD with no DML) loads before users and rules that may point at them."""
    if module in ("MYSQL VARIABLES", "ADMIN VARIABLES"):
        return "1 variables"
    if module == "MYSQL SERVERS":
        removing = bool(changes) and all(c.action == "remove" for c in changes)
        return "5 servers removals" if removing else "2 servers"
    return {
        "MYSQL USERS": "3 users",
        "MYSQL QUERY RULES": "4 query rules",
        "PROXYSQL SERVERS": "6 proxysql servers",
    }.get(module, "7 unsynced")


def _batches(items: list[tuple[int, RowChange]], batch_rows: int) -> list[Batch]:
    """Removals first (frees primary and unique keys), then changes, then additions; within
    each, tables in their description order."""
    batches = []
    for action in ("remove", "change", "add"):
        for table in TABLES:
            picked = [i for i, c in items if c.table == table.name and c.action == action]
            if action == "change":
                batches += [Batch(table.name, action, (i,)) for i in picked]  # one UPDATE each
                continue
            for start in range(0, len(picked), batch_rows):
                batches.append(Batch(table.name, action, tuple(picked[start : start + batch_rows])))
    return batches


def order(changes: ChangeSet, batch_rows: int = BATCH_ROWS) -> list[ModuleStep]:
    steps: list[ModuleStep] = []
    by_module: dict[str, list[tuple[int, RowChange]]] = {}
    for index, change in enumerate(changes.rows):
        by_module.setdefault(TABLE_MODULE[change.table], []).append((index, change))
    servers = by_module.get("MYSQL SERVERS", [])
    later = [(i, c) for i, c in servers if c.table == "mysql_servers" and c.action == "remove"]
    if later and len(later) < len(servers):
        # Servers module with additions and removals: two LOADs, so that runtime has the
        # new servers before users and rules move to them, and keeps the old ones until
        # users and rules have left them.
        by_module["MYSQL SERVERS"] = [(i, c) for i, c in servers if (i, c) not in later]
        steps.append(
            ModuleStep("MYSQL SERVERS", "5 servers removals", False, _batches(later, batch_rows))
        )
    for module, items in by_module.items():
        phase = phase_of(module, [c for _, c in items])
        steps.append(ModuleStep(module, phase, module in UNSYNCED, _batches(items, batch_rows)))
    variable_steps: dict[str, ModuleStep] = {}
    for index, variable in enumerate(changes.variables):
        step = variable_steps.setdefault(
            variable.module, ModuleStep(variable.module, "1 variables", False)
        )
        step.variables = (*step.variables, index)
    return sort_steps([*steps, *variable_steps.values()])


def sort_steps(steps: list[ModuleStep]) -> list[ModuleStep]:
    return sorted(steps, key=lambda s: (s.phase, s.module))
