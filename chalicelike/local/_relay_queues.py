"""An internal SQS queue a service delivers to, polled, each message one asynchronous invoke.

SNS subscriptions and EventBridge rules run this way locally: the AWS endpoint matches and
fans out into a queue of ours, and a `Relay` hands each message to Lambda's asynchronous
queue (`EventQueue`), deleting it only once the invocation's last attempt has reported, so
whatever a stop interrupts stays queued for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._aws_clients import LONG_POLL_SECONDS
from ._deliveries import Outcome
from ._event_queue import RETRY_DELAYS
from ._invocation import DEFAULT_TIMEOUT_SECONDS
from ._live_sources import CloudContext, invoker_of

__all__ = ["Relay", "RelaySetup", "RelayedSource", "hold_seconds", "internal_name"]

# Received and not yet done: past this many the relay stops receiving until some finish
# (Lambda's async queue takes everything; ours must not hold the whole queue in memory).
MAX_IN_FLIGHT = 100
SETUP_RETRY_SECONDS = 1.0  # a topic or bus not there yet (provisioning runs in parallel)
# stop() lets running attempts finish: the function's timeout, and this much more.
STOP_GRACE_SECONDS = 2.0
FIFO_POLL_SECONDS = 0.1  # how often a FIFO relay looks while a group is in flight
GONE_DELAY = 2  # seconds a gone function's message waits before it can be received again
# SQS's longest visibility timeout (12 hours).
MAX_HOLD_SECONDS = 43200


class RelaySetup:
    """What a service does around the relay's queue: `connect` it (subscribe, put a rule)
    once the queue exists, `disconnect` it on stop, and `convert` each message body into the
    invocation's payload. Blocking calls (boto3): the relay runs them in the cloud's threads.
    """

    def connect(self, queue_arn: str) -> None:
        raise NotImplementedError

    def disconnect(self) -> None:
        raise NotImplementedError

    def convert(self, body: str) -> bytes | None:
        """The payload for one message; None for a message that is no delivery (dropped
        quietly); ValueError naming what is wrong with one that cannot be delivered."""
        raise NotImplementedError


def internal_name(prefix: str, resource: str, limit: int, suffix: str = "") -> str:
    """`prefix + resource + suffix`, at most `limit` characters; a long name is cut and
    ends in a hash of the whole, so two long names never meet."""
    name = f"{prefix}{resource}"
    room = limit - len(suffix)
    if len(name) > room:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[: room - 9]}-{digest}"
    return name + suffix


def hold_seconds(timeout: float) -> int:
    """How long a received message stays invisible: every attempt Lambda makes of an
    asynchronous invoke (three, each up to the function's timeout) and the waits between."""
    return min(int(3 * timeout + sum(RETRY_DELAYS) + 30), MAX_HOLD_SECONDS)


@dataclass
class _Message:
    message_id: str  # SQS's id: the same on every receive of one message
    receipt: str  # the latest receive's handle (the one SQS accepts)
    payload: bytes = b""
    group: str | None = None  # a FIFO queue's message group
    submitted: bool = False  # handed to the EventQueue (a FIFO group's next one waits)
    event_id: str = ""  # its id in the EventQueue, once submitted
    between_attempts: bool = False  # its last attempt failed; Lambda tries again later
    abandoned: bool = False  # handed back by stop(): later reports change nothing


class Relay:
    """Polls one internal queue for one function; `start()` and `async stop()` as a LiveSource."""

    def __init__(
        self,
        context: CloudContext,
        setup: RelaySetup,
        *,
        function: str,
        source: str,
        queue_name: str,
        fifo: bool = False,
    ) -> None:
        self._ctx = context
        self._setup = setup
        self.function = function
        self.source = source  # the delivery log's label: 'sns orders'
        self.queue_name = queue_name
        self.fifo = fifo
        self.queue_url: str | None = None
        spec = context.local_lambda.find(function)
        self._timeout = spec.timeout if spec is not None else DEFAULT_TIMEOUT_SECONDS
        self._in_flight: dict[str, _Message] = {}
        # FIFO: each group's messages not yet submitted, in order; one submitted at a time.
        self._groups: dict[str, deque[_Message]] = {}
        self._chores: set[asyncio.Task[None]] = set()  # deletes and hand-backs under way
        self._changed = asyncio.Event()  # an attempt reported: stop() and the poller look again
        self._stop_requested = asyncio.Event()
        self.ready = asyncio.Event()  # connected: the local cloud waits for it before "live"
        self._stopping = False
        self._connected = False
        self._task: asyncio.Task[None] | None = None
        self._problem = ""  # the last setup or receive problem logged, not repeated
        # Set by the local cloud: called when our queue is gone from a running endpoint.
        self.on_missing: Callable[[], None] | None = None

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop receiving and disconnect; meanwhile let running attempts end (up to the
        function's timeout); hand the rest back to the queue. Cancelled (the local cloud
        gives a stop a few seconds), it still hands back all that is not done."""
        self._stopping = True
        self._stop_requested.set()
        try:
            await asyncio.gather(
                self._disconnect(),
                self._settle(self._timeout + STOP_GRACE_SECONDS),
                # The poller notices within one long poll and hands back what that got;
                # shielded, so that a cancelled stop does not cut it off mid-receive.
                *([asyncio.shield(self._task)] if self._task is not None else []),
            )
        finally:
            waiting = [m for m in self._in_flight.values() if not m.abandoned]
            for message in waiting:
                message.abandoned = True
                # One waiting for its retry: the queue's next delivery runs it, not both.
                self._ctx.event_queue.withdraw(message.event_id)
            self._in_flight.clear()
            self._groups.clear()
            if waiting:
                self._chore(self._hand_back(waiting, "the source stopped"))
            await asyncio.shield(asyncio.gather(*self._chores))

    async def _disconnect(self) -> None:
        if self._connected:
            self._connected = False
            await self._blocking("could not disconnect", self._setup.disconnect)

    # -- setting up --------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            # The poll ends early when the queue is gone (an endpoint restarted without
            # its state): set up again, queue and subscription, and go on.
            while await self._set_up() and await self._poll():
                pass
        except Exception as error:  # a bug of ours: say so, and stop delivering
            self._ctx.log(f"chalicelike local: {self.source}: stopped delivering: {error!r}")

    async def _set_up(self) -> bool:
        """Create the queue and connect it, retrying while the endpoint is not ready or the
        topic or bus is not made yet; False when stopped first."""
        while not self._stopping:
            try:
                queue_arn = await self._ctx.call(self._create_queue)
                await self._ctx.call(self._setup.connect, queue_arn)
            except Exception as error:
                self._note_problem(f"waiting to connect ({_reason(error)})")
                await self._pause(SETUP_RETRY_SECONDS)
                continue
            self._connected = True
            self.ready.set()
            self._problem = ""
            self._ctx.deliveries.note(self.source, f"delivering to {self.function}")
            return True
        return False

    def _create_queue(self) -> str:
        """The internal queue (made once; `create_queue` of an existing one is a no-op),
        open to the services that deliver to it, as AWS's queue policies require."""
        sqs = self._ctx.clients.get("sqs")
        attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if self.fifo else {}
        url: str = sqs.create_queue(QueueName=self.queue_name, Attributes=attributes)["QueueUrl"]
        found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        queue_arn: str = found["Attributes"]["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["sns.amazonaws.com", "events.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        self.queue_url = url
        return queue_arn

    # -- receiving ---------------------------------------------------------------------

    async def _poll(self) -> bool:
        """Receive and dispatch until stopped (False), or until the queue is gone (True)."""
        while not self._stopping:
            if len(self._in_flight) >= MAX_IN_FLIGHT:
                await self._wait_for_change(LONG_POLL_SECONDS)
                continue
            try:
                messages = await self._ctx.call(self._receive)
            except Exception as error:
                self._note_problem(f"could not receive from {self.queue_name} ({_reason(error)})")
                if _queue_missing(error):
                    if self.on_missing is not None:
                        self.on_missing()  # the topic or bus is gone too: made again
                    self._connected = False
                    return True
                await self._pause(SETUP_RETRY_SECONDS)
                continue
            if self._stopping:  # received after stop() began: straight back to the queue
                returned = [_Message(m["MessageId"], m["ReceiptHandle"]) for m in messages]
                if returned:  # awaited here: a cancelled stop() may not wait for the poller
                    await self._hand_back(returned, "the source stopped")
                return False
            for message in messages:
                self._dispatch(message)
            if not messages and self._short_polls():
                await self._wait_for_change(FIFO_POLL_SECONDS)
        return False

    def _short_polls(self) -> bool:
        """FIFO with a group in flight: moto's long poll keeps the groups that were in
        flight when it began closed until it ends, so a group's next message would wait
        for the whole poll; short polls, after each change or FIFO_POLL_SECONDS, do not."""
        return self.fifo and bool(self._groups)

    def _receive(self) -> list[dict[str, Any]]:
        sqs = self._ctx.clients.get("sqs")
        answer = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            # FIFO: SQS gives no more of a group while some are received and not deleted;
            # the relay invokes a group's messages one after another (`_next_of_group`).
            AttributeNames=["MessageGroupId"],
            WaitTimeSeconds=0 if self._short_polls() else LONG_POLL_SECONDS,
            VisibilityTimeout=hold_seconds(self._timeout),
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        return messages

    def _dispatch(self, message: dict[str, Any]) -> None:
        message_id, receipt = message["MessageId"], message["ReceiptHandle"]
        known = self._in_flight.get(message_id)
        if known is not None:  # its hold ran out while Lambda still retries: same event
            known.receipt = receipt
            return
        group = message.get("Attributes", {}).get("MessageGroupId") if self.fifo else None
        entry = _Message(message_id, receipt, group=group)
        try:
            payload = self._setup.convert(message["Body"])
        except Exception as error:
            # A message of the wrong shape (sent to the queue by hand, say) is this
            # message's problem only: said, dropped, and the relay goes on with the rest.
            why = str(error) if isinstance(error, ValueError) else _malformed(error)
            self._ctx.deliveries.record(
                self.source, self.function, 1, Outcome.DISCARDED, detail=f"not deliverable: {why}"
            )
            self._chore(self._delete(entry))
            return
        if payload is None:
            self._chore(self._delete(entry))
            return
        entry.payload = payload
        self._in_flight[message_id] = entry
        if group is None:
            self._submit(entry)
            return
        waiting = self._groups.setdefault(group, deque())
        waiting.append(entry)
        if len(waiting) == 1:  # none of its group is running
            self._submit(entry)

    def _submit(self, entry: _Message) -> None:
        entry.submitted = True
        entry.event_id = str(uuid.uuid4())
        self._ctx.event_queue.submit(
            self.function,
            entry.payload,
            entry.event_id,
            label=f"{self.source} -> {self.function}",
            report=functools.partial(self._report, entry),
            source=invoker_of(self.source),
        )

    def _next_of_group(self, entry: _Message) -> None:
        """A FIFO message is done: its group's next one runs (SNS FIFO keeps group order)."""
        waiting = self._groups.get(entry.group or "")
        if not waiting:
            return
        waiting.popleft()
        if waiting:
            self._submit(waiting[0])
        else:
            del self._groups[entry.group or ""]

    def _report(self, entry: _Message, outcome: Outcome, detail: str) -> None:
        """After each attempt of one message's invocation (called by the EventQueue)."""
        if entry.abandoned:
            return  # back in the queue already: its next receive delivers it
        gone = self._ctx.local_lambda.find(self.function) is None
        kept = outcome is Outcome.DISCARDED and (self._stopping or gone)
        if not kept:  # a kept one is counted once, as returned, by _hand_back
            self._ctx.deliveries.record(self.source, self.function, 1, outcome, detail=detail)
        self._changed.set()
        if outcome is Outcome.RETRIED:
            entry.between_attempts = True
            return
        self._in_flight.pop(entry.message_id, None)
        if entry.group is not None and not self._stopping:
            self._next_of_group(entry)
        if outcome is Outcome.SUCCEEDED:
            self._chore(self._delete(entry))
        elif kept:
            # Dropped while stopping (the EventQueue may be closing: the function did not
            # refuse it), or the app was reloaded without the function: it stays queued.
            # A gone function's message waits a moment, or this relay (which the local
            # cloud is about to stop) would receive it again at once, and again.
            why = "not run to its end: kept for the next start"
            self._chore(self._hand_back([entry], why, delay=0 if self._stopping else GONE_DELAY))
        else:
            self._chore(self._delete(entry))  # Lambda's retries ran out: AWS drops it too

    # -- settling ----------------------------------------------------------------------

    async def _settle(self, seconds: float) -> None:
        """Wait until no attempt is running (each is waiting for a retry, or done)."""
        deadline = time.monotonic() + seconds
        while any(m.submitted and not m.between_attempts for m in self._in_flight.values()):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await self._wait_for_change(left)

    async def _delete(self, entry: _Message) -> None:
        sqs = self._ctx.clients.get("sqs")
        call = functools.partial(sqs.delete_message, QueueUrl=self.queue_url)
        await self._blocking("could not delete a delivered message", call,
                             ReceiptHandle=entry.receipt)  # fmt: skip

    async def _hand_back(self, entries: list[_Message], why: str, delay: int = 0) -> None:
        """Make messages visible again at once (SQS's ChangeMessageVisibility to 0), or
        after `delay` seconds."""
        sqs = self._ctx.clients.get("sqs")
        for start in range(0, len(entries), 10):  # SQS's batch limit
            batch = entries[start : start + 10]
            changes = [
                {"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": delay}
                for i, m in enumerate(batch)
            ]
            call = functools.partial(sqs.change_message_visibility_batch, QueueUrl=self.queue_url)
            await self._blocking("could not hand messages back", call, Entries=changes)
            self._ctx.deliveries.record(
                self.source, self.function, len(batch), Outcome.RETURNED, detail=why
            )

    # -- helpers -----------------------------------------------------------------------

    async def _blocking(self, what: str, call: Callable[..., Any], **kwargs: Any) -> None:
        """A boto3 call whose failure is logged, not raised: a message left undeleted or
        invisible comes back after its hold, so nothing is lost."""
        try:
            await self._ctx.call(call, **kwargs)
        except Exception as error:
            self._ctx.deliveries.note(self.source, f"{what}: {_reason(error)}")

    def _chore(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _wait_for_change(self, seconds: float) -> None:
        self._changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), seconds)

    def _note_problem(self, problem: str) -> None:
        if problem != self._problem:  # once, not every second
            self._problem = problem
            self._ctx.deliveries.note(self.source, problem)


def _queue_missing(error: Exception) -> bool:
    """SQS's answer for a queue that does not exist (both of its spellings)."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
    return code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _malformed(error: Exception) -> str:
    """What a converter's unexpected error says about the message, in one line."""
    return f"the message is malformed ({type(error).__name__}: {error})"


def _reason(error: Exception) -> str:
    """A botocore error's code and message, or the error's own words."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return str(error) or type(error).__name__


class RelayedSource:
    """A LiveSource whose messages come through a `Relay` (SNS, EventBridge): connecting,
    starting and stopping are the relay's."""

    relay: Relay

    @property
    def ready(self) -> asyncio.Event:
        """Set once connected (the local cloud logs "live" after it)."""
        return self.relay.ready

    def start(self) -> None:
        self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()
