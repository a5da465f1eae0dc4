"""The last invocations of `chalicelike local`, for the console: a bounded ring.

The local Lambda adds one `InvocationRecord` per finished invocation (whoever asked for
it: the gateway, the Invoke API, an event source, a replay); the console lists them,
streams new ones to the browser and sums them up per function. Memory stays bounded:
the ring keeps the newest `capacity` records, and each record's event, answer and log
are cut at `MAX_TEXT_CHARS`.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_CAPACITY",
    "MAX_TEXT_CHARS",
    "FunctionStats",
    "InvocationLog",
    "InvocationRecord",
    "clip",
]

MAX_TEXT_CHARS = 64 * 1024  # of an event, an answer or a log kept for the console
DEFAULT_CAPACITY = 500

Subscriber = Callable[["InvocationRecord"], None]


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text`, cut at `limit` characters with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [{len(text) - limit} more characters not kept]"


@dataclass
class InvocationRecord:
    """One finished invocation, as the console shows it (field names are its JSON's)."""

    function: str  # the function's name within the app ('api_handler', 'ingest')
    request_id: str
    source: str  # who asked: 'GET /orders/{id}', 'invoke', 'sqs:orders', 'replay', ...
    status: str  # an InvocationStatus value: ok, error, timeout, out_of_memory, crashed
    started_at: float  # epoch seconds
    duration_ms: float
    billed_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None  # set on a cold start only, as Lambda's REPORT line
    event: str  # the payload as sent (JSON text, clipped)
    answer: str  # the response payload, or Lambda's error document (clipped)
    logs: str  # START ... REPORT, as `LogType=Tail` returns it (clipped)
    trace_id: str | None = None  # the X-Ray trace's Root ('1-5f8a...-...'), if traced
    error: dict[str, Any] | None = None  # errorType / errorMessage / stackTrace on failure
    id: str = ""  # the ring's own id, given by `InvocationLog.add`
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "function": self.function,
            "request_id": self.request_id,
            "source": self.source,
            "status": self.status,
            "started_at": self.started_at,
            "duration_ms": round(self.duration_ms, 2),
            "billed_ms": self.billed_ms,
            "memory_size_mb": self.memory_size_mb,
            "max_memory_used_mb": self.max_memory_used_mb,
            "init_duration_ms": (
                None if self.init_duration_ms is None else round(self.init_duration_ms, 2)
            ),
            "cold_start": self.init_duration_ms is not None,
            "event": self.event,
            "answer": self.answer,
            "logs": self.logs,
            "trace_id": self.trace_id,
            "error": self.error,
            **self.extra,
        }


@dataclass
class FunctionStats:
    """One function's invocations among those the ring still holds."""

    invocations: int = 0
    errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "invocations": self.invocations,
            "errors": self.errors,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
        }


class InvocationLog:
    """The newest `capacity` invocations, newest last; subscribers hear of each new one."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self._records: deque[InvocationRecord] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._subscribers: list[Subscriber] = []

    def add(self, record: InvocationRecord) -> InvocationRecord:
        record.id = str(next(self._ids))
        self._records.append(record)
        for subscriber in list(self._subscribers):
            subscriber(record)
        return record

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with each new record (on the server's loop); returns the
        function that unsubscribes. A subscriber must not block: queue and return."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def get(self, record_id: str) -> InvocationRecord | None:
        return next((r for r in self._records if r.id == record_id), None)

    def newest(
        self, *, function: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[InvocationRecord]:
        """Newest first, filtered by function name and status when given."""
        found: list[InvocationRecord] = []
        for record in reversed(self._records):
            if function is not None and record.function != function:
                continue
            if status is not None and record.status != status:
                continue
            found.append(record)
            if len(found) >= limit:
                break
        return found

    def stats(self) -> dict[str, FunctionStats]:
        """Per function: invocations, errors, p50 and p99 duration (nearest rank)."""
        durations: dict[str, list[float]] = {}
        stats: dict[str, FunctionStats] = {}
        for record in self._records:
            entry = stats.setdefault(record.function, FunctionStats())
            entry.invocations += 1
            if record.status != "ok":
                entry.errors += 1
            durations.setdefault(record.function, []).append(record.duration_ms)
        for name, values in durations.items():
            stats[name].p50_ms = _percentile(values, 50)
            stats[name].p99_ms = _percentile(values, 99)
        return stats

    def __len__(self) -> int:
        return len(self._records)

    @property
    def capacity(self) -> int:
        """How many records the ring keeps (the newest)."""
        maxlen = self._records.maxlen
        return DEFAULT_CAPACITY if maxlen is None else maxlen


def _percentile(values: Iterable[float], percent: float) -> float:
    ordered = sorted(values)
    rank = max(math.ceil(percent / 100 * len(ordered)), 1)
    return round(ordered[rank - 1], 2)
