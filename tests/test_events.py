"""Tests for _events/_lambda_events.py: S3, SNS and EventBridge events as Chalice reads them.

Sample events follow the shapes AWS documents: S3's event message structure (version
2.1 records) and its EventBridge event message structure, the SNS notification Lambda
receives, and EventBridge's event envelope (including a scheduled event).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelike._core._errors import InvalidEventError
from chalicelike._events._lambda_events import (
    BaseLambdaEvent,
    CloudWatchEvent,
    S3Event,
    S3Record,
    SNSEvent,
    SNSRecord,
)

ACCOUNT = "123456789012"


class Context:
    """The attributes a handler's context has on Lambda."""

    function_name = "uploads-dev"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


CONTEXT = Context()


# -- sample events ------------------------------------------------------------------------


def s3_record(
    key: str,
    bucket: str = "shop-uploads",
    event_name: str = "ObjectCreated:Put",
    size: int | None = 1024,
) -> dict[str, Any]:
    """One S3 notification record; `key` as S3 sends it (URL-encoded)."""
    obj: dict[str, Any] = {
        "key": key,
        "eTag": "0123456789abcdef0123456789abcdef",
        "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
        "sequencer": "0A1B2C3D4E5F678901",
    }
    if size is not None:
        obj["size"] = size
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-1",
        "eventTime": "2026-11-23T12:34:56.789Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
        "requestParameters": {"sourceIPAddress": "198.51.100.23"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "on-upload",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def s3_event(*keys: str) -> dict[str, Any]:
    return {"Records": [s3_record(key) for key in keys]}


def s3_eventbridge_event(key: str = "photos/red flower.jpg") -> dict[str, Any]:
    """S3 "Object Created" delivered through EventBridge (the key is not URL-encoded)."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2026-11-23T12:34:56Z",
        "region": "ca-central-1",
        "resources": ["arn:aws:s3:::shop-uploads"],
        "detail": {
            "version": "0",
            "bucket": {"name": "shop-uploads"},
            "object": {
                "key": key,
                "size": 5,
                "etag": "b1946ac92492d2347c6235b4d2611184",
                "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
                "sequencer": "617f08299329d189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "source-ip-address": "203.0.113.7",
            "reason": "PutObject",
        },
    }


def sns_record(message: str, subject: str | None = "Order placed", n: int = 1) -> dict[str, Any]:
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders"
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": f"2026-11-23T12:00:0{n}.000Z",
            "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
            "SigningCertUrl": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem",
            "MessageId": f"95df01b4-ee98-5cb9-9903-4c221d41eb5{n}",
            "Message": message,
            "MessageAttributes": {
                "priority": {"Type": "String", "Value": "high"},
                "attempt": {"Type": "Number", "Value": str(n)},
            },
            "Type": "Notification",
            "UnsubscribeUrl": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
            "TopicArn": topic,
            "Subject": subject,
        },
    }


def eventbridge_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": "2026-11-23T18:43:48Z",
        "region": "us-west-1",
        "resources": [f"arn:aws:ec2:us-west-1:{ACCOUNT}:instance/i-1234567890abcdef0"],
        "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
    }
    event.update(overrides)
    return event


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-23T16:53:06Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly-report"],
        "detail": {},
    }


SQS_RECORD = {
    "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
    "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
    "body": "test",
    "attributes": {"ApproximateReceiveCount": "1"},
    "messageAttributes": {},
    "md5OfBody": "098f6bcd4621d373cade4e832627b4f6",
    "eventSource": "aws:sqs",
    "eventSourceARN": f"arn:aws:sqs:us-east-2:{ACCOUNT}:my-queue",
    "awsRegion": "us-east-2",
}


# -- the base class -----------------------------------------------------------------------


def test_base_event_keeps_the_dict_and_the_context() -> None:
    raw = {"anything": 1}
    event = BaseLambdaEvent(raw, CONTEXT)
    assert event.context is CONTEXT
    assert event.to_dict() is raw
    assert event.to_original_event() is raw


def test_records_keep_their_own_dict_and_the_context() -> None:
    raw = s3_event("a.txt", "b.txt")
    event = S3Event(raw, CONTEXT)
    assert event.to_dict() is raw
    assert [record.to_dict() for record in event] == raw["Records"]
    assert all(record.context is CONTEXT for record in event)


# -- S3 -----------------------------------------------------------------------------------


def test_s3_record_fields() -> None:
    record = next(iter(S3Event(s3_event("reports/2026/q3.csv"), CONTEXT)))
    assert isinstance(record, S3Record)
    assert record.bucket == "shop-uploads"
    assert record.key == "reports/2026/q3.csv"
    assert record.event_name == "ObjectCreated:Put"
    assert record.event_time == "2026-11-23T12:34:56.789Z"
    assert record.size == 1024
    assert record.etag == "0123456789abcdef0123456789abcdef"
    assert record.version_id == "096fKKXTRTtl3on89fVO.nfljtsv6qko"
    assert record.sequencer == "0A1B2C3D4E5F678901"
    assert record.region == "eu-west-1"
    assert record.source_ip == "198.51.100.23"


def test_s3_event_iterates_over_every_record() -> None:
    event = S3Event(s3_event("one.txt", "two.txt", "three.txt"), CONTEXT)
    assert len(event) == 3
    assert [record.key for record in event] == ["one.txt", "two.txt", "three.txt"]


def test_s3_event_keeps_chalice_first_record_attributes() -> None:
    raw = {"Records": [s3_record("first.txt", bucket="b1"), s3_record("second.txt", bucket="b2")]}
    event = S3Event(raw, CONTEXT)
    assert (event.bucket, event.key) == ("b1", "first.txt")


@pytest.mark.parametrize(
    ("sent", "key"),
    [
        ("red+flower.jpg", "red flower.jpg"),  # AWS's own example
        ("red%20flower.jpg", "red flower.jpg"),
        ("c%2B%2B/notes+%281%29.txt", "c++/notes (1).txt"),  # a real '+' arrives as %2B
        ("logs/10%3A47%3A07.log", "logs/10:47:07.log"),
        ("caf%C3%A9/men%C3%BC.pdf", "café/menü.pdf"),  # UTF-8, percent-encoded
        ("plain/key.txt", "plain/key.txt"),
    ],
)
def test_s3_keys_are_url_decoded(sent: str, key: str) -> None:
    event = S3Event(s3_event(sent), CONTEXT)
    assert event.key == key
    assert next(iter(event)).key == key


def test_s3_delete_record_has_no_size_or_etag() -> None:
    raw = s3_record("gone.txt", event_name="ObjectRemoved:Delete", size=None)
    del raw["s3"]["object"]["eTag"]
    del raw["s3"]["object"]["versionId"]
    record = next(iter(S3Event({"Records": [raw]}, CONTEXT)))
    assert record.event_name == "ObjectRemoved:Delete"
    assert (record.size, record.etag, record.version_id) == (None, None, None)


def test_s3_record_without_request_parameters_has_no_source_ip() -> None:
    raw = s3_record("x.txt")
    del raw["requestParameters"]
    assert next(iter(S3Event({"Records": [raw]}))).source_ip is None


def test_s3_event_from_eventbridge() -> None:
    raw = s3_eventbridge_event()
    event = S3Event(raw, CONTEXT)
    assert len(event) == 1
    assert (event.bucket, event.key) == ("shop-uploads", "photos/red flower.jpg")
    record = next(iter(event))
    assert record.event_name == "Object Created"
    assert record.event_time == "2026-11-23T12:34:56Z"
    assert record.size == 5
    assert record.etag == "b1946ac92492d2347c6235b4d2611184"
    assert record.version_id == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
    assert record.sequencer == "617f08299329d189"
    assert record.region == "ca-central-1"
    assert record.source_ip == "203.0.113.7"
    assert record.context is CONTEXT
    assert record.to_dict() is raw
    assert event.to_dict() is raw


def test_s3_eventbridge_key_is_taken_as_is() -> None:
    # EventBridge sends the key unencoded: a '+' or '%' in it is part of the name.
    event = S3Event(s3_eventbridge_event("c++/100%25 done+ok.txt"), CONTEXT)
    assert event.key == "c++/100%25 done+ok.txt"


def test_s3_eventbridge_deleted_object_has_no_size() -> None:
    raw = s3_eventbridge_event()
    raw["detail-type"] = "Object Deleted"
    raw["detail"]["object"] = {"key": "old.txt", "sequencer": "617f0837b476e463"}
    record = next(iter(S3Event(raw)))
    assert (record.event_name, record.key, record.size, record.etag) == (
        "Object Deleted",
        "old.txt",
        None,
        None,
    )


def test_s3_record_repr_names_the_object() -> None:
    record = next(iter(S3Event(s3_event("a+b.txt"))))
    assert (
        repr(record) == "S3Record(bucket='shop-uploads', key='a b.txt', event='ObjectCreated:Put')"
    )


# -- SNS ----------------------------------------------------------------------------------


def test_sns_record_fields() -> None:
    record = next(iter(SNSEvent({"Records": [sns_record('{"order": 42}')]}, CONTEXT)))
    assert isinstance(record, SNSRecord)
    assert record.message == '{"order": 42}'
    assert record.subject == "Order placed"
    assert record.message_attributes == {
        "priority": {"Type": "String", "Value": "high"},
        "attempt": {"Type": "Number", "Value": "1"},
    }
    assert record.message_id == "95df01b4-ee98-5cb9-9903-4c221d41eb51"
    assert record.topic_arn == f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders"
    assert record.timestamp == "2026-11-23T12:00:01.000Z"
    assert record.context is CONTEXT


def test_sns_event_iterates_and_keeps_the_first_record_attributes() -> None:
    raw = {"Records": [sns_record("first", "one", n=1), sns_record("second", None, n=2)]}
    event = SNSEvent(raw, CONTEXT)
    assert len(event) == 2
    assert [(r.message, r.subject) for r in event] == [("first", "one"), ("second", None)]
    assert (event.message, event.subject) == ("first", "one")
    assert event.message_attributes["attempt"]["Value"] == "1"


def test_sns_message_without_attributes_or_subject() -> None:
    raw = sns_record("hi")
    del raw["Sns"]["MessageAttributes"]
    del raw["Sns"]["Subject"]
    event = SNSEvent({"Records": [raw]})
    assert event.message_attributes == {}
    assert event.subject is None


# -- EventBridge --------------------------------------------------------------------------


def test_cloudwatch_event_fields() -> None:
    raw = eventbridge_event()
    event = CloudWatchEvent(raw, CONTEXT)
    assert event.version == "0"
    assert event.account == ACCOUNT
    assert event.region == "us-west-1"
    assert event.detail == {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
    assert event.detail_type == "EC2 Instance State-change Notification"
    assert event.source == "aws.ec2"
    assert event.time == "2026-11-23T18:43:48Z"
    assert event.event_id == "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    assert event.resources == [f"arn:aws:ec2:us-west-1:{ACCOUNT}:instance/i-1234567890abcdef0"]
    assert event.context is CONTEXT
    assert event.to_dict() is raw


def test_scheduled_event() -> None:
    event = CloudWatchEvent(scheduled_event(), CONTEXT)
    assert event.detail_type == "Scheduled Event"
    assert event.source == "aws.events"
    assert event.detail == {}
    assert event.resources == [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly-report"]


def test_custom_event_without_resources() -> None:
    raw = eventbridge_event(source="com.example.orders", **{"detail-type": "OrderPlaced"})
    del raw["resources"]
    event = CloudWatchEvent(raw)
    assert (event.source, event.detail_type, event.resources) == (
        "com.example.orders",
        "OrderPlaced",
        [],
    )


def test_s3_eventbridge_event_is_also_a_cloudwatch_event() -> None:
    event = CloudWatchEvent(s3_eventbridge_event())
    assert event.detail["object"]["key"] == "photos/red flower.jpg"


# -- malformed events ---------------------------------------------------------------------


def _message(cls: type[BaseLambdaEvent], event: Any) -> str:
    with pytest.raises(InvalidEventError) as info:
        cls(event, CONTEXT)
    return str(info.value)


def _broken_s3(change: Any) -> dict[str, Any]:
    event = s3_event("a.txt")
    change(event["Records"][0])
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"Records": [SQS_RECORD]},
            "Expected an S3 event (Records[].s3), got a record with eventSource 'aws:sqs'",
        ),
        (
            {"Records": [s3_record("a.txt"), SQS_RECORD]},
            "Expected an S3 event (Records[].s3), got a record with eventSource 'aws:sqs' "
            "at Records[1]",
        ),
        (
            {"Bucket": "x", "Event": "s3:TestEvent"},
            "Expected an S3 event (Records[].s3), got an event without 'Records' "
            "(its keys: Bucket, Event)",
        ),
        (
            [s3_record("a.txt")],
            "Expected an S3 event (Records[].s3), got a list instead of a JSON object",
        ),
        ({"Records": []}, "Expected an S3 event (Records[].s3), got an empty Records list"),
        (
            {"Records": {"s3": {}}},
            "Expected an S3 event (Records[].s3), Records is an object, not a list",
        ),
        (
            {"Records": ["s3"]},
            "Expected an S3 event (Records[].s3), Records[0] is a string, not an object",
        ),
        (
            {"Records": [{"eventName": "ObjectCreated:Put"}]},
            "Expected an S3 event (Records[].s3), Records[0] has neither eventSource nor 's3'",
        ),
        (
            _broken_s3(lambda r: r.pop("s3")),
            "Expected an S3 event (Records[].s3), Records[0] has no 's3'",
        ),
        (
            _broken_s3(lambda r: r["s3"]["bucket"].pop("name")),
            "Expected an S3 event (Records[].s3), Records[0].s3.bucket has no 'name'",
        ),
        (
            _broken_s3(lambda r: r["s3"]["object"].update(key=7)),
            "Expected an S3 event (Records[].s3), Records[0].s3.object.key is a number, "
            "not a string",
        ),
        (
            _broken_s3(lambda r: r["s3"]["object"].update(size="1024")),
            "Expected an S3 event (Records[].s3), Records[0].s3.object.size is a string, "
            "not an integer",
        ),
        (
            _broken_s3(lambda r: r["s3"].update(object=None)),
            "Expected an S3 event (Records[].s3), Records[0].s3 has no 'object'",
        ),
        (
            eventbridge_event(),
            "Expected an S3 event (Records[].s3), got an EventBridge event (source 'aws.ec2', "
            "detail-type 'EC2 Instance State-change Notification')",
        ),
    ],
)
def test_malformed_s3_events(event: Any, message: str) -> None:
    assert _message(S3Event, event) == message


def test_s3_record_without_eventsource_but_with_s3_is_accepted() -> None:
    raw = s3_record("a.txt")
    del raw["eventSource"]
    assert S3Event({"Records": [raw]}).key == "a.txt"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e: e.pop("detail"),
            "Expected an S3 event (Records[].s3), the event has no 'detail'",
        ),
        (
            lambda e: e["detail"].pop("bucket"),
            "Expected an S3 event (Records[].s3), detail has no 'bucket'",
        ),
        (
            lambda e: e["detail"]["object"].pop("key"),
            "Expected an S3 event (Records[].s3), detail.object has no 'key'",
        ),
        (
            lambda e: e["detail"]["bucket"].update(name=["b"]),
            "Expected an S3 event (Records[].s3), detail.bucket.name is a list, not a string",
        ),
    ],
)
def test_malformed_s3_eventbridge_events(change: Any, message: str) -> None:
    event = s3_eventbridge_event()
    change(event)
    assert _message(S3Event, event) == message


def _broken_sns(change: Any) -> dict[str, Any]:
    record = sns_record("m")
    change(record)
    return {"Records": [record]}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"Records": [s3_record("a.txt")]},
            "Expected an SNS event (Records[].Sns), got a record with eventSource 'aws:s3'",
        ),
        (
            {"Records": [SQS_RECORD]},
            "Expected an SNS event (Records[].Sns), got a record with eventSource 'aws:sqs'",
        ),
        (
            scheduled_event(),
            "Expected an SNS event (Records[].Sns), got an EventBridge event "
            "(source 'aws.events', detail-type 'Scheduled Event')",
        ),
        ("hello", "Expected an SNS event (Records[].Sns), got a string instead of a JSON object"),
        (
            _broken_sns(lambda r: r.pop("Sns")),
            "Expected an SNS event (Records[].Sns), Records[0] has no 'Sns'",
        ),
        (
            _broken_sns(lambda r: r["Sns"].pop("Message")),
            "Expected an SNS event (Records[].Sns), Records[0].Sns has no 'Message'",
        ),
        (
            _broken_sns(lambda r: r["Sns"].update(Subject=3)),
            "Expected an SNS event (Records[].Sns), Records[0].Sns.Subject is a number, "
            "not a string",
        ),
        (
            _broken_sns(lambda r: r["Sns"].update(MessageAttributes=[])),
            "Expected an SNS event (Records[].Sns), Records[0].Sns.MessageAttributes is a list, "
            "not an object",
        ),
    ],
)
def test_malformed_sns_events(event: Any, message: str) -> None:
    assert _message(SNSEvent, event) == message


def test_malformed_sns_second_record_is_named() -> None:
    second = sns_record("m", n=2)
    del second["Sns"]["Message"]
    event = {"Records": [sns_record("m"), second]}
    assert _message(SNSEvent, event) == (
        "Expected an SNS event (Records[].Sns), Records[1].Sns has no 'Message'"
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"Records": [SQS_RECORD]},
            "Expected an EventBridge event (source, detail-type, detail), got a Records event "
            "from 'aws:sqs'",
        ),
        (
            {"source": "aws.events", "detail": {}},
            "Expected an EventBridge event (source, detail-type, detail), got an event without "
            "'detail-type' (its keys: detail, source)",
        ),
        (
            None,
            "Expected an EventBridge event (source, detail-type, detail), got null instead of "
            "a JSON object",
        ),
        (
            eventbridge_event(detail="terminated"),
            "Expected an EventBridge event (source, detail-type, detail), detail is a string, "
            "not an object",
        ),
        (
            eventbridge_event(source=None),
            "Expected an EventBridge event (source, detail-type, detail), the event has no "
            "'source'",
        ),
        (
            eventbridge_event(resources="arn:aws:ec2:us-west-1:1:instance/i-1"),
            "Expected an EventBridge event (source, detail-type, detail), resources is a string, "
            "not a list",
        ),
        (
            eventbridge_event(**{"detail-type": 5}),
            "Expected an EventBridge event (source, detail-type, detail), detail-type is a number, "
            "not a string",
        ),
    ],
)
def test_malformed_eventbridge_events(event: Any, message: str) -> None:
    assert _message(CloudWatchEvent, event) == message


def test_events_do_not_change_the_dict_they_read() -> None:
    raw = {"Records": [s3_record("red+flower.jpg"), s3_record("b%20c.txt")]}
    before = copy.deepcopy(raw)
    event = S3Event(raw)
    assert [record.key for record in event] == ["red flower.jpg", "b c.txt"]
    assert raw == before
