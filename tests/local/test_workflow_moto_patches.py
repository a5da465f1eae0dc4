"""moto's Step Functions, patched: executions run, an unnamed one gets a UUID, and
StartExecution makes AWS's checks (the name's form and reuse, the input's size)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._workflow_moto_patches import (
    MAX_INPUT_BYTES,
    PARSER_LOGGER,
    patch_moto_stepfunctions,
    refused_name,
)
from tests.local.test_server import free_port

ROLE = "arn:aws:iam::123456789012:role/chalicelike-local-workflows"
PASS = json.dumps({"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": True}}})


@pytest.fixture(scope="module")
def states() -> Iterator[Any]:
    assert patch_moto_stepfunctions()
    assert patch_moto_stepfunctions()  # idempotent
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield AwsClients(f"http://127.0.0.1:{port}", "us-east-1").get("stepfunctions")
    server.stop()


@pytest.fixture
def machine(states: Any) -> str:
    name = f"m-{uuid.uuid4().hex[:12]}"
    arn: str = states.create_state_machine(name=name, definition=PASS, roleArn=ROLE)[
        "stateMachineArn"
    ]
    return arn


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    code: str = raised.value.response["Error"]["Code"]
    return code


def wait_until_ended(states: Any, execution_arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while (found := states.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ended: dict[str, Any] = found
    return ended


def test_names_aws_refuses() -> None:
    for name in ("", "a" * 81, "two words", "tab\there", "a[1]", "a{b}", "<a>", "what?", "a*"):
        assert refused_name(name), name
    for name in ('a"b', "a#b", "a%b", "a\\b", "a^b", "a|b", "a~b", "a`b", "a$b", "a&b"):
        assert refused_name(name), name
    for name in ("a,b", "a;b", "a:b", "a/b", "a\x00b", "a\x7fb", "a\x85b"):
        assert refused_name(name), name
    for name in ("a", "a" * 80, "order-42_retry.1", str(uuid.uuid4()), "éte"):
        assert not refused_name(name), name


@pytest.mark.slow
def test_an_unnamed_execution_is_named_with_a_uuid_and_runs(states: Any, machine: str) -> None:
    first = states.start_execution(stateMachineArn=machine, input='{"n": 1}')
    second = states.start_execution(stateMachineArn=machine, input='{"n": 2}')
    names = [arn["executionArn"].rsplit(":", 1)[1] for arn in (first, second)]
    assert all(str(uuid.UUID(name)) == name for name in names) and names[0] != names[1]
    ended = wait_until_ended(states, first["executionArn"])
    assert (ended["status"], json.loads(ended["output"])) == ("SUCCEEDED", {"n": 1})
    assert logging.getLogger(PARSER_LOGGER).level == logging.CRITICAL


@pytest.mark.slow
def test_start_execution_refuses_what_aws_refuses(states: Any, machine: str) -> None:
    def start(**params: Any) -> Any:
        return lambda: states.start_execution(stateMachineArn=machine, **params)

    assert error_code(start(name="two words")) == "InvalidName"
    assert error_code(start(name="orders/42")) == "InvalidName"
    assert error_code(start(name="x" * 81)) == "InvalidName"
    big = json.dumps({"blob": "x" * MAX_INPUT_BYTES})
    assert error_code(start(input=big)) == "InvalidExecutionInput"
    # A STANDARD machine's execution name is taken for 90 days, even once it has ended.
    done = states.start_execution(stateMachineArn=machine, name="nightly-1", input="{}")
    assert wait_until_ended(states, done["executionArn"])["status"] == "SUCCEEDED"
    assert error_code(start(name="nightly-1", input="{}")) == "ExecutionAlreadyExists"
