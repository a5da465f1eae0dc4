"""The app as an ASGI application, for uvicorn or any ASGI server.

A small pipeline: match the path, answer what API Gateway would answer itself,
read the body, build the Request, run the HTTP pipeline, send the response.
Sync views (and middleware, which Chalice defines as sync) run on a thread pool so
a blocking boto3 call never stalls the server's loop; an async view with no
middleware is awaited on the loop directly.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ._http import HttpPipeline, gateway_answer
from ._lambda_context import LambdaContext
from ._request import Request
from ._response import RenderedResponse, render

if TYPE_CHECKING:
    from ._app import Chalice

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

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
        method: str = scope["method"]
        match = app.route_table.match(method, _route_path(scope))
        headers = scope["headers"]
        early = gateway_answer(match, method, _header(headers, b"origin"))
        if early is not None:
            await _send(send, render(early))
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away mid-body: no view runs on half a request
        # Under Lambda (through Mangum) the scope carries the real context; off Lambda
        # a stand-in named as Chalice names the API function for its default stage.
        context = scope.get("aws.context") or LambdaContext(f"{app.app_name}-dev")
        request = Request.from_scope(
            scope, body, match.resource or "", match.params or None, context
        )
        request._route = match
        entry = match.entry
        pipeline = self._pipeline()
        if entry is not None and entry.is_async and not app._middleware_for_http():
            rendered = await pipeline.handle_async_view(request)
        else:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            rendered = await loop.run_in_executor(
                self._thread_pool(), context.run, pipeline.handle, request
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
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._executor is not None:
                    self._executor.shutdown(wait=False)
                    self._executor = None
                self._pipelines.clear()
                await send({"type": "lifespan.shutdown.complete"})
                return


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
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
    ]
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode("ascii")))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
