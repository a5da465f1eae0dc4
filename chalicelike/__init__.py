"""chalicelike: a Chalice-compatible framework whose app is a Lambda handler and an ASGI app.

Importing this package imports only the runtime core (no server, CLI or AWS SDK),
so a Lambda cold start pays for nothing it does not use.
"""

from ._core._errors import (
    ALL_ERRORS,
    AnswerInvalidError,
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
    ValidationFailed,
    ViewSignatureWarning,
    WebsocketDisconnectedError,
)

# Not typing.TYPE_CHECKING: importing typing costs a cold start ~2.5 ms.
TYPE_CHECKING = False

if TYPE_CHECKING:
    # What mypy and IDEs see: the real classes. At run time they load on first use (below).
    from ._app import APIGateway, Chalice
    from ._auth._auth_policy import AuthResponse, AuthRoute
    from ._auth._authorizers import (
        AuthRequest,
        ChaliceAuthorizer,
        CognitoUserPoolAuthorizer,
        CustomAuthorizer,
        IAMAuthorizer,
        JWTAuthorizer,
    )
    from ._contracts._params import Body, Header, Path, Query
    from ._core._cors import CORSConfig
    from ._core._middleware import ConvertToMiddleware
    from ._core._request import Request
    from ._core._response import Response
    from ._core._structures import CaseInsensitiveMapping, MultiDict
    from ._doors._hosted_apps import asgi_handler, wsgi_handler
    from ._events._event_sources import BatchItemFailures
    from ._events._lambda_events import (
        BaseLambdaEvent,
        CloudWatchEvent,
        S3Event,
        S3Record,
        SNSEvent,
        SNSRecord,
    )
    from ._events._schedules import Cron, Rate
    from ._events._stream_events import (
        DynamoDBEvent,
        DynamoDBRecord,
        KinesisEvent,
        KinesisRecord,
        SQSEvent,
        SQSRecord,
    )
    from ._events._trigger_events import CognitoEvent, SESEvent, SESRecord
    from ._events._websockets import WebsocketAPI, WebsocketEvent
    from ._registry import Blueprint

del TYPE_CHECKING  # not a public name of the package

__version__ = "0.1.0"

__all__ = [
    "ALL_ERRORS",
    "APIGateway",
    "AnswerInvalidError",
    "AuthRequest",
    "AuthResponse",
    "AuthRoute",
    "BadRequestError",
    "BaseLambdaEvent",
    "BatchItemFailures",
    "Blueprint",
    "Body",
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
    "Header",
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
    "Path",
    "Query",
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
    "ValidationFailed",
    "ViewSignatureWarning",
    "WebsocketAPI",
    "WebsocketDisconnectedError",
    "WebsocketEvent",
    "asgi_handler",
    "wsgi_handler",
]

# These load on first use (PEP 562): a function's cold start pays only for what it uses
# (an HTTP function never loads the event classes, an event function never the ASGI
# hosting), yet `from chalicelike import SQSEvent, asgi_handler` works as usual. The app
# itself too: the CLI's processes (deploy, package) import `chalicelike._tooling` and
# friends, which would otherwise load the whole runtime first (20 ms) for nothing.
_LAZY = {
    "Body": "._contracts._params",
    "Header": "._contracts._params",
    "Path": "._contracts._params",
    "Query": "._contracts._params",
    "APIGateway": "._app",
    "Chalice": "._app",
    "CORSConfig": "._core._cors",
    "ConvertToMiddleware": "._core._middleware",
    "Response": "._core._response",
    "CaseInsensitiveMapping": "._core._structures",
    "MultiDict": "._core._structures",
    "BatchItemFailures": "._events._event_sources",
    "Blueprint": "._registry",
    "SESEvent": "._events._trigger_events",
    "SESRecord": "._events._trigger_events",
    "CognitoEvent": "._events._trigger_events",
    "AuthResponse": "._auth._auth_policy",
    "AuthRoute": "._auth._auth_policy",
    "AuthRequest": "._auth._authorizers",
    "CognitoUserPoolAuthorizer": "._auth._authorizers",
    "CustomAuthorizer": "._auth._authorizers",
    "IAMAuthorizer": "._auth._authorizers",
    "JWTAuthorizer": "._auth._authorizers",
    "ChaliceAuthorizer": "._auth._authorizers",
    "WebsocketEvent": "._events._websockets",
    "WebsocketAPI": "._events._websockets",
    "Cron": "._events._schedules",
    "Rate": "._events._schedules",
    "Request": "._core._request",
    "asgi_handler": "._doors._hosted_apps",
    "wsgi_handler": "._doors._hosted_apps",
    "BaseLambdaEvent": "._events._lambda_events",
    "CloudWatchEvent": "._events._lambda_events",
    "S3Event": "._events._lambda_events",
    "S3Record": "._events._lambda_events",
    "SNSEvent": "._events._lambda_events",
    "SNSRecord": "._events._lambda_events",
    "DynamoDBEvent": "._events._stream_events",
    "DynamoDBRecord": "._events._stream_events",
    "KinesisEvent": "._events._stream_events",
    "KinesisRecord": "._events._stream_events",
    "SQSEvent": "._events._stream_events",
    "SQSRecord": "._events._stream_events",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chalicelike' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
