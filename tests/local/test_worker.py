"""Worker: one runtime process with Lambda's environment, its output, exit and memory."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from chalicelike.local._invocation import FunctionSpec
from chalicelike.local._runtime_api import Invocation, OutcomeKind
from chalicelike.local._worker import (
    Worker,
    WorkerExited,
    bootstrap_command,
    exit_description,
    lambda_environment,
)

pytestmark = pytest.mark.anyio

SpecFactory = Callable[..., FunctionSpec]
Start = Callable[..., Any]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    workers: list[Worker] = []

    async def make(spec: FunctionSpec, lines: list[str] | None = None) -> Worker:
        sink = None if lines is None else lines.append
        worker = await Worker.start(
            spec, bootstrap_command(spec), region="ap-south-1", log_sink=sink
        )
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.stop()


def invocation(payload: Any, request_id: str = "req-1") -> Invocation:
    return Invocation(request_id, json.dumps(payload).encode(), 0, "arn", "Root=1-0-0")


async def run(worker: Worker, payload: Any = None, request_id: str = "req-1") -> Any:
    assert await worker.server.wait_ready() is None
    outcome = await worker.server.invoke(invocation(payload, request_id))
    return json.loads(outcome.body)


LAMBDA_NAMES = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "_HANDLER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "LAMBDA_TASK_ROOT",
    "AWS_EXECUTION_ENV",
    "TZ",
    "AWS_LAMBDA_RUNTIME_API",
    "PYTHONUNBUFFERED",
]


async def test_the_environment_lambda_sets(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("environment", memory_size=512))
    body = await run(worker, {"names": LAMBDA_NAMES})
    env = body["env"]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "runtime-dev-environment"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/runtime-dev-environment"
    stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)
    assert stream.startswith(time.strftime("%Y/%m/%d", time.gmtime()))
    assert env["_HANDLER"] == "app.environment"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "ap-south-1"
    assert env["LAMBDA_TASK_ROOT"] == worker.spec.project_dir
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_python{version}"
    assert env["TZ"] == ":UTC"
    assert env["AWS_LAMBDA_RUNTIME_API"] == worker.server.address
    assert env["PYTHONUNBUFFERED"] == "1"
    assert body["cwd"] == worker.spec.project_dir


async def test_config_variables_over_the_inherited_environment(
    spec: SpecFactory, start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "developer")  # local credentials must still work
    monkeypatch.setenv("STAGE_NAME", "from-the-shell")
    environment = {"STAGE_NAME": "dev", "AWS_REGION": "nope"}
    worker = await start(spec("environment", environment=environment))
    env = (await run(worker, {"names": ["AWS_PROFILE", "STAGE_NAME", "AWS_REGION"]}))["env"]
    assert env == {"AWS_PROFILE": "developer", "STAGE_NAME": "dev", "AWS_REGION": "ap-south-1"}


def test_lambda_environment_alone(spec: SpecFactory) -> None:
    env = lambda_environment(
        spec("f", memory_size=1024), region="us-west-2", runtime_api="127.0.0.1:9", log_stream="s"
    )
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9"
    assert env["PATH"] == os.environ["PATH"]
    assert env["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR"  # Lambda's value, always


def test_the_shells_tracing_and_log_switches_never_reach_a_function(
    spec: SpecFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # They follow the function's config (xray, log_format, log_level), nothing else.
    for name in ("CHALICELIKE_XRAY", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL"):
        monkeypatch.setenv(name, "from-the-shell")
    plain = lambda_environment(spec("f"), region="r", runtime_api="127.0.0.1:9", log_stream="s")
    assert not {"CHALICELIKE_XRAY", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL"} & set(plain)
    traced = spec("g", environment={"CHALICELIKE_XRAY": "true", "AWS_LAMBDA_LOG_FORMAT": "JSON"})
    env = lambda_environment(traced, region="r", runtime_api="127.0.0.1:9", log_stream="s")
    assert (env["CHALICELIKE_XRAY"], env["AWS_LAMBDA_LOG_FORMAT"]) == ("true", "JSON")
    assert "AWS_LAMBDA_LOG_LEVEL" not in env


def test_lambda_environment_names_the_dev_servers_xray_daemon(
    spec: SpecFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_XRAY_CONTEXT_MISSING", "RUNTIME_ERROR")  # the shell's loses
    env = lambda_environment(
        spec("f"), region="us-west-2", runtime_api="127.0.0.1:9", log_stream="s",
        xray_daemon="127.0.0.1:40123",
    )  # fmt: skip
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:40123"
    assert (env["_AWS_XRAY_DAEMON_ADDRESS"], env["_AWS_XRAY_DAEMON_PORT"]) == (
        "127.0.0.1",
        "40123",
    )
    assert env["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR"


async def test_output_goes_to_the_sink_and_the_capture(spec: SpecFactory, start: Start) -> None:
    sink: list[str] = []
    worker = await start(spec("printer"), sink)
    assert await worker.server.wait_ready() is None
    worker.drain()
    assert sink == ["init: app imported"]
    captured: list[str] = []
    worker.capture = captured
    await worker.server.invoke(invocation("x"))
    worker.drain()
    worker.flush_partial()
    assert captured == ["to stdout x", "to stderr x", "no newline"]
    assert sink == ["init: app imported", *captured]


async def test_exit_status_is_reported(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("exit3"))
    assert await worker.server.wait_ready() is None
    with pytest.raises(WorkerExited) as exited:
        await worker.server.invoke(invocation({}))
    assert exited.value.returncode == 3
    assert str(exited.value) == "exit status 3"
    assert await worker.exited == 3
    assert not worker.alive


async def test_a_signal_is_reported(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("segfault"))
    assert await worker.server.wait_ready() is None
    with pytest.raises(WorkerExited, match=r"^signal: segmentation fault$"):
        await worker.server.invoke(invocation({}))


async def test_stop_kills_and_reaps(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("echo"))
    assert await worker.server.wait_ready() is None
    pid = worker.pid
    assert await worker.stop() == -signal.SIGKILL
    assert not os.path.exists(f"/proc/{pid}")  # reaped, not a zombie
    assert await worker.stop() == -signal.SIGKILL  # idempotent


async def test_exit_before_init_fails_wait_ready(spec: SpecFactory, tmp_path: Any) -> None:
    command = [sys.executable, "-c", "import sys; print('bye'); sys.exit(2)"]
    lines: list[str] = []
    worker = await Worker.start(spec("echo"), command, region="us-east-1", log_sink=lines.append)
    with pytest.raises(WorkerExited, match="exit status 2"):
        await worker.server.wait_ready()
    assert lines == ["bye"]
    await worker.stop()


async def test_memory_is_read_from_proc(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("allocate"))
    assert await worker.server.wait_ready() is None
    rss, peak = worker.memory_kb()
    assert 1000 < rss <= peak
    assert abs(worker.rss_kb() - rss) < 2048
    outcome = await worker.server.invoke(invocation({"mb": 64}))
    assert outcome.kind is OutcomeKind.RESPONSE
    _, peak_after = worker.memory_kb()
    assert peak_after > peak + 60 * 1024
    assert worker.peak_kb == peak_after
    await worker.stop()
    assert worker.memory_kb() == (0, 0)
    assert worker.rss_kb() == 0


async def test_init_duration_is_spawn_to_first_poll(spec: SpecFactory, start: Start) -> None:
    worker = await start(spec("echo"))
    assert worker.init_duration_ms is None
    assert await worker.server.wait_ready() is None
    assert worker.init_duration_ms is not None and 1 < worker.init_duration_ms < 10_000


def test_exit_descriptions_follow_lambda() -> None:
    assert exit_description(0) == "exit status 0"
    assert exit_description(3) == "exit status 3"
    assert exit_description(-signal.SIGKILL) == "signal: killed"
    assert exit_description(-signal.SIGSEGV) == "signal: segmentation fault"
    assert exit_description(-signal.SIGABRT) == "signal: aborted"
    assert exit_description(-signal.SIGTERM) == "signal: terminated"


SERVER_THAT_DIES = textwrap.dedent(
    """
    import asyncio, sys
    from chalicelike.local._invocation import FunctionSpec
    from chalicelike.local._worker import Worker, bootstrap_command

    async def main():
        spec = FunctionSpec("sleep", "x-sleep", "app.sleep", sys.argv[1])
        worker = await Worker.start(spec, bootstrap_command(spec), region="us-east-1")
        await worker.server.wait_ready()
        print(worker.pid, flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


def test_workers_die_with_a_killed_server(spec: SpecFactory) -> None:
    """Even SIGKILL of the server (no cleanup at all) leaves no worker behind."""
    project_dir = spec("sleep").project_dir
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER_THAT_DIES, project_dir], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        worker_pid = int(server.stdout.readline())
        assert _running(worker_pid)
    finally:
        server.kill()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()
    deadline = time.monotonic() + 5
    while _running(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _running(worker_pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False
