"""Kinesis and DynamoDB stream pollers against moto's real server, with a recording local
Lambda or real worker processes: shapes, order, partial failures, retries, stop and restart."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chalicelike._tooling._manifest import FunctionEntry
from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._deliveries import DeliveryLog
from chalicelike.local._event_queue import EventQueue
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    LocalLambda,
    Throttled,
)
from chalicelike.local._live_sources import CloudContext
from chalicelike.local._stream_mapping import ShardInfo
from chalicelike.local._stream_pollers import DynamoDbStreamPoller, KinesisPoller, Tuning
from chalicelike.local._stream_shards import Position, Read

pytestmark = pytest.mark.anyio

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's
FAST = Tuning(idle_poll=0.05, retry_backoff=(0.05, 0.1), throttle_backoff=(0.05, 0.1),
              rescan=0.3, missing_recheck=0.2, stop_grace=5.0)  # fmt: skip
Answer = Callable[[list[dict[str, Any]], int], "InvocationResult | Exception"]


@pytest.fixture
def endpoint(moto_url: str) -> str:
    """moto, emptied: every test starts with no stream and no table."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    return moto_url


def ok(payload: object = None) -> InvocationResult:
    return InvocationResult("req", InvocationStatus.OK, json.dumps(payload).encode())


def error(message: str = "boom") -> InvocationResult:
    body = json.dumps({"errorMessage": message, "errorType": "ValueError"}).encode()
    return InvocationResult("req", InvocationStatus.ERROR, body)


class Recorder:
    """A local Lambda that keeps every batch and answers as `answer` says."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.answer = answer or (lambda records, attempt: ok())

    def find(self, name: str) -> FunctionSpec | None:
        return FunctionSpec(name, f"streams-dev-{name}", f"app.{name}", "/project")

    async def invoke(
        self, name: str, payload: bytes, *, client_context: str | None = None,
        request_id: str | None = None, trace_header: str | None = None, source: str = "invoke",
    ) -> InvocationResult:  # fmt: skip
        records = json.loads(payload)["Records"]
        self.batches.append(records)
        answer = self.answer(records, len(self.batches))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def data(self) -> list[list[str]]:
        """Each batch's Kinesis data, decoded."""
        import base64

        return [[base64.b64decode(r["kinesis"]["data"]).decode() for r in b] for b in self.batches]


class Cloud:
    """A CloudContext on moto, its delivery log's lines, and clients for the test's own use."""

    def __init__(self, endpoint: str, local_lambda: LocalLambda) -> None:
        self.lines: list[str] = []
        self.clients = AwsClients(endpoint, REGION)
        self.context = CloudContext(
            local_lambda=local_lambda,
            clients=self.clients,
            deliveries=DeliveryLog(self.lines.append),
            event_queue=EventQueue(local_lambda, self.lines.append),
            region=REGION,
            account_id=ACCOUNT,
            log=self.lines.append,
        )
        self.kinesis = self.clients.get("kinesis")
        self.dynamodb = self.clients.get("dynamodb")

    def put(self, stream: str, *items: str, key: str = "k") -> None:
        """One PutRecords: the records arrive together, so a poll never splits them by
        chance (a test's batches are then the same on a busy machine)."""
        records = [{"Data": item.encode(), "PartitionKey": key} for item in items]
        self.kinesis.put_records(StreamName=stream, Records=records)

    def table(self, name: str) -> str:
        answer = self.dynamodb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )  # fmt: skip
        return str(answer["TableDescription"]["LatestStreamArn"])


@pytest.fixture
def cloud(endpoint: str) -> Iterator[Callable[[LocalLambda], Cloud]]:
    made: list[Cloud] = []

    def make(local_lambda: LocalLambda) -> Cloud:
        made.append(Cloud(endpoint, local_lambda))
        return made[-1]

    yield make
    for each in made:
        each.context.executor.shutdown(wait=True)


@pytest.fixture
async def pollers() -> AsyncIterator[list[Any]]:
    """Pollers a test starts; each stopped when it ends."""
    running: list[Any] = []
    yield running
    for poller in running:
        await poller.stop()


def kinesis_entry(**settings: Any) -> FunctionEntry:
    settings = {"stream": "clicks", "batch_size": 100, "starting_position": "TRIM_HORIZON",
                "maximum_batching_window_in_seconds": 0, **settings}  # fmt: skip
    return FunctionEntry("on_click", "app.on_click", "kinesis", settings)


def dynamodb_entry(**settings: Any) -> FunctionEntry:
    arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2024-01-01T00:00:00.000"
    settings = {"stream_arn": arn, "batch_size": 100, "starting_position": "LATEST",
                "maximum_batching_window_in_seconds": 0, **settings}  # fmt: skip
    return FunctionEntry("on_order", "app.on_order", "dynamodb", settings)


async def until(check: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def flat(batches: list[list[str]]) -> list[str]:
    return [item for batch in batches for item in batch]


# -- Kinesis --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_kinesis_batches_keep_the_shards_order(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", *(str(n) for n in range(7)))
    poller = KinesisPoller(kinesis_entry(batch_size=3), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: len(flat(recorder.data())) == 7)
    assert recorder.data() == [["0", "1", "2"], ["3", "4", "5"], ["6"]]
    aws.put("clicks", "7", "8")
    await until(lambda: len(flat(recorder.data())) == 9)
    assert flat(recorder.data()) == [str(n) for n in range(9)]
    assert all(len(batch) <= 3 for batch in recorder.batches)
    [record] = recorder.batches[0][:1]
    assert record["eventSourceARN"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
    assert record["eventID"] == "shardId-000000000000:" + record["kinesis"]["sequenceNumber"]
    assert record["invokeIdentityArn"] == f"arn:aws:iam::{ACCOUNT}:role/streams-dev-on_click"
    counters = poller.context.deliveries.counters("kinesis clicks/shardId-000000000000")
    assert (counters.delivered, counters.succeeded) == (9, 9)
    assert poller.shards["shardId-000000000000"].checkpoint == "9"  # moto numbers 1, 2, ...


@pytest.mark.slow
async def test_latest_starts_at_the_pollers_first_start(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=2)
    aws.put("clicks", "old-a", key="a")
    aws.put("clicks", "old-b", key="b")
    poller = KinesisPoller(kinesis_entry(starting_position="LATEST"), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await asyncio.wait_for(poller.ready.wait(), 5)  # LATEST taken: what follows is read
    assert len(poller.shards) == 2
    aws.put("clicks", *(f"new-{n}" for n in range(6)), key="a")
    aws.put("clicks", "new-b", key="b")
    await until(lambda: len(flat(recorder.data())) == 7)
    assert sorted(flat(recorder.data())) == sorted([*(f"new-{n}" for n in range(6)), "new-b"])
    for batch in recorder.batches:  # a batch is one shard's
        assert len({record["eventID"].split(":")[0] for record in batch}) == 1


@pytest.mark.slow
async def test_a_partial_batch_response_retries_from_the_failed_record(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    def answer(records: list[dict[str, Any]], attempt: int) -> InvocationResult:
        if attempt == 1:  # 3 and 5 fail: Lambda retries from 3, the lowest
            failed = [r["kinesis"]["sequenceNumber"] for r in (records[5], records[3])]
            return ok({"batchItemFailures": [{"itemIdentifier": s} for s in failed]})
        return ok({"batchItemFailures": []})

    recorder = Recorder(answer)
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", *(str(n) for n in range(8)))
    poller = KinesisPoller(kinesis_entry(), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    label = "kinesis clicks/shardId-000000000000"
    await until(lambda: poller.context.deliveries.counters(label).succeeded == 8)
    assert recorder.data() == [[str(n) for n in range(8)], ["3", "4", "5", "6", "7"]]
    assert any(f"{label} -> on_click: 8 records, 5 failed, partial (retrying from sequence "
               "number 4)" in line for line in aws.lines)  # fmt: skip
    counters = poller.context.deliveries.counters(label)
    assert (counters.delivered, counters.succeeded, counters.retried) == (13, 8, 5)


@pytest.mark.slow
async def test_exhausted_retries_discard_the_batch_and_the_shard_moves_on(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    def answer(records: list[dict[str, Any]], attempt: int) -> InvocationResult:
        return error() if attempt <= 3 else ok()

    recorder = Recorder(answer)
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "a", "b")
    entry = kinesis_entry(batch_size=2)
    poller = KinesisPoller(entry, aws.context, tuning=FAST, maximum_retry_attempts=2)
    pollers.append(poller)
    poller.start()
    await until(lambda: len(recorder.batches) == 3)
    aws.put("clicks", "c")
    label = "kinesis clicks/shardId-000000000000"
    await until(lambda: poller.context.deliveries.counters(label).succeeded == 1)
    assert recorder.data() == [["a", "b"], ["a", "b"], ["a", "b"], ["c"]]  # 1 try + 2 retries
    discarded = [line for line in aws.lines if "discarded" in line]
    assert discarded == [
        f"chalicelike local: {label} -> on_click: 2 records, discarded (error: ValueError: boom;"
        " retries exhausted (maximum_retry_attempts 2): sequence numbers 1..2 dropped)"
    ]
    counters = poller.context.deliveries.counters(label)
    assert (counters.retried, counters.discarded, counters.succeeded) == (4, 2, 1)


@pytest.mark.slow
async def test_zero_retries_discards_only_what_failed_of_a_partial_batch(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    def answer(records: list[dict[str, Any]], attempt: int) -> InvocationResult:
        if attempt > 1:
            return ok()
        return ok(
            {"batchItemFailures": [{"itemIdentifier": records[1]["kinesis"]["sequenceNumber"]}]}
        )

    recorder = Recorder(answer)
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "a", "b", "c")
    poller = KinesisPoller(kinesis_entry(), aws.context, tuning=FAST, maximum_retry_attempts=0)
    pollers.append(poller)
    poller.start()
    await until(lambda: poller.shards.get("shardId-000000000000", None) is not None
                and poller.shards["shardId-000000000000"].checkpoint == "3")  # fmt: skip
    aws.put("clicks", "d")
    counters = poller.context.deliveries.counters("kinesis clicks/shardId-000000000000")
    await until(lambda: counters.succeeded == 2)
    assert recorder.data() == [["a", "b", "c"], ["d"]]
    assert counters.discarded == 2


@pytest.mark.slow
async def test_stop_keeps_the_checkpoint_and_a_restart_resumes_from_it(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    failing = True

    def answer(records: list[dict[str, Any]], attempt: int) -> InvocationResult:
        data = [r["kinesis"]["sequenceNumber"] for r in records]
        return error() if failing and "3" in data else ok()

    recorder = Recorder(answer)
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    poller = KinesisPoller(kinesis_entry(starting_position="LATEST", batch_size=2), aws.context,
                           tuning=FAST)  # fmt: skip
    pollers.append(poller)
    poller.start()
    await until(lambda: poller.shards)
    aws.put("clicks", "a", "b", "c", "d")  # sequence numbers 1 to 4
    await until(lambda: len(recorder.batches) >= 3)  # [a b], then [c d] failing
    await poller.stop()
    assert poller.shards["shardId-000000000000"].checkpoint == "2"  # not past c
    seen = len(recorder.batches)
    aws.put("clicks", "e")
    await asyncio.sleep(0.2)
    assert len(recorder.batches) == seen  # stopped: nothing delivered
    failing = False
    poller.start()  # the same object, as a reload that keeps the source
    await until(lambda: flat(recorder.data())[-1:] == ["e"])
    assert recorder.data()[seen:] == [["c", "d"], ["e"]]


class Slow(Recorder):
    """Holds the first invoke for a minute, as a handler that hangs would."""

    async def invoke(self, name: str, payload: bytes, **options: Any) -> InvocationResult:
        result = await super().invoke(name, payload, **options)
        if len(self.batches) == 1:
            await asyncio.sleep(60)
        return result


@pytest.mark.slow
async def test_stop_abandons_a_hung_batch_without_checkpointing_it(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Slow()
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "a", "b")
    tuning = Tuning(idle_poll=0.05, rescan=0.3, stop_grace=0.2)
    poller = KinesisPoller(kinesis_entry(), aws.context, tuning=tuning)
    pollers.append(poller)
    poller.start()
    await until(lambda: recorder.batches)
    started = time.monotonic()
    await poller.stop()
    assert time.monotonic() - started < 1.0
    assert poller.shards["shardId-000000000000"].checkpoint is None
    assert aws.lines[-1] == (
        "chalicelike local: kinesis clicks/shardId-000000000000 -> on_click: 2 records, returned"
        " (abandoned at stop; not checkpointed)"
    )
    poller.start()
    await until(lambda: len(recorder.batches) == 2)
    assert recorder.data() == [["a", "b"], ["a", "b"]]


@pytest.mark.slow
async def test_a_stream_created_later_is_read_from_its_start(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = cloud(recorder)
    poller = KinesisPoller(kinesis_entry(starting_position="LATEST"), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: any("does not exist" in line for line in aws.lines))
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "first")  # made after the poller started: LATEST at start includes it
    await until(lambda: recorder.data() == [["first"]])
    notes = [line for line in aws.lines if "kinesis clicks:" in line]
    assert notes[1] == (
        "chalicelike local: kinesis clicks: stream clicks does not exist on the local endpoint;"
        " create it (aws kinesis create-stream --stream-name clicks --shard-count 1); looking"
        " again every few seconds"
    )
    assert sum("does not exist" in line for line in aws.lines) == 1  # said once


@pytest.mark.slow
async def test_a_stream_deleted_and_made_again_is_read_from_its_start(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "a", "b", "c")
    poller = KinesisPoller(kinesis_entry(), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: flat(recorder.data()) == ["a", "b", "c"])
    aws.kinesis.delete_stream(StreamName="clicks")
    await until(lambda: any("does not exist" in line for line in aws.lines))
    await asyncio.sleep(1.0)  # a second apart: moto's creation times have whole seconds
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "d")  # sequence number 1 again: the old checkpoint (3) must not apply
    await until(lambda: flat(recorder.data())[-1:] == ["d"])


@pytest.mark.slow
async def test_a_throttle_waits_and_is_no_retry(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    def answer(records: list[dict[str, Any]], attempt: int) -> InvocationResult | Exception:
        return Throttled("Rate Exceeded.") if attempt <= 2 else ok()

    recorder = Recorder(answer)
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "a")
    poller = KinesisPoller(kinesis_entry(), aws.context, tuning=FAST, maximum_retry_attempts=0)
    pollers.append(poller)
    poller.start()
    counters = poller.context.deliveries.counters("kinesis clicks/shardId-000000000000")
    await until(lambda: counters.succeeded == 1)
    assert len(recorder.batches) == 3
    assert (counters.delivered, counters.retried, counters.discarded) == (1, 0, 0)


@pytest.mark.slow
async def test_the_batching_window_gathers_a_full_batch(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = cloud(recorder)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    entry = kinesis_entry(batch_size=4, maximum_batching_window_in_seconds=2)
    poller = KinesisPoller(entry, aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    aws.put("clicks", "a")
    await asyncio.sleep(0.3)
    aws.put("clicks", "b", "c", "d", "e")
    await until(lambda: len(recorder.batches) == 1)
    assert recorder.data() == [["a", "b", "c", "d"]]  # full before the window closed
    started = time.monotonic()
    await until(lambda: len(recorder.batches) == 2)
    assert recorder.data()[1] == ["e"]
    assert time.monotonic() - started > 1.0  # waited out the window for a fuller batch


# -- DynamoDB -------------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_table_created_after_the_poller_started(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = cloud(recorder)
    poller = DynamoDbStreamPoller(dynamodb_entry(), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: any("table orders does not exist" in line for line in aws.lines))
    aws.dynamodb.create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    await until(lambda: any("table orders has no stream" in line for line in aws.lines))
    aws.dynamodb.update_table(TableName="orders", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})  # fmt: skip
    aws.dynamodb.put_item(TableName="orders", Item={"id": {"S": "1"}, "n": {"N": "1"}})
    aws.dynamodb.put_item(TableName="orders", Item={"id": {"S": "1"}, "n": {"N": "2"}})
    aws.dynamodb.delete_item(TableName="orders", Key={"id": {"S": "1"}})
    await until(lambda: sum(map(len, recorder.batches)) == 3)
    names = [record["eventName"] for batch in recorder.batches for record in batch]
    assert names == ["INSERT", "MODIFY", "REMOVE"]
    stream_arn = aws.dynamodb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    assert poller.stream_arn == stream_arn
    assert any(line.endswith("dynamodb orders: found, 1 shard(s)") for line in aws.lines)


@pytest.mark.slow
async def test_dynamodb_partial_failure_and_checkpoint_across_a_restart(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any]
) -> None:
    def answer(records: list[dict[str, Any]], attempt: int) -> InvocationResult:
        if attempt == 1:
            sequence = records[1]["dynamodb"]["SequenceNumber"]
            return ok({"batchItemFailures": [{"itemIdentifier": sequence}]})
        return ok()

    recorder = Recorder(answer)
    aws = cloud(recorder)
    aws.table("orders")
    # A batching window, so the first batch holds all three puts however slowly they land
    # (under load a read between two puts once made it ['0'] alone).
    entry = dynamodb_entry(maximum_batching_window_in_seconds=1)
    poller = DynamoDbStreamPoller(entry, aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: poller.shards)
    for n in range(3):
        aws.dynamodb.put_item(TableName="orders", Item={"id": {"S": str(n)}})
    await until(lambda: len(recorder.batches) == 2)
    ids = [[r["dynamodb"]["Keys"]["id"]["S"] for r in batch] for batch in recorder.batches]
    assert ids == [["0", "1", "2"], ["1", "2"]]
    await poller.stop()
    aws.dynamodb.put_item(TableName="orders", Item={"id": {"S": "3"}})
    poller.start()
    await until(lambda: len(recorder.batches) == 3)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in recorder.batches[2]] == ["3"]


# -- shards: parents first, children after ---------------------------------------------------


class Resharded(KinesisPoller):
    """A stream whose shard 0 was split into 1 and 2, held in memory (moto's split moves a
    parent's records into its children, so it cannot show the order)."""

    RECORDS: ClassVar[dict[str, list[str]]] = {"s0": ["p1", "p2", "p3"], "s1": ["c1"],
                                               "s2": ["c2"]}  # fmt: skip

    async def _find(self) -> tuple[str, str]:
        return "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks", "1"

    async def _list(self) -> list[Any]:
        return [ShardInfo("s0", (), True), ShardInfo("s1", ("s0",), False),
                ShardInfo("s2", ("s0",), False)]  # fmt: skip

    async def iterator(self, shard_id: str, position: Position) -> str:
        start = 0 if position.kind == "TRIM_HORIZON" else int(position.value or 0)
        return f"{shard_id}:{start}"

    async def read(self, iterator: str, limit: int) -> Read:
        await asyncio.sleep(0.02)  # as a real read does, others run meanwhile
        shard_id, start = iterator.split(":")
        records = self.RECORDS[shard_id][int(start) : int(start) + 1]  # one a read: slowly
        rows = [{"SequenceNumber": str(int(start) + 1), "PartitionKey": "k", "Data": data.encode(),
                 "ApproximateArrivalTimestamp": 0} for data in records]  # fmt: skip
        ended = shard_id == "s0" and int(start) >= len(self.RECORDS["s0"])
        return Read(rows, None if ended else f"{shard_id}:{int(start) + len(rows)}")


async def test_a_closed_parent_is_read_to_its_end_before_its_children(
    endpoint: str, pollers: list[Any]
) -> None:
    recorder = Recorder()
    aws = Cloud(endpoint, recorder)
    poller = Resharded(kinesis_entry(batch_size=1), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: len(recorder.batches) == 5)
    order = flat(recorder.data())
    assert order[:3] == ["p1", "p2", "p3"]
    assert sorted(order[3:]) == ["c1", "c2"]
    assert poller.shards["s0"].finished
    await poller.stop()
    aws.context.executor.shutdown()


class Idle(Resharded):
    """One open shard with nothing in it; counts the reads."""

    reads = 0

    async def _list(self) -> list[Any]:
        return [ShardInfo("s1", (), False)]

    async def read(self, iterator: str, limit: int) -> Read:
        self.reads += 1
        return Read([], iterator)


async def test_a_quiet_shard_is_polled_as_slowly_as_lambda_does(
    endpoint: str, pollers: list[Any]
) -> None:
    aws = Cloud(endpoint, Recorder())
    tuning = Tuning(idle_poll=0.02, quiet_poll=0.5, quiet_after=0.4, rescan=5.0)
    poller = Idle(kinesis_entry(), aws.context, tuning=tuning)
    pollers.append(poller)
    poller.start()
    await asyncio.sleep(0.4)
    busy = poller.reads
    await asyncio.sleep(1.0)
    assert busy >= 8  # every 20 ms while the shard may be busy
    assert poller.reads - busy <= 3  # then every 500 ms
    await poller.stop()
    aws.context.executor.shutdown()


# -- real workers ---------------------------------------------------------------------------

APP = """\
import json
import os

from chalicelike import Chalice

app = Chalice(app_name="streams")


def text(item):
    return item and {name: str(value) for name, value in item.items()}


def keep(name, value):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps([name, value]) + "\\n")


@app.on_kinesis_record(stream="clicks", per_record=True)
def on_click(record):
    keep("kinesis", {"data": record.data.decode(), "sequence": record.sequence_number,
                     "key": record.partition_key, "at": record.timestamp.isoformat(),
                     "raw": record.to_dict()})
    if record.data == b"bad":
        raise ValueError("bad record")


@app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:eu-west-1:1:table/orders/stream/x")
def on_order(event):
    for record in event:
        keep("dynamodb", {"name": record.event_name, "key": record.key,
                          "new": text(record.new_item), "old": text(record.old_item),
                          "table": record.table_name, "at": record.timestamp.isoformat(),
                          "raw": record.to_dict()})
"""


def kept(out: Path, kind: str) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return [value for name, value in rows if name == kind]


@pytest.mark.slow
async def test_kinesis_records_reach_a_real_worker_as_chalicelike_reads_them(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any], tmp_path: Path,
    spec: Callable[..., FunctionSpec], open_pool: Callable[..., Any],
) -> None:  # fmt: skip
    (tmp_path / "app.py").write_text(APP)
    out = tmp_path / "out.jsonl"
    pool = open_pool(spec("on_click", "app.on_click", project_dir=str(tmp_path),
                          environment={"OUT": str(out)}))  # fmt: skip
    aws = cloud(pool)
    aws.kinesis.create_stream(StreamName="clicks", ShardCount=1)
    aws.put("clicks", "a", "bad", "c")
    entry = kinesis_entry(batch_size=10)
    poller = KinesisPoller(entry, aws.context, tuning=FAST, maximum_retry_attempts=1)
    pollers.append(poller)
    poller.start()
    # a, bad (fails: checkpoint after a), then the retry: bad fails again, discarded with c.
    await until(lambda: poller.context.deliveries.counters(
        "kinesis clicks/shardId-000000000000").discarded == 2)  # fmt: skip
    aws.put("clicks", "d")
    await until(lambda: [r["data"] for r in kept(out, "kinesis")][-1:] == ["d"])
    assert [r["data"] for r in kept(out, "kinesis")] == ["a", "bad", "bad", "d"]
    first = kept(out, "kinesis")[0]
    assert first["key"] == "k" and first["sequence"] == "1"
    assert set(first["raw"]) == {"kinesis", "eventSource", "eventVersion", "eventID", "eventName",
                                 "invokeIdentityArn", "awsRegion", "eventSourceARN"}  # fmt: skip
    assert set(first["raw"]["kinesis"]) == {
        "kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
        "approximateArrivalTimestamp",
    }  # fmt: skip
    assert first["raw"]["awsRegion"] == REGION


@pytest.mark.slow
async def test_dynamodb_records_reach_a_real_worker_as_chalicelike_reads_them(
    cloud: Callable[[LocalLambda], Cloud], pollers: list[Any], tmp_path: Path,
    spec: Callable[..., FunctionSpec], open_pool: Callable[..., Any],
) -> None:  # fmt: skip
    (tmp_path / "app.py").write_text(APP)
    out = tmp_path / "out.jsonl"
    pool = open_pool(spec("on_order", "app.on_order", project_dir=str(tmp_path),
                          environment={"OUT": str(out)}))  # fmt: skip
    aws = cloud(pool)
    stream_arn = aws.table("orders")
    poller = DynamoDbStreamPoller(dynamodb_entry(), aws.context, tuning=FAST)
    pollers.append(poller)
    poller.start()
    await until(lambda: poller.shards)
    aws.dynamodb.put_item(TableName="orders", Item={"id": {"S": "1"}, "amount": {"N": "5"}})
    aws.dynamodb.update_item(TableName="orders", Key={"id": {"S": "1"}},
                             UpdateExpression="SET amount = :t",
                             ExpressionAttributeValues={":t": {"N": "7"}})  # fmt: skip
    aws.dynamodb.delete_item(TableName="orders", Key={"id": {"S": "1"}})
    await until(lambda: len(kept(out, "dynamodb")) == 3)
    insert, modify, remove = kept(out, "dynamodb")
    assert [insert["name"], modify["name"], remove["name"]] == ["INSERT", "MODIFY", "REMOVE"]
    assert insert["key"] == {"id": "1"} and insert["table"] == "orders"
    assert (insert["new"], insert["old"]) == ({"id": "1", "amount": "5"}, None)
    assert (modify["new"], modify["old"]) == (
        {"id": "1", "amount": "7"},
        {"id": "1", "amount": "5"},
    )
    assert (remove["new"], remove["old"]) == (None, {"id": "1", "amount": "7"})
    raw = insert["raw"]
    assert set(raw) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
                        "dynamodb", "eventSourceARN"}  # fmt: skip
    assert raw["eventSourceARN"] == stream_arn  # the local stream, not the deployed label
    assert raw["awsRegion"] == REGION
    assert isinstance(raw["dynamodb"]["ApproximateCreationDateTime"], int)
    assert {"Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"} <= set(
        raw["dynamodb"]
    )
