"""Relay against moto's SQS: what it deletes, what it keeps, and how it stops."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelike.local._live_sources import CloudContext
from chalicelike.local._pool import WorkerPool
from chalicelike.local._relay_queues import Relay, RelaySetup, hold_seconds, internal_name
from tests.local.push_support import (
    CloudFactory,
    RecordingLambda,
    clouds,
    pooled,
    push_specs,
    wait_until,
)


class PlainSetup(RelaySetup):
    """Connects nothing; a body is the payload as it is, unless it is no JSON object."""

    def __init__(self) -> None:
        self.connected: list[str] = []
        self.disconnects = 0

    def connect(self, queue_arn: str) -> None:
        self.connected.append(queue_arn)

    def disconnect(self) -> None:
        self.disconnects += 1

    def convert(self, body: str) -> bytes | None:
        if body == "skip":
            return None
        if not body.startswith("{"):
            raise ValueError("not a JSON object")
        return body.encode()


def test_internal_names_stay_within_awss_limits() -> None:
    assert (
        internal_name("chalicelike-sns-", "shop-dev-notify", 80)
        == "chalicelike-sns-shop-dev-notify"
    )
    long = "x" * 100
    first = internal_name("chalicelike-sns-", long, 80, ".fifo")
    assert len(first) == 80 and first.endswith(".fifo")
    other = internal_name("chalicelike-sns-", long + "y", 80, ".fifo")
    assert other != first  # cut names end in a hash of the whole
    assert internal_name("chalicelike-", long, 64).startswith("chalicelike-xxx")


def test_a_message_is_held_through_every_attempt_lambda_makes() -> None:
    assert hold_seconds(60) == 3 * 60 + 180 + 30
    assert hold_seconds(900) == 2910
    assert hold_seconds(10**6) == 43200  # SQS's longest


@pytest.fixture
async def cloud(moto_url: str) -> AsyncIterator[CloudFactory]:
    async with clouds(moto_url) as make:
        yield make


async def started(ctx: CloudContext, function: str, setup: RelaySetup | None = None) -> Relay:
    relay = Relay(
        # A queue of its own: moto's server is the module's, shared by its tests.
        ctx, setup or PlainSetup(), function=function, source="test q",
        queue_name=f"relay-q-{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    relay.start()
    await wait_until(lambda: relay._connected)
    return relay


def send(ctx: CloudContext, relay: Relay, *bodies: str) -> None:
    for body in bodies:
        ctx.clients.get("sqs").send_message(QueueUrl=relay.queue_url, MessageBody=body)


def queued(ctx: CloudContext, relay: Relay) -> int:
    found = ctx.clients.get("sqs").get_queue_attributes(
        QueueUrl=relay.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in found.values())


@pytest.mark.anyio
@pytest.mark.slow
async def test_it_connects_delivers_and_disconnects(cloud: CloudFactory) -> None:
    lambda_ = RecordingLambda(handlers={"echo": lambda event: event})
    ctx = cloud(lambda_).context
    setup = PlainSetup()
    relay = await started(ctx, "echo", setup)
    assert setup.connected == [f"arn:aws:sqs:us-east-1:123456789012:{relay.queue_name}"]
    policy = ctx.clients.get("sqs").get_queue_attributes(
        QueueUrl=relay.queue_url, AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    assert "sns.amazonaws.com" in policy and "events.amazonaws.com" in policy
    send(ctx, relay, *(json.dumps({"n": i}) for i in range(25)))
    await wait_until(lambda: len(lambda_.succeeded()) == 25)
    await relay.stop()
    assert setup.disconnects == 1
    assert sorted(call.event["n"] for call in lambda_.calls) == list(range(25))
    assert queued(ctx, relay) == 0
    assert ctx.deliveries.counters("test q").succeeded == 25


@pytest.mark.anyio
@pytest.mark.slow
async def test_what_cannot_be_delivered_is_dropped_and_said(cloud: CloudFactory) -> None:
    lambda_ = RecordingLambda(handlers={"echo": lambda event: event})
    made = cloud(lambda_)
    ctx = made.context
    relay = await started(ctx, "echo")
    send(ctx, relay, "garbage", "skip", '{"ok": 1}')
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await wait_until(lambda: queued(ctx, relay) == 0)
    await relay.stop()
    assert [call.event for call in lambda_.calls] == [{"ok": 1}]
    assert ctx.deliveries.counters("test q").discarded == 1
    assert any("not deliverable: not a JSON object" in line for line in made.lines)


class BuggySetup(PlainSetup):
    def convert(self, body: str) -> bytes | None:
        if body == "odd":
            return {}["Message"]  # a converter's KeyError
        return super().convert(body)


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_message_its_converter_trips_on_is_dropped_and_the_relay_goes_on(
    cloud: CloudFactory,
) -> None:
    lambda_ = RecordingLambda(handlers={"echo": lambda event: event})
    made = cloud(lambda_)
    ctx = made.context
    relay = await started(ctx, "echo", BuggySetup())
    send(ctx, relay, "odd")
    await wait_until(lambda: ctx.deliveries.counters("test q").discarded == 1)
    send(ctx, relay, '{"ok": 2}')
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await relay.stop()
    assert any("the message is malformed (KeyError: 'Message')" in line for line in made.lines)


@pytest.mark.anyio
@pytest.mark.slow
async def test_stop_waits_for_a_running_invoke_and_deletes_it(
    cloud: CloudFactory, tmp_path: Path, open_pool: Callable[..., WorkerPool]
) -> None:
    lambda_ = pooled(push_specs(tmp_path, "nap"), open_pool)
    ctx = cloud(lambda_).context
    relay = await started(ctx, "nap")
    send(ctx, relay, json.dumps({"seconds": 1.0}))
    await wait_until(lambda: relay.in_flight == 1)
    began = time.monotonic()
    await relay.stop()
    assert time.monotonic() - began < 5  # a long poll and the running second, not the timeout
    assert len(lambda_.succeeded("nap")) == 1  # it ran to its end
    assert queued(ctx, relay) == 0  # and was deleted, not handed back


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_function_gone_in_a_reload_keeps_its_messages(cloud: CloudFactory) -> None:
    handlers: dict[str, Any] = {"gone": lambda event: event}
    lambda_ = RecordingLambda(handlers=handlers)
    ctx = cloud(lambda_).context
    relay = await started(ctx, "gone")
    del handlers["gone"]  # the app was reloaded without it: UnknownFunction
    send(ctx, relay, '{"keep": 1}')
    returned = ctx.deliveries.counters("test q")
    await wait_until(lambda: returned.returned >= 1)
    await asyncio.sleep(0.5)
    # Counted once, as returned (not also as discarded), and not received again at once:
    # the local cloud stops this relay soon after the reload, and nothing spins meanwhile.
    assert (returned.returned, returned.discarded, returned.delivered) == (1, 0, 0)
    await relay.stop()
    assert queued(ctx, relay) == 1  # kept for the handler's return


@pytest.mark.anyio
@pytest.mark.slow
async def test_an_endpoint_that_is_not_there_is_waited_for_and_stop_is_prompt(
    cloud: CloudFactory,
) -> None:
    from chalicelike.local._aws_clients import AwsClients
    from tests.local.test_server import free_port

    lambda_ = RecordingLambda(handlers={"echo": lambda event: event})
    made = cloud(lambda_)
    made.context.clients = AwsClients(f"http://127.0.0.1:{free_port()}", "us-east-1")
    relay = Relay(made.context, PlainSetup(), function="echo", source="test q", queue_name="q")
    relay.start()
    await wait_until(lambda: any("waiting to connect" in line for line in made.lines))
    began = time.monotonic()
    await relay.stop()
    assert time.monotonic() - began < 1


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_cancelled_stop_still_hands_back_what_is_not_done(cloud: CloudFactory) -> None:
    async def slow(event: Any) -> None:
        await asyncio.sleep(3)

    lambda_ = RecordingLambda(handlers={"slow": slow})
    ctx = cloud(lambda_).context
    relay = await started(ctx, "slow")
    send(ctx, relay, '{"n": 1}')
    await wait_until(lambda: relay.in_flight == 1)
    stopping = asyncio.ensure_future(relay.stop())
    await asyncio.sleep(0.5)
    stopping.cancel()  # as the local cloud does after its grace
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert ctx.deliveries.counters("test q").returned == 1
    got = ctx.clients.get("sqs").receive_message(QueueUrl=relay.queue_url, WaitTimeSeconds=1)
    assert json.loads(got["Messages"][0]["Body"]) == {"n": 1}  # visible again at once
    assert relay._task is not None
    await relay._task  # the poller, shielded from the cancel, ends on its own
