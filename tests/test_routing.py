"""Tests for _core/_routing.py: path patterns, the route table and view signatures."""

from __future__ import annotations

import time
from typing import Any

import pytest

from chalicelike import Chalice, RegistrationError, ViewSignatureWarning
from chalicelike._core._routing import (
    Match,
    RouteEntry,
    RouteTable,
    Segment,
    SegmentKind,
    check_view_signature,
    parse_path,
)


def view(**kwargs: Any) -> dict[str, Any]:
    return kwargs


def table_of(*routes: str | tuple[str, str]) -> RouteTable:
    """A table with a GET route for each path, or (path, method) for another method."""
    table = RouteTable()
    for route in routes:
        path, method = (route, "GET") if isinstance(route, str) else route
        table.add(RouteEntry(view, f"view_{len(table.routes)}", path, method))
    return table


# -- parse_path ------------------------------------------------------------------------


def test_parse_path_root_has_no_segments() -> None:
    assert parse_path("/") == ()


def test_parse_path_splits_literals_params_and_greedy() -> None:
    assert parse_path("/users/{user_id}/files/{path+}") == (
        Segment(SegmentKind.LITERAL, "users"),
        Segment(SegmentKind.PARAM, "user_id"),
        Segment(SegmentKind.LITERAL, "files"),
        Segment(SegmentKind.GREEDY, "path"),
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("users", "Route path must start with '/': 'users'"),
        ("", "Route path must start with '/': ''"),
        ("/users/", "Route path cannot end with a trailing slash: '/users/'"),
        ("/users//{id}", "Route path has an empty segment ('//'): '/users//{id}'"),
        ("/files/{id}.json", "Path segment '{id}.json' in '/files/{id}.json' mixes text and"),
        ("/files/x{id}", "Path segment 'x{id}' in '/files/x{id}' mixes text and a parameter"),
        ("/files/{id", "Path segment '{id' in '/files/{id' mixes text and a parameter"),
        ("/{proxy+}/end", "Greedy parameter {proxy+} must be the last segment of '/{proxy+}/end'"),
        ("/a/{id}/b/{id}", "Route path '/a/{id}/b/{id}' uses the parameter {id} twice"),
        ("/a/{id}/{id+}", "Route path '/a/{id}/{id+}' uses the parameter {id} twice"),
        (
            "/a/{user-id}",
            "Path parameter '{user-id}' in '/a/{user-id}' must be a Python identifier",
        ),
        ("/a/{1st}", "Path parameter '{1st}' in '/a/{1st}' must be a Python identifier"),
        ("/a/{}", "Path parameter '{}' in '/a/{}' must be a Python identifier"),
        ("/a/{+}", "Path parameter '{+}' in '/a/{+}' must be a Python identifier"),
        ("/a?b=1", "Route path cannot contain a query or fragment: '/a?b=1'"),
        ("/a#top", "Route path cannot contain a query or fragment: '/a#top'"),
    ],
)
def test_parse_path_rejects_bad_paths_with_a_clear_message(path: str, message: str) -> None:
    with pytest.raises(RegistrationError) as info:
        parse_path(path)
    assert str(info.value).startswith(message)


def test_parse_path_trailing_slash_message_says_what_to_register() -> None:
    with pytest.raises(RegistrationError, match=r"register '/a'"):
        parse_path("/users/")


def test_parse_path_rejects_a_non_string() -> None:
    with pytest.raises(RegistrationError, match=r"Route path must be a string, not bytes: b'/a'"):
        parse_path(b"/a")


def test_bad_path_is_rejected_by_the_route_decorator() -> None:
    app = Chalice(app_name="routing-bad-path", configure_logs=False)
    with pytest.raises(RegistrationError, match="mixes text and a parameter"):

        @app.route("/files/{name}.json")
        def get_file(name: str) -> None: ...

    assert app.routes == {}


# -- RouteTable.match ------------------------------------------------------------------


def test_static_path_matches_fully_with_no_params() -> None:
    table = table_of("/", "/users")
    found = table.match("GET", "/users")
    assert found.kind is Match.FULL
    assert found.resource == "/users"
    assert found.entry is table.routes["/users"]["GET"]
    assert found.params == {}
    root = table.match("GET", "/")
    assert (root.kind, root.resource) == (Match.FULL, "/")


def test_param_captures_one_segment() -> None:
    table = table_of("/users/{user_id}")
    found = table.match("GET", "/users/42")
    assert (found.kind, found.resource, found.params) == (
        Match.FULL,
        "/users/{user_id}",
        {"user_id": "42"},
    )
    assert table.match("GET", "/users/42/more").kind is Match.NONE
    assert table.match("GET", "/users").kind is Match.NONE


def test_literal_beats_param_beats_greedy() -> None:
    table = table_of("/a/{proxy+}", "/a/{x}", "/a/me")
    assert table.match("GET", "/a/me").resource == "/a/me"
    found = table.match("GET", "/a/you")
    assert (found.resource, found.params) == ("/a/{x}", {"x": "you"})
    found = table.match("GET", "/a/you/too")
    assert (found.resource, found.params) == ("/a/{proxy+}", {"proxy": "you/too"})


def test_order_of_registration_does_not_change_precedence() -> None:
    table = table_of("/a/me", "/a/{x}", "/a/{proxy+}")
    assert table.match("GET", "/a/me").resource == "/a/me"
    assert table.match("GET", "/a/you").resource == "/a/{x}"
    assert table.match("GET", "/a/you/too").resource == "/a/{proxy+}"


def test_match_backtracks_from_a_literal_to_a_param() -> None:
    table = table_of("/a/b/c", "/a/{x}/d")
    found = table.match("GET", "/a/b/d")
    assert (found.kind, found.resource, found.params) == (Match.FULL, "/a/{x}/d", {"x": "b"})
    found = table.match("GET", "/a/b/c")
    assert (found.resource, found.params) == ("/a/b/c", {})


def test_backtracking_drops_params_of_the_abandoned_branch() -> None:
    table = table_of("/a/{x}/{y}/end", "/a/{x}/fixed/{z}/more")
    found = table.match("GET", "/a/1/fixed/end")
    assert (found.resource, found.params) == ("/a/{x}/{y}/end", {"x": "1", "y": "fixed"})
    found = table.match("GET", "/a/1/fixed/2/more")
    assert (found.resource, found.params) == ("/a/{x}/fixed/{z}/more", {"x": "1", "z": "2"})


def test_greedy_captures_several_segments() -> None:
    table = table_of("/static/{path+}")
    found = table.match("GET", "/static/css/site/main.css")
    assert (found.kind, found.params) == (Match.FULL, {"path": "css/site/main.css"})


def test_greedy_needs_at_least_one_segment() -> None:
    table = table_of("/static/{path+}")
    assert table.match("GET", "/static").kind is Match.NONE
    assert table.match("GET", "/static/").kind is Match.NONE
    assert table.match("GET", "/static/x").params == {"path": "x"}


def test_greedy_at_the_root() -> None:
    table = table_of("/{proxy+}")
    assert table.match("GET", "/any/thing").params == {"proxy": "any/thing"}
    assert table.match("GET", "/").kind is Match.NONE


def test_greedy_does_not_capture_empty_segments() -> None:
    table = table_of("/static/{path+}")
    assert table.match("GET", "/static/a//b").kind is Match.NONE


def test_trailing_slash_matches_like_api_gateway() -> None:
    table = table_of("/a", "/users/{user_id}")
    assert table.match("GET", "/a/").resource == "/a"
    found = table.match("GET", "/users/7/")
    assert (found.resource, found.params) == ("/users/{user_id}", {"user_id": "7"})


def test_empty_segments_never_match() -> None:
    table = table_of("/a/b", "/a/{x}/c")
    assert table.match("GET", "/a//b").kind is Match.NONE
    assert table.match("GET", "//a/b").kind is Match.NONE
    assert table.match("GET", "/a//c").kind is Match.NONE
    assert table.match("GET", "/a/b//").kind is Match.NONE


def test_path_without_leading_slash_does_not_match() -> None:
    table = table_of("/a", "/{x}")
    assert table.match("GET", "a").kind is Match.NONE
    assert table.match("GET", "").kind is Match.NONE


def test_params_are_percent_decoded_after_splitting() -> None:
    table = table_of("/files/{name}", "/raw/{path+}")
    found = table.match("GET", "/files/a%2Fb%20c")
    assert (found.resource, found.params) == ("/files/{name}", {"name": "a/b c"})
    assert table.match("GET", "/files/caf%C3%A9").params == {"name": "café"}
    # A greedy param keeps the real slashes and decodes the encoded ones within segments.
    assert table.match("GET", "/raw/x/a%2Fb").params == {"path": "x/a/b"}


def test_literal_segments_match_after_percent_decoding() -> None:
    table = table_of("/hello world")
    assert table.match("GET", "/hello%20world").resource == "/hello world"


def test_match_kinds_full_partial_none() -> None:
    table = table_of("/items", ("/items", "POST"), "/other")
    full = table.match("POST", "/items")
    assert full.kind is Match.FULL
    assert full.entry is table.routes["/items"]["POST"]
    partial = table.match("DELETE", "/items")
    assert partial.kind is Match.PARTIAL
    assert partial.entry is None
    assert partial.resource == "/items"
    assert partial.methods is not None
    assert sorted(partial.methods) == ["GET", "POST"]
    none = table.match("GET", "/nowhere")
    assert (none.kind, none.resource, none.entry) == (Match.NONE, None, None)


def test_partial_match_keeps_the_params() -> None:
    table = table_of("/items/{item_id}")
    partial = table.match("PUT", "/items/9")
    assert (partial.kind, partial.params) == (Match.PARTIAL, {"item_id": "9"})


def test_match_on_an_empty_table_is_none() -> None:
    assert RouteTable().match("GET", "/").kind is Match.NONE


def test_duplicate_path_and_method_raises() -> None:
    table = RouteTable()
    table.add(RouteEntry(view, "first", "/items", "GET"))
    with pytest.raises(RegistrationError) as info:
        table.add(RouteEntry(view, "second", "/items", "GET"))
    assert str(info.value) == (
        "Duplicate method: 'GET' detected for route: '/items' between view functions "
        "'first' and 'second'. A method may be routed only once for a path."
    )
    assert table.routes["/items"]["GET"].view_name == "first"


def test_same_path_other_method_is_fine() -> None:
    table = table_of("/items", ("/items", "POST"))
    assert sorted(table.routes["/items"]) == ["GET", "POST"]


def test_conflicting_sibling_param_names_raise() -> None:
    table = table_of("/users/{user_id}")
    with pytest.raises(RegistrationError) as info:
        table.add(RouteEntry(view, "other", "/users/{id}/posts", "GET"))
    assert str(info.value).startswith(
        "Route '/users/{id}/posts' names a path parameter {id} where another route "
        "already has {user_id}"
    )


def test_conflicting_sibling_greedy_names_raise() -> None:
    table = table_of("/files/{path+}")
    with pytest.raises(RegistrationError, match=r"\{rest\} where another route already has"):
        table.add(RouteEntry(view, "other", "/files/{rest+}", "POST"))


def test_rejected_route_leaves_the_table_unchanged() -> None:
    table = table_of("/users/{user_id}")
    with pytest.raises(RegistrationError):
        table.add(RouteEntry(view, "other", "/users/{id}", "POST"))
    assert list(table.routes) == ["/users/{user_id}"]
    assert sorted(table.routes["/users/{user_id}"]) == ["GET"]
    assert table.match("POST", "/users/1").kind is Match.PARTIAL


def test_same_param_name_in_sibling_routes_is_fine() -> None:
    table = table_of("/users/{user_id}", "/users/{user_id}/posts")
    assert table.match("GET", "/users/3/posts").params == {"user_id": "3"}


def test_route_entry_records_chalice_attributes() -> None:
    entry = RouteEntry(
        view,
        "get_user",
        "/users/{user_id}/{rest+}",
        "GET",
        api_key_required=True,
        content_types=["application/json", "text/*"],
    )
    assert entry.uri_pattern == "/users/{user_id}/{rest+}"
    assert entry.view_args == ["user_id", "rest"]
    assert entry.method == "GET"
    assert entry.view_name == "get_user"
    assert entry.api_key_required is True
    assert entry.content_types == ["application/json", "text/*"]
    assert entry.is_async is False
    assert repr(entry) == "RouteEntry(GET /users/{user_id}/{rest+} -> get_user)"


def test_route_entry_knows_an_async_view() -> None:
    async def async_view() -> None: ...

    assert RouteEntry(async_view, "async_view", "/", "GET").is_async is True


# -- check_view_signature --------------------------------------------------------------


def test_signature_accepting_the_params_passes() -> None:
    def get_user(user_id: str, rest: str) -> None: ...

    def anything(**kwargs: Any) -> None: ...

    def with_default(user_id: str, rest: str, extra: int = 1) -> None: ...

    for function in (get_user, anything, with_default):
        check_view_signature(function, "/users/{user_id}/{rest+}", function.__name__)


def test_signature_missing_a_param_warns_at_the_views_line() -> None:
    def get_user():
        pass

    with pytest.warns(ViewSignatureWarning) as caught:
        check_view_signature(get_user, "/users/{user_id}", "get_user")
    (warning,) = caught
    assert str(warning.message).startswith(
        "View 'get_user' for route '/users/{user_id}' is called with user_id "
        "(one keyword argument per path parameter) but its signature get_user() "
        "does not accept that"
    )
    assert str(warning.message).endswith("each request to it will be a 500")
    assert (warning.filename, warning.lineno) == (__file__, get_user.__code__.co_firstlineno)


def test_signature_wrongly_named_param_warns() -> None:
    def get_user(id):
        pass

    with pytest.warns(ViewSignatureWarning, match=r"is called with user_id .* get_user\(id\) does"):
        check_view_signature(get_user, "/users/{user_id}", "get_user")


def test_signature_extra_required_argument_warns() -> None:
    def index(request: Any) -> None: ...

    with pytest.warns(ViewSignatureWarning, match=r"is called with no arguments"):
        check_view_signature(index, "/", "index")


def test_signature_positional_only_param_warns() -> None:
    def get_user(user_id: str, /) -> None: ...

    with pytest.warns(ViewSignatureWarning, match=r"View 'get_user' for route '/u/\{user_id\}'"):
        check_view_signature(get_user, "/u/{user_id}", "get_user")


def test_signature_of_a_non_callable_raises() -> None:
    with pytest.raises(RegistrationError, match=r"^View 'thing' for '/' is not callable$"):
        check_view_signature("not a function", "/", "thing")  # type: ignore[arg-type]


def test_signature_that_cannot_be_inspected_is_accepted() -> None:
    check_view_signature(max, "/", "max")  # max has no inspectable signature


def test_a_view_that_cannot_take_its_params_is_a_500_per_request() -> None:
    # Chalice serves the app and answers each request to that view with a logged 500.
    from chalicelike.test import Client

    app = Chalice(app_name="routing-signature", configure_logs=False)
    with pytest.warns(ViewSignatureWarning, match="is called with item_id"):

        @app.route("/items/{item_id}")
        def get_item() -> None: ...

    app.route("/ok")(lambda: {"ok": True})
    with Client(app) as client:
        answer = client.http.get("/items/7")
        assert (answer.status_code, answer.json_body) == (
            500,
            {"Code": "InternalServerError", "Message": "An internal server error occurred."},
        )
        assert client.http.get("/ok").status_code == 200


# -- cost of a match -------------------------------------------------------------------


def _time_matches(table: RouteTable, path: str, count: int) -> float:
    best = float("inf")
    for _ in range(3):  # best of three, to shrug off a busy moment
        match = table.match
        start = time.perf_counter()
        for _ in range(count):
            match("GET", path)
        best = min(best, time.perf_counter() - start)
    return best


def _table_with(route_count: int) -> RouteTable:
    table = RouteTable()
    for i in range(route_count // 2):
        table.add(RouteEntry(view, f"static_{i}", f"/section{i}/items", "GET"))
        table.add(RouteEntry(view, f"param_{i}", f"/section{i}/items/{{item_id}}/parts", "GET"))
    return table


def test_match_cost_does_not_grow_with_route_count() -> None:
    small, large = _table_with(10), _table_with(2000)
    assert (len(small.routes), len(large.routes)) == (10, 2000)
    path = "/section3/items/42/parts"  # walks the tree: a param, not the static shortcut
    assert large.match("GET", path).params == {"item_id": "42"}
    small_time = _time_matches(small, path, 20_000)
    large_time = _time_matches(large, path, 20_000)
    assert large_time / small_time < 3


def test_many_routes_each_match_their_own_view() -> None:
    table = _table_with(600)
    found = table.match("GET", "/section299/items/x/parts")
    assert found.entry is not None
    assert (found.entry.view_name, found.params) == ("param_299", {"item_id": "x"})
    assert table.match("GET", "/section300/items").kind is Match.NONE
