"""Stream records in Lambda's event shape, and Lambda's reading of a partial batch response."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from chalicelike._events._stream_events import DynamoDBEvent, KinesisEvent
from chalicelike.local._stream_records import (
    Verdict,
    dynamodb_event_record,
    kinesis_event_record,
    read_verdict,
    records_that_fit,
)

ARRIVAL = datetime.datetime(2026, 12, 6, 5, 30, 1, 987000, tzinfo=datetime.timezone.utc)
STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
TABLE_STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-12-06T05:30:00"


def test_a_kinesis_record_in_lambdas_shape() -> None:
    raw = {"SequenceNumber": "7", "PartitionKey": "user-1", "Data": b"\x00hi",
           "ApproximateArrivalTimestamp": ARRIVAL}  # fmt: skip
    record = kinesis_event_record(
        raw, shard_id="shardId-000000000000", stream_arn=STREAM, region="eu-west-1",
        role_arn="arn:aws:iam::123456789012:role/r",
    )  # fmt: skip
    assert record == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "user-1",
            "sequenceNumber": "7",
            "data": base64.b64encode(b"\x00hi").decode(),
            "approximateArrivalTimestamp": 1796535001.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000000:7",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
        "awsRegion": "eu-west-1",
        "eventSourceARN": STREAM,
    }
    (typed,) = KinesisEvent({"Records": [record]})
    assert typed.data == b"\x00hi"
    assert typed.timestamp == datetime.datetime(2026, 12, 6, 5, 30, 1, 987000)


def test_a_dynamodb_record_in_lambdas_shape() -> None:
    raw = {
        "eventID": "e1", "eventName": "MODIFY", "eventVersion": "1.0",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": ARRIVAL, "SequenceNumber": "1100", "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES", "Keys": {"id": {"S": "1"}},
            "NewImage": {"id": {"S": "1"}, "blob": {"B": b"\x01"},
                         "nested": {"M": {"set": {"BS": [b"\x02"]}, "l": {"L": [{"B": b"\x03"}]}}}},
            "OldImage": {"id": {"S": "1"}, "n": {"N": "2"}},
        },
    }  # fmt: skip
    record = dynamodb_event_record(raw, stream_arn=TABLE_STREAM, region="eu-west-1")
    assert record["awsRegion"] == "eu-west-1"  # moto always writes us-east-1
    assert record["eventSourceARN"] == TABLE_STREAM
    change = record["dynamodb"]
    assert change["ApproximateCreationDateTime"] == 1796535001  # epoch seconds, rounded down
    assert change["NewImage"]["blob"] == {"B": "AQ=="}  # base64 again, as Lambda sends it
    assert change["NewImage"]["nested"]["M"]["set"] == {"BS": ["Ag=="]}
    assert change["NewImage"]["nested"]["M"]["l"] == {"L": [{"B": "Aw=="}]}
    assert raw["dynamodb"]["NewImage"]["blob"] == {"B": b"\x01"}  # the input is untouched
    json.dumps(record)  # nothing left that JSON cannot carry
    (typed,) = DynamoDBEvent({"Records": [record]})
    assert typed.new_item == {"id": "1", "blob": b"\x01", "nested": {"set": {b"\x02"},
                              "l": [b"\x03"]}}  # fmt: skip
    assert typed.table_name == "orders"
    assert typed.event_name == "MODIFY"
    assert typed.timestamp == datetime.datetime(2026, 12, 6, 5, 30, 1)


SEQUENCES = ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (b"null", Verdict(None)),
        (b"", Verdict(None)),
        (b'"done"', Verdict(None)),
        (b"{}", Verdict(None)),
        (b'{"batchItemFailures": []}', Verdict(None)),
        (b'{"batchItemFailures": null}', Verdict(None)),
        (b'{"batchItemFailures": [{"itemIdentifier": "3"}]}', Verdict(2)),
        # The lowest sequence number wins, wherever it is in the list.
        (b'{"batchItemFailures": [{"itemIdentifier": "4"}, {"itemIdentifier": "2"}]}',
         Verdict(1)),
        (b'{"batchItemFailures": [{"itemIdentifier": "1"}]}', Verdict(0)),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
         Verdict(0, 'batchItemFailures holds {"itemIdentifier": ""}, no itemIdentifier')),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}',
         Verdict(0, 'batchItemFailures holds {"itemIdentifier": null}, no itemIdentifier')),
        (b'{"batchItemFailures": [{"id": "2"}]}',
         Verdict(0, 'batchItemFailures holds {"id": "2"}, no itemIdentifier')),
        (b'{"batchItemFailures": [{"itemIdentifier": "9"}]}',
         Verdict(0, "batchItemFailures names '9', no record of the batch")),
        (b'{"batchItemFailures": {"itemIdentifier": "2"}}',
         Verdict(0, "batchItemFailures is not a list")),
    ],
)  # fmt: skip
def test_lambdas_reading_of_a_partial_batch_response(answer: bytes, verdict: Verdict) -> None:
    assert read_verdict(answer, SEQUENCES) == verdict


def test_a_batch_shrinks_to_lambdas_payload_limit() -> None:
    record = {"data": "x" * (1024 * 1024)}  # Kinesis' largest record, about
    assert records_that_fit([record] * 10) == 5
    assert records_that_fit([record] * 3) == 3
    assert records_that_fit([{"data": "x" * (7 * 1024 * 1024)}] * 2) == 1  # never none
