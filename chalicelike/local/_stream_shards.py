"""One shard of a Kinesis or DynamoDB stream, read the way Lambda's event source mapping does.

A `ShardReader` reads its shard in order, gathers a batch (up to batch_size, waiting out the
batching window), invokes the function and checkpoints: past the whole batch on success,
before the failed record with the lowest sequence number on a partial batch response, not
at all on an error, until the retries run out and the batch is discarded. One batch at a
time, so order within a shard holds. The checkpoint lives in a `ShardState` its poller
keeps, so a stop and a start resume where the last one left off.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ._deliveries import Outcome
from ._invocation import InvocationResult, InvocationStatus, Throttled, UnknownFunction
from ._live_sources import CloudContext, invoker_of
from ._stream_records import read_verdict, records_that_fit

__all__ = [
    "FunctionGone",
    "Position",
    "Read",
    "ReaderSettings",
    "ShardApi",
    "ShardReader",
    "ShardState",
    "Tuning",
    "error_code",
]


@dataclass(frozen=True)
class Tuning:
    """How often a stream poller looks and waits (tests make these short)."""

    # Lambda polls each shard about once a second; a dev loop wants a record seen at once:
    # 4 polls a second while the shard is busy, Lambda's 1 a second once it has been quiet
    # (each poll costs moto CPU, and its DynamoDB Streams keeps every iterator it hands out).
    idle_poll: float = 0.25
    quiet_poll: float = 1.0
    quiet_after: float = 30.0
    retry_backoff: tuple[float, float] = (0.5, 5.0)  # first delay, longest: a failed batch
    throttle_backoff: tuple[float, float] = (0.2, 5.0)  # reserved concurrency in use
    rescan: float = 5.0  # how often the shard list is read again (new shards, resharding)
    missing_recheck: float = 3.0  # how often a stream or table that is not there is looked for
    # How long stop() lets an invoke in flight finish before it abandons it (unrecorded,
    # read again from the checkpoint); under the local cloud's own 2 s for a source's stop.
    stop_grace: float = 1.5


@dataclass(frozen=True)
class Position:
    """Where to read from: a ShardIteratorType (with its sequence number), or ITERATOR, an
    iterator kept from a read that found nothing (LATEST taken at the poller's start)."""

    kind: str
    value: str | None = None


@dataclass
class ShardState:
    """What the poller keeps about one shard across stops and restarts."""

    position: Position  # where to resume while nothing is checkpointed
    checkpoint: str | None = None  # the last sequence number done with
    failures: int = 0  # failed attempts of the record after the checkpoint
    finished: bool = False  # a closed shard read to its end: its children may start

    def resume_at(self) -> Position:
        if self.checkpoint is not None:
            return Position("AFTER_SEQUENCE_NUMBER", self.checkpoint)
        return self.position


@dataclass(frozen=True)
class Read:
    records: list[Any]
    next_iterator: str | None  # None: a closed shard read to its end (AWS)


class ShardApi(Protocol):
    """What a reader needs of its stream's service (the poller provides it)."""

    max_read: int  # GetRecords' largest Limit

    async def iterator(self, shard_id: str, position: Position) -> str: ...

    async def read(self, iterator: str, limit: int) -> Read: ...

    def sequence(self, record: Any) -> str: ...

    def event_record(self, record: Any, shard_id: str) -> dict[str, Any]: ...

    def shard_closed(self, shard_id: str) -> bool: ...


class FunctionGone(Exception):
    """The function is no longer the app's (reloaded without it): the poller stops."""


class _Expired(Exception):
    """The kept iterator no longer works: read again from the starting position."""


@dataclass(frozen=True)
class ReaderSettings:
    function: str
    label: str  # 'kinesis clicks/shardId-000000000000'
    batch_size: int
    window: float  # maximum_batching_window_in_seconds
    starting_position: str  # where a kept iterator that expired is replaced from
    max_retries: Callable[[], int]  # -1: until the records expire (never, locally)


class ShardReader:
    def __init__(
        self,
        shard_id: str,
        state: ShardState,
        api: ShardApi,
        settings: ReaderSettings,
        context: CloudContext,
        tuning: Tuning,
        wanted: Callable[[], bool],  # False once the poller stops or the stream changed
    ) -> None:
        self.shard_id = shard_id
        self.state = state
        self.api = api
        self.settings = settings
        self.context = context
        self.tuning = tuning
        self.wanted = wanted
        self._buffer: list[Any] = []  # read, not yet checkpointed, in order
        self._since = 0.0  # when the first buffered record was read (batching window)
        self._last_records = time.monotonic()  # when a read last found records

    async def run(self) -> None:
        """Read until stopped or, for a closed shard, to its end (then `finished`)."""
        iterator: str | None = await self._open()
        while self.wanted():
            if iterator is not None and len(self._buffer) < self.settings.batch_size:
                try:
                    read = await self._read(iterator)
                except _Expired:
                    iterator = await self._open()
                    continue
                iterator = read.next_iterator
                if not self._buffer and not read.records:
                    if iterator is None or self.api.shard_closed(self.shard_id):
                        self.state.finished = True
                        return
                    await self._pause(self._idle_pause())
                    continue
            if not self._buffer:  # a closed shard, fully delivered
                self.state.finished = True
                return
            # MaximumBatchingWindowInSeconds: gather records until the batch is full.
            waiting = self.settings.window - (time.monotonic() - self._since)
            filling = iterator is not None and len(self._buffer) < self.settings.batch_size
            if filling and waiting > 0:
                await self._pause(min(self.tuning.idle_poll, waiting))
                continue
            await self._deliver()

    async def _open(self) -> str:
        position = self.state.resume_at()
        return await self.api.iterator(self.shard_id, position)

    async def _read(self, iterator: str) -> Read:
        limit = min(self.settings.batch_size - len(self._buffer), self.api.max_read)
        try:
            read = await self.api.read(iterator, limit)
        except Exception as error:
            if error_code(error) != "ExpiredIteratorException" or self.state.checkpoint is not None:
                raise
            # Only a kept iterator can expire between reads (5 minutes on AWS): read again
            # from the mapping's starting position, as a new mapping would.
            self.state.position = Position(self.settings.starting_position)
            self.context.deliveries.note(
                self.settings.label,
                f"the kept position expired; reading from {self.settings.starting_position}",
            )
            raise _Expired from None
        if read.records:
            self._last_records = time.monotonic()
            if not self._buffer:
                self._since = time.monotonic()
                if self.state.checkpoint is None:  # a restart must read these again
                    first = self.api.sequence(read.records[0])
                    self.state.position = Position("AT_SEQUENCE_NUMBER", first)
            self._buffer.extend(read.records)
        elif not self._buffer and self.state.checkpoint is None and read.next_iterator:
            self.state.position = Position("ITERATOR", read.next_iterator)
        return read

    def _idle_pause(self) -> float:
        quiet = time.monotonic() - self._last_records > self.tuning.quiet_after
        return self.tuning.quiet_poll if quiet else self.tuning.idle_poll

    async def _pause(self, seconds: float) -> None:
        """Sleep, but no longer than the poller runs."""
        deadline = time.monotonic() + seconds
        while self.wanted() and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.05))

    async def _deliver(self) -> None:
        batch = self._buffer[: self.settings.batch_size]
        events = [self.api.event_record(record, self.shard_id) for record in batch]
        count = records_that_fit(events)
        batch, events = batch[:count], events[:count]
        sequences = [self.api.sequence(record) for record in batch]
        payload = json.dumps({"Records": events}).encode()
        try:
            result = await self._invoke(payload)
        except asyncio.CancelledError:
            # stop() gave up waiting: nothing is checkpointed, a restart reads it again.
            self._record(count, Outcome.RETURNED, detail="abandoned at stop; not checkpointed")
            raise
        if result is None:  # stopped while throttled: nothing ran
            return
        retry_from, problem = 0, _failure(result)
        if result.status is InvocationStatus.OK:
            verdict = read_verdict(result.payload, sequences)
            retry_from, problem = (count if verdict.retry_from is None else verdict.retry_from,
                                   verdict.problem)  # fmt: skip
        if retry_from == count:
            self._checkpoint(sequences, count)
            self.state.failures = 0
            self._record(count, Outcome.SUCCEEDED)
            return
        if retry_from > 0:  # partial: the records before the first failure are done
            self._checkpoint(sequences, retry_from)
            self.state.failures = 0
        self.state.failures += 1
        await self._failed(sequences, retry_from, problem or "batchItemFailures")

    async def _failed(self, sequences: list[str], retry_from: int, problem: str) -> None:
        count, failed = len(sequences), len(sequences) - retry_from
        limit = self.settings.max_retries()
        if limit >= 0 and self.state.failures > limit:
            # MaximumRetryAttempts used up, and no on-failure destination: Lambda drops the
            # batch and the shard moves on.
            if retry_from:
                self._record(retry_from, Outcome.SUCCEEDED)
            self._checkpoint(sequences[retry_from:], failed)
            self.state.failures = 0
            self._record(failed, Outcome.DISCARDED, detail=(
                f"{problem}; retries exhausted (maximum_retry_attempts {limit}): sequence "
                f"numbers {sequences[retry_from]}..{sequences[-1]} dropped"))  # fmt: skip
            return
        if retry_from:
            self._record(count, Outcome.PARTIAL, failed=failed, detail=(
                f"retrying from sequence number {sequences[retry_from]}"))  # fmt: skip
        else:
            self._record(count, Outcome.RETRIED, detail=f"{problem}; retry {self.state.failures}")
        first, longest = self.tuning.retry_backoff
        await self._pause(min(first * 2 ** (self.state.failures - 1), longest))

    def _checkpoint(self, sequences: list[str], done: int) -> None:
        self.state.checkpoint = sequences[done - 1]
        del self._buffer[:done]
        self._since = time.monotonic()

    async def _invoke(self, payload: bytes) -> InvocationResult | None:
        delay, longest = self.tuning.throttle_backoff
        while True:
            try:
                return await self.context.local_lambda.invoke(
                    self.settings.function, payload, source=invoker_of(self.settings.label)
                )
            except Throttled:
                # Lambda backs off and tries again; a throttle is no retry of the batch.
                if not self.wanted():
                    return None
                await self._pause(delay)
                delay = min(delay * 2, longest)
            except UnknownFunction:
                raise FunctionGone(self.settings.function) from None

    def _record(self, records: int, outcome: Outcome, *, failed: int = 0, detail: str = "") -> None:
        self.context.deliveries.record(
            self.settings.label, self.settings.function, records, outcome,
            failed=failed, detail=detail,
        )  # fmt: skip


def _failure(result: InvocationResult) -> str:
    """A failed invoke in a few words: 'ValueError: boom', 'timed out'."""
    if result.status is InvocationStatus.OK:
        return ""
    try:
        error = json.loads(result.payload)
        words = f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    except (ValueError, AttributeError):
        words = result.status.value
    return f"{result.status.value}: {words}"[:200]


def error_code(error: Exception) -> str:
    """A botocore ClientError's code ('' for anything else)."""
    response: Any = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
