"""The X-Ray traces `chalicelike local` has seen, for the console: bounded, by trace id.

Segments come from two places: the dev server's own (the gateway's and each function's
facade segment, made as API Gateway and Lambda make theirs) and the workers' X-Ray SDK,
which sends its subsegments over UDP to the local daemon. Both are X-Ray segment
documents (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html);
the store keeps them flat (nested subsegments get their parent's id) and newest-wins by
id, since the SDK may send a document in progress and again when it closes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["TraceStore", "trace_root"]

DEFAULT_MAX_TRACES = 200
MAX_SEGMENTS_PER_TRACE = 1000


def trace_root(header: str | None) -> str | None:
    """The Root of an X-Ray trace header ('Root=1-...;Parent=...;Sampled=1'), or None."""
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root" and value:
            return value
    return None


class TraceStore:
    """The newest `max_traces` traces, each a flat list of segment documents."""

    def __init__(self, max_traces: int = DEFAULT_MAX_TRACES) -> None:
        self._traces: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
        self._max_traces = max_traces

    def add(self, document: dict[str, Any]) -> bool:
        """Keep one segment document (and its nested subsegments); False when it is no
        segment (no string trace_id and id): the caller logs what it dropped."""
        trace_id = document.get("trace_id")
        if not isinstance(trace_id, str) or not isinstance(document.get("id"), str):
            return False
        segments = self._traces.get(trace_id)
        if segments is None:
            segments = self._traces[trace_id] = {}
            while len(self._traces) > self._max_traces:
                self._traces.popitem(last=False)
        else:
            self._traces.move_to_end(trace_id)
        self._keep(segments, trace_id, document, document.get("parent_id"))
        return True

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
        segments = self._traces.get(trace_id)
        if segments is None:
            return None
        return sorted(segments.values(), key=lambda s: _number(s.get("start_time")))

    def trace_ids(self) -> list[str]:
        """Held traces, newest first."""
        return list(reversed(self._traces))

    def __len__(self) -> int:
        return len(self._traces)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0
