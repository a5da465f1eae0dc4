"""What the local Lambda tells the console about each invocation: its record and its
function's X-Ray segment.

The pool (or the in-process runner) asks `begin_trace` for the header to give the
runtime, then hands the result to `InvocationRecorder.finish`, which adds an
`InvocationRecord` to the `InvocationLog` and the function's segment to the `TraceStore`,
as Lambda makes it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from ._invocation import FunctionSpec, InvocationResult, InvocationStatus
from ._invocation_log import InvocationLog, InvocationRecord, clip
from ._platform_logs import billed_ms
from ._trace_segments import function_segment, new_segment_id, new_trace_root, parse_header
from ._traces import TraceStore

__all__ = ["InvocationRecorder", "TraceContext", "begin_trace"]

logger = logging.getLogger("chalicelike.local")

# Lambda's error document is the function's to write: a 5 MB errorMessage would otherwise be
# kept whole in the ring, in every stream summary and in the function's segment. Each part
# is cut, so a record stays bounded however the function failed.
MAX_ERROR_TYPE_CHARS = 256
MAX_ERROR_MESSAGE_CHARS = 8 * 1024
MAX_STACK_ENTRY_CHARS = 1024
MAX_STACK_ENTRIES = 64  # the first and last halves: where it began and where it raised


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
        try:
            self._keep(spec, payload, result, source, trace, started_at)
        except Exception:  # a console subscriber's bug must not fail an invocation
            logger.exception("chalicelike local: recording invocation %s failed", result.request_id)

    def _keep(
        self,
        spec: FunctionSpec,
        payload: bytes,
        result: InvocationResult,
        source: str,
        trace: TraceContext,
        started_at: float,
    ) -> None:
        failed = result.status is not InvocationStatus.OK
        record = InvocationRecord(
            function=spec.name,
            request_id=result.request_id,
            source=source,
            status=result.status.value,
            started_at=started_at,
            duration_ms=result.duration_ms,
            billed_ms=billed_ms(result.duration_ms),
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
        segment = function_segment(
            name=spec.resource_name,
            segment_id=trace.segment_id,
            root=trace.root,
            parent_id=trace.caller,
            start_time=started_at,
            request_id=result.request_id,
            function=spec.name,
            status=record.status,
            error=record.error,
        )
        self.traces.add(segment)


def _text(data: bytes) -> str:
    return clip(data.decode("utf-8", "replace"))


def _error(payload: bytes) -> dict[str, Any] | None:
    """Lambda's error document (errorType, errorMessage, stackTrace), each part cut; other
    fields the function put there are not kept."""
    try:
        # NaN and Infinity become null: the console's JSON answers never carry them.
        document = json.loads(payload, parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    error: dict[str, Any] = {}
    for name, limit in (
        ("errorType", MAX_ERROR_TYPE_CHARS),
        ("errorMessage", MAX_ERROR_MESSAGE_CHARS),
    ):
        if document.get(name) is not None:
            error[name] = clip(_as_text(document[name]), limit)
    if isinstance(document.get("stackTrace"), list):
        error["stackTrace"] = _clip_stack(document["stackTrace"])
    return error


def _clip_stack(entries: list[Any]) -> list[str]:
    kept = [clip(_as_text(entry), MAX_STACK_ENTRY_CHARS) for entry in _ends(entries)]
    left_out = len(entries) - MAX_STACK_ENTRIES
    if left_out > 0:
        kept.insert(MAX_STACK_ENTRIES // 2, f"... [{left_out} more entries not kept]\n")
    return kept


def _ends(entries: list[Any]) -> list[Any]:
    if len(entries) <= MAX_STACK_ENTRIES:
        return entries
    half = MAX_STACK_ENTRIES // 2
    return entries[:half] + entries[-half:]


def _as_text(value: Any) -> str:
    # Python's runtime writes strings; another runtime (or a hand-made document) may not.
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return f"<a {type(value).__name__}>"
