"""`chalicelike.app`: the names Chalice apps import from `chalice.app`, for a one-line port.

`from chalice.app import SQSEvent` becomes `from chalicelike.app import SQSEvent`. Besides
the package's own names, this module answers to every public name of `chalice.app`:
Chalice's internal handler and configuration classes are each played by one class of
ours (an event handler, an event source's settings), named here so imports keep working.
Names load on first use, as in the package itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import chalicelike as _package

if TYPE_CHECKING:
    # What mypy and IDEs see; at run time __getattr__ below loads each name on first use.
    from . import *  # noqa: F403
    from ._auth._authorizers import ChaliceAuthorizer as Authorizer
    from ._auth._authorizers import ChaliceAuthorizer as BuiltinAuthConfig
    from ._core._middleware import ConvertToMiddleware as MiddlewareHandler
    from ._core._response import Response, handle_extra_types
    from ._core._routing import RouteEntry
    from ._doors._lambda_http import LambdaHttpHandler as RestAPIEventHandler
    from ._events._event_sources import EventHandler as BaseLambdaHandler
    from ._events._event_sources import EventHandler as EventSourceHandler
    from ._events._event_sources import EventHandler as LambdaFunction
    from ._events._event_sources import EventHandler as PureLambdaWrapper
    from ._events._event_sources import EventHandler as WebsocketEventSourceHandler
    from ._events._event_sources import EventSource as BaseEventSourceConfig
    from ._events._event_sources import EventSource as CloudWatchEventConfig
    from ._events._event_sources import EventSource as DynamoDBEventConfig
    from ._events._event_sources import EventSource as KinesisEventConfig
    from ._events._event_sources import EventSource as S3EventConfig
    from ._events._event_sources import EventSource as SNSEventConfig
    from ._events._event_sources import EventSource as SQSEventConfig
    from ._events._event_sources import EventSource as ScheduledEventConfig
    from ._events._event_sources import EventSource as WebsocketConnectConfig
    from ._events._event_sources import EventSource as WebsocketDisconnectConfig
    from ._events._event_sources import EventSource as WebsocketMessageConfig
    from ._events._event_sources import LambdaFunctionEvent
    from ._events._schedules import ScheduleExpression
    from ._registry import DecoratorAPI

# chalice.app name -> (our module, our name). These are the roles, not copies: Chalice
# has a class per event source's handler and configuration, chalicelike one of each.
_ROLES: dict[str, tuple[str, str]] = {
    "Authorizer": ("chalicelike._auth._authorizers", "ChaliceAuthorizer"),
    "BuiltinAuthConfig": ("chalicelike._auth._authorizers", "ChaliceAuthorizer"),
    "BaseEventSourceConfig": ("chalicelike._events._event_sources", "EventSource"),
    "CloudWatchEventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "DynamoDBEventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "KinesisEventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "S3EventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "SNSEventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "SQSEventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "ScheduledEventConfig": ("chalicelike._events._event_sources", "EventSource"),
    "WebsocketConnectConfig": ("chalicelike._events._event_sources", "EventSource"),
    "WebsocketDisconnectConfig": (
        "chalicelike._events._event_sources",
        "EventSource",
    ),
    "WebsocketMessageConfig": ("chalicelike._events._event_sources", "EventSource"),
    "BaseLambdaHandler": ("chalicelike._events._event_sources", "EventHandler"),
    "EventSourceHandler": ("chalicelike._events._event_sources", "EventHandler"),
    "WebsocketEventSourceHandler": (
        "chalicelike._events._event_sources",
        "EventHandler",
    ),
    "LambdaFunction": ("chalicelike._events._event_sources", "EventHandler"),
    "PureLambdaWrapper": ("chalicelike._events._event_sources", "EventHandler"),
    "LambdaFunctionEvent": (
        "chalicelike._events._event_sources",
        "LambdaFunctionEvent",
    ),
    "RestAPIEventHandler": ("chalicelike._doors._lambda_http", "LambdaHttpHandler"),
    "MiddlewareHandler": ("chalicelike._core._middleware", "ConvertToMiddleware"),
    "DecoratorAPI": ("chalicelike._registry", "DecoratorAPI"),
    "RouteEntry": ("chalicelike._core._routing", "RouteEntry"),
    "ScheduleExpression": ("chalicelike._events._schedules", "ScheduleExpression"),
    "handle_extra_types": ("chalicelike._core._response", "handle_extra_types"),
}

# Chalice's type aliases, for annotations in ported code.
HeadersType = dict[str, str | list[str]]
UserHandlerFuncType = Callable[..., Any]
MiddlewareFuncType = Callable[[Any, Callable[[Any], Any]], Any]


def error_response(
    message: str,
    error_code: str,
    http_status_code: int,
    headers: HeadersType | None = None,
) -> Response:
    """A `{"Code", "Message"}` Response, with chalice.app's argument order."""
    from ._core._response import error_response as make

    return make(error_code, message, http_status_code, headers)


# Written out, so type checkers see what `from chalicelike.app import X` exports.
__all__ = [
    "Authorizer",
    "BaseEventSourceConfig",
    "BaseLambdaHandler",
    "BuiltinAuthConfig",
    "CloudWatchEventConfig",
    "DecoratorAPI",
    "DynamoDBEventConfig",
    "EventSourceHandler",
    "HeadersType",
    "KinesisEventConfig",
    "LambdaFunction",
    "LambdaFunctionEvent",
    "MiddlewareFuncType",
    "MiddlewareHandler",
    "PureLambdaWrapper",
    "RestAPIEventHandler",
    "RouteEntry",
    "S3EventConfig",
    "SNSEventConfig",
    "SQSEventConfig",
    "ScheduleExpression",
    "ScheduledEventConfig",
    "UserHandlerFuncType",
    "WebsocketConnectConfig",
    "WebsocketDisconnectConfig",
    "WebsocketEventSourceHandler",
    "WebsocketMessageConfig",
    "error_response",
    "handle_extra_types",
]
__all__ += _package.__all__


def __getattr__(name: str) -> object:
    role = _ROLES.get(name)
    if role is None:
        return getattr(_package, name)
    value = getattr(importlib.import_module(role[0]), role[1])
    globals()[name] = value
    return value
