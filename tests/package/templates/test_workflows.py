"""Workflows in `package`'s templates: a Step Functions state machine per workflow, naming the
app's functions by ARN (Task Resource and lambda:invoke alike, inside Parallel and Map too), its
role, logging, tracing and triggers; cfn-lint for SAM and CloudFormation, Terraform's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._tooling._config import ConfigError, resolve_stage_config
from chalicelike._tooling._manifest import AppManifest, describe_app
from chalicelike._tooling._settings import StageConfig
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._model import state_machine_name
from tests.package.template_support import (
    POLICY,
    cfn_lint,
    configs_for,
    dangling_terraform_references,
    resources_of_type,
    stage_for,
)
from tests.package.templates.test_terraform import _terraform_validate
from tests.workflow_support import ORDER_ASL

FUNCTIONS = ("validate", "price", "reserve", "line_total", "charge")
GREETING = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}}
PATTERN = {"source": ["shop.orders"], "detail-type": ["Order Placed"]}


def _manifest(tmp_path: Path, **triggers: Any) -> AppManifest:
    app = Chalice(app_name="orders")
    for name in (*FUNCTIONS, "unused"):
        app.lambda_function(name=name)(lambda event, context: event)
    app.workflow("order", ORDER_ASL, **triggers)
    return describe_app(app, project_dir=tmp_path)


@pytest.fixture
def manifest(tmp_path: Path) -> AppManifest:
    return _manifest(tmp_path, schedule="rate(5 minutes)", event_pattern=PATTERN)


def _template(manifest: AppManifest, fmt: str, **stage: Any) -> dict[str, Any]:
    (document,) = build_templates(
        manifest, stage_for(manifest, **stage), configs_for(manifest), POLICY, fmt
    ).values()
    return document


def _states(machine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a machine, its branches' and its Map's processor's too, by name."""
    found = {}
    for name, state in machine["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found |= _states(branch)
        if "ItemProcessor" in state:
            found |= _states(state["ItemProcessor"])
    return found


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_each_task_names_its_function_by_arn(manifest: AppManifest, fmt: str) -> None:
    template = _template(manifest, fmt)
    (machine_id,) = resources_of_type(template, "AWS::StepFunctions::StateMachine")
    assert machine_id == "OrderStateMachine"
    properties = template["Resources"][machine_id]["Properties"]
    assert properties["StateMachineName"] == "orders-dev-order"
    states = _states(json.loads(properties["DefinitionString"]["Fn::Sub"]))
    assert states["Validate"]["Resource"] == "${Validate.Arn}"
    assert states["Price"]["Resource"] == "${Price.Arn}"  # inside a Parallel branch
    assert states["LineTotal"]["Resource"] == "${LineTotal.Arn}"  # inside a Map
    reserve = states["Reserve"]  # lambda:invoke, in the stack's partition
    assert reserve["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke"
    assert reserve["Parameters"] == {"FunctionName": "${Reserve.Arn}", "Payload.$": "$"}
    assert template["Outputs"]["OrderStateMachineArn"]["Value"] == {"Ref": machine_id}


def test_the_role_invokes_exactly_the_functions_called(manifest: AppManifest) -> None:
    template = _template(manifest, "cloudformation")
    role = template["Resources"]["OrderStateMachineRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    (policy,) = role["Policies"]
    (invoke,) = policy["PolicyDocument"]["Statement"]  # no logging, no tracing: nothing more
    assert invoke["Action"] == "lambda:InvokeFunction"
    expected = []
    for function in sorted(FUNCTIONS):
        function_id = "".join(word.capitalize() for word in function.split("_"))
        expected += [
            {"Fn::GetAtt": [function_id, "Arn"]},
            {"Fn::Sub": f"${{{function_id}.Arn}}:*"},  # the alias deploy's machine calls
        ]
    assert invoke["Resource"] == expected
    assert "Unused" not in json.dumps(invoke)
    properties = template["Resources"]["OrderStateMachine"]["Properties"]
    assert "LoggingConfiguration" not in properties
    assert "TracingConfiguration" not in properties


def test_schedule_and_pattern_start_executions(manifest: AppManifest) -> None:
    template = _template(manifest, "cloudformation")
    rules = resources_of_type(template, "AWS::Events::Rule")
    schedule = rules["OrderStateMachineScheduleRule"]["Properties"]
    pattern = rules["OrderStateMachineEventRule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert pattern["EventPattern"] == PATTERN
    for rule in (schedule, pattern):
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": "OrderStateMachine"}
        assert target["RoleArn"] == {"Fn::GetAtt": ["OrderStateMachineEventsRole", "Arn"]}
    events_role = template["Resources"]["OrderStateMachineEventsRole"]["Properties"]
    (start,) = events_role["Policies"][0]["PolicyDocument"]["Statement"]
    assert (start["Action"], start["Resource"]) == (
        "states:StartExecution",
        {"Ref": "OrderStateMachine"},
    )


def test_no_trigger_no_rule(tmp_path: Path) -> None:
    template = _template(_manifest(tmp_path), "cloudformation")
    assert resources_of_type(template, "AWS::Events::Rule") == {}
    assert "OrderStateMachineEventsRole" not in template["Resources"]


def test_logging_and_tracing_keys(manifest: AppManifest) -> None:
    template = _template(
        manifest, "cloudformation", workflow_logging="ERROR", workflow_tracing=True
    )
    resources = template["Resources"]
    properties = resources["OrderStateMachine"]["Properties"]
    log_group = resources["OrderStateMachineLogGroup"]["Properties"]
    assert log_group["LogGroupName"] == "/aws/vendedlogs/states/orders-dev-order"
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ERROR"
    assert logging["Destinations"] == [
        {
            "CloudWatchLogsLogGroup": {
                "LogGroupArn": {"Fn::GetAtt": ["OrderStateMachineLogGroup", "Arn"]}
            }
        }
    ]
    assert properties["TracingConfiguration"] == {"Enabled": True}
    statements = resources["OrderStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    actions = [s["Action"] for s in statements["Statement"]]
    assert "logs:CreateLogDelivery" in actions[1] and "xray:PutTraceSegments" in actions[2]


def _retaining(manifest: AppManifest, fmt: str, level: str) -> dict[str, Any]:
    stage = StageConfig(
        app_name=manifest.app_name, stage="dev", workflow_logging=level, log_retention_in_days=14
    )
    (document,) = build_templates(manifest, stage, configs_for(manifest), POLICY, fmt).values()
    return document


@pytest.mark.parametrize(("level", "included"), [("ALL", True), ("ERROR", False), ("FATAL", False)])
def test_execution_data_is_logged_at_level_all_only(
    manifest: AppManifest, level: str, included: bool
) -> None:
    """An execution's input may carry personal data: only ALL, which follows every state,
    logs it; the log group keeps what it holds as long as the stage's functions' do."""
    template = _retaining(manifest, "cloudformation", level)
    resources = template["Resources"]
    logging = resources["OrderStateMachine"]["Properties"]["LoggingConfiguration"]
    assert logging["IncludeExecutionData"] is included
    assert resources["OrderStateMachineLogGroup"]["Properties"]["RetentionInDays"] == 14
    assert cfn_lint(template) == []
    document = _retaining(manifest, "terraform", level)
    machine = document["resource"]["aws_sfn_state_machine"]["order"]
    assert machine["logging_configuration"]["include_execution_data"] is included
    group = document["resource"]["aws_cloudwatch_log_group"]["order_state_machine"]
    assert group["retention_in_days"] == 14


def test_the_stages_retention_is_read_from_its_config(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {"stages": {"dev": {"log_retention_in_days": 30, "workflow_logging": "ERROR"}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    assert resolve_stage_config(tmp_path, "dev", "orders").log_retention_in_days == 30


def test_no_retention_set_keeps_the_logs(manifest: AppManifest) -> None:
    template = _template(manifest, "cloudformation", workflow_logging="ALL")
    assert "RetentionInDays" not in template["Resources"]["OrderStateMachineLogGroup"]["Properties"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_cfn_lint_finds_nothing(manifest: AppManifest, fmt: str) -> None:
    assert cfn_lint(_template(manifest, fmt)) == []
    logged = _template(manifest, fmt, workflow_logging="ALL", workflow_tracing=True)
    assert cfn_lint(logged) == []


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_a_published_function_is_called_through_its_alias(manifest: AppManifest, fmt: str) -> None:
    configs = configs_for(manifest)
    configs["charge"] = configs_for(manifest, provisioned_concurrency=1)["charge"]
    (template,) = build_templates(manifest, stage_for(manifest), configs, POLICY, fmt).values()
    definition = template["Resources"]["OrderStateMachine"]["Properties"]["DefinitionString"]
    if fmt == "sam":  # SAM's alias through a Sub variable, as `Stack.caller_sub` spells it
        text, variables = definition["Fn::Sub"]
        assert variables == {"ChargeAliasArn": {"Ref": "Charge.Alias"}}
        assert _states(json.loads(text))["Charge"]["Resource"] == "${ChargeAliasArn}"
    else:
        charge = _states(json.loads(definition["Fn::Sub"]))["Charge"]
        assert charge["Resource"] == "${ChargeAlias}"
    assert cfn_lint(template) == []


def test_the_asl_own_placeholders_are_kept_literal(tmp_path: Path) -> None:
    app = Chalice(app_name="orders")
    app.lambda_function(name="greet")(lambda event, context: event)
    asl = {
        "StartAt": "Say",
        "States": {
            "Say": {
                "Type": "Pass",
                "Result": {"text": "${not.a.reference} %{nor.this}"},
                "Next": "Greet",
            },
            "Greet": {"Type": "Task", "Resource": "function:greet", "End": True},
        },
    }
    app.workflow("greeting", asl)
    manifest = describe_app(app, project_dir=tmp_path)
    cfn = _template(manifest, "cloudformation")
    text = cfn["Resources"]["GreetingStateMachine"]["Properties"]["DefinitionString"]["Fn::Sub"]
    assert "${!not.a.reference}" in text and "${Greet.Arn}" in text
    tf = _template(manifest, "terraform")
    definition = tf["resource"]["aws_sfn_state_machine"]["greeting"]["definition"]
    assert "$${not.a.reference} %%{nor.this}" in definition
    assert "${aws_lambda_function.greet.arn}" in definition


def _calling_nothing(tmp_path: Path, asl: dict[str, Any]) -> dict[str, Any]:
    app = Chalice(app_name="orders")
    app.lambda_function(name="unused")(lambda event, context: event)  # the stack has code
    app.workflow("greeting", asl)
    manifest = describe_app(app, project_dir=tmp_path)
    return _template(manifest, "cloudformation")


def test_a_machine_calling_nothing_keeps_its_own_placeholders(tmp_path: Path) -> None:
    """No function to name: no Sub (cfn-lint W1020); the ASL's "${" stays out of every string
    of the template (E1029), a Join putting it back."""
    asl = {
        "StartAt": "Say",
        "States": {"Say": {"Type": "Pass", "Result": {"t": "${a} and ${b}"}, "End": True}},
    }
    template = _calling_nothing(tmp_path, asl)
    definition = template["Resources"]["GreetingStateMachine"]["Properties"]["DefinitionString"]
    delimiter, pieces = definition["Fn::Join"]
    assert json.loads(delimiter.join(pieces)) == asl
    assert cfn_lint(template) == []


def test_a_machine_without_placeholders_is_plain_text(tmp_path: Path) -> None:
    template = _calling_nothing(tmp_path, GREETING)
    definition = template["Resources"]["GreetingStateMachine"]["Properties"]["DefinitionString"]
    assert json.loads(definition) == GREETING
    assert cfn_lint(template) == []


def test_long_names_are_shortened_deterministically() -> None:
    short = state_machine_name("orders", "dev", "order")
    assert short == "orders-dev-order"
    long = state_machine_name("a" * 30, "production", "w" * 60)
    assert len(long) == 80
    assert long == state_machine_name("a" * 30, "production", "w" * 60)
    assert long != state_machine_name("a" * 30, "production", "w" * 59 + "x")


def test_terraform_shape(manifest: AppManifest) -> None:
    document = _template(manifest, "terraform", workflow_logging="ALL", workflow_tracing=True)
    assert dangling_terraform_references(document) == []
    resources = document["resource"]
    machine = resources["aws_sfn_state_machine"]["order"]
    assert machine["name"] == "orders-dev-order"
    assert machine["role_arn"] == "${aws_iam_role.order_state_machine.arn}"
    states = _states(json.loads(machine["definition"]))
    assert states["Validate"]["Resource"] == "${aws_lambda_function.validate.arn}"
    assert states["LineTotal"]["Resource"] == "${aws_lambda_function.line_total.arn}"
    assert states["Reserve"]["Parameters"]["FunctionName"] == "${aws_lambda_function.reserve.arn}"
    assert states["Reserve"]["Resource"] == (
        "arn:${data.aws_partition.current.partition}:states:::lambda:invoke"
    )
    assert machine["logging_configuration"] == {
        "level": "ALL",
        "include_execution_data": True,
        "log_destination": "${aws_cloudwatch_log_group.order_state_machine.arn}:*",
    }
    assert machine["tracing_configuration"] == {"enabled": True}
    policy = json.loads(resources["aws_iam_role_policy"]["order_state_machine"]["policy"])
    invoke = policy["Statement"][0]
    assert "${aws_lambda_function.charge.arn}:*" in invoke["Resource"]
    assert len(invoke["Resource"]) == 2 * len(FUNCTIONS)
    rules = resources["aws_cloudwatch_event_rule"]
    assert rules["order_state_machine_schedule"]["schedule_expression"] == "rate(5 minutes)"
    assert json.loads(rules["order_state_machine_event"]["event_pattern"]) == PATTERN
    target = resources["aws_cloudwatch_event_target"]["order_state_machine_schedule"]
    assert target["arn"] == "${aws_sfn_state_machine.order.arn}"
    assert target["role_arn"] == "${aws_iam_role.order_state_machine_events.arn}"
    assert document["output"]["OrderStateMachineArn"] == {
        "value": "${aws_sfn_state_machine.order.arn}"
    }


@pytest.mark.slow
def test_terraform_validates(manifest: AppManifest, tmp_path: Path) -> None:
    document = _template(manifest, "terraform", workflow_logging="ALL", workflow_tracing=True)
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]
    retaining = _retaining(manifest, "terraform", "ERROR")
    (tmp_path / "retaining").mkdir()
    report = json.loads(_terraform_validate(retaining, tmp_path / "retaining"))
    assert report["valid"], report["diagnostics"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"workflow_logging": "DEBUG"}, r"stages\.dev\.workflow_logging must be .*'OFF'"),
        ({"workflow_tracing": "yes"}, r"stages\.dev\.workflow_tracing must be true or false"),
    ],
)
def test_a_bad_config_value_is_named(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {"version": "2.0", "app_name": "orders", "stages": {"dev": settings}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=message):
        resolve_stage_config(tmp_path, "dev", "orders")


def test_config_keys_reach_the_stage(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {
        "version": "2.0",
        "app_name": "orders",
        "workflow_tracing": True,
        "stages": {"dev": {"workflow_logging": "ALL"}, "prod": {}},
    }
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    dev = resolve_stage_config(tmp_path, "dev", "orders")
    prod = resolve_stage_config(tmp_path, "prod", "orders")
    assert (dev.workflow_logging, dev.workflow_tracing) == ("ALL", True)
    assert (prod.workflow_logging, prod.workflow_tracing) == ("OFF", True)
