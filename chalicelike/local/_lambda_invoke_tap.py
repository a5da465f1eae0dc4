"""Lambda Invoke calls sent to the AWS endpoint, for one of the app's functions, run locally.

moto's Step Functions interpreter calls Lambda's Invoke API on the endpoint for each Task.
`LambdaInvokeTap` wraps the endpoint's WSGI app: an Invoke whose function the dev server
knows is handed to the dev server's own Invoke API (its pool, timeouts, logs and console
records) on the server's loop; every other request goes to moto as before.
"""

from __future__ import annotations

import asyncio
import http
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import unquote

__all__ = ["AppInvokes", "LambdaInvokeTap"]

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
AsgiApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body

# Lambda's Invoke operation: POST /2015-03-31/functions/{FunctionName}/invocations.
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
# An invocation runs at most Lambda's longest timeout (15 minutes), and a little more.
_LONGEST_WAIT_SECONDS = 960.0


class AppInvokes:
    """Where the app's Invokes go: the dev server's ASGI app on its loop, attached when the
    server starts (`attach`); until then, and for names it does not know, moto answers."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._serve: AsgiApp | None = None
        self._knows: Callable[[str], Any] = lambda name: None

    def attach(
        self, loop: asyncio.AbstractEventLoop, serve: AsgiApp, knows: Callable[[str], Any]
    ) -> None:
        """`serve`: the server's ASGI app for Lambda's API; `knows(name)`: truthy when
        `name` (a name, deployed name or ARN) is one of the app's functions."""
        self._loop, self._serve, self._knows = loop, serve, knows

    def takes(self, function: str) -> bool:
        if self._loop is None or self._loop.is_closed():
            return False
        try:
            return bool(self._knows(function))
        except RuntimeError:  # a reload changed the functions as they were read: ask again
            return bool(self._knows(function))

    def run(
        self, scope: dict[str, Any], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Serve one request on the server's loop and wait (from a WSGI thread) for its answer."""
        assert self._loop is not None and self._serve is not None  # takes() said so
        future = asyncio.run_coroutine_threadsafe(_call(self._serve, scope, body), self._loop)
        return future.result(_LONGEST_WAIT_SECONDS)


class LambdaInvokeTap:
    """WSGI middleware: the app's Invokes to `invokes`, anything else to `app` (moto)."""

    def __init__(self, app: WsgiApp, invokes: AppInvokes) -> None:
        self.app = app
        self.invokes = invokes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = _INVOKE_PATH.match(environ.get("PATH_INFO", ""))
        if (
            match is None
            or environ.get("REQUEST_METHOD") != "POST"
            or not self.invokes.takes(unquote(match.group(1)))
        ):
            return self.app(environ, start_response)
        length = environ.get("CONTENT_LENGTH") or "0"
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        status, headers, answer = self.invokes.run(_scope(environ), body)
        start_response(
            f"{status} {http.HTTPStatus(status).phrase}",
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers],
        )
        return [answer]


def _scope(environ: dict[str, Any]) -> dict[str, Any]:
    """The ASGI scope of a WSGI request (PEP 3333's names back to HTTP's)."""
    headers = [
        (key[5:].replace("_", "-").lower().encode("latin-1"), value.encode("latin-1"))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", b"content-type"), ("CONTENT_LENGTH", b"content-length")):
        if environ.get(key):
            headers.append((name, environ[key].encode("latin-1")))
    path = environ.get("PATH_INFO", "")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), int(environ.get("REMOTE_PORT") or 0)),
        "server": (environ.get("SERVER_NAME", "127.0.0.1"), int(environ.get("SERVER_PORT") or 0)),
    }


async def _call(
    serve: AsgiApp, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent_body = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the caller stays connected until the answer
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await serve(scope, receive, send)
    return status, headers, b"".join(chunks)
