"""What the one-shot local commands (`invoke`, `generate-event`) share: the error that stops
them before they run anything, and how it reaches the user (one line, exit status 2)."""

from __future__ import annotations

import sys

__all__ = ["EXIT_USAGE", "UsageError", "report_usage_error"]

EXIT_USAGE = 2  # as argparse exits on a bad option


class UsageError(Exception):
    """The command cannot do what it was asked (unknown function, unreadable event...)."""


def report_usage_error(command: str, error: UsageError) -> int:
    """Print `chalicelike COMMAND: error: MESSAGE` on stderr; the exit status."""
    print(f"chalicelike {command}: error: {error}", file=sys.stderr)
    return EXIT_USAGE
