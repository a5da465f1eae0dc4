"""The app as an ASGI application, for uvicorn or any ASGI server.

A door of two steps: the scope becomes the neutral HttpRequest, the app's pipeline
serves it (route, API Gateway's own answers, then the Request, whose body is read
only then), and the rendered answer is sent.
Sync views (and middleware, which Chalice defines as sync) run on a thread pool so
a blocking boto3 call never stalls the server's loop; an async view with no
middleware is awaited on the loop directly.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import functools
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .._core._http_request import HttpRequest
from .._core._lambda_context import LambdaContext
from .._core._pipeline import HttpPipeline
from .._core._request import Request
from .._core._response import RenderedResponse, header_bytes
from .._core._types import Message, Receive, Scope, Send
from ._api_gateway_events import GatewayFacts, request_id, rest_api_event

if TYPE_CHECKING:
    from .._app import Chalice

__all__ = ["AsgiAdapter"]


# As many sync views in flight as anyio/Starlette allow by default.
_VIEW_THREADS = 40


class AsgiAdapter:
    """`app(scope, receive, send)` for HTTP and lifespan scopes."""

    def __init__(self, app: Chalice) -> None:
        self._app = app
        self._executor: ThreadPoolExecutor | None = None
        # Weak keys: an app driven by many asyncio.run() calls must not keep dead loops.
        self._pipelines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HttpPipeline] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            # Websocket routes are API Gateway websocket handlers, not ASGI websockets.
            await send({"type": "websocket.close", "code": 1000})
        else:
            raise ValueError(f"chalicelike cannot serve ASGI scope type {kind!r}")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        http = _http_request(scope)
        pipeline = self._pipeline()
        started = pipeline.start(http)
        if started is None:  # no route of ours: the mounted app's path
            mounted = app.mounted_app(http.route_path)
            assert mounted is not None  # what start() answering None means
            prefix, asgi_app = mounted
            child = dict(scope)  # ASGI: path keeps the prefix, root_path gains it
            child["root_path"] = (scope.get("root_path") or "") + prefix
            await asgi_app(child, receive, send)
            return
        if not isinstance(started, Request):
            await _send(send, started)  # API Gateway's own answer: the body is not read
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away mid-body: no view runs on half a request
        http.body = body
        # Under Lambda (through Mangum) the scope carries the real context; off Lambda
        # a stand-in named as Chalice names the API function for its default stage.
        started.lambda_context = scope.get("aws.context") or LambdaContext(f"{app.app_name}-dev")
        if http.event is None:
            http.make_event = functools.partial(_rest_event, scope, started)
        if pipeline.awaits_on_loop(started):
            rendered = await pipeline.handle_async_view(started)
        else:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            rendered = await loop.run_in_executor(
                self._thread_pool(), context.run, pipeline.handle, started
            )
        await _send(send, rendered)

    def _pipeline(self) -> HttpPipeline:
        """A pipeline whose async views, run from a worker thread, go back to this loop."""
        loop = asyncio.get_running_loop()
        pipeline = self._pipelines.get(loop)
        if pipeline is None:

            def run_on_loop(coro: Any) -> Any:
                return asyncio.run_coroutine_threadsafe(coro, loop).result()

            pipeline = self._pipelines[loop] = HttpPipeline(self._app, run_on_loop)
        return pipeline

    def _thread_pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(_VIEW_THREADS, thread_name_prefix="chalicelike")
        return self._executor

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # Mounted apps get their own lifespan (FastAPI apps open pools there), which
        # Starlette's Mount does not give them.
        mounted = [_MountedLifespan(asgi_app) for _, asgi_app in self._app.mounts]
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for lifespan in mounted:
                        await lifespan.startup()
                except _LifespanFailed as failure:
                    await send({"type": "lifespan.startup.failed", "message": str(failure)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for lifespan in reversed(mounted):
                    await lifespan.shutdown()
                if self._executor is not None:
                    self._executor.shutdown(wait=False)
                    self._executor = None
                self._pipelines.clear()
                await send({"type": "lifespan.shutdown.complete"})
                return


class _LifespanFailed(Exception):
    pass


class _MountedLifespan:
    """Drives one mounted app's lifespan protocol from the parent's (ASGI 'auto' mode)."""

    def __init__(self, asgi_app: Any) -> None:
        self._app = asgi_app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._reply: asyncio.Future[Message] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.ensure_future(self._app(scope, self._inbox.get, self._send))
        reply = await self._exchange({"type": "lifespan.startup"})
        if reply.get("type") == "lifespan.startup.failed":
            raise _LifespanFailed(reply.get("message") or f"{self._app!r} failed to start")

    async def shutdown(self) -> None:
        if self._task is not None and not self._task.done():
            await self._exchange({"type": "lifespan.shutdown"})

    async def _exchange(self, message: Message) -> Message:
        assert self._task is not None  # startup() made it
        reply: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._reply = reply
        await self._inbox.put(message)
        waiting: set[asyncio.Future[Any]] = {reply, self._task}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if reply.done():
            answer: Message = reply.result()
            return answer
        # The app returned or raised instead of answering: it has no lifespan support,
        # which 'auto' mode (uvicorn's default) accepts.
        if not self._task.cancelled():
            self._task.exception()  # retrieved, so asyncio does not report it as lost
        return {"type": "lifespan.unsupported"}

    async def _send(self, message: Message) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_result(message)


def _http_request(scope: Scope) -> HttpRequest:
    """The neutral request of an ASGI HTTP scope; its body is read once it is needed."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in headers:  # a repeated header is one comma-joined value (RFC 9110)
            value = headers[name] + ("; " if name == "cookie" else ",") + value
        headers[name] = value
    http = HttpRequest(
        None,
        scope["method"],
        _route_path(scope),
        headers,
        b"",
        query_string=scope["query_string"].decode("latin-1"),
    )
    http.event = scope.get("aws.event")  # under Lambda, through Mangum
    return http


def _rest_event(scope: Scope, request: Request) -> dict[str, Any]:
    """The REST event API Gateway would have sent for this request (to_original_event)."""
    headers = request.headers
    body = request.raw_body
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    query = request.query_params
    client = scope.get("client") or ("127.0.0.1", 0)
    facts = GatewayFacts(
        request_id(),
        int(time.time() * 1000),
        domain=headers.get("host", "localhost"),
        source_ip=client[0],
        user_agent=headers.get("user-agent"),
        protocol="HTTP/" + str(scope.get("http_version", "1.1")),
    )
    return rest_api_event(
        request.method,
        str(scope.get("path", request.path)),
        request.path,
        {name: [value] for name, value in headers.items()},
        {} if query is None else query.to_lists(),
        request.uri_params,
        text,
        is_base64,
        "api",
        facts,
    )


def _route_path(scope: Scope) -> str:
    """The request path, still percent-encoded, without the mount point (root_path)."""
    raw: bytes | None = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    root = (scope.get("root_path") or "").rstrip("/")
    # Only whole segments: an app mounted at '/api' does not own '/api-docs'.
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :] or "/"
    return path


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client disconnected before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, response: RenderedResponse) -> None:
    headers = [
        (name.lower().encode("latin-1"), header_bytes(value)) for name, value in response.headers
    ]
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode("ascii")))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
