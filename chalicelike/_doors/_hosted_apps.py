"""Any ASGI app (FastAPI, Starlette) or WSGI app (Flask, Django) as a Lambda handler.

Mangum translates the event into an ASGI scope and runs the app's HTTP cycle;
around it, chalicelike mends what Mangum 0.22 gets wrong:
  - lifespan startup ran on every invocation: here it runs once per cold start;
  - HTTP API paths lost their trailing slash: the path comes from `rawPath`;
  - `root_path` was always empty: it is the stage ('/dev') plus any mount prefix;
  - `exclude_headers` was ignored for payload 2.0 and versioned REST events;
  - a non-HTTP event crashed with a RuntimeError: it raises InvalidEventError;
  - a body without Content-Length (API Gateway often drops it) reached WSGI apps
    as an empty body: the header is added;
  - ALB answers had no `statusDescription`, Lambda@Edge answers had an int status,
    no `bodyEncoding` and lost repeated headers: answers are written by the same
    code as the app's own (`_http_answers`).
Mangum, asyncio and a2wsgi are imported only when such a handler is made.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

from .._core._errors import ChaliceError, InvalidEventError
from .._core._response import DEFAULT_BINARY_TYPES, RenderedResponse
from ._http_answers import answer_for
from ._http_events import HttpEventSource, HttpRequest, parse_http_event, rest_root_path

__all__ = [
    "AsgiLambdaHandler",
    "asgi_handler",
    "check_mangum_reads",
    "wsgi_handler",
]

_LIFESPAN_MODES = ("auto", "on", "off")
# Started lifespans live as long as the process, as on Lambda. Holding them here keeps
# their pending tasks from being garbage-collected (and reported) when a handler is.
_RUNNING_LIFESPANS: list[Any] = []


class AsgiLambdaHandler:
    """`handler(event, context)` for an ASGI app, behind any of Lambda's HTTP front doors."""

    def __init__(
        self,
        asgi_app: Any,
        *,
        lifespan: str = "auto",
        binary_types: Sequence[str] | None = None,
        exclude_headers: Iterable[str] = (),
    ) -> None:
        if lifespan not in _LIFESPAN_MODES:
            allowed = ", ".join(_LIFESPAN_MODES)
            raise ChaliceError(f"lifespan must be one of {allowed}, not {lifespan!r}")
        if not callable(asgi_app):
            raise ChaliceError(f"asgi_handler needs an ASGI application, not {asgi_app!r}")
        from mangum import Mangum

        self.app = asgi_app
        self.binary_types = list(DEFAULT_BINARY_TYPES if binary_types is None else binary_types)
        self._excluded = frozenset(name.lower() for name in exclude_headers)
        self._lifespan_mode = lifespan
        self._lifespan: Any = None  # started on the first invocation, never stopped
        # lifespan="off": Mangum would run startup and shutdown around every invocation.
        self._mangum = Mangum(asgi_app, lifespan="off")
        _keep_loop()

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        http = parse_http_event(event)  # InvalidEventError where Mangum would crash
        return self.handle(http, event, context)

    def handle(
        self, http: HttpRequest, event: dict[str, Any], context: Any, mount_prefix: str = ""
    ) -> dict[str, Any]:
        """Serve an already parsed event; `mount_prefix` is where a chalicelike app mounted us."""
        from mangum.protocols import HTTPCycle

        check_mangum_reads(http)  # Lattice parses, but Mangum cannot read it
        handler = self._mangum.infer(event, context)
        scope = handler.scope
        body = handler.body
        _mend_paths(scope, http, event, mount_prefix)
        if body and not any(
            bytes(name).lower() == b"content-length" for name, _ in scope["headers"]
        ):
            # API Gateway often drops Content-Length; WSGI apps read no body without it.
            scope["headers"].append([b"content-length", str(len(body)).encode("ascii")])
        state = self._start_lifespan()
        if state is not None:
            scope["state"] = dict(state)
        cycle = HTTPCycle(scope, body)
        response = cycle(self.app)
        _keep_loop()
        rendered = RenderedResponse(
            response["status"],
            [
                (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
                for name, value in response["headers"]
                if bytes(name).decode("latin-1").lower() not in self._excluded
            ],
            response["body"] or b"",
        )
        return answer_for(http, rendered, self.binary_types)

    def close(self) -> None:
        """Run the app's lifespan shutdown: for tests and local servers (Lambda never does)."""
        if self._lifespan is not None:
            self._lifespan.__exit__(None, None, None)
            _RUNNING_LIFESPANS.remove(self._lifespan)
            self._lifespan = None

    def _start_lifespan(self) -> dict[str, Any] | None:
        """Run the app's lifespan startup once per process, as a cold start would."""
        if self._lifespan_mode == "off":
            return None
        if self._lifespan is None:
            from mangum.protocols import LifespanCycle

            self._lifespan = LifespanCycle(self.app, self._lifespan_mode)  # type: ignore[arg-type]
            # Entered and never exited: a Lambda process is frozen or killed, not shut down.
            self._lifespan.__enter__()
            if not _RUNNING_LIFESPANS:
                atexit.register(_shut_down_lifespans)
            _RUNNING_LIFESPANS.append(self._lifespan)
        state: dict[str, Any] = self._lifespan.lifespan_state
        return state


# The event loops Mangum ran apps on (the thread's current loop, which asyncio makes
# when there is none): kept, as a Lambda process keeps its loop, and closed at exit, so
# that one dropped by a later asyncio.run() is not left for the garbage collector open.
_MANGUM_LOOPS: dict[int, Any] = {}


def _keep_loop() -> None:
    import asyncio

    loop = asyncio.get_event_loop()
    if id(loop) not in _MANGUM_LOOPS:
        if not _MANGUM_LOOPS:
            atexit.register(_close_loops)
        _MANGUM_LOOPS[id(loop)] = loop


def _close_loops() -> None:
    for loop in _MANGUM_LOOPS.values():
        if not loop.is_running() and not loop.is_closed():
            loop.close()
    _MANGUM_LOOPS.clear()


def _shut_down_lifespans() -> None:
    """At interpreter exit (tests, local servers; a Lambda process is killed instead)."""
    while _RUNNING_LIFESPANS:
        _RUNNING_LIFESPANS.pop().__exit__(None, None, None)


def _mend_paths(
    scope: MutableMapping[str, Any], http: HttpRequest, event: dict[str, Any], mount: str
) -> None:
    """ASGI paths as the spec has them: `path` includes `root_path` (the stage and mount).

    The raw path keeps its percent-escapes and, for HTTP APIs, its trailing slash.
    """
    from urllib.parse import unquote

    stage = rest_root_path(event) if http.source is HttpEventSource.REST_API else http.root_path
    raw = http.route_path if http.route_path.startswith("/") else "/" + http.route_path
    scope["root_path"] = stage + mount
    scope["path"] = stage + unquote(raw)
    scope["raw_path"] = (stage + raw).encode("utf-8")


def asgi_handler(
    asgi_app: Any,
    *,
    lifespan: str = "auto",
    binary_types: Sequence[str] | None = None,
    exclude_headers: Iterable[str] = (),
) -> AsgiLambdaHandler:
    """A Lambda handler for an ASGI app: `handler = asgi_handler(fastapi_app)`."""
    return AsgiLambdaHandler(
        asgi_app, lifespan=lifespan, binary_types=binary_types, exclude_headers=exclude_headers
    )


def wsgi_handler(
    wsgi_app: Any,
    *,
    binary_types: Sequence[str] | None = None,
    exclude_headers: Iterable[str] = (),
) -> AsgiLambdaHandler:
    """A Lambda handler for a WSGI app: `handler = wsgi_handler(flask_app)`."""
    try:
        from a2wsgi import WSGIMiddleware
    except ImportError:
        raise ChaliceError(
            "wsgi_handler needs a2wsgi: pip install 'chalicelike[wsgi]' "
            "(and add a2wsgi to the app's requirements.txt)"
        ) from None
    if not callable(wsgi_app):
        raise ChaliceError(f"wsgi_handler needs a WSGI application, not {wsgi_app!r}")
    # WSGI apps have no lifespan; a2wsgi runs each request on its own thread pool.
    return AsgiLambdaHandler(
        WSGIMiddleware(wsgi_app),
        lifespan="off",
        binary_types=binary_types,
        exclude_headers=exclude_headers,
    )


def check_mangum_reads(http: HttpRequest) -> None:
    """Mounted apps are served through Mangum, which reads no VPC Lattice events."""
    if http.source in (HttpEventSource.VPC_LATTICE, HttpEventSource.VPC_LATTICE_V2):
        raise InvalidEventError(
            f"A {http.source.value} event for {http.route_path!r}, under a mounted ASGI app: "
            "mounted apps are served through Mangum, which does not read VPC Lattice events; "
            "route this path to the app's own views, or put an ALB or API Gateway in front"
        )
