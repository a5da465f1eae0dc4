"""_commands: the usage error the one-shot local commands share."""

from __future__ import annotations

import pytest

from chalicelike.local import _event_samples, _function_samples, _invoke_command
from chalicelike.local._commands import EXIT_USAGE, UsageError, report_usage_error


def test_every_local_command_raises_the_one_usage_error() -> None:
    # Once defined twice: a command catching one would miss the other's.
    for module in (_event_samples, _function_samples, _invoke_command):
        assert module.UsageError is UsageError


def test_a_usage_error_is_one_line_on_stderr_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert report_usage_error("invoke", UsageError("no function 'x'")) == EXIT_USAGE == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "chalicelike invoke: error: no function 'x'\n")
