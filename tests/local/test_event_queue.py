"""Lambda's queue for asynchronous invocations: retries, reports per attempt, and an event
its source takes back between attempts (`withdraw`)."""

from __future__ import annotations

import asyncio
import json

import pytest

from chalicelike.local._deliveries import Outcome
from chalicelike.local._event_queue import EventQueue
from chalicelike.local._invocation import FunctionSpec, InvocationResult, InvocationStatus


class FailingLambda:
    """A stand-in local Lambda whose function always raises; it counts the attempts."""

    def __init__(self) -> None:
        self.attempts = 0
        self.release = asyncio.Event()
        self.hold = False
        self.calls: list[tuple[str | None, str, str | None]] = []

    def find(self, name: str) -> FunctionSpec | None:
        return None

    async def invoke(
        self,
        name: str,
        payload: bytes,
        *,
        client_context: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
        source: str = "invoke",
    ) -> InvocationResult:
        self.attempts += 1
        self.calls.append((request_id, source, trace_header))
        if self.hold:
            await self.release.wait()
        error = json.dumps({"errorMessage": "boom", "errorType": "ValueError"}).encode()
        return InvocationResult(request_id or "", InvocationStatus.ERROR, error)


@pytest.mark.anyio
async def test_each_attempt_is_reported_and_the_last_failure_discards() -> None:
    local_lambda, lines = FailingLambda(), list[str]()
    queue = EventQueue(local_lambda, lines.append, retry_delays=(0.01, 0.01))
    reports: list[tuple[Outcome, str]] = []
    queue.submit("f", b"{}", "e-1", label="test", report=lambda o, d: reports.append((o, d)))
    while queue.pending:
        await asyncio.sleep(0.01)
    assert [outcome for outcome, _ in reports] == [
        Outcome.RETRIED,
        Outcome.RETRIED,
        Outcome.DISCARDED,
    ]
    assert "ValueError: boom" in reports[0][1]
    assert lines == []  # the reports say it: the queue's own lines would say it twice


@pytest.mark.anyio
async def test_an_event_withdrawn_between_attempts_never_runs_again() -> None:
    local_lambda, lines = FailingLambda(), list[str]()
    queue = EventQueue(local_lambda, lines.append, retry_delays=(0.2, 0.2))
    reports: list[Outcome] = []
    queue.submit("f", b"{}", "e-1", report=lambda outcome, _: reports.append(outcome))
    while not reports:
        await asyncio.sleep(0.01)
    assert queue.withdraw("e-1")
    await asyncio.sleep(0.5)
    assert local_lambda.attempts == 1
    assert reports == [Outcome.RETRIED]  # no DISCARDED: its source has it back
    assert lines == []
    assert queue.pending == 0
    assert not queue.withdraw("e-1")  # gone
    assert not queue.withdraw("never-submitted")


@pytest.mark.anyio
async def test_a_running_event_cannot_be_withdrawn() -> None:
    local_lambda = FailingLambda()
    local_lambda.hold = True
    queue = EventQueue(local_lambda, lambda line: None, retry_delays=(0.01,))
    queue.submit("f", b"{}", "e-1", report=lambda outcome, _: None)
    while local_lambda.attempts == 0:
        await asyncio.sleep(0.01)
    assert not queue.withdraw("e-1")
    local_lambda.release.set()
    await queue.close(grace=1)


@pytest.mark.anyio
async def test_every_attempt_carries_the_events_id_source_and_trace() -> None:
    local_lambda = FailingLambda()
    queue = EventQueue(local_lambda, list[str]().append, retry_delays=(0.01,))
    header = "Root=1-5f8a0000-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"
    queue.submit("f", b"{}", "e-1", source="s3:uploads", trace_header=header)
    queue.submit("f", b"{}", "e-2")
    while queue.pending:
        await asyncio.sleep(0.01)
    assert sorted(local_lambda.calls, key=str) == [
        ("e-1", "s3:uploads", header),
        ("e-1", "s3:uploads", header),
        ("e-2", "invoke", None),
        ("e-2", "invoke", None),
    ]
