"""The local Lambda's record of each invocation (for the console) and its function's X-Ray
segment: real worker processes and the in-process runner, one store each."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from chalicelike.local import _recording
from chalicelike.local._in_process import InProcessLambda
from chalicelike.local._invocation import FunctionSpec, InvocationResult, InvocationStatus
from chalicelike.local._invocation_log import InvocationLog
from chalicelike.local._pool import WorkerPool
from chalicelike.local._recording import InvocationRecorder, begin_trace
from chalicelike.local._trace_segments import parse_header
from chalicelike.local._traces import TraceStore

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SpecFactory = Callable[..., FunctionSpec]
PoolFactory = Callable[..., WorkerPool]

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
CALLER = "53995c3f42cd8ad8"


def recorder() -> InvocationRecorder:
    return InvocationRecorder(InvocationLog(), TraceStore())


def test_a_header_is_read_only_when_well_formed() -> None:
    assert parse_header(f"Root={ROOT};Parent={CALLER};Sampled=1") == (ROOT, CALLER)
    assert parse_header(f"Root={ROOT}") == (ROOT, None)
    assert parse_header("Root=1-xyz-abc;Parent=nothex!nothex!!") == (None, None)
    assert parse_header("") == (None, None)
    assert parse_header(None) == (None, None)


def test_a_trace_continues_the_callers_root_or_starts_one() -> None:
    joined = begin_trace(f"Root={ROOT};Parent={CALLER};Sampled=0")
    assert (joined.root, joined.caller) == (ROOT, CALLER)
    # Sampled locally whatever the caller decided: the console shows every invocation.
    assert joined.header == f"Root={ROOT};Parent={joined.segment_id};Sampled=1"
    fresh = begin_trace(None)
    assert parse_header(fresh.header) == (fresh.root, fresh.segment_id)
    assert fresh.caller is None and fresh.root != begin_trace(None).root


async def test_the_pool_records_each_invocation_and_the_functions_segment(
    spec: SpecFactory, open_pool: PoolFactory
) -> None:
    kept = recorder()
    pool = open_pool(spec("environment"), spec("fail"), recorder=kept)
    header = f"Root={ROOT};Parent={CALLER};Sampled=1"
    event = {"names": ["_X_AMZN_TRACE_ID"]}
    result = await pool.invoke(
        "environment", json.dumps(event).encode(), trace_header=header, source="sqs:orders"
    )
    await pool.invoke("fail", b"{}")

    failed, done = kept.invocations.newest()
    assert (done.function, done.source, done.status, done.trace_id) == (
        "environment",
        "sqs:orders",
        "ok",
        ROOT,
    )
    assert done.request_id == result.request_id
    assert json.loads(done.event) == event and json.loads(done.answer) == json.loads(result.payload)
    assert done.logs == result.log and done.init_duration_ms is not None
    assert done.memory_size_mb == 128 and done.max_memory_used_mb > 0
    assert (failed.status, failed.source, failed.error is not None) == ("error", "invoke", True)
    assert failed.trace_id is not None and failed.trace_id != ROOT

    [segment] = kept.traces.trace(ROOT) or []
    assert segment["name"] == "runtime-dev-environment"
    assert segment["origin"] == "AWS::Lambda::Function"
    assert segment["parent_id"] == CALLER
    assert segment["aws"]["request_id"] == result.request_id
    assert segment["end_time"] >= segment["start_time"] and "error" not in segment
    # The runtime was given this segment as its Parent (the X-Ray SDK's parent).
    given = json.loads(result.payload)["env"]["_X_AMZN_TRACE_ID"]
    assert given == f"Root={ROOT};Parent={segment['id']};Sampled=1"
    [failure] = kept.traces.trace(failed.trace_id) or []
    assert failure["error"] is True and "parent_id" not in failure
    assert failure["cause"]["exceptions"][0]["type"] == "ValueError"


async def test_the_in_process_runner_records_the_same(spec: SpecFactory) -> None:
    kept = recorder()
    runner = InProcessLambda(recorder=kept)
    runner.replace_functions([spec("echo")])
    try:
        await runner.invoke("echo", b'{"n": 1}', source="console")
    finally:
        await runner.close()
        runner.replace_functions([])
    [record] = kept.invocations.newest()
    assert (record.function, record.source, record.status) == ("echo", "console", "ok")
    assert record.trace_id is not None
    [segment] = kept.traces.trace(record.trace_id) or []
    assert segment["aws"]["request_id"] == record.request_id


def test_a_huge_error_document_is_kept_cut_in_the_record_and_the_segment(
    spec: SpecFactory,
) -> None:
    kept = recorder()
    frame = '  File "/var/task/app.py", line 9, in handler\n    raise ValueError(text)\n'
    document = {
        "errorType": "E" * 10_000,
        "errorMessage": "m" * 5_000_000,  # 5 MB: a function that raised its whole input
        "stackTrace": [frame * 100] * 5_000,
        "requestId": "kept nowhere",
    }
    result = InvocationResult("r1", InvocationStatus.ERROR, json.dumps(document).encode())
    trace = begin_trace(None)
    kept.finish(spec("fail"), b"{}", result, source="invoke", trace=trace, started_at=0.0)

    [record] = kept.invocations.newest()
    error = record.error or {}
    assert set(error) == {"errorType", "errorMessage", "stackTrace"}
    assert error["errorMessage"].startswith("m" * 1000)
    assert "more characters not kept" in error["errorMessage"]
    assert len(error["errorType"]) < 300
    stack = error["stackTrace"]
    assert len(stack) == _recording.MAX_STACK_ENTRIES + 1  # and a line saying how many went
    assert "4936 more entries not kept" in stack[_recording.MAX_STACK_ENTRIES // 2]
    assert all(len(entry) < 1100 for entry in stack)
    assert len(json.dumps(record.to_json())) < 200_000

    [segment] = kept.traces.trace(trace.root) or []
    [exception] = segment["cause"]["exceptions"]
    assert len(exception["message"]) < 2100 and len(exception["type"]) < 300


def test_an_error_document_without_text_or_with_nan_is_kept_as_json_can_say_it(
    spec: SpecFactory,
) -> None:
    kept = recorder()
    payload = b'{"errorType": 7, "errorMessage": NaN, "stackTrace": [["app.py", 3, "f"]]}'
    result = InvocationResult("r1", InvocationStatus.ERROR, payload)
    kept.finish(spec("f"), b"{}", result, source="invoke", trace=begin_trace(None), started_at=0)
    [record] = kept.invocations.newest()
    assert record.error == {"errorType": "7", "stackTrace": ['["app.py", 3, "f"]']}
