"""`app.metrics`: CloudWatch metrics written as Embedded Metric Format (EMF) log lines.

`app.metrics.put(name, value, unit, **dimensions)` checks its input at once and adds
the value to the invocation's batch; the batch is written to stdout when the handler
returns or raises (`Observer.run`), one EMF document per dimension set, within EMF's
limits (100 metrics a document, 100 values a metric, 30 dimensions). CloudWatch Logs
turns each document into metrics. Outside a handler call a put is written at once; in
the call during which `app.metrics` was first used (before the app observed its calls)
puts are held and written when that call ends (`hold` / `release`, driven by the app).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from typing import Any

from ._invocation import current_invocation

__all__ = ["UNITS", "MetricBatch", "Metrics"]

# CloudWatch's metric units (the StandardUnit of PutMetricData and of EMF).
UNITS = frozenset(
    (
        "Seconds", "Microseconds", "Milliseconds",
        "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
        "Percent", "Count",
        "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
        "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
        "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    )
)  # fmt: skip
MAX_METRICS_PER_DOCUMENT = 100  # EMF: a MetricDirective holds at most 100 metrics
MAX_VALUES_PER_METRIC = 100  # EMF: a metric's value array holds at most 100 values
MAX_DIMENSIONS = 30  # EMF: a dimension set holds at most 30 keys
MAX_NAME_LENGTH = 255  # CloudWatch: metric and dimension names
MAX_DIMENSION_VALUE_LENGTH = 1024  # CloudWatch: a dimension value
# Lambda's application log levels above INFO, which drop a JSON line without "level".
_ABOVE_INFO = frozenset(("WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"))


class Metrics:
    """The app's metrics: `put` them during an invocation; they are written when it ends."""

    def __init__(self, namespace: str) -> None:
        self._namespace = _checked_namespace(namespace)
        self._held: MetricBatch | None = None  # puts of an unobserved call, until it ends

    @property
    def namespace(self) -> str:
        """The CloudWatch namespace of every metric put (default: the app's name)."""
        return self._namespace

    @namespace.setter
    def namespace(self, value: str) -> None:
        self._namespace = _checked_namespace(value)

    def put(self, name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
        """Add one value of metric `name`, under these dimensions, to this invocation's batch."""
        _check_metric(name, value, unit)
        dimension_set = _checked_dimensions(dimensions, name)
        invocation = current_invocation.get()
        if invocation is None:  # no observed invocation (a script, the ASGI door): now
            held = self._held
            if held is not None:  # the call that first used app.metrics: at its end
                held.add(name, value, unit, dimension_set)
                return
            batch = MetricBatch(self)
            batch.add(name, value, unit, dimension_set)
            batch.flush()
            return
        if invocation.metrics is None:
            invocation.metrics = MetricBatch(self)
        invocation.metrics.add(name, value, unit, dimension_set)

    def hold(self) -> None:
        """Keep puts made outside an observed invocation until `release`: the app calls
        it when `app.metrics` is first used inside a handler call it did not observe."""
        if self._held is None:
            self._held = MetricBatch(self)

    def release(self) -> None:
        """Write what `hold` kept, as that call ends; later puts go as before."""
        held, self._held = self._held, None
        if held is not None:
            held.flush()


class MetricBatch:
    """One invocation's metrics by dimension set, until `flush` writes them."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        # dimension set -> metric name -> (unit, values); a lock for a view's own threads
        self._groups: dict[tuple[tuple[str, str], ...], dict[str, tuple[str, list[float]]]] = {}
        self._lock = threading.Lock()

    def add(
        self, name: str, value: float, unit: str, dimensions: tuple[tuple[str, str], ...]
    ) -> None:
        with self._lock:
            group = self._groups.setdefault(dimensions, {})
            known = group.get(name)
            if known is None:
                group[name] = (unit, [value])
            elif known[0] != unit:
                raise ValueError(
                    f"Metric {name!r} was put with unit {known[0]!r} and now {unit!r}; "
                    "CloudWatch keeps one unit per metric and dimension set"
                )
            else:
                known[1].append(value)

    def documents(self, timestamp_ms: int | None = None) -> list[dict[str, Any]]:
        """The EMF documents of what was put, each within EMF's limits."""
        if timestamp_ms is None:
            timestamp_ms = int(time.time() * 1000)
        namespace = self._metrics.namespace
        level = _log_level_member()
        documents = []
        with self._lock:
            groups = list(self._groups.items())
        for dimensions, metrics in groups:
            for chunk in _chunks(metrics):
                directive = {
                    "Namespace": namespace,
                    "Dimensions": [[key for key, _ in dimensions]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, (unit, _) in chunk],
                }
                document: dict[str, Any] = {
                    "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]}
                }
                document.update(dimensions)
                for name, (_, values) in chunk:
                    document[name] = values[0] if len(values) == 1 else values
                if level is not None and "level" not in document:
                    document["level"] = level
                documents.append(document)
        return documents

    def flush(self) -> None:
        """Write the documents to stdout, one a line (CloudWatch Logs reads each line)."""
        documents = self.documents()
        with self._lock:
            self._groups.clear()
        if documents:
            lines = "".join(json.dumps(d, separators=(",", ":")) + "\n" for d in documents)
            sys.stdout.write(lines)
            sys.stdout.flush()


def _log_level_member() -> str | None:
    """The "level" an EMF line carries so Lambda's log-level filtering keeps it, or None.

    With JSON logs and an application log level (AWS_LAMBDA_LOG_LEVEL, set only in JSON
    mode), Lambda gives a JSON line without "level" the level INFO, and drops it when the
    level is WARN, ERROR or FATAL: the metrics would be lost. A line at the threshold
    itself passes; EMF reads the extra member as a plain log property. At INFO and below
    nothing is added (the line passes as INFO).
    """
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    return level if level in _ABOVE_INFO else None


def _chunks(
    metrics: dict[str, tuple[str, list[float]]],
) -> list[list[tuple[str, tuple[str, list[float]]]]]:
    """Split a dimension set's metrics so no document has more than 100 metrics, nor a
    metric more than 100 values (a metric's further values go in further documents)."""
    pending = [(name, unit, values) for name, (unit, values) in metrics.items()]
    chunks: list[list[tuple[str, tuple[str, list[float]]]]] = []
    offset = 0
    while pending:
        row = [
            (name, (unit, values[offset : offset + MAX_VALUES_PER_METRIC]))
            for name, unit, values in pending
        ]
        for start in range(0, len(row), MAX_METRICS_PER_DOCUMENT):
            chunks.append(row[start : start + MAX_METRICS_PER_DOCUMENT])
        offset += MAX_VALUES_PER_METRIC
        pending = [item for item in pending if len(item[2]) > offset]
    return chunks


def _check_metric(name: object, value: object, unit: object) -> None:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"A metric name is a string of 1 to 255 characters, not {name!r}")
    if name.isspace():
        raise ValueError(f"A metric name needs a character other than whitespace, not {name!r}")
    if name == "_aws":
        raise ValueError("'_aws' is EMF's own member and cannot name a metric")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Metric {name!r} needs a number as its value, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"Metric {name!r} needs a finite number, not {value!r}")
    if unit not in UNITS:
        raise ValueError(
            f"Metric {name!r} has unit {unit!r}, which CloudWatch does not know; use one of "
            + ", ".join(sorted(UNITS))
        )


def _checked_dimensions(dimensions: dict[str, Any], metric: str) -> tuple[tuple[str, str], ...]:
    if len(dimensions) > MAX_DIMENSIONS:
        raise ValueError(
            f"Metric {metric!r} has {len(dimensions)} dimensions; EMF allows {MAX_DIMENSIONS}"
        )
    for key, value in dimensions.items():
        problem = _dimension_text_problem(key, MAX_NAME_LENGTH)
        if problem is None and key.startswith(":"):
            problem = "starts with ':', which CloudWatch reserves"
        if problem is not None:
            raise ValueError(f"Dimension name {key!r} of metric {metric!r} {problem}")
        if key == metric or key == "_aws":
            raise ValueError(
                f"Dimension {key!r} of metric {metric!r} has the name of a metric or of "
                "EMF's '_aws' member: both would be the same member of the document"
            )
        problem = _dimension_text_problem(value, MAX_DIMENSION_VALUE_LENGTH)
        if problem is not None:
            raise ValueError(
                f"Dimension {key!r} of metric {metric!r} has value {value!r}, which {problem}"
            )
    return tuple(sorted(dimensions.items()))


def _dimension_text_problem(text: object, limit: int) -> str | None:
    """What CloudWatch's Dimension type refuses in a name or value, or None: it must be
    1 to `limit` ASCII characters, not all whitespace, and no control characters."""
    if not isinstance(text, str):
        return "is not a string"
    if not 1 <= len(text) <= limit:
        return f"must be 1 to {limit} characters long"
    if not text.isascii():
        return "must be ASCII only"
    if text.isspace():
        return "needs a character other than whitespace"
    if not text.isprintable():  # in ASCII, only the control characters are not
        return "contains an ASCII control character"
    return None


def _checked_namespace(namespace: object) -> str:
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= MAX_NAME_LENGTH:
        raise ValueError(f"A metrics namespace is 1 to 255 characters, not {namespace!r}")
    if namespace.startswith("AWS/"):
        raise ValueError(f"Namespace {namespace!r}: 'AWS/' is reserved for AWS's own metrics")
    return namespace
