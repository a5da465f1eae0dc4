"""Stream records as Lambda hands them to a function, and how Lambda reads its answer.

GetRecords (Kinesis, DynamoDB Streams, through boto3) gives records in the service's API
shape; Lambda's event source mapping rewrites each one into its event shape (Kinesis:
camelCase and base64 data; DynamoDB: epoch-second times) and reads a partial batch
response. No I/O here: the stream pollers (`_stream_pollers.py`) call these.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._invocation import MAX_SYNC_PAYLOAD_BYTES

__all__ = [
    "Verdict",
    "dynamodb_event_record",
    "kinesis_event_record",
    "read_verdict",
    "records_that_fit",
]


def _epoch(moment: Any) -> float:
    """A boto3 timestamp (an aware datetime) in seconds since the epoch."""
    if isinstance(moment, datetime.datetime):
        if moment.tzinfo is None:  # naive: UTC, as the services write them
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return float(moment.timestamp())
    return float(moment)


def _base64(data: Any) -> str:
    raw = data.encode() if isinstance(data, str) else bytes(data)
    return base64.b64encode(raw).decode("ascii")


def kinesis_event_record(
    record: Mapping[str, Any], *, shard_id: str, stream_arn: str, region: str, role_arn: str
) -> dict[str, Any]:
    """One GetRecords record as Lambda's Kinesis event carries it (Records[i])."""
    sequence = record["SequenceNumber"]
    kinesis: dict[str, Any] = {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": record["PartitionKey"],
        "sequenceNumber": sequence,
        "data": _base64(record["Data"]),  # boto3 decoded it; Lambda sends base64
        # Seconds with milliseconds (1545084650.987), as Lambda writes it.
        "approximateArrivalTimestamp": round(_epoch(record["ApproximateArrivalTimestamp"]), 3),
    }
    if record.get("EncryptionType") == "KMS":  # Lambda adds it for encrypted records only
        kinesis["encryptionType"] = "KMS"
    return {
        "kinesis": kinesis,
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def _attribute(value: Any) -> Any:
    """A DynamoDB JSON value with boto3's decoded binaries base64 again (B, BS, nested)."""
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((tag, inner),) = value.items()
    if tag == "B":
        return {"B": _base64(inner)}
    if tag == "BS":
        return {"BS": [_base64(item) for item in inner]}
    if tag == "M":
        return {"M": {name: _attribute(item) for name, item in inner.items()}}
    if tag == "L":
        return {"L": [_attribute(item) for item in inner]}
    return value


def dynamodb_event_record(
    record: Mapping[str, Any], *, stream_arn: str, region: str
) -> dict[str, Any]:
    """One DynamoDB Streams record as Lambda's event carries it (Records[i])."""
    change = dict(record["dynamodb"])
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = {name: _attribute(v) for name, v in change[image].items()}
    if "ApproximateCreationDateTime" in change:
        # Lambda sends epoch seconds, a number (the API's own docs: rounded down to the
        # second); boto3 parsed it into a datetime.
        change["ApproximateCreationDateTime"] = int(_epoch(change["ApproximateCreationDateTime"]))
    event: dict[str, Any] = {
        "eventID": record.get("eventID", ""),
        "eventName": record.get("eventName", ""),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,  # the endpoint's region (moto writes us-east-1 whatever it is)
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # TTL deletions: {"type": "Service", "principalId": ...}
        event["userIdentity"] = record["userIdentity"]
    return event


def records_that_fit(records: Sequence[Mapping[str, Any]]) -> int:
    """How many of the first records make an event within Lambda's 6 MB payload limit
    (Lambda shrinks a batch to fit); at least one."""
    size = len(b'{"Records": []}')
    for count, record in enumerate(records):
        size += len(json.dumps(record).encode()) + 2  # ", " between records
        if size > MAX_SYNC_PAYLOAD_BYTES and count > 0:
            return count
    return len(records)


@dataclass(frozen=True)
class Verdict:
    """What Lambda makes of a successful invoke's answer: `retry_from` None when the whole
    batch is done, else the index of the first record to deliver again (0: all of them)."""

    retry_from: int | None
    problem: str = ""  # why the answer counts as a complete failure, for the log


def read_verdict(payload: bytes, sequences: Sequence[str]) -> Verdict:
    """Lambda's rules for a stream's partial batch response (ReportBatchItemFailures).

    A batch is a complete success with no answer, an answer that is no object, or an empty
    or null `batchItemFailures`; an identifier that is empty, null, missing or names no
    record of the batch makes it a complete failure. Otherwise Lambda checkpoints before
    the failed record with the lowest sequence number and retries from there.
    """
    try:
        answer = json.loads(payload) if payload.strip() else None
    except ValueError:
        return Verdict(None)
    if not isinstance(answer, dict) or not answer.get("batchItemFailures"):
        return Verdict(None)
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return Verdict(0, "batchItemFailures is not a list")
    index = {sequence: position for position, sequence in enumerate(sequences)}
    found = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or not identifier:
            shown = json.dumps(failure)[:80]
            return Verdict(0, f"batchItemFailures holds {shown}, no itemIdentifier")
        if identifier not in index:
            return Verdict(0, f"batchItemFailures names {identifier!r}, no record of the batch")
        found.append(index[identifier])
    return Verdict(min(found))
