"""Middleware around HTTP views, through the test client and over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chalicelike import (
    Chalice,
    ChaliceUnhandledError,
    ConvertToMiddleware,
    NotFoundError,
    RegistrationError,
    Request,
    Response,
    UnauthorizedError,
)
from chalicelike._core._middleware import EventType, MiddlewareStack, chain

Handler = Callable[[Any], Any]


def make_app(**kwargs: Any) -> Chalice:
    return Chalice(app_name=f"mw-{uuid.uuid4().hex[:8]}", configure_logs=False, **kwargs)


def test_middleware_runs_outermost_first(front_door) -> None:
    app = make_app()
    order: list[str] = []

    @app.middleware("http")
    def outer(event: Request, get_response: Handler) -> Response:
        order.append("outer before")
        response = get_response(event)
        order.append("outer after")
        return response

    def inner(event: Request, get_response: Handler) -> Response:
        order.append("inner before")
        response = get_response(event)
        order.append("inner after")
        return response

    app.register_middleware(inner, "http")

    @app.route("/")
    def index() -> dict[str, str]:
        order.append("view")
        return {"ok": "yes"}

    with front_door(app) as http:
        answer = http("GET", "/")
    assert answer.status_code == 200
    assert answer.json_body == {"ok": "yes"}
    assert order == ["outer before", "inner before", "view", "inner after", "outer after"]


def test_middleware_gets_the_request_and_a_response(front_door) -> None:
    app = make_app()
    seen: list[tuple[object, ...]] = []

    @app.middleware()
    def look(event: Request, get_response: Handler) -> Response:
        response = get_response(event)
        seen.append(
            (
                type(event).__name__,
                event.path,
                event.uri_params,
                event is app.current_request,
                type(response).__name__,
                response.status_code,
                response.body,
            )
        )
        return response

    @app.route("/items/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    with front_door(app) as http:
        assert http("GET", "/items/9").json_body == {"id": "9"}
    assert seen == [
        ("Request", "/items/{item_id}", {"item_id": "9"}, True, "Response", 200, {"id": "9"})
    ]


def test_middleware_can_answer_without_calling_the_view(front_door) -> None:
    app = make_app()
    calls: list[str] = []

    @app.middleware("http")
    def require_key(event: Request, get_response: Handler) -> Response:
        if event.headers.get("x-api-key") != "secret":
            return Response({"error": "no key"}, headers={"X-Denied": "1"}, status_code=401)
        return get_response(event)

    @app.route("/private")
    def private() -> dict[str, str]:
        calls.append("view")
        return {"secret": "data"}

    with front_door(app) as http:
        denied = http("GET", "/private")
        assert denied.status_code == 401
        assert denied.json_body == {"error": "no key"}
        assert denied.headers["x-denied"] == "1"
        assert calls == []
        allowed = http("GET", "/private", headers={"X-Api-Key": "secret"})
        assert allowed.status_code == 200
        assert allowed.json_body == {"secret": "data"}
        assert calls == ["view"]


def test_middleware_can_change_the_response(front_door) -> None:
    app = make_app()

    @app.middleware("http")
    def stamp(event: Request, get_response: Handler) -> Response:
        response = get_response(event)
        response.headers["X-Request-Path"] = event.path
        response.headers["Content-Type"] = "text/plain"
        response.status_code = 202
        response.body = "changed"
        return response

    @app.route("/thing")
    def thing() -> dict[str, str]:
        return {"original": "body"}

    with front_door(app) as http:
        answer = http("GET", "/thing")
    assert answer.status_code == 202
    assert answer.headers["x-request-path"] == "/thing"
    assert answer.headers["content-type"] == "text/plain"
    assert answer.body == b"changed"


def test_all_applies_to_http_and_other_types_do_not(front_door) -> None:
    app = make_app()
    ran: list[str] = []

    def recorder(name: str) -> Callable[[Request, Handler], Response]:
        def mw(event: Request, get_response: Handler) -> Response:
            ran.append(name)
            return get_response(event)

        return mw

    app.register_middleware(recorder("all"))  # default event type is 'all'
    app.register_middleware(recorder("s3"), "s3")
    app.register_middleware(recorder("sqs"), "sqs")
    app.register_middleware(recorder("http"), "http")
    app.route("/")(lambda: "hi")

    with front_door(app) as http:
        assert http("GET", "/").body == b"hi"
    assert ran == ["all", "http"]


def test_middleware_added_after_a_request_is_used(front_door) -> None:
    app = make_app()
    app.route("/")(lambda: "hi")
    with front_door(app) as http:
        assert "x-late" not in http("GET", "/").headers

        @app.middleware("http")
        def late(event: Request, get_response: Handler) -> Response:
            response = get_response(event)
            response.headers["X-Late"] = "1"
            return response

        assert http("GET", "/").headers["x-late"] == "1"


def test_unknown_event_type_names_the_allowed_values() -> None:
    app = make_app()
    with pytest.raises(RegistrationError) as caught:

        @app.middleware("htttp")
        def mw(event: Request, get_response: Handler) -> Response:
            return get_response(event)

    assert str(caught.value) == (
        "Unknown middleware event type 'htttp'; use one of 'all', 'http', 's3', 'sns', "
        "'sqs', 'cloudwatch', 'scheduled', 'kinesis', 'dynamodb', 'websocket', 'pure_lambda', "
        "'ses', 'cognito'"
    )
    with pytest.raises(RegistrationError, match="Unknown middleware event type 'HTTP'"):
        app.register_middleware(lambda event, get_response: get_response(event), "HTTP")
    assert not app.middleware_stack.wraps(EventType.HTTP)


def test_middleware_must_be_callable() -> None:
    app = make_app()
    with pytest.raises(RegistrationError, match="Middleware must be callable, not 'nope'"):
        app.register_middleware("nope", "http")  # type: ignore[arg-type]


def test_exception_in_middleware_is_a_logged_500(
    front_door,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()

    @app.middleware("http")
    def broken(event: Request, get_response: Handler) -> Response:
        raise KeyError("missing setting")

    app.route("/boom")(lambda: "never")
    with caplog.at_level(logging.ERROR, logger=app.app_name), front_door(app) as http:
        answer = http("GET", "/boom")
    assert answer.status_code == 500
    assert answer.json_body == {
        "Code": "InternalServerError",
        "Message": "An internal server error occurred.",
    }
    records = [r for r in caplog.records if r.name == app.app_name]
    assert [r.getMessage() for r in records] == ["Caught exception for path /boom"]
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is KeyError


def test_exception_in_middleware_shows_the_traceback_in_debug(front_door) -> None:
    app = make_app(debug=True)

    @app.middleware("http")
    def broken(event: Request, get_response: Handler) -> Response:
        raise KeyError("missing setting")

    app.route("/boom")(lambda: "never")
    with front_door(app) as http:
        answer = http("GET", "/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "text/plain"
    assert answer.body.startswith(b"Traceback (most recent call last):")
    assert answer.body.rstrip().endswith(b"KeyError: 'missing setting'")


def test_unhandled_error_reaches_middleware(front_door) -> None:
    app = make_app()
    caught: list[str] = []

    @app.middleware("http")
    def handle(event: Request, get_response: Handler) -> Response:
        try:
            return get_response(event)
        except ChaliceUnhandledError as error:
            caught.append(str(error))
            return Response({"error": str(error)}, status_code=503)

    @app.route("/sync")
    def sync_view() -> None:
        raise ChaliceUnhandledError("db down")

    @app.route("/async")
    async def async_view() -> None:
        await asyncio.sleep(0)
        raise ChaliceUnhandledError("cache down")

    @app.route("/other")
    def other() -> None:
        raise NotFoundError("no such thing")

    with front_door(app) as http:
        sync_answer = http("GET", "/sync")
        async_answer = http("GET", "/async")
        other_answer = http("GET", "/other")
    assert (sync_answer.status_code, sync_answer.json_body) == (503, {"error": "db down"})
    assert (async_answer.status_code, async_answer.json_body) == (503, {"error": "cache down"})
    # Other view errors are answered before middleware sees them, as in Chalice.
    assert other_answer.status_code == 404
    assert other_answer.json_body == {"Code": "NotFoundError", "Message": "no such thing"}
    assert caught == ["db down", "cache down"]


def test_unhandled_error_without_middleware_is_a_500(
    front_door,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()

    @app.route("/sync")
    def sync_view() -> None:
        raise ChaliceUnhandledError("db down")

    @app.route("/async")
    async def async_view() -> None:
        raise ChaliceUnhandledError("cache down")

    internal = {"Code": "InternalServerError", "Message": "An internal server error occurred."}
    with caplog.at_level(logging.ERROR, logger=app.app_name), front_door(app) as http:
        for path in ("/sync", "/async"):
            answer = http("GET", path)
            assert answer.status_code == 500
            assert answer.json_body == internal
    messages = [r.getMessage() for r in caplog.records if r.name == app.app_name]
    assert messages == ["Caught exception for path /sync", "Caught exception for path /async"]


def test_convert_to_middleware_wraps_a_lambda_handler_decorator(front_door) -> None:
    app = make_app()
    seen: list[tuple[object, ...]] = []

    def log_invocation(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        """A decorator of `(event, context)` handlers, as Powertools' are."""

        def wrapper(event: dict[str, Any], context: Any) -> Any:
            seen.append(("before", event["httpMethod"], event["resource"], event["pathParameters"]))
            result = handler(event, context)
            seen.append(("after", result.status_code))
            result.headers["X-Wrapped"] = "true"
            return result

        return wrapper

    app.register_middleware(ConvertToMiddleware(log_invocation), "http")

    @app.route("/orders/{order_id}", methods=["PUT"])
    def order(order_id: str) -> dict[str, str]:
        seen.append(("view", order_id))
        return {"order": order_id}

    with front_door(app) as http:
        answer = http("PUT", "/orders/42", headers={"Content-Type": "application/json"}, body="{}")
    assert answer.status_code == 200
    assert answer.json_body == {"order": "42"}
    assert answer.headers["x-wrapped"] == "true"
    assert seen == [
        ("before", "PUT", "/orders/{order_id}", {"order_id": "42"}),
        ("view", "42"),
        ("after", 200),
    ]


def test_convert_to_middleware_passes_the_lambda_context() -> None:
    from chalicelike.test import Client

    app = make_app()
    contexts: list[Any] = []

    def keep_context(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def wrapper(event: Any, context: Any) -> Any:
            contexts.append(context)
            return handler(event, context)

        return wrapper

    app.register_middleware(ConvertToMiddleware(keep_context))
    app.route("/")(lambda: "ok")
    with Client(app) as client:
        assert client.http.get("/").body == b"ok"
    assert contexts[0].function_name == "api_handler"  # as in Chalice's test client


def test_middleware_sees_405_and_415_but_not_403(front_door) -> None:
    app = make_app()
    statuses: list[tuple[str, str, int]] = []

    @app.middleware("http")
    def record(event: Request, get_response: Handler) -> Response:
        response = get_response(event)
        statuses.append((event.method, event.path, response.status_code))
        return response

    @app.route("/things", methods=["POST"])
    def create() -> dict[str, bool]:
        return {"created": True}

    with front_door(app) as http:
        assert http("DELETE", "/things").status_code == 405
        text = {"Content-Type": "text/plain"}
        assert http("POST", "/things", headers=text, body="hi").status_code == 415
        assert http("GET", "/unknown").status_code == 403
        json_type = {"Content-Type": "application/json"}
        assert http("POST", "/things", headers=json_type, body="{}").status_code == 200
    assert statuses == [
        ("DELETE", "/things", 405),
        ("POST", "/things", 415),
        ("POST", "/things", 200),
    ]


def test_async_view_with_middleware(front_door) -> None:
    app = make_app()
    order: list[str] = []

    @app.middleware("http")
    def around(event: Request, get_response: Handler) -> Response:
        order.append("before")
        response = get_response(event)
        order.append("after")
        response.headers["X-Mw"] = "ran"
        return response

    @app.route("/slow/{n}")
    async def slow(n: str) -> dict[str, object]:
        await asyncio.sleep(0.01)
        order.append("view")
        request = app.current_request
        return {"n": n, "uri": request.uri_params, "q": request.query_params.getlist("q")}

    with front_door(app) as http:
        answer = http("GET", "/slow/5?q=a&q=b")
    assert answer.status_code == 200
    assert answer.json_body == {"n": "5", "uri": {"n": "5"}, "q": ["a", "b"]}
    assert answer.headers["x-mw"] == "ran"
    assert order == ["before", "view", "after"]


def test_event_type_parse() -> None:
    assert EventType.parse("http") is EventType.HTTP
    assert EventType.parse("all") is EventType.ALL
    assert EventType.parse("pure_lambda") is EventType.PURE_LAMBDA


def test_chain_composes_in_registration_order() -> None:
    def tag(name: str) -> Callable[[list[str], Handler], list[str]]:
        def mw(event: list[str], get_response: Handler) -> list[str]:
            return [*get_response([*event, name]), name]

        return mw

    handler = chain([tag("a"), tag("b")], lambda event: [*event, "view"])
    assert handler([]) == ["a", "b", "view", "b", "a"]
    assert chain([], lambda event: event)("same") == "same"


def test_view_error_raised_by_middleware_keeps_its_status_and_gets_cors(front_door) -> None:
    # Chalice answers 500 here; an auth middleware raising UnauthorizedError means 401.
    app = Chalice(app_name="mw-view-error", configure_logs=False)

    @app.middleware("http")
    def require_token(event: Request, get_response: Callable[[Request], Response]) -> Response:
        if "authorization" not in event.headers:
            raise UnauthorizedError("Send a token")
        return get_response(event)

    @app.route("/private", cors=True)
    def private() -> dict[str, bool]:
        return {"ok": True}

    with front_door(app) as http:
        denied = http("GET", "/private")
        assert denied.status_code == 401
        assert denied.json_body == {"Code": "UnauthorizedError", "Message": "Send a token"}
        assert denied.headers["access-control-allow-origin"] == "*"
        assert http("GET", "/private", headers={"Authorization": "t"}).status_code == 200


def test_short_circuit_answer_gets_the_routes_cors_headers(front_door) -> None:
    app = Chalice(app_name="mw-short-cors", configure_logs=False)

    @app.middleware("http")
    def maintenance(event: Request, get_response: Callable[[Request], Response]) -> Response:
        return Response({"down": True}, status_code=503)

    @app.route("/thing", cors=True)
    def thing() -> dict[str, bool]:
        return {}

    with front_door(app) as http:
        answer = http("GET", "/thing")
        assert answer.status_code == 503
        assert answer.headers["access-control-allow-origin"] == "*"


def test_the_app_hands_one_middleware_stack_to_every_handler() -> None:
    # The pipeline and event sources get their chains from the app's stack; none reads
    # the app's private state, and a chain follows middleware added after first use.
    stack = MiddlewareStack()
    seen: list[str] = []

    def handler(event: str) -> str:
        seen.append(event)
        return "done"

    chained = stack.chain(EventType.SQS, handler)
    assert chained("a") == "done"

    def tag(event: str, get_response: Handler) -> object:
        return get_response(event + "+sqs")

    stack.add(EventType.SQS, tag)
    stack.add(EventType.HTTP, lambda event, get_response: "http only")
    assert chained("b") == "done"
    assert seen == ["a", "b+sqs"]
    assert stack.wraps(EventType.SQS) and stack.wraps(EventType.HTTP)
    assert not stack.wraps(EventType.S3)
    app = Chalice(app_name="stacked")
    assert isinstance(app.middleware_stack, MiddlewareStack)


def test_a_chain_is_bare_until_middleware_or_an_instrument_wraps_it() -> None:
    stack = MiddlewareStack()

    def view(event: Any) -> Any:
        return event

    chained = stack.chain(EventType.HTTP, view)
    assert chained.is_bare()
    stack.add(EventType.S3, lambda event, get_response: get_response(event))
    assert chained.is_bare()  # another event type's middleware does not wrap it
    stack.add(EventType.ALL, lambda event, get_response: ("wrapped", get_response(event)))
    assert not chained.is_bare()
    assert chained("e") == ("wrapped", "e")

    class Instrument:
        def wrap(self, handler: Any, middleware: Any) -> Any:
            return lambda event: handler(event)

        def view_failed(self, error: BaseException, status: int) -> None:
            pass

    alone = MiddlewareStack()
    traced = alone.chain(EventType.HTTP, view)
    assert traced.is_bare()
    alone.set_instrument(Instrument())
    assert not traced.is_bare()
