"""Declaring workflows: `app.workflow` (on apps and blueprints), the Python builder
(`chalicelike.workflows`), definitions read from project files, and the manifest that
carries them — with one message naming every problem when one is not valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Blueprint, Chalice, Rate
from chalicelike._core._errors import RegistrationError
from chalicelike._tooling._manifest import AppManifest, describe_app
from chalicelike._tooling._workflows import WorkflowError
from chalicelike.workflows import (
    Catch,
    Choice,
    Fail,
    Map,
    Parallel,
    Pass,
    Retry,
    Succeed,
    Task,
    Wait,
    Workflow,
)
from tests.workflow_support import ORDER_ASL


def order_app() -> Chalice:
    app = Chalice(app_name="orders")
    for name in ("validate", "price", "reserve", "line_total", "charge"):
        app.lambda_function(name=name)(lambda event, context: event)
    return app


def built_order() -> Workflow:
    """ORDER_ASL, written with the builder."""
    rejected = Fail("Rejected", error="Rejected", cause="only books are sold")
    failed = Fail("PaymentFailed", error="PaymentFailed", cause="the card was declined")
    reserve = Task(
        "Reserve",
        resource="arn:aws:states:::lambda:invoke",
        parameters={"FunctionName": "function:reserve", "Payload.$": "$"},
        result_selector={"reserved.$": "$.Payload.reserved"},
        retry=[Retry(["FlakyError"], interval_seconds=1, max_attempts=2, backoff_rate=1.0)],
    )
    prepare = Parallel("Prepare", [Task("Price", "price"), reserve], result_path="$.prepared")
    totals = Map(
        "Totals", Task("LineTotal", "line_total"), items_path="$.lines", result_path="$.totals"
    )
    charge = Task(
        "Charge",
        "charge",
        result_path="$.payment",
        catch=[Catch(["States.ALL"], failed, result_path="$.error")],
    )
    route = (
        Choice("Route")
        .when({"Variable": "$.kind", "StringEquals": "book"}, prepare.next(totals).next(charge))
        .otherwise(rejected)
    )
    comment = ORDER_ASL["Comment"]
    return Workflow(Task("Validate", "validate").next(route), comment=comment)


def without_processor_config(machine: dict[str, Any]) -> dict[str, Any]:
    machine = json.loads(json.dumps(machine))
    machine["States"]["Totals"]["ItemProcessor"].pop("ProcessorConfig")
    return machine


def test_the_builder_writes_the_same_asl_as_the_hand_written_one() -> None:
    built = built_order().to_asl()
    assert without_processor_config(built) == ORDER_ASL
    assert built["States"]["Totals"]["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}


def test_the_builders_other_states() -> None:
    done = Succeed("Done")
    wait = Wait("Pause", seconds_path="$.delay")
    machine = Workflow(Pass("Start", result={"x": 1}, result_path="$.start").next(wait).next(done))
    assert machine.to_asl() == {
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.start", "Next": "Pause"},
            "Pause": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Task("T"), "give one of function= and resource="),
        (lambda: Wait("W"), "give exactly one of seconds"),
        (lambda: Succeed("S").next(Pass("P")), "ends the execution: it has no next"),
        (lambda: Choice("C").next(Pass("P")), "goes on by its rules"),
        (lambda: Workflow(Pass("A").next(Pass("A"))).to_asl(), "two different states are named"),
        (lambda: Pass(""), "1-80 characters"),
    ],
)
def test_the_builder_refuses_what_asl_cannot_say(build: Any, message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        build()


def test_a_declared_workflow_reaches_the_manifest_checked(tmp_path: Path) -> None:
    app = order_app()
    app.workflow("order", built_order(), schedule=Rate(1, unit=Rate.HOURS))
    app.workflow("by-hand", ORDER_ASL, event_pattern={"source": ["shop"]})
    manifest = describe_app(app, project_dir=tmp_path)
    order = manifest.workflow("order")
    assert order is not None and order.schedule == "rate(1 hour)"
    assert order.functions == ["validate", "price", "reserve", "line_total", "charge"]
    by_hand = manifest.workflow("by-hand")
    assert by_hand is not None and by_hand.event_pattern == {"source": ["shop"]}
    # The manifest travels as JSON (from the describe child) and comes back the same.
    assert AppManifest.from_json(json.loads(json.dumps(manifest.to_json()))) == manifest


@pytest.mark.parametrize("suffix", [".asl.json", ".asl.yaml"])
def test_a_definition_is_read_from_a_project_file(tmp_path: Path, suffix: str) -> None:
    import yaml

    text = json.dumps(ORDER_ASL) if suffix.endswith("json") else yaml.safe_dump(ORDER_ASL)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / f"order{suffix}").write_text(text)
    app = order_app()
    app.workflow("order", f"flows/order{suffix}")
    workflow = describe_app(app, project_dir=tmp_path).workflow("order")
    assert workflow is not None and workflow.definition == ORDER_ASL


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("../outside.asl.json", "is outside the project"),
        ("missing.asl.json", "cannot read"),
        ("broken.asl.json", "is not valid JSON"),
        (42, "must be an ASL dict, a chalicelike.workflows Workflow or a path"),
    ],
)
def test_a_definition_that_cannot_be_read_says_why(
    tmp_path: Path, definition: Any, message: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.asl.json").write_text(json.dumps(ORDER_ASL))
    (project / "broken.asl.json").write_text("{")
    app = order_app()
    app.workflow("order", definition)
    with pytest.raises(WorkflowError, match=f"^workflow 'order': .*{message}"):
        describe_app(app, project_dir=project)


def test_every_problem_of_every_workflow_is_named_at_once(tmp_path: Path) -> None:
    app = order_app()
    broken = json.loads(json.dumps(ORDER_ASL))
    broken["States"]["Validate"]["Next"] = "Nowhere"
    app.workflow("one", broken)
    app.workflow(
        "two",
        {"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "function:x", "End": True}}},
    )
    with pytest.raises(WorkflowError) as raised:
        describe_app(app, project_dir=tmp_path)
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("workflow 'one': state 'Validate': Next 'Nowhere' is not a state")
    assert any(
        line.startswith("workflow 'two': state 'X': 'function:x' names no") for line in lines
    )


def test_names_are_step_functions_names_and_unique() -> None:
    app = order_app()
    with pytest.raises(RegistrationError, match="Step Functions takes 1-80 characters"):
        app.workflow("has space", ORDER_ASL)
    with pytest.raises(RegistrationError, match="event_pattern must be a dict"):
        app.workflow("order", ORDER_ASL, event_pattern="shop")  # type: ignore[arg-type]
    app.workflow("order", ORDER_ASL)
    with pytest.raises(RegistrationError, match="Two workflows are named 'order'"):
        app.workflow("order", ORDER_ASL)


def test_a_blueprint_carries_workflows_that_name_its_functions(tmp_path: Path) -> None:
    billing = Blueprint(__name__)
    billing.lambda_function(name="charge")(lambda event, context: event)
    billing.workflow(
        "flow",
        {
            "StartAt": "C",
            "States": {"C": {"Type": "Task", "Resource": "function:charge", "End": True}},
        },
    )
    app = Chalice(app_name="shop")
    app.lambda_function(name="charge")(lambda event, context: event)
    app.register_blueprint(billing, name_prefix="billing_")
    workflow = describe_app(app, project_dir=tmp_path).workflow("billing_flow")
    assert workflow is not None
    assert workflow.functions == ["billing_charge"]
    assert workflow.definition["States"]["C"]["Resource"] == "function:billing_charge"


def test_a_route_may_start_a_workflow_that_the_app_declares(tmp_path: Path) -> None:
    from chalicelike.test import TestHTTPClient

    app = order_app()
    app.workflow("order", ORDER_ASL)

    @app.route("/orders", methods=["POST"], workflow="order")
    def start_order() -> None:
        raise AssertionError("never called")

    (route,) = describe_app(app, project_dir=tmp_path).routes
    assert (route.path, route.method, route.workflow) == ("/orders", "POST", "order")
    # Served without API Gateway's integration (an ASGI server, Lambda behind another
    # door), the route says what it is for.
    answer = TestHTTPClient(app, "dev").post("/orders", body="{}")
    assert answer.status_code == 501
    assert (
        "starts workflow 'order' through API Gateway's StartExecution"
        in answer.json_body["Message"]
    )


def test_a_route_naming_an_undeclared_workflow_is_named(tmp_path: Path) -> None:
    app = order_app()
    app.workflow("order", ORDER_ASL)
    app.route("/orders", methods=["POST"], workflow="ordr")(lambda: None)
    with pytest.raises(WorkflowError, match=r"route POST /orders starts workflow 'ordr', which"):
        describe_app(app, project_dir=tmp_path)
    with pytest.raises(RegistrationError, match="Step Functions takes 1-80 characters"):
        app.route("/x", methods=["POST"], workflow="a b")(lambda: None)


def test_null_is_written_where_asl_takes_one() -> None:
    from chalicelike.workflows import NULL

    failed = Fail("Failed", error_path="$.error.Error", cause_path="$.error.Cause")
    task = Task("Work", "work", catch=[Catch(["States.ALL"], failed, result_path="$.error")])
    asl = Workflow(Pass("Log", result_path=NULL, output_path=NULL).next(task)).to_asl()
    assert asl["States"]["Log"] == {
        "Type": "Pass",
        "ResultPath": None,
        "OutputPath": None,
        "Next": "Work",
    }
    assert asl["States"]["Failed"] == {
        "Type": "Fail",
        "ErrorPath": "$.error.Error",
        "CausePath": "$.error.Cause",
    }
    functions = {"work"}
    from chalicelike._tooling._workflow_check import check_definition

    assert check_definition(asl, functions).problems == []
