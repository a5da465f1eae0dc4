"""moto's SQS, patched: concurrent senders and consumers lose nothing, FIFO order holds
when a group's messages come back together, and a long queue stays fast."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._sqs_moto_patches import patch_moto_sqs
from tests.local.test_server import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    assert patch_moto_sqs()
    assert patch_moto_sqs()  # idempotent
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def client(endpoint: str) -> Any:
    return AwsClients(endpoint, "us-east-1").get("sqs")


def test_concurrent_sends_and_deletes_lose_nothing(endpoint: str) -> None:
    sqs = client(endpoint)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    senders, per_sender = 4, 200
    received: list[str] = []
    done_sending = threading.Event()

    def send(n: int) -> None:
        own = client(endpoint)
        for start in range(0, per_sender, 10):
            entries = [{"Id": str(i), "MessageBody": f"{n}-{start + i}"} for i in range(10)]
            own.send_message_batch(QueueUrl=url, Entries=entries)

    def consume() -> None:
        own = client(endpoint)
        while True:
            answer = own.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = answer.get("Messages", [])
            if not messages and done_sending.is_set():
                return
            if messages:
                received.extend(m["Body"] for m in messages)
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                           for i, m in enumerate(messages)]  # fmt: skip
                own.delete_message_batch(QueueUrl=url, Entries=entries)

    sending = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    consuming = [threading.Thread(target=consume) for _ in range(6)]
    for thread in [*sending, *consuming]:
        thread.start()
    for thread in sending:
        thread.join()
    done_sending.set()
    for thread in consuming:
        thread.join()
    assert len(received) == len(set(received)) == senders * per_sender  # none twice, none lost
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"  # none come back


def test_a_fifo_group_comes_back_in_order(endpoint: str) -> None:
    sqs = client(endpoint)
    name = f"q-{uuid.uuid4().hex[:12]}.fifo"
    attributes = {"FifoQueue": "true", "VisibilityTimeout": "1"}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=body
        )
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["first", "second"]
    time.sleep(1.2)  # both in flight until the visibility timeout ends, then both visible
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert again["Messages"][0]["Body"] == "first"


def test_a_receive_from_a_long_queue_stays_fast(endpoint: str) -> None:
    sqs = client(endpoint)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    for start in range(0, 2000, 10):
        entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    started = time.perf_counter()
    for _ in range(5):
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    # Unpatched, each took over a second with 2,000 messages queued (clock reads per scan).
    assert (time.perf_counter() - started) / 5 < 0.3


def test_sends_still_apply_content_based_deduplication_and_its_absence(endpoint: str) -> None:
    sqs = client(endpoint)
    deduplicated = sqs.create_queue(
        QueueName=f"d-{uuid.uuid4().hex[:12]}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for _ in range(2):  # the same body twice: one message
        sqs.send_message(QueueUrl=deduplicated, MessageBody="same", MessageGroupId="g")
    attributes = sqs.get_queue_attributes(QueueUrl=deduplicated, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert attributes["Attributes"]["ContentBasedDeduplication"] == "true"

    plain = sqs.create_queue(
        QueueName=f"p-{uuid.uuid4().hex[:12]}.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError, match="MessageDeduplicationId"):
        sqs.send_message(QueueUrl=plain, MessageBody="x", MessageGroupId="g")


def test_a_delete_finds_its_message_in_flight_or_not_and_refuses_a_bad_handle(
    endpoint: str,
) -> None:
    sqs = client(endpoint)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=1)[
        "Messages"
    ]
    assert len(messages) == 3
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])  # again: fine
    time.sleep(1.2)  # the others' visibility runs out: no longer in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[1]["ReceiptHandle"])
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in left] == [messages[2]["Body"]]


TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
OWN = "Root=1-5759e988-000000000000000000000001;Parent=0000000000000001;Sampled=1"


def test_a_sends_trace_header_becomes_its_messages_aws_trace_header(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore adds X-Amzn-Trace-Id itself inside a Lambda function with a trace id.
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sender")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
    sqs = client(endpoint)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="single")
    own = {"AWSTraceHeader": {"StringValue": OWN, "DataType": "String"}}
    sqs.send_message(QueueUrl=url, MessageBody="own", MessageSystemAttributes=own)
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "batch-a"},
            {"Id": "b", "MessageBody": "batch-b", "MessageSystemAttributes": own},
        ],
    )
    monkeypatch.delenv("_X_AMZN_TRACE_ID")
    sqs.send_message(QueueUrl=url, MessageBody="untraced")
    found: dict[str, str | None] = {}
    while len(found) < 5:
        answer = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["AWSTraceHeader"],
        )
        for message in answer.get("Messages", []):
            found[message["Body"]] = message.get("Attributes", {}).get("AWSTraceHeader")
    # The message's own attribute wins over the request's header, as in SQS.
    assert found == {
        "single": TRACE,
        "own": OWN,
        "batch-a": TRACE,
        "batch-b": OWN,
        "untraced": None,
    }
