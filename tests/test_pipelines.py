"""action.yml, the GitLab component and the docs that show them stay in step with the CLI.

Every pxc command and option they call exists (and every `--format` value is a choice the
command takes); the inputs they use are declared; the outputs come from a step that writes
them; and every snippet in docs/workflow.md and the README's workflow is checked against the
CLI, the action or the component. (tests/integration/test_pipelines.py runs them.)
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from proxysql_iac.review import DESTRUCTIVE_LABEL, Reviewed
from tests.pipelines import (
    ACTION,
    COMPONENT,
    GITLAB_INPUT,
    INPUT,
    ROOT,
    action,
    cli_problems,
    component,
    pxc_calls,
)

MODES = ("validate", "plan", "apply", "drift")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def action_scripts() -> list[str]:
    return [step["run"] for step in action()["runs"]["steps"] if "run" in step]


def component_scripts() -> list[str]:
    _, jobs = component()
    return [
        line
        for job in jobs.values()
        for key in ("before_script", "script")
        for line in job.get(key, [])
    ]


@pytest.mark.parametrize("source", ["action", "component"])
def test_every_pxc_command_and_option_called_exists(source: str) -> None:
    scripts = action_scripts() if source == "action" else component_scripts()
    calls = [call for script in scripts for call in pxc_calls(script)]
    assert {call[0] for call in calls} >= {"validate", "plan", "comment", "reviewed", "apply",
                                           "status"}  # fmt: skip
    for call in calls:
        assert cli_problems(call) == [], " ".join(call)
    # options gathered in a variable first go to `pxc apply`
    for script in scripts:
        for option in re.findall(r'flags\+?=\(?"?(--[\w-]+)', script):
            assert cli_problems(["apply", option]) == [], option


def test_the_checker_catches_a_wrong_command_option_or_choice() -> None:
    assert cli_problems(["plna", "x.yaml"])
    assert cli_problems(["apply", "x.yaml", "--plan", "x"])
    assert cli_problems(["validate", "--format", "gitlab", "x.yaml"])
    assert cli_problems(["validate", "--format", "github", "x.yaml"]) == []


def test_action_inputs_are_declared_and_reach_scripts_only_through_the_environment() -> None:
    text = ACTION.read_text()
    declared = set(action()["inputs"])
    assert set(INPUT.findall(text)) <= declared
    assert {"mode", "files", "destructive-label"} <= declared
    assert action()["inputs"]["destructive-label"]["default"] == DESTRUCTIVE_LABEL
    for script in action_scripts():  # an expression in a script is a shell injection
        assert "${{" not in script


def test_action_outputs_come_from_steps_that_write_them() -> None:
    steps = {s["id"]: s for s in action()["runs"]["steps"] if "id" in s}
    reviewed = Reviewed(1, "#", "pull request", "c", "0" * 16, False).outputs()
    written_by_reviewed = {line.split("=")[0] for line in reviewed}
    for name, output in action()["outputs"].items():
        for step_id, key in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", output["value"]):
            script = steps[step_id]["run"]
            writes = f"{key}=" in script or (
                key in written_by_reviewed and "pxc reviewed" in script
            )
            assert writes, f"output {name}: step {step_id} never writes {key}"


def test_action_has_a_step_for_each_mode_and_installs_the_pxc_it_ships_with() -> None:
    steps = action()["runs"]["steps"]
    assert action()["runs"]["using"] == "composite"
    for mode in MODES:
        assert any(s.get("if") == f"inputs.mode == '{mode}'" for s in steps), mode
    install = next(s for s in steps if s.get("name") == "Install pxc")
    assert 'install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in install["run"]
    assert all("shell" in s for s in steps if "run" in s)


def test_component_inputs_are_declared_and_every_cluster_job_has_its_resource_group() -> None:
    spec, jobs = component()
    text = COMPONENT.read_text()
    declared = spec["inputs"]
    assert set(GITLAB_INPUT.findall(text)) <= set(declared)
    assert [name for name, v in declared.items() if "default" not in v] == ["files", "cluster"]
    base = jobs[".pxc-$[[ inputs.cluster ]]"]
    assert base["image"] == "$[[ inputs.image ]]"
    assert base["resource_group"] == "pxc-$[[ inputs.cluster ]]"
    assert '"$[[ inputs.package ]]"' in base["before_script"][0]
    rules = {name.split("-")[1]: job["rules"] for name, job in jobs.items() if "rules" in job}
    assert rules["plan"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert "CI_DEFAULT_BRANCH" in rules["apply"][0]["if"]
    assert rules["drift"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert jobs["pxc-validate-$[[ inputs.cluster ]]"]["resource_group"] is None  # offline


def _uses_of_the_action(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    jobs = workflow.get("jobs", workflow)
    return [
        step
        for job in jobs.values()
        for step in job.get("steps", [])
        if re.fullmatch(r"[\w.-]+/pxc@[\w.-]+", step.get("uses", ""))
    ]


def check_github_workflow(workflow: dict[str, Any]) -> list[str]:
    """What is wrong with a workflow (or a few of its jobs) that uses the action."""
    problems = []
    inputs = action()["inputs"]
    jobs = workflow.get("jobs", workflow)
    for name, job in jobs.items():
        for step in job.get("steps", []):
            if step not in _uses_of_the_action(workflow):
                continue
            given = step.get("with", {})
            problems += [f"{name}: the action has no input {k}" for k in given if k not in inputs]
            problems += [
                f"{name}: input {k} is required"
                for k, v in inputs.items()
                if v.get("required") and k not in given
            ]
            if given.get("mode") not in MODES:
                problems.append(f"{name}: mode {given.get('mode')!r}")
            if given.get("mode") in ("plan", "apply", "drift") and "concurrency" not in job:
                problems.append(f"{name}: no concurrency group for the cluster")
    return problems


def doc_blocks(path: Path) -> list[tuple[str, str]]:
    return FENCE.findall(path.read_text())


def test_readme_shows_a_complete_workflow_with_permissions_and_a_concurrency_per_cluster() -> None:
    [workflow] = [
        yaml.safe_load(body)
        for lang, body in doc_blocks(ROOT / "README.md")
        if lang == "yaml" and "uses: your-org/pxc@v1" in body
    ]
    assert check_github_workflow(workflow) == []
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads `on` as true
    assert {"pull_request", "push", "schedule"} <= set(triggers)
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    modes = {s["with"]["mode"] for s in _uses_of_the_action(workflow)}
    assert modes == set(MODES)
    jobs = workflow["jobs"]
    assert jobs["apply"]["concurrency"]["group"] == jobs["drift"]["concurrency"]["group"]
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False
    readme = (ROOT / "README.md").read_text()
    assert "self-hosted runner" in readme and "admin ports" in readme
    assert DESTRUCTIVE_LABEL in readme


def test_every_snippet_in_the_workflow_doc_is_checked() -> None:
    blocks = doc_blocks(ROOT / "docs" / "workflow.md")
    assert blocks
    spec, _ = component()
    for lang, body in blocks:
        if lang == "sh":
            calls = pxc_calls(body)
            assert calls, body
            for call in calls:
                assert cli_problems(call) == [], " ".join(call)
            for line in re.findall(r"^# ([\w-]+)=", body, re.MULTILINE):
                assert line in {o.split("=")[0] for o in Reviewed(1, "", "", "", "", 0).outputs()}
        elif lang == "yaml" and "component:" in body:
            [include] = yaml.safe_load(body)["include"]
            assert include["component"].endswith("/pxc@v1")  # templates/pxc.yml
            inputs = include["inputs"]
            assert set(inputs) <= set(spec["inputs"])
            assert {k for k, v in spec["inputs"].items() if "default" not in v} <= set(inputs)
        elif lang == "yaml":
            workflow = yaml.safe_load(body)
            assert _uses_of_the_action(workflow), body
            assert check_github_workflow(workflow) == []
        else:
            pytest.fail(f"docs/workflow.md has a snippet no test checks:\n{body}")


def test_the_workflow_doc_documents_every_input_of_the_action_and_the_component() -> None:
    text = (ROOT / "docs" / "workflow.md").read_text()
    spec, _ = component()
    for name in [*action()["inputs"], *spec["inputs"]]:
        assert f"`{name}`" in text, name


def test_pre_commit_doc_installs_the_package_by_its_name() -> None:
    text = (ROOT / "docs" / "pre-commit.md").read_text()
    assert "pip install proxysql-iac" in text
    assert not re.search(r"pip install pxc\b", text)
