"""`client.workflows.run(name, input)`: one Step Functions execution in-process (moto's
interpreter), each Task running the app's function as `client.lambda_.invoke` does."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Chalice, CORSConfig
from chalicelike._tooling._workflow_check import check_definition
from chalicelike._tooling._workflow_runner import (
    MAX_INPUT_BYTES,
    PARSER_LOGGER,
    with_function_arns,
)
from chalicelike._tooling._workflows import WorkflowError, state_machine_name
from chalicelike.test import Client, WorkflowNotFoundError, WorkflowRun
from tests.workflow_support import EXPECTED_ADDITIONS, order_input, write_workflow_project


def import_app(project: Path) -> Any:
    """The project's app.py under a module name of its own (no sys.path or sys.modules
    entry left behind for the next test)."""
    spec = importlib.util.spec_from_file_location(f"app_{uuid.uuid4().hex}", project / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@pytest.fixture
def orders(tmp_path: Path) -> Client:
    project = write_workflow_project(tmp_path / "orders")
    return Client(import_app(project), project_dir=str(project))


def task_events(run: WorkflowRun, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return [event for event in run.history if event["type"] in kinds]


@pytest.mark.slow  # Reserve's two retries wait their IntervalSeconds (1 s each)
def test_an_order_succeeds_after_reserve_is_retried_twice(orders: Client, tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    order = order_input(attempts)
    run = orders.workflows.run("order", order)
    assert (run.status, run.error, run.cause) == ("SUCCEEDED", None, None)
    assert run.output == {**order, **EXPECTED_ADDITIONS}
    assert attempts.read_text() == "3"
    # Reserve is the only lambda:invoke integration: Task* events are its attempts.
    outcomes = task_events(run, ("TaskFailed", "TaskSucceeded"))
    assert [event["type"] for event in outcomes] == ["TaskFailed", "TaskFailed", "TaskSucceeded"]
    failure = outcomes[0]["taskFailedEventDetails"]
    assert failure["error"] == "FlakyError"
    assert json.loads(failure["cause"])["errorMessage"] == "attempt 1"
    assert run.states[:3] == ["Validate", "Route", "Prepare"]
    assert run.states.count("LineTotal") == 2 and run.states[-1] == "Charge"
    assert run.history[-1]["type"] == "ExecutionSucceeded"


def test_an_order_that_is_not_a_book_is_rejected(orders: Client, tmp_path: Path) -> None:
    run = orders.workflows.run("order", order_input(tmp_path / "attempts", kind="dvd"))
    assert (run.status, run.error, run.cause) == ("FAILED", "Rejected", "only books are sold")
    assert run.output is None
    assert run.states == ["Validate", "Route", "Rejected"]
    assert not (tmp_path / "attempts").exists()  # Reserve never ran
    assert run.history[-1]["type"] == "ExecutionFailed"


def test_a_declined_card_ends_in_payment_failed(orders: Client, tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    attempts.write_text("2")  # Reserve succeeds at once: no retry to wait for
    run = orders.workflows.run("order", order_input(attempts, card="declined"))
    assert (run.status, run.error) == ("FAILED", "PaymentFailed")
    assert run.states[-2:] == ["Charge", "PaymentFailed"]
    # Charge raised DeclinedError: Lambda's function error, named after the class.
    (failed,) = task_events(run, ("LambdaFunctionFailed",))
    details = failed["lambdaFunctionFailedEventDetails"]
    assert details["error"] == "DeclinedError"
    cause = json.loads(details["cause"])
    assert (cause["errorType"], cause["errorMessage"]) == ("DeclinedError", "card declined")
    assert any("raise DeclinedError" in line for line in cause["stackTrace"])


def test_an_unknown_workflow_is_named_with_the_apps_workflows(orders: Client) -> None:
    with pytest.raises(WorkflowNotFoundError) as raised:
        orders.workflows.run("ordr", {})
    assert str(raised.value) == ("No workflow named 'ordr' in app 'orders'; its workflows: 'order'")
    assert isinstance(raised.value, LookupError)


def test_an_app_without_workflows_says_so() -> None:
    app = Chalice(app_name="plain", configure_logs=False)
    with pytest.raises(WorkflowNotFoundError, match=r"app 'plain' declares none"):
        Client(app).workflows.run("order")


def test_a_bad_definition_raises_the_checkers_message() -> None:
    app = Chalice(app_name="broken", configure_logs=False)

    @app.lambda_function()
    def step(event: Any, context: Any) -> Any:
        return event

    definition = {
        "StartAt": "Step",
        "States": {"Step": {"Type": "Task", "Resource": "function:step", "Next": "Nowhere"}},
    }
    app.workflow("broken", definition)
    problems = check_definition(definition, {"step"}).problems
    assert problems  # the checker finds the dangling Next
    with pytest.raises(WorkflowError) as raised:
        Client(app).workflows.run("broken")
    assert str(raised.value) == "\n".join(f"workflow 'broken': {p}" for p in problems)


def test_input_that_is_not_json_is_refused(orders: Client) -> None:
    with pytest.raises(TypeError, match=r"workflow 'order': the input must be JSON"):
        orders.workflows.run("order", {"when": object()})


def echo_app(app_name: str, marker: str) -> Chalice:
    """An app whose workflow 'echo' runs `mark` (adds `marker`), then, if the input says so,
    waits a second and runs `mark` again."""
    app = Chalice(app_name=app_name, configure_logs=False)
    started = threading.Event()

    @app.lambda_function()
    def mark(event: Any, context: Any) -> Any:
        started.set()
        return {
            **event,
            "marks": [*event.get("marks", []), marker],
            "function": context.function_name,
            "variable": os.environ.get("CHL_WORKFLOW_VAR"),
        }

    app.started = started  # type: ignore[attr-defined]
    app.workflow(
        "echo",
        {
            "StartAt": "Mark",
            "States": {
                "Mark": {"Type": "Task", "Resource": "function:mark", "Next": "Again?"},
                "Again?": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "Wait"}],
                    "Default": "Done",
                },
                "Wait": {"Type": "Wait", "Seconds": 1, "Next": "MarkAgain"},
                "MarkAgain": {"Type": "Task", "Resource": "function:mark", "End": True},
                "Done": {"Type": "Succeed"},
            },
        },
    )
    return app


def test_a_task_runs_with_its_functions_environment_and_context(tmp_path: Path) -> None:
    config = {
        "version": "2.0",
        "app_name": "echo",
        "stages": {
            "dev": {
                "lambda_functions": {
                    "mark": {"environment_variables": {"CHL_WORKFLOW_VAR": "from-config"}}
                }
            }
        },
    }
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    client = Client(echo_app("echo", "a"), project_dir=str(tmp_path))
    run = client.workflows.run("echo", {"n": 1})
    assert run.status == "SUCCEEDED"
    assert run.output == {"n": 1, "marks": ["a"], "function": "mark", "variable": "from-config"}
    assert "CHL_WORKFLOW_VAR" not in os.environ  # set while `mark` ran only


def test_a_function_result_json_cannot_write_is_lambdas_marshal_error() -> None:
    app = Chalice(app_name="marshal", configure_logs=False)

    @app.lambda_function()
    def odd(event: Any, context: Any) -> Any:
        return {"value": object()}

    app.workflow(
        "odd",
        {
            "StartAt": "Odd",
            "States": {"Odd": {"Type": "Task", "Resource": "function:odd", "End": True}},
        },
    )
    run = Client(app).workflows.run("odd")
    assert (run.status, run.error) == ("FAILED", "Runtime.MarshalError")
    assert "Unable to marshal response" in json.loads(run.cause or "{}")["errorMessage"]


@pytest.mark.slow  # the first run's Wait state lasts a second
def test_two_clients_running_at_once_each_call_their_own_app() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        lambda_eval_utils,
    )
    from moto.stepfunctions.parser.asl.utils import boto_client

    first_app, second_app = echo_app("same", "first"), echo_app("same", "second")
    outcome: dict[str, WorkflowRun] = {}

    def run_first() -> None:
        outcome["first"] = Client(first_app).workflows.run("echo", {"again": True})

    worker = threading.Thread(target=run_first)
    worker.start()
    assert first_app.started.wait(10)  # type: ignore[attr-defined]
    # The first execution is in its Wait state, its run still routed, while the second runs.
    second = Client(second_app).workflows.run("echo", {"again": False})
    worker.join(10)
    assert second.output["marks"] == ["second"]
    assert outcome["first"].output["marks"] == ["first", "first"]
    assert outcome["first"].states == ["Mark", "Again?", "Wait", "MarkAgain"]
    # moto's own Lambda client factory is back once no run is on.
    assert vars(lambda_eval_utils)["boto_client_for"] is boto_client.boto_client_for


def test_a_run_past_its_timeout_is_stopped_and_raises() -> None:
    app = echo_app("slow", "only")
    with pytest.raises(TimeoutError, match=r"workflow 'echo' still running after 0.2 s"):
        Client(app).workflows.run("echo", {"again": True}, timeout=0.2)


def test_a_workflow_run_from_inside_a_task_is_refused_not_hung() -> None:
    app = Chalice(app_name="nested", configure_logs=False)
    client = Client(app)

    @app.lambda_function()
    def outer(event: Any, context: Any) -> Any:
        return client.workflows.run("inner").status

    @app.lambda_function()
    def inner(event: Any, context: Any) -> Any:
        return event

    for name in ("outer", "inner"):
        task = {"Type": "Task", "Resource": f"function:{name}", "End": True}
        app.workflow(name, {"StartAt": "Only", "States": {"Only": task}})
    run = client.workflows.run("outer", timeout=10)
    assert (run.status, run.error) == ("FAILED", "RuntimeError")
    assert "from inside a function" in json.loads(run.cause or "{}")["errorMessage"]


def test_a_run_inside_an_apps_mock_aws_leaves_its_moto_to_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # mock_aws intercepts AWS's own endpoints only: no endpoint another test pointed at.
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    app = Chalice(app_name="stores", configure_logs=False)

    @app.lambda_function()
    def store(event: Any, context: Any) -> Any:
        boto3.client("s3").put_object(Bucket="orders-bucket", Key="order", Body=b"42")
        return {"stored": True}

    task = {"Type": "Task", "Resource": "function:store", "End": True}
    app.workflow("store", {"StartAt": "Store", "States": {"Store": task}})
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="orders-bucket")
        run = Client(app).workflows.run("store")
        # The Task ran the app's function (not moto's Lambda), whose S3 call reached the
        # test's moto, whose bucket the run left in place.
        assert (run.status, run.output) == ("SUCCEEDED", {"stored": True})
        assert s3.get_object(Bucket="orders-bucket", Key="order")["Body"].read() == b"42"


ROUTE = """

@app.route("/orders", methods=["POST"], workflow="order")
def start_order():
    raise AssertionError("API Gateway starts the workflow: the view is never called")
"""


def test_a_route_with_a_workflow_starts_it_and_answers_its_arn(tmp_path: Path) -> None:
    project = write_workflow_project(tmp_path / "orders")
    (project / "app.py").write_text((project / "app.py").read_text() + ROUTE)
    client = Client(import_app(project), project_dir=str(project))
    attempts = tmp_path / "attempts"
    attempts.write_text("2")  # no retry to wait for
    order = order_input(attempts)
    answer = client.http.post(
        "/orders", body=json.dumps(order), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.body
    started = answer.json_body
    assert set(started) == {"executionArn", "startDate"}
    assert ":execution:orders-dev-order:" in started["executionArn"]
    run = client.workflows.last_run
    assert run is not None and run.execution_arn == started["executionArn"]
    assert (run.status, run.output) == ("SUCCEEDED", {**order, **EXPECTED_ADDITIONS})
    # A body that is not JSON is refused as Step Functions refuses such an input.
    refused = client.http.post("/orders", body="{", headers={"Content-Type": "application/json"})
    assert refused.status_code == 400
    assert refused.json_body["__type"] == "InvalidExecutionInput"


def echo_route_app(cors: Any = None) -> Chalice:
    """An app whose POST /echo starts the workflow 'echo' (one Task returning its input)."""
    app = Chalice(app_name="routes", configure_logs=False)

    @app.lambda_function()
    def echo(event: Any, context: Any) -> Any:
        return event

    task = {"Type": "Task", "Resource": "function:echo", "End": True}
    app.workflow("echo", {"StartAt": "Echo", "States": {"Echo": task}})

    @app.route("/echo", methods=["POST"], workflow="echo", cors=cors)
    def start_echo() -> None:
        raise AssertionError("API Gateway starts the workflow: the view is never called")

    return app


def test_a_workflow_route_with_cors_answers_with_its_headers() -> None:
    client = Client(echo_route_app(cors=CORSConfig(allow_origin=["https://shop.example"])))
    answer = client.http.post(
        "/echo",
        body='{"n": 1}',
        headers={"Content-Type": "application/json", "Origin": "https://shop.example"},
    )
    assert answer.status_code == 200, answer.body
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert answer.headers["Vary"] == "Origin"
    plain = Client(echo_route_app()).http.post("/echo", body="{}")
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_a_workflow_route_refuses_a_body_that_is_not_json_typed() -> None:
    client = Client(echo_route_app(cors=True))
    # A cross-site form can POST text/plain without a preflight: API Gateway's integration
    # has no template for it (passthroughBehavior NEVER) and answers 415; nothing starts.
    refused = client.http.post("/echo", body='{"n": 1}', headers={"Content-Type": "text/plain"})
    assert (refused.status_code, refused.json_body) == (415, {"message": "Unsupported Media Type"})
    assert client.workflows.last_run is None
    # No Content-Type is taken as application/json; a charset parameter changes nothing.
    for headers in ({}, {"content-type": "application/json; charset=utf-8"}):
        started = client.http.post("/echo", body='{"n": 2}', headers=headers)
        assert started.status_code == 200, started.body
        assert client.workflows.last_run is not None
        assert client.workflows.last_run.output == {"n": 2}


def test_a_task_past_its_functions_lambda_timeout_fails_as_lambda_times_out(
    tmp_path: Path,
) -> None:
    config = {
        "version": "2.0",
        "app_name": "slow",
        "stages": {"dev": {"lambda_functions": {"sleepy": {"lambda_timeout": 1}}}},
    }
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    app = Chalice(app_name="slow", configure_logs=False)
    release = threading.Event()

    @app.lambda_function()
    def sleepy(event: Any, context: Any) -> Any:
        release.wait(10)
        return event

    task = {"Type": "Task", "Resource": "function:sleepy", "End": True}
    app.workflow("nap", {"StartAt": "Nap", "States": {"Nap": task}})
    started = time.monotonic()
    try:
        run = Client(app, project_dir=str(tmp_path)).workflows.run("nap", timeout=8)
    finally:
        release.set()  # the function's thread ends in the background
    assert 1 <= time.monotonic() - started < 5
    assert (run.status, run.error) == ("FAILED", "Sandbox.Timedout")
    cause = json.loads(run.cause or "{}")
    assert cause["errorType"] == "Sandbox.Timedout"
    assert cause["errorMessage"] == "Task timed out after 1.00 seconds"


def test_wait_for_task_token_tasks_name_the_functions_arn_too() -> None:
    token_task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "function:ask", "Payload": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    definition = {"StartAt": "Ask", "States": {"Ask": token_task}}
    substituted = with_function_arns(definition, lambda name: f"arn:{name}")
    assert substituted["States"]["Ask"]["Parameters"]["FunctionName"] == "arn:ask"
    assert definition["States"]["Ask"]["Parameters"]["FunctionName"] == "function:ask"


def test_an_input_above_256_kib_is_refused_before_it_runs(orders: Client) -> None:
    with pytest.raises(ValueError, match=r"above Step Functions' limit of 262144 bytes"):
        orders.workflows.run("order", {"blob": "x" * MAX_INPUT_BYTES})


def test_names_are_as_aws_gives_them_and_a_stack_trace_starts_at_the_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Chalice(app_name="a" * 70, configure_logs=False)

    @app.lambda_function()
    def fail(event: Any, context: Any) -> Any:
        raise KeyError("missing")

    task = {"Type": "Task", "Resource": "function:fail", "End": True}
    app.workflow("failing", {"StartAt": "Fail", "States": {"Fail": task}})
    run = Client(app).workflows.run("failing")
    machine, execution = run.execution_arn.split(":")[-2:]
    assert machine == state_machine_name("a" * 70, "dev", "failing")
    assert len(machine) == 80
    assert str(uuid.UUID(execution)) == execution  # a dashed UUID
    stack = json.loads(run.cause or "{}")["stackTrace"]
    # From the handler down, as Lambda's runtime shows it: none of the client's frames.
    assert not any("chalicelike/test.py" in line or "_workflow_runner" in line for line in stack)
    assert 'raise KeyError("missing")' in stack[-1]
    # moto's interpreter logs nothing of the failed state (its context is kilobytes long).
    assert not [record for record in caplog.records if record.name.startswith(PARSER_LOGGER)]
