"""A subprocess whose output is kept, and on a terminal also shown as one status line that
is rewritten as the process goes on (pip's "Collecting ..." while packaging); in CI, where
stderr is no terminal, nothing is shown and the log stays readable."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

__all__ = ["run_showing_progress"]

# pip's lines worth showing: what it is fetching or building right now.
_SHOWN = ("Collecting", "Downloading", "Building", "Processing", "Obtaining")


def run_showing_progress(
    command: Sequence[str], env: dict[str, str], label: str, stream: TextIO | None = None
) -> tuple[int, str, str]:
    """Run `command`; (exit status, stdout, stderr). `label` prefixes the status line."""
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        return done.returncode, done.stdout, done.stderr
    errors: list[str] = []
    lines: list[str] = []
    width = max(20, shutil.get_terminal_size().columns - 1)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        reader = threading.Thread(target=lambda: errors.extend(process.stderr or []), daemon=True)
        reader.start()
        for line in process.stdout or []:
            lines.append(line)
            text = line.strip()
            if text.startswith(_SHOWN):
                stream.write(f"\r\x1b[K{label}: {text}"[: width + 4])
                stream.flush()
        process.wait()
        reader.join()
    stream.write("\r\x1b[K")
    stream.flush()
    return process.returncode, "".join(lines), "".join(errors)
