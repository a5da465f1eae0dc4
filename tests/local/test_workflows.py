"""Workflows on the local cloud: the real `chalicelike local` in a subprocess, its endpoint
running the app's state machines (moto's interpreter) whose Tasks run in the server's own
workers, driven with boto3 and with `chalicelike workflow start`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelike import Chalice, CORSConfig
from chalicelike.local._gateway import LocalGateway
from chalicelike.local._workflow_machines import local_definition, machine_name
from tests.local.gateway_support import AppLambda, AppState
from tests.local.test_server import free_port, local_server
from tests.workflow_support import (
    EXPECTED_ADDITIONS,
    ORDER_ASL,
    order_input,
    write_workflow_project,
)

MACHINE = "orders-dev-order"
CLI = (sys.executable, "-m", "chalicelike.cli")


def test_tasks_name_the_functions_local_arns_in_nested_machines_too() -> None:
    def arn(function: str) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:orders-dev-{function}"

    local = local_definition(ORDER_ASL, arn)
    states = local["States"]
    assert states["Validate"]["Resource"] == arn("validate")
    price, reserve = (branch["States"] for branch in states["Prepare"]["Branches"])
    assert price["Price"]["Resource"] == arn("price")
    # The lambda:invoke integration keeps its Resource; its FunctionName is the ARN.
    assert reserve["Reserve"]["Resource"] == "arn:aws:states:::lambda:invoke"
    assert reserve["Reserve"]["Parameters"] == {"FunctionName": arn("reserve"), "Payload.$": "$"}
    assert states["Totals"]["ItemProcessor"]["States"]["LineTotal"]["Resource"] == arn("line_total")
    # Nothing else changes, and the declaration's own definition is left as it was.
    assert states["Rejected"] == ORDER_ASL["States"]["Rejected"]
    assert ORDER_ASL["States"]["Validate"]["Resource"] == "function:validate"
    assert machine_name("orders", "prod", "order") == "orders-prod-order"


class Cloud:
    def __init__(self, endpoint: str, log_path: Path) -> None:
        self.endpoint = endpoint
        self.log_path = log_path
        self.states = self.client("stepfunctions")

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def machines(self) -> list[str]:
        return [m["name"] for m in self.states.list_state_machines()["stateMachines"]]

    def wait_for(self, what: str, check: Any, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while not (found := check()):
            assert time.monotonic() < deadline, f"no {what}:\n{self.log_path.read_text()}"
            time.sleep(0.1)
        return found

    def arn(self, name: str) -> str:
        return f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"

    def run(self, document: dict[str, Any], name: str = MACHINE) -> dict[str, Any]:
        """Start an execution, wait for it to end; describe_execution's answer."""
        started = self.states.start_execution(
            stateMachineArn=self.arn(name), input=json.dumps(document)
        )

        def ended() -> Any:
            answer = self.states.describe_execution(executionArn=started["executionArn"])
            return None if answer["status"] == "RUNNING" else answer

        ended_answer: dict[str, Any] = self.wait_for("end of the execution", ended, 60)
        return ended_answer


@contextlib.contextmanager
def live_cloud(project: Path, env: dict[str, str] | None = None) -> Iterator[Cloud]:
    aws_port = free_port()
    with local_server(project, "--aws-port", str(aws_port), env=env) as (_, log_path, _):
        cloud = Cloud(f"http://127.0.0.1:{aws_port}", log_path)
        cloud.wait_for("state machine", lambda: MACHINE in cloud.machines())
        yield cloud


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_workflow_project(tmp_path / "orders")


@pytest.mark.slow
def test_the_order_workflow_runs_its_tasks_in_the_local_lambda(
    project: Path, tmp_path: Path
) -> None:
    with live_cloud(project) as cloud:
        assert cloud.machines() == [MACHINE]
        book = order_input(tmp_path / "attempts")
        ended = cloud.run(book)
        assert ended["status"] == "SUCCEEDED", ended
        assert json.loads(ended["output"]) == {**book, **EXPECTED_ADDITIONS}
        # The Retry saw the function's own errorType, twice, then the third attempt passed.
        events = cloud.states.get_execution_history(executionArn=ended["executionArn"])["events"]
        failures = [
            event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails")
            for event in events
            if event["type"] in ("TaskFailed", "LambdaFunctionFailed")
        ]
        assert [failure["error"] for failure in failures] == ["FlakyError", "FlakyError"]
        assert json.loads(failures[0]["cause"])["errorMessage"] == "attempt 1"
        assert (tmp_path / "attempts").read_text() == "3"
        # Each Task ran in the server's workers, logged as any invocation is.
        assert cloud.log_path.read_text().count("FlakyError: attempt") >= 2

        dvd = cloud.run(order_input(tmp_path / "dvd", kind="dvd"))
        assert (dvd["status"], dvd["error"]) == ("FAILED", "Rejected")
        declined = cloud.run(order_input(tmp_path / "declined", card="declined"))
        assert (declined["status"], declined["error"]) == ("FAILED", "PaymentFailed")


def workflow_command(project: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--project-dir", str(project), "workflow", "start", *args, "--endpoint", endpoint],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_workflow_start_prints_the_output_or_the_error(project: Path, tmp_path: Path) -> None:
    with live_cloud(project) as cloud:
        book = order_input(tmp_path / "attempts")
        (tmp_path / "book.json").write_text(json.dumps(book))
        done = workflow_command(
            project, cloud.endpoint, "order", "--input", str(tmp_path / "book.json")
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {**book, **EXPECTED_ADDITIONS}
        assert f"execution:{MACHINE}:" in done.stderr

        (tmp_path / "dvd.json").write_text(json.dumps(order_input(tmp_path / "d", kind="dvd")))
        failed = workflow_command(
            project, cloud.endpoint, "order", "--input", str(tmp_path / "dvd.json")
        )
        assert failed.returncode == 1
        assert "Rejected" in failed.stderr and "only books are sold" in failed.stderr

        unknown = workflow_command(project, cloud.endpoint, "refund")
        assert unknown.returncode == 2
        assert unknown.stderr.strip().splitlines()[-1].endswith("the workflows are: order")


@pytest.mark.slow
def test_workflow_start_without_a_local_cloud_says_to_start_one(project: Path) -> None:
    done = workflow_command(project, f"http://127.0.0.1:{free_port()}", "order")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "chalicelike local" in done.stderr
    assert "--endpoint" in done.stderr and "AWS_ENDPOINT_URL" in done.stderr


@pytest.mark.slow
def test_a_save_that_removes_the_workflow_deletes_its_machine(project: Path) -> None:
    with live_cloud(project) as cloud:
        app = project / "app.py"
        app.write_text(app.read_text().replace('app.workflow("order", "order.asl.json")', ""))
        cloud.wait_for("deletion", lambda: cloud.machines() == [])
        app.write_text(app.read_text() + '\napp.workflow("order", "order.asl.json")\n')
        cloud.wait_for("machine made again", lambda: cloud.machines() == [MACHINE])


TRIGGERED_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="orders")


@app.lambda_function()
def echo(event, context):
    return event


ECHO = {"Type": "Task", "Resource": "function:echo", "End": True}
DEFINITION = {"StartAt": "Echo", "States": {"Echo": ECHO}}
app.workflow("order", DEFINITION, event_pattern={"source": ["shop.orders"]})
app.workflow("nightly", DEFINITION, schedule="rate(1 minute)")
"""


def outputs(cloud: Cloud, name: str) -> list[dict[str, Any]]:
    found = []
    for execution in cloud.states.list_executions(stateMachineArn=cloud.arn(name))["executions"]:
        answer = cloud.states.describe_execution(executionArn=execution["executionArn"])
        if answer["status"] == "SUCCEEDED":
            found.append(json.loads(answer["output"]))
    return found


@pytest.mark.slow
def test_schedules_and_event_patterns_start_executions(project: Path) -> None:
    (project / "app.py").write_text(TRIGGERED_APP)
    # A minute of schedule time every second.
    with live_cloud(project, env={"CHALICELIKE_LOCAL_CLOCK_SPEED": "60"}) as cloud:
        cloud.wait_for(
            "both machines", lambda: sorted(cloud.machines()) == ["orders-dev-nightly", MACHINE]
        )
        scheduled = cloud.wait_for("a scheduled run", lambda: outputs(cloud, "orders-dev-nightly"))
        assert scheduled[0]["detail-type"] == "Scheduled Event"
        assert scheduled[0]["source"] == "aws.events"

        events = cloud.client("events")

        def put() -> list[dict[str, Any]]:
            # The rule may still be on its way: put until an execution shows it matched.
            events.put_events(
                Entries=[
                    {"Source": "shop.orders", "DetailType": "Order Placed", "Detail": '{"id": 7}'},
                    {"Source": "shop.other", "DetailType": "Order Placed", "Detail": '{"id": 8}'},
                ]
            )
            time.sleep(0.5)
            return outputs(cloud, MACHINE)

        matched = cloud.wait_for("an event's run", put)
        assert {run["source"] for run in matched} == {"shop.orders"}
        assert matched[0]["detail"] == {"id": 7}
        assert matched[0]["account"] == "123456789012"


ROUTE = """

@app.route("/orders", methods=["POST"], workflow="order")
def start_order():
    raise AssertionError("API Gateway starts the workflow: the view is never called")
"""


@pytest.mark.slow
def test_a_route_with_a_workflow_starts_an_execution(project: Path, tmp_path: Path) -> None:
    import requests

    (project / "app.py").write_text((project / "app.py").read_text() + ROUTE)
    aws_port = free_port()
    with local_server(project, "--aws-port", str(aws_port)) as (base_url, log_path, _):
        cloud = Cloud(f"http://127.0.0.1:{aws_port}", log_path)
        cloud.wait_for("state machine", lambda: MACHINE in cloud.machines())
        attempts = tmp_path / "attempts"
        attempts.write_text("2")  # no retry to wait for
        order = order_input(attempts)
        answer = requests.post(base_url + "/orders", json=order, timeout=30)
        assert answer.status_code == 200, answer.text
        started = answer.json()
        assert set(started) == {"executionArn", "startDate"}
        assert f":execution:{MACHINE}:" in started["executionArn"]

        def ended() -> Any:
            found = cloud.states.describe_execution(executionArn=started["executionArn"])
            return None if found["status"] == "RUNNING" else found

        done = cloud.wait_for("end of the execution", ended, 60)
        assert done["status"] == "SUCCEEDED"
        assert json.loads(done["output"]) == {**order, **EXPECTED_ADDITIONS}
        refused = requests.post(base_url + "/orders", data="{", timeout=30)
        assert refused.status_code == 400


def workflow_route_app() -> Chalice:
    app = Chalice(app_name="shop", configure_logs=False)

    @app.lambda_function()
    def echo(event: Any, context: Any) -> Any:
        return event

    task = {"Type": "Task", "Resource": "function:echo", "End": True}
    app.workflow("order", {"StartAt": "Echo", "States": {"Echo": task}})

    @app.route(
        "/orders",
        methods=["POST"],
        workflow="order",
        cors=CORSConfig(allow_origin=["https://shop.example"], expose_headers=["X-Total"]),
    )
    def start_order() -> None:
        raise AssertionError("API Gateway starts the workflow: the view is never called")

    return app


class Starts:
    """What the gateway's StartExecution calls reach: (app, workflow, input) each."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def __call__(self, app_name: str, workflow: str, text: str) -> dict[str, Any]:
        self.calls.append((app_name, workflow, text))
        return {"executionArn": f"arn:aws:states:::execution:{workflow}:1", "startDate": 1.5}


def post(gateway: LocalGateway, headers: dict[str, str], body: bytes) -> tuple[int, Any, Any]:
    """POST /api/orders straight to the ASGI app: (status, headers, parsed body)."""
    lines = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    lines.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "path": "/orders",
        "raw_path": b"/orders", "query_string": b"", "headers": lines,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "scheme": "http",
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(gateway(scope, receive, send))
    answer_headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], answer_headers, json.loads(sent[1]["body"])


@pytest.fixture
def shop_gateway() -> tuple[LocalGateway, Starts]:
    app = workflow_route_app()
    starts = Starts()
    gateway = LocalGateway(
        AppState.of(app), AppLambda(app), log=lambda line: None, start_workflow=starts
    )
    return gateway, starts


def test_a_workflow_route_answers_with_its_cors_headers(
    shop_gateway: tuple[LocalGateway, Starts],
) -> None:
    gateway, starts = shop_gateway
    headers = {"Content-Type": "application/json", "Origin": "https://shop.example"}
    status, answered, body = post(gateway, headers, b'{"n": 1}')
    assert (status, body) == (
        200,
        {"executionArn": "arn:aws:states:::execution:order:1", "startDate": 1.5},
    )
    assert answered["access-control-allow-origin"] == "https://shop.example"
    assert answered["access-control-expose-headers"] == "X-Total"
    assert answered["vary"] == "Origin"
    assert starts.calls == [("shop", "order", '{"n": 1}')]


def test_a_workflow_route_refuses_another_content_type_with_415(
    shop_gateway: tuple[LocalGateway, Starts],
) -> None:
    gateway, starts = shop_gateway
    # A cross-site form POSTs text/plain without a preflight: API Gateway's integration
    # (only an application/json template, passthroughBehavior NEVER) refuses it.
    status, _, body = post(gateway, {"Content-Type": "text/plain"}, b'{"n": 1}')
    assert (status, body) == (415, {"message": "Unsupported Media Type"})
    assert starts.calls == []
    # No Content-Type is taken as application/json, a charset parameter is no other type.
    for headers in ({}, {"Content-Type": "application/json; charset=utf-8"}):
        status, _, _ = post(gateway, headers, b'{"n": 2}')
        assert status == 200
    assert [text for _, _, text in starts.calls] == ['{"n": 2}', '{"n": 2}']


@pytest.fixture(scope="module")
def bare_endpoint() -> Iterator[str]:
    """A moto endpoint running executions, on which no `chalicelike local` made machines."""
    from moto.server import ThreadedMotoServer

    from chalicelike.local._workflow_moto_patches import patch_moto_stepfunctions

    assert patch_moto_stepfunctions()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.mark.slow
def test_workflow_start_says_a_declared_workflows_machine_could_not_be_made(
    project: Path, bare_endpoint: str
) -> None:
    done = workflow_command(project, bare_endpoint, "order")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert "state machine of workflow 'order' could not be created" in last
    assert "`chalicelike local` log says why" in last
    unknown = workflow_command(project, bare_endpoint, "refund")
    assert unknown.stderr.strip().splitlines()[-1].endswith("the workflows are: order")


@pytest.mark.slow
def test_workflow_start_prints_a_failure_without_a_cause_plainly(
    project: Path, bare_endpoint: str
) -> None:
    states = Cloud(bare_endpoint, project / "no.log").states
    fail = {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Rejected"}}}
    role = "arn:aws:iam::123456789012:role/chalicelike-local-workflows"
    made = states.create_state_machine(name=MACHINE, definition=json.dumps(fail), roleArn=role)
    try:
        done = workflow_command(project, bare_endpoint, "order")
    finally:
        states.delete_state_machine(stateMachineArn=made["stateMachineArn"])
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "FAILED: Rejected"
