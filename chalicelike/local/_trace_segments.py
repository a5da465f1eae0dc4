"""X-Ray facts the dev server needs to play AWS's part in a trace: trace headers and ids,
and the segments API Gateway and Lambda send for a request and an invocation.

The gateway and the local Lambda make these; the `TraceStore` keeps them beside the
workers' own segments (from the X-Ray daemon), so one trace spans every hop.
Segment documents: https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html
"""

from __future__ import annotations

import os
import time
from typing import Any

__all__ = [
    "function_segment",
    "gateway_segment",
    "new_segment_id",
    "new_trace_root",
    "parse_header",
]

_HEX = frozenset("0123456789abcdefABCDEF")
# An exception's type and message in a segment: the function chose them, the console shows
# them in a tooltip; the whole document is in the invocation's record.
MAX_EXCEPTION_TYPE_CHARS = 256
MAX_EXCEPTION_MESSAGE_CHARS = 2048


def new_trace_root() -> str:
    # X-Ray's trace id: 1-<epoch seconds, 8 hex digits>-<96 random bits, 24 hex digits>
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def new_segment_id() -> str:
    return os.urandom(8).hex()  # X-Ray's segment id: 64 bits, 16 hex digits


def parse_header(header: str | None) -> tuple[str | None, str | None]:
    """Root and Parent of an X-Ray trace header ('Root=1-..;Parent=..;Sampled=1'), None
    for each one missing or malformed (a client's header is not to be trusted)."""
    root = parent = None
    if header:
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "Root" and _is_root(value):
                root = value
            elif key == "Parent" and len(value) == 16 and _HEX.issuperset(value):
                parent = value
    return root, parent


def _is_root(value: str) -> bool:
    parts = value.split("-")
    return (
        len(parts) == 3
        and parts[0] == "1"
        and len(parts[1]) == 8
        and len(parts[2]) == 24
        and _HEX.issuperset(parts[1] + parts[2])
    )


def function_segment(
    *,
    name: str,
    segment_id: str,
    root: str,
    parent_id: str | None,
    start_time: float,
    request_id: str,
    function: str,
    status: str,
    error: dict[str, Any] | None,
) -> dict[str, Any]:
    """The function's segment as Lambda sends it: named after the deployed function, its
    id the Parent the runtime was given (so the SDK's subsegments hang below it), its
    parent the caller's segment. `status` is an InvocationStatus value."""
    segment: dict[str, Any] = {
        "name": name,
        "id": segment_id,
        "trace_id": root,
        "start_time": start_time,
        "end_time": time.time(),  # init included: Lambda's segment spans it
        "origin": "AWS::Lambda::Function",
        "aws": {"request_id": request_id, "function": function},
    }
    if parent_id is not None:
        segment["parent_id"] = parent_id
    if status == "error":
        # The handler raised: an error on the function's segment, with what it raised.
        segment["error"] = True
        segment["cause"] = {"exceptions": [_exception(error)]}
    elif status != "ok":
        segment["fault"] = True  # the runtime itself failed: timeout, memory, crash
        segment["cause"] = {"exceptions": [_exception(error)]}
    return segment


def _exception(error: dict[str, Any] | None) -> dict[str, Any]:
    error = error or {}
    return {
        "id": new_segment_id(),
        "type": _cut(str(error.get("errorType", "")), MAX_EXCEPTION_TYPE_CHARS),
        "message": _cut(str(error.get("errorMessage", "")), MAX_EXCEPTION_MESSAGE_CHARS),
    }


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more]"


def gateway_segment(
    *,
    name: str,
    segment_id: str,
    root: str,
    parent_id: str | None,
    start_time: float,
    request: dict[str, Any],
    status: int,
    content_length: int,
    request_id: str,
) -> dict[str, Any]:
    """A REST API stage's segment ('<api>/<stage>'), as API Gateway sends it: the HTTP
    request and response, error for a 4xx, fault for a 5xx, throttle for a 429."""
    segment: dict[str, Any] = {
        "name": name,
        "id": segment_id,
        "trace_id": root,
        "start_time": start_time,
        "end_time": time.time(),
        "origin": "AWS::ApiGateway::Stage",
        "http": {
            "request": request,
            "response": {"status": status, "content_length": content_length},
        },
        "aws": {"request_id": request_id},
    }
    if parent_id is not None:
        segment["parent_id"] = parent_id
    if status >= 500:
        segment["fault"] = True
    elif status >= 400:
        segment["error"] = True
        if status == 429:
            segment["throttle"] = True
    return segment
