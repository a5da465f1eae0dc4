"""SQS messages as Lambda records, and what a batch handler's answer means for each."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chalicelike._events._stream_events import SQSEvent
from chalicelike.local._sqs_records import (
    InvalidBatchResponse,
    QueueMessage,
    RedrivePolicy,
    batch_event,
    batch_trace_header,
    held_back_in_fifo,
    lambda_record,
    read_batch_response,
)

ARN = "arn:aws:sqs:us-east-1:123456789012:jobs"


def received(message_id: str = "m1", body: str = "hello", **extra: Any) -> dict[str, Any]:
    """A message as boto3's ReceiveMessage returns it."""
    message = {
        "MessageId": message_id,
        "ReceiptHandle": f"handle-{message_id}",
        "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
        "Body": body,
        "Attributes": {
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1700000000100",
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
        },
    }
    message.update(extra)
    return message


def test_a_record_has_lambdas_shape() -> None:
    record = lambda_record(received(), ARN, "us-east-1")
    assert record == {
        "messageId": "m1",
        "receiptHandle": "handle-m1",
        "body": "hello",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1700000000100",
        },
        "messageAttributes": {},
        "md5OfBody": "5d41402abc4b2a76b9719d911017c592",
        # null without attributes, as Lambda's real events carry it (not left out).
        "md5OfMessageAttributes": None,
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN,
        "awsRegion": "us-east-1",
    }
    # The system attributes in the order of AWS's sample event, not SQS's answer.
    assert list(record["attributes"])[:2] == ["ApproximateReceiveCount", "SentTimestamp"]


def test_message_attributes_take_lambdas_lowercase_shape() -> None:
    message = received(
        MessageAttributes={
            "kind": {"StringValue": "order", "DataType": "String"},
            "count": {"StringValue": "3", "DataType": "Number"},
            "blob": {"BinaryValue": b"\x00\xff", "DataType": "Binary"},
        },
        MD5OfMessageAttributes="0123456789abcdef0123456789abcdef",
    )
    record = lambda_record(message, ARN, "us-east-1")
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "order",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "count": {
            "stringValue": "3",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\xff").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert record["md5OfMessageAttributes"] == "0123456789abcdef0123456789abcdef"
    assert list(record)[-4:] == ["md5OfMessageAttributes", "eventSource", "eventSourceARN",
                                 "awsRegion"]  # fmt: skip


def test_fifo_attributes_are_passed_on() -> None:
    message = received()
    message["Attributes"].update(
        MessageGroupId="g1", MessageDeduplicationId="d1", SequenceNumber="18849496460467696128"
    )
    queued = QueueMessage.from_sqs(message, ARN + ".fifo", "us-east-1")
    assert queued.group_id == "g1"
    attributes = json.loads(queued.record)["attributes"]
    assert attributes["MessageGroupId"] == "g1"
    assert attributes["MessageDeduplicationId"] == "d1"
    assert attributes["SequenceNumber"] == "18849496460467696128"


def test_a_messages_trace_header_is_in_its_record_and_joins_the_batch() -> None:
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    traced = received("m2")
    traced["Attributes"]["AWSTraceHeader"] = header
    messages = [QueueMessage.from_sqs(m, ARN, "us-east-1") for m in (received(), traced)]
    # As Lambda's records carry it: among the attributes, after the documented ones.
    attributes = json.loads(messages[1].record)["attributes"]
    assert attributes["AWSTraceHeader"] == header
    assert list(attributes)[-1] == "AWSTraceHeader"
    assert messages[0].trace_header is None and messages[1].trace_header == header
    # The invocation joins its first traced message's trace.
    assert batch_trace_header(messages) == header
    assert batch_trace_header(messages[:1]) is None


def test_the_batch_event_is_what_our_reader_reads() -> None:
    messages = [
        QueueMessage.from_sqs(received(f"m{i}", f"body {i}"), ARN, "us-east-1") for i in range(3)
    ]
    event = json.loads(batch_event(messages))
    records = list(SQSEvent(event, None))
    assert [r.body for r in records] == ["body 0", "body 1", "body 2"]
    assert [r.message_id for r in records] == ["m0", "m1", "m2"]
    assert records[0].receipt_handle == "handle-m0"
    assert records[0].event_source_arn == ARN
    assert len(batch_event(messages)) == len(json.dumps(event, separators=(",", ":")))


@pytest.mark.parametrize(
    "answer",
    [b"null", b"", b"{}", b'{"batchItemFailures": null}', b'{"batchItemFailures": []}'],
)
def test_answers_that_mean_complete_success(answer: bytes) -> None:
    assert read_batch_response(answer, {"m1", "m2"}) == set()


def test_listed_failures_are_read() -> None:
    answer = {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert read_batch_response(json.dumps(answer).encode(), {"m1", "m2", "m3"}) == {"m2", "m3"}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"not json", "not JSON"),
        (b'"done"', "answered a str"),
        (b"[1, 2]", "answered a list"),
        (b'{"batchItemFailures": "m1"}', "not a list"),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', "names no message"),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', "names no message"),
        (b'{"batchItemFailures": [{"id": "m1"}]}', "names no message"),
        (b'{"batchItemFailures": ["m1"]}', "names no message"),
        (b'{"batchItemFailures": [{"itemIdentifier": "other"}]}', "not a message of this batch"),
    ],
)
def test_invalid_answers_fail_the_whole_batch(answer: bytes, reason: str) -> None:
    with pytest.raises(InvalidBatchResponse, match=reason):
        read_batch_response(answer, {"m1", "m2"})


def fifo_message(message_id: str, group: str) -> QueueMessage:
    return QueueMessage(message_id, f"handle-{message_id}", 1, group, b"{}")


def test_a_fifo_group_stops_at_its_first_failure() -> None:
    batch = [
        fifo_message("a1", "a"),
        fifo_message("b1", "b"),
        fifo_message("a2", "a"),
        fifo_message("b2", "b"),
        fifo_message("a3", "a"),
        fifo_message("c1", "c"),
    ]
    assert held_back_in_fifo(batch, {"a2"}) == {"a3"}
    assert held_back_in_fifo(batch, {"b1", "a3"}) == {"b2"}
    assert held_back_in_fifo(batch, set()) == set()


def test_the_redrive_policy_says_which_failures_move() -> None:
    attributes = {
        "RedrivePolicy": json.dumps(
            {
                "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:jobs-dlq",
                "maxReceiveCount": "2",
            }
        )
    }
    policy = RedrivePolicy.from_attributes(attributes)
    assert policy == RedrivePolicy(2, "jobs-dlq")
    first = QueueMessage("m1", "h1", 1, None, b"{}")
    second = QueueMessage("m2", "h2", 2, None, b"{}")
    assert policy.dead_lettered([first, second]) == [second]
    assert RedrivePolicy.from_attributes({}) is None
    assert RedrivePolicy.from_attributes({"RedrivePolicy": "{not json"}) is None
