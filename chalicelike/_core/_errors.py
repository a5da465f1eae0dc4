"""Every exception chalicelike raises, in one tree.

    ChaliceError                       root: catch this to catch anything of ours
    ├── ChaliceViewError (500)         raised by views; becomes {"Code", "Message"}
    │   ├── BadRequestError (400)
    │   ├── UnauthorizedError (401)
    │   ├── ForbiddenError (403)
    │   ├── NotFoundError (404)
    │   ├── MethodNotAllowedError (405)
    │   ├── RequestTimeoutError (408)
    │   ├── ConflictError (409)
    │   ├── UnprocessableEntityError (422)
    │   └── TooManyRequestsError (429)
    ├── ChaliceUnhandledError          passes views' error handling so middleware can see it
    ├── WebsocketDisconnectedError     the peer of a websocket connection is gone (410)
    ├── RegistrationError (ValueError) a decorator was used wrongly: raised at import time
    │   └── UnknownArgumentError (TypeError)
    ├── InvalidResponseError           a view returned something that cannot be sent
    ├── InvalidEventError (ValueError) a Lambda event is not what the handler serves
    ├── ValidationFailed (ValueError)  a value does not fit its declared type (a view's
    │                                  argument: 422; an event's payload: a failed record)
    ├── AnswerInvalidError             a view's answer does not fit its return type: a 500
    └── NotRegisteredError (RuntimeError) a blueprint used before register_blueprint

    ViewSignatureWarning (UserWarning)  a view cannot take its route's parameters: warned at
                                        import; each request to it is a logged 500, as in Chalice

The view errors, their status codes and the JSON body they produce are Chalice's.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any


__all__ = [
    "ALL_ERRORS",
    "AnswerInvalidError",
    "BadRequestError",
    "ChaliceError",
    "ChaliceUnhandledError",
    "ChaliceViewError",
    "ConflictError",
    "ForbiddenError",
    "InvalidEventError",
    "InvalidResponseError",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotRegisteredError",
    "RegistrationError",
    "RequestTimeoutError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnknownArgumentError",
    "UnprocessableEntityError",
    "ValidationFailed",
    "ViewSignatureWarning",
    "WebsocketDisconnectedError",
]


class ChaliceError(Exception):
    """Root of every error chalicelike raises."""


class ChaliceViewError(ChaliceError):
    """An error a view raises on purpose; the client gets STATUS_CODE and the message."""

    STATUS_CODE: int = 500


class BadRequestError(ChaliceViewError):
    STATUS_CODE = 400


class UnauthorizedError(ChaliceViewError):
    STATUS_CODE = 401


class ForbiddenError(ChaliceViewError):
    STATUS_CODE = 403


class NotFoundError(ChaliceViewError):
    STATUS_CODE = 404


class MethodNotAllowedError(ChaliceViewError):
    STATUS_CODE = 405


class RequestTimeoutError(ChaliceViewError):
    STATUS_CODE = 408


class ConflictError(ChaliceViewError):
    STATUS_CODE = 409


class UnprocessableEntityError(ChaliceViewError):
    STATUS_CODE = 422


class TooManyRequestsError(ChaliceViewError):
    STATUS_CODE = 429


ALL_ERRORS: list[type[ChaliceViewError]] = [
    ChaliceViewError,
    BadRequestError,
    NotFoundError,
    UnauthorizedError,
    ForbiddenError,
    MethodNotAllowedError,
    RequestTimeoutError,
    ConflictError,
    UnprocessableEntityError,
    TooManyRequestsError,
]


class ChaliceUnhandledError(ChaliceError):
    """Escapes the view's error handling so that middleware can handle it.

    When no middleware does, the client gets the ordinary 500 answer.
    """


class WebsocketDisconnectedError(ChaliceError):
    def __init__(self, connection_id: str) -> None:
        super().__init__(f"websocket connection {connection_id!r} is gone")
        self.connection_id = connection_id


class RegistrationError(ChaliceError, ValueError):
    """A decorator or add_* method was called with something it cannot use.

    Raised while the app module is imported, so a mistake never reaches a deploy.
    It is a ValueError, as Chalice's equivalent errors are.
    """


class UnknownArgumentError(RegistrationError, TypeError):
    """A decorator got a keyword argument it does not know (a TypeError, as in Chalice)."""


class InvalidResponseError(ChaliceError):
    """A view's response cannot be sent: a header with CR/LF, a body JSON cannot encode."""


class NotRegisteredError(ChaliceError, RuntimeError):
    """A blueprint was asked for app state before it was registered to an app."""


class InvalidEventError(ChaliceError, ValueError):
    """A Lambda event the handler cannot serve: not an HTTP event, or a malformed one.

    The message names the handler's expectation and what the event held instead.
    """


class ValidationFailed(ChaliceError, ValueError):
    """A value does not fit its declared type; `errors` names each field that does not
    (FieldErrors: `loc`, `msg`, `type`), and the message lists them all on one line."""

    def __init__(self, errors: list[Any]) -> None:
        self.errors = errors
        count = len(errors)
        # The first few on the one line: every error is in `errors` (a 422's `detail`).
        parts = [f"{'.'.join(map(str, e.loc)) or 'value'}: {e.msg}" for e in errors[:3]]
        if count > 3:
            parts.append(f"and {count - 3} more")
        super().__init__(f"{count} validation error{'s' if count != 1 else ''}: {'; '.join(parts)}")


class AnswerInvalidError(ChaliceError):
    """A view's answer does not fit its declared return type: a logged 500, as any bug."""


class ViewSignatureWarning(UserWarning):
    """A view's signature does not fit its route's parameters (warned when it is registered).

    Chalice only finds out when the view is called, and answers that request with a 500;
    so does chalicelike, after warning at import time, where the mistake can be fixed.
    """
