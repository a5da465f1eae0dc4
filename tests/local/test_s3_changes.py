"""The S3 tap (what the endpoint publishes for each object change, against moto's real
server) and the feed that carries changes to the asyncio loop."""

from __future__ import annotations

import asyncio
import http.client
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from chalicelike.local._aws_endpoint import AwsEndpoint
from chalicelike.local._s3_changes import S3Change, S3ChangeFeed
from tests.local.test_aws_endpoint import reset_moto


def s3(url: str, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config),
    )


class Endpoint:
    def __init__(self, endpoint: AwsEndpoint, changes: list[S3Change], bucket: str) -> None:
        self.url = endpoint.url
        self.port = endpoint.port
        self.changes = changes
        self.bucket = bucket
        self.s3 = s3(endpoint.url)

    def taken(self) -> list[tuple[str, str]]:
        """(event name, key) of the changes so far, and forget them."""
        seen = [(change.event_name, change.key) for change in self.changes]
        self.changes.clear()
        return seen


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    changes: list[S3Change] = []
    aws = AwsEndpoint(0, on_s3_change=changes.append)
    aws.start()
    try:
        assert aws.wait_ready(), aws.error
        tapped = Endpoint(aws, changes, f"tapped-{uuid.uuid4().hex[:12]}")
        tapped.s3.create_bucket(Bucket=tapped.bucket)
        changes.clear()
        yield tapped
    finally:
        if aws.wait_ready(0):
            reset_moto(aws.url)
        aws.stop()


@pytest.mark.slow
def test_a_put_is_published_with_size_etag_and_sequencer(endpoint: Endpoint) -> None:
    endpoint.s3.put_object(Bucket=endpoint.bucket, Key="a.txt", Body=b"hello")
    endpoint.s3.put_object(Bucket=endpoint.bucket, Key="a.txt", Body=b"hello again")
    first, second = endpoint.changes
    assert (first.event_name, first.bucket, first.key) == (
        "ObjectCreated:Put",
        endpoint.bucket,
        "a.txt",
    )
    assert (first.size, first.etag, first.version_id) == (
        5,
        "5d41402abc4b2a76b9719d911017c592",  # md5 of b"hello", unquoted as in S3's events
        None,
    )
    assert first.source_ip == "127.0.0.1"
    assert len(first.request_id) == 16 and first.request_id.isalnum()
    assert first.host_id and first.time.tzinfo is timezone.utc
    assert second.size == 11
    assert len(first.sequencer) == len(second.sequencer)
    assert first.sequencer < second.sequencer  # S3's order of one key's events


@pytest.mark.slow
def test_copy_delete_and_multi_delete(endpoint: Endpoint) -> None:
    endpoint.s3.put_object(Bucket=endpoint.bucket, Key="src", Body=b"x")
    endpoint.s3.copy_object(
        Bucket=endpoint.bucket, Key="dst", CopySource={"Bucket": endpoint.bucket, "Key": "src"}
    )
    copy = endpoint.changes[-1]
    assert (copy.size, copy.etag) == (None, None)  # the answer does not say: looked up later
    endpoint.s3.delete_object(Bucket=endpoint.bucket, Key="dst")
    endpoint.s3.delete_objects(
        Bucket=endpoint.bucket, Delete={"Objects": [{"Key": "src"}, {"Key": "never-there"}]}
    )
    assert endpoint.taken() == [
        ("ObjectCreated:Put", "src"),
        ("ObjectCreated:Copy", "dst"),
        ("ObjectRemoved:Delete", "dst"),
        ("ObjectRemoved:Delete", "src"),
        ("ObjectRemoved:Delete", "never-there"),  # S3 notifies whether or not it existed
    ]


@pytest.mark.slow
def test_versioned_deletes_make_markers_or_remove_versions(endpoint: Endpoint) -> None:
    endpoint.s3.put_bucket_versioning(
        Bucket=endpoint.bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    put = endpoint.s3.put_object(Bucket=endpoint.bucket, Key="v", Body=b"1")
    endpoint.s3.delete_object(Bucket=endpoint.bucket, Key="v")
    endpoint.s3.delete_object(Bucket=endpoint.bucket, Key="v", VersionId=put["VersionId"])
    endpoint.s3.put_object(Bucket=endpoint.bucket, Key="w", Body=b"1")
    endpoint.s3.delete_objects(Bucket=endpoint.bucket, Delete={"Objects": [{"Key": "w"}]})
    created, marker, removed, _, marker_w = endpoint.changes
    assert created.version_id == put["VersionId"]
    assert marker.event_name == "ObjectRemoved:DeleteMarkerCreated"
    assert marker.version_id not in (None, put["VersionId"])  # the marker's own version
    assert (removed.event_name, removed.version_id) == ("ObjectRemoved:Delete", put["VersionId"])
    assert (marker_w.event_name, marker_w.key) == ("ObjectRemoved:DeleteMarkerCreated", "w")
    assert marker_w.version_id


@pytest.mark.slow
def test_a_multipart_upload_is_one_change_when_completed(endpoint: Endpoint) -> None:
    upload = endpoint.s3.create_multipart_upload(Bucket=endpoint.bucket, Key="big")
    part = endpoint.s3.upload_part(
        Bucket=endpoint.bucket, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 10
    )
    assert endpoint.changes == []
    endpoint.s3.complete_multipart_upload(
        Bucket=endpoint.bucket,
        Key="big",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    (completed,) = endpoint.changes
    assert (completed.event_name, completed.key) == ("ObjectCreated:CompleteMultipartUpload", "big")
    assert completed.version_id is None  # moto says "null" on an unversioned bucket


@pytest.mark.slow
def test_sub_resources_failures_and_other_services_publish_nothing(endpoint: Endpoint) -> None:
    endpoint.s3.put_object(Bucket=endpoint.bucket, Key="t", Body=b"x")
    endpoint.changes.clear()
    endpoint.s3.put_object_tagging(
        Bucket=endpoint.bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
    )
    endpoint.s3.delete_object_tagging(Bucket=endpoint.bucket, Key="t")
    endpoint.s3.put_object_acl(Bucket=endpoint.bucket, Key="t", ACL="private")
    upload = endpoint.s3.create_multipart_upload(Bucket=endpoint.bucket, Key="abandoned")
    endpoint.s3.abort_multipart_upload(
        Bucket=endpoint.bucket, Key="abandoned", UploadId=upload["UploadId"]
    )
    with pytest.raises(endpoint.s3.exceptions.NoSuchBucket):
        endpoint.s3.put_object(Bucket="no-such-bucket", Key="k", Body=b"x")
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    assert endpoint.changes == []


@pytest.mark.slow
@pytest.mark.parametrize("key", ["with space.txt", "ünïcødé/ключ.txt", "a+b%2Fc&d=e?.txt"])
def test_keys_are_published_decoded(endpoint: Endpoint, key: str) -> None:
    endpoint.s3.put_object(Bucket=endpoint.bucket, Key=key, Body=b"x")
    endpoint.s3.delete_objects(Bucket=endpoint.bucket, Delete={"Objects": [{"Key": key}]})
    assert endpoint.taken() == [("ObjectCreated:Put", key), ("ObjectRemoved:Delete", key)]
    assert endpoint.s3.list_objects_v2(Bucket=endpoint.bucket).get("Contents") is None


@pytest.mark.slow
def test_presigned_put_form_post_and_virtual_hosted_requests(endpoint: Endpoint) -> None:
    url = endpoint.s3.generate_presigned_url(
        "put_object", Params={"Bucket": endpoint.bucket, "Key": "signed.txt"}
    )
    # Newer SDKs name the operation in the query (x-id): no sub-resource.
    assert requests.put(url + "&x-id=PutObject", data=b"by url", timeout=10).status_code == 200
    post = endpoint.s3.generate_presigned_post(endpoint.bucket, "form upload.txt")
    answer = requests.post(
        post["url"], data=post["fields"], files={"file": ("x.txt", b"by form")}, timeout=10
    )
    assert answer.status_code == 204
    assert (
        endpoint.s3.get_object(Bucket=endpoint.bucket, Key="form upload.txt")["Body"].read()
        == b"by form"
    )
    # A virtual-hosted request names the bucket in the Host (boto3 would need DNS for it).
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        request = endpoint.s3.generate_presigned_url(
            "put_object", Params={"Bucket": endpoint.bucket, "Key": "hosted.txt"}
        )
        path = request.split(f"/{endpoint.bucket}", 1)[1]
        connection.request(
            "PUT", path, b"by host", {"Host": f"{endpoint.bucket}.localhost:{endpoint.port}"}
        )
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    signed, form, hosted = endpoint.changes
    assert (signed.event_name, signed.key, signed.size) == ("ObjectCreated:Put", "signed.txt", 6)
    assert (form.event_name, form.key, form.size) == ("ObjectCreated:Post", "form upload.txt", 7)
    assert form.etag == endpoint.s3.head_object(Bucket=endpoint.bucket, Key="form upload.txt")[
        "ETag"
    ].strip('"')
    assert (hosted.bucket, hosted.key) == (endpoint.bucket, "hosted.txt")
    assert (
        endpoint.s3.get_object(Bucket=endpoint.bucket, Key="hosted.txt")["Body"].read()
        == b"by host"
    )


# -- the feed ---------------------------------------------------------------------------


def change(key: str) -> S3Change:
    return S3Change(
        "ObjectCreated:Put", "b", key, 1, "e", None, key, "127.0.0.1", "R", "H",
        datetime.now(timezone.utc),
    )  # fmt: skip


@pytest.mark.anyio
async def test_the_feed_keeps_changes_until_attached_and_keeps_order() -> None:
    feed = S3ChangeFeed()
    feed.publish(change("before"))
    seen: list[str] = []
    unsubscribe = feed.subscribe(lambda c: seen.append(c.key))
    feed.attach(asyncio.get_running_loop())
    threads = [threading.Thread(target=feed.publish, args=(change(f"t{n}"),)) for n in range(3)]
    for thread in threads:
        thread.start()
        thread.join()  # one after another: their order must survive the hand-over
    await asyncio.sleep(0.01)
    assert seen == ["before", "t0", "t1", "t2"]
    unsubscribe()
    feed.publish(change("after"))
    await asyncio.sleep(0.01)
    assert seen == ["before", "t0", "t1", "t2"]


@pytest.mark.anyio
async def test_a_failing_subscriber_is_logged_and_the_others_still_called() -> None:
    lines: list[str] = []
    feed = S3ChangeFeed(log=lines.append)
    feed.attach(asyncio.get_running_loop())
    seen: list[str] = []

    def broken(c: S3Change) -> None:
        raise KeyError(c.key)

    feed.subscribe(broken)
    feed.subscribe(lambda c: seen.append(c.key))
    feed.publish(change("k"))
    await asyncio.sleep(0.01)
    assert seen == ["k"]
    assert lines == ["chalicelike local: s3 b: a subscriber failed: KeyError('k')"]


def test_a_closed_loop_keeps_changes_for_the_next_attach() -> None:
    feed = S3ChangeFeed()
    seen: list[str] = []
    feed.subscribe(lambda c: seen.append(c.key))
    loop = asyncio.new_event_loop()
    feed.attach(loop)
    loop.close()
    feed.publish(change("while closed"))
    loop = asyncio.new_event_loop()
    try:
        feed.attach(loop)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    assert seen == ["while closed"]
