"""X-Ray tracing (`chalicelike/_observe/_tracing.py`): the real handler, the real SDK, a real
UDP socket standing for the X-Ray daemon.

Each test runs `app(event, context)` with CHALICELIKE_XRAY=true, LAMBDA_TASK_ROOT and a
trace header of its own in _X_AMZN_TRACE_ID (as Lambda's runtime sets them), then reads
the segment documents the SDK sent to the socket. The SDK's state is global (its
recorder, the libraries it patched): the `xray` fixture restores it afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._core._lambda_context import LambdaContext
from chalicelike._observe import _tracing
from chalicelike._observe._tracing import NO_OP_SUBSEGMENT, NO_OP_TRACER, XRayTracer
from chalicelike._tooling._test_events import TestEventsClient
from tests.lambda_events import rest

ROOT = Path(__file__).resolve().parent.parent


class Daemon:
    """A UDP socket where the SDK sends its documents, and the trace this test sends."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.root = f"1-{os.urandom(4).hex()}-{os.urandom(12).hex()}"
        self.parent = os.urandom(8).hex()  # the facade segment Lambda made

    def header(self, sampled: int = 1) -> str:
        return f"Root={self.root};Parent={self.parent};Sampled={sampled}"

    def documents(self, timeout: float = 0.5) -> list[dict[str, Any]]:
        """Every document received until the socket stays quiet for `timeout` s."""
        found: list[dict[str, Any]] = []
        self.sock.settimeout(timeout)
        while True:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return found
            header, _, body = data.decode().partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            found.append(json.loads(body))


def every(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every subsegment, nested ones given their parent's id (as the daemon sees them)."""
    found: list[dict[str, Any]] = []

    def keep(document: dict[str, Any], parent_id: str | None) -> None:
        found.append({**document, "parent_id": document.get("parent_id", parent_id)})
        for child in document.get("subsegments", ()):
            keep(child, document["id"])

    for document in documents:
        keep(document, None)
    return found


def flat(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Subsegments by name (the names a test reads are unique in its trace)."""
    return {document["name"]: document for document in every(documents)}


@pytest.fixture
def xray(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Daemon]:
    from aws_xray_sdk.core import patcher, xray_recorder
    from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
    from aws_xray_sdk.core.lambda_launcher import LambdaContext as XRayLambdaContext

    saved = _patched_attributes()
    context, emitter = xray_recorder.context, xray_recorder.emitter
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    daemon = Daemon(sock)
    monkeypatch.setenv("CHALICELIKE_XRAY", "true")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"127.0.0.1:{sock.getsockname()[1]}")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", daemon.header())
    xray_recorder.context = XRayLambdaContext()  # a fresh per-thread facade for this test
    xray_recorder.emitter = UDPEmitter()  # its own socket, closed afterwards
    try:
        yield daemon
    finally:
        sock.close()
        xray_recorder.emitter._socket.close()
        xray_recorder.context, xray_recorder.emitter = context, emitter
        _restore_patched(saved)
        patcher._PATCHED_MODULES.clear()
        _tracing._patched.clear()


def _patched_attributes() -> list[tuple[Any, str, bool, Any]]:
    """What the SDK's patches of botocore, requests and httpx replace: (owner, name,
    present, value), so a test leaves those libraries as it found them."""
    import botocore.client
    import botocore.endpoint
    import requests

    targets: list[tuple[Any, str]] = [
        (botocore.client.BaseClient, "_make_api_call"),
        (botocore.endpoint.Endpoint, "prepare_request"),
        (botocore.client, "_xray_enabled"),
        (requests.Session, "request"),
        (requests.Session, "prepare_request"),
    ]
    if importlib.util.find_spec("httpx") is not None:
        import httpx

        targets += [(httpx, "Client"), (httpx, "AsyncClient")]
    return [(owner, name, name in vars(owner), vars(owner).get(name)) for owner, name in targets]


def _restore_patched(saved: list[tuple[Any, str, bool, Any]]) -> None:
    for owner, name, present, value in saved:
        if present:
            setattr(owner, name, value)
        elif name in vars(owner):
            delattr(owner, name)


def orders_app() -> Chalice:
    app = Chalice(app_name="shop")

    @app.middleware("http")
    def timing(event: Any, get_response: Any) -> Any:
        return get_response(event)

    @app.route("/orders/{order_id}")
    def get_order(order_id: str) -> dict[str, Any]:
        with app.tracer.subsegment("pricing") as sub:
            sub.put_annotation("order_id", order_id)
        return {"id": order_id, "total": price(order_id)}

    @app.tracer.capture("price lookup")
    def price(order_id: str) -> int:
        return 42

    @app.route("/broken")
    def broken() -> None:
        raise ValueError("the view failed")

    return app


def get(path: str, resource: str | None = None, **params: str) -> dict[str, Any]:
    """A REST API event; with `resource`, as API Gateway routed it (parameters and all)."""
    return rest("GET", path, resource=resource, path_params=params or None)


def context(name: str = "shop-dev") -> LambdaContext:
    return LambdaContext(name, aws_request_id=str(uuid.uuid4()))


def test_an_http_invocation_sends_the_handler_middleware_and_view_subsegments(
    xray: Daemon,
) -> None:
    app = orders_app()
    ctx = context()
    answer = app(get("/orders/42", "/orders/{order_id}", order_id="42"), ctx)
    assert answer["statusCode"] == 200
    found = flat(xray.documents())
    handler = found["api_handler"]
    assert handler["trace_id"] == xray.root
    assert handler["parent_id"] == xray.parent  # a child of Lambda's facade segment
    assert handler["type"] == "subsegment"
    assert handler["annotations"] == {
        "function": "api_handler",
        "cold_start": True,
        "request_id": ctx.aws_request_id,
        "route": "GET /orders/{order_id}",
    }
    middleware = found["middleware timing"]
    view = found["view get_order"]
    assert middleware["parent_id"] == handler["id"]
    assert view["parent_id"] == middleware["id"]
    assert found["pricing"]["parent_id"] == view["id"]
    assert found["pricing"]["annotations"] == {"order_id": "42"}
    assert found["price lookup"]["parent_id"] == view["id"]
    for name in ("api_handler", "middleware timing", "view get_order", "pricing"):
        assert found[name]["end_time"] >= found[name]["start_time"]
        assert not found[name].get("fault")


def test_cold_start_is_annotated_on_the_first_invocation_only(
    xray: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = orders_app()
    event = get("/orders/7", "/orders/{order_id}", order_id="7")
    app(event, context())
    first = flat(xray.documents())["api_handler"]
    xray.root = f"1-{os.urandom(4).hex()}-{os.urandom(12).hex()}"  # the next invocation's trace
    monkeypatch.setenv("_X_AMZN_TRACE_ID", xray.header())
    app(event, context())
    second = flat(xray.documents())["api_handler"]
    assert (first["annotations"]["cold_start"], second["annotations"]["cold_start"]) == (
        True,
        False,
    )
    assert second["trace_id"] == xray.root


def test_the_route_comes_from_the_view_when_the_event_does_not_say(xray: Daemon) -> None:
    app = orders_app()
    event = get("/orders/9")  # through '/{proxy+}': the app routes it itself
    assert app(event, context())["statusCode"] == 200
    handler = flat(xray.documents())["api_handler"]
    assert handler["annotations"]["route"] == "GET /orders/{order_id}"


def test_a_view_exception_is_recorded_and_the_answer_is_still_a_500(xray: Daemon) -> None:
    app = orders_app()
    answer = app(get("/broken", "/broken"), context())
    assert answer["statusCode"] == 500
    view = flat(xray.documents())["view broken"]
    assert view["fault"] is True
    (exception,) = view["cause"]["exceptions"]
    assert exception["type"] == "ValueError"
    assert exception["message"] == "the view failed"
    assert any(frame["label"] == "broken" for frame in exception["stack"])


def test_an_sqs_handler_is_traced_and_its_exception_recorded_and_raised(xray: Daemon) -> None:
    app = Chalice(app_name="shop")
    seen: list[str] = []

    @app.on_sqs_message(queue="orders")
    def on_order(event: Any) -> None:
        with app.tracer.subsegment("store"):
            seen.extend(record.body for record in event)
        raise RuntimeError("the batch failed")

    ctx = context("shop-dev-on_order")
    sqs_event = TestEventsClient().generate_sqs_event(["one", "two"], queue_name="orders")
    with pytest.raises(RuntimeError, match="the batch failed"):
        on_order(sqs_event, ctx)
    assert seen == ["one", "two"]
    found = flat(xray.documents())
    handler = found["on_order"]
    assert handler["annotations"] == {
        "function": "on_order",
        "cold_start": True,
        "request_id": ctx.aws_request_id,
        "event_source": "sqs",
    }
    # Recorded where it was raised; the handler's subsegment names that record by its id,
    # as X-Ray does for an exception passing through several subsegments.
    inner = found["handler on_order"]
    (exception,) = inner["cause"]["exceptions"]
    assert (exception["type"], exception["message"]) == ("RuntimeError", "the batch failed")
    assert inner["fault"] is True and handler["fault"] is True
    assert handler["cause"] == exception["id"]
    assert inner["parent_id"] == handler["id"]
    assert found["store"]["parent_id"] == found["handler on_order"]["id"]


def test_an_unsampled_trace_sends_nothing_and_the_app_still_answers(
    xray: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", xray.header(sampled=0))
    app = orders_app()
    assert app(get("/orders/1", "/orders/{order_id}", order_id="1"), context())["statusCode"] == 200
    assert xray.documents(timeout=0.2) == []


def test_no_trace_header_means_no_subsegments(
    xray: Daemon, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID")
    app = orders_app()
    assert app(get("/orders/1", "/orders/{order_id}", order_id="1"), context())["statusCode"] == 200
    assert xray.documents(timeout=0.2) == []
    assert capsys.readouterr().err == ""  # and the SDK complained of nothing


def test_tracer_on_is_the_sdk_and_checks_its_names(xray: Daemon) -> None:
    app = Chalice(app_name="shop")
    assert isinstance(app.tracer, XRayTracer) and app.tracer.enabled
    with pytest.raises(ValueError, match="non-empty name"):
        app.tracer.subsegment("")
    with pytest.raises(ValueError, match="subsegment name or nothing"):
        app.tracer.capture(42)  # type: ignore[call-overload]
    # Outside an invocation (the init phase) a subsegment is a no-op, not an SDK warning.
    with app.tracer.subsegment("init") as sub:
        assert sub is NO_OP_SUBSEGMENT


@pytest.mark.slow
def test_a_boto3_call_is_a_subsegment_of_the_view(xray: Daemon) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        app = Chalice(app_name="shop")

        @app.route("/queues")
        def queues() -> dict[str, Any]:
            import boto3

            sqs = boto3.client(
                "sqs",
                endpoint_url=f"http://{host}:{port}",
                region_name="eu-west-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            sqs.create_queue(QueueName="orders")
            return {"queues": len(sqs.list_queues().get("QueueUrls", []))}

        answer = app(get("/queues", "/queues"), context())
        assert answer["statusCode"] == 200, answer
        documents = every(xray.documents())
    finally:
        server.stop()
    (view,) = [d for d in documents if d["name"] == "view queues"]
    calls = [d for d in documents if d["name"] == "sqs"]
    assert [call["aws"]["operation"] for call in calls] == ["CreateQueue", "ListQueues"]
    for call in calls:
        assert call["namespace"] == "aws"
        assert call["parent_id"] == view["id"]
        assert call["http"]["response"]["status"] == 200


def test_without_the_sdk_one_line_names_the_fix_and_the_app_works(
    xray: Daemon, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What an environment without aws-xray-sdk looks like to an import.
    for name in [m for m in sys.modules if m.startswith("aws_xray_sdk")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "aws_xray_sdk", None)
    app = orders_app()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert "aws-xray-sdk is not installed" in lines[0]
    assert "pip install chalicelike[xray]" in lines[0] and "requirements.txt" in lines[0]
    assert app.tracer is NO_OP_TRACER
    assert app(get("/orders/3", "/orders/{order_id}", order_id="3"), context())["statusCode"] == 200
    assert xray.documents(timeout=0.2) == []


def test_tracing_off_the_tracer_does_nothing_and_costs_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHALICELIKE_XRAY", raising=False)
    app = Chalice(app_name="shop")

    def price() -> int:
        return 1

    assert app.tracer is NO_OP_TRACER and not app.tracer.enabled
    assert app.tracer.capture(price) is price
    assert app.tracer.capture("named")(price) is price
    with app.tracer.subsegment("pricing") as sub:
        sub.put_annotation("k", "v")
        sub.put_metadata("k", {"v": 1})
    assert sub is NO_OP_SUBSEGMENT


_IMPORTS = """
import sys
sys.path.insert(0, {root!r})
from chalicelike import Chalice
from tests.lambda_events import rest
from chalicelike._core._lambda_context import LambdaContext
app = Chalice(app_name="shop")

@app.route("/orders/{{order_id}}")
def get_order(order_id):
    return {{"id": order_id}}

@app.on_sqs_message(queue="orders")
def on_order(event):
    return None

event = rest("GET", "/orders/1", resource="/orders/{{order_id}}", path_params={{"order_id": "1"}})
assert app(event, LambdaContext("f"))["statusCode"] == 200
from chalicelike._tooling._test_events import TestEventsClient
on_order(TestEventsClient().generate_sqs_event(["x"], queue_name="orders"), LambdaContext("g"))
watched = ("chalicelike._observe", "aws_xray_sdk", "wrapt")
print(" ".join(sorted(m for m in sys.modules if m.startswith(watched))))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ""),
        (
            {"AWS_LAMBDA_LOG_FORMAT": "JSON"},
            "chalicelike._observe chalicelike._observe._invocation chalicelike._observe._json_logs",
        ),
    ],
    ids=["all-off", "json-logs"],
)
def test_what_an_app_imports_with_tracing_off(env: dict[str, str], expected: str) -> None:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CHALICELIKE_XRAY", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL"}
    }
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS.format(root=str(ROOT))],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == expected


_TYPED_APP = """
from chalicelike import Chalice

app = Chalice(app_name="shop")
app.metrics.namespace = "Shop"


@app.tracer.capture
def price(order_id: str) -> int:
    return 42


@app.tracer.capture("stock lookup")
def stock(order_id: str) -> int:
    return 1


@app.route("/orders/{order_id}")
def get_order(order_id: str) -> dict[str, object]:
    with app.tracer.subsegment("pricing") as sub:
        sub.put_annotation("order_id", order_id)
    app.metrics.put("OrdersRead", 1, unit="Count", route="orders")
    total: int = price(order_id) + stock(order_id)
    return {"id": order_id, "total": total}
"""


@pytest.mark.slow
def test_a_user_app_using_the_tracer_and_metrics_type_checks(tmp_path: Path) -> None:
    # Under mypy --strict an untyped decorator is an error in the user's app: capture keeps
    # the decorated function's type, whether tracing is on or off.
    app_file = tmp_path / "app.py"
    app_file.write_text(_TYPED_APP, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
            "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), str(app_file),
        ],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )  # fmt: skip
    assert result.stdout == "", result.stdout
    assert result.returncode == 0, result.stderr


def test_an_authorizer_is_traced_as_its_own_function(xray: Daemon) -> None:
    from chalicelike import AuthResponse

    app = Chalice(app_name="shop")

    @app.authorizer()
    def auth(request: Any) -> Any:
        with app.tracer.subsegment("lookup"):
            return AuthResponse(["/orders/*"], principal_id=request.token)

    event = {
        "type": "TOKEN",
        "authorizationToken": "alice",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/api/GET/orders/1",
    }
    ctx = context("shop-dev-auth")
    assert auth(event, ctx)["principalId"] == "alice"
    found = flat(xray.documents())
    assert found["auth"]["annotations"]["function"] == "auth"
    assert found["auth"]["annotations"]["event_source"] == "authorizer"
    assert found["lookup"]["parent_id"] in {
        found["auth"]["id"],
        found.get("handler auth", {}).get("id"),
    }


def errors_app() -> Chalice:
    from chalicelike import BadRequestError, ChaliceViewError, TooManyRequestsError

    app = Chalice(app_name="shop")

    @app.route("/bad")
    def bad() -> None:
        raise BadRequestError("no such order")

    @app.route("/slow-down")
    def slow_down() -> None:
        raise TooManyRequestsError("too many")

    @app.route("/failed")
    def failed() -> None:
        raise ChaliceViewError("the store is down")

    return app


@pytest.mark.parametrize(
    ("path", "status", "flags", "error_type"),
    [
        ("/bad", 400, {"error": True}, "BadRequestError"),
        ("/slow-down", 429, {"error": True, "throttle": True}, "TooManyRequestsError"),
        ("/failed", 500, {"fault": True}, "ChaliceViewError"),
    ],
)
def test_a_chalice_view_error_is_recorded_on_the_view_by_its_status(
    xray: Daemon, path: str, status: int, flags: dict[str, bool], error_type: str
) -> None:
    # X-Ray's rule: a 4xx is the client's `error` (429 also `throttle`), a 5xx a `fault`.
    app = errors_app()
    answer = app(get(path, path), context())
    assert answer["statusCode"] == status  # the client still gets Chalice's answer
    assert json.loads(answer["body"])["Code"] == error_type
    found = flat(xray.documents())
    view = found[f"view {path.strip('/').replace('-', '_')}"]
    assert {f: view.get(f, False) for f in ("error", "fault", "throttle")} == {
        "error": False,
        "fault": False,
        "throttle": False,
        **flags,
    }
    (exception,) = view["cause"]["exceptions"]
    assert exception["type"] == error_type
    # As for other exceptions a view raises: the handler's subsegment has no flag of it.
    handler = found["api_handler"]
    assert not handler.get("fault") and not handler.get("error")


def test_a_chalice_view_error_raised_by_middleware_is_flagged_by_its_status(
    xray: Daemon,
) -> None:
    from chalicelike import UnauthorizedError

    app = Chalice(app_name="shop")

    @app.middleware("http")
    def auth(event: Any, get_response: Any) -> Any:
        raise UnauthorizedError("who are you")

    @app.route("/orders")
    def orders() -> dict[str, bool]:
        return {"ok": True}

    assert app(get("/orders", "/orders"), context())["statusCode"] == 401
    middleware = flat(xray.documents())["middleware auth"]
    assert middleware["error"] is True and not middleware.get("fault")
    assert middleware["cause"]["exceptions"][0]["type"] == "UnauthorizedError"


def test_a_chalice_view_error_costs_nothing_with_tracing_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHALICELIKE_XRAY", raising=False)
    app = errors_app()
    assert app(get("/bad", "/bad"), context())["statusCode"] == 400
    assert app.middleware_stack.instrument is None and app._observer is None
