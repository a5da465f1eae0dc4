"""chalicelike: a Chalice-compatible framework whose app is a Lambda handler and an ASGI app.

Importing this package imports only the runtime core (no server, CLI or AWS SDK),
so a Lambda cold start pays for nothing it does not use.
"""

from ._app import APIGateway, Chalice
from ._cors import CORSConfig
from ._errors import (
    ALL_ERRORS,
    BadRequestError,
    ChaliceError,
    ChaliceUnhandledError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    InvalidEventError,
    InvalidResponseError,
    MethodNotAllowedError,
    NotFoundError,
    NotRegisteredError,
    RegistrationError,
    RequestTimeoutError,
    TooManyRequestsError,
    UnauthorizedError,
    UnknownArgumentError,
    UnprocessableEntityError,
    WebsocketDisconnectedError,
)
from ._hosted_apps import asgi_handler, wsgi_handler
from ._middleware import ConvertToMiddleware
from ._registry import Blueprint
from ._request import Request
from ._response import Response
from ._schedules import Cron, Rate
from ._structures import CaseInsensitiveMapping, MultiDict

__version__ = "0.1.0"

__all__ = [
    "ALL_ERRORS",
    "APIGateway",
    "BadRequestError",
    "BaseLambdaEvent",
    "Blueprint",
    "CORSConfig",
    "CaseInsensitiveMapping",
    "Chalice",
    "ChaliceError",
    "ChaliceUnhandledError",
    "ChaliceViewError",
    "CloudWatchEvent",
    "ConflictError",
    "ConvertToMiddleware",
    "Cron",
    "DynamoDBEvent",
    "DynamoDBRecord",
    "ForbiddenError",
    "InvalidEventError",
    "InvalidResponseError",
    "KinesisEvent",
    "KinesisRecord",
    "MethodNotAllowedError",
    "MultiDict",
    "NotFoundError",
    "NotRegisteredError",
    "Rate",
    "RegistrationError",
    "Request",
    "RequestTimeoutError",
    "Response",
    "S3Event",
    "S3Record",
    "SNSEvent",
    "SNSRecord",
    "SQSEvent",
    "SQSRecord",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnknownArgumentError",
    "UnprocessableEntityError",
    "WebsocketDisconnectedError",
    "asgi_handler",
    "wsgi_handler",
]

# The typed event classes load on first use (PEP 562): an HTTP-only function's cold start
# never pays for them, yet `from chalicelike import SQSEvent` works as usual.
_LAZY = {
    "BaseLambdaEvent": "._events",
    "CloudWatchEvent": "._events",
    "S3Event": "._events",
    "S3Record": "._events",
    "SNSEvent": "._events",
    "SNSRecord": "._events",
    "DynamoDBEvent": "._stream_events",
    "DynamoDBRecord": "._stream_events",
    "KinesisEvent": "._stream_events",
    "KinesisRecord": "._stream_events",
    "SQSEvent": "._stream_events",
    "SQSRecord": "._stream_events",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chalicelike' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
