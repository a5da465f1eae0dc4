"""The event API Gateway sends Lambda for one HTTP request: REST API payload 1.0 or HTTP API 2.0.

`IncomingRequest.from_scope` reads the ASGI scope once; `rest_event` / `http_api_event` shape
it as AWS documents; a REQUEST Lambda authorizer receives the same event without its body
(`authorizer_event`). chalicelike/_http_events.py is the reader these events must satisfy.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from .._core._response import media_type_in
from .._tooling._gateway_auth import LOCAL_ACCOUNT, LOCAL_API_ID, AuthorizerCall, GatewayRequest

# What an HTTP API passes as text; any other body (or one without a Content-Type) arrives
# base64-encoded, form posts included.
_TEXT_TYPES = frozenset(
    {"application/json", "application/javascript", "application/xml", "application/yaml"}
)


class IncomingRequest:
    """One request as the gateway saw it, with the ids API Gateway gives it."""

    __slots__ = (
        "body",
        "epoch_ms",
        "extended_id",
        "headers",
        "method",
        "path",
        "protocol",
        "query_string",
        "raw_path",
        "request_id",
        "source_ip",
        "trace_id",
    )

    def __init__(
        self,
        method: str,
        path: str,
        raw_path: str,
        query_string: str,
        headers: dict[str, list[str]],
        source_ip: str,
        protocol: str = "HTTP/1.1",
        body: bytes = b"",
    ) -> None:
        self.method = method
        self.path = path  # percent-decoded
        self.raw_path = raw_path  # as sent
        self.query_string = query_string
        self.headers = headers  # lower-case names, every value in order
        self.source_ip = source_ip
        self.protocol = protocol
        self.body = body
        now = time.time()
        self.epoch_ms = int(now * 1000)
        # One read of randomness for every id (uuid.uuid4() alone costs more than all this).
        noise = os.urandom(39)
        h = noise[:16].hex()
        self.request_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[noise[8] & 3]}{h[17:20]}-{h[20:]}"
        # The shape of x-amz-apigw-id / an HTTP API's request id: base64 of random bytes.
        self.extended_id = base64.b64encode(noise[16:27]).decode("ascii")
        self.trace_id = f"Root=1-{int(now):08x}-{noise[27:].hex()}"

    @classmethod
    def from_scope(cls, scope: MutableMapping[str, Any]) -> IncomingRequest:
        headers: dict[str, list[str]] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name in headers:
                headers[name].append(value)
            else:
                headers[name] = [value]
        raw_path = scope.get("raw_path")
        client = scope.get("client")
        return cls(
            scope["method"],
            scope["path"],
            raw_path.decode("latin-1") if raw_path else scope["path"],
            scope["query_string"].decode("latin-1"),
            headers,
            client[0] if client else "127.0.0.1",
            "HTTP/" + scope.get("http_version", "1.1"),
        )

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[-1] if values else None

    def query(self) -> dict[str, list[str]]:
        query: dict[str, list[str]] = {}
        if self.query_string:
            for name, value in parse_qsl(self.query_string, keep_blank_values=True):
                query.setdefault(name, []).append(value)
        return query

    def gateway_request(
        self, resource: str, params: Mapping[str, str], stage: str
    ) -> GatewayRequest:
        """What an authorizer may look at (repeated headers comma-joined)."""
        headers = {name: ",".join(values) for name, values in self.headers.items()}
        return GatewayRequest(
            self.method, self.path, resource, headers, self.query(), params, stage
        )


_CLF_CACHE: list[Any] = [-1, ""]


def request_time(epoch_ms: int) -> str:
    """'12/Mar/2020:19:03:58 +0000', API Gateway's requestTime (made once per second)."""
    second = epoch_ms // 1000
    if _CLF_CACHE[0] != second:
        _CLF_CACHE[:] = [second, time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))]
    return str(_CLF_CACHE[1])


def _forwarded(request: IncomingRequest, port: str) -> dict[str, list[str]]:
    """The client's headers plus those API Gateway adds on the way to Lambda."""
    headers = dict(request.headers)
    forwarded = request.header("x-forwarded-for")
    ip = request.source_ip
    headers["x-forwarded-for"] = [f"{forwarded}, {ip}" if forwarded else ip]
    headers.setdefault("x-forwarded-port", [port])
    headers.setdefault("x-forwarded-proto", ["http"])
    headers["x-amzn-trace-id"] = [request.trace_id]
    return headers


def _domain(request: IncomingRequest) -> tuple[str, str]:
    # The Host the client used ('127.0.0.1:8000'): what it would build URLs from.
    host = request.header("host") or "localhost"
    return host, host.split(".", 1)[0].split(":", 1)[0]


def _port(request: IncomingRequest) -> str:
    host = request.header("host") or ""
    _, colon, port = host.rpartition(":")
    return port if colon and port.isdigit() else "80"


def rest_event(
    request: IncomingRequest,
    resource: str,
    resource_id: str,
    params: Mapping[str, str],
    api_stage: str,
    binary_types: frozenset[str],
) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0), without requestContext.authorizer."""
    headers = _forwarded(request, _port(request))
    query = request.query()
    domain, prefix = _domain(request)
    user_agent = request.header("user-agent")
    body, is_base64 = _rest_body(request, binary_types)
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        # The single-value forms hold the last value of a repeated header or parameter.
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": dict(params) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": resource_id,
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": request.extended_id,
            "requestTime": request_time(request.epoch_ms),
            # The path the client used, as behind a custom domain mapped at its root (and as
            # Chalice's local server has it): local URLs carry no stage, and an app mounted
            # with asgi_handler builds its links (Swagger's openapi.json) from this path.
            "path": request.path,
            "accountId": LOCAL_ACCOUNT,
            "protocol": request.protocol,
            "stage": api_stage,
            "domainPrefix": prefix,
            "requestTimeEpoch": request.epoch_ms,
            "requestId": request.request_id,
            "identity": _identity(request.source_ip, user_agent),
            "domainName": domain,
            "apiId": LOCAL_API_ID,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
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


def _rest_body(request: IncomingRequest, binary_types: frozenset[str]) -> tuple[str | None, bool]:
    body = request.body
    if not body:
        return None, False  # REST APIs send null for a request without a body
    # A REST API base64-encodes a body whose Content-Type is one of its binary media types.
    content_type = request.header("content-type") or ""
    if not (content_type and media_type_in(content_type, binary_types)):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # API Gateway would mangle it; base64 keeps the bytes intact
    return base64.b64encode(body).decode("ascii"), True


def http_api_event(
    request: IncomingRequest, route_key: str, params: Mapping[str, str]
) -> dict[str, Any]:
    """An HTTP API event (payload 2.0) for the $default stage, without an authorizer."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, values in _forwarded(request, _port(request)).items():
        if name == "cookie":
            # Payload 2.0 moves Cookie headers to `cookies`, one entry per cookie.
            cookies.extend(c.strip() for value in values for c in value.split(";") if c.strip())
        else:
            headers[name] = ",".join(values)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.query_string,
        "headers": headers,
    }
    if cookies:
        event["cookies"] = cookies
    query = request.query()
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if params:
        event["pathParameters"] = dict(params)
    event["requestContext"] = _http_api_context(request, route_key)
    if request.body:
        event["body"], event["isBase64Encoded"] = _http_api_body(request)
    else:
        event["isBase64Encoded"] = False
    return event


def _http_api_context(request: IncomingRequest, route_key: str) -> dict[str, Any]:
    domain, prefix = _domain(request)
    return {
        "accountId": LOCAL_ACCOUNT,
        "apiId": LOCAL_API_ID,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request.extended_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": request_time(request.epoch_ms),
        "timeEpoch": request.epoch_ms,
    }


def _http_api_body(request: IncomingRequest) -> tuple[str, bool]:
    content_type = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    if _is_text(content_type):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def _is_text(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def authorizer_event(event: Mapping[str, Any], call: AuthorizerCall) -> dict[str, Any]:
    """What a REQUEST Lambda authorizer receives: the proxy event without its body, plus
    the method ARN (payload 1.0) or the route ARN and identity values (payload 2.0)."""
    found = {k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")}
    if event.get("version") == "2.0":
        found.update(type="REQUEST", routeArn=call.method_arn, identitySource=list(call.identity))
        return found
    return {"type": "REQUEST", "methodArn": call.method_arn, **found}


def authorizer_context(
    kind: str, context: dict[str, Any], payload_version: str, latency_ms: int | None
) -> dict[str, Any] | None:
    """requestContext.authorizer for the route's authorizer `kind` (an AuthorizerSpec.kind);
    None where API Gateway sends none (IAM on a REST API, say)."""
    lambda_kind = kind in ("ChaliceAuthorizer", "CustomAuthorizer")
    if payload_version != "2.0":
        if lambda_kind and latency_ms is not None:
            return {**context, "integrationLatency": latency_ms}
        return context or None
    if lambda_kind:
        # HTTP APIs nest a Lambda authorizer's context under "lambda".
        found = {k: v for k, v in context.items() if k != "principalId"}
        answer: dict[str, Any] = {"lambda": found}
        if context.get("principalId") is not None:
            answer["principalId"] = context["principalId"]
        return answer
    if kind == "CognitoUserPoolAuthorizer":
        return {"jwt": {"claims": context.get("claims"), "scopes": None}}
    if kind == "IAMAuthorizer":
        return {"iam": {}}
    return context or None
