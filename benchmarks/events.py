"""The events the Lambda benchmarks send, as AWS documents them, and how each answer is checked.

HTTP: GET /orders/42?expand=items, a REST API (payload 1.0) event through API Gateway's
'dev' stage with the headers a browser-less client sends; the route is /orders/{order_id}.
Events: a batch of three SQS messages with JSON bodies, for a handler of queue 'jobs'.
"""

from __future__ import annotations

import copy
import json
from typing import Any

_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Host": "abc123.execute-api.us-east-1.amazonaws.com",
    "User-Agent": "python-requests/2.32",
    "X-Amzn-Trace-Id": "Root=1-5f84c7a9-0123456789abcdef01234567",
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}

REST_GET: dict[str, Any] = {
    "resource": "/orders/{order_id}",
    "path": "/orders/42",
    "httpMethod": "GET",
    "headers": dict(_HEADERS),
    "multiValueHeaders": {name: [value] for name, value in _HEADERS.items()},
    "queryStringParameters": {"expand": "items"},
    "multiValueQueryStringParameters": {"expand": ["items"]},
    "pathParameters": {"order_id": "42"},
    "stageVariables": None,
    "requestContext": {
        "resourceId": "k2p4x1",
        "resourcePath": "/orders/{order_id}",
        "httpMethod": "GET",
        "extendedRequestId": "BQGsDFu5IAMFvZA=",
        "requestTime": "23/Nov/2026:17:00:00 +0000",
        "path": "/dev/orders/42",
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": "dev",
        "domainPrefix": "abc123",
        "requestTimeEpoch": 1795453200000,
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "203.0.113.9", "userAgent": "python-requests/2.32"},
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "apiId": "abc123",
    },
    "body": None,
    "isBase64Encoded": False,
}

EXPECTED_BODY = {"id": "42", "expand": "items", "total": 12.5}

# The stacks every Lambda benchmark compares (name -> module in benchmarks/apps/), and
# the anchors each is divided by.
STACKS = {
    "bare handler": "bare",
    "chalicelike": "chalicelike_app",
    "chalice 1.34": "chalice_app",
    "powertools": "powertools_app",
    "mangum+starlette": "mangum_starlette_app",
    "mangum+fastapi": "mangum_fastapi_app",
}
ANCHORS = ["bare handler", "chalice 1.34", "powertools", "mangum+starlette", "mangum+fastapi"]


class LambdaContext:
    """The attributes and method AWS's Python runtime gives a handler's context."""

    function_name = "bench-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-dev"
    memory_limit_in_mb = "128"
    aws_request_id = "8f5e1c2a-1111-2222-3333-444455556666"
    log_group_name = "/aws/lambda/bench-dev"
    log_stream_name = "2026/11/23/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def fresh_event() -> dict[str, Any]:
    return copy.deepcopy(REST_GET)


def http_problem(app_module: Any, answer: Any) -> str:
    """What is wrong with an HTTP stack's answer to REST_GET; '' if nothing."""
    if (
        not isinstance(answer, dict)
        or answer.get("statusCode") != 200
        or json.loads(answer.get("body") or "null") != EXPECTED_BODY
    ):
        return f"expected 200 with {EXPECTED_BODY}, got {answer!r}"
    return ""


# -- SQS: three messages from a standard queue, as Lambda's event source mapping sends them --

_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:jobs"


def _sqs_record(message_id: str, body: str, md5_of_body: str, sent_ms: int) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"AQEB{message_id.replace('-', '')}Lx9Qm2vU0pQ3KZ5w==",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(sent_ms),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(sent_ms + 2),
        },
        "messageAttributes": {
            "tenant": {
                "stringValue": "acme",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": _QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


SQS_BATCH: dict[str, Any] = {
    "Records": [
        _sqs_record(
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            '{"order_id": "42", "action": "ship", "items": 3}',
            "c14427dec13295dbb5bda4e44f12bd69",
            1795453200000,
        ),
        _sqs_record(
            "2e1424d4-f796-459a-8184-9c92662be6da",
            '{"order_id": "43", "action": "refund", "items": 1}',
            "56e9e36df80ca0f386ee947a95fe5ff2",
            1795453200104,
        ),
        _sqs_record(
            "7c3e5a1b-4d2f-4b8e-9a6c-0f1e2d3c4b5a",
            '{"order_id": "44", "action": "ship", "items": 2}',
            "517fdab0f9aea36e28898c12359a1866",
            1795453200230,
        ),
    ]
}

# What every SQS app's `processed` list holds after the batch: each body, parsed.
EXPECTED_MESSAGES = [json.loads(record["body"]) for record in SQS_BATCH["Records"]]

# The event-handler stacks (an SQS consumer, `handle_jobs` in each module) and their anchors.
SQS_STACKS = {
    "bare handler": "bare_sqs",
    "chalicelike": "chalicelike_sqs_app",
    "chalice 1.34": "chalice_sqs_app",
}
SQS_ANCHORS = ["bare handler", "chalice 1.34"]


def fresh_sqs_event() -> dict[str, Any]:
    return copy.deepcopy(SQS_BATCH)


def sqs_problem(app_module: Any, answer: Any) -> str:
    """What is wrong after an SQS stack handled SQS_BATCH; '' if nothing.

    The consumer returns nothing (no partial batch failure) and has parsed every body.
    """
    processed = getattr(app_module, "processed", None)
    if answer is not None or processed != EXPECTED_MESSAGES:
        return f"expected None and {EXPECTED_MESSAGES}, got {answer!r} and {processed!r}"
    return ""
