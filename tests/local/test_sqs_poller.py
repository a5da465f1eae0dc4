"""SqsPoller against moto's real server and real worker processes: batches, failures,
visibility, dead-letter queues, FIFO order, and a stop that loses nothing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from chalicelike._tooling._manifest import FunctionEntry
from chalicelike.local import _sqs_poller
from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._deliveries import DeliveryCounters, DeliveryLog
from chalicelike.local._event_queue import EventQueue
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    LocalLambda,
    Throttled,
    UnknownFunction,
)
from chalicelike.local._live_sources import CloudContext
from chalicelike.local._pool import WorkerPool
from chalicelike.local._sqs_moto_patches import patch_moto_sqs
from chalicelike.local._sqs_poller import SqsPoller
from tests.local.test_server import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

# Each handler appends the event it got to $SQS_TEST_OUT (one JSON line per invocation).
HANDLERS = textwrap.dedent(
    """
    import json, os, time

    def _seen(event):
        with open(os.environ["SQS_TEST_OUT"], "a") as out:
            out.write(json.dumps(event) + "\\n")

    def ok(event, context):
        _seen(event)

    def partial(event, context):
        _seen(event)
        failed = [r["messageId"] for r in event["Records"] if r["body"].startswith("bad")
                  and r["attributes"]["ApproximateReceiveCount"] == "1"]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}

    def fail(event, context):
        _seen(event)
        raise ValueError("cannot take " + event["Records"][0]["body"])

    def slow(event, context):
        _seen(event)
        time.sleep(float(event["Records"][0]["body"].split()[-1]))

    def crash(event, context):
        _seen(event)
        os._exit(3)
    """
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    patch_moto_sqs()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def clients(endpoint: str) -> AwsClients:
    return AwsClients(endpoint, "us-east-1")


@dataclass
class Cloud:
    """What a test needs around one poller: the context, the handler's view, the log."""

    context: CloudContext
    out: Path
    lines: list[str] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def bodies(self) -> list[str]:
        return [r["body"] for event in self.events() for r in event["Records"]]

    def counters(self, queue: str) -> DeliveryCounters:
        return self.context.deliveries.counters(f"sqs {queue}")


@pytest.fixture
async def cloud(tmp_path: Path, clients: AwsClients) -> AsyncIterator[Callable[..., Cloud]]:
    """`cloud(spec, ...)`: a CloudContext around a real WorkerPool running HANDLERS."""
    (tmp_path / "app.py").write_text(HANDLERS)
    made: list[tuple[WorkerPool, CloudContext]] = []

    def make(*functions: str, local_lambda: LocalLambda | None = None, **options: Any) -> Cloud:
        out = tmp_path / f"seen-{len(made)}.jsonl"
        specs = [
            FunctionSpec(
                name,
                f"sqs-dev-{name}",
                f"app.{name}",
                str(tmp_path),
                environment={"SQS_TEST_OUT": str(out)},
                **options,
            )
            for name in functions
        ]
        pool = WorkerPool(specs)
        lines: list[str] = []
        context = CloudContext(
            local_lambda or pool,
            clients,
            DeliveryLog(lines.append),
            EventQueue(pool, lines.append),
            "us-east-1",
            "123456789012",
            lines.append,
        )
        made.append((pool, context))
        return Cloud(context, out, lines)

    yield make
    for pool, context in made:
        await pool.close()
        context.executor.shutdown()


def new_queue(clients: AwsClients, fifo: bool = False, **attributes: str) -> tuple[str, str]:
    """A queue with a name of its own: (name, url)."""
    name = f"q-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
    if fifo:
        attributes["FifoQueue"] = "true"
    url = clients.get("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return name, url


def send(clients: AwsClients, url: str, *bodies: str, **extra: Any) -> None:
    sqs = clients.get("sqs")
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": b, **extra} for i, b in
                   enumerate(bodies[start : start + 10])]  # fmt: skip
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")


def queue_counts(clients: AwsClients, url: str) -> tuple[int, int]:
    """(visible, in flight)."""
    attributes = clients.get("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    values = attributes["Attributes"]
    return int(values["ApproximateNumberOfMessages"]), int(
        values["ApproximateNumberOfMessagesNotVisible"]
    )


def poller(cloud: Cloud, function: str, queue: str | None, **settings: Any) -> SqsPoller:
    settings = {"queue": queue, "batch_size": 10, **settings}
    return SqsPoller(FunctionEntry(function, f"app.{function}", "sqs", settings), cloud.context)


async def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_records_reach_the_handler_in_lambdas_shape_and_are_deleted(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("ok")
    name, url = new_queue(clients)
    attributes = {"kind": {"DataType": "String", "StringValue": "order"},
                  "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}}  # fmt: skip
    send(clients, url, "hello", MessageAttributes=attributes)
    source = poller(c, "ok", name)
    source.start()
    await until(lambda: c.counters(name).succeeded == 1)
    await source.stop()
    [event] = c.events()
    [record] = event["Records"]
    assert list(record) == ["messageId", "receiptHandle", "body", "attributes",
                            "messageAttributes", "md5OfBody", "md5OfMessageAttributes",
                            "eventSource", "eventSourceARN", "awsRegion"]  # fmt: skip
    assert record["body"] == "hello"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == f"arn:aws:sqs:us-east-1:123456789012:{name}"
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "order", "stringListValues": [], "binaryListValues": [],
                 "dataType": "String"},
        "blob": {"binaryValue": "AQI=", "stringListValues": [], "binaryListValues": [],
                 "dataType": "Binary"},
    }  # fmt: skip
    assert queue_counts(clients, url) == (0, 0)
    assert any(f"sqs {name}: polling for ok" in line for line in c.lines)
    assert f"chalicelike local: sqs {name} -> ok: 1 record, succeeded" in c.lines


async def test_batch_size_caps_a_batch(cloud: Callable[..., Cloud], clients: AwsClients) -> None:
    c = cloud("ok")
    name, url = new_queue(clients)
    send(clients, url, *(f"m{i}" for i in range(7)))
    source = poller(c, "ok", name, batch_size=3)
    source.start()
    await until(lambda: c.counters(name).succeeded == 7)
    await source.stop()
    sizes = [len(event["Records"]) for event in c.events()]
    assert sum(sizes) == 7 and max(sizes) <= 3
    assert sorted(c.bodies()) == sorted(f"m{i}" for i in range(7))


async def test_a_batching_window_gathers_beyond_ten(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("ok", reserved_concurrency=1)  # one poller: Lambda's several split a backlog
    name, url = new_queue(clients)
    send(clients, url, *(f"m{i}" for i in range(25)))
    source = poller(c, "ok", name, batch_size=25, maximum_batching_window_in_seconds=2)
    started = time.monotonic()
    source.start()
    await until(lambda: c.counters(name).succeeded == 25)
    waited = time.monotonic() - started
    await source.stop()
    assert [len(event["Records"]) for event in c.events()] == [25]  # full: no waiting
    assert waited < 1.9
    # A short batch waits out its window, counted from its first message.
    c2 = cloud("ok", reserved_concurrency=1)
    send(clients, url, "late 1", "late 2")
    source = poller(c2, "ok", name, batch_size=25, maximum_batching_window_in_seconds=2)
    started = time.monotonic()
    source.start()
    await until(lambda: c2.counters(name).succeeded == 2)
    waited = time.monotonic() - started
    await source.stop()
    assert [len(event["Records"]) for event in c2.events()] == [2]
    assert 1.9 <= waited < 6.0


async def test_a_partial_batch_failure_returns_only_the_failed(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("partial", reserved_concurrency=1)  # one batch of four, not split by pollers
    name, url = new_queue(clients, VisibilityTimeout="1")
    send(clients, url, "good 1", "bad 1", "good 2", "bad 2")
    source = poller(c, "partial", name)
    source.start()
    await until(lambda: c.counters(name).succeeded == 4)
    await source.stop()
    first, *later = c.events()
    assert len(first["Records"]) == 4
    assert sorted(r["body"] for event in later for r in event["Records"]) == ["bad 1", "bad 2"]
    assert queue_counts(clients, url) == (0, 0)
    counters = c.counters(name)
    assert counters.retried == 2 and counters.delivered == 6
    partial = [line for line in c.lines if "failed, partial" in line]
    assert partial and "4 records, 2 failed, partial" in partial[0]
    assert "visibility timeout (1 s)" in partial[0]


async def test_a_handler_error_brings_the_batch_back_after_the_visibility_timeout(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("fail")
    name, url = new_queue(clients, VisibilityTimeout="1")
    send(clients, url, "job")
    source = poller(c, "fail", name)
    started = time.monotonic()
    source.start()
    await until(lambda: c.counters(name).retried >= 2)
    await source.stop()
    counts = [e["Records"][0]["attributes"]["ApproximateReceiveCount"] for e in c.events()]
    assert counts[:2] == ["1", "2"]
    assert time.monotonic() - started >= 1.0  # not before the visibility timeout
    assert sum(queue_counts(clients, url)) == 1  # never deleted
    assert any("ValueError: cannot take job" in line and "retried" in line for line in c.lines)


async def test_a_message_goes_to_the_dead_letter_queue_after_max_receive_count(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("fail")
    dlq_name, dlq_url = new_queue(clients)
    dlq_arn = f"arn:aws:sqs:us-east-1:123456789012:{dlq_name}"
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    name, url = new_queue(clients, VisibilityTimeout="1", RedrivePolicy=policy)
    send(clients, url, "doomed")
    source = poller(c, "fail", name)
    source.start()
    await until(lambda: c.counters(name).dead_lettered == 1)
    await until(lambda: queue_counts(clients, dlq_url)[0] == 1)  # moved on the next receive
    await source.stop()
    assert len(c.events()) == 2
    message_id = c.events()[0]["Records"][0]["messageId"]
    [line] = [line for line in c.lines if "dead-lettered" in line]
    assert message_id in line and dlq_name in line and "maxReceiveCount" in line
    assert queue_counts(clients, url) == (0, 0)


async def test_a_timeout_and_a_crash_leave_the_batch_in_the_queue(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("slow", "crash", timeout=1.0)
    slow_name, slow_url = new_queue(clients)
    crash_name, crash_url = new_queue(clients)
    send(clients, slow_url, "sleep 5")
    send(clients, crash_url, "boom")
    sources = [poller(c, "slow", slow_name), poller(c, "crash", crash_name)]
    for source in sources:
        source.start()
    await until(lambda: c.counters(slow_name).retried == 1 and c.counters(crash_name).retried == 1)
    for source in sources:
        await source.stop()
    # Still in flight (the queue's 30 s visibility timeout), neither deleted nor made visible.
    assert queue_counts(clients, slow_url) == (0, 1)
    assert queue_counts(clients, crash_url) == (0, 1)
    assert any("Sandbox.Timedout" in line and "Task timed out" in line for line in c.lines)
    assert any(f"sqs {crash_name} -> crash: 1 record, retried" in line for line in c.lines)


async def test_fifo_keeps_each_groups_order_through_a_failure(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("partial", reserved_concurrency=1)
    name, url = new_queue(clients, fifo=True, VisibilityTimeout="1")
    sqs = clients.get("sqs")
    for body, group in [("a1", "a"), ("b1", "b"), ("bad a2", "a"), ("b2", "b"), ("a3", "a")]:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
        )
    source = poller(c, "partial", name)
    source.start()
    await until(lambda: c.counters(name).succeeded == 5)
    await source.stop()
    first, *later = c.events()
    assert [r["body"] for r in first["Records"]] == ["a1", "b1", "bad a2", "b2", "a3"]
    # a3 came after the failed a2 in its group: held back, not deleted, delivered again after.
    assert [r["body"] for event in later for r in event["Records"]] == ["bad a2", "a3"]
    assert first["Records"][0]["attributes"]["MessageGroupId"] == "a"
    assert "SequenceNumber" in first["Records"][0]["attributes"]
    assert any("held back" in line for line in c.lines)
    assert queue_counts(clients, url) == (0, 0)


async def test_stop_returns_a_batch_waiting_in_its_window(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("ok")
    name, url = new_queue(clients)
    send(clients, url, "w1", "w2", "w3")
    source = poller(c, "ok", name, batch_size=100, maximum_batching_window_in_seconds=60)
    source.start()
    await until(lambda: queue_counts(clients, url) == (0, 3))  # received, gathering
    started = time.monotonic()
    await source.stop()
    assert time.monotonic() - started < 4.0  # at most one long poll
    assert queue_counts(clients, url) == (3, 0)  # visible again at once
    assert c.events() == []
    assert c.counters(name).returned == 3
    assert any("3 records, returned" in line for line in c.lines)


async def test_stop_mid_stream_loses_nothing(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("slow")
    name, url = new_queue(clients)
    sent = [f"job {i} 0.3" for i in range(60)]
    send(clients, url, *sent)
    source = poller(c, "slow", name, batch_size=5)
    source.start()
    await until(lambda: c.counters(name).succeeded >= 10)
    await source.stop()  # invocations running now finish and are settled
    processed = c.bodies()
    visible, in_flight = queue_counts(clients, url)
    assert in_flight == 0
    assert len(set(processed)) == len(processed) == c.counters(name).succeeded
    assert len(processed) + visible == len(sent)
    assert c.counters(name).retried == 0


@dataclass
class Stub:
    """A local Lambda that throttles the first invocations, then runs an echo."""

    throttles: int
    unknown: bool = False
    payloads: list[bytes] = field(default_factory=list)
    reserved: int | None = None

    def find(self, name: str) -> FunctionSpec | None:
        return FunctionSpec(name, name, f"app.{name}", ".", reserved_concurrency=self.reserved)

    async def invoke(self, name: str, payload: bytes, **options: Any) -> InvocationResult:
        if self.unknown:
            raise UnknownFunction(name)
        if self.throttles:
            self.throttles -= 1
            raise Throttled(name)
        self.payloads.append(payload)
        return InvocationResult("id", InvocationStatus.OK, b"null")


async def test_a_throttled_batch_is_invoked_again_without_another_receive(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    stub = Stub(throttles=3)
    c = cloud("ok", local_lambda=stub)
    name, url = new_queue(clients)
    send(clients, url, "patient")
    source = poller(c, "ok", name)
    source.start()
    await until(lambda: c.counters(name).succeeded == 1)
    await source.stop()
    [payload] = stub.payloads
    assert json.loads(payload)["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1"
    assert queue_counts(clients, url) == (0, 0)


async def test_a_function_gone_from_the_app_returns_its_batch_and_stops(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("ok", local_lambda=Stub(throttles=0, unknown=True))
    name, url = new_queue(clients)
    send(clients, url, "orphan")
    source = poller(c, "ok", name)
    source.start()
    await until(lambda: c.counters(name).returned == 1)
    await source.stop()
    assert queue_counts(clients, url) == (1, 0)
    assert any("no longer in the app" in line for line in c.lines)


async def test_a_queue_made_after_the_start_is_found(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("ok")
    name = f"q-{uuid.uuid4().hex[:12]}"
    # An ARN of another account and region: the queue of that name on the local endpoint.
    source = poller(c, "ok", None, queue_arn=f"arn:aws:sqs:eu-west-1:999999999999:{name}")
    source.start()
    await asyncio.sleep(0.5)  # the provisioner is late
    url = clients.get("sqs").create_queue(QueueName=name)["QueueUrl"]
    send(clients, url, "first")
    await until(lambda: c.counters(name).succeeded == 1)
    await source.stop()
    assert not any("waiting for the queue" in line for line in c.lines)  # quiet while short


async def test_a_batch_stays_within_lambdas_6_mb(
    cloud: Callable[..., Cloud], clients: AwsClients
) -> None:
    c = cloud("ok", reserved_concurrency=1)
    name, url = new_queue(clients)
    bodies = [f"{i:03d}" + "x" * 200_000 for i in range(40)]  # 8 MB in all
    for body in bodies:
        clients.get("sqs").send_message(QueueUrl=url, MessageBody=body)
    source = poller(c, "ok", name, batch_size=100, maximum_batching_window_in_seconds=1)
    source.start()
    await until(lambda: c.counters(name).succeeded == 40, timeout=30)
    await source.stop()
    sizes = [len(line) for line in c.out.read_bytes().splitlines()]
    assert len(sizes) >= 2 and max(sizes) <= 6 * 1024 * 1024
    assert sorted(c.bodies()) == sorted(bodies)


async def test_a_queue_missing_for_long_is_logged_once(
    cloud: Callable[..., Cloud], clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqs_poller, "QUIET_SECONDS", 0.2)
    c = cloud("ok")
    name = f"q-{uuid.uuid4().hex[:12]}"
    source = poller(c, "ok", name)
    source.start()
    await asyncio.sleep(4.5)  # two retries after the quiet period
    url = clients.get("sqs").create_queue(QueueName=name)["QueueUrl"]
    send(clients, url, "at last")
    await until(lambda: c.counters(name).succeeded == 1)
    await source.stop()
    waiting = [line for line in c.lines if "waiting for the queue" in line]
    assert len(waiting) == 1 and "NonExistentQueue" in waiting[0]
    assert f"chalicelike local: sqs {name}: found the queue" in c.lines


@pytest.mark.parametrize(
    ("maximum", "reserved", "line"),
    [
        (None, None, "5 concurrent batches"),  # Lambda's start
        (2, None, "2 concurrent batches"),  # the mapping's maximum concurrency
        (3, 1, "1 concurrent batch)"),  # the function's reserved concurrency
        (None, 0, "not polling: the function's reserved concurrency is 0"),
    ],
)
async def test_concurrency_is_capped_by_the_mapping_and_the_function(
    cloud: Callable[..., Cloud],
    clients: AwsClients,
    maximum: int | None,
    reserved: int | None,
    line: str,
) -> None:
    c = cloud("ok", local_lambda=Stub(throttles=0, reserved=reserved))
    name, _ = new_queue(clients)
    source = poller(c, "ok", name, maximum_concurrency=maximum)
    source.start()
    await until(lambda: any(line in seen for seen in c.lines))
    await source.stop()
