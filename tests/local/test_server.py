"""`chalicelike local` end to end: the real command in a subprocess, talked to over HTTP with
requests and boto3 — routes, reload, a broken app.py and back, the invoke API, shutdown."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.local.project_support import write_project
from tests.servers import serve

# Each test starts the whole dev server in a subprocess, or serves it with the fuzzer (> 1 s).
pytestmark = pytest.mark.slow

APP = """\
import os
from chalicelike import Chalice

app = Chalice(app_name="served")


@app.route("/orders/{order_id}")
def order(order_id):
    return {"order_id": order_id, "version": VERSION, "stage": os.environ.get("STAGE_NAME")}


@app.lambda_function()
def double(event, context):
    return {"doubled": event["n"] * 2, "function": context.function_name}

VERSION = 1
"""
CONFIG = {
    "stages": {
        "dev": {"environment_variables": {"STAGE_NAME": "dev"}},
        "prod": {"environment_variables": {"STAGE_NAME": "prod"}},
    }
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, APP, CONFIG)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


@contextlib.contextmanager
def local_server(
    project: Path, *extra: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    with start_server(project, *extra, env=env) as (port, log_path, process):
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited early:\n{log_path.read_text()}")
            try:
                requests.get(base_url + "/orders/0", timeout=5).close()
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"never answered:\n{log_path.read_text()}") from None
                time.sleep(0.05)
        yield base_url, log_path, process


@contextlib.contextmanager
def start_server(
    project: Path, *extra: str, env: dict[str, str] | None = None
) -> Iterator[tuple[int, Path, subprocess.Popen[bytes]]]:
    """The command started, not waited for; stopped with Ctrl-C (SIGINT) at the end."""
    port = free_port()
    log_path = project.parent / "server.log"
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project), "local"]
    if not any(arg.startswith(("--aws", "--no-aws")) for arg in extra):
        # The AWS endpoint's tests are in test_aws_endpoint.py; here it would only cost
        # time and compete for its default port.
        extra = (*extra, "--no-aws")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        yield port, log_path, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_for(check: object, seconds: float = 5.0) -> float:
    """Poll `check()` until it is true; return how long that took."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - started > seconds:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
    return time.monotonic() - started


def test_routes_stage_and_api_gateway_answers(project: Path) -> None:
    with (
        local_server(project, "--stage", "prod") as (base_url, log_path, _),
        requests.Session() as session,
    ):
        answer = session.get(base_url + "/orders/7", timeout=5)
        assert answer.status_code == 200
        assert answer.json() == {"order_id": "7", "version": 1, "stage": "prod"}
        missing = session.get(base_url + "/nowhere", timeout=5)
        assert missing.status_code == 403
        assert missing.json() == {"message": "Missing Authentication Token"}
    log = log_path.read_text()
    assert f"serving {project.resolve()}/app.py (stage prod, payload 1.0) on {base_url}" in log
    assert "START RequestId: " in log and "REPORT RequestId: " in log


def test_a_save_is_served_within_a_second_and_a_syntax_error_is_survived(project: Path) -> None:
    with local_server(project) as (base_url, log_path, _):

        def version() -> object:
            answer = requests.get(base_url + "/orders/1", timeout=5)
            return answer.json().get("version") if answer.status_code == 200 else answer

        (project / "app.py").write_text(APP.replace("VERSION = 1", "VERSION = 2"))
        assert wait_for(lambda: version() == 2, 5) < 1.0
        (project / "app.py").write_text(APP.replace("def order(order_id):", "def order(:"))
        wait_for(lambda: requests.get(base_url + "/orders/1", timeout=5).status_code == 502)
        broken = requests.get(base_url + "/orders/1", timeout=5)
        assert "SyntaxError" in broken.json()["error"] and "line 8" in broken.json()["error"]
        page = requests.get(base_url + "/orders/1", headers={"Accept": "text/html"}, timeout=5)
        assert "<pre>" in page.text and "SyntaxError" in page.text
        (project / "app.py").write_text(APP.replace("VERSION = 1", "VERSION = 3"))
        wait_for(lambda: version() == 3, 5)
        (project / "notes.txt").write_text("not part of the app")
        time.sleep(0.3)
    assert "SyntaxError" in log_path.read_text()
    assert log_path.read_text().count("change detected") == 3


def test_the_invoke_api_runs_every_function_by_either_name(project: Path) -> None:
    with local_server(project) as (base_url, _, _):
        client = boto3.client(
            "lambda",
            endpoint_url=base_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 0}),
        )
        for name in ("double", "served-dev-double"):
            answer = client.invoke(FunctionName=name, Payload=json.dumps({"n": 21}))
            assert answer["StatusCode"] == 200
            assert json.loads(answer["Payload"].read()) == {
                "doubled": 42,
                "function": "served-dev-double",
            }
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="nope", Payload=b"{}")


def test_stopping_the_server_leaves_no_process_behind(project: Path) -> None:
    with local_server(project) as (base_url, _, process):
        requests.get(base_url + "/orders/1", timeout=5)
        workers = children_of(process.pid)
        assert workers, "the request ran in no worker process"
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), f"worker {pid} leaked"
    assert process.returncode is not None


def _is_zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True


def test_the_in_process_mode_serves_the_same_app(project: Path) -> None:
    with local_server(project, "--in-process", "--no-autoreload") as (base_url, _, process):
        answer = requests.get(base_url + "/orders/5", timeout=5)
        assert answer.json() == {"order_id": "5", "version": 1, "stage": "dev"}
        # The describe step is a short-lived child; no worker process stays.
        time.sleep(0.2)
        assert children_of(process.pid) == []
    assert os.environ.get("STAGE_NAME") is None


# -- an app that hangs, signals, and what the server leaves behind -----------------------

HANGING_APP = "import time\ntime.sleep(600)  # a network call that never answers\n" + APP


def wait_listening(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, f"server exited early:\n{log_path.read_text()}"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        assert time.monotonic() < deadline, f"never listened:\n{log_path.read_text()}"
        time.sleep(0.05)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_the_server_listens_and_stops_at_once_while_the_app_import_hangs(
    project: Path, stop_signal: signal.Signals
) -> None:
    (project / "app.py").write_text(HANGING_APP)
    with start_server(project) as (port, log_path, process):
        wait_listening(port, process, log_path)
        answers: list[requests.Response] = []

        def request() -> None:
            with contextlib.suppress(requests.RequestException):
                answers.append(requests.get(f"http://127.0.0.1:{port}/orders/1", timeout=30))

        waiting = threading.Thread(target=request)
        waiting.start()
        time.sleep(0.5)  # the request waits for the read, whose child sleeps
        started = time.monotonic()
        process.send_signal(stop_signal)
        process.wait(timeout=10)
        assert time.monotonic() - started < 5
        waiting.join(10)
    # Ended quietly: a 503 and one line, no traceback from uvicorn.
    assert [answer.status_code for answer in answers] == [503]
    log = log_path.read_text()
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log  # uvicorn's own count of cancelled requests too
    assert "stopped before answering GET /orders/1" in log


def test_an_import_that_hangs_is_a_502_naming_app_py_after_the_limit(project: Path) -> None:
    with local_server(project, env={"CHALICELIKE_APP_READ_TIMEOUT": "1"}) as (base_url, _, _):
        assert requests.get(base_url + "/orders/1", timeout=5).json()["version"] == 1
        (project / "app.py").write_text(HANGING_APP)
        started = time.monotonic()
        answer = requests.get(base_url + "/orders/1", timeout=10)
        assert answer.status_code == 502
        assert str(project.resolve() / "app.py") in answer.json()["error"]
        assert "took longer than 1 s" in answer.json()["error"]
        assert time.monotonic() - started < 4
        (project / "app.py").write_text(APP.replace("VERSION = 1", "VERSION = 2"))
        assert requests.get(base_url + "/orders/1", timeout=10).json()["version"] == 2


def test_a_request_sent_right_after_a_save_gets_the_new_code(project: Path) -> None:
    with local_server(project) as (base_url, _, _):
        for version in range(2, 7):
            (project / "app.py").write_text(APP.replace("VERSION = 1", f"VERSION = {version}"))
            answer = requests.get(base_url + "/orders/1", timeout=10)
            assert answer.json()["version"] == version
            time.sleep(0.05 * version)  # at various points of the watcher's cycle


MOUNTED_APP = """\
from fastapi import FastAPI
from chalicelike import Chalice

app = Chalice(app_name="mounted")
api = FastAPI()


@api.get("/items/{item_id}")
def item(item_id: int):
    return {"item_id": item_id}


app.mount("/api", api)
"""


def test_a_mounted_fastapi_apps_swagger_ui_finds_its_openapi_document(project: Path) -> None:
    (project / "app.py").write_text(MOUNTED_APP)
    with local_server(project, "--no-autoreload") as (base_url, _, _):
        assert requests.get(base_url + "/api/items/3", timeout=10).json() == {"item_id": 3}
        page = requests.get(base_url + "/api/docs", timeout=10).text
        assert "url: '/api/openapi.json'" in page  # not /api/api/: local URLs have no stage
        document = requests.get(base_url + "/api/openapi.json", timeout=10)
        assert "/items/{item_id}" in document.json()["paths"]


# -- fuzzing the front doors ------------------------------------------------------------

_PATHS = [
    "/orders/",
    "/",
    "/2015-03-31/functions/",
    "/2015-03-31/functions/double/invocations",
    "/2015-03-31/functions/served-dev-double/invocations?Qualifier=",
    "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Ax/invocations",
]
_HEADER_NAMES = [
    "Content-Type", "Accept", "Origin", "Host", "Authorization", "Cookie", "Content-Encoding",
    "X-Amz-Invocation-Type", "X-Amz-Client-Context", "X-Amz-Log-Type", "Transfer-Encoding",
    "X-Forwarded-For", "Access-Control-Request-Method",
]  # fmt: skip
_PAYLOADS = [b"[" * 50000 + b"]" * 50000, b"NaN", b'{"n": Infinity}', b'{"n": 1e999}', b"\xff"]


def _fuzzed_requests(port: int) -> st.SearchStrategy[bytes]:
    line_safe = st.binary(max_size=40).map(
        lambda b: b.replace(b" ", b"").replace(b"\r", b"").replace(b"\n", b"")
    )
    known = [b"application/json", b"*/*", b"null", b"http://evil.example", b"gzip", b"Event"]
    known += [b"Tail", b"DryRun", b"e30=", b"!!", f"127.0.0.1:{port}".encode()]
    header_value = st.one_of(st.sampled_from(known), line_safe)
    header = st.tuples(st.sampled_from(_HEADER_NAMES).map(str.encode), header_value)
    return st.builds(
        lambda method, path, suffix, headers, body: b"".join(
            [
                method + b" " + path.encode() + suffix + b" HTTP/1.1\r\n",
                f"Host: 127.0.0.1:{port}\r\n".encode(),
                *(name + b": " + value + b"\r\n" for name, value in headers),
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body),
                body,
            ]
        ),
        st.sampled_from([b"GET", b"POST", b"PUT", b"OPTIONS", b"HEAD", b"DELETE", b"BREW"]),
        st.sampled_from(_PATHS),
        line_safe,
        st.lists(header, max_size=6),
        st.one_of(st.binary(max_size=120), st.sampled_from(_PAYLOADS)),
    )


def _invoke_request(port: int, body: bytes) -> bytes:
    return (
        f"POST {_PATHS[3]} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


# Hypothesis warns when it prints a 100 kB example (the deep-nesting payload) in its report;
# that is about the report, not the server under test.
@pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
def test_fuzzed_requests_never_get_a_plain_500_or_a_traceback(project: Path) -> None:
    from chalicelike.local._http_protocol import LocalHttpProtocol
    from chalicelike.local._server import LocalServer

    local = LocalServer(project, autoreload=False, in_process=False, log=lambda line: None)
    with serve(local, http=LocalHttpProtocol) as base_url:
        port = int(base_url.rsplit(":", 1)[1])

        @settings(
            max_examples=150,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(_fuzzed_requests(port))
        @example(_invoke_request(port, _PAYLOADS[0]))  # RecursionError was a plain 500
        @example(_invoke_request(port, b"{" * 3000))
        def exchange(request: bytes) -> None:
            with socket.create_connection(("127.0.0.1", port), 10) as sock:
                sock.sendall(request)
                answer = b""
                while chunk := sock.recv(65536):  # the socket's timeout: never a hang
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 "), answer[:200]
            status = int(head.split()[1])
            assert status != 500 or body != b"Internal Server Error", request[:300]
            assert b"Traceback (most recent call last)" not in body, request[:300]

        exchange()


SPAWNING_APP = (
    APP
    + """

@app.route("/spawn")
def spawn():
    import subprocess

    return {"child": subprocess.Popen(["sleep", "1001"]).pid}
"""
)


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not _is_zombie(pid)


def test_a_server_killed_with_sigkill_leaves_no_worker_nor_handler_child(project: Path) -> None:
    (project / "app.py").write_text(SPAWNING_APP)
    with local_server(project) as (base_url, _, process):
        child = requests.get(base_url + "/spawn", timeout=10).json()["child"]
        workers = children_of(process.pid)
        assert _alive(child) and workers
        process.kill()
        process.wait(timeout=10)
        wait_for(lambda: not _alive(child) and not any(map(_alive, workers)), 5)


def test_an_invoke_sent_right_after_a_save_runs_the_new_code(project: Path) -> None:
    with local_server(project) as (base_url, _, _):
        client = boto3.client(
            "lambda",
            endpoint_url=base_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 0}),
        )
        for factor in (3, 4, 5):
            (project / "app.py").write_text(APP.replace('event["n"] * 2', f'event["n"] * {factor}'))
            answer = client.invoke(FunctionName="double", Payload=b'{"n": 1}')
            assert json.loads(answer["Payload"].read())["doubled"] == factor


SLEEPING_APP = (
    APP
    + """

@app.route("/sleep")
def sleep():
    import time

    time.sleep(60)
"""
)


def test_ctrl_c_stops_the_server_while_a_handler_runs(project: Path) -> None:
    (project / "app.py").write_text(SLEEPING_APP)
    (project / ".chalice" / "config.json").write_text(
        json.dumps({"stages": {"dev": {"lambda_timeout": 120}}})
    )
    with local_server(project) as (base_url, log_path, process):

        def request() -> None:
            with contextlib.suppress(requests.RequestException):
                requests.get(base_url + "/sleep", timeout=30)

        waiting = threading.Thread(target=request)
        waiting.start()
        wait_for(lambda: len(children_of(process.pid)) >= 2)  # the worker (and the watchdog)
        time.sleep(0.2)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
        assert time.monotonic() - started < 6
        waiting.join(10)
    assert "Traceback" not in log_path.read_text()


def test_a_server_killed_with_sigkill_while_the_app_import_hangs_leaves_no_child(
    project: Path,
) -> None:
    (project / "app.py").write_text(HANGING_APP)
    with start_server(project) as (port, log_path, process):
        wait_listening(port, process, log_path)
        wait_for(lambda: bool(children_of(process.pid)))  # the describe child, importing
        (describe,) = children_of(process.pid)
        process.kill()
        process.wait(timeout=10)
        wait_for(lambda: not _alive(describe), 5)
