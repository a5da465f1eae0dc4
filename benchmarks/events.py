"""The event every Lambda benchmark sends: a REST API (payload 1.0) GET, as AWS documents it.

GET /orders/42?expand=items through API Gateway's 'dev' stage, with the headers a
browser-less client sends; the route is /orders/{order_id}.
"""

from __future__ import annotations

import copy
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
