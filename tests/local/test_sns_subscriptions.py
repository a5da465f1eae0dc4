"""SnsSubscription against moto's real server: Lambda's SNS event, FIFO, retries, stops."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelike._events._lambda_events import SNSEvent
from chalicelike._tooling._manifest import FunctionEntry
from chalicelike.local._pool import WorkerPool
from chalicelike.local._sns_subscriptions import SnsSubscription
from tests.local.push_support import (
    ACCOUNT_ID,
    CloudFactory,
    RecordingLambda,
    clouds,
    pooled,
    push_specs,
    wait_until,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
async def cloud(moto_url: str) -> AsyncIterator[CloudFactory]:
    async with clouds(moto_url) as make:
        yield make


def entry(name: str, topic: str) -> FunctionEntry:
    return FunctionEntry(name, f"app.{name}", "sns", {"topic": topic, "deploy_problems": []})


async def started(source: SnsSubscription) -> SnsSubscription:
    source.start()
    await wait_until(lambda: source.subscription_arn is not None)
    return source


def topic(cloud_context: Any, name: str, **attributes: str) -> str:
    arn: str = cloud_context.clients.get("sns").create_topic(Name=name, Attributes=attributes)[
        "TopicArn"
    ]
    return arn


async def test_each_notification_is_lambdas_sns_event(cloud: CloudFactory) -> None:
    lambda_ = RecordingLambda(handlers={"notify": lambda event: None})
    ctx = cloud(lambda_).context
    arn = topic(ctx, "orders")
    source = await started(SnsSubscription(entry("notify", "orders"), ctx))
    sns = ctx.clients.get("sns")
    sns.publish(
        TopicArn=arn,
        Message="first",
        Subject="hello",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "count": {"DataType": "Number", "StringValue": "12.5"},
            "tags": {"DataType": "String.Array", "StringValue": '["a", 1, true]'},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffbin"},
        },
    )
    sns.publish(TopicArn=arn, Message="second")
    await wait_until(lambda: len(lambda_.succeeded()) == 2)
    await source.stop()
    events = {call.event["Records"][0]["Sns"]["Message"]: call.event for call in lambda_.calls}
    first = events["first"]
    assert len(first["Records"]) == 1  # one notification per invoke, as SNS invokes Lambda
    record = first["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == source.subscription_arn
    assert record["EventSubscriptionArn"].startswith(f"{arn}:")
    sns_part = record["Sns"]
    assert set(sns_part) == {
        "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
        "Signature", "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes",
    }  # fmt: skip
    assert sns_part["Type"] == "Notification"
    assert sns_part["TopicArn"] == arn == f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:orders"
    assert sns_part["Subject"] == "hello"
    assert sns_part["Timestamp"].endswith("Z")
    assert sns_part["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert sns_part["UnsubscribeUrl"] == (
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
        f"&SubscriptionArn={source.subscription_arn}"
    )
    attributes = sns_part["MessageAttributes"]
    assert attributes["kind"] == {"Type": "String", "Value": "order"}
    assert attributes["count"] == {"Type": "Number", "Value": "12.5"}
    assert attributes["tags"] == {"Type": "String.Array", "Value": '["a", 1, true]'}
    assert attributes["blob"]["Type"] == "Binary"
    assert base64.b64decode(attributes["blob"]["Value"]) == b"\x00\xffbin"
    second = events["second"]["Records"][0]["Sns"]
    assert second["Subject"] is None  # null, not absent, when the publisher gave none
    assert second["MessageAttributes"] == {}
    assert second["MessageId"] != sns_part["MessageId"]
    parsed = SNSEvent(first)  # our own reader takes it as AWS's
    assert (parsed.message, parsed.subject) == ("first", "hello")
    counters = ctx.deliveries.counters("sns orders")
    assert (counters.delivered, counters.succeeded) == (2, 2)


async def test_a_real_worker_runs_the_handler(
    cloud: CloudFactory, tmp_path: Path, open_pool: Callable[..., WorkerPool]
) -> None:
    lambda_ = pooled(push_specs(tmp_path, "stamp"), open_pool)
    made = cloud(lambda_)
    ctx = made.context
    arn = topic(ctx, "signups")
    source = await started(SnsSubscription(entry("stamp", arn), ctx))  # an ARN works too
    ctx.clients.get("sns").publish(TopicArn=arn, Message=json.dumps({"user": "ada"}))
    await wait_until(lambda: len(lambda_.succeeded("stamp")) == 1, 20)
    await source.stop()
    answer = json.loads(lambda_.calls[0].result.payload)
    assert json.loads(answer["event"]["Records"][0]["Sns"]["Message"]) == {"user": "ada"}
    assert any("sns signups -> stamp: 1 record, succeeded" in line for line in made.lines)
    assert _queued(ctx, source) == 0  # deleted once it succeeded


async def test_a_failing_handler_is_retried_then_dropped(
    cloud: CloudFactory, tmp_path: Path, open_pool: Callable[..., WorkerPool]
) -> None:
    lambda_ = pooled(push_specs(tmp_path, "fail"), open_pool)
    ctx = cloud(lambda_, retry_delays=(0.1, 0.2)).context
    arn = topic(ctx, "alerts")
    source = await started(SnsSubscription(entry("fail", "alerts"), ctx))
    ctx.clients.get("sns").publish(TopicArn=arn, Message="x")
    counters = ctx.deliveries.counters("sns alerts")
    await wait_until(lambda: counters.discarded == 1, 20)
    assert len(lambda_.calls) == 3  # Lambda's two retries of an asynchronous invoke
    assert counters.retried == 2
    await source.stop()
    assert _queued(ctx, source) == 0  # retries ran out: dropped, as Lambda drops it


async def test_a_fifo_topic_delivers_each_group_in_order(cloud: CloudFactory) -> None:
    seen: list[str] = []

    async def ordered(event: Any) -> None:
        await asyncio.sleep(0.01)  # overlapping invokes would reorder
        seen.append(event["Records"][0]["Sns"]["Message"])

    lambda_ = RecordingLambda(handlers={"ordered": ordered})
    made = cloud(lambda_)
    ctx = made.context
    arn = topic(ctx, "ledger.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    source = await started(SnsSubscription(entry("ordered", "ledger.fifo"), ctx))
    assert source.relay.queue_name.endswith(".fifo")
    sns = ctx.clients.get("sns")
    for i in range(6):
        sns.publish(TopicArn=arn, Message=f"a{i}", MessageGroupId="a")
    await wait_until(lambda: len(seen) == 6)
    await source.stop()
    assert seen == [f"a{i}" for i in range(6)]
    assert any("AWS refuses Lambda subscriptions to FIFO topics" in line for line in made.lines)


async def test_the_users_own_sqs_subscription_still_works(cloud: CloudFactory) -> None:
    lambda_ = RecordingLambda(handlers={"notify": lambda event: None})
    ctx = cloud(lambda_).context
    arn = topic(ctx, "shared")
    sqs, sns = ctx.clients.get("sqs"), ctx.clients.get("sns")
    url = sqs.create_queue(QueueName="users-own")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    users = sns.subscribe(
        TopicArn=arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
    )["SubscriptionArn"]
    source = await started(SnsSubscription(entry("notify", "shared"), ctx))
    sns.publish(TopicArn=arn, Message="both")
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await source.stop()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(got[0]["Body"])["Message"] == "both"
    left = {s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)[
        "Subscriptions"]}  # fmt: skip
    assert left == {users}  # stop() removed ours only


async def test_stop_hands_back_what_is_not_done_and_the_next_start_delivers_it(
    cloud: CloudFactory,
) -> None:
    attempts: list[str] = []
    refuse = True

    def flaky(event: Any) -> None:
        attempts.append(event["Records"][0]["Sns"]["Message"])
        if refuse:
            raise RuntimeError("not yet")

    lambda_ = RecordingLambda(handlers={"flaky": flaky})
    ctx = cloud(lambda_, retry_delays=(30.0, 30.0)).context  # the retry would come too late
    arn = topic(ctx, "jobs")
    source = await started(SnsSubscription(entry("flaky", "jobs"), ctx))
    sns = ctx.clients.get("sns")
    for i in range(3):
        sns.publish(TopicArn=arn, Message=f"job{i}")
    counters = ctx.deliveries.counters("sns jobs")
    await wait_until(lambda: counters.retried == 3)
    await source.stop()  # all three wait for Lambda's retry: handed back
    assert counters.returned == 3
    sns.publish(TopicArn=arn, Message="while stopped")  # unsubscribed: not ours
    refuse = False
    again = await started(SnsSubscription(entry("flaky", "jobs"), ctx))
    await wait_until(lambda: counters.succeeded == 3)
    await asyncio.sleep(0.3)
    await again.stop()
    assert sorted(attempts[3:]) == ["job0", "job1", "job2"]
    assert _queued(ctx, again) == 0


async def test_a_topic_made_after_the_start_is_waited_for(cloud: CloudFactory) -> None:
    lambda_ = RecordingLambda(handlers={"late": lambda event: None})
    made = cloud(lambda_)
    ctx = made.context
    source = SnsSubscription(entry("late", "later"), ctx)
    source.start()
    await wait_until(lambda: any("waiting to connect" in line for line in made.lines))
    arn = topic(ctx, "later")  # as provisioning does, a moment later
    await wait_until(lambda: source.subscription_arn is not None)
    ctx.clients.get("sns").publish(TopicArn=arn, Message="now")
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await source.stop()


def _queued(ctx: Any, source: SnsSubscription) -> int:
    """Messages still in the internal queue, visible or not."""
    found = ctx.clients.get("sqs").get_queue_attributes(
        QueueUrl=source.relay.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(found["ApproximateNumberOfMessages"]) + int(
        found["ApproximateNumberOfMessagesNotVisible"]
    )
