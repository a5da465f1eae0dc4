"""The app as Lambda's HTTP handler: `app(event, context)` for every HTTP front door.

The app's own routes need no ASGI hop on Lambda: the event is read straight into
a Request (`_http_events`), runs through the same route table and pipeline as
every other front door, and the checked response is written in the source's own
shape (`_http_answers`). That hop would cost more than the whole invoke budget
(docs/lambda-adapter.md has the numbers); Mangum does translate events for the
ASGI and WSGI apps chalicelike hosts (`_asgi_apps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._core._pipeline import gateway_answer
from .._core._request import Request
from .._core._response import Response, render
from .._core._routing import Match, RouteMatch
from ._http_answers import answer_for
from ._http_events import HttpEvent, HttpEventSource, parse_http_event

if TYPE_CHECKING:
    from .._app import Chalice
    from ._hosted_apps import AsgiLambdaHandler


class LambdaHttpHandler:
    """Serves one app's routes to every HTTP front door of Lambda (`HttpEventSource`)."""

    def __init__(self, app: Chalice) -> None:
        self._app = app
        self._pipeline = app.http_pipeline
        self._routes = app.route_table.routes  # the table's own dict: later routes show
        self._mounted: dict[str, AsgiLambdaHandler] = {}

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        http = parse_http_event(event)  # InvalidEventError for anything else
        match = self._match(http)
        if match.kind is Match.NONE and self._app.mounts:
            mounted = self._app.mounted_app(http.route_path)
            if mounted is not None:
                return self._hosted(*mounted).handle(http, event, context, mount_prefix=mounted[0])
        early = self._gateway_answer(http, match)
        if early is not None:
            rendered = render(early)
        else:
            request = Request.from_http_event(
                http, event, context, match.resource or "", match.params or None
            )
            request._route = match
            request._via_rest_api = http.source is HttpEventSource.REST_API
            rendered = self._pipeline.handle(request)
            # As Chalice: app.current_request and app.lambda_context stay the last call's
            # after it returns (a test reads them).
            self._app._keep_last_call(request, context)
        return answer_for(http, rendered, self._app.api.binary_types)

    def _hosted(self, prefix: str, asgi_app: Any) -> AsgiLambdaHandler:
        """The Mangum-backed handler of a mounted ASGI app, made on its first request."""
        handler = self._mounted.get(prefix)
        if handler is None:
            from ._hosted_apps import AsgiLambdaHandler

            handler = self._mounted[prefix] = AsgiLambdaHandler(
                asgi_app, binary_types=self._app.api.binary_types
            )
        return handler

    def _match(self, http: HttpEvent) -> RouteMatch:
        # A REST API has already matched the route: trust it, as Chalice does, unless it
        # is not one of ours (a catch-all '/{proxy+}' in front of the app, say).
        if http.resource is not None:
            methods = self._routes.get(http.resource)
            if methods is not None:
                entry = methods.get(http.method)
                kind = Match.FULL if entry is not None else Match.PARTIAL
                return RouteMatch(kind, http.resource, entry, http.path_params or {}, methods)
        return self._app.route_table.match(http.method, http.route_path)

    @staticmethod
    def _gateway_answer(http: HttpEvent, match: RouteMatch) -> Response | None:
        if match.kind is Match.NONE and http.source is not HttpEventSource.REST_API:
            # Where the app routes for itself, an unknown path is what an HTTP API answers
            # when no route matches; API Gateway REST's answer is a 403 (gateway_answer).
            return Response({"message": "Not Found"}, status_code=404)
        return gateway_answer(match, http.method, lambda: http.headers.get("origin"))
