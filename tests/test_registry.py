"""Blueprints: routes and middleware recorded now, registered onto an app later."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from chalicelike import (
    Blueprint,
    Chalice,
    NotRegisteredError,
    RegistrationError,
    UnknownArgumentError,
    ViewSignatureWarning,
)
from chalicelike._core._middleware import EventType
from chalicelike._registry import join_url
from chalicelike.test import Client


@pytest.fixture
def app() -> Chalice:
    return Chalice(app_name=f"bp-{uuid.uuid4().hex[:8]}", configure_logs=False)


def test_routes_are_registered_only_with_the_blueprint(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.route("/items/{item_id}", methods=["GET", "DELETE"])
    def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    assert app.routes == {}
    app.register_blueprint(bp)
    assert set(app.routes) == {"/items/{item_id}"}
    assert set(app.routes["/items/{item_id}"]) == {"GET", "DELETE"}
    entry = app.routes["/items/{item_id}"]["GET"]
    assert entry.view_name == "item"
    assert entry.view_function is item
    with Client(app) as client:
        assert client.http.get("/items/3").json_body == {"id": "3"}


def test_blueprint_route_returns_the_view_unchanged() -> None:
    bp = Blueprint(__name__)

    def view() -> None: ...

    assert bp.route("/x")(view) is view


def test_url_prefix_is_prepended(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.route("/")
    def root() -> str:
        return "root"

    @bp.route("/{user_id}")
    def user(user_id: str) -> str:
        return f"user {user_id}"

    app.register_blueprint(bp, url_prefix="/users")
    assert set(app.routes) == {"/users", "/users/{user_id}"}
    with Client(app) as client:
        assert client.http.get("/users").body == b"root"
        assert client.http.get("/users/7").body == b"user 7"
        assert client.http.get("/").status_code == 403


def test_url_prefix_with_trailing_slash_is_joined_once(app: Chalice) -> None:
    bp = Blueprint(__name__)
    bp.route("/list")(lambda: "ok")
    app.register_blueprint(bp, url_prefix="/api/")
    assert set(app.routes) == {"/api/list"}


def test_url_prefix_may_hold_path_params(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.route("/", methods=["GET"])
    def list_reviews(isbn: str) -> dict[str, str]:
        return {"isbn": isbn, "what": "list"}

    @bp.route("/{review_id}")
    def get_review(isbn: str, review_id: str) -> dict[str, str]:
        return {"isbn": isbn, "review": review_id}

    app.register_blueprint(bp, url_prefix="/books/{isbn}/reviews")
    assert set(app.routes) == {"/books/{isbn}/reviews", "/books/{isbn}/reviews/{review_id}"}
    assert app.routes["/books/{isbn}/reviews/{review_id}"]["GET"].view_args == [
        "isbn",
        "review_id",
    ]
    with Client(app) as client:
        assert client.http.get("/books/978-0/reviews").json_body == {
            "isbn": "978-0",
            "what": "list",
        }
        assert client.http.get("/books/978-0/reviews/r1").json_body == {
            "isbn": "978-0",
            "review": "r1",
        }


def test_prefix_params_the_view_cannot_take_warn_at_registration(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.route("/")
    def list_reviews() -> None: ...

    with pytest.warns(ViewSignatureWarning, match=r"'list_reviews' for route '/books/\{isbn\}'"):
        app.register_blueprint(bp, url_prefix="/books/{isbn}")


def test_name_prefix_is_prepended_to_view_names(app: Chalice) -> None:
    bp = Blueprint(__name__)
    bp.route("/a")(lambda: "a")

    @bp.route("/b", name="custom")
    def b() -> None: ...

    @bp.route("/c")
    def c() -> None: ...

    app.register_blueprint(bp, name_prefix="shop_")
    assert app.routes["/a"]["GET"].view_name == "shop_<lambda>"
    assert app.routes["/b"]["GET"].view_name == "shop_custom"
    assert app.routes["/c"]["GET"].view_name == "shop_c"


def test_blueprint_state_before_registration_is_a_clear_error() -> None:
    bp = Blueprint("chalicelib.reviews")
    for attribute in ("current_request", "lambda_context", "log", "current_app"):
        with pytest.raises(NotRegisteredError) as caught:
            getattr(bp, attribute)
        assert isinstance(caught.value, RuntimeError)
        assert str(caught.value) == (
            "Blueprint 'chalicelib.reviews' has no app yet: call app.register_blueprint(...) "
            "before using current_app, current_request, lambda_context or log"
        )


def test_blueprint_state_after_registration_is_the_apps(app: Chalice) -> None:
    bp = Blueprint(__name__)
    seen: dict[str, Any] = {}

    @bp.route("/who/{name}")
    def who(name: str) -> dict[str, object]:
        seen["request"] = bp.current_request
        seen["context"] = bp.lambda_context
        return {"name": name, "uri": bp.current_request.uri_params}

    app.register_blueprint(bp)
    assert bp.current_app is app
    assert bp.log is app.log
    assert isinstance(bp.log, logging.Logger)
    assert bp.current_request is None  # no request is being served
    with Client(app) as client:
        body = client.http.get("/who/ann").json_body
    assert body == {"name": "ann", "uri": {"name": "ann"}}
    assert seen["request"].path == "/who/{name}"
    assert seen["context"].function_name == "api_handler"  # as in Chalice's test client


def test_blueprint_middleware_applies_to_the_whole_app(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.middleware("http")
    def tag(event: object, get_response):
        response = get_response(event)
        response.headers["X-From-Blueprint"] = "yes"
        return response

    bp.route("/bp")(lambda: "bp")
    assert not app.middleware_stack.wraps(EventType.HTTP)  # recorded, not yet registered

    @app.route("/app")
    def own() -> str:
        return "app"

    app.register_blueprint(bp)
    with Client(app) as client:
        assert client.http.get("/app").headers["x-from-blueprint"] == "yes"
        assert client.http.get("/bp").headers["x-from-blueprint"] == "yes"


def test_blueprint_register_middleware_method(app: Chalice) -> None:
    bp = Blueprint(__name__)
    calls: list[str] = []

    def count(event, get_response):
        calls.append(event.path)
        return get_response(event)

    bp.register_middleware(count, "all")
    app.register_blueprint(bp)
    app.route("/x")(lambda: "x")
    with Client(app) as client:
        client.http.get("/x")
    assert calls == ["/x"]


def test_same_blueprint_under_two_prefixes(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.route("/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"id": item_id, "path": bp.current_request.path}

    app.register_blueprint(bp, url_prefix="/v1/items", name_prefix="v1_")
    app.register_blueprint(bp, url_prefix="/v2/items", name_prefix="v2_")
    assert app.routes["/v1/items/{item_id}"]["GET"].view_name == "v1_item"
    assert app.routes["/v2/items/{item_id}"]["GET"].view_name == "v2_item"
    with Client(app) as client:
        assert client.http.get("/v1/items/1").json_body == {
            "id": "1",
            "path": "/v1/items/{item_id}",
        }
        assert client.http.get("/v2/items/2").json_body == {
            "id": "2",
            "path": "/v2/items/{item_id}",
        }


def test_same_blueprint_twice_under_one_prefix_is_a_duplicate(app: Chalice) -> None:
    bp = Blueprint(__name__)
    bp.route("/x")(lambda: "x")
    app.register_blueprint(bp)
    with pytest.raises(RegistrationError, match="Duplicate method: 'GET'"):
        app.register_blueprint(bp)


@pytest.mark.parametrize("url_prefix", ["api", "", 3])
def test_bad_url_prefix_is_rejected(app: Chalice, url_prefix: object) -> None:
    bp = Blueprint(__name__)
    bp.route("/x")(lambda: "x")
    if url_prefix == "":
        # An empty prefix means "no prefix", as in Chalice.
        app.register_blueprint(bp, url_prefix="")
        assert set(app.routes) == {"/x"}
        return
    with pytest.raises(RegistrationError) as caught:
        app.register_blueprint(bp, url_prefix=url_prefix)  # type: ignore[arg-type]
    assert str(caught.value) == f"url_prefix must start with '/': {url_prefix!r}"
    assert app.routes == {}


def test_register_blueprint_needs_a_blueprint(app: Chalice) -> None:
    with pytest.raises(RegistrationError, match="register_blueprint expects a Blueprint"):
        app.register_blueprint(object())  # type: ignore[arg-type]


def test_blueprint_rejects_unknown_route_arguments_at_decoration() -> None:
    bp = Blueprint(__name__)
    with pytest.raises(UnknownArgumentError, match="unexpected keyword arguments: verbs"):
        bp.route("/x", verbs=["GET"])


def test_blueprint_rejects_a_path_without_slash_at_decoration() -> None:
    bp = Blueprint(__name__)
    with pytest.raises(RegistrationError, match=r"must be a string starting with '/': 'x'"):
        bp.route("x")(lambda: None)


def test_blueprint_route_options_reach_the_app(app: Chalice) -> None:
    bp = Blueprint(__name__)

    @bp.route("/upload", methods=["PUT"], content_types=["application/octet-stream"])
    def upload() -> None: ...

    app.register_blueprint(bp, url_prefix="/files")
    entry = app.routes["/files/upload"]["PUT"]
    assert entry.content_types == ["application/octet-stream"]
    assert entry.method == "PUT"


@pytest.mark.parametrize(
    ("prefix", "path", "joined"),
    [
        ("", "/a", "/a"),
        ("/api", "/", "/api"),
        ("/api/", "/", "/api"),
        ("/", "/", "/"),
        ("/", "/a", "/a"),
        ("/api", "/a/{b}", "/api/a/{b}"),
    ],
)
def test_join_url(prefix: str, path: str, joined: str) -> None:
    assert join_url(prefix, path) == joined


def test_a_view_without_a_name_needs_name_argument() -> None:
    import functools

    def view(greeting: str) -> dict[str, str]:
        return {"greeting": greeting}

    blueprint = Blueprint(__name__)
    blueprint.route("/hi")(functools.partial(view, "hi"))
    app = Chalice(app_name="partial-view", configure_logs=False)
    with pytest.raises(RegistrationError, match=r"'/hi'.*has no __name__.*pass name="):
        app.register_blueprint(blueprint)

    named = Blueprint(__name__)
    named.route("/hi", name="hello")(functools.partial(view, "hi"))
    app.register_blueprint(named, name_prefix="bp_")
    assert app.routes["/hi"]["GET"].view_name == "bp_hello"


LAMBDA_BLUEPRINT_APP = """
from chalicelike import Chalice
from chalicelib.bp import bp

app = Chalice(app_name="shop")


@app.middleware("all")
def tag(event, get_response):
    print("middleware saw", type(event).__name__)
    return get_response(event)


{register}
"""

LAMBDA_BLUEPRINT = """
from chalicelike import Blueprint

bp = Blueprint(__name__)


@bp.on_sns_message(topic="orders")
def on_order(event):
    return "order " + event.message
"""

CALL_AS_LAMBDA = """
import chalicelib.bp as module  # Lambda imports the handler's module only: chalicelib.bp.on_order
from chalicelike._core._lambda_context import LambdaContext
from chalicelike._tooling._test_events import TestEventsClient

event = TestEventsClient().generate_sns_event("42", topic="orders")
print(module.on_order(event, LambdaContext("shop-dev-on_order")))
"""


@pytest.mark.slow
@pytest.mark.parametrize("registered", [True, False])
def test_a_blueprint_event_handler_runs_as_lambda_imports_it(
    tmp_path: Path, registered: bool
) -> None:
    # Chalice's handler string for a blueprint function is its own module's: on Lambda the
    # blueprint is unregistered until app.py is imported, which the first call does.
    import subprocess
    import sys

    (tmp_path / "chalicelib").mkdir()
    (tmp_path / "chalicelib" / "__init__.py").write_text("")
    (tmp_path / "chalicelib" / "bp.py").write_text(LAMBDA_BLUEPRINT)
    register = "app.register_blueprint(bp)" if registered else ""
    (tmp_path / "app.py").write_text(LAMBDA_BLUEPRINT_APP.format(register=register))
    env = {**os.environ, "LAMBDA_TASK_ROOT": str(tmp_path), "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", CALL_AS_LAMBDA],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if registered:
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["middleware saw SNSEvent", "order 42"]
    else:
        assert done.returncode == 1
        assert (
            "NotRegisteredError: 'on_order' belongs to blueprint 'chalicelib.bp', which is not "
            "registered to app.py yet: call app.register_blueprint(...) in app.py"
        ) in done.stderr
