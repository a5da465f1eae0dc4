"""The events API Gateway sends Lambda, built in one place: REST (payload 1.0) and HTTP API (2.0).

The dev server's gateway, the sample events of `generate-event`, the test client and a
Request's `to_original_event` off Lambda all shape their events here, as AWS documents
them; `_http_events` is the reader they must satisfy. What differs between callers (ids,
time, host, the client's address) comes in as a `GatewayFacts`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .._core._aws import ACCOUNT_ID, LOCAL_API_ID

__all__ = [
    "GatewayFacts",
    "http_api_event",
    "request_id",
    "request_time",
    "rest_api_event",
    "rest_identity",
]


class GatewayFacts:
    """What API Gateway knows of a request besides its HTTP message: ids, time, client, host."""

    __slots__ = (
        "api_id",
        "domain",
        "epoch_ms",
        "extended_id",
        "protocol",
        "request_id",
        "source_ip",
        "user_agent",
    )

    def __init__(
        self,
        request_id: str,
        epoch_ms: int,
        domain: str = "localhost",
        source_ip: str = "127.0.0.1",
        user_agent: str | None = None,
        protocol: str = "HTTP/1.1",
        extended_id: str | None = None,
        api_id: str = LOCAL_API_ID,
    ) -> None:
        self.request_id = request_id
        self.epoch_ms = epoch_ms
        self.domain = domain  # the Host the client used
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.protocol = protocol
        self.extended_id = request_id if extended_id is None else extended_id
        self.api_id = api_id

    @property
    def domain_prefix(self) -> str:
        """The first label of the host, without a port: API Gateway's domainPrefix."""
        return self.domain.split(".", 1)[0].split(":", 1)[0]


def rest_api_event(
    method: str,
    path: str,
    resource: str,
    headers: Mapping[str, Sequence[str]],
    query: Mapping[str, Sequence[str]],
    path_params: Mapping[str, str] | None,
    body: str | None,
    is_base64: bool,
    stage: str,
    facts: GatewayFacts,
    *,
    context_path: str | None = None,
    resource_id: str = "local",
    stage_variables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0), without requestContext.authorizer.

    `headers` and `query` give every value of each name, in order; the single-value forms
    hold the last one, as API Gateway's do. `context_path` is requestContext.path (the
    path with its stage, behind the execute-api host); the request path by default.
    """
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": {name: list(values) for name, values in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": {k: list(v) for k, v in query.items()} or None,
        "pathParameters": None if path_params is None else dict(path_params),
        "stageVariables": None if stage_variables is None else dict(stage_variables),
        "requestContext": {
            "resourceId": resource_id,
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": facts.extended_id,
            "requestTime": request_time(facts.epoch_ms),
            "path": path if context_path is None else context_path,
            "accountId": ACCOUNT_ID,
            "protocol": facts.protocol,
            "stage": stage,
            "domainPrefix": facts.domain_prefix,
            "requestTimeEpoch": facts.epoch_ms,
            "requestId": facts.request_id,
            "identity": rest_identity(facts.source_ip, facts.user_agent),
            "domainName": facts.domain,
            "apiId": facts.api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def rest_identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
    """requestContext.identity of an unauthenticated REST request."""
    return {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": user_agent,
        "user": None,
    }


def http_api_event(
    method: str,
    path: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
    path_params: Mapping[str, str] | None,
    body: str | None,
    is_base64: bool,
    route_key: str,
    stage: str,
    facts: GatewayFacts,
    cookies: Sequence[str] = (),
) -> dict[str, Any]:
    """An HTTP API or Function URL event (payload 2.0), without an authorizer.

    `headers` are lower-case with repeats comma-joined and Cookie taken out (`cookies`);
    `raw_path` carries a named stage, `path` (requestContext.http.path) as the client
    sent it. A request without a body has neither `body` nor a true isBase64Encoded.
    """
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": dict(headers),
    }
    if cookies:
        event["cookies"] = list(cookies)
    if query:  # repeated names' values joined with commas
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if path_params:
        event["pathParameters"] = dict(path_params)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": facts.api_id,
        "domainName": facts.domain,
        "domainPrefix": facts.domain_prefix,
        "http": {
            "method": method,
            "path": path,
            "protocol": facts.protocol,
            "sourceIp": facts.source_ip,
            "userAgent": facts.user_agent or "",
        },
        "requestId": facts.extended_id,
        "routeKey": route_key,
        "stage": stage,
        "time": request_time(facts.epoch_ms),
        "timeEpoch": facts.epoch_ms,
    }
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = is_base64
    return event


def request_id() -> str:
    """A fresh id shaped as API Gateway's requestId (a UUID 4), without uuid's cost."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_CLF_CACHE: list[Any] = [-1, ""]


def request_time(epoch_ms: int) -> str:
    """'12/Mar/2020:19:03:58 +0000', API Gateway's requestTime (made once per second)."""
    second = epoch_ms // 1000
    if _CLF_CACHE[0] != second:
        _CLF_CACHE[:] = [second, time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))]
    return str(_CLF_CACHE[1])
