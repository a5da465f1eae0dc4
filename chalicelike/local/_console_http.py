"""What every part of the console's HTTP side shares: its security headers, its error, a
parsed request, and reading a POST's JSON body.

A POST must say `Content-Type: application/json`: an HTML form on another site can only
send form encodings or text/plain, and a script's cross-site JSON POST needs a CORS
preflight, which the console never answers with permission (it sends no CORS headers).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .._core._types import Receive, Scope
from ._invocation import MAX_SYNC_PAYLOAD_BYTES

__all__ = ["SECURITY_HEADERS", "ConsoleError", "Request", "json_bytes", "read_body", "whole_number"]

# The page renders event bodies, answers and logs anyone can send the app: its own files
# are the only code it runs (no inline script or style), it is framed by no one, and a
# browser never guesses a JSON answer to be HTML.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
MAX_DIGITS = 18  # of a number in a query or header: more than any ring will count
# A replayed or edited event goes to the function synchronously: Lambda's 6 MB limit.
MAX_BODY_BYTES = MAX_SYNC_PAYLOAD_BYTES + 1024


def json_bytes(value: Any) -> bytes:
    """`value` as compact JSON that every parser reads: JSON has no NaN or Infinity (the
    browser's JSON.parse refuses the page's whole answer over one), so a float that is not
    finite is sent as null."""
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:  # rare: a segment or error document held NaN
        text = json.dumps(_finite(value), separators=(",", ":"), allow_nan=False)
    return text.encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


class ConsoleError(Exception):
    """A request the console refuses: its HTTP status and a message naming the problem."""

    def __init__(
        self, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []  # an Allow header with a 405


@dataclass
class Request:
    """One API request: the path's parameters, its query, its JSON body (POST only)."""

    params: list[str]
    query: dict[str, list[str]]
    body: dict[str, Any] | None = None

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


async def read_body(scope: Scope, receive: Receive) -> dict[str, Any]:
    """The POST's body, a JSON object; ConsoleError 415, 413 or 400 when it is not one."""
    content_type = b""
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value
    media_type = content_type.split(b";")[0].strip().lower()
    if media_type != b"application/json":
        shown = content_type.decode("latin-1") or "none"
        raise ConsoleError(415, f"a POST needs Content-Type: application/json, not {shown}")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConsoleError(400, "the client went away before sending its body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ConsoleError(413, f"the body is over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ConsoleError(400, f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ConsoleError(400, f"the body must be a JSON object, not {type(body).__name__}")
    return body


def whole_number(text: str, name: str) -> int:
    """`text` as a whole number; ConsoleError 400 naming `name` when it is not one."""
    # str.isdigit() is true of '²' (which int() refuses), and int() refuses more than 4,300
    # digits: either would be a 500 with a traceback.
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ConsoleError(
            400, f"{name} must be a whole number of at most {MAX_DIGITS} digits, not {shown!r}"
        )
    return int(text)
