"""The status line a long subprocess shows on a terminal, and its silence elsewhere."""

from __future__ import annotations

import io
import os
import pty
import sys

from chalicelike.package._progress import run_showing_progress

SCRIPT = (
    "import sys; print('Collecting six'); print('noise'); print('Downloading six.whl'); "
    "print('oops', file=sys.stderr); sys.exit(3)"
)


def test_off_a_terminal_nothing_is_shown_and_all_is_kept() -> None:
    shown = io.StringIO()
    status, out, err = run_showing_progress(
        [sys.executable, "-c", SCRIPT], dict(os.environ), "pip", shown
    )
    assert (status, err) == (3, "oops\n")
    assert out.splitlines() == ["Collecting six", "noise", "Downloading six.whl"]
    assert shown.getvalue() == ""


def test_on_a_terminal_one_status_line_is_rewritten_then_cleared() -> None:
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        status, out, err = run_showing_progress(
            [sys.executable, "-c", SCRIPT], dict(os.environ), "pip", terminal
        )
    shown = ""
    while True:  # all the terminal got; a pty's reads may hand it over in pieces
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # Linux: EIO once the other end is closed and drained
            break
        if not chunk:
            break
        shown += chunk.decode()
    os.close(leader)
    assert (status, err) == (3, "oops\n") and "noise" in out
    assert "pip: Collecting six" in shown and "pip: Downloading six.whl" in shown
    assert "noise" not in shown and shown.endswith("\r\x1b[K")
