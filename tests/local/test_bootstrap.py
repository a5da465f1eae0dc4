"""Our runtime client (`python -m chalicelike.local._bootstrap`) in a real process.

Each test starts the bootstrap on its own Runtime API, as Lambda starts a runtime, and
checks what it posts: handler import failures, the context, errors, the log format.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelike.local._invocation import FunctionSpec
from chalicelike.local._runtime_api import Invocation, OutcomeKind, RuntimeOutcome
from chalicelike.local._worker import Worker, bootstrap_command

pytestmark = pytest.mark.anyio

Start = Callable[..., Any]
SpecFactory = Callable[..., FunctionSpec]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """`await start(spec)`: a Worker running the bootstrap; all stopped afterwards."""
    workers: list[Worker] = []

    async def make(spec: FunctionSpec, lines: list[str] | None = None) -> Worker:
        sink = None if lines is None else lines.append
        worker = await Worker.start(
            spec, bootstrap_command(spec), region="eu-west-1", log_sink=sink
        )
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.stop()


def invocation(payload: Any = None, **extra: Any) -> Invocation:
    return Invocation(
        request_id=extra.pop("request_id", "req-1"),
        payload=json.dumps(payload).encode(),
        deadline_ms=int(time.time() * 1000) + 5000,
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:runtime-dev-f",
        trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0",
        **extra,
    )


async def run(worker: Worker, payload: Any = None, **extra: Any) -> RuntimeOutcome:
    assert await worker.server.wait_ready() is None
    return await worker.server.invoke(invocation(payload, **extra))


async def init_error(worker: Worker) -> dict[str, Any]:
    outcome = await worker.server.wait_ready()
    assert outcome is not None and outcome.kind is OutcomeKind.INIT_ERROR
    assert await worker.exited == 1  # the runtime exits after reporting it
    document: dict[str, Any] = json.loads(outcome.body)
    assert outcome.error_type == document["errorType"]
    return document


async def test_round_trip(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("echo"))
    outcome = await run(worker, {"a": 1})
    assert outcome.kind is OutcomeKind.RESPONSE
    assert json.loads(outcome.body)["event"] == {"a": 1}
    second = await worker.server.invoke(invocation([1, 2], request_id="req-2"))
    assert json.loads(second.body)["event"] == [1, 2]


async def test_context_has_awslambdaric_attributes(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("environment", memory_size=256))
    outcome = await run(
        worker,
        {},
        client_context=json.dumps({"custom": {"k": "v"}, "env": {}, "client": {}}),
        cognito_identity=json.dumps({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "p"}),
    )
    context = json.loads(outcome.body)["context"]
    assert context["function_name"] == "runtime-dev-environment"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"].endswith(":function:runtime-dev-f")
    assert context["memory_limit_in_mb"] == "256"  # a string, as awslambdaric gives it
    assert context["aws_request_id"] == "req-1"
    assert context["log_group_name"] == "/aws/lambda/runtime-dev-environment"
    assert context["log_stream_name"].endswith(worker_stream(worker))
    assert 3000 < context["remaining_ms"] <= 5000
    assert context["identity_id"] == "id-1"
    assert context["client_custom"] == {"k": "v"}


def worker_stream(worker: Worker) -> str:
    return "]" + worker_env(worker)["AWS_LAMBDA_LOG_STREAM_NAME"].rpartition("]")[2]


def worker_env(worker: Worker) -> dict[str, str]:
    with open(f"/proc/{worker.pid}/environ", "rb") as environ:
        pairs = environ.read().split(b"\0")
    return dict(pair.decode().partition("=")[::2] for pair in pairs if pair)


async def test_unparsable_client_context_is_a_runtime_error(
    spec: SpecFactory, start: Start
) -> None:
    worker = await start(spec("echo"))
    outcome = await run(worker, {}, client_context="{not json")
    document = json.loads(outcome.body)
    assert document["errorType"] == "Runtime.LambdaContextUnmarshalError"
    assert document["errorMessage"].startswith("Unable to parse Client Context JSON: ")


async def test_identity_and_client_context_absent(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("environment"))
    context = json.loads((await run(worker, {})).body)["context"]
    assert context["identity_id"] is None  # awslambdaric: an identity with None fields
    assert context["client_custom"] is None


async def test_trace_id_and_task_root_on_sys_path(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("environment"))
    body = json.loads((await run(worker, {"names": ["_X_AMZN_TRACE_ID"]})).body)
    assert body["env"]["_X_AMZN_TRACE_ID"].startswith("Root=1-5bef4de7")
    task_root = worker.spec.project_dir
    assert body["path0"] == [task_root, os.path.join(task_root, "vendor")]


async def test_a_raised_exception_is_posted_and_logged(spec: SpecFactory, start: Start) -> None:
    lines: list[str] = []
    worker = await start(spec("fail"), lines)
    outcome = await run(worker, 7)
    assert outcome.kind is OutcomeKind.ERROR
    assert outcome.error_type == "ValueError"
    document = json.loads(outcome.body)
    assert document["errorMessage"] == "boom 7"
    assert document["errorType"] == "ValueError"
    trace = document["stackTrace"]
    assert all(isinstance(frame, str) for frame in trace)
    assert len(trace) == 1 and "app.py" in trace[0] and "in fail" in trace[0]
    worker.drain()
    assert "[ERROR] ValueError: boom 7" in lines
    assert "Traceback (most recent call last):" in lines
    # The runtime carries on: the next invocation is served by the same process.
    assert (await worker.server.invoke(invocation(8, request_id="r2"))).kind is OutcomeKind.ERROR


async def test_output_is_flushed_before_the_response(spec: SpecFactory, start: Start) -> None:
    lines: list[str] = []
    worker = await start(spec("printer"), lines)
    await run(worker, "x")
    worker.drain()  # no waiting: the bytes are already in the pipe
    worker.flush_partial()
    assert lines[-3:] == ["to stdout x", "to stderr x", "no newline"]


async def test_logging_gets_lambdas_format(spec: SpecFactory, start: Start) -> None:
    lines: list[str] = []
    worker = await start(spec("logs"), lines)
    await run(worker, {})
    worker.drain()
    level, timestamp, request_id, message = lines[-1].split("\t")
    assert (level, request_id, message) == ("[WARNING]", "req-1", "a warning")
    assert timestamp.endswith("Z") and "T" in timestamp


async def test_unserialisable_result_is_a_marshal_error(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("unserialisable"))
    document = json.loads((await run(worker, {})).body)
    assert document["errorType"] == "Runtime.MarshalError"
    assert document["errorMessage"].startswith("Unable to marshal response: ")


async def test_bytes_are_posted_as_they_are(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("raw_bytes"))
    assert (await run(worker, {})).body == b'{"raw": true}'


async def test_missing_module_is_an_import_error(spec: SpecFactory, start: Start) -> None:
    lines: list[str] = []
    worker = await start(spec("handler", "missing_import.handler"), lines)
    document = await init_error(worker)
    assert document["errorType"] == "Runtime.ImportModuleError"
    assert document["errorMessage"] == (
        "Unable to import module 'missing_import': No module named 'a_module_that_does_not_exist'"
    )
    assert any("missing_import.py" in frame for frame in document["stackTrace"])
    assert lines[0].startswith("[ERROR] Runtime.ImportModuleError: Unable to import module")


async def test_syntax_error_names_the_file_and_line(
    spec: SpecFactory, start: Start, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context)\n    return event\n")
    worker = await start(spec("handler", "app.handler", project_dir=str(tmp_path)))
    document = await init_error(worker)
    assert document["errorType"] == "Runtime.UserCodeSyntaxError"
    assert document["errorMessage"].startswith("Syntax error in module 'app': ")
    assert "(app.py, line 1)" in document["errorMessage"]


async def test_missing_attribute_is_handler_not_found(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("nope"))
    document = await init_error(worker)
    assert document["errorType"] == "Runtime.HandlerNotFound"
    assert document["errorMessage"] == "Handler 'nope' missing on module 'app'"


async def test_handler_without_a_dot_is_malformed(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("f", "nodot"))
    document = await init_error(worker)
    assert document["errorType"] == "Runtime.MalformedHandlerName"
    assert document["errorMessage"].startswith("Bad handler 'nodot'")


async def test_an_exception_at_import_keeps_its_type(
    spec: SpecFactory, start: Start, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("raise KeyError('config')\n")
    worker = await start(spec("handler", "app.handler", project_dir=str(tmp_path)))
    document = await init_error(worker)
    assert (document["errorType"], document["errorMessage"]) == ("KeyError", "'config'")


async def test_vendor_directory_is_importable(
    spec: SpecFactory, start: Start, tmp_path: Path
) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "helper.py").write_text("VALUE = 42\n")
    (tmp_path / "app.py").write_text(
        "import helper\n\ndef handler(e, c):\n    return helper.VALUE\n"
    )
    worker = await start(spec("handler", "app.handler", project_dir=str(tmp_path)))
    assert (await run(worker, {})).body == b"42"


async def test_exits_quietly_when_the_server_goes(spec: SpecFactory, start: Start) -> None:
    lines: list[str] = []
    worker = await start(spec("echo"), lines)
    assert await worker.server.wait_ready() is None
    worker.server.close()
    assert await worker.exited == 0
    assert lines == ["init: app imported"]  # no traceback


def test_bootstrap_imports_nothing_heavy() -> None:
    """A cold start should not pay for http.client, ssl, email, typing or traceback."""
    local = Path(__file__).parents[2] / "chalicelike" / "local"
    show = "print(' '.join(sorted(sys.modules)))"
    baseline = _modules(f"import sys; {show}")
    loaded = _modules(f"import sys; sys.path.insert(0, {str(local)!r}); import _bootstrap; {show}")
    for heavy in ("http.client", "ssl", "email.parser", "typing", "traceback", "logging"):
        assert heavy not in loaded - baseline, heavy
    assert "_bootstrap" in loaded


def _modules(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


JSON_LOGS = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}

LOGGING_APP = """
import logging

logging.getLogger().warning("at init")


def handler(event, context):
    root = logging.getLogger()
    if event == "lower":
        root.setLevel(logging.DEBUG)  # Lambda still drops what is below its level
    root.debug("a debug line")
    root.info("as %s", "text", extra={"order_id": 7})
    logging.getLogger("shop.orders").warning({"event": "order", "id": 42})
    try:
        raise KeyError("sku")
    except KeyError:
        root.exception("lookup failed")
    root.error("by %s", "mallory\\ud800")
    return "logged"


def fail(event, context):
    raise ValueError("boom " + str(event))
"""


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.mark.parametrize("event", ["plain", "lower"])
async def test_json_mode_logs_every_logger_as_lambdas_runtime(
    spec: SpecFactory, start: Start, tmp_path: Path, event: str
) -> None:
    (tmp_path / "app.py").write_text(LOGGING_APP)
    lines: list[str] = []
    worker = await start(
        spec("handler", "app.handler", project_dir=str(tmp_path), environment=JSON_LOGS), lines
    )
    assert (await run(worker, event)).body == b'"logged"'
    worker.drain()
    assert not any("Logging error" in line for line in lines)
    init, info, warning, exception, surrogate = json_lines(lines)
    # Every line: Lambda's fields; below INFO dropped (even after the app's setLevel).
    for line in (init, info, warning, exception, surrogate):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line["timestamp"])
    # Logged while the module was imported: JSON too, as the runtime set logging up first.
    assert (init["message"], init["level"], init["requestId"]) == ("at init", "WARNING", "")
    assert info == {
        "timestamp": info["timestamp"],
        "level": "INFO",
        "message": "as text",
        "logger": "root",
        "requestId": "req-1",
        "order_id": 7,
    }
    assert warning["message"] == {"event": "order", "id": 42}  # a dict stays an object
    assert warning["logger"] == "shop.orders"
    assert (exception["errorType"], exception["errorMessage"]) == ("KeyError", "'sku'")
    assert exception["message"] == "lookup failed" and "app.py" in exception["stackTrace"][0]
    assert exception["location"].endswith("app.py:handler:17")  # the logging call
    assert surrogate["message"] == "by mallory\ud800"


async def test_json_mode_root_level_follows_lambdas_log_level(
    spec: SpecFactory, start: Start, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(LOGGING_APP)
    lines: list[str] = []
    environment = {**JSON_LOGS, "AWS_LAMBDA_LOG_LEVEL": "ERROR"}
    worker = await start(
        spec("handler", "app.handler", project_dir=str(tmp_path), environment=environment), lines
    )
    await run(worker, "plain")
    worker.drain()
    assert [line["message"] for line in json_lines(lines)] == ["lookup failed", "by mallory\ud800"]


async def test_json_mode_writes_an_unhandled_error_as_one_json_line(
    spec: SpecFactory, start: Start, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(LOGGING_APP)
    lines: list[str] = []
    worker = await start(
        spec("fail", "app.fail", project_dir=str(tmp_path), environment=JSON_LOGS), lines
    )
    outcome = await run(worker, 7)
    assert outcome.kind is OutcomeKind.ERROR
    worker.drain()
    (entry,) = [line for line in json_lines(lines) if line.get("errorType")]
    assert list(entry) == [
        "timestamp", "level", "errorMessage", "errorType", "requestId", "stackTrace",
    ]  # fmt: skip
    assert (entry["level"], entry["errorMessage"], entry["requestId"]) == (
        "ERROR",
        "boom 7",
        "req-1",
    )
    assert entry["stackTrace"] == json.loads(outcome.body)["stackTrace"]
    assert not any(line.startswith("[ERROR]") for line in lines)  # no text entry besides


async def test_json_mode_writes_an_init_error_as_one_json_line(
    spec: SpecFactory, start: Start
) -> None:
    lines: list[str] = []
    worker = await start(spec("nope", environment=JSON_LOGS), lines)
    document = await init_error(worker)
    worker.drain()
    (entry,) = json_lines(lines)
    assert (entry["errorType"], entry["requestId"]) == (document["errorType"], "")
    assert entry["errorMessage"] == "Handler 'nope' missing on module 'app'"


async def test_text_mode_is_unchanged_with_a_log_level(
    spec: SpecFactory, start: Start, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(LOGGING_APP)
    lines: list[str] = []
    environment = {"AWS_LAMBDA_LOG_LEVEL": "ERROR"}  # Lambda sets it in JSON mode only
    worker = await start(
        spec("handler", "app.handler", project_dir=str(tmp_path), environment=environment), lines
    )
    await run(worker, "plain")
    worker.drain()
    assert not json_lines(lines)
    # Text mode sets no level: the root's default WARNING drops the INFO line, as before.
    levels = [line.split("\t")[0] for line in lines if "\treq-1\t" in line]
    assert levels[:2] == ["[WARNING]", "[ERROR]"]
