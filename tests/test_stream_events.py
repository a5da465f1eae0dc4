"""Tests for _events/_stream_events.py: SQS, Kinesis and DynamoDB stream batches.

Sample events follow the shapes AWS documents for Lambda's event source mappings:
SQS message events (standard and FIFO attributes, message attributes), Kinesis Data
Streams records (base64 data, approximateArrivalTimestamp in epoch seconds) and
DynamoDB Streams records (Keys/NewImage/OldImage in DynamoDB JSON, StreamViewType).
"""

from __future__ import annotations

import base64
import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._core._errors import InvalidEventError
from chalicelike._events._lambda_events import BaseLambdaEvent
from chalicelike._events._stream_events import (
    DynamoDBEvent,
    DynamoDBRecord,
    KinesisEvent,
    KinesisRecord,
    SQSEvent,
    SQSRecord,
)

ACCOUNT = "123456789012"
QUEUE_ARN = f"arn:aws:sqs:us-east-2:{ACCOUNT}:orders"
STREAM_ARN = f"arn:aws:kinesis:us-east-2:{ACCOUNT}:stream/clicks"
TABLE_STREAM_ARN = (
    f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/Orders/stream/2026-11-23T00:48:05.899"
)


class Context:
    function_name = "workers-dev"
    aws_request_id = "0f7c3a2e-1b6d-4a8e-9c5f-2d3e4f5a6b7c"


CONTEXT = Context()


# -- sample events ------------------------------------------------------------------------


def sqs_record(body: str, n: int = 1) -> dict[str, Any]:
    return {
        "messageId": f"059f36b4-87a3-44ab-83d2-661975830a7{n}",
        "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{n}...",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {
            "tenant": {
                "stringValue": "acme",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-2",
    }


def fifo_record() -> dict[str, Any]:
    record = sqs_record('{"step": 1}')
    record["eventSourceARN"] = QUEUE_ARN + ".fifo"
    record["attributes"].update(
        SequenceNumber="18849496460467696128",
        MessageGroupId="order-42",
        MessageDeduplicationId="1a2b3c",
    )
    return record


def kinesis_record(data: bytes, n: int = 1, arrival: float = 1545084650.987) -> dict[str, Any]:
    sequence = f"4959033827149025660855969253836157109592157598913658889{n}"
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": f"user-{n}",
            "sequenceNumber": sequence,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000006:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-kinesis-role",
        "awsRegion": "us-east-2",
        "eventSourceARN": STREAM_ARN,
    }


def ddb_record(
    event_name: str,
    keys: dict[str, Any],
    new: dict[str, Any] | None = None,
    old: dict[str, Any] | None = None,
    view: str = "NEW_AND_OLD_IMAGES",
    n: int = 1,
) -> dict[str, Any]:
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1479499740,
        "Keys": keys,
        "SequenceNumber": f"1340000000000008467659{n}",
        "SizeBytes": 26,
        "StreamViewType": view,
    }
    if new is not None:
        dynamodb["NewImage"] = new
    if old is not None:
        dynamodb["OldImage"] = old
    return {
        "eventID": f"c4ca4238a0b923820dcc509a6f75849{n}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-2",
        "dynamodb": dynamodb,
        "eventSourceARN": TABLE_STREAM_ARN,
    }


ORDER_KEY = {"pk": {"S": "ORDER#42"}, "sk": {"N": "1"}}
ORDER_NEW = {
    **ORDER_KEY,
    "status": {"S": "shipped"},
    "total": {"N": "99.95"},
}
ORDER_OLD = {
    **ORDER_KEY,
    "status": {"S": "placed"},
    "total": {"N": "99.95"},
}


def ddb_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def _message(cls: type[BaseLambdaEvent], event: Any) -> str:
    with pytest.raises(InvalidEventError) as info:
        cls(event, CONTEXT)
    return str(info.value)


# -- SQS ----------------------------------------------------------------------------------


def test_sqs_record_fields() -> None:
    raw = {"Records": [sqs_record("hello")]}
    record = next(iter(SQSEvent(raw, CONTEXT)))
    assert isinstance(record, SQSRecord)
    assert record.body == "hello"
    assert record.message_id == "059f36b4-87a3-44ab-83d2-661975830a71"
    assert record.receipt_handle == "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a1..."
    assert record.attributes["ApproximateReceiveCount"] == "1"
    assert record.attributes["SentTimestamp"] == "1545082649183"
    assert record.message_attributes == {
        "tenant": {
            "stringValue": "acme",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record.event_source_arn == QUEUE_ARN
    assert record.context is CONTEXT
    assert record.to_dict() is raw["Records"][0]


def test_sqs_event_iterates_over_every_message() -> None:
    raw = {"Records": [sqs_record(f"m{n}", n) for n in range(1, 4)]}
    event = SQSEvent(raw, CONTEXT)
    assert len(event) == 3
    assert [record.body for record in event] == ["m1", "m2", "m3"]
    assert len({record.message_id for record in event}) == 3
    assert event.to_dict() is raw


def test_sqs_fifo_attributes() -> None:
    record = next(iter(SQSEvent({"Records": [fifo_record()]})))
    assert record.attributes["MessageGroupId"] == "order-42"
    assert record.attributes["SequenceNumber"] == "18849496460467696128"
    assert record.event_source_arn.endswith(".fifo")


def test_sqs_json_body_is_parsed_once() -> None:
    record = next(iter(SQSEvent({"Records": [sqs_record('{"order": 42, "items": [1, 2]}')]})))
    body = record.json_body
    assert body == {"order": 42, "items": [1, 2]}
    assert record.json_body is body


def test_sqs_json_body_is_parsed_only_when_read() -> None:
    # A batch with a non-JSON body is still a valid batch until the body is read as JSON.
    event = SQSEvent({"Records": [sqs_record("plain text"), sqs_record("[1]", 2)]})
    assert [record.body for record in event] == ["plain text", "[1]"]
    assert event.records[1].json_body == [1]


def test_sqs_bad_json_body_names_the_message() -> None:
    record = next(iter(SQSEvent({"Records": [sqs_record("{not json", 7)]})))
    with pytest.raises(InvalidEventError) as info:
        _ = record.json_body
    assert str(info.value).startswith(
        "The body of SQS message '059f36b4-87a3-44ab-83d2-661975830a77' is not JSON: "
    )
    assert isinstance(info.value.__cause__, json.JSONDecodeError)


def test_sqs_record_without_optional_maps() -> None:
    raw = sqs_record("x")
    del raw["attributes"], raw["messageAttributes"], raw["eventSourceARN"]
    record = next(iter(SQSEvent({"Records": [raw]})))
    assert (record.attributes, record.message_attributes, record.event_source_arn) == ({}, {}, "")


def test_sqs_record_built_by_hand_without_a_message_id() -> None:
    # What Chalice reads, and what users' tests build: body and receipt handle only.
    [record] = SQSEvent({"Records": [{"body": "b", "receiptHandle": "r"}]})
    assert (record.body, record.receipt_handle, record.message_id) == ("b", "r", None)


def test_a_per_record_failure_without_a_message_id_names_what_is_missing() -> None:
    app = Chalice(app_name="lenient-sqs", configure_logs=False)
    app.log.disabled = True

    @app.on_sqs_message(queue="jobs", per_record=True)
    def work(record: Any) -> None:
        if record.body == "bad":
            raise ValueError("cannot do it")

    ok = {"Records": [{"body": "good", "receiptHandle": "r"}]}
    assert work(ok, None) == {"batchItemFailures": []}
    bad = {
        "Records": [{"body": "good", "receiptHandle": "r1"}, {"body": "bad", "receiptHandle": "r2"}]
    }
    with pytest.raises(InvalidEventError) as info:
        work(bad, None)
    assert str(info.value) == (
        "Handler 'work': record 1 failed and has no message_id (AWS always sends one), "
        "by which the per_record failure report must name it"
    )


def _broken_sqs(change: Any) -> dict[str, Any]:
    record = sqs_record("x")
    change(record)
    return {"Records": [record]}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"Records": [kinesis_record(b"x")]},
            "Expected an SQS event (Records[].body), got a record with eventSource 'aws:kinesis'",
        ),
        (
            {"Records": [sqs_record("a"), ddb_record("INSERT", ORDER_KEY)]},
            "Expected an SQS event (Records[].body), got a record with eventSource "
            "'aws:dynamodb' at Records[1]",
        ),
        (
            {"records": [sqs_record("a")]},
            "Expected an SQS event (Records[].body), got an event without 'Records' "
            "(its keys: records)",
        ),
        ({"Records": []}, "Expected an SQS event (Records[].body), got an empty Records list"),
        (
            _broken_sqs(lambda r: r.pop("body")),
            "Expected an SQS event (Records[].body), Records[0] has no 'body'",
        ),
        (
            _broken_sqs(lambda r: r.update(body={"order": 1})),
            "Expected an SQS event (Records[].body), Records[0].body is an object, not a string",
        ),
        (
            _broken_sqs(lambda r: r.update(messageId=7)),
            "Expected an SQS event (Records[].body), Records[0].messageId is a number, "
            "not a string",
        ),
        (
            _broken_sqs(lambda r: r.pop("receiptHandle")),
            "Expected an SQS event (Records[].body), Records[0] has no 'receiptHandle'",
        ),
        (
            _broken_sqs(lambda r: r.update(attributes=[])),
            "Expected an SQS event (Records[].body), Records[0].attributes is a list, "
            "not an object",
        ),
        (
            _broken_sqs(lambda r: r.update(messageAttributes="tenant=acme")),
            "Expected an SQS event (Records[].body), Records[0].messageAttributes is a string, "
            "not an object",
        ),
    ],
)
def test_malformed_sqs_events(event: Any, message: str) -> None:
    assert _message(SQSEvent, event) == message


# -- Kinesis ------------------------------------------------------------------------------


def test_kinesis_record_fields() -> None:
    raw = {"Records": [kinesis_record(b"Hello, this is a test.")]}
    record = next(iter(KinesisEvent(raw, CONTEXT)))
    assert isinstance(record, KinesisRecord)
    assert record.data == b"Hello, this is a test."
    assert record.sequence_number == "49590338271490256608559692538361571095921575989136588891"
    assert record.partition_key == "user-1"
    assert record.schema_version == "1.0"
    assert record.event_source_arn == STREAM_ARN
    assert record.context is CONTEXT
    assert record.to_dict() is raw["Records"][0]


def test_kinesis_data_is_raw_bytes() -> None:
    payload = bytes(range(256))
    record = next(iter(KinesisEvent({"Records": [kinesis_record(payload)]})))
    assert record.data == payload
    assert record.data is record.data  # decoded once


def test_kinesis_timestamp_is_utc() -> None:
    record = next(iter(KinesisEvent({"Records": [kinesis_record(b"x", arrival=1545084650.987)]})))
    # Naive, in UTC, as Chalice's KinesisRecord.timestamp.
    assert record.timestamp == datetime.datetime(2018, 12, 17, 22, 10, 50, 987000)
    assert record.timestamp.tzinfo is None


def test_kinesis_timestamp_in_whole_seconds() -> None:
    record = next(iter(KinesisEvent({"Records": [kinesis_record(b"x", arrival=1428537600)]})))
    assert record.timestamp == datetime.datetime(2015, 4, 9, 0, 0, 0)


def test_kinesis_event_iterates_in_order() -> None:
    raw = {"Records": [kinesis_record(f"r{n}".encode(), n) for n in range(1, 5)]}
    event = KinesisEvent(raw)
    assert len(event) == 4
    assert [record.data for record in event] == [b"r1", b"r2", b"r3", b"r4"]
    assert [record.partition_key for record in event] == ["user-1", "user-2", "user-3", "user-4"]


def test_kinesis_data_that_is_not_base64_names_the_record() -> None:
    raw = kinesis_record(b"")
    raw["kinesis"]["data"] = "not base64!"
    record = next(iter(KinesisEvent({"Records": [raw]})))
    with pytest.raises(InvalidEventError) as info:
        _ = record.data
    assert str(info.value).startswith(
        "The data of Kinesis record '49590338271490256608559692538361571095921575989136588891' "
        "is not base64: "
    )


def _broken_kinesis(change: Any) -> dict[str, Any]:
    record = kinesis_record(b"x")
    change(record)
    return {"Records": [record]}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"Records": [sqs_record("x")]},
            "Expected a Kinesis event (Records[].kinesis), got a record with eventSource 'aws:sqs'",
        ),
        (
            _broken_kinesis(lambda r: r.pop("kinesis")),
            "Expected a Kinesis event (Records[].kinesis), Records[0] has no 'kinesis'",
        ),
        (
            _broken_kinesis(lambda r: r["kinesis"].pop("data")),
            "Expected a Kinesis event (Records[].kinesis), Records[0].kinesis has no 'data'",
        ),
        (
            _broken_kinesis(lambda r: r["kinesis"].update(sequenceNumber=495903)),
            "Expected a Kinesis event (Records[].kinesis), Records[0].kinesis.sequenceNumber is "
            "a number, not a string",
        ),
        (
            _broken_kinesis(lambda r: r["kinesis"].pop("partitionKey")),
            "Expected a Kinesis event (Records[].kinesis), Records[0].kinesis has no "
            "'partitionKey'",
        ),
        (
            {"Records": "kinesis"},
            "Expected a Kinesis event (Records[].kinesis), Records is a string, not a list",
        ),
    ],
)
def test_malformed_kinesis_events(event: Any, message: str) -> None:
    assert _message(KinesisEvent, event) == message


# -- DynamoDB Streams ---------------------------------------------------------------------


def test_dynamodb_record_keeps_chalice_attributes() -> None:
    raw = ddb_event(ddb_record("MODIFY", ORDER_KEY, new=ORDER_NEW, old=ORDER_OLD))
    record = next(iter(DynamoDBEvent(raw, CONTEXT)))
    assert isinstance(record, DynamoDBRecord)
    assert record.timestamp == datetime.datetime(2016, 11, 18, 20, 9, 0)
    assert record.keys == ORDER_KEY  # DynamoDB JSON, unchanged
    assert record.new_image == ORDER_NEW
    assert record.old_image == ORDER_OLD
    assert record.event_id == "c4ca4238a0b923820dcc509a6f758491"
    assert record.event_name == "MODIFY"
    assert record.event_source_arn == TABLE_STREAM_ARN
    assert record.event_version == "1.1"
    assert record.table_name == "Orders"
    assert record.aws_region == "us-east-2"
    assert record.sequence_number == "13400000000000084676591"
    assert record.size_bytes == 26
    assert record.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert record.context is CONTEXT
    assert record.to_dict() is raw["Records"][0]


def test_dynamodb_items_are_python_values() -> None:
    raw = ddb_event(ddb_record("MODIFY", ORDER_KEY, new=ORDER_NEW, old=ORDER_OLD))
    record = next(iter(DynamoDBEvent(raw)))
    assert record.key == {"pk": "ORDER#42", "sk": Decimal("1")}
    assert record.new_item == {
        "pk": "ORDER#42",
        "sk": Decimal("1"),
        "status": "shipped",
        "total": Decimal("99.95"),
    }
    assert record.old_item is not None
    assert record.old_item["status"] == "placed"
    assert record.new_item is record.new_item  # deserialized once


def test_dynamodb_insert_remove_and_keys_only() -> None:
    raw = ddb_event(
        ddb_record("INSERT", ORDER_KEY, new=ORDER_NEW, n=1),
        ddb_record("REMOVE", ORDER_KEY, old=ORDER_OLD, n=2),
        ddb_record("MODIFY", ORDER_KEY, view="KEYS_ONLY", n=3),
    )
    inserted, removed, keys_only = DynamoDBEvent(raw)
    assert (inserted.old_image, inserted.old_item) == (None, None)
    assert inserted.new_item is not None and inserted.new_item["status"] == "shipped"
    assert (removed.new_image, removed.new_item) == (None, None)
    assert removed.old_item is not None and removed.old_item["status"] == "placed"
    assert keys_only.stream_view_type == "KEYS_ONLY"
    assert (keys_only.new_item, keys_only.old_item) == (None, None)
    assert keys_only.key == {"pk": "ORDER#42", "sk": Decimal("1")}
    assert [r.sequence_number[-1] for r in (inserted, removed, keys_only)] == ["1", "2", "3"]


def test_dynamodb_deserializes_every_type() -> None:
    image = {
        "id": {"S": "item-1"},
        "empty": {"S": ""},
        "count": {"N": "42"},
        "price": {"N": "-19.990"},
        "huge": {"N": "1.2345678901234567890123456789012345678E+125"},
        "blob": {"B": base64.b64encode(b"\x00\xffraw").decode()},
        "on": {"BOOL": True},
        "off": {"BOOL": False},
        "nothing": {"NULL": True},
        "tags": {"SS": ["red", "blue"]},
        "sizes": {"NS": ["42.2", "-19", "7.5"]},
        "chunks": {"BS": ["U3Vubnk=", "UmFpbnk="]},
        "list": {"L": [{"S": "Cookies"}, {"N": "3.14159"}, {"L": []}, {"NULL": True}]},
        "map": {
            "M": {
                "name": {"S": "Joe"},
                "age": {"N": "35"},
                "address": {"M": {"city": {"S": "Lyon"}, "zips": {"NS": ["69001"]}}},
            }
        },
    }
    raw = ddb_event(ddb_record("INSERT", {"id": {"S": "item-1"}}, new=image))
    item = next(iter(DynamoDBEvent(raw))).new_item
    assert item == {
        "id": "item-1",
        "empty": "",
        "count": Decimal("42"),
        "price": Decimal("-19.990"),
        "huge": Decimal("1.2345678901234567890123456789012345678E+125"),
        "blob": b"\x00\xffraw",
        "on": True,
        "off": False,
        "nothing": None,
        "tags": {"red", "blue"},
        "sizes": {Decimal("42.2"), Decimal("-19"), Decimal("7.5")},
        "chunks": {b"Sunny", b"Rainy"},
        "list": ["Cookies", Decimal("3.14159"), [], None],
        "map": {
            "name": "Joe",
            "age": Decimal("35"),
            "address": {"city": "Lyon", "zips": {Decimal("69001")}},
        },
    }
    # The types, not just equal values: 42 == Decimal("42") and b"" != "".
    assert type(item["count"]) is Decimal
    assert type(item["blob"]) is bytes
    assert type(item["tags"]) is set
    assert type(item["on"]) is bool
    assert str(item["price"]) == "-19.990"  # exact, no float rounding


def test_dynamodb_binary_key() -> None:
    raw = ddb_event(ddb_record("INSERT", {"hash": {"B": "AAEC"}}))
    assert next(iter(DynamoDBEvent(raw))).key == {"hash": b"\x00\x01\x02"}


@pytest.mark.parametrize(
    ("arn", "table"),
    [
        (TABLE_STREAM_ARN, "Orders"),
        (
            "arn:aws:dynamodb:us-west-2:111122223333:table/TestTable/stream/2015-05-11T21:21:33.291",
            "TestTable",
        ),
        ("arn:aws:dynamodb:us-west-2:111122223333:table/OnlyTable", "OnlyTable"),
        ("arn:aws:sqs:us-east-2:123456789012:orders", ""),
        ("not-an-arn", ""),
        ("", ""),
    ],
)
def test_dynamodb_table_name_from_the_arn(arn: str, table: str) -> None:
    raw = ddb_record("INSERT", ORDER_KEY)
    raw["eventSourceARN"] = arn
    assert next(iter(DynamoDBEvent(ddb_event(raw)))).table_name == table


def _broken_ddb(change: Any) -> dict[str, Any]:
    record = ddb_record("MODIFY", ORDER_KEY, new=ORDER_NEW, old=ORDER_OLD)
    change(record)
    return ddb_event(record)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"Records": [kinesis_record(b"x")]},
            "Expected a DynamoDB stream event (Records[].dynamodb), got a record with "
            "eventSource 'aws:kinesis'",
        ),
        (
            {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events"},
            "Expected a DynamoDB stream event (Records[].dynamodb), got an EventBridge event "
            "(source 'aws.events', detail-type 'Scheduled Event')",
        ),
        (
            _broken_ddb(lambda r: r.pop("dynamodb")),
            "Expected a DynamoDB stream event (Records[].dynamodb), Records[0] has no 'dynamodb'",
        ),
        (
            _broken_ddb(lambda r: r["dynamodb"].pop("SequenceNumber")),
            "Expected a DynamoDB stream event (Records[].dynamodb), Records[0].dynamodb has no "
            "'SequenceNumber'",
        ),
        (
            _broken_ddb(lambda r: r["dynamodb"].update(NewImage=[])),
            "Expected a DynamoDB stream event (Records[].dynamodb), Records[0].dynamodb.NewImage "
            "is a list, not an object",
        ),
        (
            _broken_ddb(lambda r: r["dynamodb"].update(SizeBytes="26")),
            "Expected a DynamoDB stream event (Records[].dynamodb), Records[0].dynamodb.SizeBytes "
            "is a string, not an integer",
        ),
    ],
)
def test_malformed_dynamodb_events(event: Any, message: str) -> None:
    assert _message(DynamoDBEvent, event) == message


def test_dynamodb_fields_optional_in_aws_docs_fail_nothing() -> None:
    # AWS's StreamRecord has no required field; only the sequence number, which a partial
    # batch response names, is needed. A record without the rest reads them as None.
    bare = _broken_ddb(
        lambda r: [r["dynamodb"].pop(k) for k in ("ApproximateCreationDateTime", "Keys",
                                                   "StreamViewType", "SizeBytes")]
        + [r.pop("eventName")]
    )  # fmt: skip
    record = next(iter(DynamoDBEvent(bare)))
    assert record.timestamp is None
    assert (record.keys, record.key) == (None, None)
    assert (record.stream_view_type, record.size_bytes, record.event_name) == (None, None, None)
    assert record.sequence_number


def test_a_timestamp_of_the_wrong_type_fails_when_read() -> None:
    ddb = DynamoDBEvent(
        _broken_ddb(lambda r: r["dynamodb"].update(ApproximateCreationDateTime="2016-11-18"))
    )
    record = next(iter(ddb))
    with pytest.raises(InvalidEventError) as error:
        _ = record.timestamp
    assert str(error.value) == (
        "Expected a DynamoDB stream event (Records[].dynamodb), "
        "Records[0].dynamodb.ApproximateCreationDateTime is a string, not a number"
    )
    for bad, kind in (("1545084650.987", "a string"), (True, "a boolean")):
        kinesis = KinesisEvent(
            _broken_kinesis(lambda r, b=bad: r["kinesis"].update(approximateArrivalTimestamp=b))
        )
        with pytest.raises(InvalidEventError) as error:
            _ = next(iter(kinesis)).timestamp
        assert str(error.value) == (
            "Expected a Kinesis event (Records[].kinesis), "
            f"Records[0].kinesis.approximateArrivalTimestamp is {kind}, not a number"
        )


def test_a_kinesis_record_without_arrival_time_fails_nothing() -> None:
    event = _broken_kinesis(lambda r: r["kinesis"].pop("approximateArrivalTimestamp"))
    assert next(iter(KinesisEvent(event))).timestamp is None


def test_one_record_without_creation_time_does_not_fail_the_batch() -> None:
    # The D2 case: a per-record handler; the record without a timestamp is served too.
    from chalicelike import Chalice

    app = Chalice(app_name="streams", configure_logs=False)
    seen: list[Any] = []
    app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, per_record=True, name="orders")(
        lambda record: seen.append(record.timestamp)
    )
    event = ddb_event(
        ddb_record("INSERT", ORDER_KEY, new=ORDER_NEW),
        ddb_record("INSERT", ORDER_KEY, new=ORDER_NEW),
    )
    del event["Records"][1]["dynamodb"]["ApproximateCreationDateTime"]
    assert app.handlers["orders"](event, None) == {"batchItemFailures": []}
    assert seen == [datetime.datetime(2016, 11, 18, 20, 9, 0), None]


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (
            {"pk": {"S": "a"}, "price": {"X": "1"}},
            "Records[0].dynamodb.NewImage.price has the unknown DynamoDB type 'X'",
        ),
        (
            {"price": "1"},
            'Records[0].dynamodb.NewImage.price is \'1\', not a DynamoDB value like {"S": "text"}',
        ),
        (
            {"price": {"N": "1", "S": "1"}},
            "Records[0].dynamodb.NewImage.price is an object with keys ['N', 'S'], "
            'not a DynamoDB value like {"S": "text"}',
        ),
        (
            {"price": {"N": 1}},
            "Records[0].dynamodb.NewImage.price has 'N' holding 1",
        ),
        (
            {"price": {"N": "one"}},
            "Records[0].dynamodb.NewImage.price has the number 'one', which is not a number",
        ),
        (
            {"blob": {"B": "***"}},
            "Records[0].dynamodb.NewImage.blob has the binary '***', which is not base64",
        ),
        (
            {"tags": {"SS": ["a", 1]}},
            "Records[0].dynamodb.NewImage.tags is a SS set holding something other than strings",
        ),
        (
            {"m": {"M": {"inner": {"L": [{"S": "ok"}, {"BOOL": "yes"}]}}}},
            "Records[0].dynamodb.NewImage.m.inner[1] has 'BOOL' holding 'yes'",
        ),
        (
            {"gone": {"NULL": False}},
            "Records[0].dynamodb.NewImage.gone has 'NULL' holding False",
        ),
    ],
)
def test_malformed_dynamodb_values_name_the_attribute(image: dict[str, Any], message: str) -> None:
    raw = ddb_event(ddb_record("INSERT", ORDER_KEY, new=image))
    record = next(iter(DynamoDBEvent(raw)))  # images are read only when asked for
    assert record.new_image == image
    with pytest.raises(InvalidEventError) as info:
        _ = record.new_item
    assert str(info.value) == f"Expected a DynamoDB stream event (Records[].dynamodb), {message}"


def test_malformed_dynamodb_key_names_the_record() -> None:
    raw = ddb_event(
        ddb_record("INSERT", ORDER_KEY, n=1), ddb_record("INSERT", {"pk": {"Q": "x"}}, n=2)
    )
    second = DynamoDBEvent(raw).records[1]
    with pytest.raises(InvalidEventError) as info:
        _ = second.key
    assert str(info.value) == (
        "Expected a DynamoDB stream event (Records[].dynamodb), "
        "Records[1].dynamodb.Keys.pk has the unknown DynamoDB type 'Q'"
    )


# -- an SNS event given to a queue handler --------------------------------------------------


SNS_NOTIFICATION: dict[str, Any] = {
    "Records": [
        {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"arn:aws:sns:us-east-2:{ACCOUNT}:orders:2bcfbf39",
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": f"arn:aws:sns:us-east-2:{ACCOUNT}:orders",
                "Subject": None,
                "Message": '{"order": 7}',
                "Timestamp": "2019-01-02T12:45:07.000Z",
                "MessageAttributes": {"kind": {"Type": "String", "Value": "paid"}},
            },
        }
    ]
}


def test_an_sns_event_reads_as_the_messages_sns_would_queue() -> None:
    # Chalice calls an SQS handler with an SNS event; what is unambiguous is read: each
    # notification's Message is the body, as with SNS's raw delivery to a queue.
    event = SQSEvent(SNS_NOTIFICATION, CONTEXT)
    (record,) = event
    assert record.body == '{"order": 7}'
    assert record.json_body == {"order": 7}
    assert record.message_id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert record.receipt_handle == ""
    assert record.message_attributes == {"kind": {"dataType": "String", "stringValue": "paid"}}
    assert record.event_source_arn == f"arn:aws:sns:us-east-2:{ACCOUNT}:orders"
    assert record.to_dict() is SNS_NOTIFICATION["Records"][0]


def test_an_sns_event_to_a_queue_handler_is_served() -> None:
    from chalicelike import Chalice

    app = Chalice(app_name="queues", configure_logs=False)
    bodies: list[str] = []
    app.on_sqs_message(queue="orders", name="orders")(
        lambda event: bodies.extend(record.body for record in event)
    )
    assert app.handlers["orders"](SNS_NOTIFICATION, CONTEXT) is None
    assert bodies == ['{"order": 7}']


def test_an_sns_event_without_a_message_still_says_what_is_missing() -> None:
    broken = json.loads(json.dumps(SNS_NOTIFICATION))
    del broken["Records"][0]["Sns"]["Message"]
    assert _message(SQSEvent, broken) == (
        "Expected an SQS event, or an SNS event read as one (Records[].Sns.Message), "
        "Records[0].Sns has no 'Message'"
    )
