"""The app as Lambda's HTTP handler: `app(event, context)` for every HTTP front door.

A door of two steps: the event is read into the neutral HttpRequest (`_http_events`),
the app's pipeline serves it (`HttpPipeline.serve`: route, API Gateway's answers,
middleware, view), and the rendered answer is written in the source's own shape
(`_http_answers`). The app's own routes need no ASGI hop on Lambda: that would cost
more than the whole invoke budget (docs/lambda-adapter.md has the numbers); Mangum
does translate events for the ASGI and WSGI apps chalicelike hosts (`_hosted_apps`).
"""

from __future__ import annotations

from .._core._http_request import HttpEventSource
from .._core._request import Request
from ._http_answers import answer_with
from ._http_events import parse_http_event

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names

if TYPE_CHECKING:
    from typing import Any

    from .._app import Chalice
    from ._hosted_apps import AsgiLambdaHandler

__all__ = ["LambdaHttpHandler"]

_REST = HttpEventSource.REST_API


class LambdaHttpHandler:
    """Serves one app's routes to every HTTP front door of Lambda (`HttpEventSource`)."""

    def __init__(self, app: Chalice) -> None:
        self._app = app
        self._pipeline = app.http_pipeline
        self._mounted: dict[str, AsgiLambdaHandler] = {}

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        http = parse_http_event(event)  # InvalidEventError for anything else
        http.lambda_context = context
        pipeline = self._pipeline
        started = pipeline.start(http)
        if isinstance(started, Request):
            rendered = pipeline.handle(started, http.source is _REST)
            # As Chalice: app.current_request and app.lambda_context stay the last call's
            # after it returns (a test reads them). Set here, not by a method of the app's:
            # a call costs an invoke ~0.7%.
            app = self._app
            app._last_request, app._last_lambda_context = started, context
            if isinstance(rendered, str):
                # A REST API's usual answer, a view's value as JSON with no headers of its
                # own: what _http_answers writes for it, without the general writer.
                return {"statusCode": 200, "headers": {}, "multiValueHeaders": {}, "body": rendered}
        elif started is None:  # no route of ours: the mounted app's path
            mounted = self._app.mounted_app(http.route_path)
            assert mounted is not None  # what start() answering None means
            prefix, asgi_app = mounted
            return self._hosted(prefix, asgi_app).handle(http, event, context, prefix)
        else:
            rendered = started  # API Gateway's own answer
        return answer_with(http, rendered, pipeline.binary_types())

    def _hosted(self, prefix: str, asgi_app: Any) -> AsgiLambdaHandler:
        """The Mangum-backed handler of a mounted ASGI app, made on its first request."""
        handler = self._mounted.get(prefix)
        if handler is None:
            from ._hosted_apps import AsgiLambdaHandler

            handler = self._mounted[prefix] = AsgiLambdaHandler(
                asgi_app, binary_types=self._app.api.binary_types
            )
        return handler
