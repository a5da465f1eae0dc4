"""Realistic Lambda HTTP events, one builder per front door, shaped as AWS documents them.

Each builder takes the request (method, path with optional '?query', headers, body)
and returns the event that source would send. Shared by the tests of hosted apps.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl

ACCOUNT = "123456789012"


class Context:
    """The attributes and method AWS's Python runtime gives a handler's context."""

    function_name = "shop-dev"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:shop-dev"
    memory_limit_in_mb = "128"
    aws_request_id = "3f2a9c1e-5b1d-4c1e-9d2e-0a1b2c3d4e5f"
    log_group_name = "/aws/lambda/shop-dev"
    log_stream_name = "2026/11/23/[$LATEST]8a7b6c5d4e3f"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def _split(path: str) -> tuple[str, str, list[tuple[str, str]]]:
    raw_path, _, query = path.partition("?")
    return raw_path, query, parse_qsl(query, keep_blank_values=True)


def _body(body: bytes | str | None, binary: bool) -> tuple[str | None, bool]:
    if body is None or body == b"" or body == "":
        return None, False
    data = body.encode() if isinstance(body, str) else body
    if binary:
        return base64.b64encode(data).decode(), True
    return data.decode(), False


def rest(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    *,
    resource: str | None = None,
    stage: str = "dev",
    binary: bool = False,
    version: bool = False,
) -> dict[str, Any]:
    raw_path, _, pairs = _split(path)
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    text, is_b64 = _body(body, binary)
    event: dict[str, Any] = {
        "resource": resource or raw_path,
        "path": raw_path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or raw_path,
            "httpMethod": method,
            "path": f"/{stage}{raw_path}",
            "stage": stage,
            "accountId": ACCOUNT,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "tests"},
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }
    if version:
        event["version"] = "1.0"
    return event


def http_api(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    *,
    stage: str = "$default",
    cookies: list[str] | None = None,
    binary: bool = False,
    domain: str = "abc123.execute-api.us-east-1.amazonaws.com",
) -> dict[str, Any]:
    raw_path, query, _ = _split(path)
    if stage != "$default":
        raw_path = f"/{stage}{raw_path}"
    text, is_b64 = _body(body, binary)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"host": domain, **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path.rstrip("/") or "/",  # AWS gives it without the trailing '/'
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "tests",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": stage,
            "time": "23/Nov/2026:17:00:00 +0000",
            "timeEpoch": 1795453200000,
        },
        "isBase64Encoded": is_b64,
    }
    if cookies:
        event["cookies"] = cookies
    if text is not None:
        event["body"] = text
    return event


def function_url(method: str, path: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("domain", "a1b2c3d4e5.lambda-url.us-east-1.on.aws")
    return http_api(method, path, *args, **kwargs)


def alb(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    *,
    multi_value: bool = False,
    binary: bool = False,
) -> dict[str, Any]:
    raw_path, _, pairs = _split(path)
    headers = {"host": "shop-alb-123.us-east-1.elb.amazonaws.com", **(headers or {})}
    text, is_b64 = _body(body, binary)
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:"
                "targetgroup/shop/6d0ecf831eec9f09"
            }
        },
        "httpMethod": method,
        "path": raw_path,
        "body": text or "",
        "isBase64Encoded": is_b64,
    }
    if multi_value:
        query: dict[str, list[str]] = {}
        for key, value in pairs:
            query.setdefault(key, []).append(value)
        event["multiValueQueryStringParameters"] = query
        event["multiValueHeaders"] = {k.lower(): [v] for k, v in headers.items()}
    else:
        event["queryStringParameters"] = dict(pairs)
        event["headers"] = {k.lower(): v for k, v in headers.items()}
    return event


def edge(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    *,
    event_type: str = "origin-request",
) -> dict[str, Any]:
    raw_path, query, _ = _split(path)
    headers = {"Host": "d111111abcdef8.cloudfront.net", **(headers or {})}
    request: dict[str, Any] = {
        "clientIp": "203.0.113.178",
        "headers": {k.lower(): [{"key": k, "value": v}] for k, v in headers.items()},
        "method": method,
        "querystring": query,
        "uri": raw_path,
    }
    if body:
        data = body.encode() if isinstance(body, str) else body
        request["body"] = {
            "action": "read-only",
            "data": base64.b64encode(data).decode(),
            "encoding": "base64",
            "inputTruncated": False,
        }
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": "d111111abcdef8.cloudfront.net",
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": event_type,
                        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
                    },
                    "request": request,
                }
            }
        ]
    }


BUILDERS = {
    "rest": rest,
    "http_api": http_api,
    "function_url": function_url,
    "alb": alb,
    "edge": edge,
}


def read_answer(answer: dict[str, Any]) -> tuple[int, dict[str, list[str]], bytes]:
    """(status, headers by lower-case name, body bytes) from any source's answer."""
    headers: dict[str, list[str]] = {}
    if "status" in answer:  # Lambda@Edge
        for name, entries in answer.get("headers", {}).items():
            headers[name] = [entry["value"] for entry in entries]
        encoded = answer.get("bodyEncoding") == "base64"
        status = int(answer["status"])
    else:
        for name, value in (answer.get("headers") or {}).items():
            headers.setdefault(name.lower(), []).append(value)
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers.setdefault(name.lower(), []).extend(values)
        if answer.get("cookies"):
            headers.setdefault("set-cookie", []).extend(answer["cookies"])
        encoded = bool(answer.get("isBase64Encoded"))
        status = answer["statusCode"]
    body = answer.get("body") or ""
    return status, headers, base64.b64decode(body) if encoded else body.encode()
