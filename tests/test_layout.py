"""The package's boundaries (docs/architecture.md), checked by walking every module's imports:
validation stays offline, the sandbox stays an independent statement of ProxySQL's behaviour,
plans stay pure, and nothing imports the CLI."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "proxysql_iac"

# part of the package -> parts it must never import
FORBIDDEN = {
    "spec": {"admin", "plan", "apply", "sandbox", "rules", "cli"},
    "rules": {"admin", "plan", "apply", "sandbox", "cli"},
    "sandbox": {"spec", "rules", "plan", "apply", "admin", "cli", "planning", "status"},
    "admin": {"spec", "rules", "plan", "apply", "sandbox", "cli", "planning"},
    "plan": {"apply", "sandbox", "cli", "planning", "status"},
    "apply": {"sandbox", "cli"},
}
# what a part may import from a part it otherwise must not: admin/ builds node-side SQL from
# the table descriptions (facts about ProxySQL's tables, nothing of a user's spec)
ALLOWED = {"admin": ("proxysql_iac.spec.tables",)}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else relative.stem


def _imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _parts(names: set[str]) -> set[str]:
    return {n.split(".")[1] for n in names if n.startswith("proxysql_iac.") and n.count(".") >= 1}


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_the_boundaries(path: Path) -> None:
    part = _part(path)
    allowed = ALLOWED.get(part, ())
    names = {n for n in _imported_names(path) if not any(n.startswith(a) for a in allowed)}
    crossing = _parts(names) & FORBIDDEN.get(part, set())
    assert not crossing, f"{path.relative_to(PACKAGE)} ({part}/) imports {sorted(crossing)}"


def test_nothing_imports_the_cli() -> None:
    users = [p for p in MODULES if p.name != "cli.py" and "cli" in _parts(_imported_names(p))]
    assert users == []


# how each declared dependency is imported (distribution name -> top-level module)
MODULE_OF_DISTRIBUTION = {
    "pydantic": "pydantic",
    "jinja2": "jinja2",
    "mysql-connector-python": "mysql",
    "typer": "typer",
    "rich": "rich",
    "deepdiff": "deepdiff",
    "PyYAML": "yaml",
    "libconf": "libconf",
    "mysql-mimic": "mysql_mimic",
}


def test_every_declared_dependency_is_imported_by_the_package() -> None:
    """A dependency nothing imports is weight users install for nothing (and one the
    package imports without declaring it breaks on a fresh machine)."""
    import re
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] for d in project["project"]["dependencies"]
    }
    assert declared == set(MODULE_OF_DISTRIBUTION), "map each new dependency to its module"
    imported = {name.split(".")[0] for path in MODULES for name in _imported_names(path)}
    unused = {d for d, module in MODULE_OF_DISTRIBUTION.items() if module not in imported}
    assert unused == set()
