"""Lambda's queue for asynchronous (`Event`) invocations, as the local Invoke API runs them.

Each event runs in a background task the queue keeps a reference to; a function error is
retried twice (one minute, then two minutes later), a throttle is retried with backoff
for up to six hours, and closing drops pending retries and cancels stragglers, logging
each dropped event with its request id.
"""

from __future__ import annotations

import asyncio
import functools
import json
import traceback
from collections.abc import Awaitable, Callable, Sequence

from ._deliveries import Outcome
from ._invocation import InvocationResult, LocalLambda, Throttled, UnknownFunction

__all__ = ["RETRY_DELAYS", "THROTTLE_BACKOFF", "EventQueue", "Report", "describe_error"]

# Told how each attempt of one event ended, with a few words on why (the local cloud's
# delivery log): SUCCEEDED, RETRIED (another attempt follows) or DISCARDED (none will).
Report = Callable[[Outcome, str], None]
# One attempt of one event: the local Lambda's invoke with the event's arguments bound.
Invoke = Callable[[], Awaitable[InvocationResult]]

# Lambda's defaults (MaximumRetryAttempts 2, MaximumEventAgeInSeconds 21600).
RETRY_DELAYS = (60.0, 120.0)
THROTTLE_BACKOFF = (1.0, 300.0)  # first delay, longest delay
MAX_EVENT_AGE_SECONDS = 6 * 3600.0


class EventQueue:
    def __init__(
        self,
        local_lambda: LocalLambda,
        log: Callable[[str], None],
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        throttle_backoff: tuple[float, float] = THROTTLE_BACKOFF,
    ) -> None:
        self.local_lambda = local_lambda
        self._log = log
        self._retry_delays = tuple(retry_delays)
        self._throttle_backoff = throttle_backoff
        self._tasks: set[asyncio.Task[None]] = set()  # events not done yet
        self._waiting: set[asyncio.Task[None]] = set()  # of those, the ones between attempts
        self._by_id: dict[str, asyncio.Task[None]] = {}
        self._withdrawn: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def submit(
        self,
        function: str,
        payload: bytes,
        event_id: str,
        *,
        label: str | None = None,
        report: Report | None = None,
        source: str = "invoke",
        trace_header: str | None = None,
    ) -> None:
        """Queue one event; `label` names it in log lines (default: the Invoke API's),
        `source` and `trace_header` go with every attempt to the local Lambda (the console
        shows who asked; the trace continues the caller's)."""
        label = label or f"Invoke API: async invocation {event_id} of {function}"
        invoke = functools.partial(
            self.local_lambda.invoke,
            function,
            payload,
            request_id=event_id,
            source=source,
            trace_header=trace_header,
        )
        task = asyncio.ensure_future(self._run(invoke, event_id, label, report))
        self._tasks.add(task)  # a reference, or the loop may drop the task half-way
        self._by_id[event_id] = task
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._withdrawn.discard(task)
        for event_id, known in list(self._by_id.items()):
            if known is task:
                del self._by_id[event_id]

    def withdraw(self, event_id: str) -> bool:
        """Take back an event that waits between attempts (its source hands it back to the
        queue it came from, whose next delivery runs it): no attempt of it follows, and no
        line or report says it was dropped. False when it is running or done."""
        task = self._by_id.get(event_id)
        if task is None or task not in self._waiting:
            return False
        self._withdrawn.add(task)
        task.cancel()
        return True

    async def _run(self, invoke: Invoke, event_id: str, label: str, report: Report | None) -> None:
        report = report or _no_report
        try:
            await self._attempts(invoke, label, report)
        except asyncio.CancelledError:
            if asyncio.current_task() in self._withdrawn:
                raise  # its source took it back
            # The server is stopping: the event is lost, and the log says which one.
            self._say(report, f"{label} dropped: the server stopped before it completed")
            report(Outcome.DISCARDED, "the server stopped before it completed")
            raise

    async def _attempts(self, invoke: Invoke, label: str, report: Report) -> None:
        """One event: the first attempt and its retries, all under the event's request id
        (as on AWS: the 202's x-amzn-RequestId is the context's aws_request_id)."""
        attempts = 1 + len(self._retry_delays)
        for attempt in range(1, attempts + 1):
            try:
                result = await self._attempt(invoke, label)
            except UnknownFunction:
                self._say(report, f"{label} dropped: the function no longer exists")
                report(Outcome.DISCARDED, "the function no longer exists")
                return
            except Exception:  # a failure of the local Lambda itself, not of the function
                self._log(f"{label} failed:\n{traceback.format_exc().rstrip()}")
                report(Outcome.DISCARDED, "the local Lambda failed")
                return
            if result is None:
                report(Outcome.DISCARDED, "throttled for too long")
                return
            if result.function_error is None:
                report(Outcome.SUCCEEDED, "")
                return
            error = describe_error(result.payload)
            failure = f"{label} failed ({error})"
            if attempt == attempts or self._closing:
                # Lambda would send it to the function's on-failure destination or DLQ.
                self._say(report, f"{failure}; dropped after {attempt} attempt(s)")
                report(Outcome.DISCARDED, f"{error}; dropped after {attempt} attempt(s)")
                return
            delay = self._retry_delays[attempt - 1]
            self._say(report, f"{failure}; retrying in {delay:g} s, as Lambda does")
            report(Outcome.RETRIED, f"{error}; retrying in {delay:g} s")
            await self._wait(delay)

    async def _attempt(self, invoke: Invoke, label: str) -> InvocationResult | None:
        """One attempt; a throttled event stays queued and is retried with backoff."""
        delay, longest = self._throttle_backoff
        waited = 0.0
        while True:
            try:
                return await invoke()
            except Throttled:
                if waited >= MAX_EVENT_AGE_SECONDS or self._closing:
                    self._log(f"{label} dropped: still throttled after {waited:g} s")
                    return None
            await self._wait(delay)
            waited += delay
            delay = min(delay * 2, longest)

    def _say(self, report: Report, line: str) -> None:
        """A line on how an event ended, unless its report says it (in the delivery log)."""
        if report is _no_report:
            self._log(line)

    async def _wait(self, seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None  # only ever awaited inside an event's task
        self._waiting.add(task)
        try:
            await asyncio.sleep(seconds)
        finally:
            self._waiting.discard(task)

    async def close(self, grace: float = 2.0) -> None:
        """Drop pending retries, give running events `grace` seconds, then cancel them:
        a function hanging until its timeout must not hold up a shutdown."""
        self._closing = True
        for task in list(self._waiting):
            task.cancel()
        tasks = list(self._tasks)
        if not tasks:
            return
        _, running = await asyncio.wait(tasks, timeout=grace)
        for task in running:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _no_report(outcome: Outcome, detail: str) -> None:
    pass


def describe_error(payload: bytes) -> str:
    """'ValueError: bad input' from Lambda's error document, for a log line."""
    try:
        document = json.loads(payload)
        return f"{document['errorType']}: {document['errorMessage']}"
    except (ValueError, KeyError, TypeError):
        return payload[:200].decode(errors="replace")
