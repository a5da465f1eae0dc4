"""`app.log` as one JSON object a line, in the shape of Lambda's own JSON logs for Python.

On when AWS_LAMBDA_LOG_FORMAT is "JSON" (Lambda sets it from the function's LoggingConfig;
`chalicelike local` from config `log_format`). Each line carries timestamp, level,
message, logger, requestId, function and xray_trace_id (from the invocation being
handled), the record's `extra=` fields, and on exceptions errorType, errorMessage,
stackTrace and location, as Lambda's runtime writes them. A dict logged alone stays a
JSON object in "message", as Lambda's runtime keeps it.
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
            # As Lambda's runtime: a dict logged without arguments stays a JSON object.
            message=record.msg
            if isinstance(record.msg, dict) and not record.args
            else record.getMessage(),
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
            line = json.dumps(document, default=str, ensure_ascii=False)
        except (TypeError, ValueError):  # a dict of non-string keys, a circular value
            document = {k: _safe(v) for k, v in document.items()}
            line = json.dumps(document, ensure_ascii=False)
        return line if _writable(line) else json.dumps(document, default=str)


def _writable(line: str) -> bool:
    """Whether the line can be written as UTF-8 (Lambda's stdout): non-ASCII stays readable
    (and half the bytes of its escapes), but a lone surrogate ('\\ud800', from a decoded
    filename, say) would make logging drop the whole line; then everything is escaped."""
    if line.isascii():
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _invocation_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    invocation = current_invocation.get()
    if invocation is not None:
        request_id, trace_id = invocation.request_id, invocation.trace_id
        fields["function"] = invocation.function
    else:  # logged outside an observed call: what the Lambda context and runtime say
        request_id = getattr(_context.current_lambda_context(), "aws_request_id", None)
        trace_id = trace_root(os.environ.get(TRACE_HEADER_ENV))
    if request_id:
        fields["requestId"] = request_id
    if trace_id:
        fields["xray_trace_id"] = trace_id
    return fields


def _timestamp(created: float) -> str:
    """RFC 3339 in UTC with milliseconds ('2023-10-27T19:17:45.586Z'), the form Lambda's
    Python logging docs show. Lambda's runtime (awslambdaric 4.2.2) writes whole seconds
    ('%Y-%m-%dT%H:%M:%SZ'); both are RFC 3339, which Lambda's log-level filtering reads,
    and milliseconds keep the order of the lines of one second."""
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _safe(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value
