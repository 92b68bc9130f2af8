"""The `pxc` command line: parse arguments, call the core, render, return an exit code.

argv, the terminal, colours and exit codes live here and nowhere else.
"""

import io
import json
import os
import sys
import termios
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

# typer vendors click; its exception base and context are reached through private modules,
# so typer is pinned exactly in pyproject.toml.
from typer._click.core import Context
from typer._click.exceptions import ClickException
from typer.core import TyperCommand, TyperOption

from proxysql_iac.admin.tls import TlsMode
from proxysql_iac.errors import ExitCode, PxcError
from proxysql_iac.findings import render_github, render_json, render_text

if TYPE_CHECKING:  # rich is imported only to draw on a terminal (or to print an error)
    from rich.console import Console
    from rich.live import Live
    from rich.spinner import Spinner


class _Command(TyperCommand):
    """`--help` lists a flag without a `<bool>` type beside it: a switch takes no value."""

    def get_params(self, ctx: Context) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag:
                param.metavar = ""
        return params


app = typer.Typer(
    name="pxc",
    help="ProxySQL configuration as code: validate, plan and apply a declarative spec.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(
    help="A local ProxySQL (2.7 or 3.0) admin-interface cluster for trying pxc."
)
app.add_typer(sandbox_app, name="sandbox")


class FindingFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class DataFormat(StrEnum):
    text = "text"
    json = "json"


SpecFiles = Annotated[
    list[Path], typer.Argument(help="spec files, merged in order", show_default=False)
]

# The controlling terminal: apply asks there (and export reads a password there) even when
# stdin or stdout is a pipe (`pxc apply spec.yaml | tee log`).
TERMINAL = "/dev/tty"


@contextmanager
def _terminal() -> Iterator[TextIO | None]:
    try:
        fd = os.open(TERMINAL, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        yield None
        return
    with io.TextIOWrapper(io.FileIO(fd, "r+"), encoding="utf-8", write_through=True) as tty:
        yield tty


def _has_terminal() -> bool:
    with _terminal() as tty:
        return tty is not None


def _ask(question: str, *, secret: bool = False) -> str:
    """Ask on the controlling terminal; a secret answer is not echoed."""
    with _terminal() as tty:
        if tty is None:
            raise PxcError("no terminal to ask on")
        tty.write(question)
        tty.flush()
        if not secret:
            return tty.readline().rstrip("\r\n")
        fd = tty.fileno()
        old = termios.tcgetattr(fd)
        quiet = [*old[:3], old[3] & ~termios.ECHO, *old[4:]]
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            return tty.readline().rstrip("\r\n")
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, old)
            tty.write("\n")


def _confirm(question: str) -> bool:
    return _ask(f"{question} [y/N]: ").strip().lower() in ("y", "yes")


def _write_file(path: Path, text: str, *, private: bool) -> None:
    """Write a file; one holding revealed secrets is created or reset to mode 0600 first."""
    try:
        if private:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PxcError(f"cannot write {path}: {exc.strerror}") from None


_PLAN_STYLES = {"+": "green", "-": "red", "~": "yellow", "!": "bold red"}


def _may_be_terminal(stream: TextIO) -> bool:
    """False when rich would certainly not call `stream` a terminal (it takes TTY_COMPATIBLE
    and FORCE_COLOR over isatty): plain output to a pipe or a file then never imports rich."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False


def _echo_plan(text: str, *, colour: bool) -> None:
    """Plan text as is, coloured by row sign (+ add, - destroy, ~ change) on a terminal."""
    console = _out() if colour and _may_be_terminal(sys.stdout) else None
    if console is None or not console.is_terminal:
        typer.echo(text)
        return
    from rich.text import Text

    for line in text.splitlines():
        stripped = line.lstrip()
        style = _PLAN_STYLES.get(stripped[:1], "")
        if stripped.startswith(("error ", "warning ")):
            style = "red" if stripped.startswith("error") else "yellow"
        console.print(Text(line, style=style))


# Consoles never read markup: what they print comes from specs, nodes and files, where
# `[cluster.admin.user]` or `[/]` is text. Styles are given as `Text` styles.
def _out() -> "Console":
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True, markup=False)
    if not console.is_terminal:  # a pipe or a file: no wrapping at 80 columns
        console = Console(highlight=False, soft_wrap=True, markup=False, width=1_000_000)
    return console


def _err() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


@app.command(cls=_Command)
def validate(
    files: SpecFiles,
    format: Annotated[FindingFormat, typer.Option("--format", "-f")] = FindingFormat.text,
    each: Annotated[
        bool, typer.Option("--each", help="validate each file on its own instead of merging")
    ] = False,
) -> None:
    """Check spec files offline: every ProxySQL constraint and field rule. Exit 1 on errors."""
    from proxysql_iac.validate import validate_each, validate_files

    result = validate_each(files) if each else validate_files(files)
    findings = result.findings
    if format is FindingFormat.json:
        payload = json.loads(render_json(findings))
        payload["ok"] = result.ok
        typer.echo(json.dumps(payload, indent=2))
    elif format is FindingFormat.github:
        if findings:
            typer.echo(render_github(findings))
    else:
        if findings:
            typer.echo(render_text(findings) + "\n")  # a blank line before the verdict
        errors = sum(1 for f in findings if f.severity.value == "error")
        warnings = sum(1 for f in findings if f.severity.value == "warning")
        verdict = "invalid" if errors else "valid"
        typer.echo(
            f"{', '.join(map(str, files))}: {verdict} ({_count(errors, 'error')}, "
            f"{_count(warnings, 'warning')})",
            err=True,
        )
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.ERROR)


@app.command(cls=_Command)
def schema() -> None:
    """Print the JSON Schema of the spec (point your editor's YAML language server at it)."""
    from proxysql_iac.spec.models import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command("compile", cls=_Command)
def compile_(
    files: SpecFiles,
    format: Annotated[DataFormat, typer.Option("--format", "-f")] = DataFormat.text,
) -> None:
    """Print the desired rows per table after defaults and names are resolved."""
    from proxysql_iac.output import render_compile_json, render_compile_text
    from proxysql_iac.validate import validate_files

    result = validate_files(files)
    if not result.ok:
        typer.echo(render_text(result.findings), err=True)
        raise typer.Exit(ExitCode.ERROR)
    if format is DataFormat.json:
        typer.echo(render_compile_json(result.desired))
    else:
        render_compile_text(result.desired, _out())


ALL_ROWS_HELP = "list every changed row (the text plan lists 100 a table, then a count)"


class PlanFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command(cls=_Command)
def plan(
    files: SpecFiles,
    node: Annotated[
        str | None, typer.Option(help="the node to plan for (must be the primary)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write a plan file for apply")] = None,
    format: Annotated[PlanFormat, typer.Option("--format", "-f")] = PlanFormat.text,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="exit 2 when there are changes")
    ] = False,
    all_rows: Annotated[bool, typer.Option("--all-rows", help=ALL_ROWS_HELP)] = False,
) -> None:
    """Show what apply would change on the primary, and the cluster's health."""
    from proxysql_iac.plan.model import plan_to_dict
    from proxysql_iac.plan.render import render_json, render_markdown
    from proxysql_iac.plan.render import render_text as render_plan_text
    from proxysql_iac.planning import make_plan

    ctx = make_plan(files, node=node)
    if format is PlanFormat.text:
        rendered = render_plan_text(ctx.plan, all_rows=all_rows)
    else:
        rendered = {PlanFormat.markdown: render_markdown, PlanFormat.json: render_json}[format](
            ctx.plan
        )
    _echo_plan(rendered, colour=format is PlanFormat.text)
    if out is not None:
        text = json.dumps(plan_to_dict(ctx.plan, for_file=True), indent=2, ensure_ascii=False)
        _write_file(out, text + "\n", private=False)
    if ctx.plan.blocked:
        raise typer.Exit(ExitCode.ERROR)
    if detailed_exitcode and ctx.plan.has_changes:
        raise typer.Exit(ExitCode.CHANGES)


@app.command(cls=_Command)
def apply(
    files: SpecFiles,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="do not ask")] = False,
    allow_destructive: Annotated[
        bool, typer.Option("--allow-destructive", help="allow deleting users, emptying hostgroups")
    ] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="do not wait for the peers")] = False,
    converge_timeout: Annotated[
        float | None, typer.Option("--converge-timeout", help="seconds to wait for the peers")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="list every statement sent (no values)")
    ] = False,
    plan_id: Annotated[
        str | None,
        typer.Option("--plan-id", help="refuse unless the plan computed now has this ID"),
    ] = None,
    all_rows: Annotated[bool, typer.Option("--all-rows", help=ALL_ROWS_HELP)] = False,
) -> None:
    """Apply the spec (or a saved plan file) to the primary and wait for every peer."""
    from proxysql_iac.apply.run import run_apply

    console = _err() if _may_be_terminal(sys.stderr) else None
    shown: list[tuple[Live, Spinner]] = []  # while nothing else is printed, after any prompt

    def progress(text: str) -> None:
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        if shown:
            shown[0][1].update(text=Text(text))
            return
        spinner = Spinner("dots", Text(text), style="green")
        live = Live(spinner, console=console, transient=True, refresh_per_second=12.5)
        live.start(refresh=True)  # drawn at once, even for a step shorter than a frame
        shown.append((live, spinner))

    def echo(text: str) -> None:
        stop_spinner()  # a report line never shares the spinner's line
        typer.echo(text)

    def stop_spinner() -> None:
        while shown:
            shown.pop()[0].stop()

    try:
        code = run_apply(
            files,
            auto_approve=auto_approve,
            allow_destructive=allow_destructive,
            wait=not no_wait,
            converge_timeout=converge_timeout,
            interactive=auto_approve or _has_terminal(),
            echo=echo,
            confirm=_confirm,
            progress=progress if console is not None and console.is_terminal else None,
            verbose=verbose,
            reviewed_id=plan_id,
            all_rows=all_rows,
        )
    finally:
        stop_spinner()
    raise typer.Exit(code)


@app.command(cls=_Command)
def comment(
    plan_file: Annotated[Path, typer.Argument(help="a plan file (pxc plan --out)")],
    print_only: Annotated[
        bool, typer.Option("--print", help="print the comment instead of posting it")
    ] = False,
) -> None:
    """Put a saved plan on the pull request (GitHub) or merge request (GitLab) under review:
    one comment per cluster, updated in place on every later run."""
    from proxysql_iac.review import post_plan, preview

    if print_only:
        typer.echo(preview(plan_file, os.environ), nl=False)
        return
    posted = post_plan(plan_file, os.environ)
    verb = "created" if posted.created else "updated"
    where = f"{posted.noun} {posted.sign}{posted.number}"
    typer.echo(f"{verb} the pxc comment on {where}" + (f": {posted.url}" if posted.url else ""))


@app.command(cls=_Command)
def reviewed(
    files: SpecFiles,
    label: Annotated[
        str, typer.Option(help="the label that allows destructive changes")
    ] = "pxc:allow-destructive",
    commit: Annotated[
        str | None, typer.Option(help="the merge commit (default: GITHUB_SHA or CI_COMMIT_SHA)")
    ] = None,
) -> None:
    """For the apply job: find the merged pull/merge request of this commit and the plan ID
    its pxc comment shows. Prints plan-id=, pull-request= and allow-destructive= lines."""
    from proxysql_iac.review import reviewed_plan

    found = reviewed_plan(files, os.environ, label=label, commit=commit)
    for line in found.outputs():
        typer.echo(line)
    _err().print(
        f"{found.noun} {found.sign}{found.number} was reviewed with plan {found.plan_id} for "
        f"cluster {found.cluster}; label {label}: "
        + ("present" if found.destructive_allowed else "absent")
    )


@sandbox_app.command("up", cls=_Command)
def sandbox_up(
    nodes: Annotated[int, typer.Option(help="how many ProxySQL nodes")] = 3,
    port: Annotated[
        int, typer.Option(help="admin port of node 1; node k listens on port+k-1")
    ] = 6032,
    config: Annotated[Path | None, typer.Option(help="boot from a proxysql.cnf")] = None,
    detach: Annotated[bool, typer.Option(help="run in the background")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="persist each node's disk here")] = None,
    version: Annotated[
        str, typer.Option(help="ProxySQL version to speak: 2.7 (2.7.1) or 3.0 (3.0.1)")
    ] = "2.7",
) -> None:
    """Start a local ProxySQL admin-interface cluster (no traffic is proxied)."""
    from proxysql_iac.sandbox.launcher import main_up

    raise typer.Exit(
        main_up(
            nodes,
            port,
            str(config) if config else None,
            detach,
            str(data_dir) if data_dir else None,
            version,
        )
    )


@sandbox_app.command("down", cls=_Command)
def sandbox_down() -> None:
    """Stop a sandbox started with --detach."""
    from proxysql_iac.sandbox.launcher import main_down

    raise typer.Exit(main_down())


@app.command("export", cls=_Command)
def export_(
    host: Annotated[str | None, typer.Option(help="admin address of the node to read")] = None,
    port: Annotated[int, typer.Option(help="admin port of the node")] = 6032,
    user: Annotated[str, typer.Option(help="admin user (password: $PXC_ADMIN_PASSWORD)")] = (
        "radmin"
    ),
    spec: Annotated[
        list[Path] | None,
        typer.Option("--spec", help="read the node from this spec's `cluster:` block instead"),
    ] = None,
    node: Annotated[
        str | None, typer.Option(help="with --spec: the node to read (default: the primary)")
    ] = None,
    tables: Annotated[
        str | None,
        typer.Option(
            help="comma-separated sections to export (default: every table and "
            "mysql_variables, admin_variables, pgsql_variables on 3.x)"
        ),
    ] = None,
    keep_hashes: Annotated[
        bool,
        typer.Option("--keep-hashes", help="write user passwords as hashes, not env references"),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the spec here (default: stdout)")
    ] = None,
    tls_mode: Annotated[
        TlsMode | None,
        typer.Option(
            "--tls-mode",
            help="with --host: admin TLS mode (default preferred; verify_ca with --tls-ca)",
        ),
    ] = None,
    tls_ca: Annotated[
        Path | None, typer.Option("--tls-ca", help="with --host: the CA of the node's certificate")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="with --host: a client certificate")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="with --host: the client certificate's key")
    ] = None,
    tls_server_name: Annotated[
        str | None,
        typer.Option("--tls-server-name", help="with --host: the name verify_identity checks"),
    ] = None,
) -> None:
    """Write a spec from a running node's memory tables and variables (plan shows no changes).

    The exported `cluster.admin.tls` holds the --tls options pxc connected with."""
    from proxysql_iac.export import ADMIN_PASSWORD_ENV, describe, run_export, tls_options

    password = None
    if not spec:
        password = os.environ.get(ADMIN_PASSWORD_ENV)
        if password is None and host is not None:
            if not _has_terminal():
                raise PxcError(
                    f"no admin password: {ADMIN_PASSWORD_ENV} is not set and there is no "
                    "terminal to ask on",
                    f"export {ADMIN_PASSWORD_ENV}=... first",
                )
            password = _ask(f"admin password for {user}@{host}:{port}: ", secret=True)
    result = run_export(
        host=host,
        port=port,
        user=user,
        password=password,
        spec_files=spec or (),
        node=node,
        tables=[t.strip() for t in tables.split(",") if t.strip()] if tables is not None else None,
        keep_hashes=keep_hashes,
        tls=tls_options(tls_mode, tls_ca, tls_cert, tls_key, tls_server_name),
    )
    if output is not None:
        _write_file(output, result.text, private=False)
    else:
        typer.echo(result.text, nl=False)
    for line in describe(result):
        typer.echo(line, err=True)
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.ERROR)


@app.command("status", cls=_Command)
def status_(
    files: SpecFiles,
    format: Annotated[DataFormat, typer.Option("--format", "-f")] = DataFormat.text,
    grace: Annotated[
        float | None,
        typer.Option(
            help="seconds a peer may lag the primary's last LOAD before it counts as diverged "
            "(default: apply's convergence deadline for that module)"
        ),
    ] = None,
) -> None:
    """The cluster at a glance: checksums, unloaded/unsaved edits, servers, findings.

    Exit 0 healthy and in sync, 2 drift from the spec, 3 cluster diverged, 1 error.
    """
    from proxysql_iac.status import read_status
    from proxysql_iac.status import render_json as status_json
    from proxysql_iac.status import render_text as status_text

    try:
        report = read_status(files, grace=grace)
    except PxcError as exc:
        if format is DataFormat.json:  # monitoring still gets a document to parse
            typer.echo(json.dumps({"verdict": "error", "exit_code": 1, "reasons": [exc.message]}))
            raise typer.Exit(ExitCode.ERROR) from None
        raise
    typer.echo(status_json(report) if format is DataFormat.json else status_text(report))
    raise typer.Exit(report.exit_code)


class RenderChoice(StrEnum):
    sql = "sql"
    cnf = "cnf"


@app.command("render", cls=_Command)
def render_(
    files: SpecFiles,
    format: Annotated[RenderChoice, typer.Option("--format", "-f")] = RenderChoice.sql,
    reveal_secrets: Annotated[
        bool,
        typer.Option("--reveal-secrets", help="resolve secrets instead of writing <secret>"),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here (default: stdout)")
    ] = None,
) -> None:
    """Write the spec as a bootstrap SQL script for an empty node, or as a proxysql.cnf."""
    from proxysql_iac.render import RenderFormat, render

    result = render(files, RenderFormat(format.value), reveal_secrets=reveal_secrets)
    if output is not None:
        _write_file(output, result.text, private=reveal_secrets)
    else:
        typer.echo(result.text, nl=False)
    for note in result.not_representable:
        typer.echo(f"not representable in proxysql.cnf: {note}", err=True)
    if result.placeholders:
        typer.echo(
            f"{result.placeholders} secret value(s) written as <secret> "
            "(--reveal-secrets resolves them)",
            err=True,
        )


@app.command("explain", cls=_Command)
def explain_(
    files: SpecFiles,
    format: Annotated[DataFormat, typer.Option("--format", "-f")] = DataFormat.text,
) -> None:
    """What the spec implies over time: propagation, Aurora detection, restarts (offline)."""
    from proxysql_iac.explain import explain
    from proxysql_iac.explain import render_json as explain_json
    from proxysql_iac.explain import render_text as explain_text

    result = explain(files)
    typer.echo(explain_json(result) if format is DataFormat.json else explain_text(result))


def run(argv: Sequence[str] | None = None) -> int:
    """Run one pxc command; the single place that turns pxc errors into messages and exit
    codes. Exit 2 means "plan has changes" to pipelines, so a usage error (click's 2) is 1."""
    try:
        code = app(args=None if argv is None else list(argv), standalone_mode=False)
    except ClickException as exc:  # usage errors: bad option, missing argument
        exc.show()
        return ExitCode.ERROR
    except typer.Abort:
        _err().print("aborted")
        return 130
    except PxcError as exc:
        from rich.text import Text

        _err().print(Text.assemble(("error:", "bold red"), " ", exc.message))
        if exc.hint:
            _err().print(f"  hint: {exc.hint}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    return code if isinstance(code, int) else ExitCode.OK


# A thread that reads a node waits on it most of the time, while the spec is checked on
# another: handing the interpreter over every 0.5 ms instead of every 5 ms gives the reader
# its turn as soon as the node answers (a large plan: 0.1 to 0.2 s sooner).
SWITCH_INTERVAL_S = 0.0005


def main() -> None:
    """pxc as a program: exits with the command's code (SystemExit)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    sys.exit(run())


def script() -> None:
    """The `pxc` console script: `main`, ending the process without freeing what the command
    made (`lifetime.py`). Never to be called in a process with more to do."""
    from proxysql_iac.lifetime import end, keep_until_the_end

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    keep_until_the_end()
    end(run())


if __name__ == "__main__":
    script()
