"""`pxc apply`: plan (or re-check a saved plan), confirm, execute, report."""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from proxysql_iac.apply import signals
from proxysql_iac.apply.executor import ApplyReport, execute, seal_unchanged, stale_reasons
from proxysql_iac.errors import ApplyError, ApplyRefused, ExitCode, PxcError
from proxysql_iac.plan.model import plan_id, plan_to_dict
from proxysql_iac.plan.render import render_text
from proxysql_iac.planning import PlanContext, make_plan, read_plan_file


def _is_plan_file(path: Path) -> bool:
    if path.suffix != ".json":
        return False
    try:
        return "format_version" in json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def load_context(files: Sequence[Path]) -> PlanContext:
    """Plan from the spec; for a saved plan, plan again and refuse if anything moved."""
    if len(files) == 1 and _is_plan_file(files[0]):
        raw, saved = read_plan_file(files[0])
        ctx = make_plan(saved.spec_files)
        reasons = stale_reasons(ctx, saved.fingerprints, saved.checksums)
        # What was reviewed is what runs: every change, value for value, and every step.
        now = json.loads(json.dumps(plan_to_dict(ctx.plan, for_file=True)))
        for part in ("changes", "steps"):
            if now[part] != raw.get(part):
                reasons.append(f"the {part} computed now differ from the saved plan's")
        if reasons:
            raise ApplyError(
                "the saved plan is stale: " + "; ".join(reasons),
                "run pxc plan again and review the new plan",
            )
        return ctx
    return make_plan(files)


def describe(report: ApplyReport) -> list[str]:
    lines = []
    for c in report.convergence:
        when = f"{c.seconds * 1000:.0f} ms" if c.seconds is not None else "NOT converged"
        lines.append(f"  peer {c.peer} {c.module}: {when}")
    return lines


def _sent(report: ApplyReport, verbose: bool) -> list[str]:
    """What `-v` lists, whether the apply ends, fails or is stopped: every write sent (never
    its values)."""
    return [f"  sent: {statement}" for statement in report.writes] if verbose else []


def outcome(report: ApplyReport) -> list[str]:
    """What went live and what did not, for a log cut short or an apply that stopped."""
    live = [m.describe() for m in report.modules]
    lines = ["Went live:" + ("" if live else " nothing")]
    lines += [f"  {line}" for line in live]
    lines.append("Did not go live:" + ("" if report.not_applied else " nothing"))
    lines += [f"  {name}" for name in report.not_applied]
    if report.unknown:
        lines.append("Unknown (LOAD sent, the node could not be asked whether it took):")
        lines += [f"  {name}" for name in report.unknown]
    if report.not_applied or report.unknown:
        lines.append(
            "Each module is wholly as before or wholly as the spec says (a servers module "
            "between its two steps holds the old servers and the new); `pxc plan` shows what "
            "is left, `pxc apply` finishes it."
        )
    return lines


def run_apply(
    files: Sequence[Path],
    *,
    auto_approve: bool,
    allow_destructive: bool,
    wait: bool,
    converge_timeout: float | None,
    interactive: bool,
    echo: Callable[[str], None],
    confirm: Callable[[str], bool],
    progress: Callable[[str], None] | None = None,
    verbose: bool = False,
    reviewed_id: str | None = None,
    all_rows: bool = False,
) -> int:
    """`pxc apply`. SIGINT, SIGTERM and SIGHUP alike stop it cleanly at any point: exit
    128 + the signal's number, with what went live and what did not."""
    with signals.handled():
        try:
            ctx = load_context(files)
            plan = ctx.plan
            echo(render_text(plan, allow_destructive=allow_destructive, all_rows=all_rows))
            current = plan_id(plan) if reviewed_id is not None else ""
            if reviewed_id is not None and reviewed_id.strip().lower() != current:
                raise ApplyRefused(
                    "apply refused: the plan changed since it was reviewed: re-plan "
                    f"(reviewed {reviewed_id.strip()}, now {current})"
                )
            if plan.blocked:
                raise ApplyRefused(
                    "apply refused: the cluster is not healthy (see the findings above)"
                )
            if not plan.has_changes:
                seal_unchanged(ctx)
                return ExitCode.OK
            if plan.destructive and not allow_destructive:
                raise ApplyRefused(
                    "apply refused: destructive changes need --allow-destructive",
                    "review the destructive changes above, then pass --allow-destructive",
                )
            if not auto_approve:
                if not interactive:
                    raise ApplyRefused(
                        "apply refused: no terminal to ask on; pass --auto-approve in pipelines"
                    )
                if not confirm("Apply these changes to the primary?"):
                    raise ApplyRefused("nothing applied: the changes were not confirmed")
            try:
                report = execute(ctx, echo, wait=wait, timeout=converge_timeout, progress=progress)
            except PxcError as exc:
                failed: ApplyReport | None = getattr(exc, "report", None)
                if failed is not None:
                    exc.message = "\n".join(
                        [exc.message, *_sent(failed, verbose), *outcome(failed)]
                    )
                raise
            for line in [*_sent(report, verbose), *describe(report)]:
                echo(line)
            problems = [p for m in report.modules for p in m.not_taken]
            if problems:
                # values ProxySQL did not take (PXC114), a LOAD's epoch unproven (PXC100)
                count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
                echo(f"apply finished with {count} (above)")
                return ExitCode.ERROR
            if report.lagging:
                echo(
                    f"applied on the primary, but {', '.join(report.lagging)} did not match it "
                    f"within {report.deadline_s:.1f}s: check that the peers poll the primary "
                    "(proxysql_servers, cluster credentials) and are not frozen"
                )
                return ExitCode.NOT_CONVERGED
            return ExitCode.OK
        except signals.Interrupted as exc:
            return _stopped(exc, echo, verbose)


def _stopped(exc: signals.Interrupted, echo: Callable[[str], None], verbose: bool) -> int:
    report: ApplyReport | None = getattr(exc, "report", None)
    echo(f"apply interrupted by {exc.name}")
    if report is None:
        echo("nothing was written")
    else:
        echo("\n".join([*_sent(report, verbose), *outcome(report)]))
        if not report.not_applied and not report.unknown:
            echo(
                "every step went live on the primary; the peers were not waited for "
                "(`pxc status` shows whether they have caught up)"
            )
    return exc.exit_code
