"""What the local Lambda tells the console about each invocation: its record and its
function's X-Ray segment.

The pool (or the in-process runner) asks `begin` for the trace header to give the
runtime, then hands the result to `finish`, which adds an `InvocationRecord` to the
`InvocationLog` and the function's segment to the `TraceStore`, as Lambda makes it.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from typing import Any

from ._invocation import FunctionSpec, InvocationResult, InvocationStatus
from ._invocation_log import InvocationLog, InvocationRecord, clip
from ._traces import TraceStore

__all__ = [
    "InvocationRecorder",
    "TraceContext",
    "begin_trace",
    "new_segment_id",
    "new_trace_root",
    "parse_header",
]


def new_trace_root() -> str:
    # X-Ray's trace id: 1-<epoch seconds, 8 hex digits>-<96 random bits, 24 hex digits>
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def new_segment_id() -> str:
    return os.urandom(8).hex()  # X-Ray's segment id: 64 bits, 16 hex digits


def parse_header(header: str | None) -> tuple[str | None, str | None]:
    """Root and Parent of an X-Ray trace header ('Root=1-..;Parent=..;Sampled=1'), None
    for each one missing or malformed."""
    root = parent = None
    if header:
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "Root" and _is_root(value):
                root = value
            elif key == "Parent" and _is_segment_id(value):
                parent = value
    return root, parent


def _is_root(value: str) -> bool:
    parts = value.split("-")
    return (
        len(parts) == 3
        and parts[0] == "1"
        and len(parts[1]) == 8
        and len(parts[2]) == 24
        and _is_hex(parts[1] + parts[2])
    )


def _is_segment_id(value: str) -> bool:
    return len(value) == 16 and _is_hex(value)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


@dataclass(frozen=True)
class TraceContext:
    """One invocation's place in its trace."""

    root: str  # the trace id (continued from the caller's header, or new)
    segment_id: str  # the function's own segment: the Parent the runtime is given
    caller: str | None  # the caller's segment id (the incoming Parent), if any

    @property
    def header(self) -> str:
        """The Lambda-Runtime-Trace-Id the runtime gets: every invocation is sampled
        locally, so the worker's X-Ray SDK always records."""
        return f"Root={self.root};Parent={self.segment_id};Sampled=1"


def begin_trace(trace_header: str | None) -> TraceContext:
    """The invocation's place in the caller's trace, or in a new one."""
    root, caller = parse_header(trace_header)
    return TraceContext(root or new_trace_root(), new_segment_id(), caller)


class InvocationRecorder:
    """Records finished invocations into the server's log and trace store."""

    def __init__(self, invocations: InvocationLog, traces: TraceStore) -> None:
        self.invocations = invocations
        self.traces = traces

    def finish(
        self,
        spec: FunctionSpec,
        payload: bytes,
        result: InvocationResult,
        *,
        source: str,
        trace: TraceContext,
        started_at: float,
    ) -> None:
        """Keep the invocation's record and its function's segment; never raises into
        the invocation's caller (the console is a spectator)."""
        failed = result.status is not InvocationStatus.OK
        record = InvocationRecord(
            function=spec.name,
            request_id=result.request_id,
            source=source,
            status=result.status.value,
            started_at=started_at,
            duration_ms=result.duration_ms,
            billed_ms=max(math.ceil(result.duration_ms), 1),
            memory_size_mb=spec.memory_size,
            max_memory_used_mb=result.max_memory_used_mb,
            init_duration_ms=result.init_duration_ms,
            event=_text(payload),
            answer=_text(result.payload),
            logs=clip(result.log),
            trace_id=trace.root,
            error=_error(result.payload) if failed else None,
        )
        self.invocations.add(record)
        self.traces.add(_function_segment(spec, result, trace, started_at, record.error))


def _text(data: bytes) -> str:
    return clip(data.decode("utf-8", "replace"))


def _error(payload: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _function_segment(
    spec: FunctionSpec,
    result: InvocationResult,
    trace: TraceContext,
    started_at: float,
    error: dict[str, Any] | None,
) -> dict[str, Any]:
    """The function's segment as Lambda sends it: named after the deployed function, its
    id the Parent the runtime was given (so the SDK's subsegments hang below it)."""
    segment: dict[str, Any] = {
        "name": spec.resource_name,
        "id": trace.segment_id,
        "trace_id": trace.root,
        "start_time": started_at,
        "end_time": time.time(),  # init included, as Lambda's segment spans it
        "origin": "AWS::Lambda::Function",
        "aws": {"request_id": result.request_id, "function": spec.name},
    }
    if trace.caller is not None:
        segment["parent_id"] = trace.caller
    if result.status is InvocationStatus.ERROR:
        # The handler raised: X-Ray marks the function's segment with an error and the
        # exception it recorded.
        segment["error"] = True
        segment["cause"] = {"exceptions": [_exception(error)]}
    elif result.status is not InvocationStatus.OK:
        segment["fault"] = True  # the runtime itself failed: timeout, memory, crash
        segment["cause"] = {"exceptions": [_exception(error)]}
    return segment


def _exception(error: dict[str, Any] | None) -> dict[str, Any]:
    error = error or {}
    return {
        "id": new_segment_id(),
        "type": str(error.get("errorType", "")),
        "message": str(error.get("errorMessage", "")),
    }
