"""Middleware: functions `mw(event, get_response)` wrapped around handlers.

Registered middleware runs outermost-first, in registration order; any of them
may answer without calling `get_response`. The app keeps one `MiddlewareStack`;
each handler (the HTTP pipeline, an event source) asks it once for a
`MiddlewareChain`, which is built on first use and rebuilt only when middleware
is added. An `Instrument` (the tracer, when X-Ray is on) may wrap each link as the
chain is built, so a chain without one runs exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable

from ._errors import RegistrationError

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from enum import Enum as LeanEnum
    from typing import Any, Protocol
else:
    from ._lean_types import LeanEnum

__all__ = [
    "ConvertToMiddleware",
    "EventType",
    "MiddlewareChain",
    "MiddlewareStack",
    "chain",
]

if TYPE_CHECKING:
    Handler = Callable[[Any], Any]
    Middleware = Callable[[Any, Handler], Any]

    class Instrument(Protocol):
        """What observes a chain's links (the X-Ray tracer): applied when a chain is built."""

        def wrap(self, handler: Handler, middleware: Middleware | None) -> Handler:
            """`handler` wrapped: a middleware's link, or the innermost (None: the view)."""

        def view_failed(self, error: BaseException, status: int) -> None:
            """Called while the pipeline handles an exception a view raised, with the status
            it answers (a ChaliceViewError's own 4xx or 5xx, else 500)."""


class EventType(LeanEnum):
    """The kinds of event middleware can be registered for (Chalice's names)."""

    ALL = "all"
    HTTP = "http"
    S3 = "s3"
    SNS = "sns"
    SQS = "sqs"
    CLOUDWATCH = "cloudwatch"
    SCHEDULED = "scheduled"
    KINESIS = "kinesis"
    DYNAMODB = "dynamodb"
    WEBSOCKET = "websocket"
    PURE_LAMBDA = "pure_lambda"
    SES = "ses"  # beyond Chalice: SES receipt rules
    COGNITO = "cognito"  # beyond Chalice: Cognito user pool triggers

    @classmethod
    def parse(cls, value: object) -> EventType:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(repr(e.value) for e in cls)
            raise RegistrationError(
                f"Unknown middleware event type {value!r}; use one of {allowed}"
            ) from None


class MiddlewareStack:
    """The app's registered middleware, in order, each for one event type or all."""

    def __init__(self) -> None:
        self._registered: list[tuple[EventType, Middleware]] = []
        self._version = 0  # bumped on every add: chains built before it rebuild
        self.instrument: Instrument | None = None  # set through `set_instrument`

    def set_instrument(self, instrument: Instrument | None) -> None:
        """Wrap every chain's links with `instrument` from their next call on."""
        self.instrument = instrument
        self._version += 1

    def add(self, kind: EventType, func: Middleware) -> None:
        self._registered.append((kind, func))
        self._version += 1

    def for_kind(self, kind: EventType) -> list[Middleware]:
        """The middleware that wraps handlers of one event type, outermost first."""
        return [f for registered, f in self._registered if registered in (EventType.ALL, kind)]

    def wraps(self, kind: EventType) -> bool:
        """Whether any middleware runs around handlers of this event type."""
        return any(registered in (EventType.ALL, kind) for registered, _ in self._registered)

    def chain(self, kind: EventType, innermost: Handler) -> MiddlewareChain:
        """A handler that runs this type's middleware around `innermost`, kept current."""
        return MiddlewareChain(self, kind, innermost)


class MiddlewareChain:
    """`chain(event)`: the stack's middleware for one event type around one handler.

    Built on its first call and again after middleware is added (an app may register
    middleware after it served its first request: a test fixture does).
    """

    __slots__ = ("_handler", "_innermost", "_kind", "_stack", "_version")

    def __init__(self, stack: MiddlewareStack, kind: EventType, innermost: Handler) -> None:
        self._stack = stack
        self._kind = kind
        self._innermost = innermost
        self._handler = innermost
        self._version = -1

    def __call__(self, event: Any) -> Any:
        if self._version != self._stack._version:
            self._rebuild()
        return self._handler(event)

    def is_bare(self) -> bool:
        """Whether a call now runs the innermost handler alone: no middleware, no instrument
        (the HTTP pipeline then skips wrapping the view's answer for them)."""
        if self._version != self._stack._version:
            self._rebuild()
        return self._handler is self._innermost

    def _rebuild(self) -> None:
        stack = self._stack
        self._handler = chain(stack.for_kind(self._kind), self._innermost, stack.instrument)
        self._version = stack._version


def chain(
    middleware: list[Middleware], innermost: Handler, instrument: Instrument | None = None
) -> Handler:
    """Compose middleware around a handler; the first registered runs first."""
    handler = innermost if instrument is None else instrument.wrap(innermost, None)
    for mw in reversed(middleware):
        handler = _bind(mw, handler)
        if instrument is not None:
            handler = instrument.wrap(handler, mw)
    return handler


def _bind(mw: Middleware, next_handler: Handler) -> Handler:
    def call(event: Any) -> Any:
        return mw(event, next_handler)

    return call


class ConvertToMiddleware:
    """Use a Lambda-handler decorator (`deco(handler)(event, context)`) as middleware.

    For decorators such as Powertools' `logger.inject_lambda_context` that expect to
    wrap a function of `(event, context)`.
    """

    def __init__(self, lambda_wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
        self._wrapper = lambda_wrapper

    def __call__(self, event: Any, get_response: Handler) -> Any:
        original_event, context = _original_event_and_context(event)

        def handler(_event: Any, _context: Any) -> Any:
            return get_response(event)

        return self._wrapper(handler)(original_event, context)


def _original_event_and_context(event: Any) -> tuple[Any, Any]:
    if hasattr(event, "lambda_context"):  # a Request: its `.context` is the requestContext
        return event.to_original_event(), event.lambda_context
    if hasattr(event, "to_original_event"):  # a typed event: `.context` is Lambda's context
        return event.to_original_event(), getattr(event, "context", None)
    return getattr(event, "_event_dict", event), getattr(event, "context", None)
