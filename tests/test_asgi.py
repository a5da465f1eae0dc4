"""The app as an ASGI application: driven by hand, and served by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import uvicorn

from chalicelike import Chalice, Request, Response
from tests.servers import serve

Message = dict[str, Any]


def make_app() -> Chalice:
    return Chalice(app_name=f"asgi-{uuid.uuid4().hex[:8]}", configure_logs=False)


def http_scope(
    path: str,
    method: str = "GET",
    *,
    root_path: str = "",
    raw_path: bytes | None = None,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "root_path": root_path,
        "query_string": query,
        "headers": headers or [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    if raw_path is not None:
        scope["raw_path"] = raw_path
    return scope


async def _call(app: Chalice, scope: dict[str, Any], incoming: list[Message]) -> list[Message]:
    queue = list(incoming)
    sent: list[Message] = []

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)  # a real server waits for the next message
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def _shutdown(app: Chalice) -> list[Message]:
    """End the app's lifespan, as a server does, so its worker threads are released."""
    return await _call(
        app,
        {"type": "lifespan", "asgi": {"version": "3.0"}},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )


def drive(
    app: Chalice, scope: dict[str, Any], body_chunks: list[bytes] | None = None
) -> list[Message]:
    """Run one HTTP request through the ASGI callable on a fresh event loop."""
    chunks = body_chunks if body_chunks is not None else [b""]
    incoming: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def main() -> list[Message]:
        try:
            return await _call(app, scope, incoming)
        finally:
            await _shutdown(app)

    return asyncio.run(main())


def status_and_body(sent: list[Message]) -> tuple[int, bytes]:
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    return sent[0]["status"], sent[1]["body"]


@contextlib.contextmanager
def uvicorn_server(app: Any, **config: Any) -> Iterator[str]:
    """Like conftest's serve(), with uvicorn's own log records propagated (log_config=None)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_config=None, log_level="info", **config)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# -- what a server sees ---------------------------------------------------------------------


def test_uvicorn_detects_asgi3() -> None:
    app = make_app()
    assert inspect.iscoroutinefunction(app.__call__)
    config = uvicorn.Config(app, interface="auto")
    config.load()
    assert config.interface == "asgi3"


def test_lifespan_messages() -> None:
    sent = asyncio.run(_shutdown(make_app()))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


def test_lifespan_under_uvicorn(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    app.route("/")(lambda: {"up": True})
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        with uvicorn_server(app) as base_url:
            assert requests.get(base_url + "/", timeout=5).json() == {"up": True}
        messages = [r.getMessage() for r in caplog.records if r.name == "uvicorn.error"]
    assert "Application startup complete." in messages
    assert "Application shutdown complete." in messages
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_response_messages() -> None:
    app = make_app()

    @app.route("/items/{item_id}")
    def item(item_id: str) -> Response:
        return Response({"id": item_id}, headers={"X-Multi": ["a", "b"]})

    sent = drive(app, http_scope("/items/7"))
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"x-multi", b"a"),
                (b"x-multi", b"b"),
                (b"content-type", b"application/json"),
                (b"content-length", b"10"),
            ],
        },
        {"type": "http.response.body", "body": b'{"id":"7"}'},
    ]


def test_unknown_path_is_answered_without_reading_the_body() -> None:
    app = make_app()
    sent = asyncio.run(_call(app, http_scope("/nowhere"), []))
    assert status_and_body(sent) == (403, b'{"message":"Missing Authentication Token"}')


# -- root_path: an app mounted under a prefix -----------------------------------------------


@pytest.fixture
def mounted_app() -> Chalice:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/items/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"id": item_id, "path": app.current_request.path}

    @app.route("/api-docs")
    def docs() -> str:
        return "docs"

    return app


@pytest.mark.parametrize(
    ("scope_args", "expected"),
    [
        # ASGI 3 servers put the mount point in path and raw_path.
        (
            {"path": "/api/items/7", "raw_path": b"/api/items/7", "root_path": "/api"},
            (200, b'{"id":"7","path":"/items/{item_id}"}'),
        ),
        (
            {"path": "/api/items/7", "root_path": "/api"},
            (200, b'{"id":"7","path":"/items/{item_id}"}'),
        ),
        ({"path": "/api", "raw_path": b"/api", "root_path": "/api"}, (200, b"index")),
        ({"path": "/api/", "raw_path": b"/api/", "root_path": "/api"}, (200, b"index")),
        # Older servers leave it out of path.
        ({"path": "/items/8", "root_path": "/api"}, (200, b'{"id":"8","path":"/items/{item_id}"}')),
        # Only a whole segment is a mount point: '/api-docs' is not under '/api'.
        ({"path": "/api-docs", "root_path": "/api"}, (200, b"docs")),
        ({"path": "/api/api-docs", "root_path": "/api"}, (200, b"docs")),
        # Percent-encoding is kept until routing decodes each segment.
        (
            {"path": "/api/items/a/b", "raw_path": b"/api/items/a%2Fb", "root_path": "/api"},
            (200, b'{"id":"a/b","path":"/items/{item_id}"}'),
        ),
    ],
)
def test_root_path_is_stripped(
    mounted_app: Chalice, scope_args: dict[str, Any], expected: tuple[int, bytes]
) -> None:
    path = scope_args.pop("path")
    sent = drive(mounted_app, http_scope(path, **scope_args))
    assert status_and_body(sent) == expected


def test_root_path_under_uvicorn(mounted_app: Chalice) -> None:
    with uvicorn_server(mounted_app, root_path="/api") as base_url:
        answer = requests.get(base_url + "/items/3", timeout=5)
        # uvicorn's root_path says a proxy already removed '/api', so this one asks
        # the app for '/api/items/4': the prefix is not stripped twice.
        doubled = requests.get(base_url + "/api/items/4", timeout=5)
    assert answer.json() == {"id": "3", "path": "/items/{item_id}"}
    assert doubled.status_code == 403


# -- request bodies ----------------------------------------------------------------------


def test_chunked_body_is_joined() -> None:
    app = make_app()

    @app.route("/upload", methods=["POST"], content_types=["application/octet-stream"])
    def upload() -> dict[str, Any]:
        raw = app.current_request.raw_body
        return {"size": len(raw), "body": raw.decode()}

    headers = [(b"content-type", b"application/octet-stream")]
    sent = drive(app, http_scope("/upload", "POST", headers=headers), [b"ab", b"", b"cd", b"ef"])
    assert status_and_body(sent) == (200, b'{"size":6,"body":"abcdef"}')

    def chunks() -> Iterator[bytes]:
        yield b"hello "
        yield b"chunked "
        yield b"world"

    with serve(app) as base_url:
        answer = requests.post(
            base_url + "/upload",
            data=chunks(),  # sent with Transfer-Encoding: chunked
            headers={"Content-Type": "application/octet-stream"},
            timeout=5,
        )
    assert answer.json() == {"size": 19, "body": "hello chunked world"}


def test_query_string_from_scope() -> None:
    app = make_app()

    @app.route("/q")
    def q() -> dict[str, Any]:
        return {"tags": app.current_request.query_params.getlist("t")}

    sent = drive(app, http_scope("/q", query=b"t=1&t=2"))
    assert status_and_body(sent) == (200, b'{"tags":["1","2"]}')


def test_repeated_request_headers_are_joined() -> None:
    app = make_app()

    @app.route("/h")
    def h() -> dict[str, str]:
        headers = app.current_request.headers
        return {"accept": headers["accept"], "cookie": headers["cookie"]}

    headers = [
        (b"accept", b"text/html"),
        (b"Accept", b"application/json"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
    ]
    sent = drive(app, http_scope("/h", headers=headers))
    assert status_and_body(sent) == (
        200,
        b'{"accept":"text/html,application/json","cookie":"a=1; b=2"}',
    )


# -- other scope types -----------------------------------------------------------------------


def test_websocket_scope_is_closed() -> None:
    app = make_app()
    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b""}
    sent = asyncio.run(_call(app, scope, [{"type": "websocket.connect"}]))
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_unknown_scope_type_raises() -> None:
    app = make_app()
    with pytest.raises(ValueError, match="chalicelike cannot serve ASGI scope type 'email'"):
        asyncio.run(_call(app, {"type": "email"}, []))


# -- event loops and threads -------------------------------------------------------------------


def test_each_event_loop_gets_its_own_pipeline() -> None:
    app = make_app()

    @app.middleware("http")
    def tag(event: Request, get_response: Any) -> Response:
        response: Response = get_response(event)
        response.headers["X-Mw"] = "1"
        return response

    @app.route("/a")
    async def a() -> dict[str, str]:
        await asyncio.sleep(0)
        return {"loop": "ok"}

    # Two asyncio.run calls: two loops, as two servers (or two tests) would have.
    for _ in range(2):
        sent = drive(app, http_scope("/a"))
        assert status_and_body(sent) == (200, b'{"loop":"ok"}')
        assert (b"x-mw", b"1") in sent[0]["headers"]


def timed_concurrent_gets(url: str, count: int) -> tuple[float, list[Any]]:
    def get(_: int) -> Any:
        return requests.get(url, timeout=10).json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = list(pool.map(get, range(count)))
    return time.monotonic() - started, answers


def test_async_views_run_concurrently() -> None:
    app = make_app()

    @app.route("/sleep")
    async def sleep() -> dict[str, bool]:
        await asyncio.sleep(0.3)
        return {"slept": True}

    with serve(app) as base_url:
        elapsed, answers = timed_concurrent_gets(base_url + "/sleep", 10)
    assert answers == [{"slept": True}] * 10
    assert elapsed < 1.5  # one after another would take 3 s


def test_sync_views_do_not_block_the_loop() -> None:
    app = make_app()

    @app.route("/block")
    def block() -> dict[str, bool]:
        time.sleep(0.3)
        return {"blocked": True}

    @app.route("/ping")
    async def ping() -> str:
        return "pong"

    with serve(app) as base_url:
        elapsed, answers = timed_concurrent_gets(base_url + "/block", 8)
        assert answers == [{"blocked": True}] * 8
        assert elapsed < 2.0  # one after another would take 2.4 s

        with ThreadPoolExecutor(max_workers=4) as pool:
            blocked = [pool.submit(requests.get, base_url + "/block", timeout=10) for _ in range(4)]
            time.sleep(0.05)  # the sync views are now sleeping in worker threads
            started = time.monotonic()
            pong = requests.get(base_url + "/ping", timeout=10)
            ping_time = time.monotonic() - started
            for future in blocked:
                future.result().close()
    assert pong.text == "pong"
    assert ping_time < 0.2


def test_client_gone_mid_body_runs_no_view() -> None:
    app = make_app()
    calls: list[bytes] = []

    @app.route("/upload", methods=["POST"], content_types=["application/octet-stream"])
    def upload() -> dict[str, Any]:
        calls.append(app.current_request.raw_body)
        return {}

    incoming: list[Message] = [
        {"type": "http.request", "body": b"half", "more_body": True},
        {"type": "http.disconnect"},
    ]
    headers = [(b"content-type", b"application/octet-stream")]

    async def main() -> list[Message]:
        try:
            return await _call(app, http_scope("/upload", "POST", headers=headers), incoming)
        finally:
            await _shutdown(app)

    assert asyncio.run(main()) == []
    assert calls == []


def test_views_served_over_asgi_see_a_lambda_context() -> None:
    app = make_app()

    @app.route("/ctx")
    def ctx() -> dict[str, Any]:
        context = app.lambda_context
        return {
            "name": context.function_name,
            "has_time_left": context.get_remaining_time_in_millis() > 0,
        }

    with serve(app) as base_url:
        answer = requests.get(base_url + "/ctx", timeout=5).json()
    assert answer == {"name": f"{app.app_name}-dev", "has_time_left": True}


def test_a_lambda_context_in_the_scope_wins() -> None:
    app = make_app()
    given = object()

    @app.route("/ctx")
    def ctx() -> dict[str, Any]:
        return {"same": app.lambda_context is given}

    scope = http_scope("/ctx")
    scope["aws.context"] = given
    assert status_and_body(drive(app, scope)) == (200, b'{"same":true}')
