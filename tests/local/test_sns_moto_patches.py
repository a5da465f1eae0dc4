"""moto's SNS, patched, against its own server: a message with one text per protocol gives
our internal queues the text SNS gives a Lambda subscriber, and every other queue its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelike.local._sns_moto_patches import INTERNAL_QUEUE_PREFIX, patch_moto_sns
from tests.local.push_support import client

pytestmark = pytest.mark.slow


def delivered(sqs: Any, url: str) -> str:
    (message,) = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    text: str = json.loads(message["Body"])["Message"]
    return text


def test_internal_queues_get_the_lambda_text_other_queues_their_own(moto_url: str) -> None:
    sns, sqs = client(moto_url, "sns"), client(moto_url, "sqs")
    topic = sns.create_topic(Name="structured")["TopicArn"]
    urls = {}
    for name in (f"{INTERNAL_QUEUE_PREFIX}fn", "users-own"):
        urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    assert patch_moto_sns() and patch_moto_sns()  # applies, and again changes nothing

    texts = {"default": "anyone", "sqs": "queues", "lambda": "functions"}
    sns.publish(TopicArn=topic, Message=json.dumps(texts), MessageStructure="json")
    assert delivered(sqs, urls[f"{INTERNAL_QUEUE_PREFIX}fn"]) == "functions"
    assert delivered(sqs, urls["users-own"]) == "queues"

    # No "lambda" text: SNS gives a Lambda subscriber the default one.
    only_default = {"default": "anyone", "sqs": "queues"}
    sns.publish(TopicArn=topic, Message=json.dumps(only_default), MessageStructure="json")
    assert delivered(sqs, urls[f"{INTERNAL_QUEUE_PREFIX}fn"]) == "anyone"
    assert delivered(sqs, urls["users-own"]) == "queues"
