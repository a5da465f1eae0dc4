"""HTTP-shaped Lambda events for `generate-event`: API Gateway REST (payload 1.0) and HTTP
APIs (2.0), Function URLs, ALB target groups and REST API Lambda authorizers.

Each builder takes the parsed options (method, path with its '?query', body, headers)
and returns the event as that front door documents it, with _test_events' fixed facts.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .._tooling._test_events import ACCOUNT_ID, EPOCH_SECONDS, REGION, SOURCE_IP

Args = argparse.Namespace
API_ID = "abcd1234"
REST_HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
HTTP_API_HOST = f"efgh5678.execute-api.{REGION}.amazonaws.com"
FUNCTION_URL_HOST = f"n4hxw2l6mtdq7zvbkcpey3suoa0rjgif.lambda-url.{REGION}.on.aws"
ALB_HOST = f"my-alb-1234567890.{REGION}.elb.amazonaws.com"
REQUEST_TIME = "01/May/2024:12:00:00 +0000"  # _test_events' instant, as API Gateway writes it
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@dataclass(frozen=True)
class HttpSample:
    """The request the options describe, as the client sent it to the front door."""

    method: str
    path: str
    query: list[tuple[str, str]]
    raw_query: str
    headers: dict[str, str]  # names as written, the front door's own headers included
    body: str | None


def http_sample(args: Args, host: str) -> HttpSample:
    path, _, raw_query = args.path.partition("?")
    headers = {
        "Accept": "*/*",
        "Host": host,
        "User-Agent": "curl/8.4.0",
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if args.body is not None:
        headers["Content-Type"] = "application/json" if _is_json(args.body) else "text/plain"
        headers["Content-Length"] = str(len(args.body.encode()))
    for name, value in args.header:
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
        headers[name] = value
    query = parse_qsl(raw_query, keep_blank_values=True)
    return HttpSample(args.method.upper(), path or "/", query, raw_query, headers, args.body)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name, value in pairs:
        groups.setdefault(name, []).append(value)
    return groups


def path_params(resource: str, path: str) -> dict[str, str] | None:
    """The values of `resource`'s {parameters} in `path` ('/users/{id}', '/users/42')."""
    params: dict[str, str] = {}
    wanted, given = resource.strip("/").split("/"), path.strip("/").split("/")
    for index, part in enumerate(wanted):
        if part.startswith("{") and part.endswith("+}"):  # greedy: the rest of the path
            params[part[1:-2]] = "/".join(given[index:])
        elif part.startswith("{") and index < len(given):
            params[part[1:-1]] = given[index]
    return params or None


def rest_event(args: Args) -> dict[str, Any]:
    """Payload 1.0, as a REST API's Lambda proxy integration sends it."""
    sample = http_sample(args, REST_HOST)
    # Without a route, the request went through a '/{proxy+}' resource (a whole app).
    resource = args.resource or ("/{proxy+}" if sample.path != "/" else "/")
    query = grouped(sample.query)
    return {
        "resource": resource,
        "path": sample.path,
        "httpMethod": sample.method,
        "headers": sample.headers,
        "multiValueHeaders": {name: [value] for name, value in sample.headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_params(resource, sample.path),
        "stageVariables": None,
        "requestContext": {
            **_rest_context(sample, args.api_stage),
            "resourceId": "x1y2z3",
            "resourcePath": resource,
        },
        "body": sample.body,
        "isBase64Encoded": False,
    }


def _rest_context(sample: HttpSample, stage: str) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": REST_HOST,
        "domainPrefix": API_ID,
        "extendedRequestId": "Pq2zKFhcDoEFbKw=",
        "httpMethod": sample.method,
        "identity": {"sourceIp": SOURCE_IP, "userAgent": sample.headers.get("User-Agent")},
        "path": f"/{stage}{sample.path}",
        "protocol": "HTTP/1.1",
        "requestId": REQUEST_ID,
        "requestTime": REQUEST_TIME,
        "requestTimeEpoch": EPOCH_SECONDS * 1000,
        "stage": stage,
    }


def v2_event(args: Args, host: str, stage: str, route_key: str) -> dict[str, Any]:
    """Payload 2.0: HTTP APIs and Function URLs; a named stage shows in rawPath."""
    sample = http_sample(args, host)
    raw_path = sample.path if stage == "$default" else f"/{stage}{sample.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": sample.raw_query,
        "headers": {name.lower(): value for name, value in sample.headers.items()},
    }
    if sample.query:  # repeated names' values joined with commas
        event["queryStringParameters"] = {k: ",".join(v) for k, v in grouped(sample.query).items()}
    _, _, pattern = route_key.partition(" ")
    if pattern and path_params(pattern, sample.path):
        event["pathParameters"] = path_params(pattern, sample.path)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": host.split(".", 1)[0],
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": sample.method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": SOURCE_IP,
            "userAgent": sample.headers.get("User-Agent", ""),
        },
        "requestId": "Pq2zKFhcDoEFbKw=",
        "routeKey": route_key,
        "stage": stage,
        "time": REQUEST_TIME,
        "timeEpoch": EPOCH_SECONDS * 1000,
    }
    if sample.body is not None:
        event["body"] = sample.body
    event["isBase64Encoded"] = False
    return event


def http_api_event(args: Args) -> dict[str, Any]:
    return v2_event(args, HTTP_API_HOST, args.api_stage, args.route_key)


def function_url_event(args: Args) -> dict[str, Any]:
    event = v2_event(args, FUNCTION_URL_HOST, "$default", "$default")
    event["requestContext"]["authorizer"] = None  # auth type NONE
    return event


def alb_event(args: Args) -> dict[str, Any]:
    sample = http_sample(args, ALB_HOST)
    headers = {name.lower(): value for name, value in sample.headers.items()}
    # "If the query parameters are URL-encoded, the load balancer does not decode them."
    pairs = (pair.partition("=") for pair in sample.raw_query.split("&") if pair)
    query = grouped([(name, value) for name, _, value in pairs])
    target_group = (
        f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:targetgroup/my-lambda/0123456789abcdef"
    )
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group}},
        "httpMethod": sample.method,
        "path": sample.path,
    }
    if args.multi_value:  # the target group's "multi value headers" setting
        event["multiValueQueryStringParameters"] = query
        event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        event["queryStringParameters"] = {k: v[-1] for k, v in query.items()}
        event["headers"] = headers
    event.update(body=sample.body or "", isBase64Encoded=False)
    return event


def authorizer_event(args: Args) -> dict[str, Any]:
    """What API Gateway sends a REST API's Lambda authorizer, TOKEN or REQUEST."""
    sample = http_sample(args, REST_HOST)
    resource = args.resource or sample.path
    method_arn = (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{args.api_stage}/"
        f"{sample.method}{sample.path}"
    )
    if args.type == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": args.token, "methodArn": method_arn}
    headers = {"Authorization": args.token, **sample.headers}
    query = grouped(sample.query)
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": resource,
        "path": sample.path,
        "httpMethod": sample.method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()},
        "multiValueQueryStringParameters": query,
        "pathParameters": path_params(resource, sample.path) or {},
        "stageVariables": {},
        "requestContext": {**_rest_context(sample, args.api_stage), "resourcePath": resource},
    }
