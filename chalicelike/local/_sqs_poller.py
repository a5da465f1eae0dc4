"""Lambda's SQS event source mapping for `chalicelike local`: polls a queue on the local AWS
endpoint, invokes the function with batches and deletes what it processed.

One `SqsPoller` per `on_sqs_message` function, a `LiveSource` the local cloud starts and
stops; the records and the reading of the function's answer live in `_sqs_records.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._tooling._manifest import FunctionEntry
from ._aws_clients import LONG_POLL_SECONDS
from ._deliveries import Outcome
from ._event_queue import describe_error
from ._invocation import (
    MAX_SYNC_PAYLOAD_BYTES,
    InvocationResult,
    InvocationStatus,
    Throttled,
    UnknownFunction,
)
from ._live_sources import CloudContext
from ._sqs_records import (
    EVENT_OVERHEAD,
    InvalidBatchResponse,
    QueueMessage,
    RedrivePolicy,
    batch_event,
    batch_trace_header,
    held_back_in_fifo,
    read_batch_response,
)

__all__ = ["SqsPoller"]

# Lambda starts five concurrent batches per SQS mapping (its pollers scale up from there
# with the backlog; five keep up with what one laptop's workers can run).
STARTING_CONCURRENCY = 5
RECEIVE_LIMIT = 10  # ReceiveMessage's MaxNumberOfMessages
SQS_BATCH_LIMIT = 10  # entries per DeleteMessageBatch / ChangeMessageVisibilityBatch
# The provisioner creates the queue while the sources start: a missing queue is expected
# for a moment and only worth a line once it has been missing this long.
QUIET_SECONDS = 10.0
RETRY_SECONDS = 1.0  # after a failed call to the endpoint
THROTTLE_BACKOFF = (0.05, 1.0)  # first and longest wait before invoking a throttled batch again


@dataclass(frozen=True)
class _Queue:
    url: str
    arn: str
    fifo: bool


class SqsPoller:
    """One function's SQS event source mapping (`on_sqs_message`)."""

    def __init__(self, entry: FunctionEntry, context: CloudContext) -> None:
        settings = entry.settings
        self.entry = entry
        self.context = context
        # A queue_arn of another account or region names a queue of ours by its last part.
        self.queue_name = str(settings.get("queue") or settings.get("queue_arn")).split(":")[-1]
        self.label = f"sqs {self.queue_name}"
        self.source = f"sqs:{self.queue_name}"  # who invokes, for the console
        self.batch_size = int(settings.get("batch_size") or 1)
        self.window = float(settings.get("maximum_batching_window_in_seconds") or 0)
        self.maximum_concurrency: int | None = settings.get("maximum_concurrency")
        self._sqs: Any = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._problem = ""  # the endpoint's last trouble, logged once until it clears
        self._recovered_at = 0.0  # when a receive last succeeded after trouble (monotonic)
        # Set once polling (or once the queue is said missing): the local cloud waits for
        # it, so that "live" in the log comes after the poller found its queue.
        self.ready = asyncio.Event()
        # Set by the local cloud: called when the queue is gone from a running endpoint.
        self.on_missing: Callable[[], None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop receiving; batches not yet invoked go back to the queue at once, running
        invocations are waited for and settled (their messages deleted or left)."""
        self._stopping.set()
        if self._task is None:
            return
        try:
            await self._task
        except Exception:  # a bug of ours: say so, but let the server stop
            trace = traceback.format_exc().rstrip()
            self.context.log(f"chalicelike local: {self.label}: the poller failed:\n{trace}")

    # -- the mapping's life ----------------------------------------------------------------

    async def _run(self) -> None:
        try:
            queue = await self._resolve()
        finally:
            self.ready.set()
        if queue is None:
            return
        concurrency = self._concurrency()
        if concurrency == 0:
            self._note("not polling: the function's reserved concurrency is 0")
            return
        window = f", window {self.window:g} s" if self.window else ""
        self._note(
            f"polling for {self.entry.name} (batch size {self.batch_size}{window}, "
            f"{concurrency} concurrent batch{'' if concurrency == 1 else 'es'})"
        )
        results = await asyncio.gather(
            *(self._poll(queue) for _ in range(concurrency)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, Exception):  # a bug of ours: the traceback helps
                trace = "".join(traceback.format_exception(result)).rstrip()
                self.context.log(f"chalicelike local: {self.label}: a poller failed:\n{trace}")

    def _concurrency(self) -> int:
        """Lambda's five starting batches, capped by the mapping's maximum concurrency and
        the function's reserved concurrency (beyond it every invoke would be throttled)."""
        limit = STARTING_CONCURRENCY
        if self.maximum_concurrency:
            limit = min(limit, int(self.maximum_concurrency))
        spec = self.context.local_lambda.find(self.entry.name)
        if spec is not None and spec.reserved_concurrency is not None:
            limit = min(limit, spec.reserved_concurrency)
        return max(limit, 0)

    async def _resolve(self) -> _Queue | None:
        """The queue's URL and ARN, retried quietly while the provisioner creates it."""
        self._sqs = await self.context.call(self.context.clients.get, "sqs")
        started = time.monotonic()
        while not self._stopping.is_set():
            try:
                url = (await self.context.call(self._sqs.get_queue_url, QueueName=self.queue_name))[
                    "QueueUrl"
                ]
                attributes = await self._attributes(url, "QueueArn", "FifoQueue")
                self._trouble_over("found the queue")
                return _Queue(url, attributes["QueueArn"], attributes.get("FifoQueue") == "true")
            except Exception as error:
                if time.monotonic() - started >= QUIET_SECONDS:
                    self._trouble(f"waiting for the queue: {_describe(error)}")
                    self.ready.set()  # said: "live" need not wait for it any longer
            await self._pause(0.2 if time.monotonic() - started < QUIET_SECONDS else 2.0)
        return None

    async def _poll(self, queue: _Queue) -> None:
        """One concurrent batch's loop: gather, invoke, settle, until stopped."""
        carry: list[QueueMessage] = []  # received beyond the last batch's 6 MB
        while not self._stopping.is_set():
            batch = await self._gather(queue, carry)
            if batch and not self._stopping.is_set():
                await self._deliver(queue, batch)
            elif batch:
                carry[:0] = batch
        if carry:
            await self._return(queue, carry, "the source stopped before invoking them")

    # -- receiving -------------------------------------------------------------------------

    async def _gather(self, queue: _Queue, carry: list[QueueMessage]) -> list[QueueMessage]:
        """A batch: up to batch_size messages, within the batching window (counted from the
        first message) and Lambda's 6 MB payload limit; messages beyond it wait in `carry`."""
        batch, carry[:] = list(carry), []
        size = EVENT_OVERHEAD + sum(len(message.record) + 1 for message in batch)
        deadline = time.monotonic() + self.window if batch else None
        while len(batch) < self.batch_size and not self._stopping.is_set():
            remaining = LONG_POLL_SECONDS if deadline is None else deadline - time.monotonic()
            if deadline is not None and (not self.window or remaining <= 0):
                break
            wait = min(LONG_POLL_SECONDS, int(remaining))  # SQS waits whole seconds
            count = min(RECEIVE_LIMIT, self.batch_size - len(batch))
            received = await self._receive(queue, count, wait)
            for message in received:
                # Once one message is left over, so are those after it (FIFO order).
                if carry or (batch and size + len(message.record) + 1 > MAX_SYNC_PAYLOAD_BYTES):
                    carry.append(message)
                else:
                    batch.append(message)
                    size += len(message.record) + 1
            if carry:
                break
            if batch and deadline is None:
                deadline = time.monotonic() + self.window
            elif not received and wait == 0:  # under a second of window left: no long poll
                await self._pause(min(0.05, max(remaining, 0)))
        return batch

    async def _receive(self, queue: _Queue, count: int, wait: int) -> list[QueueMessage]:
        asked = time.monotonic()
        try:
            messages = await self.context.call(self._receive_blocking, queue, count, wait)
        except Exception as error:
            if asked < self._recovered_at:
                # Sent before another batch's receive found the endpoint back: old news,
                # not a new outage (five batches poll at once: one line, not five).
                await self._pause(RETRY_SECONDS)
                return []
            self._trouble(f"cannot receive: {_describe(error)}")
            if _queue_missing(error) and self.on_missing is not None:
                self.on_missing()  # the endpoint restarted empty: the queue is made again
            await self._pause(RETRY_SECONDS)
            return []
        self._trouble_over("receiving again")
        return messages

    def _receive_blocking(self, queue: _Queue, count: int, wait: int) -> list[QueueMessage]:
        """ReceiveMessage, and the records built in the same thread, off the event loop."""
        answer = self._sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait,
            # All system attributes, AWSTraceHeader among them: Lambda's records carry it.
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        region = self.context.region
        return [QueueMessage.from_sqs(m, queue.arn, region) for m in answer.get("Messages", [])]

    # -- invoking and settling -------------------------------------------------------------

    async def _deliver(self, queue: _Queue, batch: list[QueueMessage]) -> None:
        result = await self._invoke(queue, batch)
        if result is None:
            return  # handed back to the queue, and reported
        ids = {message.message_id for message in batch}
        detail = ""
        if result.status is InvocationStatus.OK:
            try:
                failed = read_batch_response(result.payload, ids)
            except InvalidBatchResponse as problem:
                failed, detail = ids, f"invalid batch response: {problem}"
        else:
            failed, detail = ids, describe_error(result.payload)
        held = held_back_in_fifo(batch, failed) if queue.fifo else set()
        # Deleted only once the handler succeeded with them: everything else stays in
        # flight and comes back when the queue's visibility timeout ends (Lambda does not
        # change the visibility of a failed batch either).
        await self._delete(queue, [m for m in batch if m.message_id not in failed | held])
        await self._report(queue, batch, failed, held, detail)

    async def _invoke(self, queue: _Queue, batch: list[QueueMessage]) -> InvocationResult | None:
        """The invocation's result; None when the batch went back to the queue unrun.

        A throttled batch is invoked again after a backoff, holding its messages rather than
        receiving them again (which would count a receive against each); once half the
        queue's visibility timeout has gone by it is handed back.
        """
        payload = batch_event(batch)
        trace_header = batch_trace_header(batch)
        delay, longest = THROTTLE_BACKOFF
        throttled_until = None
        while True:
            try:
                return await self.context.local_lambda.invoke(
                    self.entry.name, payload, trace_header=trace_header, source=self.source
                )
            except asyncio.CancelledError:
                # The server stopped and the function outran the stop's grace: its batch
                # is visible again now, not hidden for the rest of the visibility timeout.
                why = "stopped while the function ran; it may have run in part"
                await asyncio.shield(self._return(queue, batch, why))
                raise
            except Throttled:
                now = time.monotonic()
                if throttled_until is None:
                    throttled_until = now + await self._visibility_timeout(queue) / 2
                if self._stopping.is_set() or now >= throttled_until:
                    why = "throttled: the function's reserved concurrency is in use"
                    await self._return(queue, batch, why)
                    return None
            except UnknownFunction:
                self._stopping.set()  # the app was reloaded without the function
                await self._return(queue, batch, "the function is no longer in the app")
                return None
            except Exception as error:  # the local Lambda itself (closed as the server stops)
                await self._return(queue, batch, f"the local Lambda failed: {_describe(error)}")
                return None
            await self._pause(delay)
            delay = min(delay * 2, longest)

    async def _delete(self, queue: _Queue, messages: Sequence[QueueMessage]) -> None:
        """DeleteMessageBatch in tens; entries that fail for a passing reason are tried again."""
        chunks = [
            messages[i : i + SQS_BATCH_LIMIT] for i in range(0, len(messages), SQS_BATCH_LIMIT)
        ]
        await asyncio.gather(*(self._delete_chunk(queue, chunk) for chunk in chunks))

    async def _delete_chunk(self, queue: _Queue, chunk: Sequence[QueueMessage]) -> None:
        pending = {str(i): message for i, message in enumerate(chunk)}
        problem = ""
        for attempt in range(3):
            if attempt:
                await asyncio.sleep(0.2 * attempt)
            entries = [{"Id": i, "ReceiptHandle": m.receipt_handle} for i, m in pending.items()]
            try:
                answer = await self.context.call(
                    self._sqs.delete_message_batch, QueueUrl=queue.url, Entries=entries
                )
            except Exception as error:
                problem = _describe(error)
                continue
            failures = answer.get("Failed", [])
            pending = {f["Id"]: pending[f["Id"]] for f in failures if f["Id"] in pending}
            if not pending:
                return
            problem = f"{failures[0].get('Code')}: {failures[0].get('Message')}"
            if all(f.get("SenderFault") for f in failures):
                break  # a stale receipt handle does not get better
        ids = ", ".join(m.message_id for m in pending.values())
        self._note(f"could not delete {ids} ({problem}): it will be delivered again")

    async def _report(
        self,
        queue: _Queue,
        batch: Sequence[QueueMessage],
        failed: set[str],
        held: set[str],
        detail: str,
    ) -> None:
        """One line per fate: done (SUCCEEDED or PARTIAL), back after the visibility
        timeout (RETRIED), or on their way to the dead-letter queue (DEAD_LETTERED)."""
        log, name = self.context.deliveries, self.entry.name
        kept = [m for m in batch if m.message_id in failed or m.message_id in held]
        if not kept:
            log.record(self.label, name, len(batch), Outcome.SUCCEEDED)
            return
        try:
            attributes = await self._attributes(queue.url, "RedrivePolicy", "VisibilityTimeout")
        except Exception:  # the endpoint is going away: the line says less, nothing changes
            attributes = {}
        policy = RedrivePolicy.from_attributes(attributes)
        dead = policy.dead_lettered(kept) if policy is not None else []
        back = len(kept) - len(dead)
        done = len(batch) - len(kept)
        failure = detail or "reported in batchItemFailures"
        why = failure
        if held:
            why += f"; {len(held)} later message(s) of the same FIFO group held back"
        if back:
            timeout = attributes.get("VisibilityTimeout", "?")
            why += f"; back after the queue's visibility timeout ({timeout} s)"
        if done and back:
            log.record(self.label, name, done + back, Outcome.PARTIAL, failed=back, detail=why)
        elif done:
            log.record(self.label, name, done, Outcome.SUCCEEDED)
        elif back:
            log.record(self.label, name, back, Outcome.RETRIED, detail=why)
        if dead and policy is not None:
            ids = ", ".join(m.message_id for m in dead)
            where = (
                f"{failure}; received {policy.max_receive_count} times (maxReceiveCount), "
                f"moving to {policy.dead_letter_queue}: {ids}"
            )
            log.record(self.label, name, len(dead), Outcome.DEAD_LETTERED, detail=where)

    async def _return(self, queue: _Queue, messages: Sequence[QueueMessage], why: str) -> None:
        """Make messages visible again at once (ChangeMessageVisibility 0): not run, not lost."""
        failed = []
        for i in range(0, len(messages), SQS_BATCH_LIMIT):
            chunk = messages[i : i + SQS_BATCH_LIMIT]
            entries = [
                {"Id": str(n), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": 0}
                for n, m in enumerate(chunk)
            ]
            try:
                answer = await self.context.call(
                    self._sqs.change_message_visibility_batch, QueueUrl=queue.url, Entries=entries
                )
                failed += [chunk[int(f["Id"])] for f in answer.get("Failed", [])]
            except Exception:
                failed += chunk
        if failed:
            why += f"; {len(failed)} stay in flight until the visibility timeout ends"
        self.context.deliveries.record(
            self.label, self.entry.name, len(messages), Outcome.RETURNED, detail=why
        )

    # -- helpers ---------------------------------------------------------------------------

    async def _attributes(self, url: str, *names: str) -> dict[str, str]:
        answer = await self.context.call(
            self._sqs.get_queue_attributes, QueueUrl=url, AttributeNames=list(names)
        )
        attributes: dict[str, str] = answer.get("Attributes", {})
        return attributes

    async def _visibility_timeout(self, queue: _Queue) -> float:
        try:
            return float(
                (await self._attributes(queue.url, "VisibilityTimeout"))["VisibilityTimeout"]
            )
        except Exception:
            return 30.0  # SQS's default

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the source is told to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _note(self, line: str) -> None:
        self.context.deliveries.note(self.label, line)

    def _trouble(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            self._note(problem)

    def _trouble_over(self, line: str) -> None:
        if self._problem:
            self._problem = ""
            self._recovered_at = time.monotonic()
            self._note(line)


def _queue_missing(error: Exception) -> bool:
    """SQS's answer for a queue that does not exist (both of its spellings)."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
    return code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _describe(error: Exception) -> str:
    """A one-line account of a failed call: botocore's error code and message if any."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return f"{type(error).__name__}: {error}"
