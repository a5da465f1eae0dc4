"""moto's S3 events, patched, against its own server: a bucket's notifications to a queue
are S3's records, and with EventBridge on it sends S3's events (S3's field names and
reasons) to the default bus's rules, and no other."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelike.local._s3_moto_patches import patch_moto_s3_events
from tests.local.push_support import client

pytestmark = pytest.mark.slow


def rule_to_queue(url: str, bus: str, queue: str, bucket: str) -> str:
    sqs, events = client(url, "sqs"), client(url, "events")
    queue_url: str = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    if bus != "default":
        events.create_event_bus(Name=bus)
    pattern = {"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}}
    events.put_rule(Name=f"s3-{queue}", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=f"s3-{queue}",
        EventBusName=bus,
        Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}],
    )
    return queue_url


def received(url: str, queue_url: str) -> list[dict[str, Any]]:
    sqs = client(url, "sqs")
    found = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        found += [json.loads(message["Body"]) for message in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_s3s_eventbridge_events_have_s3s_shape_and_reach_only_the_default_bus(
    moto_url: str,
) -> None:
    assert patch_moto_s3_events() and patch_moto_s3_events()  # idempotent
    default_queue = rule_to_queue(moto_url, "default", "s3-default", "watched")
    other_queue = rule_to_queue(moto_url, "other-bus", "s3-other", "watched")
    s3 = client(moto_url, "s3")
    s3.create_bucket(Bucket="watched")
    s3.put_bucket_notification_configuration(
        Bucket="watched", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    put = s3.put_object(Bucket="watched", Key="a b.txt", Body=b"123")
    s3.copy_object(Bucket="watched", Key="copy.txt", CopySource="watched/a b.txt")
    s3.delete_object(Bucket="watched", Key="a b.txt")

    events = received(moto_url, default_queue)
    assert received(moto_url, other_queue) == []  # S3 sends to the default bus alone
    by_reason = {event["detail"]["reason"]: event for event in events}
    assert sorted(by_reason) == ["CopyObject", "DeleteObject", "PutObject"]
    created = by_reason["PutObject"]
    assert (created["source"], created["detail-type"]) == ("aws.s3", "Object Created")
    assert created["time"].endswith("Z")
    assert created["detail"]["object"] == {
        "key": "a b.txt",  # EventBridge's form: not URL-encoded
        "size": 3,
        "etag": put["ETag"].strip('"'),
        "sequencer": created["detail"]["object"]["sequencer"],
    }
    assert by_reason["CopyObject"]["detail"]["object"]["key"] == "copy.txt"
    removed = by_reason["DeleteObject"]
    assert removed["detail-type"] == "Object Deleted"
    assert removed["detail"]["deletion-type"] == "Permanently Deleted"
    assert set(removed["detail"]["object"]) == {"key", "sequencer"}
    # (moto sends nothing for a versioned bucket's delete marker, where S3 sends "Object
    # Deleted" with deletion-type "Delete Marker Created": not made up here.)


def test_tags_added_go_to_the_default_bus_and_not_for_an_untagged_copy(moto_url: str) -> None:
    assert patch_moto_s3_events()
    default_queue = rule_to_queue(moto_url, "default", "tags-default", "tagged")
    other_queue = rule_to_queue(moto_url, "tags-bus", "tags-other", "tagged")
    s3 = client(moto_url, "s3")
    s3.create_bucket(Bucket="tagged")
    s3.put_bucket_notification_configuration(
        Bucket="tagged", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    s3.put_object(Bucket="tagged", Key="t", Body=b"1")
    s3.put_object_tagging(
        Bucket="tagged", Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
    )
    events = received(moto_url, default_queue)
    assert [e["detail-type"] for e in events] == ["Object Created", "Object Tags Added"]
    assert "reason" not in events[1]["detail"]
    assert received(moto_url, other_queue) == []


def test_notifications_to_a_users_own_queue_are_s3s_records(moto_url: str) -> None:
    assert patch_moto_s3_events()
    sqs, s3 = client(moto_url, "sqs"), client(moto_url, "s3")
    queue_url = sqs.create_queue(QueueName="uploads-feed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    s3.create_bucket(Bucket="notifying")
    s3.put_bucket_notification_configuration(
        Bucket="notifying",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "feed",
                    "QueueArn": arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                }
            ]
        },
    )
    received(moto_url, queue_url)  # S3's s3:TestEvent on configuration
    put = s3.put_object(Bucket="notifying", Key="in/a b.csv", Body=b"123")
    s3.delete_object(Bucket="notifying", Key="in/a b.csv")

    created, removed = (event["Records"][0] for event in received(moto_url, queue_url))
    for record in (created, removed):
        assert set(record) == {
            "eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
            "userIdentity", "requestParameters", "responseElements", "s3",
        }  # fmt: skip
        assert record["s3"]["configurationId"] == "feed"
        assert record["s3"]["bucket"]["ownerIdentity"]["principalId"]
        assert record["s3"]["object"]["key"] == "in/a+b.csv"  # '/' kept, as S3 does
    assert created["eventName"] == "ObjectCreated:Put"
    assert created["s3"]["object"] == {
        "key": "in/a+b.csv",
        "size": 3,
        "eTag": put["ETag"].strip('"'),
        "sequencer": created["s3"]["object"]["sequencer"],
    }
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert set(removed["s3"]["object"]) == {"key", "sequencer"}  # no size for a removal
    assert removed["s3"]["object"]["sequencer"] > created["s3"]["object"]["sequencer"]


def test_a_multipart_upload_is_one_event_as_s3_sends(moto_url: str) -> None:
    assert patch_moto_s3_events()
    sqs, s3 = client(moto_url, "sqs"), client(moto_url, "s3")
    bus_queue = rule_to_queue(moto_url, "default", "multipart-bus", "multipart")
    queue_url = sqs.create_queue(QueueName="multipart-feed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    s3.create_bucket(Bucket="multipart")
    s3.put_bucket_notification_configuration(
        Bucket="multipart",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectTagging:*"],
                }
            ],
            "EventBridgeConfiguration": {},
        },
    )
    received(moto_url, queue_url)  # S3's s3:TestEvent on configuration
    upload = s3.create_multipart_upload(Bucket="multipart", Key="big")["UploadId"]
    part = s3.upload_part(
        Bucket="multipart", Key="big", UploadId=upload, PartNumber=1, Body=b"a" * 10
    )
    s3.complete_multipart_upload(
        Bucket="multipart",
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    # moto also sent a Put (and an untagged "tags added") from inside the completion.
    records = [event["Records"][0] for event in received(moto_url, queue_url)]
    assert [r["eventName"] for r in records] == ["ObjectCreated:CompleteMultipartUpload"]
    assert records[0]["s3"]["object"]["eTag"].endswith("-1")
    on_the_bus = received(moto_url, bus_queue)
    assert [e["detail"]["reason"] for e in on_the_bus] == ["CompleteMultipartUpload"]
