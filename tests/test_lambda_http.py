"""Tests for _doors/_lambda_http.py: `app(event, context)` end to end, for every front door.

Each test runs once per front door: an event is built as that source sends it (API Gateway
REST, HTTP API with and without a named stage, Function URL, ALB with and without
multi-value headers, Lambda@Edge viewer and origin requests; see tests/lambda_events.py),
and the answer is read back as that source reads it. A hypothesis test then feeds mangled
events of every source and checks the handler answers in the source's format or raises
InvalidEventError.
"""

from __future__ import annotations

import base64
import copy
import decimal
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelike import Chalice, ChaliceUnhandledError, CORSConfig, NotFoundError, Response
from chalicelike._core._errors import InvalidEventError
from chalicelike._doors._http_events import HttpEventSource, identify_source
from tests.lambda_events import VARIANTS, Answer, Context, Headers, read_answer, rest

# -- the app under test ----------------------------------------------------------------


def make_app() -> tuple[Chalice, dict[str, Any]]:
    app = Chalice(app_name="lambda-http-test", configure_logs=False)
    seen: dict[str, Any] = {}

    @app.route("/orders/{order_id}", methods=["GET", "PUT"])
    def get_order(order_id: str) -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        seen["event"] = request.to_original_event()
        seen["context"] = app.lambda_context
        seen["request_context"] = request.lambda_context
        return {"id": order_id, "resource": request.path, "uri_params": request.uri_params}

    @app.route("/search")
    def search() -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        query = request.query_params
        if query is None:
            return {"query": None}
        return {name: query.getlist(name) for name in sorted(query)}

    @app.route("/session", methods=["POST"])
    def session() -> Response:
        request = app.current_request
        assert request is not None
        return Response(
            {"cookie": request.headers.get("cookie")},
            headers={"Set-Cookie": ["sid=xyz; Path=/; HttpOnly", "theme=light; Path=/"]},
            status_code=201,
        )

    @app.route("/orders", methods=["POST"])
    def create_order() -> Response:
        request = app.current_request
        assert request is not None
        return Response({"created": request.json_body}, status_code=201)

    @app.route("/files", methods=["PUT"], content_types=["application/octet-stream"])
    def upload() -> Response:
        request = app.current_request
        assert request is not None
        data = request.raw_body
        return Response(data[::-1], headers={"Content-Type": "application/octet-stream"})

    @app.route("/boom")
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @app.route("/shared", cors=CORSConfig(allow_origin="https://shop.example", max_age=600))
    def shared() -> dict[str, bool]:
        return {"shared": True}

    return app, seen


@pytest.fixture
def app_and_seen() -> tuple[Chalice, dict[str, Any]]:
    return make_app()


@pytest.fixture(params=list(VARIANTS))
def door(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


JSON = {"Content-Type": "application/json"}


def invoke(
    app: Chalice,
    door: str,
    method: str,
    path: str,
    headers: Headers | None = None,
    body: bytes | None = None,
    **request: Any,
) -> Answer:
    """Send the request through `door`, and read the answer as that source does."""
    variant = VARIANTS[door]
    event = variant.build(method, path, headers, body, **request)
    return read_answer(app(event, Context()), variant.source)


# -- end to end, once per front door ------------------------------------------------------


def test_path_parameters(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    answer = invoke(
        app,
        door,
        "GET",
        "/orders/42",
        resource="/orders/{order_id}",
        path_params={"order_id": "42"},
    )
    assert answer.status == 200
    assert answer.json == {
        "id": "42",
        "resource": "/orders/{order_id}",
        "uri_params": {"order_id": "42"},
    }
    assert answer.header("content-type") == "application/json"


def test_multi_value_query(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    query = [("tag", "a"), ("tag", "b"), ("q", "café au lait"), ("sym", "a&b=c/d+e")]
    path = "/search?" + urlencode(query, quote_via=quote)
    answer = invoke(app, door, "GET", path, resource="/search")
    # An ALB target group without multi-value support passes only the last value.
    tags = ["b"] if door == "alb" else ["a", "b"]
    assert (answer.status, answer.json) == (
        200,
        {"q": ["café au lait"], "sym": ["a&b=c/d+e"], "tag": tags},
    )


def test_no_query_is_none(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, "GET", "/search", resource="/search")
    assert (answer.status, answer.json) == (200, {"query": None})


def test_cookies_in_and_out(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    cookies = ["session=abc123", "theme=dark"]
    answer = invoke(app, door, "POST", "/session", cookies=cookies, resource="/session")
    assert (answer.status, answer.json) == (201, {"cookie": "session=abc123; theme=dark"})
    assert answer.headers["set-cookie"] == ["sid=xyz; Path=/; HttpOnly", "theme=light; Path=/"]


@pytest.mark.parametrize("base64_body", [False, True], ids=["text", "base64"])
def test_json_body(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str, base64_body: bool
) -> None:
    app, _ = app_and_seen
    body = json.dumps({"item": "café", "qty": 3}).encode()
    answer = invoke(
        app, door, "POST", "/orders", JSON, body, binary=base64_body, resource="/orders"
    )
    assert (answer.status, answer.json) == (201, {"created": {"item": "café", "qty": 3}})


def test_bad_json_body_is_400(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, "POST", "/orders", JSON, b"{not json", resource="/orders")
    assert (answer.status, answer.json) == (
        400,
        {"Code": "BadRequestError", "Message": "Error Parsing JSON"},
    )


def test_binary_upload_and_download(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str
) -> None:
    app, _ = app_and_seen
    data = bytes(range(256)) * 4
    variant = VARIANTS[door]
    event = variant.build(
        "PUT",
        "/files",
        {"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"},
        data,
        binary=True,
        resource="/files",
    )
    raw = app(event, Context())
    answer = read_answer(raw, variant.source)
    assert (answer.status, answer.body) == (200, data[::-1])
    assert answer.header("content-type") == "application/octet-stream"
    # The bytes travel base64-encoded, however the source flags it.
    encoded = raw.get("isBase64Encoded", raw.get("bodyEncoding") == "base64")
    assert encoded is True
    assert raw["body"] == base64.b64encode(data[::-1]).decode()


def test_unknown_path(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, "GET", "/nowhere/at/all")
    if door.startswith("rest"):
        # What API Gateway answers for a path with no resource.
        assert (answer.status, answer.json) == (403, {"message": "Missing Authentication Token"})
    else:
        assert (answer.status, answer.json) == (404, {"message": "Not Found"})


def test_unrouted_method_is_405_with_allow(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str
) -> None:
    app, _ = app_and_seen
    answer = invoke(
        app,
        door,
        "DELETE",
        "/orders/42",
        resource="/orders/{order_id}",
        path_params={"order_id": "42"},
    )
    assert (answer.status, answer.json) == (
        405,
        {"Code": "MethodNotAllowedError", "Message": "Unsupported method: DELETE"},
    )
    assert answer.header("allow") == "GET, PUT"


def test_view_exception_is_a_500_that_leaks_nothing(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = app_and_seen
    answer = invoke(app, door, "GET", "/boom", resource="/boom")
    assert (answer.status, answer.json) == (
        500,
        {"Code": "InternalServerError", "Message": "An internal server error occurred."},
    )
    assert b"hunter2" not in answer.body and b"Traceback" not in answer.body
    assert "database password is hunter2" in caplog.text  # logged, not answered


def test_view_sees_the_event_and_the_context(
    app_and_seen: tuple[Chalice, dict[str, Any]], door: str
) -> None:
    app, seen = app_and_seen
    variant = VARIANTS[door]
    event = variant.build(
        "GET", "/orders/7", resource="/orders/{order_id}", path_params={"order_id": "7"}
    )
    context = Context()
    read_answer(app(event, context), variant.source)
    assert seen["event"] is event
    assert seen["context"] is context
    assert seen["request_context"] is context
    # As Chalice, the last invoke's request and context stay on the app after it.
    assert app.current_request is not None and app.current_request.path == "/orders/{order_id}"
    assert app.lambda_context is context


def test_middleware_runs(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    calls: list[tuple[str, str]] = []

    @app.middleware("http")
    def stamp(event: Any, get_response: Callable[[Any], Response]) -> Response:
        calls.append((event.method, event.path))
        response = get_response(event)
        response.headers["X-Served-By"] = "middleware"
        return response

    answer = invoke(app, door, "GET", "/search", resource="/search")
    assert calls == [("GET", "/search")]
    assert answer.header("x-served-by") == "middleware"


def test_cors_headers_on_answers(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    origin = {"Origin": "https://shop.example"}
    answer = invoke(app, door, "GET", "/shared", origin, resource="/shared")
    assert (answer.status, answer.json) == (200, {"shared": True})
    assert answer.header("access-control-allow-origin") == "https://shop.example"
    assert answer.header("access-control-max-age") == "600"
    assert answer.header("access-control-allow-headers") == (
        "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"
    )


def test_cors_preflight(app_and_seen: tuple[Chalice, dict[str, Any]], door: str) -> None:
    app, _ = app_and_seen
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}
    answer = invoke(app, door, "OPTIONS", "/shared", preflight, resource="/shared")
    assert answer.status == 200
    assert answer.header("access-control-allow-origin") == "https://shop.example"
    assert "GET" in answer.header("access-control-allow-methods").split(",")


# -- REST specifics: API Gateway has already matched the route ---------------------------


def test_rest_routing_trusts_the_events_resource(
    app_and_seen: tuple[Chalice, dict[str, Any]],
) -> None:
    app, _ = app_and_seen
    # A custom domain's base path mapping, say: `path` is not what the route matched.
    event = rest(
        "GET", "/v1/orders/42", resource="/orders/{order_id}", path_params={"order_id": "42"}
    )
    answer = read_answer(app(event, Context()), HttpEventSource.REST_API)
    assert (answer.status, answer.json["id"], answer.json["resource"]) == (
        200,
        "42",
        "/orders/{order_id}",
    )


def test_rest_catch_all_resource_falls_back_to_the_path(
    app_and_seen: tuple[Chalice, dict[str, Any]],
) -> None:
    app, _ = app_and_seen
    event = rest("GET", "/orders/9")  # resource '/{proxy+}', proxy 'orders/9'
    assert event["resource"] == "/{proxy+}"
    answer = read_answer(app(event, Context()), HttpEventSource.REST_API)
    assert (answer.status, answer.json) == (
        200,
        {"id": "9", "resource": "/orders/{order_id}", "uri_params": {"order_id": "9"}},
    )


def test_non_http_event_raises_invalid_event_error(
    app_and_seen: tuple[Chalice, dict[str, Any]],
) -> None:
    app, _ = app_and_seen
    sqs = {"Records": [{"messageId": "1", "body": "x", "eventSource": "aws:sqs"}]}
    with pytest.raises(InvalidEventError, match="aws:sqs"):
        app(sqs, Context())


# -- property: any event-shaped dict gets a valid answer or InvalidEventError -------------

settings.register_profile(
    "lambda-http-fuzz",
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The builders' arguments for a few requests the app answers in different ways.
SAMPLE_REQUESTS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/orders/42",
        "resource": "/orders/{order_id}",
        "path_params": {"order_id": "42"},
    },
    {"method": "GET", "path": "/search?tag=a&tag=b", "resource": "/search"},
    {
        "method": "POST",
        "path": "/orders",
        "headers": {"Content-Type": "application/json"},
        "body": b'{"qty": 1}',
        "cookies": ["a=1"],
        "resource": "/orders",
    },
    {
        "method": "PUT",
        "path": "/files",
        "headers": {"Content-Type": "application/octet-stream"},
        "body": b"\x00\xff",
        "binary": True,
        "resource": "/files",
    },
    {"method": "GET", "path": "/boom", "resource": "/boom"},
    {
        "method": "OPTIONS",
        "path": "/shared",
        "headers": {"Origin": "https://shop.example"},
        "resource": "/shared",
    },
]

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["GET", "2.0", "1.0", "/", "/orders/1", "$default", "base64", "text", ""])
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
header_maps = st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4)
multi_maps = st.dictionaries(
    st.text(max_size=10), st.lists(st.text(max_size=20), max_size=3), max_size=4
)
edge_header_maps = st.dictionaries(
    st.text(max_size=10),
    st.lists(
        st.fixed_dictionaries({"key": st.text(max_size=10), "value": st.text(max_size=20)}),
        max_size=2,
    ),
    max_size=3,
)
replacement_values = (
    json_values
    | header_maps
    | multi_maps
    | edge_header_maps
    | st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON-like value (dict keys and list indexes)."""
    found: list[tuple[Any, ...]] = []
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _parent(event: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        event = event[key]
    return event


@st.composite
def mangled_events(draw: st.DrawFn) -> dict[str, Any]:
    variant = VARIANTS[draw(st.sampled_from(sorted(VARIANTS)))]
    event = copy.deepcopy(variant.build(**draw(st.sampled_from(SAMPLE_REQUESTS))))
    for _ in range(draw(st.integers(0, 4))):
        paths = _paths(event)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(event, path)
        action = draw(st.sampled_from(["drop", "replace", "flag"]))
        if action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "flag":
            event["isBase64Encoded"] = draw(st.booleans() | json_leaves)
        else:
            parent[path[-1]] = draw(replacement_values)
    return event


def assert_valid_answer(source: HttpEventSource, answer: Any) -> None:
    assert isinstance(answer, dict)
    json.dumps(answer)
    if source is HttpEventSource.LAMBDA_EDGE:
        assert isinstance(answer["status"], str) and 100 <= int(answer["status"]) <= 599
        assert isinstance(answer["statusDescription"], str)
        assert answer["bodyEncoding"] in ("text", "base64")
        for lower, entries in answer["headers"].items():
            assert lower == lower.lower()
            for entry in entries:
                assert set(entry) == {"key", "value"}
                assert entry["key"].lower() == lower and isinstance(entry["value"], str)
    else:
        status = answer["statusCode"]
        assert type(status) is int and 100 <= status <= 599
        assert type(answer.get("isBase64Encoded", False)) is bool
        single = answer.get("headers", {})
        assert all(type(k) is str and type(v) is str for k, v in single.items())
        multi = answer.get("multiValueHeaders", {})
        assert all(type(v) is list and all(type(i) is str for i in v) for v in multi.values())
        if source is HttpEventSource.ALB:
            assert answer["statusDescription"].split(" ", 1)[0] == str(status)
            assert ("headers" in answer) != ("multiValueHeaders" in answer)
        if source in (HttpEventSource.HTTP_API, HttpEventSource.FUNCTION_URL):
            assert all(type(c) is str for c in answer.get("cookies", []))
    assert isinstance(answer["body"], str)
    read_answer(answer, source)  # checks each source's exact keys and decodes the body


FUZZ_APP, _ = make_app()


@settings(settings.get_profile("lambda-http-fuzz"))
@given(mangled_events())
def test_any_event_gets_a_valid_answer_or_invalid_event_error(event: dict[str, Any]) -> None:
    original = copy.deepcopy(event)
    try:
        source: HttpEventSource | None = identify_source(event)
    except InvalidEventError:
        source = None
    try:
        answer = FUZZ_APP(event, Context())
    except InvalidEventError:
        return
    assert source is not None, "a non-HTTP event was answered"
    assert_valid_answer(source, answer)
    assert event == original  # the handler does not change the event it was given


# -- hardening: what real Chalice apps and hand-made events do --------------------------------


def test_context_may_be_passed_by_keyword() -> None:
    app = Chalice(app_name="keyword-context", configure_logs=False)
    app.route("/")(lambda: {"ok": True})
    event = rest("GET", "/", resource="/")
    answer = read_answer(app(event, context=Context()), HttpEventSource.REST_API)
    assert (answer.status, answer.json) == (200, {"ok": True})
    answer = read_answer(app(event=event, context=Context()), HttpEventSource.REST_API)
    assert answer.status == 200


def test_bad_base64_body_fails_only_a_view_that_reads_it() -> None:
    app = Chalice(app_name="lazy-base64", configure_logs=False)
    app.route("/quiet", methods=["POST"])(lambda: {"read": False})

    @app.route("/reads", methods=["POST"])
    def reads() -> dict[str, int]:
        return {"size": len(app.current_request.raw_body)}

    for resource, expected in (("/quiet", (200, {"read": False})), ("/reads", None)):
        event = rest("POST", resource, JSON, b"{}", resource=resource)
        event["body"], event["isBase64Encoded"] = "not base64!", True
        answer = read_answer(app(event, Context()), HttpEventSource.REST_API)
        if expected is not None:
            assert (answer.status, answer.json) == expected
        else:
            assert answer.status == 400
            assert answer.json == {
                "Code": "BadRequestError",
                "Message": "The request body is not base64, though isBase64Encoded says it is",
            }


def test_deeply_nested_json_body_is_a_400() -> None:
    app = Chalice(app_name="deep-json", configure_logs=False)
    app.route("/", methods=["POST"])(lambda: app.current_request.json_body)
    body = ("[" * 50000 + "]" * 50000).encode()
    answer = read_answer(app(rest("POST", "/", JSON, body, resource="/"), Context()))
    assert (answer.status, answer.json) == (
        400,
        {"Code": "BadRequestError", "Message": "Error Parsing JSON"},
    )


def test_an_answer_that_cannot_be_encoded_is_the_apps_500(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from collections.abc import Mapping

    class Broken(Mapping[str, str]):
        def __getitem__(self, key: str) -> str:
            raise LookupError("the mapping broke")

        def __iter__(self) -> Any:
            return iter(["a"])

        def __len__(self) -> int:
            return 1

    app = Chalice(app_name="broken-answer")
    app.route("/")(lambda: {"value": Broken()})
    answer = read_answer(app(rest("GET", "/", resource="/"), Context()))
    assert answer.status == 500
    assert answer.json["Code"] == "InternalServerError"
    assert "Invalid response for path /" in capsys.readouterr().out


def test_query_params_with_an_empty_value_list() -> None:
    app = Chalice(app_name="empty-query", configure_logs=False)
    app.route("/")(lambda: app.current_request.query_params)
    event = rest("GET", "/", resource="/")
    event["multiValueQueryStringParameters"] = {"a": [], "b": ["1"]}
    event["queryStringParameters"] = {"b": "1"}
    answer = read_answer(app(event, Context()))
    assert (answer.status, answer.json) == (200, {"b": "1"})


def test_content_types_are_checked_without_a_body(door: str) -> None:
    # Chalice refuses a request naming an unlisted Content-Type even with no body.
    app = Chalice(app_name="empty-415", configure_logs=False)
    app.route("/")(lambda: "ok")
    answer = invoke(app, door, "GET", "/", {"Content-Type": "text/plain"}, resource="/")
    assert (answer.status, answer.json) == (
        415,
        {"Code": "UnsupportedMediaType", "Message": "Unsupported media type: text/plain"},
    )
    assert invoke(app, door, "GET", "/", resource="/").status == 200


def test_binary_answer_without_accept_is_400_behind_a_rest_api(door: str) -> None:
    app = Chalice(app_name="binary-accept", configure_logs=False)

    @app.route("/logo")
    def logo() -> Response:
        return Response(b"\x89PNG", headers={"Content-Type": "image/png"})

    answer = invoke(app, door, "GET", "/logo", resource="/logo")
    if VARIANTS[door].source is HttpEventSource.REST_API:
        # A REST API would hand the client base64 text: Chalice answers 400 instead.
        assert answer.status == 400
        assert answer.json["Code"] == "BadRequest"
        assert answer.json["Message"].startswith(
            "Request did not specify an Accept header with image/png"
        )
    else:
        # HTTP APIs, Function URLs, ALBs and CloudFront decode base64 whatever Accept says.
        assert (answer.status, answer.body) == (200, b"\x89PNG")
    for accept in ("image/png", "image/*", "text/html, */*;q=0.8", "image/png;q=1"):
        answer = invoke(app, door, "GET", "/logo", {"Accept": accept}, resource="/logo")
        assert (answer.status, answer.body) == (200, b"\x89PNG"), accept
    answer = invoke(app, door, "GET", "/logo", {"Accept": "text/html"}, resource="/logo")
    assert answer.status == (400 if door.startswith("rest") else 200)


def test_rest_event_with_method_and_path_only_in_request_context() -> None:
    # What Chalice reads (requestContext.httpMethod / resourcePath), and all some
    # hand-made events carry.
    app = Chalice(app_name="context-only", configure_logs=False)

    @app.route("/users/{name}", methods=["GET", "POST"])
    def user(name: str) -> dict[str, Any]:
        request = app.current_request
        return {"name": name, "method": request.method, "path": request.path}

    event: dict[str, Any] = {
        "requestContext": {"httpMethod": "POST", "resourcePath": "/users/{name}"},
        "pathParameters": {"name": "ann"},
        "headers": {"Content-Type": "application/json"},
        "body": "{}",
        "isBase64Encoded": False,
    }
    answer = read_answer(app(event, Context()), HttpEventSource.REST_API)
    assert (answer.status, answer.json) == (
        200,
        {"name": "ann", "method": "POST", "path": "/users/{name}"},
    )
    # The path from requestContext.path, without the stage, when the resource is unknown.
    event = {"requestContext": {"httpMethod": "GET", "path": "/dev/users/bob", "stage": "dev"}}
    assert read_answer(app(event, Context())).json["name"] == "bob"
    # Without a method anywhere it cannot be served: the error names the field.
    with pytest.raises(InvalidEventError, match="missing field 'httpMethod'"):
        app({"requestContext": {"resourcePath": "/users/{name}"}}, Context())


# -- the REST shortcut answers what the general writer writes ------------------------------
#
# Without middleware, the door writes a REST API's usual answer (a view's own value as JSON,
# no headers of its own) straight from the pipeline's JSON text. Every answer must be the
# one the same app gives with a pass-through middleware, which takes the general path
# (Response, render, the general writer): field for field and in order.


class _OwnResponse(Response):
    """An app's own Response subclass: still a Response, never a JSON body."""


def _shortcut_app(debug: bool = False) -> Chalice:
    app = Chalice(app_name="shortcut-test", debug=debug, configure_logs=False)
    values: dict[str, Callable[[], Any]] = {
        "dict": lambda: {"id": "42", "total": 12.5, "tags": ("a", "b")},
        "list": lambda: [1, "two", None, {"three": 3.0}],
        "number": lambda: 7,
        "none": lambda: None,
        "text": lambda: "plain text",
        "unicode": lambda: {"name": "Zoë ☃"},
        "utf8-bytes": lambda: "é".encode(),
        "raw-bytes": lambda: b"\x00\xff\xfe",
        "response": lambda: Response({"made": True}, headers={"X-Made": "yes"}),
        "response-subclass": lambda: _OwnResponse({"own": True}),
        "headers-not-a-dict": lambda: Response("x", headers=[("X-A", "b")]),  # type: ignore[arg-type]
        "nan": lambda: float("nan"),
        "unencodable": lambda: object(),
        "decimal": lambda: {"price": decimal.Decimal("1.50")},
    }

    @app.route("/values/{kind}")
    def value(kind: str) -> Any:
        return values[kind]()

    @app.route("/raises/{kind}")
    def raises(kind: str) -> Any:
        if kind == "view-error":
            raise NotFoundError("no such order")
        if kind == "unhandled":
            raise ChaliceUnhandledError("bad")
        raise RuntimeError("broken")

    @app.route("/cors", cors=True)
    def with_cors() -> dict[str, str]:
        return {"cors": "on"}

    return app


SHORTCUT_PATHS = [
    *(f"/values/{kind}" for kind in (
        "dict", "list", "number", "none", "text", "unicode", "utf8-bytes", "raw-bytes",
        "response", "response-subclass", "headers-not-a-dict", "nan", "unencodable", "decimal",
    )),
    "/raises/view-error", "/raises/unhandled", "/raises/other", "/cors",
]  # fmt: skip


def _general_answer(app: Chalice, event: dict[str, Any]) -> dict[str, Any]:
    """The answer of the same app with a pass-through middleware: the pipeline then makes
    every answer a Response, rendered and written by the general writer (no shortcut)."""
    reference = _shortcut_app(app.debug)
    reference.api.binary_types[:] = app.api.binary_types

    @reference.middleware("http")
    def pass_through(event: Any, get_response: Callable[[Any], Any]) -> Any:
        return get_response(event)

    return reference(event, Context())


def _rest_event(path: str, **headers: str) -> dict[str, Any]:
    resource, params = path, None
    if path.count("/") == 2 and not path.startswith("/cors"):
        resource = path.rsplit("/", 1)[0] + "/{kind}"
        params = {"kind": path.rsplit("/", 1)[1]}
    return rest("GET", path, headers or None, resource=resource, path_params=params)


@pytest.mark.parametrize("path", SHORTCUT_PATHS)
@pytest.mark.parametrize("debug", [False, True])
def test_rest_shortcut_answers_as_the_general_writer(path: str, debug: bool) -> None:
    app = _shortcut_app(debug)
    answer = app(_rest_event(path), Context())
    expected = _general_answer(app, _rest_event(path))
    if debug and answer["statusCode"] == 500 and "Traceback" in answer["body"]:
        # A debug trace names the lines it passed through: compare all but the trace.
        assert answer["body"].startswith("Traceback") and expected["body"].startswith("Traceback")
        answer, expected = {**answer, "body": ""}, {**expected, "body": ""}
    assert list(answer.items()) == list(expected.items())


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_rest_shortcut_yields_to_binary_json(accept: str | None) -> None:
    # With application/json a binary type, a REST API answers JSON base64-encoded, or 400
    # without an Accept header that asks for it: the general writer's answers.
    app = _shortcut_app()
    app.api.binary_types.append("application/json")
    headers = {"Accept": accept} if accept else {}
    answer = app(_rest_event("/values/dict", **headers), Context())
    assert list(answer.items()) == list(
        _general_answer(app, _rest_event("/values/dict", **headers)).items()
    )
    assert answer["statusCode"] == (400 if accept is None else 200)
    assert answer["isBase64Encoded"] is True  # the 400's own JSON body is binary too


def test_rest_shortcut_yields_to_middleware_and_cors() -> None:
    app = _shortcut_app()
    plain = app(_rest_event("/values/dict"), Context())
    assert plain["headers"] == {} and plain["multiValueHeaders"] == {}
    cors = app(_rest_event("/cors"), Context())
    assert cors["headers"]["Access-Control-Allow-Origin"] == "*"

    @app.middleware("http")
    def tag(event: Any, get_response: Callable[[Any], Any]) -> Any:
        response = get_response(event)
        response.headers["X-Tagged"] = "1"
        return response

    tagged = app(_rest_event("/values/dict"), Context())
    assert tagged["headers"] == {"X-Tagged": "1"}
    assert json.loads(tagged["body"]) == json.loads(plain["body"])


@pytest.mark.parametrize("binary_types", [["*/*"], ["application/json"], ["application/*"]])
@pytest.mark.parametrize("with_middleware", [False, True])
def test_405_and_415_are_not_refused_as_binary(
    binary_types: list[str], with_middleware: bool
) -> None:
    # API Gateway's own 405/415 answers come before the view: the binary types (the view's
    # media types) do not turn them into a 400 for a missing Accept header.
    app = Chalice(app_name="early", configure_logs=False)
    app.api.binary_types = binary_types
    if with_middleware:
        app.register_middleware(lambda event, get_response: get_response(event), "http")

    @app.route("/items", methods=["POST"])
    def create() -> dict[str, int]:
        return {"ok": 1}

    wrong_method = app(rest("GET", "/items", resource="/items"), Context())
    assert wrong_method["statusCode"] == 405
    assert wrong_method["headers"].get("Allow") == "POST"
    text = rest("POST", "/items", {"Content-Type": "text/plain"}, "x", resource="/items")
    assert app(text, Context())["statusCode"] == 415
