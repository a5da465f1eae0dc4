"""SQS messages as Lambda's SQS event source mapping hands them to a function, and what the
function's answer means for each one.

No I/O: `_sqs_poller.py` receives, invokes and deletes; this module builds each record in
AWS's documented shape, reads the partial batch response and says which messages stay.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_OVERHEAD",
    "InvalidBatchResponse",
    "QueueMessage",
    "RedrivePolicy",
    "batch_event",
    "batch_trace_header",
    "held_back_in_fifo",
    "lambda_record",
    "read_batch_response",
]

# The system attributes in the order AWS's sample events list them; any others SQS
# returns (AWSTraceHeader, DeadLetterQueueSourceArn) follow.
_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
)

# `{"Records":[` and `]}`: what a batch adds to its records' own bytes (plus a comma each).
EVENT_OVERHEAD = len(b'{"Records":[]}')


@dataclass(frozen=True)
class QueueMessage:
    """One received message: what the poller needs, and its Lambda record as JSON bytes
    (encoded once, so that a batch's size is known exactly while it is gathered)."""

    message_id: str
    receipt_handle: str
    receive_count: int
    group_id: str | None  # FIFO queues only
    record: bytes
    # The sender's X-Ray trace header (SQS keeps it as the AWSTraceHeader attribute).
    trace_header: str | None = None

    @classmethod
    def from_sqs(cls, message: Mapping[str, Any], queue_arn: str, region: str) -> QueueMessage:
        """A message as boto3's ReceiveMessage returns it (AttributeNames and
        MessageAttributeNames "All")."""
        attributes: Mapping[str, str] = message.get("Attributes", {})
        record = lambda_record(message, queue_arn, region)
        return cls(
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
            group_id=attributes.get("MessageGroupId"),
            record=json.dumps(record, separators=(",", ":")).encode(),
            trace_header=attributes.get("AWSTraceHeader"),
        )


def lambda_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One entry of the event's Records, as Lambda's SQS event source mapping builds it."""
    attributes: Mapping[str, str] = message.get("Attributes", {})
    ordered = {name: attributes[name] for name in _ATTRIBUTE_ORDER if name in attributes}
    ordered.update(attributes)
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": ordered,
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
    }
    # Lambda's real events carry it always, null for a message without attributes.
    record["md5OfMessageAttributes"] = message.get("MD5OfMessageAttributes")
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS's {"StringValue", "BinaryValue", "DataType"} in Lambda's lowercase shape, where
    binary values are base64 text (boto3 hands them to us decoded) and both list fields
    are always present, empty as SQS has never filled them."""
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _base64(value["BinaryValue"])
    shaped["stringListValues"] = list(value.get("StringListValues", []))
    shaped["binaryListValues"] = [_base64(item) for item in value.get("BinaryListValues", [])]
    shaped["dataType"] = value["DataType"]
    return shaped


def _base64(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


def batch_trace_header(messages: Iterable[QueueMessage]) -> str | None:
    """The trace the batch's invocation joins: its first traced message's. (Lambda links
    the others' traces to the invocation; locally a trace shows the first one's path.)"""
    return next((m.trace_header for m in messages if m.trace_header), None)


def batch_event(messages: Iterable[QueueMessage]) -> bytes:
    """The invocation's payload: {"Records": [...]} from the records' encoded bytes."""
    return b'{"Records":[' + b",".join(message.record for message in messages) + b"]}"


class InvalidBatchResponse(ValueError):
    """A partial batch response Lambda cannot read: the whole batch counts as failed."""


def read_batch_response(payload: bytes, message_ids: Collection[str]) -> set[str]:
    """The ids a successful invocation's answer reports as failed.

    As Lambda does with ReportBatchItemFailures (which `chalicelike package` turns on):
    a null answer, an object without `batchItemFailures`, or a null or empty list is a
    complete success; an answer that is no JSON object, a `batchItemFailures` that is no
    list, or an item whose `itemIdentifier` is missing, empty or not a message of this
    batch makes the whole batch fail (InvalidBatchResponse says why).
    """
    try:
        answer = json.loads(payload) if payload.strip() else None
    except ValueError:
        raise InvalidBatchResponse("the function's answer is not JSON") from None
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        kind = type(answer).__name__
        raise InvalidBatchResponse(f"the function answered a {kind}, not a batch response")
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        raise InvalidBatchResponse("batchItemFailures is not a list")
    failed = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier:
            raise InvalidBatchResponse(f"batchItemFailures holds {item!r}, which names no message")
        if identifier not in message_ids:
            raise InvalidBatchResponse(
                f"batchItemFailures names {identifier!r}, which is not a message of this batch"
            )
        failed.add(identifier)
    return failed


def held_back_in_fifo(messages: Sequence[QueueMessage], failed: Collection[str]) -> set[str]:
    """The messages of a FIFO batch that must stay although the answer did not name them:
    those after a failed message of the same group. Lambda stops a group at its first
    failure, so that a later message is never done before an earlier one."""
    stopped_groups: set[str | None] = set()
    held = set()
    for message in messages:
        if message.message_id in failed:
            stopped_groups.add(message.group_id)
        elif message.group_id in stopped_groups:
            held.add(message.message_id)
    return held


@dataclass(frozen=True)
class RedrivePolicy:
    """A queue's RedrivePolicy: after `max_receive_count` receives a message moves to the
    dead-letter queue, on the receive that would exceed it (SQS moves it then, not before)."""

    max_receive_count: int
    dead_letter_queue: str  # its name

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, str]) -> RedrivePolicy | None:
        """From GetQueueAttributes' answer; None when the queue has no (readable) policy."""
        try:
            policy = json.loads(attributes["RedrivePolicy"])
            return cls(int(policy["maxReceiveCount"]), policy["deadLetterTargetArn"].split(":")[-1])
        except (KeyError, ValueError, TypeError, AttributeError):
            return None

    def dead_lettered(self, messages: Iterable[QueueMessage]) -> list[QueueMessage]:
        """Of messages that failed, those SQS moves to the dead-letter queue instead of
        delivering again."""
        return [m for m in messages if m.receive_count >= self.max_receive_count]
