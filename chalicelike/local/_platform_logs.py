"""Lambda's system log lines for one invocation, in its function's log format.

Text (Lambda's default): START / END / REPORT and the failure lines. JSON (`log_format`
JSON): one record a line, shaped as Lambda's Telemetry API events. The worker pool and the
in-process runner say what happened when; `SystemLog` writes the lines for it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from .._tooling._settings import XRAY_VARIABLE
from ._invocation import FunctionSpec, InvocationResult, InvocationStatus

__all__ = ["SystemLog", "billed_ms", "lambda_time", "logs_json", "report_line"]

VERSION = "$LATEST"  # the only version the dev server runs

# platform.report's `status` for each ending (Telemetry API Status: success | failure |
# error | timeout). `failure` and `error` carry an errorType, `timeout` none.
_REPORT_STATUS = {
    InvocationStatus.OK: "success",
    InvocationStatus.ERROR: "failure",  # the runtime reported the handler's error
    InvocationStatus.TIMEOUT: "timeout",
    InvocationStatus.OUT_OF_MEMORY: "error",  # Runtime.OutOfMemory
    InvocationStatus.CRASHED: "error",  # Runtime.ExitError, an init error, ...
}


def logs_json(spec: FunctionSpec) -> bool:
    """Whether the function's LoggingConfig says JSON (Lambda sets the variable from it)."""
    return spec.environment.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def lambda_time(now: float | None = None) -> str:
    """A time as Lambda writes it in logs: UTC, milliseconds, `Z` (2024-05-01T12:00:00.123Z)."""
    now = time.time() if now is None else now
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def report_line(
    request_id: str, duration_ms: float, memory_size: int, used_mb: int, init_ms: float | None
) -> str:
    """Lambda's REPORT line; Init Duration only after a cold start, billing in whole ms."""
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"
        f"\tBilled Duration: {billed_ms(duration_ms)} ms"
        f"\tMemory Size: {memory_size} MB\tMax Memory Used: {used_mb} MB"
    )
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    return report


class SystemLog:
    """One invocation's system lines, written through `write` as its phases begin and end.

    The caller says `open()` when the invocation arrives, `init_started()` before a cold
    start's init, `invoke_started()` once an environment is ready for it, and `close()` with
    its result. Text writes START at `open()` (before init output, unlike Lambda: kept as the
    dev server always wrote it); JSON writes each record when Lambda would.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        request_id: str,
        write: Callable[[str], None],
        *,
        function_arn: str | None = None,
        trace_header: str | None = None,
    ) -> None:
        self.spec = spec
        self.request_id = request_id
        self.json = logs_json(spec)
        self._write = write
        self._function_arn = function_arn
        self._trace_header = trace_header
        self._initialising = False
        self._started = False

    def open(self) -> None:
        if not self.json:
            self._write(f"START RequestId: {self.request_id} Version: {VERSION}")

    def init_started(self) -> None:
        """A new environment starts its init (Lambda's platform.initStart, JSON only)."""
        if self.json:
            self._initialising = True
            self._record(
                "platform.initStart",
                {
                    "initializationType": "on-demand",
                    "phase": "init",
                    "functionName": self.spec.resource_name,
                    "functionVersion": VERSION,
                },
            )

    def invoke_started(self) -> None:
        """The invoke phase starts (platform.start, after the init's own output)."""
        self._initialising = False
        if self.json and not self._started:
            self._started = True
            record: dict[str, object] = {"requestId": self.request_id}
            if self._function_arn is not None:
                record["functionArn"] = self._function_arn
            record["version"] = VERSION
            if self._trace_header and self.spec.environment.get(XRAY_VARIABLE) == "true":
                # Lambda adds the trace only when the function has active tracing.
                record["tracing"] = {"type": "X-Amzn-Trace-Id", "value": self._trace_header}
            self._record("platform.start", record)

    def close(
        self,
        result: InvocationResult,
        text_lines: list[str],
        duration_ms: float,
        used_mb: int,
        init_ms: float | None,
    ) -> None:
        """The invocation ended: `text_lines` (Lambda's failure lines, Text only), END
        and REPORT; in JSON an init that failed gets its platform.initReport, then
        platform.start if it never came, then platform.report."""
        if not self.json:
            for line in text_lines:
                self._write(line)
            self._write(f"END RequestId: {self.request_id}")
            memory_size = self.spec.memory_size
            self._write(report_line(self.request_id, duration_ms, memory_size, used_mb, init_ms))
            return
        status = _REPORT_STATUS[result.status]
        error_type = None if status in ("success", "timeout") else _error_type(result)
        if self._initialising:  # init failed, timed out, or its runtime could not start
            self._init_report(status, error_type, init_ms or 0.0)
        self.invoke_started()
        self._report(status, error_type, duration_ms, used_mb, init_ms)

    def _init_report(self, status: str, error_type: str | None, init_ms: float) -> None:
        record: dict[str, object] = {"initializationType": "on-demand", "phase": "init"}
        record["status"] = "timeout" if status == "timeout" else "error"
        if error_type is not None:
            record["errorType"] = error_type
        record["metrics"] = {"durationMs": round(init_ms, 3)}
        self._record("platform.initReport", record)

    def _report(
        self,
        status: str,
        error_type: str | None,
        duration_ms: float,
        used_mb: int,
        init_ms: float | None,
    ) -> None:
        metrics: dict[str, object] = {
            "durationMs": round(duration_ms, 3),
            "billedDurationMs": billed_ms(duration_ms),
            "memorySizeMB": self.spec.memory_size,
            "maxMemoryUsedMB": used_mb,
        }
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 3)
        record: dict[str, object] = {
            "requestId": self.request_id,
            "metrics": metrics,
            "status": status,
        }
        if error_type is not None:
            record["errorType"] = error_type
        self._record("platform.report", record)

    def _record(self, kind: str, record: dict[str, object]) -> None:
        # CloudWatch shows each system record as one compact JSON object.
        event = {"time": lambda_time(), "type": kind, "record": record}
        self._write(json.dumps(event, separators=(",", ":")))


def billed_ms(duration_ms: float) -> int:
    """Lambda bills whole milliseconds, rounded up, at least one."""
    return max(math.ceil(duration_ms), 1)


def _error_type(result: InvocationResult) -> str | None:
    """The errorType of the invocation's error document, if it has one."""
    try:
        document = json.loads(result.payload)
    except ValueError:
        return None
    error_type = document.get("errorType") if isinstance(document, dict) else None
    return error_type if isinstance(error_type, str) else None
