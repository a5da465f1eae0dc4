"""chalicelike: a Chalice-compatible framework whose app is a Lambda handler and an ASGI app.

Importing this package imports only the runtime core (no server, CLI or AWS SDK),
so a Lambda cold start pays for nothing it does not use.
"""

import typing as _typing

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
    ViewSignatureWarning,
    WebsocketDisconnectedError,
)
from ._event_sources import BatchItemFailures
from ._middleware import ConvertToMiddleware
from ._registry import Blueprint
from ._response import Response
from ._structures import CaseInsensitiveMapping, MultiDict

if _typing.TYPE_CHECKING:
    # What mypy and IDEs see: the real classes. At run time they load on first use (below).
    from ._auth_policy import AuthResponse, AuthRoute
    from ._authorizers import (
        AuthRequest,
        ChaliceAuthorizer,
        CognitoUserPoolAuthorizer,
        CustomAuthorizer,
        IAMAuthorizer,
        JWTAuthorizer,
    )
    from ._events import BaseLambdaEvent, CloudWatchEvent, S3Event, S3Record, SNSEvent, SNSRecord
    from ._hosted_apps import asgi_handler, wsgi_handler
    from ._request import Request
    from ._schedules import Cron, Rate
    from ._stream_events import (
        DynamoDBEvent,
        DynamoDBRecord,
        KinesisEvent,
        KinesisRecord,
        SQSEvent,
        SQSRecord,
    )
    from ._trigger_events import CognitoEvent, SESEvent, SESRecord
    from ._websockets import WebsocketAPI, WebsocketEvent

__version__ = "0.1.0"

__all__ = [
    "ALL_ERRORS",
    "APIGateway",
    "AuthRequest",
    "AuthResponse",
    "AuthRoute",
    "BadRequestError",
    "BaseLambdaEvent",
    "BatchItemFailures",
    "Blueprint",
    "CORSConfig",
    "CaseInsensitiveMapping",
    "Chalice",
    "ChaliceAuthorizer",
    "ChaliceError",
    "ChaliceUnhandledError",
    "ChaliceViewError",
    "CloudWatchEvent",
    "CognitoEvent",
    "CognitoUserPoolAuthorizer",
    "ConflictError",
    "ConvertToMiddleware",
    "Cron",
    "CustomAuthorizer",
    "DynamoDBEvent",
    "DynamoDBRecord",
    "ForbiddenError",
    "IAMAuthorizer",
    "InvalidEventError",
    "InvalidResponseError",
    "JWTAuthorizer",
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
    "SESEvent",
    "SESRecord",
    "SNSEvent",
    "SNSRecord",
    "SQSEvent",
    "SQSRecord",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnknownArgumentError",
    "UnprocessableEntityError",
    "ViewSignatureWarning",
    "WebsocketAPI",
    "WebsocketDisconnectedError",
    "WebsocketEvent",
    "asgi_handler",
    "wsgi_handler",
]

# These load on first use (PEP 562): a function's cold start pays only for what it uses
# (an HTTP function never loads the event classes, an event function never the ASGI
# hosting), yet `from chalicelike import SQSEvent, asgi_handler` works as usual.
_LAZY = {
    "SESEvent": "._trigger_events",
    "SESRecord": "._trigger_events",
    "CognitoEvent": "._trigger_events",
    "AuthResponse": "._auth_policy",
    "AuthRoute": "._auth_policy",
    "AuthRequest": "._authorizers",
    "CognitoUserPoolAuthorizer": "._authorizers",
    "CustomAuthorizer": "._authorizers",
    "IAMAuthorizer": "._authorizers",
    "JWTAuthorizer": "._authorizers",
    "ChaliceAuthorizer": "._authorizers",
    "WebsocketEvent": "._websockets",
    "WebsocketAPI": "._websockets",
    "Cron": "._schedules",
    "Rate": "._schedules",
    "Request": "._request",
    "asgi_handler": "._hosted_apps",
    "wsgi_handler": "._hosted_apps",
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
