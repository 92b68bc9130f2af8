"""Statements per second through the sandbox with mysql-connector-python (pure mode).

Run: python benchmarks/sandbox_throughput.py
"""

import time

import mysql.connector

from proxysql_iac.sandbox import Sandbox


def main() -> None:
    with Sandbox(nodes=1, cluster=False) as sb:
        cx = mysql.connector.connect(
            host="127.0.0.1",
            port=sb.ports[0],
            user="admin",
            password="admin",
            use_pure=True,
            autocommit=True,
        )
        cur = cx.cursor()
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            cur.execute(f"INSERT INTO mysql_servers (hostgroup_id, hostname) VALUES (1, 'h{i}')")
        dt = time.perf_counter() - t0
        print(f"single-row INSERT: {n / dt:,.0f} statements/s ({n / dt:,.0f} rows/s)")

        batches = 40
        t0 = time.perf_counter()
        for b in range(batches):
            values = ",".join(f"(2, 'b{b}-{i}')" for i in range(500))
            cur.execute(f"INSERT INTO mysql_servers (hostgroup_id, hostname) VALUES {values}")
        dt = time.perf_counter() - t0
        print(
            f"500-row INSERT: {batches / dt:,.1f} statements/s ({batches * 500 / dt:,.0f} rows/s)"
        )

        for b in range(20):
            values = ",".join(f"('user{b}_{i}', 'pw')" for i in range(500))
            cur.execute(f"INSERT INTO mysql_users (username, password) VALUES {values}")
        loads = 5
        t0 = time.perf_counter()
        for _ in range(loads):
            cur.execute("LOAD MYSQL USERS TO RUNTIME")
        dt = time.perf_counter() - t0
        print(
            f"LOAD MYSQL USERS TO RUNTIME (10,000 users): {loads / dt:,.1f} statements/s "
            f"({dt / loads * 1000:,.0f} ms each)"
        )
        cur.execute("SELECT COUNT(*) FROM runtime_mysql_users")
        print("runtime_mysql_users rows:", cur.fetchall()[0][0])
        cx.close()


if __name__ == "__main__":
    main()
