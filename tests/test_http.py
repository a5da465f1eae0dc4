"""The HTTP pipeline, run through both front doors: the test client and uvicorn."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import parse_qs

import pytest

from chalicelike import (
    BadRequestError,
    Chalice,
    ChaliceViewError,
    ConflictError,
    Response,
)

JSON = {"Content-Type": "application/json"}
# Bytes that are not UTF-8, so any text decoding on the way would show.
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x80"


def make_app(**kwargs: Any) -> Chalice:
    return Chalice(app_name=f"http-{uuid.uuid4().hex[:8]}", configure_logs=False, **kwargs)


def lower_header_lines(answer: Any, name: str) -> list[str]:
    return [value for key, value in answer.header_list if key.lower() == name]


# -- routing --------------------------------------------------------------------------------


def test_path_params(front_door) -> None:
    app = make_app()

    @app.route("/users/{user_id}/posts/{post_id}")
    def post(user_id: str, post_id: str) -> dict[str, Any]:
        request = app.current_request
        return {"args": [user_id, post_id], "uri": request.uri_params, "path": request.path}

    with front_door(app) as http:
        answer = http("GET", "/users/ann/posts/12")
        assert answer.status_code == 200
        assert answer.json_body == {
            "args": ["ann", "12"],
            "uri": {"user_id": "ann", "post_id": "12"},
            "path": "/users/{user_id}/posts/{post_id}",
        }
        encoded = http("GET", "/users/a%20b%2Fc/posts/1")
        assert encoded.json_body["args"] == ["a b/c", "1"]
        assert http("GET", "/users/ann/posts/12/").json_body["args"] == ["ann", "12"]


def test_greedy_path(front_door) -> None:
    app = make_app()

    @app.route("/files/{proxy+}")
    def files(proxy: str) -> dict[str, str]:
        return {"proxy": proxy}

    @app.route("/files/readme")
    def readme() -> str:
        return "literal wins"

    with front_door(app) as http:
        assert http("GET", "/files/a/b/c.txt").json_body == {"proxy": "a/b/c.txt"}
        assert http("GET", "/files/one").json_body == {"proxy": "one"}
        assert http("GET", "/files/readme").body == b"literal wins"
        assert http("GET", "/files").status_code == 403


def test_multi_value_query(front_door) -> None:
    app = make_app()

    @app.route("/search")
    def search() -> dict[str, Any]:
        query = app.current_request.query_params
        if query is None:
            return {"query": None}
        return {
            "tags": query.getlist("tag"),
            "tag": query["tag"],
            "empty": query.get("empty"),
            "text": query.get("text"),
        }

    with front_door(app) as http:
        answer = http("GET", "/search?tag=a&tag=b&empty=&text=hello%20world%26more")
        assert answer.json_body == {
            "tags": ["a", "b"],
            "tag": "b",
            "empty": "",
            "text": "hello world&more",
        }
        assert http("GET", "/search").json_body == {"query": None}


def test_unknown_path_is_api_gateways_403(front_door) -> None:
    app = make_app()
    app.route("/known", methods=["GET", "POST"])(lambda: "ok")
    with front_door(app) as http:
        for method, path in [("GET", "/unknown"), ("POST", "/known/more"), ("DELETE", "/")]:
            answer = http(method, path)
            assert answer.status_code == 403
            assert answer.json_body == {"message": "Missing Authentication Token"}
            # What API Gateway sends with it (Chalice's local server names one too).
            assert answer.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_unrouted_method_is_405_with_allow(front_door) -> None:
    app = make_app()
    app.route("/things", methods=["GET", "POST"])(lambda: "ok")
    app.route("/things", methods=["PUT"])(lambda: "ok")
    with front_door(app) as http:
        answer = http("DELETE", "/things")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST, PUT"
    assert answer.json_body == {
        "Code": "MethodNotAllowedError",
        "Message": "Unsupported method: DELETE",
    }


# -- request bodies and content types --------------------------------------------------------


def test_json_body(front_door) -> None:
    app = make_app()

    @app.route("/echo", methods=["POST"])
    def echo() -> dict[str, Any]:
        request = app.current_request
        return {"json": request.json_body, "raw": request.raw_body.decode()}

    with front_door(app) as http:
        body = json.dumps({"name": "Zoë", "n": [1, 2]})
        answer = http("POST", "/echo", headers=JSON, body=body)
        assert answer.status_code == 200
        assert answer.json_body == {"json": {"name": "Zoë", "n": [1, 2]}, "raw": body}
        with_charset = {"Content-Type": "application/json; charset=utf-8"}
        answer = http("POST", "/echo", headers=with_charset, body=b'{"a": 1}')
        assert answer.status_code == 200
        assert answer.json_body == {"json": {"a": 1}, "raw": '{"a": 1}'}


def test_bad_json_is_a_400(front_door) -> None:
    app = make_app()

    @app.route("/echo", methods=["POST"])
    def echo() -> Any:
        return app.current_request.json_body

    with front_door(app) as http:
        for body in (b"{not json", b"\xff\xfe"):
            answer = http("POST", "/echo", headers=JSON, body=body)
            assert answer.status_code == 400
            assert answer.json_body == {"Code": "BadRequestError", "Message": "Error Parsing JSON"}


def test_form_body(front_door) -> None:
    app = make_app()

    @app.route("/form", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
    def form() -> dict[str, Any]:
        request = app.current_request
        fields = parse_qs(request.raw_body.decode("utf-8"))
        return {"fields": fields, "json": request.json_body}

    with front_door(app) as http:
        answer = http(
            "POST",
            "/form",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body="name=Ann+Lee&tag=a&tag=b&note=caf%C3%A9",
        )
        assert answer.status_code == 200
        assert answer.json_body == {
            "fields": {"name": ["Ann Lee"], "tag": ["a", "b"], "note": ["café"]},
            "json": None,
        }
        rejected = http("POST", "/form", headers=JSON, body="{}")
        assert rejected.status_code == 415


def test_binary_in_and_out(front_door) -> None:
    app = make_app()

    @app.route("/image", methods=["PUT"], content_types=["application/octet-stream"])
    def image() -> Response:
        raw = app.current_request.raw_body
        assert isinstance(raw, bytes)
        return Response(raw[::-1], headers={"Content-Type": "image/png"})

    with front_door(app) as http:
        answer = http(
            "PUT",
            "/image",
            headers={"Content-Type": "application/octet-stream", "Accept": "image/png"},
            body=PNG_BYTES,
        )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.body == PNG_BYTES[::-1]


def test_unaccepted_content_type_is_a_415(front_door) -> None:
    app = make_app()
    app.route("/json", methods=["POST"])(lambda: "ok")
    with front_door(app) as http:
        answer = http("POST", "/json", headers={"Content-Type": "text/plain"}, body="hi")
        assert answer.status_code == 415
        assert answer.json_body == {
            "Code": "UnsupportedMediaType",
            "Message": "Unsupported media type: text/plain",
        }
        with_params = {"Content-Type": "text/csv; charset=utf-8"}
        answer = http("POST", "/json", headers=with_params, body="a,b")
        assert answer.json_body["Message"] == "Unsupported media type: text/csv; charset=utf-8"
        # No Content-Type counts as application/json, as in Chalice.
        assert http("POST", "/json", body="").status_code == 200
        # Media types compare without regard to case.
        upper = {"Content-Type": "Application/JSON"}
        assert http("POST", "/json", headers=upper, body="{}").status_code == 200


def test_any_content_type_with_star(front_door) -> None:
    app = make_app()

    @app.route("/anything", methods=["POST"], content_types=["*/*"])
    def anything() -> dict[str, str]:
        request = app.current_request
        return {"type": request.headers["content-type"], "body": request.raw_body.decode()}

    with front_door(app) as http:
        for content_type in ("text/csv", "application/xml", "image/svg+xml; charset=utf-8"):
            answer = http("POST", "/anything", headers={"Content-Type": content_type}, body="x")
            assert answer.status_code == 200
            assert answer.json_body == {"type": content_type, "body": "x"}


# -- views: sync and async, and what they return -----------------------------------------------


def test_async_and_sync_views_side_by_side(front_door) -> None:
    app = make_app()

    @app.route("/sync/{n}")
    def sync_view(n: str) -> dict[str, str]:
        return {"kind": "sync", "n": n}

    @app.route("/async/{n}")
    async def async_view(n: str) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        request = app.current_request
        return {"kind": "async", "n": n, "q": request.query_params["q"]}

    @app.route("/async-response", methods=["POST"])
    async def async_response() -> Response:
        await asyncio.sleep(0)
        body = app.current_request.json_body
        return Response(body, status_code=201, headers={"X-Async": "yes"})

    with front_door(app) as http:
        assert http("GET", "/sync/1").json_body == {"kind": "sync", "n": "1"}
        assert http("GET", "/async/2?q=z").json_body == {"kind": "async", "n": "2", "q": "z"}
        created = http("POST", "/async-response", headers=JSON, body='{"a": 1}')
        assert created.status_code == 201
        assert created.headers["x-async"] == "yes"
        assert created.json_body == {"a": 1}
        assert http("GET", "/sync/3").json_body == {"kind": "sync", "n": "3"}


def test_async_view_raising_a_view_error(front_door) -> None:
    app = make_app()

    @app.route("/conflict")
    async def conflict() -> None:
        await asyncio.sleep(0)
        raise ConflictError("Order 7 was already paid")

    @app.route("/bad")
    async def bad() -> None:
        raise BadRequestError("Missing field: name")

    @app.route("/base")
    async def base() -> None:
        raise ChaliceViewError("upstream failed")

    with front_door(app) as http:
        answer = http("GET", "/conflict")
        assert answer.status_code == 409
        assert answer.json_body == {"Code": "ConflictError", "Message": "Order 7 was already paid"}
        answer = http("GET", "/bad")
        assert answer.status_code == 400
        assert answer.json_body == {"Code": "BadRequestError", "Message": "Missing field: name"}
        answer = http("GET", "/base")
        assert answer.status_code == 500
        assert answer.json_body == {"Code": "ChaliceViewError", "Message": "upstream failed"}


def test_view_exception_is_a_500(front_door) -> None:
    app = make_app()

    @app.route("/sync")
    def sync_view() -> None:
        raise ValueError("bad state")

    @app.route("/async")
    async def async_view() -> None:
        raise ValueError("bad state")

    internal = {"Code": "InternalServerError", "Message": "An internal server error occurred."}
    with front_door(app) as http:
        for path in ("/sync", "/async"):
            answer = http("GET", path)
            assert answer.status_code == 500
            assert answer.json_body == internal


def test_view_exception_in_debug_shows_the_traceback(front_door) -> None:
    app = make_app(debug=True)

    @app.route("/sync")
    def sync_view() -> None:
        raise ValueError("bad state")

    @app.route("/async")
    async def async_view() -> None:
        raise ValueError("bad async state")

    with front_door(app) as http:
        sync_answer = http("GET", "/sync")
        async_answer = http("GET", "/async")
    for answer, message in ((sync_answer, b"bad state"), (async_answer, b"bad async state")):
        assert answer.status_code == 500
        assert answer.headers["content-type"] == "text/plain"
        assert answer.body.startswith(b"Traceback (most recent call last):")
        assert answer.body.rstrip().endswith(b"ValueError: " + message)


def test_head_route(front_door) -> None:
    app = make_app()

    @app.route("/report", methods=["HEAD"])
    def report_head() -> Response:
        return Response("", headers={"X-Rows": "12"})

    @app.route("/report", methods=["GET"])
    def report() -> str:
        return "rows"

    with front_door(app) as http:
        head = http("HEAD", "/report")
        assert head.status_code == 200
        assert head.headers["x-rows"] == "12"
        assert head.body == b""
        assert http("GET", "/report").body == b"rows"


def wire_header(answer: Any, name: str) -> str | None:
    """A header as the client gets it on the wire (the test client's `headers` are Chalice's:
    without the Content-Type API Gateway adds to an answer that names none)."""
    for line_name, value in answer.header_list:
        if line_name.lower() == name:
            return str(value)
    return None


@pytest.mark.parametrize(
    ("result", "body"),
    [
        (None, b"null"),
        ([1, "two", {"three": 3}], b'[1,"two",{"three":3}]'),
        ("plain text", b"plain text"),
        ({"nested": {"ok": True}}, b'{"nested":{"ok":true}}'),
    ],
)
def test_view_return_values(front_door, result: Any, body: bytes) -> None:
    app = make_app()
    app.route("/")(lambda: result)
    with front_door(app) as http:
        answer = http("GET", "/")
    assert answer.status_code == 200
    assert answer.body == body
    assert wire_header(answer, "content-type") == "application/json"


def test_response_with_status_and_headers(front_door) -> None:
    app = make_app()

    @app.route("/orders", methods=["POST"])
    def create() -> Response:
        return Response(
            body={"id": "o-1"},
            headers={"Location": "/orders/o-1", "X-Trace": "abc"},
            status_code=201,
        )

    @app.route("/text")
    def text() -> Response:
        return Response("<p>hi</p>", headers={"Content-Type": "text/html; charset=utf-8"})

    @app.route("/empty", methods=["DELETE"])
    def empty() -> Response:
        return Response(body="", status_code=204)

    with front_door(app) as http:
        created = http("POST", "/orders", headers=JSON, body="{}")
        assert created.status_code == 201
        assert created.json_body == {"id": "o-1"}
        assert created.headers["location"] == "/orders/o-1"
        assert created.headers["X-TRACE"] == "abc"
        assert wire_header(created, "content-type") == "application/json"
        html = http("GET", "/text")
        assert html.headers["content-type"] == "text/html; charset=utf-8"
        assert html.body == b"<p>hi</p>"
        deleted = http("DELETE", "/empty")
        assert deleted.status_code == 204
        assert deleted.body == b""


def test_list_valued_headers_are_sent_as_separate_lines(front_door) -> None:
    app = make_app()

    @app.route("/login", methods=["POST"])
    def login() -> Response:
        return Response(
            {"ok": True},
            headers={"Set-Cookie": ["session=abc; HttpOnly", "theme=dark"], "X-One": "1"},
        )

    with front_door(app) as http:
        answer = http("POST", "/login", headers=JSON, body="{}")
    assert answer.status_code == 200
    assert lower_header_lines(answer, "set-cookie") == ["session=abc; HttpOnly", "theme=dark"]
    assert lower_header_lines(answer, "x-one") == ["1"]


def test_request_headers_reach_the_view(front_door) -> None:
    app = make_app()

    @app.route("/headers")
    def headers() -> dict[str, Any]:
        request = app.current_request
        return {
            "token": request.headers["X-Token"],
            "lower": request.headers["x-token"],
            "method": request.method,
        }

    with front_door(app) as http:
        answer = http("GET", "/headers", headers={"X-Token": "t-1"})
    assert answer.json_body == {"token": "t-1", "lower": "t-1", "method": "GET"}


def test_unsendable_response_is_a_500(front_door) -> None:
    app = make_app()

    @app.route("/bad-header")
    def bad_header() -> Response:
        return Response("x", headers={"X-Bad": "a\r\nInjected: yes"})

    @app.route("/bad-body")
    def bad_body() -> object:
        return {"when": object()}

    @app.route("/bad-async")
    async def bad_async() -> Response:
        return Response("x", status_code=1000)

    internal = {"Code": "InternalServerError", "Message": "An internal server error occurred."}
    with front_door(app) as http:
        for path in ("/bad-header", "/bad-body", "/bad-async"):
            answer = http("GET", path)
            assert answer.status_code == 500
            assert answer.json_body == internal
            assert "injected" not in answer.headers


def test_non_ascii_path_and_query(front_door) -> None:
    app = make_app()

    @app.route("/cities/{name}")
    def city(name: str) -> dict[str, Any]:
        request = app.current_request
        query = request.query_params
        return {"name": name, "q": query.getlist("q") if query is not None else []}

    with front_door(app) as http:
        answer = http("GET", "/cities/K\u00f8benhavn?q=\u65e5\u672c&q=a%20b&q=c+d")
        encoded = http("GET", "/cities/%E6%9D%B1%E4%BA%AC")
    assert answer.status_code == 200
    assert answer.json_body == {"name": "K\u00f8benhavn", "q": ["\u65e5\u672c", "a b", "c d"]}
    assert encoded.json_body == {"name": "\u6771\u4eac", "q": []}


def test_json_body_with_upper_case_media_type(front_door) -> None:
    app = make_app()

    @app.route("/echo", methods=["POST"])
    def echo() -> Any:
        return {"json": app.current_request.json_body}

    with front_door(app) as http:
        # Media types are case-insensitive (RFC 9110 8.3.1); the 415 check agrees.
        answer = http("POST", "/echo", headers={"Content-Type": "Application/JSON"}, body="[1]")
    assert answer.status_code == 200
    assert answer.json_body == {"json": [1]}


def test_content_type_is_checked_without_a_body(front_door) -> None:
    # As Chalice does: an unlisted Content-Type is a 415 even on a GET with no body, and a
    # route that takes no JSON refuses a request naming no type (counted as JSON).
    app = make_app()
    app.route("/json")(lambda: "ok")
    app.route("/csv", content_types=["text/csv"])(lambda: "ok")
    with front_door(app) as http:
        assert http("GET", "/json", headers={"Content-Type": "text/plain"}).status_code == 415
        assert http("GET", "/json").status_code == 200
        assert http("GET", "/csv").json_body == {
            "Code": "UnsupportedMediaType",
            "Message": "Unsupported media type: application/json",
        }
        assert http("GET", "/csv", headers={"Content-Type": "text/csv"}).status_code == 200
