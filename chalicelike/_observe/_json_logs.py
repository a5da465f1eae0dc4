"""`app.log` as one JSON object a line, in the shape of Lambda's own JSON logs for Python.

On when AWS_LAMBDA_LOG_FORMAT is "JSON" (Lambda sets it from the function's LoggingConfig;
`chalicelike local` from config `log_format`). Each line carries timestamp, level,
message, logger, requestId, function and xray_trace_id (from the invocation being
handled), the record's `extra=` fields, and on exceptions errorType, errorMessage,
stackTrace and location, as Lambda's runtime writes them.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from typing import Any

from .._core import _context
from ._invocation import TRACE_HEADER_ENV, current_invocation, trace_root

__all__ = ["JsonFormatter", "lambda_log_level"]

LOG_LEVEL_ENV = "AWS_LAMBDA_LOG_LEVEL"

# Lambda's application log levels, as logging's (TRACE and FATAL have no twin there).
_LAMBDA_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "CRITICAL": logging.CRITICAL,
}

# What every LogRecord has, and the fields written here: anything else on a record came
# from `extra=` and is written as given, never in place of one of these.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName",
    "timestamp", "level", "logger", "requestId", "function", "xray_trace_id",
    "errorType", "errorMessage", "stackTrace", "location", "stackInfo",
}  # fmt: skip


def lambda_log_level(env: Any = os.environ) -> int | None:
    """The level AWS_LAMBDA_LOG_LEVEL names, None when unset; ValueError when unknown."""
    value = env.get(LOG_LEVEL_ENV)
    if not value:
        return None
    level = _LAMBDA_LEVELS.get(str(value).upper())
    if level is None:
        raise ValueError(
            f"{LOG_LEVEL_ENV}={value!r} is not a Lambda log level; use one of "
            "TRACE, DEBUG, INFO, WARN, ERROR, FATAL"
        )
    return level


class JsonFormatter(logging.Formatter):
    """One JSON object per record; fields Lambda's Python runtime writes, and ours."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            name: value for name, value in record.__dict__.items() if name not in _RECORD_FIELDS
        }
        document.update(
            timestamp=_timestamp(record.created),
            level=record.levelname,
            message=record.getMessage(),
            logger=record.name,
        )
        document.update(_invocation_fields())
        if record.exc_info and record.exc_info[1] is not None:
            error_type, error, tb = record.exc_info
            document.update(
                errorType=getattr(error_type, "__name__", str(error_type)),
                errorMessage=str(error),
                stackTrace=traceback.format_tb(tb),
                location=f"{record.pathname}:{record.funcName}:{record.lineno}",
            )
        elif record.stack_info:
            document["stackInfo"] = record.stack_info
        try:
            return json.dumps(document, default=str, ensure_ascii=False)
        except (TypeError, ValueError):  # a dict of non-string keys, a circular value
            return json.dumps({k: _safe(v) for k, v in document.items()}, ensure_ascii=False)


def _invocation_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    invocation = current_invocation.get()
    if invocation is not None:
        request_id, trace_id = invocation.request_id, invocation.trace_id
        fields["function"] = invocation.function
    else:  # logged outside an observed call: what the Lambda context and runtime say
        request_id = getattr(_context.lambda_context.get(), "aws_request_id", None)
        trace_id = trace_root(os.environ.get(TRACE_HEADER_ENV))
    if request_id:
        fields["requestId"] = request_id
    if trace_id:
        fields["xray_trace_id"] = trace_id
    return fields


def _timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as Lambda's JSON logs write it."""
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _safe(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value
