"""Reading action.yml and the GitLab component as GitHub and GitLab would, and running
their shell steps as the runners do: inputs resolved, the step's environment, bash with
`-e -o pipefail`, outputs collected from $GITHUB_OUTPUT."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import typer.main
import yaml

from proxysql_iac.cli import app

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
COMPONENT = ROOT / "templates" / "pxc.yml"
BIN = Path(sys.executable).parent  # where the test environment's `pxc` is

# `pxc WORD ...` as a command: not `pxc-venv`, `pxc:allow-destructive`, `.pxc-x`, "pxc status"
PXC_CALL = re.compile(r"(?<![\w./:-])pxc[ \t]+([a-z][a-z-]*(?=[\s;|&)>]|$)[^\n;|&)>]*)")
INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
GITLAB_INPUT = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
CI_VARIABLE = re.compile(r"^(GITHUB_|GITLAB_|CI_|RUNNER_)")


def _environment(*layers: dict[str, str]) -> dict[str, str]:
    """This process's environment without any CI's own variables (the suite may run in CI),
    the test environment's `pxc` first on PATH, then `layers`."""
    base = {k: v for k, v in os.environ.items() if not CI_VARIABLE.match(k)}
    base["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    for layer in layers:
        base.update(layer)
    return base


def action() -> dict[str, Any]:
    return dict(yaml.safe_load(ACTION.read_text()))


def component() -> tuple[dict[str, Any], dict[str, Any]]:
    """The component's `spec:` header and its jobs."""
    header, jobs = yaml.safe_load_all(COMPONENT.read_text())
    return header["spec"], jobs


def pxc_calls(script: str) -> list[list[str]]:
    """Every pxc command line in a shell script, as its words (quotes kept as written)."""
    calls = []
    for found in PXC_CALL.finditer(script):
        calls.append(found.group(1).split("#")[0].split())
    return calls


def _choices(param: Any) -> list[str] | None:
    """The values an Enum-typed option takes (typer is pinned: its parameter objects carry
    the annotation they were made from)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return None


def cli_problems(words: list[str]) -> list[str]:
    """What is wrong with `pxc WORDS` for this pxc: an unknown command, option or choice."""
    commands = getattr(typer.main.get_command(app), "commands", {})
    if not words or words[0] not in commands:
        return [f"pxc has no command {words[:1]}"]
    command = commands[words[0]]
    options = {opt: p for p in command.params for opt in [*p.opts, *p.secondary_opts]}
    problems = []
    for i, word in enumerate(words[1:], start=1):
        if not word.startswith("-"):
            continue
        name = word.split("=")[0]
        param = options.get(name)
        if param is None:
            problems.append(f"pxc {words[0]} has no option {name}")
            continue
        value = words[i + 1] if i + 1 < len(words) else ""
        choices = _choices(param)
        if choices is not None and not value.startswith(("$", '"$')) and value not in choices:
            problems.append(f"pxc {words[0]} {name}: {value!r} is not one of its choices")
    return problems


@dataclass
class StepRun:
    code: int
    output: str
    outputs: dict[str, str]
    summary: str


def action_steps(mode: str) -> list[dict[str, Any]]:
    """The shell steps a job in `mode` runs (the setup and install steps aside: the tests
    run the pxc being tested)."""
    steps = []
    for step in action()["runs"]["steps"]:
        condition = step.get("if", "")
        if "run" not in step or step.get("name") == "Install pxc":
            continue
        if condition and f"inputs.mode == '{mode}'" not in condition:
            continue
        steps.append(step)
    return steps


def run_action(mode: str, inputs: dict[str, str], env: dict[str, str], workdir: Path) -> StepRun:
    """Run the action in `mode` as a GitHub runner would, in `workdir`."""
    declared = action()["inputs"]
    values = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    values.update(inputs, mode=mode)
    values["token"] = env.get("GITHUB_TOKEN", "")  # the default is ${{ github.token }}
    temp = workdir / "runner-temp"
    temp.mkdir(exist_ok=True)
    files = {"GITHUB_OUTPUT": temp / "output", "GITHUB_STEP_SUMMARY": temp / "summary"}
    for path in files.values():
        path.write_text("")
    output = ""
    code = 0
    for step in action_steps(mode):
        step_env = {
            k: INPUT.sub(lambda m: values[m.group(1)], str(v))
            for k, v in (step.get("env") or {}).items()
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workdir,
            env=_environment(
                env, {k: str(v) for k, v in files.items()}, {"RUNNER_TEMP": str(temp)}, step_env
            ),
            capture_output=True,
            text=True,
        )
        output += result.stdout + result.stderr
        code = result.returncode
        if code:
            break
    outputs = dict(
        line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if line
    )
    return StepRun(code, output, outputs, files["GITHUB_STEP_SUMMARY"].read_text())


def gitlab_job(name: str, inputs: dict[str, str]) -> dict[str, Any]:
    """A job of the component as GitLab sees it after `include:` with these inputs."""
    spec, _ = component()
    values = {k: str(v.get("default", "")) for k, v in spec["inputs"].items()}
    values.update(inputs)
    text = COMPONENT.read_text().split("\n---\n", 1)[1]
    jobs = yaml.safe_load(GITLAB_INPUT.sub(lambda m: values[m.group(1)], text))
    job = dict(jobs[name])
    parent = jobs.get(job.get("extends", ""), {})
    return {**parent, **job}


def run_gitlab_job(
    name: str, inputs: dict[str, str], env: dict[str, str], workdir: Path
) -> StepRun:
    """Run a job's script as a GitLab runner's bash shell would (its before_script, which
    installs pxc, aside)."""
    script = "\n".join(gitlab_job(name, inputs)["script"])
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=workdir,
        env=_environment(env),
        capture_output=True,
        text=True,
    )
    return StepRun(result.returncode, result.stdout + result.stderr, {}, "")
