"""The in-process runner: handlers in this interpreter (for a debugger), Lambda's log lines."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelike.local._in_process import InProcessLambda
from chalicelike.local._invocation import FunctionSpec, InvocationStatus, UnknownFunction

APP = """\
import os
from chalicelike import Chalice

print("importing the app")

app = Chalice(app_name="inproc")


@app.lambda_function()
def echo(event, context):
    print("echoing", event)
    return {"event": event, "greeting": os.environ.get("GREETING"), "fn": context.function_name}


@app.lambda_function()
def fails(event, context):
    raise ValueError("bad input")
"""


@pytest.fixture(params=["Text"])
def runner(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[InProcessLambda, list[str]]]:
    (tmp_path / "app.py").write_text(APP)
    lines: list[str] = []
    runner = InProcessLambda(log_sink=lines.append)
    environment = {"GREETING": "hi", "AWS_LAMBDA_LOG_FORMAT": request.param}
    specs = [
        FunctionSpec(
            name,
            f"inproc-dev-{name}",
            f"app.{name}",
            str(tmp_path),
            timeout=3,
            environment=environment,
        )
        for name in ("echo", "fails")
    ]
    saved = dict(os.environ)  # the runner puts the functions' variables in os.environ
    runner.replace_functions(specs)
    yield runner, lines
    runner.replace_functions([])  # drops the test app's modules from sys.modules
    os.environ.clear()
    os.environ.update(saved)  # JSON logs or tracing must not follow into other tests


def test_a_handler_runs_with_context_environment_and_log_lines(
    runner: tuple[InProcessLambda, list[str]],
) -> None:
    local, lines = runner
    first = asyncio.run(local.invoke("echo", b'{"n": 1}'))
    assert first.status is InvocationStatus.OK and first.function_error is None
    assert json.loads(first.payload) == {
        "event": {"n": 1},
        "greeting": "hi",
        "fn": "inproc-dev-echo",
    }
    log = first.log.splitlines()
    assert log[0] == f"START RequestId: {first.request_id} Version: $LATEST"
    assert log[1:3] == ["importing the app", "echoing {'n': 1}"]
    assert log[-2] == f"END RequestId: {first.request_id}"
    assert log[-1].startswith(f"REPORT RequestId: {first.request_id}\tDuration: ")
    assert "\tInit Duration: " in log[-1] and first.cold_start
    second = asyncio.run(local.invoke("inproc-dev-echo", b"{}"))
    assert not second.cold_start and "Init Duration" not in second.log
    assert lines[: len(log)] == log


def test_an_exception_is_a_function_error(runner: tuple[InProcessLambda, list[str]]) -> None:
    local, _ = runner
    result = asyncio.run(local.invoke("fails", b"{}"))
    assert result.status is InvocationStatus.ERROR and result.function_error == "Unhandled"
    assert json.loads(result.payload) == {"errorMessage": "bad input", "errorType": "ValueError"}
    assert "ValueError: bad input" in result.log


def test_an_unknown_function_is_refused(runner: tuple[InProcessLambda, list[str]]) -> None:
    local, _ = runner
    assert local.find("arn:aws:lambda:us-east-1:123456789012:function:inproc-dev-echo")
    with pytest.raises(UnknownFunction):
        asyncio.run(local.invoke("nope", b"{}"))


@pytest.mark.parametrize("runner", ["JSON"], indirect=True)
def test_json_log_format_writes_platform_records(
    runner: tuple[InProcessLambda, list[str]],
) -> None:
    local, lines = runner
    first = asyncio.run(local.invoke("echo", b'{"n": 1}'))
    log = first.log.splitlines()
    assert lines == log
    # As on Lambda: init, its output, then the invoke phase and the handler's.
    assert json.loads(log[0])["type"] == "platform.initStart"
    assert log[1] == "importing the app"
    start = json.loads(log[2])
    assert (start["type"], start["record"]["requestId"]) == ("platform.start", first.request_id)
    assert log[3] == "echoing {'n': 1}"
    report = json.loads(log[4])
    assert report["type"] == "platform.report" and len(log) == 5
    assert report["record"]["status"] == "success"
    assert report["record"]["metrics"]["initDurationMs"] == round(first.init_duration_ms or 0, 3)
    failed = asyncio.run(local.invoke("fails", b"{}"))
    report = json.loads(failed.log.splitlines()[-1])["record"]
    assert (report["status"], report["errorType"]) == ("failure", "ValueError")
    start, output, report = asyncio.run(local.invoke("echo", b"2")).log.splitlines()
    assert (json.loads(start)["type"], output) == ("platform.start", "echoing 2")
    assert "initDurationMs" not in json.loads(report)["record"]["metrics"]  # warm
