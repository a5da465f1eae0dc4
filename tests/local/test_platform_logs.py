"""SystemLog: Lambda's system lines for one invocation, in Text and in JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    error_payload,
)
from chalicelike.local._platform_logs import SystemLog, lambda_time, logs_json, report_line

REQUEST_ID = "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:app-dev-fn"
TRACE = "Root=1-62e900b2-710d76f009d6e7785905449a;Parent=0efbd19962d95b05;Sampled=1"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def spec(log_format: str | None = None, **environment: str) -> FunctionSpec:
    if log_format is not None:
        environment["AWS_LAMBDA_LOG_FORMAT"] = log_format
    return FunctionSpec(
        "fn", "app-dev-fn", "app.fn", "/tmp", memory_size=256, environment=environment
    )


def result(status: InvocationStatus, payload: bytes = b'"ok"') -> InvocationResult:
    return InvocationResult(REQUEST_ID, status, payload)


def system_log(function: FunctionSpec, **options: Any) -> tuple[SystemLog, list[str]]:
    lines: list[str] = []
    return SystemLog(function, REQUEST_ID, lines.append, **options), lines


def records(lines: list[str]) -> list[dict[str, Any]]:
    """Each line parsed: one JSON object with Lambda's envelope, its time as Lambda writes it."""
    parsed = [json.loads(line) for line in lines]
    for event in parsed:
        assert list(event) == ["time", "type", "record"]
        assert TIME.fullmatch(event["time"]), event["time"]
    return parsed


def test_text_lines_are_lambdas_byte_for_byte() -> None:
    log, lines = system_log(spec())
    log.open()
    log.init_started()  # nothing in Text: the dev server has no INIT_START line
    log.invoke_started()
    log.close(result(InvocationStatus.OK), [], 1.2345, 16, 118.3123)
    assert lines == [
        f"START RequestId: {REQUEST_ID} Version: $LATEST",
        f"END RequestId: {REQUEST_ID}",
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 1.23 ms\tBilled Duration: 2 ms"
        "\tMemory Size: 256 MB\tMax Memory Used: 16 MB\tInit Duration: 118.31 ms",
    ]


def test_text_failure_lines_come_before_end() -> None:
    log, lines = system_log(spec("Text"))
    log.open()
    log.close(
        result(InvocationStatus.CRASHED), ["RequestId: x Error: y", "Runtime.ExitError"], 0, 0, None
    )
    assert lines[1:3] == ["RequestId: x Error: y", "Runtime.ExitError"]
    assert lines[3] == f"END RequestId: {REQUEST_ID}"
    assert "Init Duration" not in lines[4]


def test_report_line_bills_at_least_one_ms() -> None:
    line = report_line(REQUEST_ID, 0.2, 128, 30, None)
    assert "\tDuration: 0.20 ms\tBilled Duration: 1 ms\t" in line
    assert line.endswith("Max Memory Used: 30 MB")


def test_json_cold_start_writes_lambdas_records() -> None:
    log, lines = system_log(spec("JSON"), function_arn=ARN, trace_header=TRACE)
    log.open()
    log.init_started()
    lines.append("init output")  # the function's own, between the records
    log.invoke_started()
    log.close(result(InvocationStatus.OK), ["not in JSON"], 693.9234, 84, 397.6789)
    init_start, start, report = records([lines[0], *lines[2:]])
    assert lines[1] == "init output" and len(lines) == 4
    assert (init_start["type"], init_start["record"]) == (
        "platform.initStart",
        {
            "initializationType": "on-demand",
            "phase": "init",
            "functionName": "app-dev-fn",
            "functionVersion": "$LATEST",
        },
    )
    assert (start["type"], start["record"]) == (
        "platform.start",
        {"requestId": REQUEST_ID, "functionArn": ARN, "version": "$LATEST"},
    )
    assert (report["type"], report["record"]) == (
        "platform.report",
        {
            "requestId": REQUEST_ID,
            "metrics": {
                "durationMs": 693.923,
                "billedDurationMs": 694,
                "memorySizeMB": 256,
                "maxMemoryUsedMB": 84,
                "initDurationMs": 397.679,
            },
            "status": "success",
        },
    )
    assert all(" " not in line for line in (lines[0], *lines[2:]))  # compact, one a line


def test_json_warm_invocation_has_start_and_report_only() -> None:
    log, lines = system_log(spec("json"))  # Lambda's value is JSON; any case reads as it
    log.open()
    log.invoke_started()
    log.invoke_started()  # once only
    log.close(result(InvocationStatus.OK), [], 3.0, 40, None)
    start, report = records(lines)
    assert start["record"] == {"requestId": REQUEST_ID, "version": "$LATEST"}
    assert "initDurationMs" not in report["record"]["metrics"]


@pytest.mark.parametrize(
    ("status", "payload", "reported", "error_type"),
    [
        (InvocationStatus.ERROR, error_payload("boom", "ValueError"), "failure", "ValueError"),
        (InvocationStatus.TIMEOUT, error_payload("t", "Sandbox.Timedout"), "timeout", None),
        (
            InvocationStatus.OUT_OF_MEMORY,
            error_payload("k", "Runtime.OutOfMemory"),
            "error",
            "Runtime.OutOfMemory",
        ),
        (
            InvocationStatus.CRASHED,
            error_payload("x", "Runtime.ExitError"),
            "error",
            "Runtime.ExitError",
        ),
        (InvocationStatus.CRASHED, b"not json", "error", None),
        (InvocationStatus.ERROR, b'["no", "document"]', "failure", None),
    ],
)
def test_json_report_says_how_it_ended(
    status: InvocationStatus, payload: bytes, reported: str, error_type: str | None
) -> None:
    log, lines = system_log(spec("JSON"))
    log.open()
    log.invoke_started()
    log.close(result(status, payload), ["Task timed out after 3.00 seconds"], 3000.0, 60, None)
    _, report = records(lines)  # no text line: the report carries it
    assert report["record"]["status"] == reported
    assert report["record"].get("errorType") == error_type


def test_json_failed_init_reports_it_before_start_and_report() -> None:
    log, lines = system_log(spec("JSON"))
    log.open()
    log.init_started()
    document = error_payload("Unable to import module 'app'", "Runtime.ImportModuleError")
    log.close(result(InvocationStatus.CRASHED, document), [], 0.0, 0, 87.1234)
    kinds = [event["type"] for event in records(lines)]
    assert kinds == [
        "platform.initStart",
        "platform.initReport",
        "platform.start",
        "platform.report",
    ]
    init_report = records(lines)[1]["record"]
    assert init_report == {
        "initializationType": "on-demand",
        "phase": "init",
        "status": "error",
        "errorType": "Runtime.ImportModuleError",
        "metrics": {"durationMs": 87.123},
    }


def test_json_init_timeout_has_no_error_type() -> None:
    log, lines = system_log(spec("JSON"))
    log.init_started()
    log.close(result(InvocationStatus.TIMEOUT), [], 0.0, 0, 10000.0)
    init_report = records(lines)[1]["record"]
    assert (init_report["status"], "errorType" in init_report) == ("timeout", False)


def test_json_start_carries_the_trace_only_with_active_tracing() -> None:
    traced, lines = system_log(spec("JSON", CHALICELIKE_XRAY="true"), trace_header=TRACE)
    traced.invoke_started()
    assert records(lines)[0]["record"]["tracing"] == {"type": "X-Amzn-Trace-Id", "value": TRACE}
    untraced, lines = system_log(spec("JSON"), trace_header=TRACE)
    untraced.invoke_started()
    assert "tracing" not in records(lines)[0]["record"]


def test_logs_json_and_lambda_time() -> None:
    assert logs_json(spec("JSON")) and not logs_json(spec("Text")) and not logs_json(spec())
    assert lambda_time(0.5) == "1970-01-01T00:00:00.500Z"
    assert TIME.fullmatch(lambda_time())
