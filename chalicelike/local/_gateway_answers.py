"""What the client gets back: a Lambda result read as API Gateway reads it, or the answers
API Gateway gives on its own (403/404, 413, 429, 502/500, 504/503, a broken app.py).

REST APIs (payload 1.0) demand a well-formed proxy response; HTTP APIs (payload 2.0) infer
one from any JSON. `GatewayKind` holds what differs between the two. No I/O: an answer that
API Gateway would log carries its log line in `problem`.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from .._core._response import Response, header_bytes, render
from ._invocation import MAX_SYNC_PAYLOAD_BYTES, InvocationResult, InvocationStatus

__all__ = [
    "HTTP_API",
    "REST_API",
    "GatewayAnswer",
    "MalformedResponse",
    "app_load_error",
    "gateway_headers",
    "http_api_answer",
    "internal_error",
    "lambda_answer",
    "message_answer",
    "response_answer",
    "rest_answer",
]

Headers = list[tuple[bytes, bytes]]

_JSON = (b"content-type", b"application/json")
# Set by the server for the bytes it sends, whatever the function says.
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class GatewayKind:
    """A REST API or an HTTP API: the payload version and API Gateway's own answers."""

    payload_version: str
    function_error: tuple[int, str]  # the function raised, crashed or answered nonsense
    timed_out: tuple[int, str]  # no answer within the integration timeout
    no_route: tuple[int, str]
    integration_timeout: float  # seconds API Gateway waits for Lambda

    @property
    def is_rest(self) -> bool:
        return self.payload_version == "1.0"


# REST: 502 for a function error or a malformed proxy response, 504 after 29 s, and 403
# for any path or method the API does not declare (REST APIs have no 405).
REST_API = GatewayKind(
    "1.0", (502, "Internal server error"), (504, "Endpoint request timed out"),
    (403, "Missing Authentication Token"), 29.0,
)  # fmt: skip
# HTTP API: 500 for a function error, 503 "Service Unavailable" after 30 s, 404 off-route.
HTTP_API = GatewayKind(
    "2.0", (500, "Internal Server Error"), (503, "Service Unavailable"), (404, "Not Found"), 30.0
)


class GatewayAnswer(NamedTuple):
    status: int
    headers: Headers
    body: bytes
    problem: str | None = None  # why API Gateway answered an error, for the log


class MalformedResponse(ValueError):
    """The function's answer is not a proxy response API Gateway accepts; says why."""


def message_answer(status: int, message: str | None, problem: str | None = None) -> GatewayAnswer:
    """API Gateway's own answers: a compact `{"message": ...}` JSON body."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return GatewayAnswer(status, [_JSON], body, problem)


def response_answer(response: Response) -> GatewayAnswer:
    """An answer _http or _gateway_auth built as a Response (preflight, 401/403)."""
    rendered = render(response)
    headers = [(n.lower().encode("latin-1"), header_bytes(v)) for n, v in rendered.headers]
    return GatewayAnswer(rendered.status_code, headers, rendered.body)


def lambda_answer(result: InvocationResult, kind: GatewayKind) -> GatewayAnswer:
    """The client's answer for one invocation of the route's function."""
    if result.status is InvocationStatus.TIMEOUT:
        # API Gateway gives this answer when the function outlives its integration timeout
        # (29 s REST, 30 s HTTP API; LocalGateway enforces that too). A function stopped
        # sooner by its own timeout is a plain function error on AWS (502 / 500); locally
        # it gets the timeout answer instead, so the cause is visible to the client.
        return message_answer(*kind.timed_out, problem=f"Execution timed out: {_error(result)}")
    if result.status is not InvocationStatus.OK:
        problem = (
            "Lambda execution failed with status 200 due to customer function error: "
            + _error(result)
        )
        return message_answer(*kind.function_error, problem=problem)
    if len(result.payload) > MAX_SYNC_PAYLOAD_BYTES:
        # Lambda itself refuses a response above 6 MB: a function error to API Gateway.
        problem = f"Response payload size ({len(result.payload)} bytes) exceeded maximum allowed"
        return message_answer(*kind.function_error, problem=problem)
    try:
        if kind.is_rest:
            return rest_answer(result.payload)
        return http_api_answer(result.payload)
    except MalformedResponse as error:
        return message_answer(
            *kind.function_error, problem=f"Malformed Lambda proxy response: {error}"
        )


def _error(result: InvocationResult) -> str:
    try:
        document = json.loads(result.payload)
        return f"{document.get('errorType', 'Error')}: {document.get('errorMessage')}"
    except (ValueError, AttributeError):
        return result.payload[:200].decode("utf-8", "replace")


def rest_answer(payload: bytes) -> GatewayAnswer:
    """A REST API's reading of a proxy response; MalformedResponse when it refuses it."""
    data = _object(payload)
    status = _status(data)
    headers: dict[str, tuple[str, list[str]]] = {}  # lower name -> (name, values)
    for name, value in _mapping(data, "headers").items():
        headers[name.lower()] = (name, [_header_value(name, value)])
    for name, values in _mapping(data, "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders[{name!r}] is not a list")
        # A name in both fields: API Gateway keeps the multiValueHeaders values only.
        headers[name.lower()] = (name, [_header_value(name, v) for v in values])
    lines: Headers = []
    for lower, (name, values) in headers.items():
        if lower not in _HOP_BY_HOP:
            raw = _header_name(name)
            lines.extend((raw, header_bytes(value)) for value in values)
    if "content-type" not in headers:
        lines.append(_JSON)  # what a REST API sends when the function names no type
    return GatewayAnswer(status, lines, _body(data))


def http_api_answer(payload: bytes) -> GatewayAnswer:
    """An HTTP API's reading (payload 2.0): without a statusCode, any JSON value is the body
    of a 200 application/json answer (a JSON string is the body's text itself)."""
    try:
        data = json.loads(payload)
    except ValueError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not (isinstance(data, dict) and "statusCode" in data):
        body = data.encode("utf-8") if isinstance(data, str) else payload
        return GatewayAnswer(200, [_JSON], body)
    status = _status(data)
    lines: Headers = []
    has_type = False
    for name, value in _mapping(data, "headers").items():
        lower = name.lower()
        has_type = has_type or lower == "content-type"
        if lower not in _HOP_BY_HOP:
            lines.append((_header_name(name), header_bytes(_header_value(name, value))))
    cookies = data.get("cookies") or []
    if not (isinstance(cookies, list) and all(isinstance(c, str) for c in cookies)):
        raise MalformedResponse("cookies must be a list of strings")
    # Payload 2.0: each entry of `cookies` is sent as its own Set-Cookie header.
    lines.extend((b"set-cookie", header_bytes(_header_value("cookies", c))) for c in cookies)
    if not has_type:
        lines.append(_JSON)
    return GatewayAnswer(status, lines, _body(data))


def _object(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        raise MalformedResponse("the function's answer is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"the answer is a JSON {type(data).__name__}, not an object")
    return data


def _status(data: dict[str, Any]) -> int:
    status = data.get("statusCode")
    if status is None:
        raise MalformedResponse("statusCode is missing")
    if type(status) is not int or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode must be an integer HTTP status, not {status!r}")
    return status


def _mapping(data: dict[str, Any], field: str) -> dict[str, Any]:
    value = data.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResponse(f"{field} must be an object, not {type(value).__name__}")
    return value


def _header_name(name: str) -> bytes:
    try:
        return name.encode("ascii")
    except UnicodeEncodeError:
        raise MalformedResponse(f"header name {name!r} is not ASCII") from None


def _header_value(name: str, value: object) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        raise MalformedResponse(f"header {name!r} is {type(value).__name__}, not a string")
    if "\r" in text or "\n" in text:
        raise MalformedResponse(f"header {name!r} holds a line break")
    return text  # beyond Latin-1 passes through as UTF-8 (header_bytes), as Chalice's does


def _body(data: dict[str, Any]) -> bytes:
    body = data.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse(f"body must be a string, not {type(body).__name__}")
    is_base64 = data.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool) and is_base64 is not None:
        raise MalformedResponse(f"isBase64Encoded must be a boolean, not {is_base64!r}")
    if is_base64:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse("isBase64Encoded is true but body is not base64") from None
    return body.encode("utf-8", "surrogatepass")


def app_load_error(message: str, accept: str | None, kind: GatewayKind) -> GatewayAnswer:
    """A 502 naming why the app cannot be served: a page for a browser, JSON otherwise."""
    problem = f"the app cannot be served: {message}"
    if accept and "text/html" in accept:
        page = (
            '<!doctype html>\n<html><head><meta charset="utf-8">'
            "<title>chalicelike local: the app cannot be served</title></head>\n"
            "<body><h1>The app cannot be served</h1>\n"
            f"<pre>{html.escape(message)}</pre>\n"
            "<p>Fix the error and save: the server reloads by itself.</p></body></html>\n"
        )
        return GatewayAnswer(502, [(b"content-type", b"text/html; charset=utf-8")],
                             page.encode(), problem)  # fmt: skip
    body = json.dumps({"message": kind.function_error[1], "error": message}).encode()
    return GatewayAnswer(502, [_JSON], body, problem)


def internal_error(reason: str) -> GatewayAnswer:
    """A bug or an unexpected failure in the gateway itself: a 500 saying what happened."""
    body = json.dumps({"message": "Internal server error", "error": reason}).encode()
    return GatewayAnswer(500, [_JSON], body, f"gateway error: {reason}")


def gateway_headers(kind: GatewayKind, request_id: str, extended_id: str, trace_id: str) -> Headers:
    """The headers API Gateway adds to every answer."""
    if kind.is_rest:
        return [
            (b"x-amzn-requestid", request_id.encode()),
            (b"x-amz-apigw-id", extended_id.encode()),
            (b"x-amzn-trace-id", trace_id.encode()),
        ]
    return [(b"apigw-requestid", extended_id.encode())]
