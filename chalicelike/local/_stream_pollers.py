"""Live Kinesis and DynamoDB stream sources: Lambda's stream event source mappings, locally.

A poller lists its stream's shards on the local endpoint and runs one `ShardReader` per
shard (`_stream_shards.py`): parents before children, new shards picked up as they appear,
LATEST taken when the poller first starts. A stream or table that is not there yet is
looked for every few seconds, with one line saying how to create it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .._tooling._manifest import FunctionEntry
from ._live_sources import CloudContext
from ._stream_records import dynamodb_event_record, kinesis_event_record
from ._stream_shards import (
    FunctionGone,
    Position,
    Read,
    ReaderSettings,
    ShardReader,
    ShardState,
    Tuning,
)

__all__ = ["DynamoDbStreamPoller", "KinesisPoller", "Tuning"]


@dataclass(frozen=True)
class ShardInfo:
    shard_id: str
    parents: tuple[str, ...]  # ParentShardId, AdjacentParentShardId (a merge)
    closed: bool  # has an EndingSequenceNumber: no new records will come


class Missing(Exception):
    """The stream (or table, or its stream) is not on the endpoint; the message says what
    to do about it."""


def _code(error: Exception) -> str:
    response: Any = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _shard_info(shard: dict[str, Any]) -> ShardInfo:
    parents = tuple(shard[key] for key in ("ParentShardId", "AdjacentParentShardId")
                    if shard.get(key))  # fmt: skip
    closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
    return ShardInfo(shard["ShardId"], parents, closed)


class _StreamPoller:
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


async def _call(context: CloudContext, method: Callable[..., Any], **kwargs: Any) -> Any:
    call: Awaitable[Any] = context.call(method, **kwargs)
    return await call


def _iterator_options(position: Position) -> dict[str, Any]:
    options: dict[str, Any] = {"ShardIteratorType": position.kind}
    if position.value is not None:
        options["SequenceNumber"] = position.value
    return options


class KinesisPoller(_StreamPoller):
    """`on_kinesis_record`: reads a Kinesis data stream named by `stream` (name or ARN)."""

    kind = "kinesis"
    max_read = 10_000

    def __init__(self, entry: FunctionEntry, context: CloudContext, **options: Any) -> None:
        super().__init__(entry, context, **options)
        stream = str(entry.settings.get("stream") or "")
        self.stream_name = stream.rsplit("/", 1)[-1] if stream.startswith("arn:") else stream
        self._role_arn = ""

    @property
    def label(self) -> str:
        return f"kinesis {self.stream_name}"

    def _client(self) -> Any:
        return self.context.clients.get("kinesis")

    async def _find(self) -> tuple[str, str]:
        try:
            summary = await _call(self.context, self._client().describe_stream_summary,
                                  StreamName=self.stream_name)  # fmt: skip
        except Exception as error:
            if _code(error) != "ResourceNotFoundException":
                raise
            raise Missing(
                f"stream {self.stream_name} does not exist on the local endpoint; create it "
                f"(aws kinesis create-stream --stream-name {self.stream_name} --shard-count 1)"
                "; looking again every few seconds"
            ) from None
        summary = summary["StreamDescriptionSummary"]
        return str(summary["StreamARN"]), f"{summary['StreamCreationTimestamp']}"

    async def _list(self) -> list[ShardInfo]:
        shards: list[ShardInfo] = []
        options: dict[str, Any] = {"StreamName": self.stream_name}
        while True:
            page = await _call(self.context, self._client().list_shards, **options)
            shards.extend(_shard_info(shard) for shard in page.get("Shards", []))
            if not page.get("NextToken"):
                return shards
            options = {"NextToken": page["NextToken"]}  # alone: ListShards' rule

    async def iterator(self, shard_id: str, position: Position) -> str:
        if position.kind == "ITERATOR":
            return str(position.value)
        options = _iterator_options(position)
        if "SequenceNumber" in options:
            options["StartingSequenceNumber"] = options.pop("SequenceNumber")
        answer = await _call(self.context, self._client().get_shard_iterator,
                             StreamName=self.stream_name, ShardId=shard_id, **options)  # fmt: skip
        return str(answer["ShardIterator"])

    async def read(self, iterator: str, limit: int) -> Read:
        answer = await _call(self.context, self._client().get_records, ShardIterator=iterator,
                             Limit=limit)  # fmt: skip
        return Read(list(answer.get("Records", [])), answer.get("NextShardIterator"))

    def sequence(self, record: Any) -> str:
        return str(record["SequenceNumber"])

    def event_record(self, record: Any, shard_id: str) -> dict[str, Any]:
        if not self._role_arn:
            spec = self.context.local_lambda.find(self.entry.name)
            role = spec.resource_name if spec is not None else self.entry.name
            # The role the function would run as (invokeIdentityArn); locally none exists.
            self._role_arn = f"arn:aws:iam::{self.context.account_id}:role/{role}"
        return kinesis_event_record(
            record, shard_id=shard_id, stream_arn=self.stream_arn or "",
            region=self.context.region, role_arn=self._role_arn,
        )  # fmt: skip


def table_of(stream_arn: str) -> str:
    """The table of arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL ('' if none)."""
    parts = stream_arn.split(":", 5)
    resource = parts[5].split("/") if len(parts) == 6 else []
    return resource[1] if len(resource) >= 2 and resource[0] == "table" else ""


class DynamoDbStreamPoller(_StreamPoller):
    """`on_dynamodb_record`: reads the stream of the table `stream_arn` names. The deployed
    stream's label differs from the local one, so the table's LatestStreamArn is read."""

    kind = "dynamodb"
    max_read = 1_000

    def __init__(self, entry: FunctionEntry, context: CloudContext, **options: Any) -> None:
        super().__init__(entry, context, **options)
        self.configured_arn = str(entry.settings.get("stream_arn") or "")
        self.table = table_of(self.configured_arn)

    @property
    def label(self) -> str:
        return f"dynamodb {self.table or self.configured_arn}"

    def _streams(self) -> Any:
        return self.context.clients.get("dynamodbstreams")

    async def _find(self) -> tuple[str, str]:
        if not self.table:
            raise Missing(
                f"stream_arn {self.configured_arn!r} names no table "
                "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL); nothing to read"
            )
        create = (
            f"create it with a stream (aws dynamodb create-table --table-name {self.table} ... "
            "--stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES)"
        )
        try:
            answer = await _call(self.context, self.context.clients.get("dynamodb").describe_table,
                                 TableName=self.table)  # fmt: skip
        except Exception as error:
            if _code(error) != "ResourceNotFoundException":
                raise
            raise Missing(
                f"table {self.table} does not exist on the local endpoint; {create}; "
                "looking again every few seconds"
            ) from None
        table = answer["Table"]
        enabled = table.get("StreamSpecification", {}).get("StreamEnabled", False)
        if not enabled or not table.get("LatestStreamArn"):
            raise Missing(
                f"table {self.table} has no stream; enable one (aws dynamodb update-table "
                f"--table-name {self.table} --stream-specification StreamEnabled=true,"
                "StreamViewType=NEW_AND_OLD_IMAGES); looking again every few seconds"
            )
        arn = str(table["LatestStreamArn"])
        return arn, arn  # a new stream of the table has a new label

    async def _list(self) -> list[ShardInfo]:
        shards: list[ShardInfo] = []
        options: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            answer = await _call(self.context, self._streams().describe_stream, **options)
            description = answer["StreamDescription"]
            shards.extend(_shard_info(shard) for shard in description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            options["ExclusiveStartShardId"] = last

    async def iterator(self, shard_id: str, position: Position) -> str:
        if position.kind == "ITERATOR":
            return str(position.value)
        answer = await _call(self.context, self._streams().get_shard_iterator,
                             StreamArn=self.stream_arn, ShardId=shard_id,
                             **_iterator_options(position))  # fmt: skip
        return str(answer["ShardIterator"])

    async def read(self, iterator: str, limit: int) -> Read:
        answer = await _call(self.context, self._streams().get_records, ShardIterator=iterator,
                             Limit=limit)  # fmt: skip
        return Read(list(answer.get("Records", [])), answer.get("NextShardIterator"))

    def sequence(self, record: Any) -> str:
        return str(record["dynamodb"]["SequenceNumber"])

    def event_record(self, record: Any, shard_id: str) -> dict[str, Any]:
        return dynamodb_event_record(
            record, stream_arn=self.stream_arn or "", region=self.context.region
        )
