"""Tests for _core/_errors.py: the exception tree and the answers view errors become."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import chalicelike
from chalicelike import (
    ALL_ERRORS,
    BadRequestError,
    Chalice,
    ChaliceError,
    ChaliceUnhandledError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    InvalidResponseError,
    MethodNotAllowedError,
    NotFoundError,
    NotRegisteredError,
    RegistrationError,
    RequestTimeoutError,
    Response,
    TooManyRequestsError,
    UnauthorizedError,
    UnknownArgumentError,
    UnprocessableEntityError,
    WebsocketDisconnectedError,
)

CHALICE_VIEW_ERRORS = [
    (ChaliceViewError, 500),
    (BadRequestError, 400),
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (MethodNotAllowedError, 405),
    (RequestTimeoutError, 408),
    (ConflictError, 409),
    (UnprocessableEntityError, 422),
    (TooManyRequestsError, 429),
]

INTERNAL_ERROR = {"Code": "InternalServerError", "Message": "An internal server error occurred."}


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def recorded(log: logging.Logger) -> Iterator[list[logging.LogRecord]]:
    """The records an app's logger emits (it does not propagate when it configures logs)."""
    handler = RecordingHandler()
    log.addHandler(handler)
    try:
        yield handler.records
    finally:
        log.removeHandler(handler)


# -- the tree ----------------------------------------------------------------------------


@pytest.mark.parametrize(("error_class", "status"), CHALICE_VIEW_ERRORS)
def test_view_errors_have_chalices_status_codes(
    error_class: type[ChaliceViewError], status: int
) -> None:
    assert status == error_class.STATUS_CODE
    assert issubclass(error_class, ChaliceViewError)
    assert issubclass(error_class, ChaliceError)
    assert status == error_class("boom").STATUS_CODE
    assert str(error_class("boom")) == "boom"


def test_all_errors_lists_every_view_error() -> None:
    assert sorted(ALL_ERRORS, key=lambda c: c.__name__) == sorted(
        (cls for cls, _ in CHALICE_VIEW_ERRORS), key=lambda c: c.__name__
    )


def test_every_view_error_is_exported_under_its_name() -> None:
    for error_class, _ in CHALICE_VIEW_ERRORS:
        assert getattr(chalicelike, error_class.__name__) is error_class
        assert error_class.__name__ in chalicelike.__all__


def test_registration_errors_are_value_and_type_errors() -> None:
    assert issubclass(RegistrationError, ValueError)
    assert issubclass(RegistrationError, ChaliceError)
    assert issubclass(UnknownArgumentError, TypeError)
    assert issubclass(UnknownArgumentError, RegistrationError)
    assert issubclass(UnknownArgumentError, ValueError)
    assert not issubclass(RegistrationError, ChaliceViewError)


def test_other_errors_sit_under_the_root() -> None:
    assert issubclass(ChaliceUnhandledError, ChaliceError)
    assert not issubclass(ChaliceUnhandledError, ChaliceViewError)
    assert issubclass(InvalidResponseError, ChaliceError)
    assert issubclass(NotRegisteredError, RuntimeError)
    assert issubclass(NotRegisteredError, ChaliceError)
    assert issubclass(WebsocketDisconnectedError, ChaliceError)


def test_websocket_disconnected_error_keeps_the_connection_id() -> None:
    error = WebsocketDisconnectedError("abc=")
    assert error.connection_id == "abc="
    assert str(error) == "websocket connection 'abc=' is gone"


def test_unknown_route_option_raises_unknown_argument_error() -> None:
    app = Chalice(app_name="errors-unknown-option", configure_logs=False)
    with pytest.raises(TypeError) as info:
        app.route("/", colour="blue")
    assert isinstance(info.value, UnknownArgumentError)


# -- view errors through both front doors -------------------------------------------------


def test_view_errors_become_code_and_message(front_door: Any) -> None:
    app = Chalice(app_name="errors-view", configure_logs=False)
    by_name = {cls.__name__: cls for cls, _ in CHALICE_VIEW_ERRORS}

    @app.route("/raise/{name}")
    def raise_error(name: str) -> None:
        raise by_name[name](f"{name} happened: détails")

    class PaymentRequiredError(ChaliceViewError):
        STATUS_CODE = 402

    @app.route("/custom")
    def custom() -> None:
        raise PaymentRequiredError("pay up")

    @app.route("/empty")
    def empty() -> None:
        raise NotFoundError()

    with front_door(app) as http:
        for error_class, status in CHALICE_VIEW_ERRORS:
            name = error_class.__name__
            answer = http("GET", f"/raise/{name}")
            assert (name, answer.status_code) == (name, status)
            assert answer.json_body == {"Code": name, "Message": f"{name} happened: détails"}
            # Labelled JSON on the wire; the test client shows Chalice's dict, which leaves
            # the label to API Gateway.
            assert answer.headers.get("content-type", "application/json") == "application/json"
        answer = http("GET", "/custom")
        assert answer.status_code == 402
        assert answer.json_body == {"Code": "PaymentRequiredError", "Message": "pay up"}
        answer = http("GET", "/empty")
        assert (answer.status_code, answer.json_body) == (
            404,
            {"Code": "NotFoundError", "Message": ""},
        )


def test_unhandled_exception_is_a_500_that_leaks_nothing(front_door: Any) -> None:
    app = Chalice(app_name="errors-unhandled")
    assert app.log.propagate is False

    @app.route("/boom")
    def boom() -> None:
        raise KeyError("secret-table-name")

    @app.route("/unhandled")
    def unhandled() -> None:
        raise ChaliceUnhandledError("for middleware only")

    with front_door(app) as http, recorded(app.log) as records:
        answer = http("GET", "/boom")
        assert answer.status_code == 500
        assert answer.json_body == INTERNAL_ERROR
        assert answer.headers.get("content-type", "application/json") == "application/json"
        assert b"secret" not in answer.body
        assert b"Traceback" not in answer.body

        answer = http("GET", "/unhandled")
        assert (answer.status_code, answer.json_body) == (500, INTERNAL_ERROR)

    assert [r.getMessage() for r in records] == [
        "Caught exception for path /boom",
        "Caught exception for path /unhandled",
    ]
    assert [r.levelno for r in records] == [logging.ERROR, logging.ERROR]
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is KeyError
    assert records[1].exc_info is not None
    assert records[1].exc_info[0] is ChaliceUnhandledError


def test_unhandled_exception_shows_the_traceback_in_debug(front_door: Any) -> None:
    app = Chalice(app_name="errors-debug", debug=True)

    @app.route("/boom")
    def boom() -> None:
        raise RuntimeError("the detail a developer wants")

    with front_door(app) as http, recorded(app.log) as records:
        answer = http("GET", "/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "text/plain"
    text = answer.body.decode()
    assert text.startswith("Traceback (most recent call last):")
    assert "in boom" in text
    assert text.rstrip().endswith("RuntimeError: the detail a developer wants")
    assert [r.getMessage() for r in records] == ["Caught exception for path /boom"]


def test_view_errors_are_not_logged(front_door: Any) -> None:
    app = Chalice(app_name="errors-not-logged", debug=True)

    @app.route("/missing")
    def missing() -> None:
        raise NotFoundError("nope")

    with front_door(app) as http, recorded(app.log) as records:
        assert http("GET", "/missing").status_code == 404
    assert [r for r in records if r.levelno >= logging.ERROR] == []


def test_header_with_cr_lf_is_a_logged_500(front_door: Any) -> None:
    app = Chalice(app_name="errors-crlf")

    @app.route("/crlf")
    def crlf() -> Response:
        return Response("ok", headers={"X-Redirect-To": "/next\r\nSet-Cookie: session=evil"})

    with front_door(app) as http, recorded(app.log) as records:
        answer = http("GET", "/crlf")
    assert (answer.status_code, answer.json_body) == (500, INTERNAL_ERROR)
    assert "set-cookie" not in answer.headers
    assert "x-redirect-to" not in answer.headers
    assert [r.getMessage() for r in records] == [
        "Invalid response for path /crlf: Bad value for header 'X-Redirect-To': "
        "'/next\\r\\nSet-Cookie: session=evil'; header values cannot contain CR or LF"
    ]


def test_invalid_response_detail_is_shown_only_in_debug(front_door: Any) -> None:
    app = Chalice(app_name="errors-invalid-debug", debug=True)

    @app.route("/crlf")
    def crlf() -> Response:
        return Response("ok", headers={"X-Bad": "a\nb"})

    with front_door(app) as http, recorded(app.log):
        answer = http("GET", "/crlf")
    assert answer.status_code == 500
    assert answer.json_body == {
        "Code": "InternalServerError",
        "Message": "An internal server error occurred. Bad value for header 'X-Bad': "
        "'a\\nb'; header values cannot contain CR or LF",
    }
