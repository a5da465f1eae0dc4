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
    "Blueprint",
    "CORSConfig",
    "CaseInsensitiveMapping",
    "Chalice",
    "ChaliceError",
    "ChaliceUnhandledError",
    "ChaliceViewError",
    "ConflictError",
    "ConvertToMiddleware",
    "Cron",
    "ForbiddenError",
    "InvalidEventError",
    "InvalidResponseError",
    "MethodNotAllowedError",
    "MultiDict",
    "NotFoundError",
    "NotRegisteredError",
    "Rate",
    "RegistrationError",
    "Request",
    "RequestTimeoutError",
    "Response",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnknownArgumentError",
    "UnprocessableEntityError",
    "WebsocketDisconnectedError",
    "asgi_handler",
    "wsgi_handler",
]
