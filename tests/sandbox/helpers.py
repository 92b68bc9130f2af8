"""Small client helpers for sandbox tests (mysql-connector-python, pure mode)."""

import time
from collections.abc import Callable
from typing import Any

import mysql.connector


def connect(port: int, user: str = "radmin", password: str = "radmin") -> Any:
    return mysql.connector.connect(
        host="127.0.0.1",
        port=port,
        user=user,
        password=password,
        use_pure=True,
        autocommit=True,
        connection_timeout=5,
    )


def q(port: int, sql: str, user: str = "radmin", password: str = "radmin") -> Any:
    """Run one statement; rows for a result set, else the affected-row count."""
    cx = connect(port, user, password)
    try:
        cur = cx.cursor()
        cur.execute(sql)
        if cur.description:
            return [list(r) for r in cur.fetchall()]
        return cur.rowcount
    finally:
        cx.close()


def wait_for(cond: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> float:
    """Poll until cond() is true; returns the seconds it took (raises on timeout)."""
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("condition not reached")
        time.sleep(step)
    return time.monotonic() - t0
