"""A stream event source mapping's shard work: list the shards, run one reader per shard.

What Kinesis and DynamoDB stream sources share (`_stream_pollers.py` adds each service's
calls): shards listed again every few seconds, parents read to their end before their
children start, LATEST taken when the poller first starts, a missing stream looked for again,
and a stop that never leaves a reader running or a checkpoint past an unprocessed record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .._tooling._manifest import FunctionEntry
from ._live_sources import CloudContext
from ._stream_shards import (
    FunctionGone,
    Position,
    Read,
    ReaderSettings,
    ShardReader,
    ShardState,
    Tuning,
)

__all__ = ["Missing", "ShardInfo", "StreamMapping", "shard_info"]


@dataclass(frozen=True)
class ShardInfo:
    shard_id: str
    parents: tuple[str, ...]  # ParentShardId, AdjacentParentShardId (a merge)
    closed: bool  # has an EndingSequenceNumber: no new records will come


class Missing(Exception):
    """The stream (or table, or its stream) is not on the endpoint; the message says what
    to do about it."""


def shard_info(shard: dict[str, Any]) -> ShardInfo:
    parents = tuple(shard[key] for key in ("ParentShardId", "AdjacentParentShardId")
                    if shard.get(key))  # fmt: skip
    closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
    return ShardInfo(shard["ShardId"], parents, closed)


class StreamMapping:
    """What both stream pollers share: shard discovery, readers, start and stop."""

    kind: ClassVar[str]
    max_read: int

    def __init__(
        self,
        entry: FunctionEntry,
        context: CloudContext,
        *,
        tuning: Tuning | None = None,
        maximum_retry_attempts: int | None = None,
    ) -> None:
        self.entry = entry
        self.context = context
        self.tuning = tuning or Tuning()
        settings = entry.settings
        self.batch_size = int(settings.get("batch_size") or 100)
        self.window = float(settings.get("maximum_batching_window_in_seconds") or 0)
        self.starting_position = str(settings.get("starting_position") or "LATEST")
        # Given by the caller, else the function's config (FunctionSpec), else Lambda's -1.
        self._retries = maximum_retry_attempts
        # The checkpoints: kept on the poller, so a stop and a start resume from them.
        self.shards: dict[str, ShardState] = {}
        self.stream_arn: str | None = None
        self._identity: str | None = None  # which stream of that ARN (one deleted and made
        # again has new shards and sequence numbers: its old checkpoints must not apply)
        self._listed = False  # shards seen after the first listing are read from the start
        self._closed: set[str] = set()
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._main: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._said = ""  # the last waiting line, said once
        # Set by the local cloud: called when a stream found before is gone (an endpoint
        # restarted without its state), so that what the app names is made again.
        self.on_missing: Callable[[], None] | None = None
        self._failures: dict[str, str] = {}  # a shard's last reading failure, said once
        # Set once the first look at the stream is done (LATEST taken, or found missing):
        # the local cloud waits for it before it calls the source live.
        self.ready = asyncio.Event()

    @property
    def label(self) -> str:
        raise NotImplementedError

    # -- the stream's service (KinesisPoller, DynamoDbStreamPoller) --------------------------

    async def _find(self) -> tuple[str, str]:
        """The stream's ARN on the endpoint and what tells this stream from an earlier one
        of the same ARN; raises Missing."""
        raise NotImplementedError

    async def _list(self) -> list[ShardInfo]:
        raise NotImplementedError

    async def iterator(self, shard_id: str, position: Position) -> str:
        raise NotImplementedError

    async def read(self, iterator: str, limit: int) -> Read:
        raise NotImplementedError

    def sequence(self, record: Any) -> str:
        raise NotImplementedError

    def event_record(self, record: Any, shard_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def shard_closed(self, shard_id: str) -> bool:
        return shard_id in self._closed

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        if self._main is not None and not self._main.done():
            return
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._main = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Take no new batch; let one in flight finish (up to `stop_grace`), else abandon it
        unrecorded: the checkpoints never pass an unprocessed record."""
        self._stopping.set()
        self._wake.set()
        tasks = [task for task in (self._main, *self._readers.values()) if task is not None]
        self._main = None
        if not tasks:
            return
        try:
            await asyncio.wait(tasks, timeout=self.tuning.stop_grace)
        finally:  # also when the caller gives up on stop() itself: no reader outlives it
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _wanted(self, stream_arn: str | None) -> Callable[[], bool]:
        identity = self._identity
        return lambda: not self._stopping.is_set() and self._identity == identity

    def max_retries(self) -> int:
        if self._retries is not None:
            return self._retries
        spec = self.context.local_lambda.find(self.entry.name)
        configured = getattr(spec, "maximum_retry_attempts", None)
        return -1 if configured is None else int(configured)

    async def _run(self) -> None:
        self.context.deliveries.note(self.label, (
            f"polling for {self.entry.name} from {self.starting_position}, batches of up to "
            f"{self.batch_size}"))  # fmt: skip
        while not self._stopping.is_set():
            pause = self.tuning.rescan
            try:
                await self._scan()
            except Missing as missing:
                self._say(str(missing))
                if self._identity is not None and self.on_missing is not None:
                    self.on_missing()
                # Made after the poller started, its every record is newer than LATEST.
                self._listed = True
                pause = self.tuning.missing_recheck
            except Exception as error:  # the endpoint is down or refuses: look again later
                self._say(f"cannot list its shards: {error}")
                pause = self.tuning.missing_recheck
            self.ready.set()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    def _say(self, line: str) -> None:
        if line != self._said:
            self._said = line
            self.context.deliveries.note(self.label, line)

    async def _scan(self) -> None:
        arn, identity = await self._find()
        if identity != self._identity:
            if self._identity is not None:  # deleted and made again: a new stream
                self.shards.clear()
                self.context.deliveries.note(self.label, "a new stream: reading it from its start")
            self.stream_arn, self._identity = arn, identity
        listing = await self._list()
        self._closed = {shard.shard_id for shard in listing if shard.closed}
        first = not self._listed
        for shard in listing:
            if shard.shard_id in self.shards:
                continue
            if first and self.starting_position == "LATEST":
                # LATEST means "from when the mapping was made": take it now, once.
                it = await self.iterator(shard.shard_id, Position("LATEST"))
                self.shards[shard.shard_id] = ShardState(Position("ITERATOR", it))
            else:  # TRIM_HORIZON, or a shard made since the poller started: all of it
                self.shards[shard.shard_id] = ShardState(Position("TRIM_HORIZON"))
        self._listed = True
        if self._said:
            self._said = ""
            self.context.deliveries.note(self.label, f"found, {len(listing)} shard(s)")
        present = {shard.shard_id for shard in listing}
        for shard in listing:
            state = self.shards[shard.shard_id]
            if state.finished or shard.shard_id in self._readers:
                continue
            # A child shard waits until its parents are read to their end (Lambda keeps
            # the order of records across a resharding); a parent past retention is gone.
            if any(p in present and not self.shards[p].finished for p in shard.parents):
                continue
            self._start_reader(shard.shard_id, state)

    def _start_reader(self, shard_id: str, state: ShardState) -> None:
        settings = ReaderSettings(
            function=self.entry.name,
            label=f"{self.label}/{shard_id}",
            batch_size=self.batch_size,
            window=self.window,
            starting_position=self.starting_position,
            max_retries=self.max_retries,
        )
        reader = ShardReader(shard_id, state, self, settings, self.context, self.tuning,
                             self._wanted(self.stream_arn))  # fmt: skip
        task = asyncio.ensure_future(self._read_shard(reader))
        self._readers[shard_id] = task

    async def _read_shard(self, reader: ShardReader) -> None:
        try:
            await reader.run()
        except FunctionGone:
            self.context.deliveries.note(
                self.label, f"{self.entry.name} is no longer a function of the app; stopped"
            )
            self._stopping.set()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # read again from the checkpoint at the next scan
            line = f"reading failed: {error}; reading again from the checkpoint shortly"
            if self._failures.get(reader.shard_id) != line:  # said once while it lasts
                self._failures[reader.shard_id] = line
                self.context.deliveries.note(reader.settings.label, line)
            return
        finally:
            self._readers.pop(reader.shard_id, None)
        self._failures.pop(reader.shard_id, None)
        if reader.state.finished:
            self._wake.set()  # a finished parent lets its children start now
