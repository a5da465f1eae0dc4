"""S3 notifications, live: the events S3Notifications builds, what it filters, and real
deliveries from moto's S3 through the tap to handlers in real worker processes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelike._events._lambda_events import S3Event
from chalicelike._tooling._manifest import FunctionEntry
from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._aws_endpoint import AwsEndpoint
from chalicelike.local._deliveries import DeliveryLog
from chalicelike.local._event_queue import EventQueue
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    LocalLambda,
)
from chalicelike.local._live_sources import CloudContext
from chalicelike.local._pool import WorkerPool
from chalicelike.local._s3_changes import S3Change, S3ChangeFeed
from chalicelike.local._s3_notifications import (
    S3Notifications,
    eventbridge_event,
    notification_event,
)
from tests.local.test_aws_endpoint import reset_moto

pytestmark = pytest.mark.anyio

WHEN = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def change(event_name: str = "ObjectCreated:Put", key: str = "in/a.csv", **fields: Any) -> S3Change:
    values: dict[str, Any] = {
        "event_name": event_name,
        "bucket": "uploads",
        "key": key,
        "size": 5,
        "etag": "5d41402abc4b2a76b9719d911017c592",
        "version_id": None,
        "sequencer": "0000061F0A1B2C3D4E",
        "source_ip": "127.0.0.1",
        "request_id": "0123456789ABCDEF",
        "host_id": "aG9zdA==",
        "time": WHEN,
    }
    values.update(fields)
    return S3Change(**values)


def entry(name: str = "uploaded", **settings: Any) -> FunctionEntry:
    settings.setdefault("bucket", "uploads")
    settings.setdefault("events", ["s3:ObjectCreated:*"])
    return FunctionEntry(name, f"app.{name}", "s3", settings)


# -- the events, as AWS documents them ----------------------------------------------------


async def test_a_notification_is_s3s_record_with_the_key_form_encoded() -> None:
    event = notification_event(change(key="in/red flower+1.csv"), 5, "abc", "eu-west-1", "cfg")
    assert event == {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2024-05-01T12:00:00.123Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDACHALICELIKELOCAL"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": "0123456789ABCDEF",
                    "x-amz-id-2": "aG9zdA==",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "cfg",
                    "bucket": {
                        "name": "uploads",
                        "ownerIdentity": {"principalId": "A1CHALICELIKELOCALOWNER"},
                        "arn": "arn:aws:s3:::uploads",
                    },
                    "object": {
                        "key": "in/red+flower%2B1.csv",
                        "size": 5,
                        "eTag": "abc",
                        "sequencer": "0000061F0A1B2C3D4E",
                    },
                },
            }
        ]
    }
    record = S3Event(event).records[0]
    assert (record.key, record.size, record.etag) == ("in/red flower+1.csv", 5, "abc")
    assert record.source_ip == "127.0.0.1"


async def test_a_removal_has_no_size_or_etag_and_a_version_when_versioned() -> None:
    removed = change("ObjectRemoved:DeleteMarkerCreated", version_id="v2", size=None, etag=None)
    obj = notification_event(removed, None, None, "us-east-1", "cfg")["Records"][0]["s3"]["object"]
    assert obj == {"key": "in/a.csv", "versionId": "v2", "sequencer": "0000061F0A1B2C3D4E"}
    event = S3Event(notification_event(removed, None, None, "us-east-1", "cfg"))
    assert (event.records[0].event_name, event.records[0].version_id) == (
        "ObjectRemoved:DeleteMarkerCreated",
        "v2",
    )


async def test_the_eventbridge_shape_carries_the_key_as_it_is() -> None:
    created = eventbridge_event(change(key="in/a b.csv"), 5, "abc", "us-east-1", "123456789012")
    assert created["id"]
    del created["id"]
    assert created == {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::uploads"],
        "detail": {
            "version": "0",
            "bucket": {"name": "uploads"},
            "object": {
                "key": "in/a b.csv",
                "size": 5,
                "etag": "abc",
                "sequencer": "0000061F0A1B2C3D4E",
            },
            "request-id": "0123456789ABCDEF",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }
    assert S3Event(created).key == "in/a b.csv"
    deleted = eventbridge_event(
        change("ObjectRemoved:Delete", version_id="v1"), None, None, "us-east-1", "1"
    )
    assert deleted["detail-type"] == "Object Deleted"
    assert deleted["detail"]["object"] == {
        "key": "in/a.csv",
        "version-id": "v1",
        "sequencer": "0000061F0A1B2C3D4E",
    }
    assert (deleted["detail"]["reason"], deleted["detail"]["deletion-type"]) == (
        "DeleteObject",
        "Permanently Deleted",
    )


# -- filters and delivery, with a recording stand-in for the local Lambda -------------------


class RecordingLambda:
    """Records each invocation; fails those whose key is in `failing`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing: set[str] = set()

    def find(self, name: str) -> FunctionSpec | None:
        return None

    async def invoke(
        self,
        name: str,
        payload: bytes,
        *,
        client_context: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
        source: str = "invoke",
    ) -> InvocationResult:
        event = json.loads(payload)
        self.calls.append((name, event))
        if S3Event(event).key in self.failing:
            error = {"errorType": "ValueError", "errorMessage": "no"}
            return InvocationResult("r", InvocationStatus.ERROR, json.dumps(error).encode())
        return InvocationResult("r", InvocationStatus.OK, b"null")


@dataclass
class Cloud:
    context: CloudContext
    feed: S3ChangeFeed
    lines: list[str]

    async def settle(self) -> None:
        """Until every submitted event has had its last attempt."""
        for _ in range(500):
            await asyncio.sleep(0.01)
            if self.context.event_queue.pending == 0:
                return
        raise AssertionError("events still pending")


def make_cloud(
    local_lambda: LocalLambda,
    endpoint_url: str = "http://127.0.0.1:9",  # nothing listens: no test of S3 calls it
    feed: S3ChangeFeed | None = None,
) -> Cloud:
    lines: list[str] = []
    feed = feed or S3ChangeFeed(log=lines.append)
    feed.attach(asyncio.get_running_loop())
    context = CloudContext(
        local_lambda=local_lambda,
        clients=AwsClients(endpoint_url, "us-east-1"),
        deliveries=DeliveryLog(lines.append),
        event_queue=EventQueue(local_lambda, lines.append, retry_delays=(0.05, 0.05)),
        region="us-east-1",
        account_id="123456789012",
        log=lines.append,
        s3_changes=feed,
    )
    return Cloud(context, feed, lines)


@pytest.fixture
async def recorded() -> AsyncIterator[tuple[RecordingLambda, Cloud]]:
    local_lambda = RecordingLambda()
    cloud = make_cloud(local_lambda)
    yield local_lambda, cloud
    await cloud.context.event_queue.close()
    cloud.context.executor.shutdown()


async def test_only_matching_changes_are_delivered(recorded: tuple[RecordingLambda, Cloud]) -> None:
    local_lambda, cloud = recorded
    csvs = S3Notifications(entry("csvs", prefix="in/", suffix=".csv"), cloud.context)
    removals = S3Notifications(entry("gone", events=["s3:ObjectRemoved:Delete"]), cloud.context)
    puts = S3Notifications(entry("puts", events=["s3:ObjectCreated:Put"]), cloud.context)
    for source in (csvs, removals, puts):
        source.start()
        assert source.ready.is_set()
    for sent in (
        change(key="in/a.csv"),
        change(key="out/a.csv"),  # prefix
        change(key="in/a.txt"),  # suffix
        change(key="in/b.csv", bucket="elsewhere"),
        change("ObjectCreated:Post", key="in/c.csv", size=1, etag="e"),
        change("ObjectRemoved:Delete", key="in/d.csv", size=None, etag=None),
        change("ObjectRemoved:DeleteMarkerCreated", key="in/e.csv", size=None, etag=None),
    ):
        cloud.feed.publish(sent)
    await cloud.settle()
    seen = sorted((name, S3Event(event).key) for name, event in local_lambda.calls)
    assert seen == [
        ("csvs", "in/a.csv"),
        ("csvs", "in/c.csv"),
        ("gone", "in/d.csv"),
        ("puts", "in/a.csv"),
        ("puts", "in/a.txt"),
        ("puts", "out/a.csv"),
    ]
    assert cloud.context.deliveries.snapshot()["s3 uploads"]["succeeded"] == 6
    assert "chalicelike local: s3 uploads: s3:ObjectCreated:* under 'in/' ending '.csv'" in (
        "\n".join(cloud.lines)
    )
    for source in (csvs, removals, puts):
        await source.stop()
    cloud.feed.publish(change())
    await cloud.settle()
    assert len(local_lambda.calls) == 6  # stopped: no longer subscribed


async def test_a_failing_handler_is_retried_as_lambda_retries_async_events(
    recorded: tuple[RecordingLambda, Cloud],
) -> None:
    local_lambda, cloud = recorded
    local_lambda.failing.add("in/bad.csv")
    source = S3Notifications(entry(), cloud.context)
    source.start()
    cloud.feed.publish(change(key="in/bad.csv"))
    await cloud.settle()
    assert len(local_lambda.calls) == 3  # the first attempt and Lambda's two retries
    assert cloud.context.deliveries.snapshot()["s3 uploads"] == {
        "delivered": 3,
        "succeeded": 0,
        "retried": 2,
        "dead_lettered": 0,
        "discarded": 1,
        "returned": 0,
    }
    await source.stop()


async def test_an_external_endpoint_is_said_once_and_nothing_runs() -> None:
    local_lambda = RecordingLambda()
    cloud = make_cloud(local_lambda)
    cloud.context.s3_changes = None
    try:
        sources = [S3Notifications(entry(name), cloud.context) for name in ("a", "b")]
        for source in sources:
            source.start()
            assert source.ready.is_set()
        for source in sources:
            await source.stop()
        assert cloud.lines == [
            "chalicelike local: S3 events cannot be watched on an external --aws-endpoint;"
            " on_s3_event handlers are not called"
        ]
    finally:
        cloud.context.executor.shutdown()


# -- real deliveries: moto's S3, the tap, real worker processes ---------------------------

APP = """\
import json
import os
import time

from chalicelike import Chalice

app = Chalice(app_name="s3live")


def keep(name, event):
    started = time.time()
    with open(os.path.join(os.environ["OUT"], name + ".jsonl"), "a") as out:
        for record in event:
            line = {"key": record.key, "name": record.event_name, "size": record.size,
                    "etag": record.etag, "started": started, "event": event.to_dict()}
            out.write(json.dumps(line) + "\\n")


@app.on_s3_event(bucket="uploads", prefix="in/", suffix=".csv")
def csvs(event):
    keep("csvs", event)


@app.on_s3_event(bucket="uploads", events=["s3:ObjectRemoved:*"])
def removed(event):
    keep("removed", event)


@app.on_s3_event(bucket="uploads", via_eventbridge=True)
def bridged(event):
    keep("bridged", event)


@app.on_s3_event(bucket="uploads", prefix="flaky/")
def flaky(event):
    marker = os.path.join(os.environ["OUT"], "flaky.failed")
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("the first attempt fails")
    keep("flaky", event)
"""
FUNCTIONS: dict[str, dict[str, Any]] = {
    "csvs": {"prefix": "in/", "suffix": ".csv"},
    "removed": {"events": ["s3:ObjectRemoved:*"]},
    "bridged": {"via_eventbridge": True},
    "flaky": {"prefix": "flaky/"},
}


@dataclass
class Live:
    cloud: Cloud
    s3: Any
    out: Path
    sources: list[S3Notifications]

    def seen(self, name: str) -> list[dict[str, Any]]:
        path = self.out / f"{name}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    async def wait_for(self, name: str, count: int) -> list[dict[str, Any]]:
        for _ in range(1000):
            if len(found := self.seen(name)) >= count:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(f"{name} saw {self.seen(name)}")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(APP)
    out = tmp_path / "out"
    out.mkdir()
    specs = [
        FunctionSpec(name, f"s3live-dev-{name}", f"app.{name}", str(project),
                     environment={"OUT": str(out)})
        for name in FUNCTIONS
    ]  # fmt: skip
    pool = WorkerPool(specs)
    feed = S3ChangeFeed()
    endpoint = AwsEndpoint(0, on_s3_change=feed.publish)
    endpoint.start()
    cloud = make_cloud(pool, endpoint.url, feed)
    sources = [
        S3Notifications(entry(name, **settings), cloud.context)
        for name, settings in FUNCTIONS.items()
    ]
    try:
        assert await cloud.context.call(endpoint.wait_ready), endpoint.error
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        await cloud.context.call(s3.create_bucket, Bucket="uploads")
        for source in sources:
            source.start()
        yield Live(cloud, s3, out, sources)
    finally:
        for source in sources:
            await source.stop()
        await cloud.context.event_queue.close()
        await pool.close()
        cloud.context.executor.shutdown()
        feed.detach()
        if endpoint.wait_ready(0):
            reset_moto(endpoint.url)
        endpoint.stop()


async def put(live: Live, key: str, body: bytes = b"a,b\n") -> None:
    await live.cloud.context.call(live.s3.put_object, Bucket="uploads", Key=key, Body=body)


@pytest.mark.slow
async def test_real_puts_copies_and_deletes_reach_the_handlers(live: Live) -> None:
    key = f"in/{uuid.uuid4().hex[:6]} report+1 ü.csv"
    await put(live, key)
    await put(live, "in/notes.txt")  # not a .csv: csvs does not see it
    call = live.cloud.context.call
    await call(
        live.s3.copy_object, Bucket="uploads", Key="in/copy.csv",
        CopySource={"Bucket": "uploads", "Key": key},
    )  # fmt: skip
    await call(live.s3.delete_object, Bucket="uploads", Key=key)
    csvs = await live.wait_for("csvs", 2)
    removed = await live.wait_for("removed", 1)
    bridged = await live.wait_for("bridged", 3)
    assert {(seen["key"], seen["name"], seen["size"]) for seen in csvs} == {
        ("in/copy.csv", "ObjectCreated:Copy", 4),  # the size S3 would send, looked up
        (key, "ObjectCreated:Put", 4),
    }
    put_event = next(seen["event"] for seen in csvs if seen["name"] == "ObjectCreated:Put")
    # On the wire the key is form-encoded, as S3 sends it; S3Event decodes it.
    assert put_event["Records"][0]["s3"]["object"]["key"] == (
        key.replace(" ", "+").replace("+1", "%2B1").replace("ü", "%C3%BC")
    )
    assert [(seen["key"], seen["name"], seen["size"]) for seen in removed] == [
        (key, "ObjectRemoved:Delete", None)
    ]
    assert sorted(seen["key"] for seen in bridged) == sorted([key, "in/notes.txt", "in/copy.csv"])
    assert all(seen["event"]["source"] == "aws.s3" for seen in bridged)
    await live.cloud.settle()
    assert "removed" in {seen["event"]["Records"][0]["s3"]["configurationId"] for seen in removed}
    counters = live.cloud.context.deliveries.snapshot()["s3 uploads"]
    assert counters["succeeded"] == counters["delivered"] == 6


@pytest.mark.slow
async def test_a_failing_real_handler_is_retried_then_succeeds(live: Live) -> None:
    await put(live, "flaky/once.txt")
    (seen,) = await live.wait_for("flaky", 1)
    assert seen["key"] == "flaky/once.txt"
    await live.cloud.settle()
    assert any("RuntimeError: the first attempt fails; retrying in 0.05 s" in line
               for line in live.cloud.lines)  # fmt: skip
    counters = live.cloud.context.deliveries.snapshot()["s3 uploads"]
    assert (counters["retried"], counters["discarded"]) == (1, 0)


@pytest.mark.slow
async def test_put_to_handler_start_latency_is_small(live: Live) -> None:
    """Not a benchmark (benchmarks/ measures p50 over many): a put must reach a warm
    handler in well under a second, or something polls instead of pushing."""
    await put(live, "in/warm.csv")
    await live.wait_for("csvs", 1)
    sent = time.time()
    await put(live, "in/timed.csv")
    seen = await live.wait_for("csvs", 2)
    assert seen[-1]["started"] - sent < 0.5


@pytest.mark.slow
async def test_a_copy_gone_before_its_size_is_read_is_sent_without_it(live: Live) -> None:
    copied = change("ObjectCreated:Copy", key="in/gone.csv", size=None, etag=None)
    live.cloud.feed.publish(copied)
    (seen,) = await live.wait_for("csvs", 1)
    assert (seen["key"], seen["size"], seen["etag"]) == ("in/gone.csv", None, None)
    assert (
        "chalicelike local: s3 uploads: ObjectCreated:Copy 'in/gone.csv' sent without its size:"
        " it is gone already"
    ) in live.cloud.lines
