"""The console's workflows API on the real `chalicelike local` and its AWS endpoint: the
manifest's workflows with their executions on the local Step Functions, and one execution
folded per state (entered or not, input, output, the Fail's error, a Catch, retries, and the
order workflow's Tasks linked to the invocations they made)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from chalicelike.local._console_workflows import fold_history
from tests.local.project_support import write_project
from tests.local.test_server import free_port, local_server
from tests.workflow_support import ORDER_ASL, order_input, write_workflow_project

# The local cloud says so once it has read the app and made what it declares.
CLOUD_READY = ("event sources live", "as state machines")
REGION, ACCOUNT = "us-east-1", "123456789012"
API = "/_chalicelike/api/workflows"

FLOW_ASL: dict[str, Any] = {
    "StartAt": "Stamp",
    "States": {
        "Stamp": {
            "Type": "Pass",
            "Result": {"by": "console"},
            "ResultPath": "$.stamp",
            "Next": "Route",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.go", "StringEquals": "fail", "Next": "Refuse"}],
            "Default": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Broken",
                    "States": {"Broken": {"Type": "Fail", "Error": "Half", "Cause": "one half"}},
                },
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Recover"}],
            "Next": "Pause",
        },
        "Recover": {"Type": "Pass", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 0, "End": True},
        "Refuse": {"Type": "Fail", "Error": "Refused", "Cause": "asked to fail"},
    },
}
APP = f"""\
from chalicelike import Chalice

app = Chalice(app_name="shop")


@app.lambda_function()
def noop(event, context):
    return event


app.workflow("flow", {FLOW_ASL!r})
"""
CONFIG = {"version": "2.0", "app_name": "shop", "stages": {"dev": {}}}


@contextlib.contextmanager
def served(project: Path, *extra: str) -> Iterator[tuple[str, str]]:
    """The server with its endpoint, once its sources are live: (base URL, endpoint URL)."""
    aws_port = free_port()
    with local_server(project, "--aws-port", str(aws_port), *extra) as (base_url, log_path, _):
        deadline = time.monotonic() + 30
        while not any(line in log_path.read_text() for line in CLOUD_READY):
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield base_url, f"http://127.0.0.1:{aws_port}"


def stepfunctions(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def machine_exists(client: Any, name: str) -> bool:
    try:
        client.describe_state_machine(stateMachineArn=machine_arn(name))
    except client.exceptions.StateMachineDoesNotExist:
        return False
    return True


def wait_for_machine(client: Any, name: str, timeout: float = 30) -> None:
    """The local cloud makes the app's state machines on its first sync, just after start."""
    import time

    deadline = time.monotonic() + timeout
    while not machine_exists(client, name):
        assert time.monotonic() < deadline, f"the local cloud made no state machine {name}"
        time.sleep(0.1)


def ensure_flow_machine(endpoint: str) -> Any:
    """shop-dev-flow on the endpoint, run by moto's interpreter: made here if the local
    cloud did not deploy the app's workflow itself."""
    answer = requests.post(
        endpoint + "/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    client = stepfunctions(endpoint)
    if not machine_exists(client, "shop-dev-flow"):
        client.create_state_machine(
            name="shop-dev-flow",
            definition=json.dumps(FLOW_ASL),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/flow",
        )
    return client


def run(client: Any, machine: str, name: str, payload: Any, timeout: float = 60) -> str:
    arn = client.start_execution(
        stateMachineArn=machine_arn(machine), name=name, input=json.dumps(payload)
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while client.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{name} still running"
        time.sleep(0.1)
    return str(arn)


def by_name(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {state["name"]: state for state in states}


@pytest.mark.slow
def test_workflows_list_their_definition_and_executions(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    with served(project) as (base_url, endpoint):
        client = ensure_flow_machine(endpoint)
        run(client, "shop-dev-flow", "first", {"go": "on"})
        run(client, "shop-dev-flow", "second", {"go": "fail"})
        answer = requests.get(base_url + API, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["local_cloud"] is True
        (flow,) = answer.json()["workflows"]
        assert flow["name"] == "flow"
        assert flow["state_machine_arn"] == machine_arn("shop-dev-flow")
        assert flow["deployed"] is True
        assert flow["definition"]["StartAt"] == "Stamp"
        assert flow["definition"]["States"]["Refuse"]["Error"] == "Refused"
        # Newest first, as Step Functions lists them.
        executions = [(e["name"], e["status"]) for e in flow["executions"]]
        assert executions == [("second", "FAILED"), ("first", "SUCCEEDED")]
        first = flow["executions"][1]
        assert first["arn"].endswith(":execution:shop-dev-flow:first")
        assert first["started_at"] <= first["stopped_at"] <= time.time() + 1


@pytest.mark.slow
def test_an_execution_is_folded_per_state(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    with served(project) as (base_url, endpoint):
        client = ensure_flow_machine(endpoint)
        arn = run(client, "shop-dev-flow", "caught", {"go": "on"})
        answer = requests.get(f"{base_url}{API}/flow/executions/caught", timeout=10)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["execution"]["status"] == "SUCCEEDED"
        assert json.loads(body["execution"]["input"]) == {"go": "on"}
        states = by_name(body["states"])
        # Every state of the machine, nested ones included, in the definition's order.
        assert list(states) == [
            "Stamp",
            "Route",
            "Both",
            "Left",
            "Broken",
            "Recover",
            "Pause",
            "Refuse",
        ]
        assert states["Stamp"]["status"] == "succeeded"
        (stamp,) = states["Stamp"]["runs"]
        assert json.loads(stamp["input"]) == {"go": "on"}
        assert json.loads(stamp["output"])["stamp"] == {"by": "console"}
        assert stamp["entered_at"] <= stamp["exited_at"]
        assert states["Both"]["status"] == "caught"
        assert json.loads(states["Both"]["runs"][0]["output"])["caught"]["Error"] == "Half"
        assert states["Broken"]["status"] == "failed"
        assert states["Broken"]["runs"][0]["error"] == "Half"
        # Step Functions stops a Parallel's other branches when one fails, so how far the
        # sibling Pass got before Broken failed is a race (moto runs branches in threads):
        # done, never entered, or entered and stopped (which the fold calls failed).
        left = states["Left"]
        assert left["status"] in ("succeeded", "not_entered", "failed")
        assert (left["status"] == "not_entered") == (not left["runs"])
        assert states["Recover"]["status"] == "succeeded"
        assert states["Pause"]["status"] == "succeeded"
        assert states["Refuse"] == {**states["Refuse"], "status": "not_entered", "entered": 0}
        # The ARN, quoted, names the same execution.
        again = requests.get(f"{base_url}{API}/flow/executions/{quote(arn, safe='')}", timeout=10)
        assert again.json()["execution"] == body["execution"]


@pytest.mark.slow
def test_a_failed_execution_marks_its_fail_state(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    with served(project) as (base_url, endpoint):
        client = ensure_flow_machine(endpoint)
        run(client, "shop-dev-flow", "refused", {"go": "fail"})
        body = requests.get(f"{base_url}{API}/flow/executions/refused", timeout=10).json()
        assert body["execution"]["status"] == "FAILED"
        assert body["execution"]["error"] == "Refused"
        states = by_name(body["states"])
        assert states["Refuse"]["status"] == "failed"
        assert states["Refuse"]["runs"][0]["error"] == "Refused"
        assert states["Refuse"]["runs"][0]["cause"] == "asked to fail"
        assert states["Route"]["status"] == "succeeded"
        assert {
            states[name]["status"] for name in ("Both", "Left", "Broken", "Recover", "Pause")
        } == {"not_entered"}


@pytest.mark.slow
def test_unknown_workflows_and_executions_are_404s_and_other_sites_403s(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    with served(project) as (base_url, endpoint):
        client = ensure_flow_machine(endpoint)
        answer = requests.get(f"{base_url}{API}/nope/executions/x", timeout=10)
        assert answer.status_code == 404
        assert answer.json()["error"] == "the app has no workflow 'nope'; its workflows: flow"
        answer = requests.get(f"{base_url}{API}/flow/executions/never-ran", timeout=10)
        assert answer.status_code == 404
        assert answer.json()["error"] == "workflow 'flow' has no execution 'never-ran'"
        other = quote(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:other:x", safe="")
        answer = requests.get(f"{base_url}{API}/flow/executions/{other}", timeout=10)
        assert answer.status_code == 404
        # Executions hold what the app was sent: another site's page reads none of it.
        run(client, "shop-dev-flow", "private", {"go": "on"})
        for headers in ({"Host": "evil.example"}, {"Origin": "http://evil.example"}):
            for path in (API, API + "/flow/executions/private"):
                answer = requests.get(base_url + path, headers=headers, timeout=10)
                assert answer.status_code == 403, (path, headers)
                assert "private" not in answer.text


@pytest.mark.slow
def test_without_the_local_cloud_workflows_are_listed_but_not_run(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    with local_server(project, "--no-aws") as (base_url, _, _):
        listed = requests.get(base_url + API, timeout=10).json()
        assert listed["local_cloud"] is False
        (flow,) = listed["workflows"]
        assert (flow["name"], flow["deployed"], flow["executions"]) == ("flow", False, [])
        assert flow["state_machine_arn"] is None
        assert flow["definition"]["StartAt"] == "Stamp"
        answer = requests.get(base_url + API + "/flow/executions/x", timeout=10)
        assert answer.status_code == 503
        assert "--no-aws" in answer.json()["error"]


@pytest.mark.slow
def test_the_order_workflows_tasks_link_to_their_invocations(tmp_path: Path) -> None:
    project = write_workflow_project(tmp_path / "orders")
    with served(project) as (base_url, endpoint):
        client = stepfunctions(endpoint)
        wait_for_machine(client, "orders-dev-order")
        run(client, "orders-dev-order", "book", order_input(tmp_path / "attempts"))
        run(client, "orders-dev-order", "declined", order_input(tmp_path / "a2", card="declined"))
        body = requests.get(f"{base_url}{API}/order/executions/book", timeout=10).json()
        assert body["execution"]["status"] == "SUCCEEDED"
        states = by_name(body["states"])
        invocations = requests.get(base_url + "/_chalicelike/api/invocations", timeout=10).json()
        records = {record["id"]: record for record in invocations["invocations"]}
        # Reserve failed twice under its Retry, then succeeded: three invocations, linked.
        reserve = states["Reserve"]
        assert (reserve["status"], reserve["retries"]) == ("succeeded", 2)
        assert [records[i]["function"] for i in reserve["invocations"]] == ["reserve"] * 3
        assert [records[i]["status"] for i in reserve["invocations"]] == ["error", "error", "ok"]
        # The Map ran LineTotal once per line, each with its own line as its event.
        line_total = states["LineTotal"]
        assert line_total["entered"] == 2
        events = sorted(
            json.loads(records[i]["event"])["quantity"] for i in line_total["invocations"]
        )
        assert events == [1, 2]
        for name in ("Validate", "Price", "Charge"):
            (linked,) = states[name]["invocations"]
            assert records[linked]["function"] == name.lower()
        assert states["PaymentFailed"]["status"] == "not_entered"
        assert states["Rejected"]["status"] == "not_entered"
        declined = requests.get(f"{base_url}{API}/order/executions/declined", timeout=10).json()
        states = by_name(declined["states"])
        assert states["Charge"]["status"] == "caught"
        assert states["Charge"]["runs"][0]["error"] == "DeclinedError"
        assert states["PaymentFailed"]["status"] == "failed"
        (charge,) = states["Charge"]["invocations"]
        assert records.get(charge, {"status": "error"})["status"] == "error"


def test_folding_keeps_a_retried_task_s_attempts_apart() -> None:
    """Step Functions' own history of a retried, then caught Task (field names and order as
    GetExecutionHistory returns them), folded with no server."""
    history = [
        {"id": 1, "type": "ExecutionStarted", "previousEventId": 0},
        _entered(2, 1, "TaskStateEntered", "Validate", '{"lines": []}'),
        {
            "id": 3,
            "type": "TaskScheduled",
            "previousEventId": 2,
            "taskScheduledEventDetails": {
                "resourceType": "lambda",
                "resource": "invoke",
                "parameters": '{"Payload": {}}',
            },
        },
        {
            "id": 4,
            "type": "TaskFailed",
            "previousEventId": 3,
            "taskFailedEventDetails": {"error": "Flaky", "cause": "first"},
        },
        {"id": 5, "type": "TaskScheduled", "previousEventId": 4, "taskScheduledEventDetails": {}},
        {"id": 6, "type": "TaskSucceeded", "previousEventId": 5, "taskSucceededEventDetails": {}},
        {
            "id": 7,
            "type": "TaskStateExited",
            "previousEventId": 6,
            "stateExitedEventDetails": {"name": "Validate", "output": "{}"},
        },
        {"id": 8, "type": "ExecutionSucceeded", "previousEventId": 7},
    ]
    states = fold_history(history, ORDER_ASL)
    validate = states["Validate"].to_json()
    assert (validate["status"], validate["retries"], validate["function"]) == (
        "succeeded",
        1,
        "validate",
    )
    assert [a["failed"] for a in validate["runs"][0]["attempts"]] == [True, False]
    assert validate["runs"][0]["attempts"][0]["error"] == "Flaky"
    assert validate["runs"][0]["error"] is None  # the Retry got past it
    assert states["Route"].to_json()["status"] == "not_entered"


def _entered(event_id: int, previous: int, kind: str, name: str, payload: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "previousEventId": previous,
        "stateEnteredEventDetails": {"name": name, "input": payload},
    }


@pytest.mark.slow
def test_an_endpoint_that_does_not_answer_is_a_503(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with local_server(project, "--aws-endpoint", gone) as (base_url, _, _):
        answer = requests.get(base_url + API, timeout=30)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"].startswith("the local AWS endpoint failed: ")


WAIT_ASL: dict[str, Any] = {
    "StartAt": "Hold",
    "States": {
        "Hold": {"Type": "Wait", "Seconds": 4, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.mark.slow
def test_a_running_execution_shows_the_state_it_is_in(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP + f"\napp.workflow('wait', {WAIT_ASL!r})\n", CONFIG)
    with served(project) as (base_url, endpoint):
        client = ensure_flow_machine(endpoint)
        if not machine_exists(client, "shop-dev-wait"):
            client.create_state_machine(
                name="shop-dev-wait",
                definition=json.dumps(WAIT_ASL),
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/flow",
            )
        client.start_execution(stateMachineArn=machine_arn("shop-dev-wait"), name="held")
        deadline = time.monotonic() + 10
        while True:
            body = requests.get(f"{base_url}{API}/wait/executions/held", timeout=10).json()
            if body["states"][0]["entered"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert body["execution"]["status"] == "RUNNING"
        assert [(s["name"], s["status"]) for s in body["states"]] == [
            ("Hold", "running"),
            ("Done", "not_entered"),
        ]
        listed = requests.get(base_url + API, timeout=10).json()["workflows"]
        assert [e["status"] for w in listed if w["name"] == "wait" for e in w["executions"]] == [
            "RUNNING"
        ]
