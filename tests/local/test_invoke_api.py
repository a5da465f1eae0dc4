"""Lambda's Invoke API, called with boto3 over real HTTP, answering as Lambda does."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from chalicelike.local._host_guard import HostGuard
from chalicelike.local._in_process import InProcessLambda
from chalicelike.local._invoke_api import split_function_name
from chalicelike.local._pool import WorkerPool
from tests.local.invoke_support import invoke_app_specs, lambda_client, serve_invoke_api

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


@dataclass
class Served:
    client: Any  # boto3's Lambda client
    url: str
    log: list[str]  # what the Invoke API logged (Event failures and retries)

    def invoke(self, **options: Any) -> dict[str, Any]:
        """boto3's answer, its Payload read (an unread one keeps its connection busy)."""
        answer: dict[str, Any] = self.client.invoke(**options)
        answer["Payload"] = answer["Payload"].read()
        return answer


def _served(local_lambda: Any, **options: Any) -> Iterator[Served]:
    log: list[str] = []
    options = {
        "log": log.append,
        "event_retry_delays": (0.05, 0.05),
        "throttle_backoff": (0.05, 0.2),
        **options,
    }
    with serve_invoke_api(local_lambda, **options) as (url, _):
        client = lambda_client(url)
        try:
            yield Served(client, url, log)
        finally:
            client.close()  # its pooled connections, before the server goes


@pytest.fixture
def served() -> Iterator[Served]:
    yield from _served(WorkerPool(invoke_app_specs()))


@pytest.fixture(params=["worker_pool", "in_process"])
def any_lambda(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """Both local Lambdas the server can run: worker processes, or the debugger's runner."""
    if request.param == "worker_pool":
        yield from _served(WorkerPool(invoke_app_specs()))
        return
    monkeypatch.setattr(sys, "path", [*sys.path])  # the runner puts the app's folder first
    runner = InProcessLambda()
    runner.replace_functions(invoke_app_specs())
    try:
        yield from _served(runner)
    finally:
        runner.replace_functions([])  # drops the app's modules from sys.modules


def wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# -- RequestResponse ------------------------------------------------------------------------


def test_a_synchronous_invoke_answers_200_with_the_payload(any_lambda: Served) -> None:
    answer = any_lambda.invoke(FunctionName="echo", Payload=b'{"n": 1}')
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer and "LogResult" not in answer
    body = json.loads(answer["Payload"])
    assert body["event"] == {"n": 1}
    assert body["function_name"] == "invoker-dev-echo"
    assert body["greeting"] == "hello"  # the config's environment
    assert answer["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"


def test_a_function_error_is_a_200_with_the_error_document(any_lambda: Served) -> None:
    answer = any_lambda.invoke(FunctionName="fails")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert answer["ExecutedVersion"] == "$LATEST"
    error = json.loads(answer["Payload"])
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "bad input"


def test_the_function_is_found_by_any_name_lambda_accepts(served: Served) -> None:
    names = [
        "echo",
        "invoker-dev-echo",
        f"{ACCOUNT_ARN}:invoker-dev-echo",
        f"{ACCOUNT_ARN}:echo:$LATEST",
        "123456789012:function:invoker-dev-echo",
        "echo:$LATEST",
    ]
    for name in names:
        answer = served.invoke(FunctionName=name, Payload=b"{}")
        assert answer["StatusCode"] == 200, name
        body = json.loads(answer["Payload"])
        assert body["function_name"] == "invoker-dev-echo", name
    qualified = served.invoke(FunctionName="echo", Qualifier="$LATEST")
    assert qualified["StatusCode"] == 200
    # Lambda hands the function the ARN the caller used.
    by_arn = served.invoke(FunctionName=f"{ACCOUNT_ARN}:invoker-dev-echo")
    assert json.loads(by_arn["Payload"])["arn"] == f"{ACCOUNT_ARN}:invoker-dev-echo"


def test_no_payload_is_an_empty_object_to_the_function(served: Served) -> None:
    answer = served.invoke(FunctionName="echo")
    assert json.loads(answer["Payload"])["event"] == {}


def test_tail_returns_the_last_4_kb_of_the_log_base64_encoded(served: Served) -> None:
    short = served.invoke(FunctionName="echo", Payload=b'{"k": 2}', LogType="Tail")
    log = base64.b64decode(short["LogResult"]).decode()
    request_id = short["ResponseMetadata"]["RequestId"]
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert 'echo got {"k": 2}' in lines
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\t")
    long = served.invoke(FunctionName="chatty", Payload=b'{"lines": 200}', LogType="Tail")
    tail = base64.b64decode(long["LogResult"])
    assert len(tail) == 4096  # the log is ~10 KB; only its end comes back
    assert b"line 0199 " in tail and b"line 0000 " not in tail
    assert tail.decode().splitlines()[-1].startswith("REPORT RequestId: ")
    assert "LogResult" not in served.invoke(FunctionName="echo", LogType="None")


def test_the_client_context_reaches_the_function(served: Served) -> None:
    context = {"custom": {"tenant": "t-1"}, "env": {}, "client": {}}
    encoded = base64.b64encode(json.dumps(context).encode()).decode()
    answer = served.invoke(FunctionName="echo", ClientContext=encoded)
    assert json.loads(answer["Payload"])["custom"] == {"tenant": "t-1"}
    with pytest.raises(served.client.exceptions.InvalidRequestContentException) as caught:
        served.invoke(FunctionName="echo", ClientContext="not base64 json!")
    assert "Client context must be a valid Base64-encoded JSON object" in str(caught.value)


# -- Lambda's errors --------------------------------------------------------------------


def test_an_unknown_function_is_resource_not_found(served: Served) -> None:
    exceptions = served.client.exceptions
    with pytest.raises(exceptions.ResourceNotFoundException) as caught:
        served.invoke(FunctionName="nope", Payload=b"{}")
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["Error"]["Message"] == f"Function not found: {ACCOUNT_ARN}:nope"
    assert response["Type"] == "User"
    # Only $LATEST exists locally: a version or alias is a function Lambda would not find.
    with pytest.raises(exceptions.ResourceNotFoundException) as caught:
        served.invoke(FunctionName="echo", Qualifier="3")
    assert caught.value.response["Error"]["Message"] == f"Function not found: {ACCOUNT_ARN}:echo:3"
    elsewhere = "arn:aws:lambda:eu-west-1:123456789012:function:echo"
    with pytest.raises(exceptions.ResourceNotFoundException) as caught:
        served.invoke(FunctionName=elsewhere)
    assert caught.value.response["Error"]["Message"] == f"Function not found: {elsewhere}"


def test_a_qualifier_contradicting_the_name_is_invalid(served: Served) -> None:
    with pytest.raises(served.client.exceptions.InvalidParameterValueException) as caught:
        served.invoke(FunctionName="echo:$LATEST", Qualifier="2")
    assert "does not match the specified qualifier" in str(caught.value)


def test_a_payload_that_is_not_json_is_invalid_request_content(served: Served) -> None:
    with pytest.raises(served.client.exceptions.InvalidRequestContentException) as caught:
        served.invoke(FunctionName="echo", Payload=b"{not json")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = caught.value.response["Error"]["Message"]
    assert message.startswith("Could not parse request body into json: ")


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 50000 + b"]" * 50000,
        b"NaN",
        b'{"a": Infinity}',
        b"[-Infinity]",
        b"1e999",
        b"[1e400]",
        b'{"a":-1e999}',
    ],
    ids=[
        "nested_50000_deep",
        "nan",
        "infinity",
        "minus_infinity",
        "overflow",
        "overflow_in_list",
        "negative_overflow",
    ],
)
def test_deep_nesting_and_non_numbers_are_invalid_request_content(
    served: Served, payload: bytes
) -> None:
    with pytest.raises(served.client.exceptions.InvalidRequestContentException) as caught:
        served.invoke(FunctionName="echo", Payload=payload)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Could not parse request body into json" in caught.value.response["message"]


def test_payloads_above_lambdas_quotas_are_too_large(served: Served) -> None:
    exceptions = served.client.exceptions
    sync_limit, event_limit = 6 * 1024 * 1024, 1024 * 1024
    with pytest.raises(exceptions.RequestTooLargeException) as caught:
        served.invoke(FunctionName="echo", Payload=b'"' + b"x" * sync_limit + b'"')
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert str(sync_limit) in caught.value.response["Error"]["Message"]
    with pytest.raises(exceptions.RequestTooLargeException):
        served.invoke(
            FunctionName="echo", InvocationType="Event", Payload=b'"' + b"x" * event_limit + b'"'
        )
    # Just under the Event quota is accepted.
    accepted = served.invoke(
        FunctionName="echo", InvocationType="Event", Payload=b'"' + b"x" * (event_limit - 2) + b'"'
    )
    assert accepted["StatusCode"] == 202


@pytest.mark.slow
def test_a_throttled_function_is_too_many_requests(served: Served, tmp_path: Path) -> None:
    # apps/invoke's `slow` has a reserved concurrency of 1: hold it, then call it again.
    holding = tmp_path / "holding"
    payload = json.dumps({"seconds": 1, "path": str(holding)}).encode()
    holder = threading.Thread(
        target=served.invoke, kwargs={"FunctionName": "slow", "Payload": payload}
    )
    holder.start()
    try:
        wait_for(lambda: lines_of(holding) == ["started"])
        with pytest.raises(served.client.exceptions.TooManyRequestsException) as caught:
            served.invoke(FunctionName="slow", Payload=b'{"seconds": 0}')
        response = caught.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert response["Type"] == "User" and response["Error"]["Message"] == "Rate Exceeded."
        # An Event is queued instead, and runs once the function has room again.
        queued = tmp_path / "queued"
        payload = json.dumps({"seconds": 0, "path": str(queued)}).encode()
        answer = served.invoke(FunctionName="slow", InvocationType="Event", Payload=payload)
        assert answer["StatusCode"] == 202
        time.sleep(0.3)
        assert not queued.exists()  # still throttled
    finally:
        holder.join()
    wait_for(lambda: lines_of(queued) == ["started"])


def test_other_paths_and_methods_answer_in_lambdas_error_shape(served: Served) -> None:
    with pytest.raises(ClientError) as caught:
        served.client.get_function(FunctionName="echo")  # GET /2015-03-31/functions/echo
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    answer = requests.get(f"{served.url}/2015-03-31/functions/echo/invocations", timeout=5)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert answer.headers["x-amzn-ErrorType"] == "MethodNotAllowedException"
    assert answer.json()["Type"] == "User"
    answer = requests.post(
        f"{served.url}/2015-03-31/functions/echo/invocations",
        headers={"X-Amz-Invocation-Type": "Later"},
        data=b"{}",
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"
    assert "[RequestResponse, Event, DryRun]" in answer.json()["message"]


# -- DryRun and Event -------------------------------------------------------------------


def test_dry_run_answers_204_and_runs_nothing(served: Served, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    payload = json.dumps({"path": str(trace)}).encode()
    answer = served.invoke(FunctionName="record", InvocationType="DryRun", Payload=payload)
    assert answer["StatusCode"] == 204 and answer["Payload"] == b""
    with pytest.raises(served.client.exceptions.ResourceNotFoundException):
        served.invoke(FunctionName="nope", InvocationType="DryRun")
    time.sleep(0.2)
    assert not trace.exists()


def test_an_event_answers_202_and_runs_in_the_background(served: Served, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    payload = json.dumps({"path": str(trace)}).encode()
    answer = served.invoke(FunctionName="record", InvocationType="Event", Payload=payload)
    assert answer["StatusCode"] == 202 and answer["Payload"] == b""
    assert "FunctionError" not in answer
    wait_for(lambda: len(lines_of(trace)) == 1)
    with pytest.raises(served.client.exceptions.ResourceNotFoundException):
        served.invoke(FunctionName="nope", InvocationType="Event")


def test_an_event_runs_under_the_request_id_of_its_202(any_lambda: Served, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    payload = json.dumps({"path": str(trace)}).encode()
    answer = any_lambda.invoke(FunctionName="record", InvocationType="Event", Payload=payload)
    wait_for(lambda: len(lines_of(trace)) == 1)
    # As on AWS: the context's aws_request_id (and START/END/REPORT) is the 202's.
    assert lines_of(trace) == [answer["ResponseMetadata"]["RequestId"]]


def test_a_failing_event_is_retried_twice_as_lambda_does(served: Served, tmp_path: Path) -> None:
    recovers = tmp_path / "recovers"
    payload = json.dumps({"path": str(recovers), "fail_times": 2}).encode()
    answer = served.invoke(FunctionName="record", InvocationType="Event", Payload=payload)
    wait_for(lambda: len(lines_of(recovers)) == 3)
    # Every attempt runs under the event's request id, which the log lines name too.
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert lines_of(recovers) == [request_id] * 3
    retries = [line for line in served.log if "retrying" in line]
    assert len(retries) == 2 and "RuntimeError: failing attempt 1" in retries[0]
    assert all(request_id in line for line in retries)
    never = tmp_path / "never"
    payload = json.dumps({"path": str(never), "fail_times": 9}).encode()
    served.invoke(FunctionName="record", InvocationType="Event", Payload=payload)
    wait_for(lambda: any("dropped after 3 attempt(s)" in line for line in served.log))
    time.sleep(0.2)  # no fourth attempt
    assert len(lines_of(never)) == 3


def test_closing_drops_pending_retries_at_once(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    payload = json.dumps({"path": str(trace), "fail_times": 9}).encode()
    pool = WorkerPool(invoke_app_specs())
    with contextlib.contextmanager(_served)(pool, event_retry_delays=(60.0, 120.0)) as served:
        served.invoke(FunctionName="record", InvocationType="Event", Payload=payload)
        wait_for(lambda: any("retrying in 60 s" in line for line in served.log))
        started = time.monotonic()
    assert time.monotonic() - started < 5  # shut down without waiting out the retry
    assert len(lines_of(trace)) == 1
    dropped = "dropped: the server stopped before it completed"
    assert any(line.endswith(dropped) for line in served.log)


@pytest.mark.slow
def test_every_event_dropped_at_shutdown_is_logged_with_its_id(tmp_path: Path) -> None:
    holding, queued = tmp_path / "holding", tmp_path / "queued"
    pool = WorkerPool(invoke_app_specs())
    ids = []
    with contextlib.contextmanager(_served)(pool, throttle_backoff=(60.0, 60.0)) as served:
        # `slow` has reserved concurrency 1: the first holds it past the shutdown grace,
        # the second waits in throttle backoff.
        for path, seconds in ((holding, 30), (queued, 0)):
            payload = json.dumps({"seconds": seconds, "path": str(path)}).encode()
            answer = served.invoke(FunctionName="slow", InvocationType="Event", Payload=payload)
            ids.append(answer["ResponseMetadata"]["RequestId"])
            wait_for(holding.exists)
        time.sleep(0.3)
    for request_id in ids:
        assert any(f"{request_id} of slow dropped" in line for line in served.log), served.log
    assert not queued.exists()


# -- reading names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("echo", ("echo", None)),
        ("echo:7", ("echo", "7")),
        ("123456789012:function:echo", ("echo", None)),
        ("arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST", ("echo", "$LATEST")),
    ],
)
def test_function_names_are_split_into_name_and_qualifier(
    name: str, expected: tuple[str, str | None]
) -> None:
    assert split_function_name(name, "us-east-1", "123456789012") == expected


INVOKE_PATH = "/2015-03-31/functions/echo/invocations"


# -- browsers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},  # a simple cross-site POST from a page
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": "http://127.0.0.1:1"},  # another local port's page
        {"Host": "rebound.evil.example"},  # DNS rebinding: their name, our address
        {"Host": "localhost.."},  # no valid name (one trailing dot is DNS's root)
        {"Sec-Fetch-Site": "cross-site"},  # a browser's request that sent no Origin
        {"Sec-Fetch-Site": "same-site"},  # from another port of this machine
    ],
    ids=[
        "cross_site",
        "null_origin",
        "other_local_port",
        "dns_rebinding",
        "dotted_localhost",
        "fetch_cross_site",
        "fetch_same_site",
    ],
)
def test_a_foreign_page_cannot_invoke(
    served: Served, tmp_path: Path, headers: dict[str, str]
) -> None:
    trace = tmp_path / "trace"
    answer = requests.post(
        f"{served.url}/2015-03-31/functions/record/invocations",
        data=json.dumps({"path": str(trace)}),
        headers={"Content-Type": "text/plain", **headers},
        timeout=5,
    )
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "refuses" in answer.json()["message"]
    assert not trace.exists()
    assert any("Invoke API: refused POST" in line for line in served.log)


def _raw_request(url: str, head: str) -> bytes:
    """Send `head` (request line and headers) and an empty JSON body; read the answer."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{head}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_two_host_headers_are_a_bad_request(served: Served) -> None:
    port = served.url.rsplit(":", 1)[1]
    for hosts in ([f"127.0.0.1:{port}", "evil.example"], ["evil.example", f"127.0.0.1:{port}"]):
        lines = "".join(f"Host: {host}\r\n" for host in hosts)
        answer = _raw_request(served.url, f"POST {INVOKE_PATH} HTTP/1.1\r\n{lines}")
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]


def test_an_absolute_form_target_naming_a_foreign_host_is_refused(served: Served) -> None:
    port = served.url.rsplit(":", 1)[1]
    # RFC 9112 3.2.2: the target's authority, not the Host header, names the host.
    foreign = f"POST http://evil.example{INVOKE_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    answer = _raw_request(served.url, foreign)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
    assert b"evil.example" in answer
    own = f"POST http://127.0.0.1:{port}{INVOKE_PATH} HTTP/1.1\r\nHost: evil.example\r\n"
    assert _raw_request(served.url, own).startswith(b"HTTP/1.1 200 ")


def test_the_servers_own_pages_and_loopback_names_may_invoke(served: Served) -> None:
    port = served.url.rsplit(":", 1)[1]
    for headers in (
        {"Origin": served.url},
        {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
        {"Host": f"localhost.:{port}"},
        {"Host": f"[::1]:{port}"},
        {"Origin": served.url, "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ):
        answer = requests.post(
            f"{served.url}/2015-03-31/functions/echo/invocations",
            data=b"{}",
            headers=headers,
            timeout=5,
        )
        assert answer.status_code == 200, (headers, answer.text)


def test_a_server_bound_to_every_interface_takes_any_host_but_no_foreign_origin() -> None:
    guard = HostGuard(["0.0.0.0"])
    scope: dict[str, Any] = {"headers": [(b"host", b"laptop.lan:8000")]}
    assert guard.refusal(scope) is None
    scope["headers"].append((b"origin", b"http://evil.example"))
    assert guard.refusal(scope) is not None
    named = HostGuard(["laptop.lan"])
    assert named.refusal({"headers": [(b"host", b"laptop.lan:8000")]}) is None
    assert named.refusal({"headers": [(b"host", b"other.lan:8000")]}) is not None
