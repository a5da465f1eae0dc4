"""Tests for _core/_response.py: Response, and render (the one check and serialisation)."""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

import pytest

from chalicelike import Chalice, InvalidResponseError, Response
from chalicelike._core._response import (
    RenderedResponse,
    error_response,
    json_text_of,
    media_type_matches,
    render,
    render_body,
)


def test_response_defaults() -> None:
    response = Response({"a": 1})
    assert (response.body, response.headers, response.status_code) == ({"a": 1}, {}, 200)
    assert repr(Response("x", {"A": "b"}, 201)) == "Response(status_code=201, headers={'A': 'b'})"


# -- bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"a": 1, "b": [True, None]}, b'{"a":1,"b":[true,null]}'),
        ([1, "two"], b'[1,"two"]'),
        (3, b"3"),
        (None, b"null"),
        ({"price": decimal.Decimal("12")}, b'{"price":12}'),
        ({"price": decimal.Decimal("12.000")}, b'{"price":12}'),
        ({"price": decimal.Decimal("12.5")}, b'{"price":12.5}'),
        ({"big": decimal.Decimal("12345678901234567890")}, b'{"big":12345678901234567890}'),
        ({"at": datetime.datetime(2024, 4, 9, 12, 34, 56)}, b'{"at":"2024-04-09T12:34:56"}'),
        (
            {"at": datetime.datetime(2024, 4, 9, 12, 0, tzinfo=datetime.timezone.utc)},
            b'{"at":"2024-04-09T12:00:00+00:00"}',
        ),
        ({"day": datetime.date(2024, 2, 29)}, b'{"day":"2024-02-29"}'),
        ({"t": datetime.time(7, 5)}, b'{"t":"07:05:00"}'),
        ({"pair": (1, 2)}, b'{"pair":[1,2]}'),
        ({"set": {3}}, b'{"set":[3]}'),
        ({"text": "café ✓"}, b'{"text":"caf\\u00e9 \\u2713"}'),
    ],
)
def test_non_text_bodies_are_json(body: Any, expected: bytes) -> None:
    rendered = render(Response(body))
    assert rendered.body == expected
    assert rendered.headers == [("Content-Type", "application/json")]
    json.loads(rendered.body)  # always valid JSON


def test_str_body_is_utf8_and_not_json_encoded() -> None:
    rendered = render(Response("héllo", headers={"Content-Type": "text/plain"}))
    assert rendered.body == "héllo".encode()
    assert rendered.headers == [("Content-Type", "text/plain")]


def test_bytes_body_is_sent_as_is() -> None:
    payload = bytes(range(256))
    rendered = render(Response(payload, headers={"Content-Type": "application/octet-stream"}))
    assert rendered.body == payload


def test_empty_str_body() -> None:
    assert render(Response("")).body == b""


def test_render_returns_a_rendered_response() -> None:
    rendered = render(Response("x", status_code=201))
    assert rendered == RenderedResponse(201, [("Content-Type", "application/json")], b"x", True)


class Unserializable:
    pass


def test_unserializable_body_error_names_the_type() -> None:
    with pytest.raises(InvalidResponseError) as info:
        render(Response({"thing": Unserializable()}))
    assert str(info.value) == (
        "Response body cannot be encoded as JSON: "
        "Object of type Unserializable is not JSON serializable"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"n": float("nan")},
        {"n": float("inf")},
        {"n": decimal.Decimal("NaN")},
        {"n": decimal.Decimal("Infinity")},
        {"n": decimal.Decimal("-Infinity")},
    ],
)
def test_non_finite_numbers_are_refused_not_sent_as_invalid_json(body: Any) -> None:
    with pytest.raises(InvalidResponseError, match=r"^Response body cannot be encoded as JSON"):
        render(Response(body))


def test_circular_body_is_an_invalid_response() -> None:
    body: dict[str, Any] = {}
    body["self"] = body
    with pytest.raises(InvalidResponseError, match="circular reference"):
        render(Response(body))


# -- headers -----------------------------------------------------------------------------


def test_default_content_type_is_json() -> None:
    rendered = render(Response("x", headers={"X-Thing": "1"}))
    assert rendered.headers == [("X-Thing", "1"), ("Content-Type", "application/json")]


def test_content_type_given_in_any_case_is_kept_alone() -> None:
    rendered = render(Response("x", headers={"content-type": "text/html"}))
    assert rendered.headers == [("content-type", "text/html")]


def test_list_valued_headers_become_repeated_lines() -> None:
    headers: dict[str, str | list[str]] = {
        "Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"],
        "X-Empty": [],
    }
    rendered = render(Response("x", headers=headers))
    assert rendered.headers == [
        ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "b=2; HttpOnly"),
        ("Content-Type", "application/json"),
    ]


def test_non_string_header_values_become_strings() -> None:
    rendered = render(Response("x", headers={"X-Count": 3, "X-List": [1, 2]}))  # type: ignore[dict-item,list-item]
    assert rendered.headers[:3] == [("X-Count", "3"), ("X-List", "1"), ("X-List", "2")]


def test_latin1_header_value_is_allowed() -> None:
    rendered = render(Response("x", headers={"X-Name": "café"}))
    assert rendered.headers[0] == ("X-Name", "café")


def test_surrounding_whitespace_is_trimmed_from_header_values() -> None:
    rendered = render(Response("x", headers={"X-Pad": " \tvalue \t", "X-Inner": "a b\tc"}))
    assert rendered.headers[:2] == [("X-Pad", "value"), ("X-Inner", "a b\tc")]


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: evil=1", "a\nb", "a\rb"])
def test_cr_or_lf_in_a_header_value_is_refused(value: str) -> None:
    with pytest.raises(InvalidResponseError) as info:
        render(Response("x", headers={"X-Injected": value}))
    assert str(info.value) == (
        f"Bad value for header 'X-Injected': {value!r}; header values cannot contain CR or LF"
    )


def test_cr_lf_in_one_item_of_a_list_header_is_refused() -> None:
    with pytest.raises(InvalidResponseError, match=r"^Bad value for header 'Set-Cookie'"):
        render(Response("x", headers={"Set-Cookie": ["a=1", "b=2\r\nX: y"]}))


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "a\x7fb"])
def test_other_control_characters_in_a_header_value_are_refused(value: str) -> None:
    with pytest.raises(InvalidResponseError) as info:
        render(Response("x", headers={"X-Ctl": value}))
    assert str(info.value) == (
        f"Bad value for header 'X-Ctl': {value!r}; header values cannot contain control characters"
    )


@pytest.mark.parametrize("name", ["X-Bad\r\nInjected", "X-Bad\n", "Bad Name", "X:Y", "", "X-名"])
def test_bad_header_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidResponseError) as info:
        render(Response("x", headers={name: "1"}))
    assert str(info.value).startswith(f"Bad header name {name!r}: it must be a non-empty token")


def test_non_string_header_name_is_refused() -> None:
    with pytest.raises(InvalidResponseError, match=r"^Bad header name 42"):
        render(Response("x", headers={42: "1"}))  # type: ignore[dict-item]


def test_header_value_beyond_latin1_passes_through(front_door: Any) -> None:
    # As in Chalice (and API Gateway): sent as UTF-8 where the protocol needs bytes.
    disposition = 'attachment; filename="文件.pdf"'
    assert render(Response("x", headers={"Content-Disposition": disposition})).headers[0] == (
        "Content-Disposition",
        disposition,
    )
    app = Chalice(app_name="utf8-headers", configure_logs=False)
    app.route("/")(lambda: Response("x", headers={"Content-Disposition": disposition}))
    with front_door(app) as http:
        answer = http("GET", "/")
    assert answer.status_code == 200
    (raw,) = [value for name, value in answer.header_list if name.lower() == "content-disposition"]
    # Over HTTP the bytes arrive as UTF-8 (clients decode them as Latin-1).
    assert raw in (disposition, disposition.encode("utf-8").decode("latin-1"))


# -- status codes ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [100, 204, 418, 599])
def test_status_codes_in_range_are_kept(status: int) -> None:
    assert render(Response("", status_code=status)).status_code == status


@pytest.mark.parametrize("status", [99, 600, 0, -1, "200", 200.0, None])
def test_bad_status_code_is_refused(status: Any) -> None:
    with pytest.raises(InvalidResponseError) as info:
        render(Response("", status_code=status))
    assert str(info.value) == f"Bad status code {status!r}: it must be an int from 100 to 599"


def test_error_response_has_chalices_shape() -> None:
    response = error_response("NotFoundError", "no such thing", 404, headers={"X-A": "1"})
    assert (response.status_code, response.headers) == (404, {"X-A": "1"})
    assert render(response).body == b'{"Code":"NotFoundError","Message":"no such thing"}'


# -- through both front doors -------------------------------------------------------------


def test_responses_through_both_front_doors(front_door: Any) -> None:
    app = Chalice(app_name="response-doors", configure_logs=False)

    @app.route("/json")
    def as_json() -> dict[str, Any]:
        return {"price": decimal.Decimal("9.5"), "day": datetime.date(2024, 1, 2)}

    @app.route("/custom")
    def custom() -> Response:
        return Response(
            b"\x00\xffbinary",
            headers={
                "Content-Type": "application/octet-stream",
                "Set-Cookie": ["a=1; Path=/", "b=2; Path=/"],
                "X-Count": "7",
            },
            status_code=202,
        )

    @app.route("/text")
    def text() -> str:
        return "plain words"

    with front_door(app) as http:
        answer = http("GET", "/json")
        assert answer.status_code == 200
        assert answer.body == b'{"price":9.5,"day":"2024-01-02"}'
        on_the_wire = [(name.lower(), value) for name, value in answer.header_list]
        assert ("content-type", "application/json") in on_the_wire

        # A binary answer needs an Accept header naming a binary type (API Gateway REST).
        answer = http("GET", "/custom", headers={"Accept": "application/octet-stream"})
        assert answer.status_code == 202
        assert answer.body == b"\x00\xffbinary"
        assert answer.headers["Content-Type"] == "application/octet-stream"
        assert answer.headers["x-count"] == "7"
        cookies = [value for name, value in answer.header_list if name.lower() == "set-cookie"]
        assert cookies == ["a=1; Path=/", "b=2; Path=/"]

        answer = http("GET", "/text")
        assert (answer.status_code, answer.body) == (200, b"plain words")
        on_the_wire = [(name.lower(), value) for name, value in answer.header_list]
        assert ("content-type", "application/json") in on_the_wire


def test_unsendable_responses_are_500s_through_both_front_doors(front_door: Any) -> None:
    app = Chalice(app_name="response-unsendable", configure_logs=False)

    @app.route("/nul")
    def nul() -> Response:
        return Response("x", headers={"X-Bad": "a\x00b"})

    @app.route("/name")
    def name() -> Response:
        return Response("x", headers={"X-名": "a"})

    @app.route("/infinite")
    def infinite() -> dict[str, Any]:
        return {"n": decimal.Decimal("Infinity")}

    @app.route("/status")
    def status() -> Response:
        return Response("x", status_code=1000)

    internal = {"Code": "InternalServerError", "Message": "An internal server error occurred."}
    with front_door(app) as http:
        for path in ("/nul", "/name", "/infinite", "/status"):
            answer = http("GET", path)
            assert (path, answer.status_code, answer.json_body) == (path, 500, internal)


@pytest.mark.parametrize(
    ("content_type", "media_types", "expected"),
    [
        ("image/png", ["image/png"], True),
        ("IMAGE/PNG; q=1", ["image/png"], True),
        ("image/gif", ["image/*"], True),
        ("text/plain", ["*/*"], True),
        ("text/plain", ["image/*", "application/octet-stream"], False),
        ("", ["image/png"], False),
    ],
)
def test_media_type_matches(content_type: str, media_types: list[str], expected: bool) -> None:
    assert media_type_matches(content_type, media_types) is expected


def test_to_dict_base64_for_binary_types_and_keeps_multi_value_headers() -> None:
    response = Response(
        b"\x00\x01", headers={"Content-Type": "image/gif", "Set-Cookie": ["a=1", "b=2"]}
    )
    assert response.to_dict(["image/*"]) == {
        "headers": {"Content-Type": "image/gif"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "statusCode": 200,
        "body": "AAE=",
        "isBase64Encoded": True,
    }


def test_to_dict_checks_the_response_like_render() -> None:
    with pytest.raises(InvalidResponseError, match="X-Bad"):
        Response("x", headers={"X-Bad": "a\r\nb"}).to_dict()


def test_headers_that_are_not_a_mapping_are_refused() -> None:
    response = Response("x")
    response.headers = None  # type: ignore[assignment]
    with pytest.raises(
        InvalidResponseError, match=r"^Response headers must be a dict, not NoneType"
    ):
        render(response)


def test_a_body_whose_mapping_raises_is_an_invalid_response() -> None:
    from collections.abc import Mapping

    class Broken(Mapping[str, str]):
        def __getitem__(self, key: str) -> str:
            raise LookupError("the mapping broke")

        def __iter__(self) -> Any:
            return iter(["a"])

        def __len__(self) -> int:
            return 1

    with pytest.raises(InvalidResponseError) as caught:
        render(Response({"value": Broken()}))
    assert str(caught.value) == (
        "Response body cannot be encoded as JSON: encoding it raised LookupError: the mapping broke"
    )


# -- a view's own value, rendered without a Response (the pipeline's usual answer) --------


@pytest.mark.parametrize(
    "body",
    [{"a": 1, "b": [1.5, None]}, [1, "two"], "text", "Zoë", b"\x00\xff", b"", 0, None, (1, 2)],
)
def test_render_body_is_render_of_a_response(body: Any) -> None:
    assert render_body(body) == render(Response(body))


def _circular() -> list[Any]:
    looped: list[Any] = []
    looped.append(looped)
    return looped


@pytest.mark.parametrize("body", [float("nan"), object(), _circular(), {1.5j: "x"}])
def test_render_body_and_json_text_refuse_as_render_does(body: Any) -> None:
    with pytest.raises(InvalidResponseError) as by_render:
        render(Response(body))
    for render_alone in (render_body, json_text_of):
        with pytest.raises(InvalidResponseError) as refused:
            render_alone(body)
        assert str(refused.value) == str(by_render.value)
        assert refused.value.__cause__ is by_render.value.__cause__ is None


@pytest.mark.parametrize("body", [{"a": "é☃"}, [1, 2.5], 3, None])
def test_json_text_is_the_rendered_body_as_text(body: Any) -> None:
    assert json_text_of(body).encode("ascii") == render(Response(body)).body
