"""The dev server's console at /_chalicelike/: the page, its static files and its JSON API.

`LocalServer` hands every request under /_chalicelike/ (but the deliveries endpoint) to
`ConsoleApi`; none of them reaches the app. Each request passes the server's HostGuard
first (a foreign page must neither read the invocations nor replay them), POSTs must say
`Content-Type: application/json` (a form on another site cannot), and every answer carries
a strict CSP: the page shows attacker-controlled event bodies. Swagger UI and the app's
OpenAPI document (/_chalicelike/docs, /_chalicelike/openapi.json) are `_api_docs`'s.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .._core._types import Receive, Scope, Send
from ._asgi_types import send_answer
from ._console_http import SECURITY_HEADERS, ConsoleError, Request, json_bytes, read_body

__all__ = ["CONSOLE_PREFIX", "ConsoleApi"]

CONSOLE_PREFIX = "/_chalicelike"
STATIC_DIR = Path(__file__).parent / "console"
# The only files served: no path from a request ever reaches the filesystem.
STATIC_FILES = {
    "console.js": b"text/javascript; charset=utf-8",
    "console-workflows.js": b"text/javascript; charset=utf-8",
    "console.css": b"text/css; charset=utf-8",
}

Handler = Callable[[Request], Awaitable[Any]]


class ConsoleApi:
    """ASGI app serving the console for `server` (a LocalServer: its state, local Lambda,
    invocation log, trace store, guard and local cloud)."""

    def __init__(self, server: Any) -> None:
        from ._api_docs import ApiDocs
        from ._console_actions import ConsoleActions
        from ._console_api import ConsoleReads
        from ._console_stream import InvocationStreams
        from ._console_workflows import ConsoleWorkflows

        self.server = server
        self.reads = ConsoleReads(server)
        self.actions = ConsoleActions(server)
        self.streams = InvocationStreams(server.invocations)
        self.workflows = ConsoleWorkflows(server)
        self.docs = ApiDocs(server)  # Swagger UI and the app's OpenAPI document
        api = CONSOLE_PREFIX + "/api"
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(api + "/functions"), self.reads.functions),
            ("GET", re.compile(api + "/functions/([^/]+)/sample-event"), self.actions.sample),
            ("POST", re.compile(api + "/functions/([^/]+)/invoke"), self.actions.send_event),
            ("POST", re.compile(api + "/functions/([^/]+)/fire-schedule"), self.actions.fire),
            ("GET", re.compile(api + "/invocations"), self.reads.invocations),
            ("GET", re.compile(api + "/invocations/([^/]+)"), self.reads.invocation),
            ("POST", re.compile(api + "/invocations/([^/]+)/replay"), self.actions.replay),
            ("GET", re.compile(api + "/traces/([^/]+)"), self.reads.trace),
            ("GET", re.compile(api + "/app"), self.reads.app_map),
            ("GET", re.compile(api + "/workflows"), self.workflows.workflows),
            (
                "GET",
                re.compile(api + "/workflows/([^/]+)/executions/([^/]+)"),
                self.workflows.execution,
            ),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        refusal = self.server.guard.refusal(scope)
        if refusal is not None:
            await _send_json(send, 403, {"error": f"Forbidden: {refusal}"})
            return
        path, method = scope["path"], scope["method"]
        try:
            if path == CONSOLE_PREFIX + "/api/stream":
                _allow(method, "GET")
                await self.streams.serve(scope, receive, send)
                return
            if self.docs.handles(path):
                _allow(method, "GET", "HEAD")
                await self.docs.serve(scope, send)
                return
            if (
                path == CONSOLE_PREFIX
                or path.startswith(CONSOLE_PREFIX + "/static/")
                or (path == CONSOLE_PREFIX + "/")
            ):
                _allow(method, "GET", "HEAD")
                await _send_static(send, path)
                return
            status, answer = await self._api(scope, receive, path, method)
        except ConsoleError as error:
            await _send_json(send, error.status, {"error": error.message}, error.headers)
            return
        await _send_json(send, status, answer)

    async def _api(self, scope: Scope, receive: Receive, path: str, method: str) -> tuple[int, Any]:
        allowed: list[str] = []
        for route_method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            body = await read_body(scope, receive) if method == "POST" else None
            request = Request(list(match.groups()), query, body)
            return 200, await handler(request)
        if allowed:
            raise ConsoleError(
                405,
                f"{method} is not allowed on {path}: use {allowed[0]}",
                [(b"allow", ", ".join(allowed).encode())],
            )
        raise ConsoleError(404, f"no console resource at {path}")


def _allow(method: str, *methods: str) -> None:
    if method not in methods:
        raise ConsoleError(
            405,
            f"{method} is not allowed here: use {methods[0]}",
            [(b"allow", ", ".join(methods).encode())],
        )


async def _send_static(send: Send, path: str) -> None:
    if path == CONSOLE_PREFIX:  # relative asset URLs need the trailing slash
        headers = [*SECURITY_HEADERS, (b"location", (CONSOLE_PREFIX + "/").encode())]
        await send_answer(send, 308, headers, b"")
        return
    if path == CONSOLE_PREFIX + "/":
        name, content_type = "index.html", b"text/html; charset=utf-8"
    else:
        name = path.removeprefix(CONSOLE_PREFIX + "/static/")
        found = STATIC_FILES.get(name)
        if found is None:
            raise ConsoleError(404, f"no console file {name!r}")
        content_type = found
    body = (STATIC_DIR / name).read_bytes()
    headers = [*SECURITY_HEADERS, (b"content-type", content_type)]
    await send_answer(send, 200, headers, body)


async def _send_json(
    send: Send, status: int, answer: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json_bytes(answer)
    headers = [*SECURITY_HEADERS, *(extra or []), (b"content-type", b"application/json")]
    await send_answer(send, status, headers, body)
