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

from .._core._aws import ACCOUNT_ID, SAMPLE_REGION
from .._doors._api_gateway_events import GatewayFacts, rest_api_event
from .._doors._api_gateway_events import http_api_event as http_api_event_of
from .._tooling._test_events import EPOCH_SECONDS, SOURCE_IP

__all__ = [
    "HttpSample",
    "alb_event",
    "authorizer_event",
    "function_url_event",
    "grouped",
    "http_api_event",
    "http_sample",
    "path_params",
    "rest_event",
    "v2_event",
]

Args = argparse.Namespace
API_ID = "abcd1234"
REST_HOST = f"{API_ID}.execute-api.{SAMPLE_REGION}.amazonaws.com"
HTTP_API_HOST = f"efgh5678.execute-api.{SAMPLE_REGION}.amazonaws.com"
FUNCTION_URL_HOST = f"n4hxw2l6mtdq7zvbkcpey3suoa0rjgif.lambda-url.{SAMPLE_REGION}.on.aws"
ALB_HOST = f"my-alb-1234567890.{SAMPLE_REGION}.elb.amazonaws.com"
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
EXTENDED_ID = "Pq2zKFhcDoEFbKw="


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


def _facts(sample: HttpSample, host: str) -> GatewayFacts:
    """_test_events' fixed ids, instant and client, for a request to `host`."""
    return GatewayFacts(
        REQUEST_ID,
        EPOCH_SECONDS * 1000,
        domain=host,
        source_ip=SOURCE_IP,
        user_agent=sample.headers.get("User-Agent"),
        extended_id=EXTENDED_ID,
        api_id=host.split(".", 1)[0],
    )


def _rest(sample: HttpSample, resource: str, stage: str, headers: dict[str, str]) -> dict[str, Any]:
    return rest_api_event(
        sample.method,
        sample.path,
        resource,
        {name: [value] for name, value in headers.items()},
        grouped(sample.query),
        path_params(resource, sample.path),
        sample.body,
        False,
        stage,
        _facts(sample, REST_HOST),
        context_path=f"/{stage}{sample.path}",  # behind the execute-api host: with the stage
        resource_id="x1y2z3",
    )


def rest_event(args: Args) -> dict[str, Any]:
    """Payload 1.0, as a REST API's Lambda proxy integration sends it."""
    sample = http_sample(args, REST_HOST)
    # Without a route, the request went through a '/{proxy+}' resource (a whole app).
    resource = args.resource or ("/{proxy+}" if sample.path != "/" else "/")
    return _rest(sample, resource, args.api_stage, sample.headers)


def v2_event(args: Args, host: str, stage: str, route_key: str) -> dict[str, Any]:
    """Payload 2.0: HTTP APIs and Function URLs; a named stage shows in rawPath."""
    sample = http_sample(args, host)
    raw_path = sample.path if stage == "$default" else f"/{stage}{sample.path}"
    _, _, pattern = route_key.partition(" ")
    return http_api_event_of(
        sample.method,
        raw_path,
        raw_path,
        sample.raw_query,
        {name.lower(): value for name, value in sample.headers.items()},
        grouped(sample.query),
        path_params(pattern, sample.path) if pattern else None,
        sample.body,
        False,
        route_key,
        stage,
        _facts(sample, host),
    )


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
        f"arn:aws:elasticloadbalancing:{SAMPLE_REGION}:{ACCOUNT_ID}:"
        "targetgroup/my-lambda/0123456789abcdef"
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
        f"arn:aws:execute-api:{SAMPLE_REGION}:{ACCOUNT_ID}:{API_ID}/{args.api_stage}/"
        f"{sample.method}{sample.path}"
    )
    if args.type == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": args.token, "methodArn": method_arn}
    event = _rest(sample, resource, args.api_stage, {"Authorization": args.token, **sample.headers})
    del event["body"], event["isBase64Encoded"]
    # An authorizer gets empty objects where the proxy event has nulls.
    for name in (
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
    ):
        event[name] = event[name] or {}
    return {"type": "REQUEST", "methodArn": method_arn, **event}
