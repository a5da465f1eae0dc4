"""Tests for _doors/_http_answers.py: a rendered response in each front door's own shape."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from chalicelike._core._response import RenderedResponse, Response, render
from chalicelike._doors._http_answers import answer_for, encode_body
from chalicelike._doors._http_events import HttpEventSource, HttpRequest

JSON = ("Content-Type", "application/json")


def request_from(source: HttpEventSource, multi_value: bool = False) -> HttpRequest:
    return HttpRequest(source, "GET", "/orders/42", {}, b"", multi_value=multi_value)


def answer(
    source: HttpEventSource,
    headers: list[tuple[str, str]],
    body: bytes = b'{"id":"42"}',
    status: int = 200,
    binary_types: tuple[str, ...] = (),
    multi_value: bool = False,
) -> dict[str, Any]:
    rendered = RenderedResponse(status, headers, body)
    return answer_for(request_from(source, multi_value), rendered, list(binary_types))


def body_of(source: HttpEventSource, answer: dict[str, Any]) -> tuple[bytes, bool]:
    """(body bytes, whether it travelled base64-encoded), read as the source reads it."""
    if source is HttpEventSource.LAMBDA_EDGE:
        is_base64 = {"text": False, "base64": True}[answer["bodyEncoding"]]
    else:
        # A REST answer (as Chalice's) has isBase64Encoded only when true.
        is_base64 = answer.get("isBase64Encoded", False)
    raw = answer["body"]
    return (base64.b64decode(raw, validate=True) if is_base64 else raw.encode()), is_base64


# -- API Gateway REST -----------------------------------------------------------------


def test_rest_answer_with_single_headers() -> None:
    assert answer(HttpEventSource.REST_API, [JSON, ("X-Request-Id", "r-1")], status=201) == {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Request-Id": "r-1"},
        "multiValueHeaders": {},
        "body": '{"id":"42"}',
    }


def test_rest_answer_puts_repeated_headers_in_multi_value_headers() -> None:
    lines = [JSON, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Set-Cookie", "c=3")]
    assert answer(HttpEventSource.REST_API, lines) == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2", "c=3"]},
        "body": '{"id":"42"}',
    }


def test_rest_answer_from_a_rendered_response_with_a_list_header() -> None:
    rendered = render(Response({"ok": True}, headers={"Vary": ["Accept", "Origin"]}))
    assert answer_for(request_from(HttpEventSource.REST_API), rendered, []) == {
        "statusCode": 200,
        "headers": {},  # API Gateway labels it JSON on the wire
        "multiValueHeaders": {"Vary": ["Accept", "Origin"]},
        "body": '{"ok":true}',
    }


# -- HTTP API payload 2.0 and Function URLs ---------------------------------------------


@pytest.mark.parametrize("source", [HttpEventSource.HTTP_API, HttpEventSource.FUNCTION_URL])
def test_v2_answer_sends_set_cookie_in_cookies_and_joins_repeats(
    source: HttpEventSource,
) -> None:
    lines = [
        JSON,
        ("Set-Cookie", "session=abc; HttpOnly; Secure"),
        ("Vary", "Accept"),
        ("set-cookie", "theme=dark; Path=/"),
        ("vary", "Origin"),
    ]
    assert answer(source, lines) == {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "vary": "Accept,Origin"},
        "cookies": ["session=abc; HttpOnly; Secure", "theme=dark; Path=/"],
        "body": '{"id":"42"}',
        "isBase64Encoded": False,
    }


def test_v2_answer_without_cookies_has_no_cookies_key() -> None:
    assert answer(HttpEventSource.HTTP_API, [JSON], status=404) == {
        "statusCode": 404,
        "headers": {"content-type": "application/json"},
        "body": '{"id":"42"}',
        "isBase64Encoded": False,
    }


# -- ALB ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (200, "200 OK"),
        (201, "201 Created"),
        (302, "302 Found"),
        (404, "404 Not Found"),
        (500, "500 Internal Server Error"),
        (599, "599"),  # no reason phrase is registered for it
    ],
)
def test_alb_status_description(status: int, description: str) -> None:
    assert answer(HttpEventSource.ALB, [JSON], status=status)["statusDescription"] == description


def test_alb_answer_with_multi_value_headers_when_the_request_had_them() -> None:
    lines = [JSON, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert answer(HttpEventSource.ALB, lines, multi_value=True) == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "multiValueHeaders": {
            "Content-Type": ["application/json"],
            "Set-Cookie": ["a=1", "b=2"],
        },
        "body": '{"id":"42"}',
        "isBase64Encoded": False,
    }


def test_alb_answer_without_multi_value_headers_sends_cookies_under_case_variants() -> None:
    lines = [
        JSON,
        ("Set-Cookie", "a=1"),
        ("Vary", "Accept"),
        ("Set-Cookie", "b=2"),
        ("Vary", "Origin"),
        ("Set-Cookie", "c=3"),
    ]
    result = answer(HttpEventSource.ALB, lines)
    assert "multiValueHeaders" not in result
    headers = result["headers"]
    cookie_names = [name for name in headers if name.lower() == "set-cookie"]
    # Three names an ALB treats as one header, so all three cookies reach the client.
    assert len(set(cookie_names)) == 3
    assert [headers[name] for name in cookie_names] == ["a=1", "b=2", "c=3"]
    others = {name: value for name, value in headers.items() if name not in cookie_names}
    assert others == {"Content-Type": "application/json", "Vary": "Accept,Origin"}
    assert result["statusDescription"] == "200 OK"


# -- Lambda@Edge ----------------------------------------------------------------------


def test_edge_answer_shape() -> None:
    lines = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert answer(HttpEventSource.LAMBDA_EDGE, lines, body=b"<p>hi</p>", status=404) == {
        "status": "404",
        "statusDescription": "Not Found",
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "text/html; charset=utf-8"}],
            "set-cookie": [
                {"key": "Set-Cookie", "value": "a=1"},
                {"key": "Set-Cookie", "value": "b=2"},
            ],
        },
        "body": "<p>hi</p>",
        "bodyEncoding": "text",
    }


def test_edge_answer_base64_body() -> None:
    result = answer(
        HttpEventSource.LAMBDA_EDGE,
        [("Content-Type", "image/png")],
        body=b"\x89PNG\r\n\x1a\n",
        binary_types=("image/png",),
    )
    assert (result["status"], result["bodyEncoding"]) == ("200", "base64")
    assert base64.b64decode(result["body"]) == b"\x89PNG\r\n\x1a\n"


# -- bodies: text, base64, empty, for every source ------------------------------------

ALL_SOURCES = list(HttpEventSource)


@pytest.mark.parametrize("source", ALL_SOURCES)
@pytest.mark.parametrize(
    ("content_type", "binary_types"),
    [
        ("image/png", ("image/png",)),
        ("Image/PNG; foo=bar", ("image/png",)),
        ("image/png", ("image/*",)),
        ("image/png", ("*/*",)),
        ("application/octet-stream", ("application/octet-stream", "image/png")),
        ("application/json", ("application/*",)),
        ("application/json", ("*/*",)),
        ("application/json", ("application/json",)),
    ],
)
def test_binary_types_are_base64_even_when_the_bytes_are_text(
    source: HttpEventSource, content_type: str, binary_types: tuple[str, ...]
) -> None:
    body = b'{"plain": "ascii"}'
    result = answer(source, [("Content-Type", content_type)], body, binary_types=binary_types)
    assert body_of(source, result) == (body, True)


@pytest.mark.parametrize("source", ALL_SOURCES)
@pytest.mark.parametrize(
    ("content_type", "binary_types"),
    [
        ("application/json", ("image/png", "application/octet-stream")),
        ("text/plain", ("image/*",)),
        ("application/json", ()),
        ("", ("image/png",)),
    ],
)
def test_other_types_are_text(
    source: HttpEventSource, content_type: str, binary_types: tuple[str, ...]
) -> None:
    body = '{"name": "café"}'.encode()
    lines = [("Content-Type", content_type)] if content_type else []
    result = answer(source, lines, body, binary_types=binary_types)
    assert body_of(source, result) == (body, False)
    assert result["body"] == '{"name": "café"}'


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_bytes_that_are_not_utf8_are_base64_whatever_the_type(source: HttpEventSource) -> None:
    body = b"caf\xe9 \xff\xfe"
    result = answer(source, [("Content-Type", "text/plain")], body)
    assert body_of(source, result) == (body, True)


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_empty_body_is_an_empty_text_body(source: HttpEventSource) -> None:
    result = answer(source, [("Content-Type", "image/png")], b"", status=204, binary_types=("*/*",))
    assert body_of(source, result) == (b"", False)
    assert result["body"] == ""


def test_encode_body_directly() -> None:
    binary = frozenset({"image/png"})
    assert encode_body(RenderedResponse(200, [], b"hi"), "text/plain", binary) == ("hi", False)
    assert encode_body(RenderedResponse(200, [], b"hi"), "image/png", binary) == ("aGk=", True)
    assert encode_body(RenderedResponse(200, [], b""), "image/png", binary) == ("", False)
    assert encode_body(RenderedResponse(200, [], b"\xff"), "", frozenset()) == ("/w==", True)
