"""WorkerPool: the local Lambda as an invoker sees it, with real worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelike.local import _pool
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    Throttled,
    UnknownFunction,
)
from chalicelike.local._pool import WorkerPool
from chalicelike.local._worker import awslambdaric_command

pytestmark = pytest.mark.anyio

SpecFactory = Callable[..., FunctionSpec]
PoolFactory = Callable[..., WorkerPool]

REPORT = re.compile(
    r"REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d\d ms"
    r"\tBilled Duration: \d+ ms\tMemory Size: (?P<size>\d+) MB"
    r"\tMax Memory Used: (?P<used>\d+) MB(?P<init>\tInit Duration: \d+\.\d\d ms)?"
)


def body(result: InvocationResult) -> Any:
    return json.loads(result.payload)


def lines(result: InvocationResult) -> list[str]:
    assert result.log.endswith("\n")
    return result.log[:-1].split("\n")


def check_log(result: InvocationResult, *, cold: bool) -> list[str]:
    """START, then the function's lines, then END and REPORT; returns the middle."""
    log = lines(result)
    request_id = result.request_id
    assert log[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert log[-2] == f"END RequestId: {request_id}"
    report = REPORT.fullmatch(log[-1])
    assert report is not None, log[-1]
    assert report["id"] == request_id
    assert (report["init"] is not None) is cold
    return log[1:-2]


async def test_round_trip_and_log(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("echo"))
    result = await pool.invoke("echo", b'{"a": 1}')
    assert result.status is InvocationStatus.OK
    assert result.function_error is None
    assert body(result)["event"] == {"a": 1}
    assert isinstance(result.payload, bytes)
    assert result.cold_start
    assert result.duration_ms > 0
    assert check_log(result, cold=True) == ["init: app imported"]
    warm = await pool.invoke("echo", b"2")
    assert not warm.cold_start
    assert check_log(warm, cold=False) == []
    assert pool.cold_starts == 1


async def test_warm_workers_are_reused(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("echo"))
    pids = {body(await pool.invoke("echo", b"{}"))["pid"] for _ in range(5)}
    assert len(pids) == 1
    assert pool.cold_starts == 1
    assert pool.live_workers("echo") == pool.idle_workers("echo") == 1
    assert pool.worker_pids("echo") == list(pids)


async def test_concurrent_invocations_get_their_own_workers(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("sleep"))
    results = await asyncio.gather(*(pool.invoke("sleep", b'{"seconds": 0.2}') for _ in range(3)))
    assert len({body(result)["pid"] for result in results}) == 3
    assert pool.cold_starts == 3
    # Afterwards the most recently used idle worker serves first.
    assert pool.idle_workers("sleep") == 3


async def test_log_lines_reach_the_sink_in_order(spec: SpecFactory, open_pool: PoolFactory) -> None:
    sink: list[str] = []
    pool = open_pool(spec("printer"), log_sink=sink.append)
    result = await pool.invoke("printer", b'"x"')
    middle = check_log(result, cold=True)
    assert middle == ["init: app imported", "to stdout x", "to stderr x", "no newline"]
    assert sink == lines(result)


async def test_a_raised_error_is_a_function_error(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("fail"))
    result = await pool.invoke("fail", b"3")
    assert result.status is InvocationStatus.ERROR
    assert result.function_error == "Unhandled"
    assert body(result)["errorType"] == "ValueError"
    middle = check_log(result, cold=True)
    assert "[ERROR] ValueError: boom 3" in middle
    again = await pool.invoke("fail", b"4")  # the environment survives a raised error
    assert not again.cold_start


async def test_reserved_concurrency_throttles_the_next_one(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("sleep", reserved_concurrency=2))
    running = [asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 0.3}')) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(Throttled):
        await pool.invoke("sleep", b'{"seconds": 0}')
    results = await asyncio.gather(*running)
    assert all(result.status is InvocationStatus.OK for result in results)
    assert (await pool.invoke("sleep", b'{"seconds": 0}')).status is InvocationStatus.OK


async def test_zero_reserved_concurrency_always_throttles(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("echo", reserved_concurrency=0))
    with pytest.raises(Throttled):
        await pool.invoke("echo", b"{}")
    assert pool.cold_starts == 0


async def test_account_concurrency_is_shared_by_unreserved_functions(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(
        spec("sleep"), spec("echo"), spec("fail", reserved_concurrency=1), account_concurrency=1
    )
    running = asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 0.3}'))
    await asyncio.sleep(0.05)
    with pytest.raises(Throttled):
        await pool.invoke("echo", b"{}")
    # A function with its own reservation does not draw on the shared pool.
    assert (await pool.invoke("fail", b"1")).status is InvocationStatus.ERROR
    assert (await running).status is InvocationStatus.OK
    assert (await pool.invoke("echo", b"{}")).status is InvocationStatus.OK


async def test_timeout_kills_the_worker(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("sleep", timeout=0.5))
    running = asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 10}'))
    await asyncio.sleep(0.3)
    (killed,) = pool.worker_pids()
    result = await running
    assert result.status is InvocationStatus.TIMEOUT
    assert body(result) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 0.50 seconds",
    }
    assert 450 < result.duration_ms < 2000
    init_output, timed_out = check_log(result, cold=True)
    assert init_output == "init: app imported"
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) Task timed out after 0\.50 seconds"
    match = re.fullmatch(pattern, timed_out)
    assert match is not None and match[1] == result.request_id
    after = await pool.invoke("sleep", b'{"seconds": 0}')
    assert after.cold_start
    assert body(after)["pid"] != killed
    assert not _alive(killed)


async def test_init_has_its_own_timeout(
    spec: SpecFactory, open_pool: PoolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pool, "INIT_TIMEOUT_SECONDS", 0.3)  # Lambda's is 10 s
    (tmp_path / "app.py").write_text("import time\ntime.sleep(30)\n")
    pool = open_pool(spec("slow", "app.handler", project_dir=str(tmp_path), timeout=60))
    result = await pool.invoke("slow", b"{}")
    assert result.status is InvocationStatus.TIMEOUT
    assert body(result)["errorMessage"].endswith("Task timed out after 0.30 seconds")
    assert pool.live_workers() == 0


async def test_memory_above_the_size_kills_the_worker(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("allocate", memory_size=128))
    fine = await pool.invoke("allocate", b'{"mb": 16}')
    assert fine.status is InvocationStatus.OK
    result = await pool.invoke("allocate", b'{"mb": 300, "hold": 5}')
    assert result.status is InvocationStatus.OUT_OF_MEMORY
    assert result.duration_ms < 4000  # killed while it held the memory
    assert body(result) == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": (
            f"RequestId: {result.request_id} Error: Runtime exited with error: signal: killed"
        ),
    }
    log = lines(result)
    assert log[-3] == "Runtime.OutOfMemory"
    report = REPORT.fullmatch(log[-1])
    assert report is not None and report["used"] == report["size"] == "128"
    assert (await pool.invoke("allocate", b'{"mb": 1}')).cold_start


async def test_a_peak_between_samples_still_counts(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("allocate", memory_size=128))
    result = await pool.invoke("allocate", b'{"mb": 300}')  # allocates and frees at once
    assert result.status is InvocationStatus.OUT_OF_MEMORY
    assert pool.live_workers() == 0


@pytest.mark.parametrize(
    ("handler", "reason"),
    [("exit3", "exit status 3"), ("segfault", "signal: segmentation fault")],
)
async def test_a_crash_is_an_exit_error(
    spec: SpecFactory, open_pool: PoolFactory, handler: str, reason: str
) -> None:
    pool = open_pool(spec(handler))
    result = await pool.invoke(handler, b"{}")
    assert result.status is InvocationStatus.CRASHED
    message = f"RequestId: {result.request_id} Error: Runtime exited with error: {reason}"
    assert body(result) == {"errorType": "Runtime.ExitError", "errorMessage": message}
    assert check_log(result, cold=True)[-2:] == [message, "Runtime.ExitError"]
    assert pool.live_workers() == 0
    assert (await pool.invoke(handler, b"{}")).cold_start  # a new environment each time


async def test_init_error_returns_the_runtimes_document(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("broken", "missing_import.handler"))
    result = await pool.invoke("broken", b"{}")
    assert result.status is InvocationStatus.CRASHED
    assert body(result)["errorType"] == "Runtime.ImportModuleError"
    middle = check_log(result, cold=True)
    assert middle[0].startswith("[ERROR] Runtime.ImportModuleError: Unable to import module")
    await asyncio.sleep(0.1)
    assert pool.live_workers() == 0  # discarded
    assert (await pool.invoke("broken", b"{}")).cold_start


async def test_a_response_above_6_mb_fails(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("large"))
    result = await pool.invoke("large", b"{}")
    assert result.status is InvocationStatus.ERROR
    assert body(result)["errorType"] == "Function.ResponseSizeTooLarge"


async def test_replace_functions_retires_old_workers(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("echo"), spec("sleep"))
    old_idle = body(await pool.invoke("echo", b"{}"))["pid"]
    busy = asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 0.4}'))
    await asyncio.sleep(0.2)
    (old_busy,) = pool.worker_pids("sleep")
    pool.replace_functions([spec("echo"), spec("sleep")])
    await asyncio.sleep(0.1)
    assert not _alive(old_idle)  # idle: stopped at once
    assert _alive(old_busy)  # busy: finishes its invocation first
    assert (await busy).status is InvocationStatus.OK
    await asyncio.sleep(0.1)
    assert not _alive(old_busy)
    fresh = await pool.invoke("echo", b"{}")
    assert fresh.cold_start and body(fresh)["pid"] != old_idle


async def test_replace_functions_forgets_removed_ones(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("echo"))
    pool.replace_functions([spec("fail")])
    assert pool.find("echo") is None
    with pytest.raises(UnknownFunction):
        await pool.invoke("echo", b"{}")


async def test_a_reload_takes_the_worker_started_beside_the_read(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    sink: list[str] = []
    pool = open_pool(spec("echo"), log_sink=sink.append)
    old = body(await pool.invoke("echo", b"{}"))["pid"]
    logged = len(sink)
    pool.prepare_reload()  # the app is being read again: a spare starts now
    await asyncio.sleep(0.5)
    (spare,) = set(pool.worker_pids("echo")) - {old}
    assert sink[logged:] == []  # its init output waits for the invocation that takes it
    pool.replace_functions([spec("echo")])
    result = await pool.invoke("echo", b"{}")
    assert body(result)["pid"] == spare
    assert result.cold_start and pool.cold_starts == 2
    assert check_log(result, cold=True) == ["init: app imported"]
    assert sink[-4:] == lines(result)  # the sink gets them in the same order


async def test_a_spare_is_not_taken_when_its_spec_changed_or_the_read_failed(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("echo"))
    old = body(await pool.invoke("echo", b"{}"))["pid"]
    pool.prepare_reload()
    await asyncio.sleep(0.3)
    (spare,) = set(pool.worker_pids("echo")) - {old}
    pool.replace_functions([spec("echo", timeout=5)])  # .chalice/config.json changed
    fresh = body(await pool.invoke("echo", b"{}"))["pid"]
    assert fresh not in (old, spare)
    await asyncio.sleep(0.1)
    assert not _alive(spare)
    pool.prepare_reload()
    await asyncio.sleep(0.3)
    (failed,) = set(pool.worker_pids("echo")) - {fresh}
    pool.discard_spares()  # the new code could not be read
    await asyncio.sleep(0.1)
    assert not _alive(failed)


async def test_close_leaves_no_process(spec: SpecFactory) -> None:
    pool = WorkerPool([spec("echo"), spec("sleep")])
    await pool.invoke("echo", b"{}")
    busy = asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 10}'))
    await asyncio.sleep(0.3)
    pids = pool.worker_pids()
    assert len(pids) == 2
    await pool.close()
    assert not any(_alive(pid) or os.path.exists(f"/proc/{pid}") for pid in pids)
    assert (await busy).status is InvocationStatus.CRASHED
    with pytest.raises(RuntimeError):
        await pool.invoke("echo", b"{}")


async def test_a_cancelled_invoke_frees_its_slot(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("sleep", reserved_concurrency=1))
    running = asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 10}'))
    await asyncio.sleep(0.3)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    result = await pool.invoke("sleep", b'{"seconds": 0}')
    assert result.status is InvocationStatus.OK and result.cold_start


def test_find_by_name_resource_name_or_arn(spec: SpecFactory) -> None:
    pool = WorkerPool([spec("echo")], region="eu-west-1")
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:runtime-dev-echo"
    for name in [
        "echo",
        "runtime-dev-echo",
        arn,
        arn + ":$LATEST",
        "runtime-dev-echo:live",
        "123456789012:function:runtime-dev-echo",
    ]:
        found = pool.find(name)
        assert found is not None and found.name == "echo", name
    assert pool.find("other") is None
    assert pool.find("arn:aws:lambda:eu-west-1:123456789012:function:other") is None


async def test_unknown_function_raises(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("echo"))
    with pytest.raises(UnknownFunction):
        await pool.invoke("nope", b"{}")


async def test_context_and_arn_reach_the_function(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("environment", timeout=30, memory_size=256), region="eu-west-1")
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:runtime-dev-environment:$LATEST"
    result = await pool.invoke(arn, b"{}", client_context='{"custom": {"a": 1}}')
    context = body(result)["context"]
    assert context["invoked_function_arn"] == arn
    assert context["aws_request_id"] == result.request_id
    assert 25_000 < context["remaining_ms"] <= 30_000
    assert context["client_custom"] == {"a": 1}
    plain = body(await pool.invoke("environment", b"{}"))["context"]
    assert plain["invoked_function_arn"] == (
        "arn:aws:lambda:eu-west-1:123456789012:function:runtime-dev-environment"
    )


async def test_awslambdaric_serves_the_same_functions(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    """AWS's own runtime client speaks our Runtime API."""
    pool = open_pool(
        spec("echo"), spec("fail"), spec("environment"), runtime_command=awslambdaric_command
    )
    ok = await pool.invoke("echo", b'{"a": 1}')
    assert ok.status is InvocationStatus.OK, ok.payload
    assert body(ok)["event"] == {"a": 1}
    check_log(ok, cold=True)
    warm = await pool.invoke("echo", b'{"a": 2}')
    assert body(warm)["pid"] == body(ok)["pid"]
    failed = await pool.invoke("fail", b"5")
    assert failed.status is InvocationStatus.ERROR
    document = body(failed)
    assert (document["errorType"], document["errorMessage"]) == ("ValueError", "boom 5")
    assert any("in fail" in frame for frame in document["stackTrace"])
    context = body(await pool.invoke("environment", b"{}"))["context"]
    assert context["function_name"] == "runtime-dev-environment"
    assert context["memory_limit_in_mb"] == "128"


async def test_awslambdaric_dying_after_a_413_does_not_fail_the_next_invoke(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    # awslambdaric raises when its response is refused and exits; the invocation that
    # comes next must get a new environment, not that dying one.
    pool = open_pool(spec("sized"), runtime_command=awslambdaric_command)
    too_large = await pool.invoke("sized", b'{"bytes": 7340032}')
    assert body(too_large)["errorType"] == "Function.ResponseSizeTooLarge"
    after = await pool.invoke("sized", b'{"bytes": 3}')
    assert after.status is InvocationStatus.OK, after.payload
    assert body(after) == "xxx"


async def test_awslambdaric_init_error(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(spec("broken", "missing_import.handler"), runtime_command=awslambdaric_command)
    result = await pool.invoke("broken", b"{}")
    assert result.status is InvocationStatus.CRASHED
    assert body(result)["errorType"] == "Runtime.ImportModuleError"


async def test_an_unstartable_runtime_is_reported(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("echo"), runtime_command=lambda s: ["/nonexistent/runtime"])
    result = await pool.invoke("echo", b"{}")
    assert result.status is InvocationStatus.CRASHED
    assert body(result)["errorType"] == "Runtime.InvalidEntrypoint"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False


async def test_a_handlers_children_end_with_its_worker(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("spawn", timeout=0.5))
    # Killed at its timeout: the child it started goes with it.
    timed_out = await pool.invoke("spawn", b'{"hold": 10}')
    assert timed_out.status is InvocationStatus.TIMEOUT
    # Kept warm, then stopped with the pool: its child goes too.
    result = await pool.invoke("spawn", b"{}")
    assert result.status is InvocationStatus.OK
    child = int(result.payload)
    assert _alive(child)
    await pool.close()
    assert not _alive(child)


async def test_memory_used_by_a_handlers_children_counts(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("child_allocates", memory_size=128, timeout=20))
    result = await pool.invoke("child_allocates", b'{"mb": 300}')
    assert result.status is InvocationStatus.OUT_OF_MEMORY
    assert result.duration_ms < 4000


_PROBE = """\
import http.client, sys
host, port = sys.argv[1].rsplit(":", 1)
for method, path in (("GET", "next"), ("POST", sys.argv[2] + "/response")):
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request(method, "/2018-06-01/runtime/invocation/" + path, body=b'"HIJACKED"')
    print(connection.getresponse().status)
"""


async def test_another_process_cannot_hijack_a_workers_invocation(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(spec("sleep"))
    await pool.invoke("sleep", b'{"seconds": 0}')  # a warm worker, polling for the next
    (pid,) = pool.worker_pids()
    with open(f"/proc/{pid}/environ", "rb") as environ:
        variables = dict(item.split(b"=", 1) for item in environ.read().split(b"\0") if item)
    address = variables[b"AWS_LAMBDA_RUNTIME_API"].decode()
    running = asyncio.ensure_future(pool.invoke("sleep", b'{"seconds": 0.5}'))
    await asyncio.sleep(0.1)
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PROBE, address, "any-id", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await probe.communicate()
    assert out.split() == [b"403", b"403"]
    result = await running
    assert result.status is InvocationStatus.OK and body(result)["slept"] == 0.5


async def test_a_handlers_child_polling_and_leaving_does_not_wedge_the_worker(
    spec: SpecFactory, open_pool: PoolFactory, tmp_path: Path
) -> None:
    pool = open_pool(spec("poller", timeout=3))
    done = tmp_path / "done"
    payload = json.dumps({"path": str(done), "delay": 0}).encode()
    assert (await pool.invoke("poller", payload)).status is InvocationStatus.OK
    while not done.exists():  # the child polled, then left without taking anything
        await asyncio.sleep(0.05)
    assert done.read_bytes() == b""
    result = await asyncio.wait_for(pool.invoke("poller", b'{"n": 1}'), 10)
    assert (result.status, body(result)) == (InvocationStatus.OK, 1)


async def test_an_event_a_handlers_child_takes_and_drops_still_runs(
    spec: SpecFactory, open_pool: PoolFactory, tmp_path: Path
) -> None:
    pool = open_pool(spec("poller", timeout=3))
    done = tmp_path / "done"
    payload = json.dumps({"path": str(done), "take": True}).encode()
    await pool.invoke("poller", payload)
    # The child parks in GET /next beside the runtime; one of the next events goes to it,
    # which drops it: every invocation still runs, the dropped one given back.
    for n in range(1, 200):
        result = await asyncio.wait_for(pool.invoke("poller", b'{"n": %d}' % n), 10)
        assert (result.status, body(result)) == (InvocationStatus.OK, n)
        if done.exists():
            break
        await asyncio.sleep(0.02)
    while not done.stat().st_size:  # written as the child ends
        await asyncio.sleep(0.01)
    assert b"lambda-runtime-aws-request-id" in done.read_bytes()


# -- JSON log format: Lambda's system records instead of its text lines ----------------

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def json_spec(
    spec: SpecFactory, name: str, handler: str | None = None, **options: Any
) -> FunctionSpec:
    environment = {"AWS_LAMBDA_LOG_FORMAT": "JSON", **options.pop("environment", {})}
    return spec(name, handler, environment=environment, **options)


def system_records(result: InvocationResult) -> tuple[list[dict[str, Any]], list[str]]:
    """The log's platform.* records (each one compact line, as CloudWatch shows it) and
    the function's own lines, apart."""
    platform, other = [], []
    for line in lines(result):
        if line.startswith('{"time":'):
            event = json.loads(line)
            assert line == json.dumps(event, separators=(",", ":"))
            assert list(event) == ["time", "type", "record"] and TIME.fullmatch(event["time"])
            platform.append(event)
        else:
            other.append(line)
    return platform, other


async def test_json_log_format_writes_platform_records(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    sink: list[str] = []
    pool = open_pool(json_spec(spec, "echo", memory_size=256), log_sink=sink.append)
    cold = await pool.invoke("echo", b"{}")
    log = lines(cold)
    assert sink == log
    assert not any(line.startswith(("START", "END", "REPORT")) for line in log)
    # Lambda's order: init, the init's own output, then the invoke phase.
    assert json.loads(log[0])["type"] == "platform.initStart"
    assert log[1] == "init: app imported"
    records, own = system_records(cold)
    assert own == ["init: app imported"]
    init_start, start, report = records
    assert init_start["record"]["functionName"] == "runtime-dev-echo"
    assert start["type"] == "platform.start"
    assert start["record"] == {
        "requestId": cold.request_id,
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:runtime-dev-echo",
        "version": "$LATEST",
    }
    assert report["type"] == "platform.report"
    assert report["record"]["requestId"] == cold.request_id
    assert report["record"]["status"] == "success" and "errorType" not in report["record"]
    metrics = report["record"]["metrics"]
    assert metrics["durationMs"] == round(cold.duration_ms, 3)
    assert metrics["billedDurationMs"] >= metrics["durationMs"]
    assert metrics["memorySizeMB"] == 256
    assert metrics["maxMemoryUsedMB"] == cold.max_memory_used_mb > 0
    assert cold.init_duration_ms is not None
    assert metrics["initDurationMs"] == round(cold.init_duration_ms, 3)
    warm = await pool.invoke("echo", b"{}")
    (start, report), own = system_records(warm)
    assert (start["type"], own) == ("platform.start", [])
    assert "initDurationMs" not in report["record"]["metrics"]


@pytest.mark.parametrize(
    ("handler", "status", "error_type"),
    [("fail", "failure", "ValueError"), ("exit3", "error", "Runtime.ExitError")],
)
async def test_json_report_says_how_the_invocation_failed(
    spec: SpecFactory, open_pool: PoolFactory, handler: str, status: str, error_type: str
) -> None:
    pool = open_pool(json_spec(spec, handler))
    result = await pool.invoke(handler, b"1")
    records, own = system_records(result)
    report = records[-1]["record"]
    assert (report["status"], report["errorType"]) == (status, error_type)
    # Lambda's text failure lines have no place in JSON: its report says it.
    assert not any("Runtime exited" in line or line == "Runtime.ExitError" for line in own)


async def test_json_timeout_is_a_report_status(spec: SpecFactory, open_pool: PoolFactory) -> None:
    pool = open_pool(json_spec(spec, "sleep", timeout=0.5))
    result = await pool.invoke("sleep", b'{"seconds": 10}')
    assert result.status is InvocationStatus.TIMEOUT
    records, own = system_records(result)
    assert [event["type"] for event in records][-2:] == ["platform.start", "platform.report"]
    assert records[-1]["record"]["status"] == "timeout"
    assert "errorType" not in records[-1]["record"]
    assert not any("Task timed out" in line for line in own)


async def test_json_failed_init_has_an_init_report(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(json_spec(spec, "broken", "missing_import.handler"))
    result = await pool.invoke("broken", b"{}")
    records, own = system_records(result)
    kinds = [event["type"] for event in records]
    assert kinds == [
        "platform.initStart",
        "platform.initReport",
        "platform.start",
        "platform.report",
    ]
    init_report = records[1]["record"]
    assert (init_report["phase"], init_report["status"]) == ("init", "error")
    assert init_report["errorType"] == "Runtime.ImportModuleError"
    assert init_report["metrics"]["durationMs"] > 0
    assert records[3]["record"]["errorType"] == "Runtime.ImportModuleError"
    assert any("Unable to import module" in line for line in own)


async def test_json_start_carries_the_trace_with_xray_on(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    pool = open_pool(json_spec(spec, "echo", environment={"CHALICELIKE_XRAY": "true"}))
    header = "Root=1-62e900b2-710d76f009d6e7785905449a;Parent=0efbd19962d95b05;Sampled=1"
    result = await pool.invoke("echo", b"{}", trace_header=header)
    records, _ = system_records(result)
    tracing = records[1]["record"]["tracing"]
    assert tracing["type"] == "X-Amzn-Trace-Id"
    assert tracing["value"].startswith("Root=1-62e900b2-710d76f009d6e7785905449a;")
