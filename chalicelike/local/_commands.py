"""What the one-shot local commands (`invoke`, `generate-event`, `workflow start`) share: the
error that stops them before they run anything, how it reaches the user (one line, exit
status 2), and reading the JSON document they are given (a file, or stdin for '-')."""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["EXIT_USAGE", "UsageError", "read_json_document", "report_usage_error"]

EXIT_USAGE = 2  # as argparse exits on a bad option


class UsageError(Exception):
    """The command cannot do what it was asked (unknown function, unreadable event...)."""


def report_usage_error(command: str, error: UsageError) -> int:
    """Print `chalicelike COMMAND: error: MESSAGE` on stderr; the exit status."""
    print(f"chalicelike {command}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def read_json_document(source: str, what: str) -> bytes:
    """The JSON in file `source` ('-': stdin), as bytes; a UsageError naming `what` (the
    event, the input) when it cannot be read or is not JSON."""
    where = "stdin" if source == "-" else source
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read the {what} file {where}: {error.strerror}") from None
    try:
        json.loads(data)
    except ValueError as error:
        raise UsageError(f"the {what} in {where} is not JSON: {error}") from None
    return data
