"""Tests for _core/_cors.py: CORSConfig, the headers routes add, and the automatic preflight."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelike import Chalice, CORSConfig, NotFoundError, RegistrationError, Response
from chalicelike._core._cors import cors_options, preflight_headers, resolve_cors

REQUIRED_ALLOW_HEADERS = "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key"


def cors_lines(header_list: list[tuple[str, str]]) -> dict[str, str]:
    """The Access-Control-* and Vary lines of an answer, by lower-case name."""
    return {
        name.lower(): value
        for name, value in header_list
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    }


# -- CORSConfig --------------------------------------------------------------------------


def test_default_config_headers() -> None:
    assert CORSConfig().get_access_control_headers() == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": REQUIRED_ALLOW_HEADERS,
    }


def test_allow_headers_are_merged_with_the_required_ones_and_sorted() -> None:
    config = CORSConfig(allow_headers=["X-Special-Header", "Content-Type"])
    assert config.allow_headers == (
        "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key,X-Special-Header"
    )


def test_all_options() -> None:
    config = CORSConfig(
        allow_origin="https://app.example.com",
        allow_headers=["X-Special-Header"],
        expose_headers=["X-Request-Id", "X-Total-Count"],
        max_age=600,
        allow_credentials=True,
    )
    assert config.get_access_control_headers() == {
        "Access-Control-Allow-Origin": "https://app.example.com",
        "Access-Control-Allow-Headers": REQUIRED_ALLOW_HEADERS + ",X-Special-Header",
        "Access-Control-Expose-Headers": "X-Request-Id,X-Total-Count",
        "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Credentials": "true",
    }


def test_max_age_zero_is_sent_and_credentials_false_is_not() -> None:
    headers = CORSConfig(max_age=0, allow_credentials=False).get_access_control_headers()
    assert headers["Access-Control-Max-Age"] == "0"
    assert "Access-Control-Allow-Credentials" not in headers


def test_origin_list_echoes_a_listed_origin() -> None:
    config = CORSConfig(allow_origin=["https://a.example", "https://b.example"])
    headers = config.get_access_control_headers("https://b.example")
    assert headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://a.example.evil", None])
def test_origin_list_omits_allow_origin_for_other_origins(origin: str | None) -> None:
    config = CORSConfig(allow_origin=["https://a.example"])
    headers = config.get_access_control_headers(origin)
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["Vary"] == "Origin"


def test_single_origin_is_sent_whatever_the_request_origin() -> None:
    headers = CORSConfig(allow_origin="https://a.example").get_access_control_headers("https://x")
    assert headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "Vary" not in headers


def test_configs_compare_by_their_settings() -> None:
    assert CORSConfig() == CORSConfig()
    assert CORSConfig(allow_headers=["X-A"]) == CORSConfig(allow_headers=["X-A", "Content-Type"])
    assert CORSConfig(max_age=10) != CORSConfig(max_age=20)
    assert CORSConfig(allow_origin="https://a") != CORSConfig()
    assert CORSConfig(allow_origin=["https://a"]) != CORSConfig(allow_origin=["https://b"])
    assert CORSConfig() != "*"


def test_resolve_cors() -> None:
    config = CORSConfig(max_age=5)
    assert resolve_cors(config, False) is config
    assert resolve_cors(True, False) == CORSConfig()
    assert resolve_cors(False, True) is None
    assert resolve_cors(None, False) is None
    assert resolve_cors(None, True) == CORSConfig()
    assert resolve_cors(None, config) is config


def test_resolve_cors_rejects_other_values() -> None:
    with pytest.raises(RegistrationError) as info:
        resolve_cors("yes", False)
    assert str(info.value) == "cors must be True, False or a CORSConfig, not 'yes'"


def test_route_with_a_bad_cors_value_is_refused() -> None:
    app = Chalice(app_name="cors-bad-value", configure_logs=False)
    with pytest.raises(RegistrationError, match="cors must be True, False or a CORSConfig"):
        app.route("/", cors="*")(lambda: None)


def test_api_cors_rejects_a_bad_value() -> None:
    app = Chalice(app_name="cors-bad-api-value", configure_logs=False)
    with pytest.raises(RegistrationError):
        app.api.cors = "*"  # type: ignore[assignment]
    assert app.api.cors is False


def test_preflight_headers_list_the_cors_enabled_methods() -> None:
    config = CORSConfig(max_age=60)
    headers = preflight_headers({"GET": config, "DELETE": None, "PUT": config}, None)
    assert headers == {
        **config.get_access_control_headers(),
        "Access-Control-Allow-Methods": "GET,PUT,OPTIONS",
    }


def test_preflight_headers_without_cors() -> None:
    assert preflight_headers({"GET": None}, "https://a") == {
        "Access-Control-Allow-Methods": "OPTIONS"
    }


def test_views_on_one_path_with_different_configs_are_refused() -> None:
    app = Chalice(app_name="cors-conflict", configure_logs=False)

    @app.route("/items", methods=["GET"], cors=CORSConfig(max_age=10))
    def list_items() -> None: ...

    with pytest.raises(RegistrationError) as info:

        @app.route("/items", methods=["POST"], cors=CORSConfig(max_age=20))
        def create_item() -> None: ...

    assert str(info.value).startswith(
        "Views on '/items' ('list_items', 'create_item') have different CORS configurations"
    )
    assert sorted(app.routes["/items"]) == ["GET"]


def test_views_on_one_path_may_share_a_config_or_opt_out() -> None:
    app = Chalice(app_name="cors-shared", configure_logs=False)

    @app.route("/items", methods=["GET"], cors=CORSConfig(max_age=10))
    def list_items() -> None: ...

    @app.route("/items", methods=["POST"], cors=CORSConfig(max_age=10))
    def create_item() -> None: ...

    @app.route("/items", methods=["DELETE"], cors=False)
    def clear_items() -> None: ...

    assert sorted(app.routes["/items"]) == ["DELETE", "GET", "POST"]


# -- through both front doors -------------------------------------------------------------


def test_cors_true_adds_the_default_headers(front_door: Any) -> None:
    app = Chalice(app_name="cors-true", configure_logs=False)

    @app.route("/open", cors=True)
    def open_view() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/closed")
    def closed() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/missing", cors=True)
    def missing() -> None:
        raise NotFoundError("gone")

    @app.route("/own", cors=True)
    def own() -> Response:
        return Response("x", headers={"Access-Control-Allow-Origin": "https://mine.example"})

    with front_door(app) as http:
        answer = http("GET", "/open")
        assert answer.status_code == 200
        assert cors_lines(answer.header_list) == {
            "access-control-allow-origin": "*",
            "access-control-allow-headers": REQUIRED_ALLOW_HEADERS,
        }
        assert cors_lines(http("GET", "/closed").header_list) == {}
        answer = http("GET", "/missing")
        assert answer.status_code == 404
        assert answer.headers["access-control-allow-origin"] == "*"
        answer = http("GET", "/own")
        assert cors_lines(answer.header_list)["access-control-allow-origin"] == (
            "https://mine.example"
        )


def test_cors_config_options_reach_the_client(front_door: Any) -> None:
    app = Chalice(app_name="cors-options", configure_logs=False)
    config = CORSConfig(
        allow_origin="https://app.example.com",
        allow_headers=["X-Special-Header"],
        expose_headers=["X-Request-Id"],
        max_age=600,
        allow_credentials=True,
    )

    @app.route("/items", methods=["GET", "PUT"], cors=config)
    def items() -> dict[str, bool]:
        return {"ok": True}

    expected = {
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-headers": REQUIRED_ALLOW_HEADERS + ",X-Special-Header",
        "access-control-expose-headers": "X-Request-Id",
        "access-control-max-age": "600",
        "access-control-allow-credentials": "true",
    }
    with front_door(app) as http:
        answer = http("PUT", "/items", headers={"Origin": "https://app.example.com"})
        assert answer.status_code == 200
        assert cors_lines(answer.header_list) == expected

        preflight = http(
            "OPTIONS",
            "/items",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "PUT",
            },
        )
        assert preflight.status_code == 200
        assert preflight.body == b""
        assert cors_lines(preflight.header_list) == {
            **expected,
            "access-control-allow-methods": "GET,PUT,OPTIONS",
        }


def test_preflight_lists_only_cors_enabled_methods(front_door: Any) -> None:
    app = Chalice(app_name="cors-preflight", configure_logs=False)

    @app.route("/things/{thing_id}", methods=["GET", "POST"], cors=True)
    def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @app.route("/things/{thing_id}", methods=["DELETE"])
    def delete_thing(thing_id: str) -> None: ...

    with front_door(app) as http:
        answer = http("OPTIONS", "/things/9")
        assert answer.status_code == 200
        assert answer.body == b""
        assert cors_lines(answer.header_list) == {
            "access-control-allow-origin": "*",
            "access-control-allow-headers": REQUIRED_ALLOW_HEADERS,
            "access-control-allow-methods": "GET,POST,OPTIONS",
        }
        assert http("OPTIONS", "/nowhere").status_code == 403


def test_user_defined_options_route_wins(front_door: Any) -> None:
    app = Chalice(app_name="cors-own-options", configure_logs=False)

    @app.route("/items", methods=["GET"], cors=True)
    def items() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/items", methods=["OPTIONS"])
    def items_options() -> Response:
        return Response("mine", headers={"Allow": "GET", "Content-Type": "text/plain"})

    with front_door(app) as http:
        answer = http("OPTIONS", "/items")
        assert (answer.status_code, answer.body) == (200, b"mine")
        assert answer.headers["allow"] == "GET"
        assert "access-control-allow-methods" not in answer.headers


def test_api_cors_applies_to_routes_declared_before_it(front_door: Any) -> None:
    app = Chalice(app_name="cors-api-late", configure_logs=False)

    @app.route("/default")
    def default() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/opted-out", cors=False)
    def opted_out() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/own", cors=CORSConfig(allow_origin="https://own.example"))
    def own() -> dict[str, bool]:
        return {"ok": True}

    app.api.cors = CORSConfig(allow_origin="https://api.example", max_age=30)

    @app.route("/later")
    def later() -> dict[str, bool]:
        return {"ok": True}

    with front_door(app) as http:
        for path in ("/default", "/later"):
            headers = http("GET", path).headers
            assert (path, headers.get("access-control-allow-origin")) == (
                path,
                "https://api.example",
            )
            assert headers["access-control-max-age"] == "30"
        assert cors_lines(http("GET", "/opted-out").header_list) == {}
        own_headers = http("GET", "/own").headers
        assert own_headers["access-control-allow-origin"] == "https://own.example"
        preflight = http("OPTIONS", "/default")
        assert preflight.headers["access-control-allow-methods"] == "GET,OPTIONS"
        assert preflight.headers["access-control-allow-origin"] == "https://api.example"


def test_api_cors_true_then_false(front_door: Any) -> None:
    app = Chalice(app_name="cors-api-toggle", configure_logs=False)

    @app.route("/a")
    def a() -> dict[str, bool]:
        return {"ok": True}

    app.api.cors = True
    assert app.api.cors is True
    app.api.cors = False

    with front_door(app) as http:
        assert cors_lines(http("GET", "/a").header_list) == {}
        # No CORS on the path: no generated OPTIONS method, so OPTIONS is unrouted.
        unrouted = http("OPTIONS", "/a")
        assert unrouted.status_code == 405
        assert unrouted.headers["allow"] == "GET"


def test_origin_list_through_both_front_doors(front_door: Any) -> None:
    app = Chalice(app_name="cors-origin-list", configure_logs=False)
    config = CORSConfig(allow_origin=["https://a.example", "https://b.example"])

    @app.route("/data", methods=["GET"], cors=config)
    def data() -> dict[str, bool]:
        return {"ok": True}

    with front_door(app) as http:
        answer = http("GET", "/data", headers={"Origin": "https://b.example"})
        lines = cors_lines(answer.header_list)
        assert lines["access-control-allow-origin"] == "https://b.example"
        assert lines["vary"] == "Origin"

        answer = http("GET", "/data", headers={"Origin": "https://evil.example"})
        assert answer.status_code == 200
        lines = cors_lines(answer.header_list)
        assert "access-control-allow-origin" not in lines
        assert lines["vary"] == "Origin"

        preflight = http("OPTIONS", "/data", headers={"Origin": "https://a.example"})
        lines = cors_lines(preflight.header_list)
        assert lines["access-control-allow-origin"] == "https://a.example"
        assert lines["vary"] == "Origin"
        assert lines["access-control-allow-methods"] == "GET,OPTIONS"

        preflight = http("OPTIONS", "/data", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in cors_lines(preflight.header_list)


def test_unsupported_media_type_answer_carries_cors_headers(front_door: Any) -> None:
    app = Chalice(app_name="cors-415", configure_logs=False)

    @app.route("/upload", methods=["POST"], content_types=["application/json"], cors=True)
    def upload() -> dict[str, bool]:
        return {"ok": True}

    with front_door(app) as http:
        answer = http("POST", "/upload", headers={"Content-Type": "text/csv"}, body=b"a,b")
        assert answer.status_code == 415
        assert answer.json_body == {
            "Code": "UnsupportedMediaType",
            "Message": "Unsupported media type: text/csv",
        }
        assert cors_lines(answer.header_list) == {
            "access-control-allow-origin": "*",
            "access-control-allow-headers": REQUIRED_ALLOW_HEADERS,
        }


def test_api_cors_that_would_split_a_path_is_refused_and_changes_nothing() -> None:
    app = Chalice(app_name="cors-api-conflict", configure_logs=False)

    @app.route("/x", methods=["GET"])
    def read() -> dict[str, bool]:
        return {}

    @app.route("/x", methods=["POST"], cors=CORSConfig(allow_origin="https://a.example"))
    def write() -> dict[str, bool]:
        return {}

    with pytest.raises(RegistrationError, match=r"'/x'.*have different CORS configurations"):
        app.api.cors = True
    assert app.api.cors is False
    assert app.routes["/x"]["GET"].cors is None


def test_cors_options_rebuild_the_same_config() -> None:
    # The manifest records a route's CORS through cors_options, not CORSConfig's fields.
    config = CORSConfig(
        allow_origin=["https://a.example"],
        allow_headers=["X-Trace"],
        expose_headers=["X-Id"],
        max_age=60,
        allow_credentials=True,
    )
    options = cors_options(config)
    assert options["allow_headers"] == [
        "Authorization",
        "Content-Type",
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "X-Api-Key",
        "X-Trace",
    ]
    assert CORSConfig(**options) == config  # type: ignore[arg-type]
