"""One local execution environment: a runtime client process and its own Runtime API.

`Worker.start` spawns the runtime client (our `_bootstrap`, or AWS's awslambdaric) with
the environment Lambda sets, streams its merged stdout/stderr line by line, notices its
exit without blocking the event loop, and reads its memory use from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence

from ._invocation import FunctionSpec
from ._reaper import GroupReaper
from ._runtime_api import RuntimeApiServer

__all__ = [
    "CONFIG_SWITCHES",
    "LogSink",
    "RuntimeCommand",
    "Worker",
    "WorkerExited",
    "awslambdaric_command",
    "bootstrap_command",
    "exit_description",
    "lambda_environment",
]

LogSink = Callable[[str], None]
CONFIG_SWITCHES = ("CHALICELIKE_XRAY", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL")
# What a runtime client command is made from; the pool's default runs our bootstrap.
RuntimeCommand = Callable[[FunctionSpec], Sequence[str]]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_READ_SIZE = 1 << 16
_EXIT_POLL_SECONDS = 0.02  # only where pidfd_open is missing
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bootstrap.py")


def bootstrap_command(spec: FunctionSpec) -> list[str]:
    """Our own runtime client, the default, run by its path.

    `python -m chalicelike.local._bootstrap` works too, but imports the chalicelike
    package before the function's own sys.path is set: ~100 ms more per cold start for
    a handler that does not use chalicelike, and a vendored chalicelike would be ignored.
    """
    return [sys.executable, _BOOTSTRAP]


def awslambdaric_command(spec: FunctionSpec) -> list[str]:
    """AWS's Python runtime client, exactly as Lambda's python images run it."""
    return [sys.executable, "-m", "awslambdaric", spec.handler]


class WorkerExited(Exception):
    """The runtime process ended; `returncode` is Popen's (negative: killed by a signal)."""

    def __init__(self, returncode: int) -> None:
        super().__init__(exit_description(returncode))
        self.returncode = returncode


def exit_description(returncode: int) -> str:
    """How Lambda words a runtime's end: Go's `exit status 3` / `signal: segmentation fault`."""
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        name = signal.strsignal(-returncode) or f"signal {-returncode}"
    except ValueError:
        name = f"signal {-returncode}"
    return "signal: " + name[:1].lower() + name[1:]


def lambda_environment(
    spec: FunctionSpec,
    *,
    region: str,
    runtime_api: str,
    log_stream: str,
    xray_daemon: str | None = None,
) -> dict[str, str]:
    """The environment Lambda gives the function's process (AWS's runtime environment docs)."""
    # The parent's environment sits underneath: on Lambda the execution role's credentials
    # arrive as AWS_ACCESS_KEY_ID & co; locally the developer's own credentials, profile
    # and config (AWS_PROFILE, ~/.aws via HOME) stand in for them, so boto3 calls work.
    env = dict(os.environ)
    # Switches the function's own config sets (xray, log_format, log_level): a developer's
    # shell that has them must not turn tracing or JSON logs on for every function.
    for name in CONFIG_SWITCHES:
        env.pop(name, None)
    env.update(spec.environment)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    # Lambda refuses these names in a function's configuration, so they always win.
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": spec.resource_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.resource_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": spec.handler,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAMBDA_TASK_ROOT": spec.project_dir,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
            "TZ": ":UTC",
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "PYTHONUNBUFFERED": "1",
            # Lambda's value: an X-Ray SDK with no segment logs and goes on, never raises.
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
    )
    if xray_daemon is not None:
        # Where the X-Ray SDK sends its segments (Lambda sets all three): the dev server's
        # daemon, which keeps them for the console.
        host, _, port = xray_daemon.rpartition(":")
        env["AWS_XRAY_DAEMON_ADDRESS"] = xray_daemon
        env["_AWS_XRAY_DAEMON_ADDRESS"] = host
        env["_AWS_XRAY_DAEMON_PORT"] = port
    return env


def log_stream_name() -> str:
    """Lambda's stream per environment: `2024/05/01/[$LATEST]<32 hex digits>`."""
    return time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None  # elsewhere a worker still ends when its Runtime API connection drops
    import ctypes

    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


_PRCTL = _load_prctl()


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A hook run in the child so it gets SIGKILL when we die, even by SIGKILL.

    Linux sends the signal when the thread that forked exits: we always spawn from the
    event loop's thread, which lives as long as the server.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


class Worker:
    """A runtime client process, its Runtime API and its output."""

    def __init__(
        self,
        spec: FunctionSpec,
        generation: int,
        log_sink: LogSink | None,
        reaper: GroupReaper | None = None,
    ) -> None:
        self.spec = spec
        self.reaper = reaper
        self.generation = generation
        self.server = RuntimeApiServer()
        self.log_sink = log_sink
        self.capture: list[str] | None = None  # the current invocation's log lines
        self.spawned_at = 0.0
        self.returncode: int | None = None
        self.peak_kb = 0  # the highest VmHWM read so far
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._process: subprocess.Popen[bytes] | None = None
        self._output_fd = -1
        self._pidfd = -1
        self._status_fd = -1
        self._statm_fd = -1
        self._children_fd = -1
        self._partial = b""
        self._poll_handle: asyncio.TimerHandle | None = None
        self._killed = False

    @classmethod
    async def start(
        cls,
        spec: FunctionSpec,
        command: Sequence[str],
        *,
        region: str,
        generation: int = 0,
        log_sink: LogSink | None = None,
        reaper: GroupReaper | None = None,
        xray_daemon: str | None = None,
    ) -> Worker:
        """Start the Runtime API, then the runtime client process that will poll it.

        A `reaper` kills its process group should this server die without stopping it;
        `xray_daemon` (HOST:PORT) is where its X-Ray SDK sends segments.
        """
        worker = cls(spec, generation, log_sink, reaper)
        await worker.server.start()
        env = lambda_environment(
            spec,
            region=region,
            runtime_api=worker.server.address,
            log_stream=log_stream_name(),
            xray_daemon=xray_daemon,
        )
        worker.spawned_at = time.perf_counter()
        try:
            worker._spawn(command, env)
        except BaseException:
            worker.server.close()
            raise
        return worker

    def _spawn(self, command: Sequence[str], env: dict[str, str]) -> None:
        # Lambda runs the runtime in LAMBDA_TASK_ROOT with stdout and stderr both going to
        # the function's log stream: one pipe keeps their order.
        self._process = subprocess.Popen(
            list(command),
            cwd=self.spec.project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent_hook(),
            # Its own session: Ctrl+C in the server's terminal is for the server, which
            # then stops its workers; they must not each print a KeyboardInterrupt.
            start_new_session=True,
        )
        # Its own session makes its pid its process group: only that group may use the
        # Runtime API (docs/security.md).
        self.server.admit_group(self._process.pid)
        if self.reaper is not None:
            self.reaper.watch(self._process.pid)
        loop = asyncio.get_running_loop()
        assert self._process.stdout is not None
        self._output_fd = self._process.stdout.fileno()
        os.set_blocking(self._output_fd, False)
        loop.add_reader(self._output_fd, self._read_output)
        self._status_fd = _open_proc(self._process.pid, "status")
        self._statm_fd = _open_proc(self._process.pid, "statm")
        pid = self._process.pid
        self._children_fd = _open_proc(pid, f"task/{pid}/children")
        try:
            self._pidfd = os.pidfd_open(self._process.pid)
        except (AttributeError, OSError):
            self._poll_handle = loop.call_later(_EXIT_POLL_SECONDS, self._poll_exit)
        else:
            loop.add_reader(self._pidfd, self._on_exit)

    @property
    def pid(self) -> int:
        return self._process.pid if self._process is not None else -1

    @property
    def alive(self) -> bool:
        """Running and not being killed: the only kind of worker that can take work."""
        return self.returncode is None and not self._killed

    @property
    def init_duration_ms(self) -> float | None:
        """Lambda's Init Duration: from spawn to the runtime's first GET /next."""
        first_poll = self.server.first_poll_at
        return None if first_poll is None else (first_poll - self.spawned_at) * 1000

    def kill(self) -> None:
        """SIGKILL, as Lambda stops an environment; the exit watcher reaps it.

        The whole process group goes: a handler's own children (`subprocess.Popen`) end
        with their environment, as on Lambda, instead of outliving the server.
        """
        self._killed = True
        if self._process is not None and self.returncode is None:
            self._kill_group()

    def _kill_group(self) -> None:
        # Safe while the leader is not reaped: its pid, the group's id, cannot be reused.
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)

    async def stop(self) -> int:
        self.kill()
        return await asyncio.shield(self.exited)

    def memory_kb(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) in kB from /proc/<pid>/status; (0, 0) once the process is gone."""
        text = _pread(self._status_fd)
        rss, peak = _status_field(text, b"VmRSS:"), _status_field(text, b"VmHWM:")
        self.peak_kb = max(self.peak_kb, peak)
        return rss, peak

    def rss_kb(self) -> int:
        """The resident set in kB of the process and its descendants (Lambda's memory
        size covers everything in the environment), from /proc/<pid>/statm."""
        total = _statm_rss_kb(_pread(self._statm_fd))
        if self._children_fd >= 0:
            children = _pread(self._children_fd).split()
            if children:
                total += _descendants_rss_kb(children)
        self.peak_kb = max(self.peak_kb, total)
        return total

    def drain(self) -> None:
        """Read what the process has already written (it flushed before posting)."""
        if self._output_fd >= 0:
            self._read_output()

    def flush_partial(self) -> None:
        """Hand on an unterminated last line (a `print(..., end="")` before returning)."""
        if self._partial:
            line, self._partial = self._partial, b""
            self._emit(line)

    def _read_output(self) -> None:
        while True:
            try:
                chunk = os.read(self._output_fd, _READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._close_output()
                return
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            for line in lines:
                self._emit(line)
            if len(chunk) < _READ_SIZE:
                return

    def _emit(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace")
        if self.log_sink is not None:
            self.log_sink(line)
        if self.capture is not None:
            self.capture.append(line)

    def _close_output(self) -> None:
        if self._output_fd < 0:
            return
        asyncio.get_running_loop().remove_reader(self._output_fd)
        self.flush_partial()
        assert self._process is not None and self._process.stdout is not None
        self._process.stdout.close()
        self._output_fd = -1

    def _poll_exit(self) -> None:
        self._poll_handle = None
        assert self._process is not None
        if self._process.poll() is None:
            loop = asyncio.get_running_loop()
            self._poll_handle = loop.call_later(_EXIT_POLL_SECONDS, self._poll_exit)
        else:
            self._on_exit()

    def _on_exit(self) -> None:
        assert self._process is not None
        if self._pidfd >= 0 and self.returncode is None:
            # It exited (pidfd readable) but is not reaped yet: its children go too.
            self._kill_group()
        returncode = self._process.poll()
        if returncode is None:
            return  # not yet reapable
        if self._pidfd >= 0:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        self.returncode = returncode
        if self.reaper is not None:
            self.reaper.forget(self._process.pid)
        for fd in (self._status_fd, self._statm_fd, self._children_fd):
            if fd >= 0:
                os.close(fd)
        self._status_fd = self._statm_fd = self._children_fd = -1
        self.drain()
        self._close_output()
        self.server.close(WorkerExited(returncode))
        if not self.exited.done():
            self.exited.set_result(returncode)


def _open_proc(pid: int, name: str) -> int:
    try:
        return os.open(f"/proc/{pid}/{name}", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1  # no /proc (not Linux): memory is then neither reported nor capped


def _pread(fd: int) -> bytes:
    # The /proc files stay open: re-reading from offset 0 regenerates them, and saves
    # an open and a close on every invocation.
    if fd < 0:
        return b""
    try:
        return os.pread(fd, 4096, 0)
    except OSError:
        return b""


def _statm_rss_kb(text: bytes) -> int:
    fields = text.split(b" ", 2)
    return int(fields[1]) * _PAGE_KB if len(fields) > 2 else 0


def _descendants_rss_kb(children: list[bytes]) -> int:
    """The resident sets of these processes and of all their descendants, in kB."""
    total = 0
    pending = [int(child) for child in children]
    while pending:
        pid = pending.pop()
        total += _statm_rss_kb(_read_proc(pid, "statm"))
        pending.extend(int(child) for child in _read_proc(pid, f"task/{pid}/children").split())
    return total


def _read_proc(pid: int, name: str) -> bytes:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as file:
            return file.read()
    except OSError:
        return b""  # gone meanwhile


def _status_field(text: bytes, name: bytes) -> int:
    start = text.find(name)
    if start < 0:
        return 0
    end = text.find(b"kB", start)
    return int(text[start + len(name) : end])
