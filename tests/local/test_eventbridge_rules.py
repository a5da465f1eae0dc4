"""EventBridgeRule against moto's real server: buses, patterns, the event's shape, retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelike._events._lambda_events import CloudWatchEvent
from chalicelike._tooling._manifest import FunctionEntry
from chalicelike.local._eventbridge_rules import EventBridgeRule, eventbridge_event
from chalicelike.local._pool import WorkerPool
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


def entry(name: str, pattern: dict[str, Any], bus: str | None = None) -> FunctionEntry:
    return FunctionEntry(name, f"app.{name}", "cloudwatch", {"event_pattern": pattern, "bus": bus})


async def started(source: EventBridgeRule) -> EventBridgeRule:
    source.start()
    await wait_until(lambda: source.relay.queue_url is not None and source.relay._connected)
    return source


def put(ctx: Any, detail: dict[str, Any], bus: str | None = None, **fields: Any) -> None:
    event = {
        "Source": fields.pop("source", "shop.orders"),
        "DetailType": fields.pop("detail_type", "Order Placed"),
        "Detail": json.dumps(detail),
        **fields,
    }
    if bus is not None:
        event["EventBusName"] = bus
    answer = ctx.clients.get("events").put_events(Entries=[event])
    assert answer["FailedEntryCount"] == 0


def details(lambda_: RecordingLambda) -> list[Any]:
    return [call.event["detail"] for call in lambda_.succeeded()]


async def test_an_event_on_the_default_bus_arrives_as_eventbridge_sends_it(
    cloud: CloudFactory,
) -> None:
    lambda_ = RecordingLambda(handlers={"placed": lambda event: None})
    made = cloud(lambda_)
    ctx = made.context
    source = await started(EventBridgeRule(entry("placed", {"source": ["shop.orders"]}), ctx))
    assert source.rule_name == "chalicelike-push-dev-placed"
    put(ctx, {"order": 7}, Resources=["arn:aws:shop:::order/7"])
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await source.stop()
    event = lambda_.calls[0].event
    assert list(event) == [
        "version", "id", "detail-type", "source", "account", "time", "region", "resources",
        "detail",
    ]  # fmt: skip
    assert event["account"] == ACCOUNT_ID
    assert event["region"] == "us-east-1"
    assert (event["source"], event["detail-type"]) == ("shop.orders", "Order Placed")
    assert event["resources"] == ["arn:aws:shop:::order/7"]
    assert event["detail"] == {"order": 7}
    assert event["time"].endswith("Z")
    assert CloudWatchEvent(event).detail_type == "Order Placed"  # our reader takes it
    label = f"eventbridge default/{source.rule_name}"
    assert ctx.deliveries.counters(label).succeeded == 1
    rules = ctx.clients.get("events").list_rules(NamePrefix="chalicelike-")["Rules"]
    assert rules == []  # stop() deleted the rule: a removed handler matches nothing


@pytest.mark.parametrize("by_arn", [False, True])
async def test_a_custom_bus_by_name_or_arn(cloud: CloudFactory, by_arn: bool) -> None:
    lambda_ = RecordingLambda(handlers={"billing": lambda event: None})
    ctx = cloud(lambda_).context
    bus_arn = ctx.clients.get("events").create_event_bus(Name="shop-bus")["EventBusArn"]
    bus = bus_arn if by_arn else "shop-bus"
    source = await started(EventBridgeRule(entry("billing", {"source": ["shop.orders"]}, bus), ctx))
    put(ctx, {"on": "default"})  # the default bus: another bus, not ours
    put(ctx, {"on": "shop-bus"}, bus="shop-bus")
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await asyncio.sleep(0.3)
    await source.stop()
    assert details(lambda_) == [{"on": "shop-bus"}]
    assert source.relay.source == f"eventbridge shop-bus/{source.rule_name}"


PATTERN = {
    "source": [{"prefix": "shop."}],
    "detail-type": ["Order Placed", "Order Paid"],
    "detail": {
        "total": [{"numeric": [">", 10, "<=", 100]}],
        "state": [{"anything-but": ["test", "cancelled"]}],
        "coupon": [{"exists": False}],
        "customer": {"tier": ["gold"]},
    },
}
MATCHING = {"total": 50, "state": "new", "customer": {"tier": "gold"}}


@pytest.mark.parametrize(
    ("fields", "detail", "delivered"),
    [
        ({}, MATCHING, True),
        ({"detail_type": "Order Paid"}, MATCHING, True),
        ({"detail_type": "Order Shipped"}, MATCHING, False),  # detail-type filter
        ({"source": "warehouse.orders"}, MATCHING, False),  # prefix
        ({}, {**MATCHING, "total": 5}, False),  # numeric
        ({}, {**MATCHING, "total": 100}, True),
        ({}, {**MATCHING, "state": "cancelled"}, False),  # anything-but
        ({}, {**MATCHING, "coupon": "SAVE"}, False),  # exists: false
        ({}, {**MATCHING, "customer": {"tier": "silver"}}, False),  # nested
    ],
)
async def test_the_pattern_decides(
    cloud: CloudFactory, fields: dict[str, str], detail: dict[str, Any], delivered: bool
) -> None:
    lambda_ = RecordingLambda(handlers={"picky": lambda event: None})
    ctx = cloud(lambda_).context
    source = await started(EventBridgeRule(entry("picky", PATTERN), ctx))
    put(ctx, detail, **fields)
    sentinel = {**MATCHING, "total": 11}
    put(ctx, sentinel)  # matches: once it arrives, the event before it had its chance
    await wait_until(lambda: sentinel in details(lambda_))
    await asyncio.sleep(0.2)
    await source.stop()
    assert (detail in details(lambda_)) is delivered
    assert len(lambda_.calls) == 1 + delivered


async def test_a_reload_with_a_new_pattern_no_longer_matches_by_the_old(
    cloud: CloudFactory,
) -> None:
    lambda_ = RecordingLambda(handlers={"watch": lambda event: None})
    ctx = cloud(lambda_).context
    old = await started(EventBridgeRule(entry("watch", {"source": ["old.source"]}), ctx))
    put(ctx, {"n": 1}, source="old.source")
    await wait_until(lambda: len(lambda_.succeeded()) == 1)
    await old.stop()  # the manager stops the old source before it starts the new one
    new = await started(EventBridgeRule(entry("watch", {"source": ["new.source"]}), ctx))
    put(ctx, {"n": 2}, source="old.source")
    put(ctx, {"n": 3}, source="new.source")
    await wait_until(lambda: len(lambda_.succeeded()) == 2)
    await asyncio.sleep(0.2)
    await new.stop()
    assert details(lambda_) == [{"n": 1}, {"n": 3}]


async def test_a_real_worker_runs_it_and_a_failure_is_retried(
    cloud: CloudFactory, tmp_path: Path, open_pool: Callable[..., WorkerPool]
) -> None:
    lambda_ = pooled(push_specs(tmp_path, "stamp", "fail"), open_pool)
    ctx = cloud(lambda_, retry_delays=(0.1, 0.2)).context
    good = await started(EventBridgeRule(entry("stamp", {"detail-type": ["Good"]}), ctx))
    bad = await started(EventBridgeRule(entry("fail", {"detail-type": ["Bad"]}), ctx))
    put(ctx, {"ok": True}, detail_type="Good")
    put(ctx, {"ok": False}, detail_type="Bad")
    failed = ctx.deliveries.counters(bad.relay.source)
    await wait_until(lambda: len(lambda_.succeeded("stamp")) == 1 and failed.discarded == 1, 20)
    await good.stop()
    await bad.stop()
    answer = json.loads(lambda_.succeeded("stamp")[0].result.payload)
    assert answer["event"]["detail"] == {"ok": True}
    assert [call.name for call in lambda_.calls].count("fail") == 3  # two retries
    assert failed.retried == 2


def test_the_event_gets_the_account_moto_leaves_out() -> None:
    moto_copy = {"id": "1", "time": "2024-01-01T00:00:00Z", "version": "0", "detail-type": "T",
                 "source": "s", "region": "us-east-1", "resources": [], "detail": {}}  # fmt: skip
    event = eventbridge_event(moto_copy, ACCOUNT_ID)
    assert event["account"] == ACCOUNT_ID
    assert list(event)[:5] == ["version", "id", "detail-type", "source", "account"]
    assert eventbridge_event({**moto_copy, "account": "999"}, ACCOUNT_ID)["account"] == "999"
