"""The HTTP pipeline: a matched request in, a checked response out, with no I/O.

The steps are API Gateway's and Chalice's, in order:
  1. the route (the one a REST API already matched, if it is ours), then the answers
     API Gateway gives without calling Lambda: 403 for an unknown path, the CORS
     preflight for OPTIONS on a path with no OPTIONS view; then the Request;
  2. middleware (outermost first) around
  3. 405 for an unrouted method, 415 for an unaccepted Content-Type,
  4. the view, whose errors become Chalice's {"Code", "Message"} answers,
  5. CORS headers, then one final check and serialisation (`render`).
Front doors (Lambda, ASGI; the test client through the Lambda door) only turn their
input into an `HttpRequest` and the rendered answer into their output, and choose how
an async view is awaited; `HttpPipeline.serve` does everything else, once.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Coroutine, Sequence

from . import _context
from ._cors import preflight_headers
from ._errors import (
    ChaliceUnhandledError,
    ChaliceViewError,
    InvalidResponseError,
    ValidationFailed,
)
from ._http_request import HttpEventSource, HttpRequest
from ._middleware import EventType
from ._request import Request, request_for_route
from ._response import (
    RenderedResponse,
    Response,
    error_response,
    json_text_of,
    lowered_media_types,
    media_type_in,
    render,
    render_body,
)
from ._routing import Match, RouteEntry, RouteMatch

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names

if TYPE_CHECKING:
    from typing import Any, overload

    from .._app import Chalice

__all__ = [
    "HttpPipeline",
    "binary_without_accept",
    "gateway_answer",
    "missing_authentication_token",
]

if TYPE_CHECKING:
    RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


# Bound once: the hot path reads these on every request.
_new_tuple = tuple.__new__
_REST = HttpEventSource.REST_API
_current_request = _context.current_request


def gateway_answer(
    match: RouteMatch, method: str, origin: Callable[[], str | None]
) -> Response | None:
    """What API Gateway itself answers before any Lambda runs, or None to go on.

    `origin` reads the request's Origin header; only a preflight needs it, so the usual
    routed request is decided without looking at a header.
    """
    if match.kind is Match.NONE:
        return missing_authentication_token()
    if method == "OPTIONS" and match.kind is Match.PARTIAL and match.methods is not None:
        cors = {name: entry.cors for name, entry in match.methods.items()}
        # API Gateway only has an OPTIONS method where CORS is enabled; elsewhere an
        # OPTIONS request is just an unrouted method (405 here, as for any other).
        if any(config is not None for config in cors.values()):
            return Response("", headers=preflight_headers(cors, origin()), status_code=200)
    return None


def missing_authentication_token() -> Response:
    """API Gateway REST's 403 for a path or method it does not declare (or an unsigned
    request to an IAM route), with the error type it names in a header."""
    return Response(
        {"message": "Missing Authentication Token"},
        headers={"x-amzn-ErrorType": "MissingAuthenticationTokenException"},
        status_code=403,
    )


class HttpPipeline:
    """Steps 2-5 for one app; `run_async` says how a front door awaits an async view."""

    def __init__(self, app: Chalice, run_async: RunAsync) -> None:
        self._app = app
        self._run_async = run_async
        self._stack = app.middleware_stack
        self._chain = self._stack.chain(EventType.HTTP, self._dispatch)
        self._routes = app.route_table.routes  # the table's own dict: later routes show
        self._binary_types: list[str] = []  # app.api.binary_types when last seen
        self._lowered_binary: frozenset[str] = frozenset()  # the same, lowered_media_types'
        self._json_is_binary = False  # whether they make a JSON answer binary
        # Whether the chain is the view alone (no middleware), as of the stack's version.
        self._bare, self._bare_version = False, -1

    def binary_types(self) -> frozenset[str]:
        """app.api.binary_types as `lowered_media_types` gives them, remade when it changes."""
        binary_types = self._app.api.binary_types
        if binary_types != self._binary_types:  # a C-level list comparison
            self._binary_types = list(binary_types)
            self._lowered_binary = lowered_media_types(binary_types)
            self._json_is_binary = not _JSON_MATCHES.isdisjoint(self._lowered_binary)
        return self._lowered_binary

    def serve(self, http: HttpRequest) -> RenderedResponse | None:
        """Steps 1 to 5 for one request; None when it is a mounted app's to serve."""
        started = self.start(http)
        if isinstance(started, Request):
            return self.handle(started)
        return started  # an early answer, or None

    def start(self, http: HttpRequest) -> Request | RenderedResponse | None:
        """Step 1: the Request for the matched route, API Gateway's own answer, or None
        when no route matches and a mounted app owns the path."""
        resource = http.resource
        if resource is not None:
            # A REST API has already matched the route: trust it, as Chalice does, unless
            # it is not one of ours (a catch-all '/{proxy+}' in front of the app, say). Its
            # pathParameters are the view's, as API Gateway sent them.
            methods = self._routes.get(resource)
            if methods is not None:
                entry = methods.get(http.method)
                params = http.path_params
                # tuple.__new__: the record's own __new__ is Python, run on every request.
                if entry is not None:  # the usual request: a routed method, no gateway answer
                    match = _new_tuple(
                        RouteMatch, (Match.FULL, resource, entry, params or {}, methods)
                    )
                    return request_for_route(http, match, params)
                match = _new_tuple(
                    RouteMatch, (Match.PARTIAL, resource, None, params or {}, methods)
                )
                return self._unrouted(http, match, params)
        match = self._app.route_table.match(http.method, http.route_path)
        if match.kind is Match.FULL:
            return request_for_route(http, match, match.params or None)
        return self._unrouted(http, match, match.params or None)

    def _unrouted(
        self, http: HttpRequest, match: RouteMatch, uri_params: dict[str, str] | None
    ) -> Request | RenderedResponse | None:
        """start() for a path or method the app does not route."""
        if match.kind is Match.NONE:
            if self._app.mounts and self._app.mounted_app(http.route_path) is not None:
                return None
            if http.source is not None and http.source is not HttpEventSource.REST_API:
                # Where the app routes for itself, an unknown path is what an HTTP API
                # answers when no route matches; a REST API's answer is a 403.
                return render(Response({"message": "Not Found"}, status_code=404))
        early = gateway_answer(match, http.method, lambda: http.headers.get("origin"))
        if early is not None:
            return render(early)
        return request_for_route(http, match, uri_params)

    if TYPE_CHECKING:

        @overload
        def handle(self, request: Request) -> RenderedResponse: ...
        @overload
        def handle(self, request: Request, json_text: bool) -> RenderedResponse | str: ...

    def handle(self, request: Request, json_text: bool = False) -> RenderedResponse | str:
        """Steps 2 to 5 for a request `start` made.

        With `json_text`, a view's own value that becomes a JSON body with no headers of
        its own (the usual answer) comes back as that JSON text, for a door that writes it
        without the bytes and header lines (a REST API's answer, on every invoke).
        """
        token = _current_request.set(request)  # its lambda_context is the one being served
        try:
            if self._bare_version != self._stack._version:  # middleware added or removed
                self._bare = self._chain.is_bare()
                self._bare_version = self._stack._version
            if not self._bare:
                return self._handle_chained(request)
            early = _early_answer(request)
            if early is not None:  # a 405 or 415: never refused as binary (as with middleware)
                return self._finish_with_cors(request, early)
            # No middleware: the view's own value is rendered as it is, with no Response
            # made, unless CORS headers are due or a REST API would refuse it as binary.
            try:
                result = self._call_view(request)
            except Exception:  # ChaliceUnhandledError: no middleware here to handle it
                return self._finish_with_cors(request, self._unhandled(request))
            entry = request._route.entry  # not None: _early_answer answered those
            if not isinstance(result, Response) and entry is not None and entry.cors is None:
                via_rest = request._http.source is _REST
                if via_rest and self._app.api.binary_types != self._binary_types:
                    self.binary_types()  # brings _json_is_binary up to date
                if not (via_rest and self._json_is_binary):
                    try:
                        if json_text and not isinstance(result, (bytes, str)):
                            return json_text_of(result)
                        return render_body(result)
                    except Exception as error:
                        return self._unsendable(request, error)
            try:
                response = self._as_response(request, result)
            except Exception:  # a Response whose headers are not a dict, say
                response = self._unhandled(request)
            return self._finish_with_cors(request, response)
        finally:
            _current_request.reset(token)
            if self._app._metrics_held:  # the view first used app.metrics: write them now
                self._app._release_held_metrics()

    def _handle_chained(self, request: Request) -> RenderedResponse:
        """handle() with middleware around the view."""
        try:
            response = self._chain(request)
        except ChaliceViewError as error:
            # Raised by middleware (an auth check, say): the client gets its status,
            # where Chalice answers 500. A traced middleware's subsegment recorded it.
            response = _chalice_error(error)
        except Exception:
            response = self._unhandled(request)
        return self._finish_with_cors(request, response)

    def _finish_with_cors(self, request: Request, response: Any) -> RenderedResponse:
        entry = request._route.entry
        if entry is not None and entry.cors is not None and isinstance(response, Response):
            # Also for answers middleware made itself, so browsers can read them.
            response = _with_cors(request, entry, response)
        return self.finish(request, response)

    def awaits_on_loop(self, request: Request) -> bool:
        """Whether an async door may await this request's view on its own loop: an async
        view with no middleware (which Chalice defines as sync) around it."""
        entry = request._route.entry
        return entry is not None and entry.is_async and not self._stack.wraps(EventType.HTTP)

    async def handle_async_view(self, request: Request) -> RenderedResponse:
        """The same, for an async view with no middleware: awaited on the caller's loop."""
        token = _current_request.set(request)
        try:
            return await self._dispatch_async(request)
        finally:
            _current_request.reset(token)
            if self._app._metrics_held:
                self._app._release_held_metrics()

    async def _dispatch_async(self, request: Request) -> RenderedResponse:
        route: RouteMatch = request._route
        entry = route.entry
        early = _before_view(request, route)
        if early is not None or entry is None:
            return self.finish(request, early or self._unhandled(request))
        try:
            if entry.contract is None:
                result = await entry.view_function(**(route.params or {}))
            else:
                result = await self._contracted_async(request, entry, route.params)
            response = result if isinstance(result, Response) else Response(body=result)
        except ChaliceUnhandledError:
            response = self._unhandled(request)  # no middleware here to handle it
        except Exception as error:
            response = self._view_error(request, error)
        return self.finish(request, _with_cors(request, entry, response))

    def finish(self, request: Request, response: Any) -> RenderedResponse:
        """Check and serialise; a response that cannot be sent becomes a logged 500."""
        if not isinstance(response, Response):
            response = Response(body=response)
        try:
            return render(response)
        except Exception as error:  # never a Lambda function error for an answer we cannot write
            return self._unsendable(request, error)

    def _unsendable(self, request: Request, error: Exception) -> RenderedResponse:
        if isinstance(error, InvalidResponseError):
            self._app.log.error("Invalid response for path %s: %s", request.path, error)
            return render(self._internal_error_response(str(error)))
        self._app.log.error("Invalid response for path %s", request.path, exc_info=True)
        return render(self._internal_error_response(None))

    # -- steps 3 to 5 ------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        """The innermost handler of the middleware chain: the view's answer as a Response
        (a 405 or 415 as it is: not checked against the binary types, which are the view's)."""
        early = _early_answer(request)
        if early is not None:
            return early
        return self._as_response(request, self._call_view(request))

    def _call_view(self, request: Request) -> Any:
        """The view's return value (or its error's answer), once _early_answer found none."""
        route: RouteMatch = request._route
        entry = route.entry
        assert entry is not None  # _before_view answers every match without an entry
        try:
            if entry.contract is None:
                result = entry.view_function(**(route.params or {}))
                if entry.is_async:
                    result = self._run_async(result)
                return result
            return self._contracted(request, entry, route.params)
        except ChaliceUnhandledError:
            raise  # for middleware to handle; the outermost handler makes it a 500
        except Exception as error:
            return self._view_error(request, error)

    def _as_response(self, request: Request, result: Any) -> Response:
        response = result if isinstance(result, Response) else Response(body=result)
        if request._http.source is _REST:
            # The usual answer (JSON, no headers) is decided here without parsing a header.
            self.binary_types()  # brings _json_is_binary and _binary_types up to date
            if response.headers or self._json_is_binary:
                refused = binary_without_accept(request, response, self._binary_types)
                if refused is not None:
                    return refused
        return response  # handle() adds the route's CORS headers

    def _contracted(
        self, request: Request, entry: RouteEntry, params: dict[str, str] | None
    ) -> Any:
        """A view with a contract: its arguments checked first (a refusal names every bad
        field), its answer checked against its return type after."""
        contract = entry.contract
        try:
            kwargs = contract.bind(request, params or {})
        except ValidationFailed as failed:
            return contract.refusal(failed, self._app.api.validation_error_status)
        result = entry.view_function(**kwargs)
        if entry.is_async:
            result = self._run_async(result)
        return contract.answer(result)

    async def _contracted_async(
        self, request: Request, entry: RouteEntry, params: dict[str, str] | None
    ) -> Any:
        contract = entry.contract
        try:
            kwargs = contract.bind(request, params or {})
        except ValidationFailed as failed:
            return contract.refusal(failed, self._app.api.validation_error_status)
        return contract.answer(await entry.view_function(**kwargs))

    def _view_error(self, request: Request, error: Exception) -> Response:
        """The answer to an exception the view raised, recorded by the tracer if on."""
        instrument = self._stack.instrument
        if isinstance(error, ChaliceViewError):
            if instrument is not None:  # error path only: a 4xx or 5xx on the view's subsegment
                instrument.view_failed(error, error.STATUS_CODE)
            return _chalice_error(error)
        if instrument is not None:  # the tracer records what became a 500 (error path only)
            instrument.view_failed(error, 500)
        return self._unhandled(request)

    def _unhandled(self, request: Request) -> Response:
        """A 500 for an exception being handled: logged, internals shown only in debug."""
        self._app.log.error("Caught exception for path %s", request.path, exc_info=True)
        if self._app.debug:
            return Response(
                "".join(traceback.format_exc()),
                headers={"Content-Type": "text/plain"},
                status_code=500,
            )
        return self._internal_error_response(None)

    def _internal_error_response(self, detail: str | None) -> Response:
        message = "An internal server error occurred."
        if detail is not None and self._app.debug:
            message = f"{message} {detail}"
        return error_response("InternalServerError", message, 500)


def _chalice_error(error: ChaliceViewError) -> Response:
    """Chalice's {"Code", "Message"} answer with the error's own status."""
    return error_response(type(error).__name__, str(error), error.STATUS_CODE)


def _early_answer(request: Request) -> Response | None:
    """405 or 415 before the view: checked only when the request could get one (not for
    a routed method without Content-Type to a route that takes JSON, or takes anything)."""
    route: RouteMatch = request._route
    entry = route.entry
    if entry is None or (
        entry.content_types
        and not entry.accepts_any_content_type
        and not (entry.accepts_no_content_type and not request._has_content_type())
    ):
        return _before_view(request, route)
    return None


def _before_view(request: Request, route: RouteMatch) -> Response | None:
    """405 for a method the path does not route, 415 for an unaccepted Content-Type."""
    entry = route.entry
    if entry is None:
        allowed = ", ".join(route.methods or ())
        return error_response(
            "MethodNotAllowedError",
            f"Unsupported method: {request.method}",
            405,
            headers={"Allow": allowed},
        )
    # Checked with or without a body, as Chalice does: a GET that names an unlisted
    # Content-Type is a 415; one that names none counts as application/json.
    if entry.content_types and not entry.accepts_any_content_type:
        content_type = request.headers.get("content-type")
        if content_type is None:
            if entry.accepts_no_content_type:
                return None
            content_type = "application/json"
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type != "*/*" and media_type not in entry.lower_content_types:
            response = error_response(
                "UnsupportedMediaType", f"Unsupported media type: {content_type}", 415
            )
            return _with_cors(request, entry, response)
    return None


def binary_without_accept(
    request: Request, response: Response, binary_types: Sequence[str]
) -> Response | None:
    """API Gateway REST's refusal of a binary answer the client did not ask for, or None.

    A REST API turns a base64 answer back into bytes only when the request's Accept
    header names a binary media type; otherwise the client would get base64 text. So
    Chalice answers 400 instead, on every front door that stands for a REST API.
    """
    content_type = "application/json"  # what API Gateway labels an answer without one
    for name, value in response.headers.items():
        if name.lower() == "content-type" and isinstance(value, str):
            content_type = value
    binary = lowered_media_types(binary_types)
    if content_type == "application/json":
        if _JSON_MATCHES.isdisjoint(binary):
            return None  # the usual answer, decided without parsing a header
    elif not media_type_in(content_type, binary):
        return None
    accept = request.headers.get("accept")
    if accept is not None and _names_binary_type(accept, binary):
        return None
    return error_response(
        "BadRequest",
        f"Request did not specify an Accept header with {content_type}, The response has "
        f"a Content-Type of {content_type}. If a response has a binary Content-Type then "
        "the request must specify an Accept header that matches.",
        400,
    )


# The binary types that make a plain "application/json" answer binary.
_JSON_MATCHES = frozenset({"application/json", "application/*", "*/*"})


def _names_binary_type(accept: str, binary: frozenset[str]) -> bool:
    """Whether any media range of an Accept header covers one of the binary types."""
    if "*/*" in accept:
        return True
    for part in accept.replace(";", ",").split(","):
        media_range = part.strip().lower()
        if not media_range or "=" in media_range:
            continue  # a parameter (q=0.8), not a media range
        if media_type_in(media_range, binary):
            return True
        if media_range.endswith("/*") and any(b.startswith(media_range[:-1]) for b in binary):
            return True  # 'image/*' covers the binary type 'image/png'
    return False


def _with_cors(request: Request, entry: RouteEntry, response: Response) -> Response:
    """Add the route's CORS headers that the view did not set itself."""
    if entry.cors is not None and isinstance(response.headers, dict):
        for name, value in entry.cors.get_access_control_headers(
            request.headers.get("origin")
        ).items():
            if name not in response.headers:
                response.headers[name] = value
    return response
