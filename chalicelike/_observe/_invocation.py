"""The invocation being handled, and what happens around each one when observing is on.

`Observer.run` wraps one handler call (HTTP or event): it puts an `Invocation` in a
ContextVar for the JSON log formatter and the metrics, opens the handler's X-Ray
subsegment when tracing is on, and flushes the invocation's metrics when it ends, even
when the handler raised. The app builds an Observer only when a feature is on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._metrics import MetricBatch
    from ._tracing import XRayTracer

__all__ = [
    "HTTP_FUNCTION",
    "TRACE_HEADER_ENV",
    "Invocation",
    "Observer",
    "current_invocation",
    "http_route",
    "trace_root",
]

HTTP_FUNCTION = "api_handler"  # Chalice's name for the function behind the app's routes
TRACE_HEADER_ENV = "_X_AMZN_TRACE_ID"  # set per invocation by Lambda's runtime (and ours)

Call = Callable[[Any, Any], Any]


class Invocation:
    """What is known of the invocation being handled (one per handler call)."""

    __slots__ = ("cold_start", "function", "metrics", "request_id", "route", "source", "trace_id")

    def __init__(
        self,
        function: str,
        request_id: str | None,
        trace_id: str | None,
        cold_start: bool,
        source: str,
        route: str | None = None,
    ) -> None:
        self.function = function  # the function's name within the app ('api_handler', 'ingest')
        self.request_id = request_id
        self.trace_id = trace_id  # the Root of the X-Ray trace header, when one was sent
        self.cold_start = cold_start
        self.source = source  # 'http', or the event source ('sqs', 's3', 'scheduled', ...)
        self.route = route  # 'GET /orders/{order_id}' once known (HTTP only)
        self.metrics: MetricBatch | None = None  # made by the first app.metrics.put


current_invocation: ContextVar[Invocation | None] = ContextVar(
    "chalicelike.invocation", default=None
)


def trace_root(header: str | None) -> str | None:
    """The Root of an X-Ray trace header ('Root=1-...;Parent=...;Sampled=1'), or None."""
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root" and value:
            return value
    return None


def http_route(event: Any) -> str | None:
    """The route API Gateway matched, read from the event where it says so: a REST API's
    resource and method, an HTTP API's route key; None otherwise (the view sets it)."""
    if not isinstance(event, dict):
        return None
    resource, method = event.get("resource"), event.get("httpMethod")
    if isinstance(resource, str) and isinstance(method, str):
        return f"{method} {resource}"
    route_key = event.get("routeKey")
    if isinstance(route_key, str) and route_key != "$default":
        return route_key
    return None


class Observer:
    """Runs handler calls inside an Invocation: tracing (if on) and the metrics flush."""

    def __init__(self, tracer: XRayTracer | None) -> None:
        self.tracer = tracer
        self._cold = True  # the first invocation of this app in this process

    def run(self, function: str, source: str, call: Call, event: Any, context: Any) -> Any:
        """`call(event, context)` as one observed invocation of `function`."""
        cold, self._cold = self._cold, False
        route = http_route(event) if source == "http" else None
        invocation = Invocation(
            function,
            getattr(context, "aws_request_id", None),
            trace_root(os.environ.get(TRACE_HEADER_ENV)),
            cold,
            source,
            route,
        )
        token = current_invocation.set(invocation)
        try:
            tracer = self.tracer
            if tracer is not None and invocation.trace_id is not None:
                return tracer.run(invocation, call, event, context)
            return call(event, context)
        finally:
            current_invocation.reset(token)
            if invocation.metrics is not None:
                invocation.metrics.flush()

    def http_handler(self, handler: Call) -> Call:
        """The app's Lambda HTTP handler, each call observed."""
        run = self.run

        def observed(event: Any, context: Any) -> Any:
            return run(HTTP_FUNCTION, "http", handler, event, context)

        return observed
