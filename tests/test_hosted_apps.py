"""asgi_handler / wsgi_handler: FastAPI and Flask apps behind every Lambda front door.

Each Mangum 0.22 defect chalicelike mends has a test that shows Mangum's own
behaviour beside ours, so the test fails if either side changes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from flask import Flask
from flask import request as flask_request
from mangum import Mangum

from chalicelike import InvalidEventError, asgi_handler, wsgi_handler
from chalicelike._core._errors import ChaliceError
from tests.lambda_events import BUILDERS, Context, alb, edge, http_api, read_answer, rest

SOURCES = sorted(BUILDERS)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def aws_context() -> Any:
    """What AWS's runtime passes, for Mangum itself: its type wants memory_limit_in_mb as
    an int where the runtime gives a str."""
    return Context()


def make_fastapi(startups: list[int] | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if startups is not None:
            startups.append(1)
        yield {"pool": "ready"}

    api = FastAPI(lifespan=lifespan)

    @api.get("/orders/{order_id}")
    def get_order(order_id: str, tag: list[str] = Query(default=[])) -> dict[str, Any]:  # noqa: B008
        return {"id": order_id, "tags": tag}

    @api.post("/orders")
    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        response = JSONResponse(body, status_code=201)
        response.set_cookie("session", "abc")
        response.set_cookie("theme", "dark")
        return response

    @api.get("/whoami")
    def whoami(request: Request) -> dict[str, Any]:
        return {
            "cookie": request.headers.get("cookie"),
            "root_path": request.scope["root_path"],
            "url": str(request.url_for("whoami")),
            "state": getattr(request.state, "pool", None),
        }

    @api.get("/logo.png")
    def logo() -> Response:
        return Response(PNG, media_type="image/png")

    @api.get("/slash/")
    def slash() -> dict[str, str]:
        return {"route": "with slash"}

    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret")

    return api


def make_flask() -> Flask:
    app = Flask("shop")

    @app.get("/orders/<order_id>")
    def get_order(order_id: str) -> dict[str, Any]:
        return {"id": order_id, "tags": flask_request.args.getlist("tag")}

    @app.post("/orders")
    def create() -> tuple[dict[str, Any], int]:
        return flask_request.get_json(), 201

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return {"script_root": flask_request.script_root, "path": flask_request.path}

    return app


@pytest.fixture(scope="module")
def fastapi_handler() -> Iterator[Any]:
    handler = asgi_handler(make_fastapi())
    yield handler
    handler.close()  # lifespan shutdown, so no task is left pending


@pytest.fixture(scope="module")
def flask_handler() -> Iterator[Any]:
    handler = wsgi_handler(make_flask())
    yield handler
    handler.close()


@contextmanager
def hosting(app: Any, **options: Any) -> Iterator[Any]:
    handler = asgi_handler(app, **options)
    try:
        yield handler
    finally:
        handler.close()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("which", ["fastapi", "flask"])
def test_path_params_and_multi_value_query(source: str, which: str, request: Any) -> None:
    handler = request.getfixturevalue(f"{which}_handler")
    event = BUILDERS[source]("GET", "/orders/42?tag=a&tag=b")
    status, _headers, body = read_answer(handler(event, Context()))
    assert status == 200
    # Without multi-value support an ALB passes one value per key: the last.
    expected = ["b"] if source == "alb" else ["a", "b"]
    assert json.loads(body) == {"id": "42", "tags": expected}


@pytest.mark.parametrize("which", ["fastapi", "flask"])
def test_alb_with_multi_value_keeps_every_value(which: str, request: Any) -> None:
    handler = request.getfixturevalue(f"{which}_handler")
    event = alb("GET", "/orders/42?tag=a&tag=b%20c", multi_value=True)
    _status, _headers, body = read_answer(handler(event, Context()))
    assert json.loads(body) == {"id": "42", "tags": ["a", "b c"]}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("which", ["fastapi", "flask"])
def test_json_body_in_created_out(source: str, which: str, request: Any) -> None:
    handler = request.getfixturevalue(f"{which}_handler")
    event = BUILDERS[source](
        "POST", "/orders", {"Content-Type": "application/json"}, '{"item": "book", "n": 2}'
    )
    status, _headers, body = read_answer(handler(event, Context()))
    assert status == 201
    assert json.loads(body) == {"item": "book", "n": 2}


@pytest.mark.parametrize("source", SOURCES)
def test_set_cookies_all_arrive(source: str, fastapi_handler: Any) -> None:
    event = BUILDERS[source]("POST", "/orders", {"Content-Type": "application/json"}, "{}")
    answer = fastapi_handler(event, Context())
    _status, headers, _body = read_answer(answer)
    cookies = sorted(c.split(";")[0] for c in headers["set-cookie"])
    if source == "alb":  # single-value ALB: one cookie per differently-cased name
        cookies = sorted(
            v.split(";")[0] for k, v in answer["headers"].items() if k.lower() == "set-cookie"
        )
    assert cookies == ["session=abc", "theme=dark"]
    if source in ("http_api", "function_url"):
        assert len(answer["cookies"]) == 2  # payload 2.0 carries Set-Cookie in `cookies`


def test_http_api_cookies_reach_the_app(fastapi_handler: Any) -> None:
    event = http_api("GET", "/whoami", cookies=["a=1", "b=2"])
    _status, _headers, body = read_answer(fastapi_handler(event, Context()))
    assert json.loads(body)["cookie"] == "a=1; b=2"


@pytest.mark.parametrize("source", SOURCES)
def test_binary_download_is_base64(source: str, fastapi_handler: Any) -> None:
    answer = fastapi_handler(BUILDERS[source]("GET", "/logo.png"), Context())
    status, headers, body = read_answer(answer)
    assert (status, headers["content-type"], body) == (200, ["image/png"], PNG)
    if source == "edge":
        assert answer["bodyEncoding"] == "base64"
    else:
        assert answer["isBase64Encoded"] is True


@pytest.mark.parametrize("source", SOURCES)
def test_unknown_path_and_exception_answers(source: str, fastapi_handler: Any) -> None:
    missing = read_answer(fastapi_handler(BUILDERS[source]("GET", "/nope"), Context()))
    assert missing[0] == 404
    crashed = read_answer(fastapi_handler(BUILDERS[source]("GET", "/boom"), Context()))
    assert crashed[0] == 500
    assert b"secret" not in crashed[2]


# -- Mangum 0.22's defects, beside our answers --------------------------------------------


def test_defect_lifespan_ran_on_every_invocation() -> None:
    theirs: list[int] = []
    mangum = Mangum(make_fastapi(theirs), lifespan="auto")
    for _ in range(3):
        mangum(rest("GET", "/orders/1"), aws_context())
    assert len(theirs) == 3  # Mangum: startup on each call

    ours: list[int] = []
    with hosting(make_fastapi(ours)) as handler:
        for _ in range(3):
            handler(rest("GET", "/orders/1"), Context())
        assert len(ours) == 1  # once per cold start
        _status, _headers, body = read_answer(handler(rest("GET", "/whoami"), Context()))
    assert json.loads(body)["state"] == "ready"  # lifespan state reaches requests


def test_defect_http_api_trailing_slash_was_lost() -> None:
    event = http_api("GET", "/slash/")
    theirs = Mangum(make_fastapi(), lifespan="off")(event, aws_context())
    assert theirs["statusCode"] == 307  # Mangum saw '/slash' and FastAPI redirected
    with hosting(make_fastapi()) as handler:
        status, _headers, body = read_answer(handler(event, Context()))
    assert (status, json.loads(body)) == (200, {"route": "with slash"})


@pytest.mark.parametrize(
    ("event", "root"),
    [(rest("GET", "/whoami"), "/dev"), (http_api("GET", "/whoami", stage="prod"), "/prod")],
)
def test_defect_root_path_was_always_empty(event: dict[str, Any], root: str) -> None:
    theirs = Mangum(make_fastapi(), lifespan="off")(event, aws_context())
    if theirs["statusCode"] == 200:
        assert json.loads(theirs["body"])["root_path"] == ""
    with hosting(make_fastapi()) as handler:
        _status, _headers, body = read_answer(handler(event, Context()))
    answer = json.loads(body)
    assert answer["root_path"] == root
    assert answer["url"].endswith(f"{root}/whoami")  # links the app builds keep the stage


@pytest.mark.parametrize(
    "event", [http_api("GET", "/orders/1"), rest("GET", "/orders/1", version="1.0")]
)
def test_defect_exclude_headers_was_ignored(event: dict[str, Any]) -> None:
    theirs = Mangum(make_fastapi(), lifespan="off", exclude_headers=["content-length"])
    assert "content-length" in theirs(event, aws_context())["headers"]
    with hosting(make_fastapi(), exclude_headers=["Content-Length"]) as ours:
        _status, headers, _body = read_answer(ours(event, Context()))
    assert "content-length" not in headers
    assert headers["content-type"] == ["application/json"]


def test_defect_non_http_event_crashed() -> None:
    s3 = {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}}}]}
    with pytest.raises(RuntimeError):
        Mangum(make_fastapi(), lifespan="off")(s3, aws_context())
    with hosting(make_fastapi()) as ours, pytest.raises(InvalidEventError, match="aws:s3"):
        ours(s3, Context())


def test_defect_alb_answer_had_no_status_description() -> None:
    event = alb("GET", "/orders/1")
    theirs = Mangum(make_fastapi(), lifespan="off")(event, aws_context())
    assert "statusDescription" not in theirs
    with hosting(make_fastapi()) as handler:
        ours = handler(event, Context())
        multi = handler(alb("GET", "/nope", multi_value=True), Context())
    assert ours["statusDescription"] == "200 OK"
    assert "headers" in ours and "multiValueHeaders" not in ours
    assert multi["statusDescription"] == "404 Not Found"
    assert "multiValueHeaders" in multi and "headers" not in multi


def test_defect_edge_answer_shape() -> None:
    event = edge("POST", "/orders", {"Content-Type": "application/json"}, "{}")
    theirs = Mangum(make_fastapi(), lifespan="off")(event, aws_context())
    assert theirs["status"] == 201 and "bodyEncoding" not in theirs
    assert len(theirs["headers"]["set-cookie"]) == 1  # one of the two cookies lost
    with hosting(make_fastapi()) as handler:
        ours = handler(event, Context())
    assert ours["status"] == "201"
    assert ours["statusDescription"] == "Created"
    assert ours["bodyEncoding"] == "text"
    assert [c["value"].split(";")[0] for c in ours["headers"]["set-cookie"]] == [
        "session=abc",
        "theme=dark",
    ]


# -- WSGI specifics and bad input -----------------------------------------------------------


def test_flask_sees_the_stage_as_script_root(flask_handler: Any) -> None:
    _status, _headers, body = read_answer(flask_handler(rest("GET", "/whoami"), Context()))
    assert json.loads(body) == {"script_root": "/dev", "path": "/whoami"}


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ChaliceError, match="lifespan must be one of auto, on, off"):
        asgi_handler(make_fastapi(), lifespan="sometimes")
    with pytest.raises(ChaliceError, match="needs an ASGI application"):
        asgi_handler("not an app")
    with pytest.raises(ChaliceError, match="needs a WSGI application"):
        wsgi_handler(42)


def test_wsgi_without_a2wsgi_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "a2wsgi", None)  # as if it were not installed
    with pytest.raises(ChaliceError, match=r"pip install 'chalicelike\[wsgi\]'"):
        wsgi_handler(make_flask())


def test_a_vpc_lattice_event_is_refused_by_name() -> None:
    # Lattice events parse (the app's own views serve them), but Mangum cannot read them:
    # a hosted app must get our clear error, not Mangum's KeyError.
    event = {
        "raw_path": "/items",
        "method": "GET",
        "headers": {},
        "body": "",
        "is_base64_encoded": False,
    }
    with hosting(make_fastapi()) as ours, pytest.raises(InvalidEventError, match="VPC Lattice"):
        ours(event, Context())
