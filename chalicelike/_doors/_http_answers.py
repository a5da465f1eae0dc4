"""A checked response, written in the shape the invoking front door expects.

REST APIs take single and multi-value headers; HTTP APIs and Function URLs take
comma-joined headers plus a `cookies` list for Set-Cookie; an ALB wants a
`statusDescription` and multi-value headers exactly when its request had them;
Lambda@Edge wants a string status, lower-case header lists and `bodyEncoding`;
VPC Lattice a `statusDescription` and one value per header. Bodies that are not
text travel base64-encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .._core._response import (
    RenderedResponse,
    lowered_media_types,
    media_type_in,
    split_headers,
)
from ._http_events import HttpEventSource, HttpRequest

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["answer_for", "answer_with", "encode_body"]


def answer_for(
    event: HttpRequest, response: RenderedResponse, binary_types: Sequence[str]
) -> dict[str, Any]:
    """The dict Lambda returns to `event.source` for this response."""
    return answer_with(event, response, lowered_media_types(binary_types))


def answer_with(
    event: HttpRequest, response: RenderedResponse, binary: frozenset[str]
) -> dict[str, Any]:
    """The same, given the binary types as `lowered_media_types` made them."""
    writer = _WRITERS[event.source]  # type: ignore[index]  # a Lambda event's, never None
    return writer(event, response, binary)


def encode_body(
    response: RenderedResponse, content_type: str, binary: frozenset[str]
) -> tuple[str, bool]:
    """(body, is_base64): base64 for binary media types and for bytes that are not UTF-8."""
    body = response.body
    if not body:
        return "", False
    if content_type == "application/json" and _JSON_MATCHES.isdisjoint(binary):
        is_binary = False  # the usual answer, decided without parsing the header
    else:
        is_binary = bool(content_type) and media_type_in(content_type, binary)
    if not is_binary:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    import binascii  # not base64 (struct, re); and only a binary answer loads it

    return binascii.b2a_base64(body, newline=False).decode("ascii"), True


# The binary types that make a plain "application/json" binary: itself and its wildcards.
_JSON_MATCHES = frozenset({"application/json", "application/*", "*/*"})


def _content_type(response: RenderedResponse) -> str:
    for name, value in response.headers:
        if name.lower() == "content-type":
            return value
    return ""


def _rest(event: HttpRequest, response: RenderedResponse, binary: frozenset[str]) -> dict[str, Any]:
    # Chalice's dict: only the app's own headers (API Gateway labels an answer with no
    # Content-Type as JSON itself), and isBase64Encoded only when the body is base64.
    if response.content_type_added:
        lines = response.headers  # the last one is the Content-Type render added
        if len(lines) == 1:  # the usual answer: nothing to split
            single: dict[str, str] = {}
            multi: dict[str, list[str]] = {}
        else:
            single, multi = split_headers(lines[:-1], response.listed)
        content_type = "application/json"
    else:
        single, multi = split_headers(response.headers, response.listed)
        content_type = _content_type(response)
    body, is_base64 = encode_body(response, content_type, binary)
    answer: dict[str, Any] = {
        "statusCode": response.status_code,
        "headers": single,
        "multiValueHeaders": multi,
        "body": body,
    }
    if is_base64:
        answer["isBase64Encoded"] = True
    return answer


def _v2(event: HttpRequest, response: RenderedResponse, binary: frozenset[str]) -> dict[str, Any]:
    # Payload 2.0 has no multi-value headers: repeats are comma-joined, except
    # Set-Cookie, which cannot be joined and travels in `cookies`.
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in response.headers:
        lower = name.lower()
        if lower == "set-cookie":
            cookies.append(value)
        elif lower in headers:
            headers[lower] = f"{headers[lower]},{value}"
        else:
            headers[lower] = value
    body, is_base64 = encode_body(response, headers.get("content-type", ""), binary)
    answer: dict[str, Any] = {
        "statusCode": response.status_code,
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        answer["cookies"] = cookies
    return answer


def _alb(event: HttpRequest, response: RenderedResponse, binary: frozenset[str]) -> dict[str, Any]:
    body, is_base64 = encode_body(response, _content_type(response), binary)
    answer: dict[str, Any] = {
        "statusCode": response.status_code,
        "statusDescription": f"{response.status_code} {_reason(response.status_code)}".strip(),
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if event.multi_value:
        multi: dict[str, list[str]] = {}
        for name, value in response.headers:
            multi.setdefault(name, []).append(value)
        answer["multiValueHeaders"] = multi
    else:
        answer["headers"] = _alb_single_headers(response.headers)
    return answer


def _alb_single_headers(lines: list[tuple[str, str]]) -> dict[str, str]:
    """Without multi-value headers an ALB takes one value per name: repeats are joined.

    Set-Cookie cannot be joined; the load balancer treats header names without regard
    to case, so each repeat goes out under a differently cased name and arrives intact
    (past the 512 casings of 'set-cookie', the rest are joined onto the last one).
    """
    headers: dict[str, str] = {}
    cookie_names = _case_variants("set-cookie")
    cookie_name = "set-cookie"
    for name, value in lines:
        if name.lower() == "set-cookie":
            cookie_name = next(cookie_names, cookie_name)
            name = cookie_name
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _case_variants(name: str) -> Any:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    for mask in range(2 ** len(letters)):
        chars = list(name)
        for bit, index in enumerate(letters):
            if mask >> bit & 1:
                chars[index] = chars[index].upper()
        yield "".join(chars)


def _edge(event: HttpRequest, response: RenderedResponse, binary: frozenset[str]) -> dict[str, Any]:
    headers: dict[str, list[dict[str, str]]] = {}
    for name, value in response.headers:
        headers.setdefault(name.lower(), []).append({"key": name, "value": value})
    body, is_base64 = encode_body(response, _content_type(response), binary)
    return {
        "status": str(response.status_code),
        "statusDescription": _reason(response.status_code),
        "headers": headers,
        "body": body,
        "bodyEncoding": "base64" if is_base64 else "text",
    }


def _lattice(
    event: HttpRequest, response: RenderedResponse, binary: frozenset[str]
) -> dict[str, Any]:
    # Both event structures take the same answer: one string per header, so repeats
    # (Set-Cookie included) are comma-joined.
    headers: dict[str, str] = {}
    for name, value in response.headers:
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    body, is_base64 = encode_body(response, _content_type(response), binary)
    return {
        "statusCode": response.status_code,
        "statusDescription": f"{response.status_code} {_reason(response.status_code)}".strip(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus  # ALB and Edge answers only; not every cold start

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


_WRITERS: dict[
    HttpEventSource, Callable[[HttpRequest, RenderedResponse, frozenset[str]], dict[str, Any]]
] = {
    HttpEventSource.REST_API: _rest,
    HttpEventSource.HTTP_API: _v2,
    HttpEventSource.FUNCTION_URL: _v2,
    HttpEventSource.ALB: _alb,
    HttpEventSource.LAMBDA_EDGE: _edge,
    HttpEventSource.VPC_LATTICE: _lattice,
    HttpEventSource.VPC_LATTICE_V2: _lattice,
}
