"""Write docs/performance.md from the JSON of benchmarks/real_server.py.

    .venv/bin/python benchmarks/report.py /tmp/bench.json

Everything above the line `<!-- written by hand below -->` is generated: the figures exactly
as measured (nothing is typed in by hand) and a digest of the benchmark's definitions, so a
test fails when the benchmark changes and the figures are not taken again. What is below the
line (where the time goes, what was tried) is kept as it is.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
SOURCES = (
    "benchmarks/real_server.py",
    "benchmarks/report.py",
    "benchmarks/ansible/setup.sh",
    "benchmarks/ansible/ansible.cfg",
    "benchmarks/ansible/inventory.ini",
    "benchmarks/ansible/users.yml",
)
MARK = "<!-- written by hand below -->"

# The targets, by the start of the benchmark's "work" text.
TARGETS = {
    "apply 10,000 users + 1,000 rules into an empty node (--no-wait)": "≤ 1.0 s, within 8x",
    "plan, no changes, 10,000 users + 1,000 rules": "≤ 0.5 s",
    "plan, no changes, 2,000 servers": "≤ 1.5 s, ≤ 400 MB",
    "status, no changes, 2,000 servers": "≤ 1.5 s, ≤ 400 MB",
    "apply 2,000 servers + 50,000 users + 10,000 rules into an empty node (--no-wait)": "within 8x",
    "validate (offline), 2,000 servers": "≤ 1.5 s",
    "apply 50 users into an empty node (--no-wait), beside the Ansible": "≥ 50x faster",
}


def digest() -> str:
    """The benchmark's definitions: what is measured, and how it is written down."""
    h = hashlib.sha256()
    for name in SOURCES:
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()[:16]


def target(work: str) -> str:
    return next((t for prefix, t in TARGETS.items() if work.startswith(prefix)), "")


def render(data: dict[str, object], hand_written: str) -> str:
    results: list[dict[str, object]] = data["results"]  # type: ignore[assignment]
    out = [
        "# Performance",
        "",
        f"<!-- benchmark definitions: {digest()} (benchmarks/report.py writes this part) -->",
        "",
        f"Measured on {data['date']} by `benchmarks/real_server.py` against a real ProxySQL pair "
        f"({data['server']}, loopback) on the project's machine ({data['machine']}). Every "
        "figure is the wall clock of a whole `pxc` process, started as a user starts it, and "
        f"the floor beside it is the same rows sent by the {data['floor']} as multi-row "
        "INSERTs (250 rows each) with LOAD and SAVE, into the same empty node, in the same run. "
        "Medians; peak RSS is the process's own. No test asserts a timing.",
        "",
    ]
    if "load_average" in data:
        load: list[float] = data["load_average"]  # type: ignore[assignment]
        start, end = load
        out += [
            f"The machine is shared: its 1-minute load average was {start:.1f} when the run "
            f"started and {end:.1f} when it ended. Compare a figure with its floor or peer "
            "from the same run rather than with another run's.",
            "",
        ]
    peers = sorted({str(r["peer"]) for r in results if "peer" in r})
    if peers:
        out += [
            f"The peer beside the 50-user apply is {', '.join(peers)}: the same users applied "
            "by `ansible-playbook` (benchmarks/ansible/users.yml) into the same empty node, "
            "in the same run; its ratio is how many times faster pxc is.",
            "",
        ]
    if data.get("peer_skipped"):
        out += [f"The Ansible peer was not measured: {data['peer_skipped']}.", ""]
    out += [
        "| work | pxc | floor or peer | ratio | peak RSS | target |",
        "|---|---|---|---|---|---|",
    ]
    by_work = {str(r["work"]): r for r in results}
    for r in results:
        floor, ratio = "—", "—"
        if "floor_seconds" in r:
            floor, ratio = f"{r['floor_seconds']:.2f} s", f"{r['ratio']:.1f}x the floor"
        if "peer_seconds" in r:
            floor, ratio = f"{r['peer_seconds']:.2f} s (peer)", f"pxc {r['speedup']:.1f}x faster"
        out.append(
            f"| {r['work']} | {r['seconds']:.2f} s | {floor} | {ratio} | "
            f"{r['rss_mb']:.0f} MB | {target(str(r['work']))} |"
        )
    small = by_work.get("apply 10,000 users + 1,000 rules into an empty node (--no-wait)")
    double = by_work.get("apply 20,000 users + 2,000 rules into an empty node (--no-wait)")
    if small and double:
        growth = float(double["seconds"]) / float(small["seconds"])  # type: ignore[arg-type]
        out += [
            "",
            f"Growth: apply of 20,000 users + 2,000 rules costs {growth:.2f}x the 10,000-user "
            "apply (target: at most 2.5x).",
        ]
    out += [
        "",
        "Run it again (ten minutes or more on a loaded machine; the Ansible peer takes one or "
        "two of them, after `bash benchmarks/ansible/setup.sh`) and rewrite this part:",
        "",
        "```sh",
        "PXC_PROXYSQL_BIN=/path/to/proxysql .venv/bin/python benchmarks/real_server.py "
        "--json /tmp/bench.json",
        ".venv/bin/python benchmarks/report.py /tmp/bench.json",
        "```",
        "",
        MARK,
    ]
    return "\n".join(out) + hand_written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Rewrite the generated part of docs/performance.md (above the line "
        f"{MARK!r}) from the JSON of benchmarks/real_server.py; the part below is kept."
    )
    parser.add_argument("json", type=Path, help="the --json file of benchmarks/real_server.py")
    data = json.loads(parser.parse_args(argv).json.read_text())
    current = DOC.read_text() if DOC.exists() else ""
    hand_written = current.split(MARK, 1)[1] if MARK in current else "\n"
    DOC.write_text(render(data, hand_written))
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
