"""How `chalicelike logs` reads `--since` and prints a CloudWatch Logs event: one
`<UTC time> <stream id> <message>` line, the level coloured when a person is reading.

No I/O and no boto3: `_logs` fetches the events, this module only turns them into text.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ._session import DeployError

__all__ = ["LineFormatter", "parse_since", "short_stream_id"]

_RELATIVE = re.compile(r"(?P<amount>\d+)(?P<unit>[smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SINCE_FORMS = "30s, 10m, 2h, 1d or an ISO 8601 time such as 2026-01-31T09:30:00Z"

# Lambda's own lines in the Text log format (its Runtime and Extensions APIs write them,
# not the function): START/END/REPORT each invocation, INIT_* and RESTORE_* per environment.
_PLATFORM_TEXT = re.compile(
    r"(START|END|REPORT|INIT_START|INIT_REPORT|RESTORE_START|RESTORE_REPORT|EXTENSION|TELEMETRY)"
    r"\b"
)
# The Python runtime's Text format starts each logged record with `[LEVEL]\t`.
_TEXT_LEVEL = re.compile(r"\[(CRITICAL|ERROR|WARNING|WARN|INFO|DEBUG|TRACE|FATAL)\]")

_RESET = "\033[0m"
_DIM = "\033[2m"
_LEVEL_COLOURS = {
    "FATAL": "\033[1;31m",
    "CRITICAL": "\033[1;31m",
    "ERROR": "\033[31m",
    "WARNING": "\033[33m",
    "WARN": "\033[33m",
    "INFO": "\033[32m",
    "DEBUG": "\033[36m",
    "TRACE": "\033[36m",
}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`--since`: an age (`30s`, `10m`, `2h`, `1d`) before `now`, or an ISO 8601 time.

    An ISO time without an offset is read as UTC, the zone every printed line is in."""
    now = now or datetime.now(timezone.utc)
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        seconds = int(relative["amount"]) * _UNIT_SECONDS[relative["unit"]]
        return now - timedelta(seconds=seconds)
    iso = text.strip()
    # datetime.fromisoformat takes a trailing Z only from Python 3.11.
    if iso[-1:] in ("Z", "z"):
        iso = iso[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise DeployError(f"--since takes {SINCE_FORMS}; got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def short_stream_id(stream: str) -> str:
    """Lambda names a stream `2026/01/31/[$LATEST]<32 hex>` (or `[<version>]`): the first
    six hex digits tell an environment apart, as `chalice logs` shows them."""
    _, bracket, rest = stream.partition("]")
    return rest[:6] if bracket and rest else stream


class LineFormatter:
    """Turns one `filter_log_events` event into printable text; `colour` only for a tty."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def format(self, event: dict[str, Any]) -> str:
        moment = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        stream = short_stream_id(event.get("logStreamName", ""))
        message = self._paint(event.get("message", "").rstrip("\r\n"))
        # The Python runtime joins a traceback's lines with \r to keep it one event; printed
        # raw, each \r would overwrite the line before it on a terminal.
        message = re.sub(r"\r\n?|\n", "\n    ", message)
        return f"{stamp} {stream} {message}"

    def _paint(self, message: str) -> str:
        if not self.colour:
            return message
        document = _json_document(message)
        kind, level = (str(document.get(key, "")) for key in ("type", "level"))
        if _PLATFORM_TEXT.match(message) or kind.startswith("platform."):
            return f"{_DIM}{message}{_RESET}"
        level = level.upper()
        if level in _LEVEL_COLOURS:
            # Colour the value where it sits: `"level": "ERROR"` keeps its place in the line.
            found = re.search(r'"level"\s*:\s*"([^"]*)"', message)
            if found:
                return _colour_span(message, found.start(1), found.end(1), level)
        text_level = _TEXT_LEVEL.match(message)
        if text_level:
            return _colour_span(message, 0, text_level.end(), text_level[1])
        return message


def _json_document(message: str) -> dict[str, Any]:
    """A JSON log line's object (Lambda's JSON format, our JSON logs), else empty."""
    if not message.startswith("{"):
        return {}
    try:
        document = json.loads(message)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _colour_span(message: str, start: int, end: int, level: str) -> str:
    colour = _LEVEL_COLOURS.get(level.upper())
    if colour is None:
        return message
    return f"{message[:start]}{colour}{message[start:end]}{_RESET}{message[end:]}"
