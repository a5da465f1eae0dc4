"""The X-Ray traces `chalicelike local` has seen, for the console: bounded, by trace id.

Segments come from two places: the dev server's own (the gateway's and each function's
facade segment, made as API Gateway and Lambda make theirs) and the workers' X-Ray SDK,
which sends its subsegments over UDP to the local daemon. Both are X-Ray segment
documents (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html);
the store keeps them flat (nested subsegments get their parent's id) and newest-wins by
id, since the SDK may send a document in progress and again when it closes.

Memory stays bounded by count (traces, segments per trace) and by bytes: each document is
charged its size as received (the daemon knows each datagram's; the server's own, small,
are estimated), resends included, so what a trace holds never exceeds what it was charged.
A trace over its budget takes no more documents; past the total, the oldest traces go.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TraceStore"]

DEFAULT_MAX_TRACES = 200
MAX_SEGMENTS_PER_TRACE = 1000
# A local process flooding the daemon with 64 KB datagrams would otherwise hold 200 traces x
# 1,000 segments x 64 KB (~13 GB). A traced request's segments are a few KB each.
DEFAULT_MAX_TRACE_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024


@dataclass
class _Trace:
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    charged: int = 0  # bytes of every document received for it, resends included


class TraceStore:
    """The newest `max_traces` traces, each a flat list of segment documents, within
    `max_trace_bytes` each and `max_total_bytes` in all."""

    def __init__(
        self,
        max_traces: int = DEFAULT_MAX_TRACES,
        *,
        max_trace_bytes: int = DEFAULT_MAX_TRACE_BYTES,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    ) -> None:
        self._traces: OrderedDict[str, _Trace] = OrderedDict()
        self._max_traces = max_traces
        self._max_trace_bytes = min(max_trace_bytes, max_total_bytes)
        self._max_total_bytes = max_total_bytes
        self._total_bytes = 0

    @property
    def total_bytes(self) -> int:
        """What the held traces were charged."""
        return self._total_bytes

    def add(self, document: dict[str, Any], size: int | None = None) -> bool:
        """`keep`, True when kept."""
        return self.keep(document, size) is None

    def keep(self, document: dict[str, Any], size: int | None = None) -> str | None:
        """Keep one segment document (and its nested subsegments), `size` bytes as received
        (None: estimated); None when kept, else why not (the caller logs what it dropped)."""
        trace_id = document.get("trace_id")
        if not isinstance(trace_id, str) or not isinstance(document.get("id"), str):
            return "no trace_id and id"
        size = estimate_size(document) if size is None else size
        trace = self._traces.get(trace_id)
        if trace is not None and trace.charged + size > self._max_trace_bytes:
            return f"its trace is over its {self._max_trace_bytes}-byte budget"
        if size > self._max_trace_bytes:
            return f"it is over a trace's {self._max_trace_bytes}-byte budget"
        if trace is None:
            trace = self._traces[trace_id] = _Trace()
        else:
            self._traces.move_to_end(trace_id)
        trace.charged += size
        self._total_bytes += size
        self._evict()
        self._keep(trace.segments, trace_id, document, document.get("parent_id"))
        return None

    def _evict(self) -> None:
        # The oldest go first; never the newest (the one just added to), which fits alone.
        while len(self._traces) > self._max_traces or (
            self._total_bytes > self._max_total_bytes and len(self._traces) > 1
        ):
            _, oldest = self._traces.popitem(last=False)
            self._total_bytes -= oldest.charged

    def _keep(
        self,
        segments: dict[str, dict[str, Any]],
        trace_id: str,
        document: dict[str, Any],
        parent_id: Any,
    ) -> None:
        flat = {key: value for key, value in document.items() if key != "subsegments"}
        flat["trace_id"] = trace_id
        if isinstance(parent_id, str):
            flat["parent_id"] = parent_id
        if document["id"] in segments or len(segments) < MAX_SEGMENTS_PER_TRACE:
            segments[document["id"]] = flat
        for child in document.get("subsegments") or ():
            if isinstance(child, dict) and isinstance(child.get("id"), str):
                self._keep(segments, trace_id, child, document["id"])

    def trace(self, trace_id: str) -> list[dict[str, Any]] | None:
        """The trace's segments, earliest start first; None for a trace not held."""
        trace = self._traces.get(trace_id)
        if trace is None:
            return None
        return sorted(trace.segments.values(), key=lambda s: _number(s.get("start_time")))

    def trace_ids(self) -> list[str]:
        """Held traces, newest first."""
        return list(reversed(self._traces))

    def __len__(self) -> int:
        return len(self._traces)


def estimate_size(value: Any, depth: int = 0) -> int:
    """About the bytes of `value` as JSON, without writing it: for the server's own
    segments (a dozen fields; a request's URL and user agent the largest), on every
    request's path, where json.dumps would cost more."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, dict) and depth < 8:
        return sum(len(key) + 4 + estimate_size(item, depth + 1) for key, item in value.items())
    if isinstance(value, list) and depth < 8:
        return sum(estimate_size(item, depth + 1) + 1 for item in value) + 2
    return 24  # a number, true/false/null; or what lies deeper than the server writes


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0
