"""The pxc sandbox: an emulator of the ProxySQL admin interface and Cluster, as 2.7.1 (the
default) or 3.0.1 (`version="3.0"`: the PostgreSQL tables, variables and modules too) has them.

It speaks the MySQL protocol (mysql_native_password, users admin/admin and radmin/radmin),
keeps ProxySQL's memory / disk / runtime layers in SQLite, implements the LOAD/SAVE grammar and
the Cluster's checksum-and-pull protocol, and runs N nodes in one process. It proxies no
traffic and runs no Monitor against real backends. See docs/sandbox.md.

This package imports nothing from the rest of proxysql_iac.
"""

from .node import AdminError, Crash, Result, SandboxNode
from .sandbox import NodeHandle, Sandbox

__all__ = ["AdminError", "Crash", "NodeHandle", "Result", "Sandbox", "SandboxNode"]
