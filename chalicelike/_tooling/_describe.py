"""Reads the project's app in a subprocess and hands back its manifest.

The server never imports the user's code itself: a syntax error, a crash at import time
or a module-level side effect stays in a short-lived child, and a reload is just another
child. Run as `python -m chalicelike._tooling._describe PROJECT_DIR STAGE [PARENT_PID]`, it
prints one JSON object: {"manifest": {...}} or {"error": "what is wrong, with file and line"}.

An import that never ends (a network call, `input()`) must not lock `local` or `package`:
the read has a time limit, and the child lives in its own process group, which is killed
on every way out (done, timed out, cancelled, Ctrl-C); on Linux the child also dies with
its parent (PR_SET_PDEATHSIG), so a SIGKILLed server leaves no orphan behind.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ._manifest import AppManifest

if TYPE_CHECKING:
    from asyncio.subprocess import Process

__all__ = [
    "AppLoadError",
    "AppReading",
    "describe_project",
    "describe_project_now",
    "read_timeout",
]

# How long importing the app may take, in seconds; the environment variable changes it.
READ_TIMEOUT_VARIABLE = "CHALICELIKE_APP_READ_TIMEOUT"
DEFAULT_READ_TIMEOUT = 30.0


class AppLoadError(Exception):
    """The project's app cannot be read; the message says where and why."""


def read_timeout() -> float:
    """The time limit for reading the app: $CHALICELIKE_APP_READ_TIMEOUT seconds, else 30."""
    text = os.environ.get(READ_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_READ_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise AppLoadError(
            f"{READ_TIMEOUT_VARIABLE} must be a positive number of seconds, not {text!r}"
        )
    return value


async def describe_project(
    project_dir: Path, stage: str, *, timeout: float | None = None
) -> AppManifest:
    """Import the project's app in a child and return its manifest; AppLoadError if it
    cannot be read, or is not read within `timeout` seconds (default: `read_timeout()`)."""
    import asyncio  # here: the child that runs `_main` has no use for it (60 ms of imports)

    limit = read_timeout() if timeout is None else timeout
    project_dir = project_dir.resolve()
    process = await asyncio.create_subprocess_exec(
        *_child_command(project_dir, stage),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,  # input() at import time ends, it does not wait
        cwd=str(project_dir),
        # Its own process group: what the app starts while importing is killed with it,
        # and a Ctrl-C in the terminal reaches only us (we then kill the group).
        start_new_session=os.name == "posix",
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), limit)
    except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
        raise _took_too_long(project_dir, limit) from None
    finally:
        # Done, superseded by a newer save, timed out or interrupted: nothing may linger.
        await _end(process)
    return _manifest(out, err, process.returncode, project_dir)


def describe_project_now(
    project_dir: Path, stage: str, *, timeout: float | None = None
) -> AppManifest:
    """`describe_project` for a caller with no event loop (`package`, `deploy`): the same
    child, limit and clean-up, without asyncio's import (60 ms a command pays)."""
    with AppReading(project_dir, stage, timeout=timeout) as reading:
        return reading.manifest()


class AppReading:
    """The app read in a child started at once, so the caller's own work (a cache check)
    runs beside it; `manifest()` waits for the answer. Leaving the `with` block ends the
    child and what it started, answered or not."""

    def __init__(self, project_dir: Path, stage: str, *, timeout: float | None = None):
        import subprocess

        self._limit = read_timeout() if timeout is None else timeout
        self._project_dir = project_dir.resolve()
        self._process = subprocess.Popen(
            _child_command(self._project_dir, stage),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,  # input() at import time ends, it does not wait
            cwd=str(self._project_dir),
            start_new_session=os.name == "posix",  # its own group, killed as one
        )

    def manifest(self) -> AppManifest:
        import subprocess

        try:
            out, err = self._process.communicate(timeout=self._limit)
        except subprocess.TimeoutExpired:
            raise _took_too_long(self._project_dir, self._limit) from None
        return _manifest(out, err, self._process.returncode, self._project_dir)

    def __enter__(self) -> AppReading:
        return self

    def __exit__(self, *exc_info: object) -> None:
        _kill_group(self._process.pid)
        if os.name != "posix" and self._process.returncode is None:
            self._process.kill()
        self._process.communicate()  # reaped, its pipes closed


def _child_command(project_dir: Path, stage: str) -> list[str]:
    module = "chalicelike._tooling._describe"
    return [sys.executable, "-m", module, str(project_dir), stage, str(os.getpid())]


def _took_too_long(project_dir: Path, limit: float) -> AppLoadError:
    return AppLoadError(
        f"reading {project_dir / 'app.py'} took longer than {limit:g} s, so it was "
        "stopped: does importing it wait on something (a network call, a lock, input())? "
        f"Set {READ_TIMEOUT_VARIABLE} to allow longer"
    )


def _manifest(out: bytes, err: bytes, returncode: int | None, project_dir: Path) -> AppManifest:
    """The child's answer (its last line of output), or AppLoadError saying why there is none."""
    try:
        answer = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = err.decode(errors="replace").strip() or f"exit status {returncode}"
        raise AppLoadError(f"reading {project_dir / 'app.py'} failed: {detail}") from None
    if "error" in answer:
        raise AppLoadError(answer["error"])
    return AppManifest.from_json(answer["manifest"])


def _kill_group(pid: int) -> None:
    """POSIX: SIGKILL the child's process group (what the app started too)."""
    if os.name == "posix":
        import contextlib
        import signal

        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
            os.killpg(pid, signal.SIGKILL)


async def _end(process: Process) -> None:
    """Kill the child's process group (what the app started too) and reap the child."""
    import asyncio

    _kill_group(process.pid)
    if os.name != "posix" and process.returncode is None:
        process.kill()
    # Reaping must finish even if we are being cancelled: the kill makes it immediate.
    await asyncio.shield(process.wait())


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this process when the process that started it dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # no prctl: the parent's kill on its way out still applies
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the request took effect


def _main(project_dir: str, stage: str) -> int:
    from .._core._aws import DEFAULT_REGION
    from .._core._errors import ChaliceError
    from ._config import ConfigError, stage_environment
    from ._manifest import describe_app
    from ._project import load_app

    try:
        # The app may read its stage's variables at import time, as it does on Lambda.
        os.environ.update(stage_environment(project_dir, stage))
        # On Lambda a region is always set; a module-level boto3.client() relies on it.
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        os.environ.setdefault("AWS_DEFAULT_REGION", region or DEFAULT_REGION)
        manifest = describe_app(load_app(Path(project_dir)), project_dir=Path(project_dir))
    except (ChaliceError, ConfigError) as error:
        answer: dict[str, object] = {"error": str(error)}
    else:
        answer = {"manifest": manifest.to_json()}
    # The app may print while importing: the answer is the last line.
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 3:
        _die_with_parent(int(sys.argv[3]))
    sys.exit(_main(sys.argv[1], sys.argv[2]))
