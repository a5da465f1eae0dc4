"""Lambda results read as API Gateway reads them, and API Gateway's own answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chalicelike._core._response import Response
from chalicelike.local._gateway_answers import (
    HTTP_API,
    REST_API,
    GatewayAnswer,
    MalformedResponse,
    app_load_error,
    gateway_headers,
    http_api_answer,
    internal_error,
    lambda_answer,
    message_answer,
    response_answer,
    rest_answer,
)
from chalicelike.local._invocation import (
    MAX_SYNC_PAYLOAD_BYTES,
    InvocationResult,
    InvocationStatus,
    error_payload,
)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def lines(answer: GatewayAnswer) -> list[tuple[str, str]]:
    return [(name.decode(), value.decode()) for name, value in answer.headers]


def result(payload: Any, status: InvocationStatus = InvocationStatus.OK) -> InvocationResult:
    raw = payload if isinstance(payload, bytes) else dumps(payload)
    return InvocationResult("req-1", status, raw)


def test_a_rest_proxy_response_becomes_the_answer() -> None:
    answer = rest_answer(
        dumps(
            {
                "statusCode": 201,
                "headers": {"Content-Type": "text/plain", "X-Count": 3, "X-Flag": True},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": "made",
                "isBase64Encoded": False,
            }
        )
    )
    assert answer.status == 201
    assert answer.body == b"made"
    assert lines(answer) == [
        ("Content-Type", "text/plain"),
        ("X-Count", "3"),
        ("X-Flag", "true"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]


def test_multi_value_headers_win_over_headers_of_the_same_name() -> None:
    answer = rest_answer(
        dumps(
            {
                "statusCode": 200,
                "headers": {"x-tag": "single", "Content-Type": "text/html"},
                "multiValueHeaders": {"X-Tag": ["one", "two"]},
            }
        )
    )
    assert lines(answer) == [("X-Tag", "one"), ("X-Tag", "two"), ("Content-Type", "text/html")]
    assert answer.body == b""


def test_a_rest_answer_without_a_content_type_is_json() -> None:
    answer = rest_answer(dumps({"statusCode": 200, "body": "{}"}))
    assert lines(answer) == [("content-type", "application/json")]


def test_the_server_sets_the_length_whatever_the_function_says() -> None:
    answer = rest_answer(
        dumps({"statusCode": 200, "headers": {"Content-Length": "999", "Connection": "close"}})
    )
    assert lines(answer) == [("content-type", "application/json")]


def test_a_base64_body_is_decoded() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    answer = rest_answer(
        dumps(
            {
                "statusCode": 200,
                "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(png).decode(),
                "isBase64Encoded": True,
            }
        )
    )
    assert answer.body == png


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (dumps([1, 2]), "a JSON list, not an object"),
        (dumps("text"), "a JSON str, not an object"),
        (dumps({"body": "x"}), "statusCode is missing"),
        (dumps({"statusCode": "200"}), "statusCode must be an integer"),
        (dumps({"statusCode": True}), "statusCode must be an integer"),
        (dumps({"statusCode": 42}), "statusCode must be an integer"),
        (dumps({"statusCode": 200, "body": {"a": 1}}), "body must be a string, not dict"),
        (dumps({"statusCode": 200, "headers": ["a"]}), "headers must be an object"),
        (dumps({"statusCode": 200, "headers": {"a": {"b": 1}}}), "header 'a' is dict"),
        (dumps({"statusCode": 200, "headers": {"a": None}}), "header 'a' is NoneType"),
        (dumps({"statusCode": 200, "headers": {"a": "x\r\ny: z"}}), "line break"),
        (dumps({"statusCode": 200, "headers": {"é": "x"}}), "header name 'é' is not ASCII"),
        (dumps({"statusCode": 200, "multiValueHeaders": {"a": "b"}}), "is not a list"),
        (dumps({"statusCode": 200, "body": "x", "isBase64Encoded": "yes"}), "must be a boolean"),
        (dumps({"statusCode": 200, "body": "***", "isBase64Encoded": True}), "not base64"),
    ],
)
def test_a_malformed_proxy_response_is_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedResponse, match=reason):
        rest_answer(payload)
    answer = lambda_answer(result(payload), REST_API)
    assert (answer.status, json.loads(answer.body)) == (502, {"message": "Internal server error"})
    assert answer.problem is not None
    assert answer.problem.startswith("Malformed Lambda proxy response: ")
    assert reason in answer.problem


@pytest.mark.parametrize(
    ("value", "body"),
    [
        ({"hello": "world"}, b'{"hello": "world"}'),  # the function's JSON as it sent it
        ("plain text", b"plain text"),  # a JSON string is the body's text
        ([1, 2], b"[1, 2]"),
        (7, b"7"),
        (None, b"null"),
    ],
)
def test_an_http_api_infers_a_200_json_answer_without_status_code(value: Any, body: bytes) -> None:
    answer = http_api_answer(dumps(value))
    assert (answer.status, answer.body) == (200, body)
    assert lines(answer) == [("content-type", "application/json")]


def test_an_http_api_sends_each_cookie_as_a_set_cookie_header() -> None:
    answer = http_api_answer(
        dumps(
            {
                "statusCode": 302,
                "headers": {"location": "/next", "x-tags": "a,b"},
                "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
                "body": "",
            }
        )
    )
    assert answer.status == 302
    assert lines(answer) == [
        ("location", "/next"),
        ("x-tags", "a,b"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2; HttpOnly"),
        ("content-type", "application/json"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"statusCode": "200"},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "headers": "x"},
    ],
)
def test_an_http_api_refuses_a_malformed_structured_answer_with_500(payload: Any) -> None:
    with pytest.raises(MalformedResponse):
        http_api_answer(dumps(payload))
    answer = lambda_answer(result(payload), HTTP_API)
    assert (answer.status, json.loads(answer.body)) == (500, {"message": "Internal Server Error"})


@pytest.mark.parametrize(
    ("status", "kind", "code", "message"),
    [
        (InvocationStatus.ERROR, REST_API, 502, "Internal server error"),
        (InvocationStatus.CRASHED, REST_API, 502, "Internal server error"),
        (InvocationStatus.OUT_OF_MEMORY, REST_API, 502, "Internal server error"),
        (InvocationStatus.TIMEOUT, REST_API, 504, "Endpoint request timed out"),
        (InvocationStatus.ERROR, HTTP_API, 500, "Internal Server Error"),
        (InvocationStatus.TIMEOUT, HTTP_API, 503, "Service Unavailable"),
    ],
)
def test_failed_invocations_get_api_gateways_answers(
    status: InvocationStatus, kind: Any, code: int, message: str
) -> None:
    failed = InvocationResult("r", status, error_payload("it broke", "ValueError"))
    answer = lambda_answer(failed, kind)
    assert (answer.status, json.loads(answer.body)) == (code, {"message": message})
    assert answer.problem is not None and "ValueError: it broke" in answer.problem


def test_a_function_error_is_logged_as_api_gateway_logs_it() -> None:
    failed = InvocationResult("r", InvocationStatus.ERROR, error_payload("kaboom", "KeyError"))
    assert lambda_answer(failed, REST_API).problem == (
        "Lambda execution failed with status 200 due to customer function error: KeyError: kaboom"
    )


def test_a_response_above_6_mb_is_a_function_error() -> None:
    payload = dumps({"statusCode": 200, "body": "x" * MAX_SYNC_PAYLOAD_BYTES})
    answer = lambda_answer(result(payload), REST_API)
    assert answer.status == 502
    assert answer.problem is not None and "exceeded" in answer.problem


def test_a_good_result_is_read_per_payload_version() -> None:
    proxy = {"statusCode": 204, "headers": {"X-A": "1"}}
    assert lambda_answer(result(proxy), REST_API).status == 204
    assert lambda_answer(result({"ok": True}), HTTP_API).status == 200
    assert lambda_answer(result({"ok": True}), REST_API).status == 502


def test_a_broken_app_gets_a_page_for_browsers() -> None:
    message = "app.py line 8: SyntaxError: invalid syntax <def order(:>"
    answer = app_load_error(message, "text/html,application/xhtml+xml", REST_API)
    assert answer.status == 502
    assert lines(answer) == [("content-type", "text/html; charset=utf-8")]
    page = answer.body.decode()
    assert "<pre>app.py line 8: SyntaxError: invalid syntax &lt;def order(:&gt;</pre>" in page
    assert answer.problem == f"the app cannot be served: {message}"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_a_broken_app_gets_json_for_other_clients(accept: str | None) -> None:
    answer = app_load_error("SyntaxError at line 8", accept, REST_API)
    assert answer.status == 502
    assert json.loads(answer.body) == {
        "message": "Internal server error",
        "error": "SyntaxError at line 8",
    }


def test_an_unexpected_gateway_error_says_what_happened() -> None:
    answer = internal_error("KeyError: 'x'")
    assert answer.status == 500
    assert json.loads(answer.body) == {"message": "Internal server error", "error": "KeyError: 'x'"}
    assert answer.problem == "gateway error: KeyError: 'x'"


def test_api_gateways_own_messages_are_compact_json() -> None:
    answer = message_answer(403, "Missing Authentication Token")
    assert answer.body == b'{"message":"Missing Authentication Token"}'
    assert message_answer(500, None).body == b'{"message":null}'


def test_a_rendered_response_keeps_every_header_line() -> None:
    answer = response_answer(
        Response("", headers={"Access-Control-Allow-Methods": "GET,OPTIONS", "Vary": ["A", "B"]})
    )
    assert ("access-control-allow-methods", "GET,OPTIONS") in lines(answer)
    assert [v for n, v in lines(answer) if n == "vary"] == ["A", "B"]


def test_each_api_kind_adds_its_own_request_id_headers() -> None:
    def headers(kind: Any) -> dict[str, str]:
        return dict(lines(GatewayAnswer(200, gateway_headers(kind, "uuid", "ext=", "Root=1"), b"")))

    assert headers(REST_API) == {
        "x-amzn-requestid": "uuid",
        "x-amz-apigw-id": "ext=",
        "x-amzn-trace-id": "Root=1",
    }
    assert headers(HTTP_API) == {"apigw-requestid": "ext="}


@pytest.mark.parametrize("read", [rest_answer, http_api_answer])
def test_a_header_value_beyond_latin1_passes_through_as_utf8(read: Any) -> None:
    # Chalice's local server passes such values on (filename="文件.pdf"); bytes are UTF-8.
    payload = dumps({"statusCode": 200, "headers": {"Content-Disposition": 'filename="文件.pdf"'}})
    answer = read(payload)
    assert (b"content-disposition", 'filename="文件.pdf"'.encode()) in [
        (name.lower(), value) for name, value in answer.headers
    ]
