"""Middleware: functions `mw(event, get_response)` wrapped around handlers.

Registered middleware runs outermost-first, in registration order; any of them
may answer without calling `get_response`. The chain for an event type is built
once and rebuilt only when middleware is added.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from ._errors import RegistrationError

Handler = Callable[[Any], Any]
Middleware = Callable[[Any, Handler], Any]


class EventType(str, enum.Enum):
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


def chain(middleware: list[Middleware], innermost: Handler) -> Handler:
    """Compose middleware around a handler; the first registered runs first."""
    handler = innermost
    for mw in reversed(middleware):
        handler = _bind(mw, handler)
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
