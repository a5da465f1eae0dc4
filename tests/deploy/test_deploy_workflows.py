"""`deploy` with a workflow, end to end against a plain moto server: the state machine is made
by the stack, its Tasks call the functions' stage aliases (inside Parallel and Map too), its
triggers are EventBridge rules, the record and `url` name it, a code-only redeploy leaves it
alone and `delete` removes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._tooling._manifest import describe_app
from chalicelike.cli import main
from chalicelike.deploy._template import deploy_template
from chalicelike.package.templates import build_templates
from tests.deploy.moto_support import (
    aws_client,
    plain_moto_server,
    point_cli_at,
)
from tests.package.template_support import POLICY, configs_for, stage_for
from tests.workflow_support import ORDER_ASL, write_workflow_project

PATTERN = {"source": ["shop.orders"]}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with plain_moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A user's environment pointing the CLI at moto (and at no profile of the machine's)."""
    point_cli_at(moto_url, monkeypatch, tmp_path)
    return moto_url


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The order workflow's project, started every five minutes and by a shop event too."""
    folder = write_workflow_project(tmp_path / "orders")
    app = folder / "app.py"
    app.write_text(
        app.read_text().replace(
            'app.workflow("order", "order.asl.json")',
            f'app.workflow("order", "order.asl.json", schedule="rate(5 minutes)", '
            f"event_pattern={PATTERN!r})",
        )
    )
    return folder


def run(project: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["--project-dir", str(project), *argv])
    captured = capsys.readouterr()
    assert status == 0, captured.out + captured.err
    return status, captured.out


def _tasks(machine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Task state, in branches and Map processors too, by name."""
    found = {}
    for name, state in machine["States"].items():
        if state["Type"] == "Task":
            found[name] = state
        for branch in state.get("Branches", []):
            found |= _tasks(branch)
        if "ItemProcessor" in state:
            found |= _tasks(state["ItemProcessor"])
    return found


def _machine_of(record: dict[str, Any]) -> dict[str, Any]:
    (machine,) = [r for r in record["resources"] if r["resource_type"] == "state_machine"]
    return machine


def _record(project: Path) -> dict[str, Any]:
    return json.loads((project / ".chalice" / "deployed" / "dev.json").read_text())


def test_the_deploy_form_calls_every_alias(tmp_path: Path) -> None:
    """Plain functions and one published by `package` behind its own alias alike."""
    app = Chalice(app_name="orders")
    for name in ("validate", "price", "reserve", "line_total", "charge"):
        app.lambda_function(name=name)(lambda event, context: event)
    app.workflow("order", ORDER_ASL)
    manifest = describe_app(app, project_dir=tmp_path)
    configs = configs_for(manifest)
    configs["charge"] = configs_for(manifest, provisioned_concurrency=1)["charge"]
    (package,) = build_templates(
        manifest, stage_for(manifest), configs, POLICY, "cloudformation"
    ).values()
    document = deploy_template(package, "dev").document
    machine = document["Resources"]["OrderStateMachine"]["Properties"]
    tasks = _tasks(json.loads(machine["DefinitionString"]["Fn::Sub"]))
    assert tasks["Validate"]["Resource"] == "${Validate.Arn}:dev"
    assert tasks["LineTotal"]["Resource"] == "${LineTotal.Arn}:dev"
    assert tasks["Charge"]["Resource"] == "${Charge.Arn}:dev"  # package's alias, deploy's now
    assert tasks["Reserve"]["Parameters"]["FunctionName"] == "${Reserve.Arn}:dev"
    # The role is left as written: the function's ARN and its qualified ARNs (`:*`).
    role = document["Resources"]["OrderStateMachineRole"]["Properties"]
    resources = role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert {"Fn::Sub": "${Charge.Arn}:*"} in resources


@pytest.mark.slow
def test_deploy_url_redeploy_delete(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = run(project, "deploy", capsys=capsys)
    record = _record(project)
    machine = _machine_of(record)
    arn = machine["state_machine_arn"]
    assert machine["name"] == "order"
    assert arn.endswith(":stateMachine:orders-dev-order")
    assert f"workflow order: {arn}" in out.splitlines()

    functions = {r["name"]: r["alias_arn"] for r in record["resources"] if "alias_arn" in r}
    states = aws_client(aws, "stepfunctions")
    described = states.describe_state_machine(stateMachineArn=arn)
    tasks = _tasks(json.loads(described["definition"]))
    assert tasks["Validate"]["Resource"] == functions["validate"]
    assert tasks["Price"]["Resource"] == functions["price"]  # in a Parallel branch
    assert tasks["LineTotal"]["Resource"] == functions["line_total"]  # in a Map
    assert tasks["Charge"]["Resource"] == functions["charge"]
    assert tasks["Reserve"]["Resource"] == "arn:aws:states:::lambda:invoke"
    assert tasks["Reserve"]["Parameters"]["FunctionName"] == functions["reserve"]
    role = described["roleArn"].rsplit("/", 1)[1]
    assert aws_client(aws, "iam").get_role(RoleName=role)["Role"]["Arn"] == described["roleArn"]
    _check_triggers(aws, arn)

    _, out = run(project, "url", capsys=capsys)
    assert f"workflow order: {arn}" in out.splitlines()

    # A change of code alone: the functions move, the state machine (calling aliases) stays.
    app = project / "app.py"
    app.write_text(app.read_text() + "\n# a change of code only\n")
    _, out = run(project, "deploy", capsys=capsys)
    assert "(code only)" in out
    again = states.describe_state_machine(stateMachineArn=arn)
    assert again["definition"] == described["definition"]
    assert _machine_of(_record(project)) == machine

    run(project, "delete", capsys=capsys)
    assert states.list_state_machines()["stateMachines"] == []


def _check_triggers(url: str, machine_arn: str) -> None:
    """One rule per trigger, each starting the machine through a role."""
    events = aws_client(url, "events")
    schedules, patterns = [], []
    for rule in events.list_rule_names_by_target(TargetArn=machine_arn)["RuleNames"]:
        described = events.describe_rule(Name=rule)
        (target,) = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert target["Arn"] == machine_arn
        assert target["RoleArn"].startswith("arn:aws:iam::")
        if "ScheduleExpression" in described:
            schedules.append(described["ScheduleExpression"])
        else:
            patterns.append(json.loads(described["EventPattern"]))
    assert (schedules, patterns) == (["rate(5 minutes)"], [PATTERN])
