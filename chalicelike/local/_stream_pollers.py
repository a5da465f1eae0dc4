"""Live Kinesis and DynamoDB stream sources: Lambda's stream event source mappings, locally.

Each class speaks its service's API (ListShards / DescribeStream, GetShardIterator,
GetRecords) for a `StreamMapping` (`_stream_mapping.py`), which runs a `ShardReader` per
shard. DynamoDB's deployed stream ARN names the table; the local stream is its LatestStreamArn.
A stream or table that is not there yet is looked for every few seconds, with one line saying
how to create it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tooling._manifest import FunctionEntry
from ._live_sources import CloudContext
from ._stream_mapping import Missing, ShardInfo, StreamMapping, shard_info
from ._stream_records import dynamodb_event_record, kinesis_event_record
from ._stream_shards import Position, Read, Tuning, error_code

__all__ = ["DynamoDbStreamPoller", "KinesisPoller", "Tuning", "table_of"]


async def _call(context: CloudContext, method: Callable[..., Any], **kwargs: Any) -> Any:
    return await context.call(method, **kwargs)


def _iterator_options(position: Position) -> dict[str, Any]:
    options: dict[str, Any] = {"ShardIteratorType": position.kind}
    if position.value is not None:
        options["SequenceNumber"] = position.value
    return options


class KinesisPoller(StreamMapping):
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
            if error_code(error) != "ResourceNotFoundException":
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
            shards.extend(shard_info(shard) for shard in page.get("Shards", []))
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


class DynamoDbStreamPoller(StreamMapping):
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
            if error_code(error) != "ResourceNotFoundException":
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
            shards.extend(shard_info(shard) for shard in description.get("Shards", []))
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
