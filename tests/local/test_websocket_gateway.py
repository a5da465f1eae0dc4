"""LocalWebsocketApi end to end: uvicorn on 127.0.0.1 serving it beside the HTTP gateway (as
`chalicelike local` wires them), a real WorkerPool running a tiny app, the `websockets`
library as the client, and the handlers answering through boto3's management API client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from chalicelike._core._types import Receive, Scope, Send
from chalicelike._tooling._describe import AppLoadError
from chalicelike._tooling._manifest import AppManifest, FunctionEntry
from chalicelike.local._asgi_types import run_lifespan
from chalicelike.local._gateway import LocalGateway
from chalicelike.local._host_guard import HostGuard
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    Throttled,
    UnknownFunction,
    error_payload,
)
from chalicelike.local._pool import WorkerPool
from chalicelike.local._project_state import ProjectState
from chalicelike.local._websocket_gateway import LocalWebsocketApi
from tests.local.project_support import write_project
from tests.servers import serve

# Tests with worker processes (cold starts of a few functions) are slow.
slow = pytest.mark.slow

APP = """\
import json
import os
import time

from chalicelike import Chalice, Response, WebsocketDisconnectedError

app = Chalice(app_name="sockets")


def record(event):
    with open(os.environ["WS_RECORD"], "a") as records:
        records.write(json.dumps(event) + "\\n")


@app.on_ws_connect()
def connect(event):
    record(event.to_dict())
    room = (event.to_dict().get("queryStringParameters") or {}).get("room")
    if room == "closed":
        return Response(body="", status_code=403)
    if room == "broken":
        raise ValueError("no connecting today")
    if room == "chat":
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}
    return None


@app.on_ws_message()
def message(event):
    record(event.to_dict())
    body = event.body
    if body == "boom":
        raise ValueError("cannot read this one")
    if body.startswith("sleep "):
        time.sleep(float(body.split()[1]))
        return
    if body.startswith("to "):
        _, target, text = body.split(" ", 2)
        try:
            app.websocket_api.send(target, text)
        except WebsocketDisconnectedError:
            app.websocket_api.send(event.connection_id, "gone " + target)
        return
    if body == "info":
        app.websocket_api.send(event.connection_id, json.dumps(app.websocket_api.info(
            event.connection_id), default=str))
        return
    if body == "whoami":
        app.websocket_api.send(event.connection_id, event.connection_id)
        return
    if body == "close me":
        app.websocket_api.close(event.connection_id)
        return
    if body == "binary":
        app.websocket_api.send(event.connection_id, bytes([0, 255, 1]))
        return
    app.websocket_api.send(event.connection_id, "echo " + body)


@app.on_ws_disconnect()
def disconnect(event):
    record(event.to_dict())


@app.route("/notify/{connection_id}", methods=["POST"])
def notify(connection_id):
    request = app.current_request
    app.websocket_api.configure(request.headers["host"], "api")
    try:
        app.websocket_api.send(connection_id, request.raw_body.decode())
    except WebsocketDisconnectedError:
        return {"sent": False}
    return {"sent": True}
"""

PLAIN_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="plain")


@app.route("/")
def index():
    return {"hello": "world"}
"""


class LocalServerStandIn:
    """The dev server's wiring of the websocket API: websocket scopes and management API
    paths to it, every other request to the gateway; started and stopped by the lifespan."""

    def __init__(self, project_dir: Path, **options: Any) -> None:
        self.project_dir = project_dir
        self.options = options
        self.lines: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send, self.start, self.stop)
        elif scope["type"] == "websocket" or self.websockets.handles(scope):
            await self.websockets(scope, receive, send)
        else:
            await self.gateway(scope, receive, send)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.pool = WorkerPool([], log_sink=self.lines.append)
        self.state = ProjectState(self.project_dir, "dev", self.pool)
        await self.state.reload()
        guard = HostGuard(["127.0.0.1"])
        self.websockets = LocalWebsocketApi(
            self.state, self.pool, api_stage="api", log=self.lines.append, guard=guard,
            **self.options,
        )  # fmt: skip
        self.gateway = LocalGateway(self.state, self.pool, api_stage="api", log=self.lines.append)

    async def stop(self) -> None:
        await self.websockets.close()
        await self.state.close()
        await self.pool.close()


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Dummy credentials for the workers' boto3, and AWS_ENDPOINT_URL pointing nowhere (as
    `chalicelike local` points it at moto): the management API's own URL must win."""
    record = tmp_path / "events.jsonl"
    monkeypatch.setenv("WS_RECORD", str(record))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return record


def project(tmp_path: Path, source: str = APP) -> Path:
    return write_project(tmp_path, source, {"app_name": "sockets"})


Served = tuple[str, LocalServerStandIn]


@pytest.fixture
def served(tmp_path: Path, aws_environment: Path) -> Iterator[Served]:
    server = LocalServerStandIn(project(tmp_path))
    with serve(server) as base_url:
        yield base_url, server


def ws(base_url: str, path: str = "/", **options: Any) -> ClientConnection:
    options.setdefault("open_timeout", 20)
    return connect(base_url.replace("http://", "ws://") + path, proxy=None, **options)


def text_from(client: ClientConnection) -> str:
    message = client.recv(timeout=20)
    assert isinstance(message, str), message
    return message


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for(check: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError("not seen in time")
        time.sleep(0.02)
    return found


def routes_seen(path: Path) -> list[str]:
    return [event["requestContext"]["routeKey"] for event in records(path)]


# -- a connection's life ---------------------------------------------------------------------


@slow
def test_connect_message_disconnect_run_in_workers(served: Served, aws_environment: Path) -> None:
    base_url, server = served
    host = base_url.removeprefix("http://")
    with ws(base_url, "/?room=lobby&tag=a&tag=b") as client:
        client.send("hello")
        assert client.recv(timeout=20) == "echo hello"  # through app.websocket_api.send
        client.send("info")
        info = json.loads(client.recv(timeout=20))
    events = wait_for(lambda: len(records(aws_environment)) == 4 and records(aws_environment))
    connect_event, message_event, _, disconnect_event = events
    context = connect_event["requestContext"]
    connection_id = context["connectionId"]
    assert (context["routeKey"], context["eventType"], context["messageDirection"]) == (
        "$connect", "CONNECT", "IN",
    )  # fmt: skip
    assert (context["stage"], context["domainName"], context["apiId"]) == ("api", host, "local")
    assert len(connection_id) == 16 and connection_id.endswith("=")
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("Python/")
    assert isinstance(context["connectedAt"], int) and isinstance(context["requestTimeEpoch"], int)
    assert connect_event["queryStringParameters"] == {"room": "lobby", "tag": "b"}
    assert connect_event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    headers = {name.lower(): value for name, value in connect_event["headers"].items()}
    assert headers["host"] == host
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["sec-websocket-version"] == "13"
    assert "upgrade" not in headers  # API Gateway ends the upgrade itself
    assert connect_event["isBase64Encoded"] is False
    message = message_event["requestContext"]
    assert (message["routeKey"], message["eventType"]) == ("$default", "MESSAGE")
    assert message["connectionId"] == connection_id
    assert message["connectedAt"] == context["connectedAt"]
    assert (message_event["body"], message_event["isBase64Encoded"]) == ("hello", False)
    goodbye = disconnect_event["requestContext"]
    assert (goodbye["routeKey"], goodbye["eventType"]) == ("$disconnect", "DISCONNECT")
    assert goodbye["connectionId"] == connection_id
    assert goodbye["disconnectStatusCode"] == 1000  # the client's close code
    assert set(info) == {"ConnectedAt", "Identity", "LastActiveAt", "ResponseMetadata"}
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    # The workers ran with AWS_ENDPOINT_URL pointing nowhere: the handler's own URL won.
    assert any(
        f"websocket {connection_id} $disconnect (1000): 200" in line for line in server.lines
    )


@slow
def test_messages_of_a_connection_are_invoked_in_order(
    served: Served, aws_environment: Path
) -> None:
    base_url, _ = served
    with ws(base_url) as client:
        client.send("sleep 0.3")
        for number in range(5):
            client.send(f"n{number}")
        answers = [client.recv(timeout=20) for _ in range(5)]
    assert answers == [f"echo n{number}" for number in range(5)]
    bodies = [event.get("body") for event in records(aws_environment)]
    assert bodies[1:7] == ["sleep 0.3", "n0", "n1", "n2", "n3", "n4"]


@slow
def test_connect_refused_with_the_functions_status(served: Served, aws_environment: Path) -> None:
    base_url, server = served
    with pytest.raises(InvalidStatus) as refused:
        ws(base_url, "/?room=closed")
    assert refused.value.response.status_code == 403
    wait_for(
        lambda: any(
            "$connect: 403, websocket_connect refused the connection" in line
            for line in server.lines
        )
    )
    assert routes_seen(aws_environment) == ["$connect"]  # never connected: no $disconnect


@slow
def test_connect_function_error_is_a_502(served: Served, aws_environment: Path) -> None:
    base_url, server = served
    with pytest.raises(InvalidStatus) as refused:
        ws(base_url, "/?room=broken")
    assert refused.value.response.status_code == 502
    assert json.loads(refused.value.response.body) == {"message": "Internal server error"}
    assert any(
        "websocket_connect failed: ValueError: no connecting today" in line for line in server.lines
    )


@slow
def test_connect_headers_choose_the_subprotocol(served: Served) -> None:
    base_url, _ = served
    with ws(base_url, "/api?room=chat", subprotocols=["chat"]) as client:  # the stage's path too
        assert client.subprotocol == "chat"


@slow
def test_a_message_handler_error_is_told_to_the_client(served: Served) -> None:
    base_url, server = served
    with ws(base_url) as client:
        client.send("boom")
        error = json.loads(client.recv(timeout=20))
        assert error["message"] == "Internal server error"
        assert error["connectionId"] and error["requestId"]
        client.send("still here")  # API Gateway keeps the connection open
        assert client.recv(timeout=20) == "echo still here"
    assert any(
        "$default: 502, websocket_message failed: ValueError" in line for line in server.lines
    )


@slow
def test_binary_frames_are_refused_as_api_gateway_does(served: Served) -> None:
    base_url, _ = served
    with ws(base_url) as client:
        client.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


@slow
def test_bytes_that_are_not_utf8_arrive_as_a_binary_frame(served: Served) -> None:
    base_url, _ = served
    with ws(base_url) as client:
        client.send("binary")
        assert client.recv(timeout=20) == bytes([0, 255, 1])


@slow
def test_send_to_a_gone_connection_is_disconnected_error(served: Served) -> None:
    base_url, _ = served
    with ws(base_url) as first:
        first.send("info")
        first.recv(timeout=20)
        gone = "AAAAAAAAAAAAAAA="
        first.send(f"to {gone} hello")
        assert first.recv(timeout=20) == f"gone {gone}"


@slow
def test_one_connection_sends_to_another(served: Served) -> None:
    base_url, _ = served
    with ws(base_url) as first, ws(base_url) as second:
        second.send("whoami")
        second_id = text_from(second)
        first.send(f"to {second_id} from first")
        assert second.recv(timeout=20) == "from first"


@slow
def test_close_through_the_management_api_runs_disconnect(
    served: Served, aws_environment: Path
) -> None:
    base_url, _ = served
    with ws(base_url) as client:
        client.send("close me")
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    wait_for(lambda: routes_seen(aws_environment)[-1:] == ["$disconnect"])


@slow
def test_a_plain_route_sends_to_a_connection(served: Served) -> None:
    base_url, server = served
    with ws(base_url) as client:
        client.send("whoami")
        connection_id = text_from(client)
        answer = requests.post(
            f"{base_url}/notify/{connection_id}", data="from a route", timeout=30
        )
        assert answer.json() == {"sent": True}
        assert client.recv(timeout=20) == "from a route"
    wait_for(lambda: server.websockets.registry.get(connection_id) is None)
    answer = requests.post(f"{base_url}/notify/{connection_id}", data="late", timeout=30)
    assert answer.json() == {"sent": False}  # 410 GoneException -> WebsocketDisconnectedError


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "path", "allowed"),
    [
        ({"Origin": "http://localhost:3000"}, "/", True),  # a frontend's dev server
        ({"Origin": "http://127.0.0.1:5173"}, "/", True),
        ({"Origin": "https://evil.example"}, "/", False),
        ({"Origin": "null"}, "/", False),
        ({"Host": "evil.example:8000"}, "/", False),  # DNS rebinding
        ({}, "/elsewhere", False),
    ],
)
@slow
def test_foreign_pages_and_hosts_are_refused(
    served: Served, aws_environment: Path, headers: dict[str, str], path: str, allowed: bool
) -> None:
    base_url, server = served
    if allowed:
        with ws(base_url, path, additional_headers=headers) as client:
            client.send("hi")
            assert client.recv(timeout=20) == "echo hi"
        return
    with pytest.raises(InvalidStatus) as refused:
        ws(base_url, path, additional_headers=headers)
    assert refused.value.response.status_code == 403
    assert routes_seen(aws_environment) == []  # refused before any function ran
    assert any("refused (403)" in line for line in server.lines)


@slow
def test_an_app_without_websocket_handlers_refuses_the_upgrade(
    tmp_path: Path, aws_environment: Path
) -> None:
    server = LocalServerStandIn(project(tmp_path, PLAIN_APP))
    with serve(server) as base_url:
        with pytest.raises(InvalidStatus) as refused:
            ws(base_url)
        assert refused.value.response.status_code == 403
        assert requests.get(base_url, timeout=30).json() == {"hello": "world"}
    assert any("the app has no websocket handlers" in line for line in server.lines)


@slow
def test_the_management_api_refuses_a_browser_page(served: Served) -> None:
    base_url, _ = served
    answer = requests.get(
        f"{base_url}/api/@connections/AAAAAAAAAAAAAAA%3D",
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"


# -- shutdown ---------------------------------------------------------------------------------


@slow
def test_shutdown_runs_every_disconnect(tmp_path: Path, aws_environment: Path) -> None:
    server = LocalServerStandIn(project(tmp_path))
    closed: list[int] = []

    def read_until_closed(client: ClientConnection) -> None:
        try:
            client.recv(timeout=30)
        except ConnectionClosed as error:
            closed.append(error.rcvd.code if error.rcvd else 1006)

    with contextlib.ExitStack() as stack:
        with serve(server) as base_url:
            clients = [stack.enter_context(ws(base_url)) for _ in range(2)]
            for client in clients:
                client.send("hi")
                assert client.recv(timeout=20) == "echo hi"
            readers = [threading.Thread(target=read_until_closed, args=(c,)) for c in clients]
            for reader in readers:
                reader.start()
        # The server has stopped: each client was closed and its $disconnect ran first.
        for reader in readers:
            reader.join(30)
        disconnects = [
            e for e in records(aws_environment) if e["requestContext"]["eventType"] == "DISCONNECT"
        ]
        # uvicorn closes its websockets (1012, service restart) before the lifespan's
        # shutdown calls close(); the $disconnect events say so.
        assert [e["requestContext"]["disconnectStatusCode"] for e in disconnects] == [1012, 1012]
        assert closed == [1012, 1012]


@slow
def test_close_goes_away_after_the_message_in_flight(served: Served, aws_environment: Path) -> None:
    base_url, server = served
    with ws(base_url) as client:
        client.send("sleep 0.5")
        wait_for(lambda: routes_seen(aws_environment) == ["$connect", "$default"])
        client.send("never run")
        time.sleep(0.1)  # read by the server, queued behind the sleep
        started = time.monotonic()
        asyncio.run_coroutine_threadsafe(server.websockets.close(), server.loop).result(30)
        assert time.monotonic() - started > 0.2  # it waited for the sleep
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    events = records(aws_environment)
    assert [e["requestContext"]["routeKey"] for e in events] == [
        "$connect",
        "$default",
        "$disconnect",
    ]
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1001
    assert any("1 message(s) not run (stopping)" in line for line in server.lines)


# -- API Gateway's own answers, with a stand-in Lambda -----------------------------------------

Behaviour = Callable[[dict[str, Any]], Awaitable[Any]]


class StandInLambda:
    """A LocalLambda whose functions are coroutines of the test: records every event."""

    def __init__(self, functions: dict[str, Behaviour], timeout: float = 60.0) -> None:
        self.functions = functions
        self.timeout = timeout
        self.events: list[tuple[str, dict[str, Any]]] = []

    def find(self, name: str) -> FunctionSpec | None:
        if name not in self.functions:
            return None
        return FunctionSpec(name, f"sockets-dev-{name}", f"app.{name}", ".", self.timeout)

    async def invoke(
        self,
        name: str,
        payload: bytes,
        *,
        client_context: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
        source: str = "invoke",
    ) -> InvocationResult:
        function = self.functions.get(name)
        if function is None:
            raise UnknownFunction(name)
        event = json.loads(payload)
        self.events.append((name, event))
        try:
            answer = await function(event)
        except ValueError as error:
            return InvocationResult(
                "id", InvocationStatus.ERROR, error_payload(str(error), "ValueError")
            )
        return InvocationResult("id", InvocationStatus.OK, json.dumps(answer).encode())


class StandInState:
    def __init__(self, manifest: AppManifest | None) -> None:
        self.manifest = manifest

    async def current(self) -> AppManifest:
        if self.manifest is None:
            raise AppLoadError("app.py, line 3: SyntaxError: invalid syntax")
        return self.manifest


def manifest(*routes: str) -> AppManifest:
    names = {"$connect": "websocket_connect", "$default": "websocket_message"}
    names["$disconnect"] = "websocket_disconnect"
    functions = [
        FunctionEntry(names[route], f"app.{names[route]}", "websocket", {"route_key": route})
        for route in routes
    ]
    return AppManifest("sockets", functions, [], [])


async def accept(event: dict[str, Any]) -> Any:
    return {"statusCode": 200}


def stand_in_server(
    local_lambda: StandInLambda, state: Any, **options: Any
) -> tuple[LocalWebsocketApi, list[str]]:
    lines: list[str] = []
    api = LocalWebsocketApi(
        state, local_lambda, api_stage="api", log=lines.append, guard=HostGuard(), **options
    )
    return api, lines


def test_a_slow_function_is_api_gateways_timeout() -> None:
    async def slow_message(event: dict[str, Any]) -> Any:
        await asyncio.sleep(0.5 if event["body"] == "slow" else 0)
        return {"statusCode": 200}

    async def slow_connect(event: dict[str, Any]) -> Any:
        if event["queryStringParameters"]:
            await asyncio.sleep(0.5)
        return {"statusCode": 200}

    local_lambda = StandInLambda(
        {"websocket_connect": slow_connect, "websocket_message": slow_message}
    )
    api, lines = stand_in_server(
        local_lambda, StandInState(manifest("$connect", "$default")), integration_timeout=0.2
    )
    with serve(api) as base_url:
        with pytest.raises(InvalidStatus) as refused:
            ws(base_url, "/?slow=1")
        assert refused.value.response.status_code == 504
        with ws(base_url) as client:
            client.send("slow")
            error = json.loads(text_from(client))
            assert error["message"] == "Endpoint request timed out"
            client.send("quick")  # the next message is served: the connection stays open
            time.sleep(0.1)
    assert any(
        "$default: 504, websocket_message still running after 0.2 s" in line for line in lines
    )
    assert [event.get("body") for _, event in local_lambda.events][-2:] == ["slow", "quick"]


def test_a_throttled_connect_is_a_429() -> None:
    async def throttled(event: dict[str, Any]) -> Any:
        raise Throttled("websocket_connect")

    api, _ = stand_in_server(
        StandInLambda({"websocket_connect": throttled}), StandInState(manifest("$connect"))
    )
    with serve(api) as base_url, pytest.raises(InvalidStatus) as refused:
        ws(base_url)
    assert refused.value.response.status_code == 429


def test_an_app_that_cannot_be_read_is_a_500() -> None:
    api, lines = stand_in_server(StandInLambda({}), StandInState(None))
    with serve(api) as base_url, pytest.raises(InvalidStatus) as refused:
        ws(base_url)
    assert refused.value.response.status_code == 500
    assert any("the app cannot be served: app.py, line 3" in line for line in lines)


def test_without_connect_and_default_handlers() -> None:
    # Only $disconnect: the upgrade is accepted at once; a message has no route.
    local_lambda = StandInLambda({"websocket_disconnect": accept})
    api, lines = stand_in_server(local_lambda, StandInState(manifest("$disconnect")))
    with serve(api) as base_url:
        with ws(base_url) as client:
            client.send("hello")
            assert json.loads(text_from(client))["message"] == "Forbidden"
        wait_for(lambda: local_lambda.events)
    [(name, event)] = local_lambda.events
    assert name == "websocket_disconnect"
    assert event["requestContext"]["disconnectStatusCode"] == 1000
    assert any("$default: 403, the app has no $default handler" in line for line in lines)


def test_a_message_above_128_kib_closes_the_connection() -> None:
    local_lambda = StandInLambda({"websocket_message": accept})
    api, _ = stand_in_server(local_lambda, StandInState(manifest("$default")))
    with serve(api) as base_url, ws(base_url) as client:
        client.send("é" * (64 * 1024 + 1))  # 128 KiB + 2 bytes in UTF-8
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert local_lambda.events == []


def test_a_bug_of_ours_is_one_logged_traceback() -> None:
    class BrokenState:
        async def current(self) -> AppManifest:
            raise RuntimeError("a bug in the state")

    api, lines = stand_in_server(StandInLambda({}), BrokenState())
    with serve(api) as base_url, pytest.raises(InvalidStatus) as refused:
        ws(base_url)
    assert refused.value.response.status_code == 500  # uvicorn's: no handshake was sent
    [line] = [line for line in lines if line.startswith("websocket: a connection failed")]
    assert "Traceback" in line and "RuntimeError: a bug in the state" in line
