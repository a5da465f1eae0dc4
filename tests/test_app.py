"""The app object: its attributes, its registration errors, and per-request state."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request

from chalicelike import (
    APIGateway,
    Chalice,
    RegistrationError,
    UnknownArgumentError,
    ViewSignatureWarning,
)
from chalicelike._core._lambda_context import LambdaContext
from chalicelike.test import Client
from tests import lambda_events
from tests.servers import serve

# The list Chalice 1.34 starts `app.api.binary_types` with.
CHALICE_BINARY_TYPES = [
    "application/octet-stream",
    "application/x-tar",
    "application/zip",
    "audio/basic",
    "audio/ogg",
    "audio/mp4",
    "audio/mpeg",
    "audio/wav",
    "audio/webm",
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "video/ogg",
    "video/mpeg",
    "video/webm",
]


def unique_name() -> str:
    """A fresh app (and logger) name, so tests never share a logger's state."""
    return f"app-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def app() -> Chalice:
    return Chalice(app_name=unique_name(), configure_logs=False)


# -- constructor and attributes ------------------------------------------------------------


def test_log_is_named_after_the_app_and_logs_errors_only() -> None:
    name = unique_name()
    app = Chalice(app_name=name)
    assert app.app_name == name
    assert app.log is logging.getLogger(name)
    assert app.log.level == logging.ERROR
    assert app.log.propagate is False
    stdout_handlers = [
        h
        for h in app.log.handlers
        if isinstance(h, logging.StreamHandler) and h.stream is sys.stdout
    ]
    assert len(stdout_handlers) == 1
    assert stdout_handlers[0].formatter is not None
    assert stdout_handlers[0].formatter._fmt == "%(name)s - %(levelname)s - %(message)s"


def test_log_lines_have_chalices_format(capsys: pytest.CaptureFixture[str]) -> None:
    name = unique_name()
    app = Chalice(app_name=name)
    app.log.error("disk full")
    app.log.info("not shown at ERROR level")
    assert capsys.readouterr().out == f"{name} - ERROR - disk full\n"


def test_debug_logs_at_debug_level() -> None:
    app = Chalice(app_name=unique_name(), debug=True)
    assert app.debug is True
    assert app.log.level == logging.DEBUG


def test_debug_setter_changes_the_log_level() -> None:
    app = Chalice(app_name=unique_name())
    app.debug = True
    assert app.debug is True
    assert app.log.level == logging.DEBUG
    app.debug = False
    assert app.log.level == logging.ERROR


def test_a_second_app_with_the_same_name_gets_its_own_level() -> None:
    name = unique_name()
    quiet = Chalice(app_name=name)
    assert quiet.log.level == logging.ERROR
    loud = Chalice(app_name=name, debug=True)
    assert loud.log.level == logging.DEBUG
    assert len(loud.log.handlers) == 1  # the stdout handler is not added twice


def test_configure_logs_false_leaves_logging_alone() -> None:
    name = unique_name()
    app = Chalice(app_name=name, debug=True, configure_logs=False)
    assert app.log.handlers == []
    assert app.log.level == logging.NOTSET
    assert app.log.propagate is True
    app.debug = False
    assert app.log.level == logging.NOTSET


def test_env_defaults_to_os_environ_and_can_be_given() -> None:
    import os

    assert Chalice(app_name=unique_name(), configure_logs=False).env is os.environ
    env = {"TABLE": "books"}
    assert Chalice(app_name=unique_name(), configure_logs=False, env=env).env is env


def test_binary_types_default_to_chalices_list(app: Chalice) -> None:
    assert isinstance(app.api, APIGateway)
    assert app.api.binary_types == CHALICE_BINARY_TYPES
    assert app.api.default_binary_types == CHALICE_BINARY_TYPES


def test_binary_types_are_per_app(app: Chalice) -> None:
    other = Chalice(app_name=unique_name(), configure_logs=False)
    app.api.binary_types.append("application/pdf")
    assert "application/pdf" not in other.api.binary_types
    assert "application/pdf" not in app.api.default_binary_types


@pytest.mark.parametrize("name", ["", None, 42])
def test_app_name_must_be_a_non_empty_string(name: object) -> None:
    with pytest.raises(RegistrationError, match="app_name must be a non-empty string"):
        Chalice(app_name=name)  # type: ignore[arg-type]


def test_routes_are_kept_by_path_then_method(app: Chalice) -> None:
    @app.route("/books/{isbn}", methods=["GET", "put"], content_types=["application/json"])
    def book(isbn: str) -> dict[str, str]:
        return {"isbn": isbn}

    @app.route("/", name="home")
    def index() -> dict[str, str]:
        return {}

    assert set(app.routes) == {"/books/{isbn}", "/"}
    assert set(app.routes["/books/{isbn}"]) == {"GET", "PUT"}
    entry = app.routes["/books/{isbn}"]["PUT"]
    assert entry.view_name == "book"
    assert entry.view_function is book
    assert entry.uri_pattern == "/books/{isbn}"
    assert entry.method == "PUT"
    assert entry.content_types == ["application/json"]
    assert entry.view_args == ["isbn"]
    home = app.routes["/"]["GET"]
    assert home.view_name == "home"
    assert home.content_types == ["application/json"]
    assert home.view_args == []


def test_route_returns_the_view_unchanged(app: Chalice) -> None:
    def view() -> str:
        return "x"

    assert app.route("/x")(view) is view


def test_app_is_not_a_lambda_handler_yet(app: Chalice) -> None:
    with pytest.raises(TypeError, match=r"it got no context"):
        app({})


# -- registration errors: raised where the decorator is, saying what to fix ---------------


def test_bad_route_path_is_rejected_at_decoration(app: Chalice) -> None:
    with pytest.raises(RegistrationError, match=r"must start with '/': 'books'"):

        @app.route("books")
        def books() -> None: ...

    with pytest.raises(RegistrationError, match="trailing slash"):

        @app.route("/books/")
        def books2() -> None: ...

    assert app.routes == {}


def test_unknown_route_argument_is_a_type_error(app: Chalice) -> None:
    with pytest.raises(UnknownArgumentError) as caught:
        app.route("/x", method=["GET"], api_key=True)
    assert isinstance(caught.value, TypeError)
    message = str(caught.value)
    assert "unexpected keyword arguments: api_key, method" in message
    assert "methods" in message.split("accepts", 1)[1]


def test_methods_as_a_plain_string_is_rejected(app: Chalice) -> None:
    with pytest.raises(RegistrationError) as caught:

        @app.route("/x", methods="GET")
        def view() -> None: ...

    assert str(caught.value) == (
        "In view 'view', methods must be a non-empty list such as ['GET', 'POST'], not 'GET'"
    )


def test_empty_methods_are_rejected(app: Chalice) -> None:
    with pytest.raises(RegistrationError, match="methods must be a non-empty list"):
        app.route("/x", methods=[])(lambda: None)


def test_unknown_method_is_rejected_with_the_allowed_ones(app: Chalice) -> None:
    with pytest.raises(RegistrationError) as caught:

        @app.route("/x", methods=["GET", "FETCH"])
        def view() -> None: ...

    assert str(caught.value) == (
        "In view 'view', 'FETCH' is not an HTTP method; use one of "
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    )
    assert app.routes == {}


def test_method_listed_twice_is_rejected(app: Chalice) -> None:
    with pytest.raises(RegistrationError, match="method 'GET' is listed twice"):
        app.route("/x", methods=["GET", "get"])(lambda: None)


def test_content_types_as_a_string_is_rejected(app: Chalice) -> None:
    with pytest.raises(RegistrationError) as caught:

        @app.route("/x", methods=["POST"], content_types="application/json")
        def view() -> None: ...

    message = str(caught.value)
    assert message.startswith('In view function "view", the content_types value must be a list')
    assert "not str: 'application/json'" in message


def test_duplicate_path_and_method_is_rejected(app: Chalice) -> None:
    @app.route("/orders", methods=["GET", "POST"])
    def orders() -> None: ...

    with pytest.raises(RegistrationError) as caught:

        @app.route("/orders", methods=["POST"])
        def create_order() -> None: ...

    message = str(caught.value)
    assert "Duplicate method: 'POST'" in message
    assert "'orders'" in message
    assert "'create_order'" in message
    assert app.routes["/orders"]["POST"].view_name == "orders"


def test_view_that_cannot_take_the_path_params_is_warned_about(app: Chalice) -> None:
    # Warned, not refused: Chalice serves the app and fails only requests to this view.
    with pytest.warns(ViewSignatureWarning) as caught:

        @app.route("/users/{user_id}/orders/{order_id}")
        def get_order(user_id: str) -> None: ...

    message = str(caught[0].message)
    assert message.startswith(
        "View 'get_order' for route '/users/{user_id}/orders/{order_id}' is called with "
        "user_id, order_id"
    )
    assert "get_order(user_id: 'str')" in message or "get_order(user_id: str)" in message
    assert list(app.routes) == ["/users/{user_id}/orders/{order_id}"]


def test_view_with_extra_required_args_is_warned_about(app: Chalice) -> None:
    with pytest.warns(ViewSignatureWarning, match="is called with no arguments"):

        @app.route("/ping")
        def ping(unused): ...  # with a hint it would be a query parameter (a contract)


def test_view_taking_kwargs_accepts_any_params(app: Chalice) -> None:
    @app.route("/a/{x}/{y}")
    def view(**params: str) -> dict[str, str]:
        return params

    with Client(app) as client:
        assert client.http.get("/a/1/2").json_body == {"x": "1", "y": "2"}


# -- per-request state ---------------------------------------------------------------------


def echo_app() -> Chalice:
    """A sync view that sleeps, then answers what current_request says it is serving."""
    app = Chalice(app_name=unique_name(), configure_logs=False)

    @app.route("/echo/{n}")
    def echo(n: str) -> dict[str, object]:
        before = app.current_request
        time.sleep(0.02)  # let other requests start while this one is in flight
        request = app.current_request
        assert request is before
        return {
            "n": n,
            "uri": request.uri_params["n"],
            "q": request.query_params["q"],
            "path": request.path,
        }

    return app


def expected_echo(i: int) -> dict[str, object]:
    return {"n": str(i), "uri": str(i), "q": f"q{i}", "path": "/echo/{n}"}


def test_current_request_is_per_request_over_real_http() -> None:
    app = echo_app()
    with serve(app) as base_url:

        def ask(i: int) -> tuple[int, object]:
            answer = requests.get(f"{base_url}/echo/{i}?q=q{i}", timeout=10)
            return answer.status_code, answer.json()

        with ThreadPoolExecutor(max_workers=25) as pool:
            answers = list(pool.map(ask, range(50)))
    assert answers == [(200, expected_echo(i)) for i in range(50)]
    assert app.current_request is None  # nothing leaks into the caller's context


def test_current_request_is_per_request_through_the_test_client() -> None:
    app = echo_app()
    with Client(app) as client:

        def ask(i: int) -> tuple[int, object]:
            answer = client.http.get(f"/echo/{i}?q=q{i}")
            return answer.status_code, answer.json_body

        with ThreadPoolExecutor(max_workers=25) as pool:
            answers = list(pool.map(ask, range(50)))
    assert answers == [(200, expected_echo(i)) for i in range(50)]
    # Once answered, the last request stays on the app, as in Chalice's client.
    assert app.current_request is not None and app.current_request.path == "/echo/{n}"


def test_current_request_is_per_request_in_async_views_over_real_http() -> None:
    import asyncio

    app = Chalice(app_name=unique_name(), configure_logs=False)

    @app.route("/echo/{n}")
    async def echo(n: str) -> dict[str, object]:
        await asyncio.sleep(0.02)
        request = app.current_request
        return {"n": n, "uri": request.uri_params["n"], "q": request.query_params["q"]}

    with serve(app) as base_url:

        def ask(i: int) -> object:
            return requests.get(f"{base_url}/echo/{i}?q=q{i}", timeout=10).json()

        with ThreadPoolExecutor(max_workers=25) as pool:
            answers = list(pool.map(ask, range(50)))
    assert answers == [{"n": str(i), "uri": str(i), "q": f"q{i}"} for i in range(50)]


def test_current_request_can_be_set_and_is_none_outside_a_request(app: Chalice) -> None:
    assert app.current_request is None
    assert app.lambda_context is None


def test_test_client_gives_views_a_lambda_context(app: Chalice) -> None:
    seen: list[object] = []

    @app.route("/ctx")
    def ctx() -> dict[str, object]:
        context = app.lambda_context
        seen.append(context)
        assert app.current_request.lambda_context is context
        return {
            "function_name": context.function_name,
            "remaining": context.get_remaining_time_in_millis(),
        }

    with Client(app, stage_name="prod") as client:
        body = client.http.get("/ctx").json_body
    assert isinstance(seen[0], LambdaContext)
    assert body["function_name"] == "api_handler"  # as in Chalice's client
    assert isinstance(body["remaining"], int)
    assert 0 < body["remaining"] <= 60_000
    assert app.lambda_context is seen[0]  # the last request's, as in Chalice's client


def test_current_request_is_per_request_in_async_views_through_the_test_client() -> None:
    import asyncio

    app = Chalice(app_name=unique_name(), configure_logs=False)

    @app.route("/echo/{n}")
    async def echo(n: str) -> dict[str, object]:
        await asyncio.sleep(0.01)
        request = app.current_request
        return {"n": n, "uri": request.uri_params["n"], "q": request.query_params["q"]}

    with Client(app) as client:

        def ask(i: int) -> object:
            return client.http.get(f"/echo/{i}?q=q{i}").json_body

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(ask, range(30)))
    assert answers == [{"n": str(i), "uri": str(i), "q": f"q{i}"} for i in range(30)]


def test_add_route_is_all_or_nothing_across_methods() -> None:
    app = Chalice(app_name="atomic", configure_logs=False)
    app.add_route("/x", lambda: {}, methods=["POST"], name="first")
    with pytest.raises(RegistrationError, match="Duplicate method: 'POST'"):
        app.add_route("/x", lambda: {}, methods=["GET", "POST"], name="second")
    assert list(app.routes["/x"]) == ["POST"]


def test_add_route_rejects_unknown_keywords_like_the_decorator() -> None:
    app = Chalice(app_name="unknown-kw", configure_logs=False)
    with pytest.raises(
        UnknownArgumentError, match="add_route\\(\\) got unexpected keyword arguments: method"
    ):
        app.add_route("/x", lambda: {}, method="GET")


def test_methods_must_be_strings() -> None:
    app = Chalice(app_name="method-types", configure_logs=False)
    with pytest.raises(RegistrationError, match="is not an HTTP method"):
        app.add_route("/x", lambda: {}, methods=[["GET"]])  # type: ignore[list-item]  # on purpose


# -- mounting an ASGI app ------------------------------------------------------------------


def make_mounted_api(events: list[str] | None = None) -> Any:
    # FastAPI resolves the (string) annotations in this module's globals: imports live there.
    @asynccontextmanager
    async def lifespan(api: FastAPI) -> Any:
        if events is not None:
            events.append("startup")
        yield
        if events is not None:
            events.append("shutdown")

    api = FastAPI(lifespan=lifespan)

    @api.get("/items/{item_id}")
    def item(item_id: str, request: Request) -> dict[str, Any]:
        return {
            "item": item_id,
            "root_path": request.scope["root_path"],
            "url": str(request.url_for("item", item_id=item_id)),
        }

    return api


def make_app_with_mount(events: list[str] | None = None) -> Chalice:
    app = Chalice(app_name="mounts", configure_logs=False)

    @app.route("/api/health")
    def health() -> dict[str, str]:
        return {"from": "chalicelike"}

    @app.route("/orders")
    def orders() -> dict[str, str]:
        return {"from": "orders"}

    app.mount("/api", make_mounted_api(events))
    return app


def test_mounted_app_serves_its_prefix_beside_the_routes(front_door: Any) -> None:
    app = make_app_with_mount()
    with front_door(app) as http:
        item = http("GET", "/api/items/7")
        assert item.status_code == 200
        assert item.json_body["item"] == "7"
        assert item.json_body["root_path"] == "/api"
        assert item.json_body["url"].endswith("/api/items/7")
        assert http("GET", "/api/health").json_body == {"from": "chalicelike"}  # routes first
        assert http("GET", "/orders").json_body == {"from": "orders"}
        assert http("GET", "/api/nothing").status_code == 404  # FastAPI's own answer
        assert http("GET", "/apiary").status_code == 403  # a prefix is whole segments


def test_mounted_app_lifespan_runs_under_uvicorn() -> None:
    from tests.servers import serve

    events: list[str] = []
    with serve(make_app_with_mount(events)) as base_url:
        assert requests.get(base_url + "/api/items/1", timeout=5).status_code == 200
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("api", "must start with '/'"),
        ("/", "must start with '/' and not be '/'"),
        ("/api/", "without a trailing slash"),
        ("/api/{id}", "without a trailing slash or parameters"),
    ],
)
def test_bad_mount_paths_are_named(path: str, message: str) -> None:
    app = Chalice(app_name="bad-mount", configure_logs=False)
    with pytest.raises(RegistrationError, match=re.escape(message)):
        app.mount(path, make_mounted_api())


def test_mount_needs_an_app_and_a_free_path() -> None:
    app = Chalice(app_name="mount-twice", configure_logs=False)
    with pytest.raises(RegistrationError, match="needs an ASGI application"):
        app.mount("/api", "nope")  # type: ignore[arg-type]  # on purpose
    app.mount("/api", make_mounted_api())
    with pytest.raises(RegistrationError, match="already mounted at '/api'"):
        app.mount("/api", make_mounted_api())
    app.mount("/api/v2", make_mounted_api())
    assert [prefix for prefix, _ in app.mounts] == ["/api/v2", "/api"]  # longest first
    assert app.mounted_app("/api/v2/items/1")[0] == "/api/v2"
    assert app.mounted_app("/api/items/1")[0] == "/api"
    assert app.mounted_app("/other") is None


@pytest.mark.parametrize("source", sorted(lambda_events.BUILDERS))
def test_mounted_app_on_every_lambda_front_door(source: str) -> None:
    app = make_app_with_mount()
    build = lambda_events.BUILDERS[source]
    status, _headers, body = lambda_events.read_answer(
        app(build("GET", "/api/items/7"), lambda_events.Context())
    )
    assert status == 200
    answer = json.loads(body)
    assert answer["item"] == "7"
    stage = "/dev" if source == "rest" else ""
    assert answer["root_path"] == f"{stage}/api"
    assert answer["url"].endswith(f"{stage}/api/items/7")
    routed = lambda_events.read_answer(app(build("GET", "/orders"), lambda_events.Context()))
    assert json.loads(routed[2]) == {"from": "orders"}


def test_a_lambda_context_set_by_hand_stays_in_its_scope(app: Chalice) -> None:
    # Chalice overwrites app.lambda_context on every invoke: one set by hand (a unit test of
    # a helper, say) or inside a view never reaches a later request's view.
    class Fake:
        aws_request_id = "set-by-hand"

    seen: list[str] = []

    @app.route("/rid")
    def rid() -> dict[str, str]:
        seen.append(app.lambda_context.aws_request_id)
        app.lambda_context = Fake()  # this request's own, from here on
        seen.append(app.lambda_context.aws_request_id)
        return {}

    app.lambda_context = Fake()
    assert app.lambda_context.aws_request_id == "set-by-hand"
    for request_id in ("first", "second"):
        context = lambda_events.Context()
        context.aws_request_id = request_id
        app(lambda_events.rest("GET", "/rid"), context)
    assert seen == ["first", "set-by-hand", "second", "set-by-hand"]
    assert app.lambda_context.aws_request_id == "second"  # the last call's, as Chalice
