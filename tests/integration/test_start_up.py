"""Every pxc process starts from nothing, so what it imports is part of every plan and
apply: in a pipeline (output into a pipe, no terminal) they draw nothing and so load no
terminal renderer, and the MySQL connector runs without its C extension."""

from collections.abc import Callable
from pathlib import Path

from tests.test_validate_imports import modules_loaded

NOT_NEEDED = (
    "rich",  # draws only on a terminal
    "_mysql_connector",  # the connector's C extension: pxc uses the pure-Python protocol
    "mysql_mimic",
    "proxysql_iac.sandbox",
)
USERS = "mysql_users:\n  - {username: app1, password: pw1}\n  - {username: app2, password: pw2}\n"


def test_plan_and_apply_into_a_pipe_load_no_renderer_and_no_c_extension(
    write_spec: Callable[[str], Path],
) -> None:
    spec = str(write_spec(USERS))
    for args in (["plan", spec], ["apply", "--auto-approve", "--no-wait", spec], ["plan", spec]):
        code, loaded = modules_loaded(args, NOT_NEEDED)
        assert code == 0, args
        assert loaded == [], args
