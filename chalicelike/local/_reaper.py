"""A watchdog process that kills the workers' process groups when the server dies.

A worker gets SIGKILL when the server dies, even by SIGKILL (PR_SET_PDEATHSIG), but the
processes its handler started do not: the kernel clears that setting in every child.
`GroupReaper` runs a tiny process that is told each worker's process group over a pipe;
when the pipe reaches its end (the server exited, however it exited) it kills every
group still listed, so a handler's `subprocess.Popen(["sleep", "1001"])` never outlives
`chalicelike local`.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys

__all__ = ["GroupReaper"]

# Run with -I -S: no site-packages, no chalicelike import; it starts in ~10 ms.
_WATCHDOG = """\
import os, signal, sys
groups = set()
for line in sys.stdin:
    (groups.add if line[0] == "+" else groups.discard)(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class GroupReaper:
    """`watch(group)` / `forget(group)`; `close()` ends the watchdog (and what it holds)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def watch(self, group: int) -> None:
        self._send(f"+{group}\n")

    def forget(self, group: int) -> None:
        """The group's leader is reaped and the group killed: its id may be reused."""
        if self._process is not None:
            self._send(f"-{group}\n")

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()  # it kills whatever is still listed, then exits
        process.wait()

    def _send(self, line: str) -> None:
        if self._process is None:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WATCHDOG],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                # Its own session: a Ctrl-C in the terminal must not end it before the end.
                start_new_session=True,
            )
        assert self._process.stdin is not None
        with contextlib.suppress(OSError):  # it died: nothing more it could do
            self._process.stdin.write(line)
            self._process.stdin.flush()
