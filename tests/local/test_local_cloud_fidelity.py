"""Would a handler written for AWS behave the same under `chalicelike local`? The real CLI
serves a Chalice app (written for Chalice: only its import line changed) whose handlers
write down the raw events they get; each is checked against AWS's documented shape (every
key, its type and encoding) and read with both Chalice 1.34's readers and our own."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import chalice.app
import pytest
from websockets.sync.client import connect

import chalicelike.app
from tests.local.project_support import write_project
from tests.local.test_local_cloud import Cloud, live_cloud

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/stream/2026-01-01T00:00:00.000"
APP = f"""\
import json, os
from chalicelike import Blueprint, Chalice, Cron, Rate

app = Chalice(app_name="fidelity")
jobs = Blueprint(__name__)
OUT = os.environ["OUT_DIR"]


def keep(file_name, event):
    with open(os.path.join(OUT, file_name + ".jsonl"), "a") as out:
        out.write(json.dumps(event.to_dict()) + "\\n")


@app.route("/ping")
def ping():
    return {{"ok": True}}


@app.on_s3_event(bucket="uploads", events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
def s3_change(event):
    keep("s3", event)


@app.on_s3_event(bucket="uploads", via_eventbridge=True)
def s3_bridged(event):
    keep("s3_bridged", event)


@app.on_cw_event({{"source": ["aws.s3"], "detail": {{"bucket": {{"name": ["bridged"]}}}}}})
def s3_on_the_bus(event):
    keep("s3_on_the_bus", event)


@jobs.on_sqs_message(queue_arn="arn:aws:sqs:us-east-1:{ACCOUNT}:work", batch_size=10)
def work(event):
    keep("sqs", event)


@jobs.on_sqs_message(queue="ordered.fifo", batch_size=10)
def ordered(event):
    keep("sqs_fifo", event)


@app.on_sns_message(topic="arn:aws:sns:us-east-1:{ACCOUNT}:alerts")
def alert(event):
    keep("sns", event)


@app.on_cw_event({{"source": ["shop"]}})
def shop(event):
    keep("events", event)


@jobs.schedule(Rate(1, unit=Rate.MINUTES))
def every_minute(event):
    keep("rate", event)


@jobs.schedule(Cron("*/2", "*", "*", "*", "?", "*"))
def every_other_minute(event):
    keep("cron", event)


@app.on_kinesis_record(stream="clicks", starting_position="TRIM_HORIZON")
def click(event):
    keep("kinesis", event)


@app.on_dynamodb_record(stream_arn="{STREAM_ARN}", starting_position="TRIM_HORIZON")
def order_change(event):
    keep("dynamodb", event)


@app.on_ws_connect()
def ws_connect(event):
    keep("ws", event)


@app.on_ws_message()
def ws_message(event):
    keep("ws", event)
    app.websocket_api.send(event.connection_id, "got " + event.body)


@app.on_ws_disconnect()
def ws_disconnect(event):
    keep("ws", event)


app.register_blueprint(jobs, name_prefix="jobs_")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return write_project(tmp_path, APP, {"app_name": "fidelity"})


def has_keys(
    value: dict[str, Any], required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    """`value` holds every required key, and nothing AWS's samples do not show."""
    assert required <= set(value), (sorted(required - set(value)), value)
    assert set(value) <= required | optional, (sorted(set(value) - required - optional), value)


def events(cloud: Cloud, name: str, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
    return cloud.wait_for(name, lambda notes: len(notes) >= count, timeout)


def test_s3_notifications_and_their_eventbridge_form_are_s3s(project: Path) -> None:
    key = "dt=2026-12-06/a b+c é.csv"
    with live_cloud(project) as cloud:
        s3 = cloud.client("s3")
        s3.put_object(Bucket="uploads", Key=key, Body=b"123")
        s3.delete_object(Bucket="uploads", Key=key)
        # Chalice's way to S3's EventBridge events: the bucket sends them to the default
        # bus, and an on_cw_event rule matches them.
        s3.create_bucket(Bucket="bridged")
        s3.put_bucket_notification_configuration(
            Bucket="bridged", NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        s3.put_object(Bucket="bridged", Key=key, Body=b"123")
        # Two async invokes, in either order.
        changes = sorted(events(cloud, "s3", 2), key=lambda e: e["Records"][0]["eventName"])
        created, removed = (e["Records"] for e in changes)
        bridged = events(cloud, "s3_bridged")[0]
        on_the_bus = events(cloud, "s3_on_the_bus")[0]

    for records, name in ((created, "ObjectCreated:Put"), (removed, "ObjectRemoved:Delete")):
        assert len(records) == 1
        record = records[0]
        has_keys(
            record,
            {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
             "userIdentity", "requestParameters", "responseElements", "s3"},
        )  # fmt: skip
        assert (record["eventVersion"], record["eventSource"]) == ("2.1", "aws:s3")
        assert record["eventName"] == name
        assert time.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
        has_keys(record["s3"], {"s3SchemaVersion", "configurationId", "bucket", "object"})
        assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads"
        # URL-encoded as S3 sends it: '+' for a space, '%3D' for '=', '/' kept.
        assert record["s3"]["object"]["key"] == "dt%3D2026-12-06/a+b%2Bc+%C3%A9.csv"
    created_object = created[0]["s3"]["object"]
    has_keys(created_object, {"key", "size", "eTag", "sequencer"}, frozenset({"versionId"}))
    assert created_object["size"] == 3 and isinstance(created_object["size"], int)
    has_keys(removed[0]["s3"]["object"], {"key", "sequencer"}, frozenset({"versionId"}))

    has_keys(
        bridged,
        {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
         "detail"},
    )  # fmt: skip
    assert (bridged["source"], bridged["detail-type"]) == ("aws.s3", "Object Created")
    assert bridged["detail"]["object"]["key"] == key  # EventBridge's form is not encoded
    for event in (bridged, on_the_bus):
        has_keys(
            event["detail"],
            {"version", "bucket", "object", "request-id", "requester", "source-ip-address",
             "reason"},
        )  # fmt: skip
        assert event["detail"]["reason"] == "PutObject", event
        has_keys(event["detail"]["object"], {"key", "size", "etag", "sequencer"})
        assert event["detail"]["object"]["key"] == key

    for reader in (chalice.app, chalicelike.app):
        for event in ({"Records": created}, {"Records": removed}):
            s3_event = reader.S3Event(event, None)
            assert (s3_event.bucket, s3_event.key) == ("uploads", key)
        assert reader.CloudWatchEvent(bridged, None).detail["bucket"]["name"] == "uploads"


def test_sqs_and_sns_records_are_lambdas(project: Path) -> None:
    with live_cloud(project) as cloud:
        sqs = cloud.client("sqs")
        url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
        attributes = {
            "text": {"DataType": "String", "StringValue": "v"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            "count": {"DataType": "Number", "StringValue": "7"},
        }
        sent = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes=attributes)
        fifo_url = sqs.get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
        sqs.send_message(
            QueueUrl=fifo_url, MessageBody="first", MessageGroupId="g", MessageDeduplicationId="d"
        )
        sns = cloud.client("sns")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.publish(
            TopicArn=topic,
            Message="disk full",
            MessageAttributes={
                "level": {"DataType": "String", "StringValue": "high"},
                "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            },
        )
        sns.publish(TopicArn=topic, Message="plain")
        # One text per protocol: a Lambda subscriber gets the "lambda" one, not the queues'.
        per_protocol = {"default": "anyone", "sqs": "queues", "lambda": "functions"}
        sns.publish(TopicArn=topic, Message=json.dumps(per_protocol), MessageStructure="json")
        (plain,) = events(cloud, "sqs")[0]["Records"]
        (ordered,) = events(cloud, "sqs_fifo")[0]["Records"]
        # Each notification its own async invoke: in any order, as on AWS.
        notifications = sorted(
            (e["Records"] for e in events(cloud, "sns", 3)), key=lambda r: r[0]["Sns"]["Message"]
        )

    sqs_keys = {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                "md5OfBody", "md5OfMessageAttributes", "eventSource", "eventSourceARN",
                "awsRegion"}  # fmt: skip
    has_keys(plain, sqs_keys)
    assert plain["messageId"] == sent["MessageId"]
    assert plain["eventSourceARN"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:work"
    has_keys(
        plain["attributes"],
        {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
         "ApproximateFirstReceiveTimestamp"},
        frozenset({"AWSTraceHeader"}),
    )  # fmt: skip
    assert all(isinstance(value, str) for value in plain["attributes"].values())
    assert plain["messageAttributes"]["raw"] == {
        "binaryValue": base64.b64encode(b"\x00\xff").decode(),
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Binary",
    }
    assert plain["messageAttributes"]["count"]["stringValue"] == "7"
    has_keys(ordered, sqs_keys)
    assert ordered["md5OfMessageAttributes"] is None  # no attributes: null, not left out
    assert ordered["attributes"]["MessageGroupId"] == "g"
    assert ordered["attributes"]["MessageDeduplicationId"] == "d"
    assert ordered["attributes"]["SequenceNumber"].isdigit()

    for records in notifications:
        (record,) = records
        has_keys(record, {"EventSource", "EventVersion", "EventSubscriptionArn", "Sns"})
        assert record["EventSubscriptionArn"].startswith(topic + ":")
        has_keys(
            record["Sns"],
            {"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
             "SignatureVersion", "Signature", "SigningCertUrl", "UnsubscribeUrl",
             "MessageAttributes"},
        )  # fmt: skip
        assert record["Sns"]["Subject"] is None
    attributes_seen = notifications[0][0]["Sns"]["MessageAttributes"]
    assert attributes_seen == {
        "level": {"Type": "String", "Value": "high"},
        "raw": {"Type": "Binary", "Value": base64.b64encode(b"\x00\xff").decode()},
    }
    assert notifications[2][0]["Sns"]["MessageAttributes"] == {}
    assert [n[0]["Sns"]["Message"] for n in notifications] == ["disk full", "functions", "plain"]

    for reader in (chalice.app, chalicelike.app):
        (message,) = reader.SQSEvent({"Records": [plain]}, None)
        assert (message.body, message.receipt_handle) == ("hello", plain["receiptHandle"])
        sns_event = reader.SNSEvent({"Records": notifications[0]}, None)
        assert (sns_event.message, sns_event.subject) == ("disk full", None)
        assert sns_event.message_attributes == attributes_seen


def test_eventbridge_schedules_and_streams_are_as_aws_sends_them(project: Path) -> None:
    with live_cloud(project, clock_speed=60) as cloud:  # a minute a second
        cloud.client("events").put_events(
            Entries=[{"Source": "shop", "DetailType": "order placed", "Detail": '{"id": 1}'}]
        )
        cloud.client("kinesis").put_record(StreamName="clicks", Data=b"\x00\xff", PartitionKey="p")
        dynamodb = cloud.client("dynamodb")
        dynamodb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        dynamodb.put_item(TableName="orders", Item={"id": {"S": "o-1"}, "blob": {"B": b"\x00"}})
        order = events(cloud, "events")[0]
        rate, cron = events(cloud, "rate")[0], events(cloud, "cron")[0]
        (click,) = events(cloud, "kinesis")[0]["Records"]
        (change,) = events(cloud, "dynamodb")[0]["Records"]

    envelope = {"version", "id", "detail-type", "source", "account", "time", "region",
                "resources", "detail"}  # fmt: skip
    for event in (order, rate, cron):
        has_keys(event, envelope)
        assert time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
        assert event["account"] == ACCOUNT
    assert (order["detail"], order["resources"]) == ({"id": 1}, [])
    for event, function in ((rate, "jobs_every_minute"), (cron, "jobs_every_other_minute")):
        assert (event["source"], event["detail-type"]) == ("aws.events", "Scheduled Event")
        assert event["resources"] == [
            f"arn:aws:events:us-east-1:{ACCOUNT}:rule/fidelity-dev-{function}"
        ]
        assert event["time"].endswith(":00Z")
    assert int(cron["time"][14:16]) % 2 == 0

    has_keys(
        click,
        {"kinesis", "eventSource", "eventVersion", "eventID", "eventName", "invokeIdentityArn",
         "awsRegion", "eventSourceARN"},
    )  # fmt: skip
    has_keys(
        click["kinesis"],
        {"kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
         "approximateArrivalTimestamp"},
    )  # fmt: skip
    assert isinstance(click["kinesis"]["approximateArrivalTimestamp"], float)
    assert click["eventID"] == f"shardId-000000000000:{click['kinesis']['sequenceNumber']}"
    has_keys(
        change,
        {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
         "eventSourceARN"},
    )  # fmt: skip
    has_keys(
        change["dynamodb"],
        {"ApproximateCreationDateTime", "Keys", "NewImage", "SequenceNumber", "SizeBytes",
         "StreamViewType"},
    )  # fmt: skip
    assert isinstance(change["dynamodb"]["ApproximateCreationDateTime"], int | float)
    assert isinstance(change["dynamodb"]["SizeBytes"], int)
    assert change["dynamodb"]["NewImage"]["blob"] == {"B": "AA=="}  # base64, as Lambda sends

    for reader in (chalice.app, chalicelike.app):
        cw = reader.CloudWatchEvent(order, None)
        assert (cw.detail_type, cw.source, cw.detail) == ("order placed", "shop", {"id": 1})
        (kinesis_record,) = reader.KinesisEvent({"Records": [click]}, None)
        assert (kinesis_record.data, kinesis_record.partition_key) == (b"\x00\xff", "p")
        (dynamodb_record,) = reader.DynamoDBEvent({"Records": [change]}, None)
        assert dynamodb_record.event_name == "INSERT"
        assert dynamodb_record.keys == {"id": {"S": "o-1"}}
        assert dynamodb_record.table_name == "orders"


def test_websocket_events_are_api_gateways(project: Path) -> None:
    with live_cloud(project) as cloud:
        url = cloud.base_url.replace("http://", "ws://") + "/api?room=1"
        with connect(url, open_timeout=10, user_agent_header="fidelity-test/1") as socket:
            socket.send('{"a": 1}')
            assert socket.recv(timeout=10) == 'got {"a": 1}'
        connected, message, disconnected = events(cloud, "ws", 3)

    context_keys = {"routeKey", "eventType", "extendedRequestId", "requestTime",
                    "messageDirection", "stage", "connectedAt", "requestTimeEpoch", "identity",
                    "requestId", "domainName", "connectionId", "apiId"}  # fmt: skip
    has_keys(
        connected,
        {"headers", "multiValueHeaders", "queryStringParameters",
         "multiValueQueryStringParameters", "requestContext", "isBase64Encoded"},
    )  # fmt: skip
    assert connected["queryStringParameters"] == {"room": "1"}
    has_keys(message, {"requestContext", "body", "isBase64Encoded"})
    has_keys(message["requestContext"], context_keys | {"messageId"})
    has_keys(disconnected, {"headers", "multiValueHeaders", "requestContext", "isBase64Encoded"})
    has_keys(
        disconnected["requestContext"],
        context_keys | {"disconnectStatusCode", "disconnectReason"},
    )
    for event, route, kind in (
        (connected, "$connect", "CONNECT"),
        (message, "$default", "MESSAGE"),
        (disconnected, "$disconnect", "DISCONNECT"),
    ):
        context = event["requestContext"]
        assert (context["routeKey"], context["eventType"]) == (route, kind)
        assert context["connectionId"] == connected["requestContext"]["connectionId"]
        # Every one of the three carries the client's address and user agent (AWS's samples).
        assert context["identity"]["userAgent"] == "fidelity-test/1", (route, context)
        assert isinstance(context["connectedAt"], int)

    for reader in (chalice.app, chalicelike.app):
        ws_event = reader.WebsocketEvent(message, None)
        assert ws_event.body == '{"a": 1}' and ws_event.json_body == {"a": 1}
        assert ws_event.connection_id == connected["requestContext"]["connectionId"]
        assert (ws_event.domain_name, ws_event.stage) == (
            message["requestContext"]["domainName"],
            "api",
        )
