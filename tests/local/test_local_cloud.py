"""The local cloud end to end: the real `chalicelike local` in a subprocess with its AWS
endpoint, boto3 against that endpoint, and handlers (in the server's workers) writing what
they received to files the test reads. Every event source, as the issue lists them."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from websockets.sync.client import connect

from tests.local.project_support import write_project
from tests.local.test_server import free_port, local_server

pytestmark = pytest.mark.slow

APP = """\
import json, os, time
from chalicelike import Chalice

app = Chalice(app_name="livecloud")
OUT = os.environ["OUT_DIR"]


def note(file_name, **fields):
    with open(os.path.join(OUT, file_name + ".jsonl"), "a") as out:
        out.write(json.dumps(fields) + "\\n")


@app.route("/ping")
def ping():
    return {"ok": True}


@app.on_ws_connect()
def connect(event):
    note("ws", what="connect", id=event.connection_id)


@app.on_ws_message()
def message(event):
    app.websocket_api.send(event.connection_id, "echo: " + event.body)


@app.on_ws_disconnect()
def disconnect(event):
    note("ws", what="disconnect", id=event.connection_id)


@app.route("/tell/{connection_id}", methods=["POST"])
def tell(connection_id):
    app.websocket_api.configure(app.current_request.headers["host"], "api")
    app.websocket_api.send(connection_id, app.current_request.raw_body.decode())
    return {"sent": True}


@app.on_s3_event(bucket="uploads", prefix="in/", suffix=".csv")
def csv_in(event):
    raw = event.to_dict()["Records"][0]
    note("csv_in", key=event.key, raw_key=raw["s3"]["object"]["key"], name=raw["eventName"])


@app.on_s3_event(bucket="uploads", events=["s3:ObjectRemoved:*"])
def removed(event):
    note("removed", key=event.key, name=event.to_dict()["Records"][0]["eventName"])


@app.on_s3_event(bucket="uploads", prefix="eb/", via_eventbridge=True)
def via_eventbridge(event):
    note("via_eventbridge", key=event.key, detail_type=event.to_dict()["detail-type"])


@app.on_sqs_message(queue="work", batch_size=5)
def work(event):
    failures = []
    for record in event:
        body = json.loads(record.body)
        receives = record.to_dict()["attributes"]["ApproximateReceiveCount"]
        if body["mode"] == "crash" and receives == "1":
            os._exit(1)
        if body["mode"] == "slow" and receives == "1":
            time.sleep(10)
        if body["mode"] == "fail":
            failures.append({"itemIdentifier": record.message_id})
            continue
        note("work", id=record.message_id, n=body["n"])
    return {"batchItemFailures": failures}


@app.on_sns_message(topic="alerts")
def alert(event):
    note("alert", message=event.message, subject=event.subject)


@app.on_cw_event({"source": ["shop"], "detail-type": ["order placed"]}, bus="shop-bus")
def order_placed(event):
    note("order_placed", detail=event.detail, source=event.source)


@app.schedule("rate(1 minute)")
def tick(event):
    note("tick", time=event.time, detail_type=event.to_dict()["detail-type"])


@app.on_kinesis_record(stream="clicks", batch_size=10, starting_position="TRIM_HORIZON")
def click(event):
    for record in event:
        note("click", data=record.data.decode(), key=record.partition_key)


@app.on_dynamodb_record(
    stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
    starting_position="TRIM_HORIZON",
)
def order_change(event):
    for record in event:
        note("order_change", name=record.event_name, keys=record.keys)
"""
CONFIG = {
    "app_name": "livecloud",
    "lambda_functions": {"work": {"lambda_timeout": 2}},
}
SOURCES_LIVE = "event sources live"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return write_project(tmp_path, APP, CONFIG)


class Cloud:
    def __init__(self, base_url: str, endpoint: str, log_path: Path, out: Path) -> None:
        self.base_url, self.endpoint, self.log_path, self.out = base_url, endpoint, log_path, out

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def notes(self, name: str) -> list[dict[str, Any]]:
        path = self.out / f"{name}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def wait_for(
        self, name: str, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 15
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            notes = self.notes(name)
            if done(notes):
                return notes
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: {notes}\n{self.log_path.read_text()}")
            time.sleep(0.05)

    def counters(self) -> dict[str, dict[str, int]]:
        answer = requests.get(self.base_url + "/_chalicelike/deliveries", timeout=5)
        answer.raise_for_status()
        counters: dict[str, dict[str, int]] = answer.json()
        return counters


@contextlib.contextmanager
def live_cloud(project: Path, clock_speed: float = 1) -> Iterator[Cloud]:
    aws_port = free_port()
    out = project.parent / "out"
    env = {"OUT_DIR": str(out), "CHALICELIKE_LOCAL_CLOCK_SPEED": str(clock_speed)}
    with local_server(project, "--aws-port", str(aws_port), env=env) as (base_url, log_path, _):
        cloud = Cloud(base_url, f"http://127.0.0.1:{aws_port}", log_path, out)
        deadline = time.monotonic() + 20
        while SOURCES_LIVE not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield cloud


def test_s3_changes_reach_the_handlers_whose_filters_match(project: Path) -> None:
    with live_cloud(project) as cloud:
        s3 = cloud.client("s3")
        s3.put_object(Bucket="uploads", Key="in/a b+c é.csv", Body=b"1,2")
        s3.put_object(Bucket="uploads", Key="in/skipped.txt", Body=b"x")
        s3.put_object(Bucket="uploads", Key="other/skipped.csv", Body=b"x")
        s3.copy_object(
            Bucket="uploads",
            Key="in/copy.csv",
            CopySource={"Bucket": "uploads", "Key": "in/a b+c é.csv"},
        )
        s3.delete_object(Bucket="uploads", Key="in/skipped.txt")
        s3.put_object(Bucket="uploads", Key="eb/via.json", Body=b"{}")

        created = cloud.wait_for("csv_in", lambda notes: len(notes) >= 2)
        assert {(n["key"], n["name"]) for n in created} == {
            ("in/a b+c é.csv", "ObjectCreated:Put"),
            ("in/copy.csv", "ObjectCreated:Copy"),
        }
        encoded = next(n["raw_key"] for n in created if n["name"] == "ObjectCreated:Put")
        assert encoded == "in/a+b%2Bc+%C3%A9.csv"  # as S3 sends keys: URL-encoded, '+' for space
        removed = cloud.wait_for("removed", lambda notes: len(notes) >= 1)
        assert removed == [{"key": "in/skipped.txt", "name": "ObjectRemoved:Delete"}]
        bridged = cloud.wait_for("via_eventbridge", lambda notes: len(notes) >= 1)
        assert bridged == [{"key": "eb/via.json", "detail_type": "Object Created"}]
        time.sleep(0.5)
        assert len(cloud.notes("csv_in")) == 2  # nothing else matched
        assert cloud.counters()["s3 uploads"]["succeeded"] >= 4


def test_sqs_loses_nothing_through_failures_crashes_timeouts_and_a_reload(project: Path) -> None:
    with live_cloud(project) as cloud:
        sqs = cloud.client("sqs")
        dlq_url = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
        sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}
                ),
            },
        )
        modes = ["ok"] * 30 + ["fail"] * 3 + ["crash"] * 2 + ["slow"]
        sent: dict[str, str] = {}
        for n, mode in enumerate(modes):
            answer = sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n, "mode": mode}))
            sent[answer["MessageId"]] = mode
            if n == 15:  # a save in the middle: the app reloads, the poller carries on
                app_py = project / "app.py"
                app_py.write_text(app_py.read_text() + "\n# saved\n")
        ok = {message_id for message_id, mode in sent.items() if mode in ("ok", "crash", "slow")}

        def dead_lettered() -> set[str]:
            found: set[str] = set()
            while True:
                got = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)
                messages = got.get("Messages", [])
                if not messages:
                    return found
                found |= {m["MessageId"] for m in messages}

        processed = cloud.wait_for("work", lambda notes: ok <= {n["id"] for n in notes}, 40)
        in_dlq: set[str] = set()
        deadline = time.monotonic() + 20
        while {m for m, mode in sent.items() if mode == "fail"} - in_dlq:
            assert time.monotonic() < deadline, (in_dlq, cloud.log_path.read_text())
            in_dlq |= dead_lettered()
            time.sleep(0.2)
        # messages in = processed + dead-lettered; nothing lost, nothing left behind
        assert {n["id"] for n in processed} | in_dlq == set(sent)
        assert in_dlq == {m for m, mode in sent.items() if mode == "fail"}
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
        counters = cloud.counters()["sqs work"]
        assert counters["dead_lettered"] >= 3
        assert counters["retried"] >= 3


def test_sns_publish_reaches_the_subscribed_handler(project: Path) -> None:
    with live_cloud(project) as cloud:
        sns = cloud.client("sns")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.publish(TopicArn=topic, Message="disk full", Subject="ops")
        notes = cloud.wait_for("alert", lambda notes: len(notes) >= 1)
        assert notes == [{"message": "disk full", "subject": "ops"}]


def test_eventbridge_events_reach_the_rule_whose_pattern_matches(project: Path) -> None:
    with live_cloud(project) as cloud:
        events = cloud.client("events")
        entries = [
            {"Source": "shop", "DetailType": "order placed", "Detail": '{"id": 1}'},
            {"Source": "shop", "DetailType": "order cancelled", "Detail": '{"id": 2}'},
            {"Source": "elsewhere", "DetailType": "order placed", "Detail": '{"id": 3}'},
        ]
        events.put_events(Entries=[{**entry, "EventBusName": "shop-bus"} for entry in entries])
        events.put_events(Entries=[entries[0]])  # the default bus: no rule of ours there
        notes = cloud.wait_for("order_placed", lambda notes: len(notes) >= 1)
        time.sleep(0.5)
        assert cloud.notes("order_placed") == notes == [{"detail": {"id": 1}, "source": "shop"}]


def test_a_schedule_fires_on_its_rate(project: Path) -> None:
    with live_cloud(project, clock_speed=60) as cloud:  # a minute a second
        notes = cloud.wait_for("tick", lambda notes: len(notes) >= 2, 10)
        assert {n["detail_type"] for n in notes} == {"Scheduled Event"}
        assert "next fire" in cloud.log_path.read_text()


def test_kinesis_records_arrive_in_order(project: Path) -> None:
    with live_cloud(project) as cloud:
        kinesis = cloud.client("kinesis")
        for n in range(20):
            kinesis.put_record(StreamName="clicks", Data=f"click-{n}".encode(), PartitionKey="p")
        notes = cloud.wait_for("click", lambda notes: len(notes) >= 20)
        assert [n["data"] for n in notes] == [f"click-{n}" for n in range(20)]


def test_a_dynamodb_tables_stream_reaches_its_handler(project: Path) -> None:
    with live_cloud(project) as cloud:
        dynamodb = cloud.client("dynamodb")
        dynamodb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        dynamodb.put_item(TableName="orders", Item={"id": {"S": "o-1"}, "total": {"N": "5"}})
        dynamodb.delete_item(TableName="orders", Key={"id": {"S": "o-1"}})
        notes = cloud.wait_for("order_change", lambda notes: len(notes) >= 2, 20)
        assert [n["name"] for n in notes] == ["INSERT", "REMOVE"]


def test_the_sample_apps_s3_sqs_and_schedule_handlers_run_live(tmp_path: Path) -> None:
    # A copy: the server's log goes beside the project, and nothing may land in the repository.
    sample = tmp_path / "sample_app"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "sample_app",
        sample,
        ignore=shutil.ignore_patterns("__pycache__", "tests"),
    )
    aws_port = free_port()
    endpoint = f"http://127.0.0.1:{aws_port}"
    env = {"CHALICELIKE_LOCAL_CLOCK_SPEED": "3600"}  # the hourly report every second
    with local_server(sample, "--aws-port", str(aws_port), env=env) as (_, log_path, _):
        cloud = Cloud("", endpoint, log_path, tmp_path / "out")
        deadline = time.monotonic() + 20
        while SOURCES_LIVE not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        # The README's line, in boto3's words.
        cloud.client("s3").put_object(Bucket="bookshop-imports", Key="new/9780441013593.csv")
        sqs = cloud.client("sqs")
        queue = sqs.get_queue_url(QueueName="bookshop-orders")["QueueUrl"]
        sent = sqs.send_message(QueueUrl=queue, MessageBody='{"isbn": "9780441013593"}')
        wanted = [
            "imported 9780441013593 from s3://bookshop-imports/new/9780441013593.csv",
            f"order {sent['MessageId']} for 9780441013593",
            "hourly report at ",
        ]
        while not all(line in log_path.read_text() for line in wanted):
            assert time.monotonic() < deadline + 20, log_path.read_text()
            time.sleep(0.05)


def test_websockets_connect_echo_through_the_management_api_and_disconnect(
    project: Path,
) -> None:
    with live_cloud(project) as cloud:
        ws_url = cloud.base_url.replace("http://", "ws://") + "/api"
        with connect(ws_url, open_timeout=10) as socket:
            socket.send("hello")
            assert socket.recv(timeout=10) == "echo: hello"
            connection_id = cloud.wait_for("ws", lambda notes: len(notes) >= 1)[0]["id"]
            # A plain route (no websocket event to configure from) sends to the client too.
            answer = requests.post(
                f"{cloud.base_url}/tell/{connection_id}", data=b"from a route", timeout=10
            )
            assert answer.json() == {"sent": True}, answer.text
            assert socket.recv(timeout=10) == "from a route"
        notes = cloud.wait_for("ws", lambda notes: len(notes) >= 2)
        assert [n["what"] for n in notes] == ["connect", "disconnect"]
        assert {n["id"] for n in notes} == {connection_id}
