"""The event API Gateway sends Lambda for one HTTP request: REST API payload 1.0 or HTTP API 2.0.

`IncomingRequest.from_scope` reads the ASGI scope once; `rest_event` / `http_api_event` add
what the local gateway knows (ids, forwarded headers, body encoding) and shape it with the
shared builders of `_doors/_api_gateway_events`. A REQUEST Lambda authorizer receives the
same event without its body (`authorizer_event`).
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from .._core._response import media_type_in
from .._doors._api_gateway_events import GatewayFacts, request_time, rest_api_event
from .._doors._api_gateway_events import http_api_event as http_api_event_of
from .._tooling._gateway_auth import AuthorizerCall, GatewayRequest
from ._trace_segments import gateway_segment, parse_header

__all__ = [
    "IncomingRequest",
    "authorizer_context",
    "authorizer_event",
    "http_api_event",
    "request_time",
    "rest_event",
]

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
        "segment_id",
        "source_ip",
        "trace_header",
        "trace_id",
        "trace_parent",
        "trace_sent",
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
        noise = os.urandom(47)
        h = noise[:16].hex()
        self.request_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[noise[8] & 3]}{h[17:20]}-{h[20:]}"
        # The shape of x-amz-apigw-id / an HTTP API's request id: base64 of random bytes.
        self.extended_id = base64.b64encode(noise[16:27]).decode("ascii")
        self.trace_id = f"Root=1-{int(now):08x}-{noise[27:39].hex()}"
        self.segment_id = noise[39:].hex()  # the gateway's own X-Ray segment, if it makes one
        self.trace_parent: str | None = None  # the client's segment, from its trace header
        self.trace_header = self.trace_id  # what the function is given (see join_trace)
        self.trace_sent = False  # whether the client's own header names the trace

    def join_trace(self, segment: bool) -> None:
        """Continue the trace of the client's X-Amzn-Trace-Id if it sent one (API Gateway
        adds a header only to a request that has none), and say what the integration
        gets: with the gateway's own `segment` (a REST API, which X-Ray traces), a header
        naming it as the Parent, sampled (everything is, locally)."""
        sent = self.headers.get("x-amzn-trace-id")
        if sent is not None:
            root, self.trace_parent = parse_header(sent[-1])
            if root is not None:
                self.trace_id = f"Root={root}"
                self.trace_sent = True
        if segment:
            self.trace_header = f"{self.trace_id};Parent={self.segment_id};Sampled=1"
        elif self.trace_parent is not None:
            self.trace_header = f"{self.trace_id};Parent={self.trace_parent};Sampled=1"
        else:
            self.trace_header = self.trace_id

    def xray_segment(self, name: str, status: int, content_length: int) -> dict[str, Any]:
        """The gateway's X-Ray segment for this request, answered with `status`."""
        query = f"?{self.query_string}" if self.query_string else ""
        http_request = {
            "method": self.method,
            "url": f"http://{self.header('host') or 'localhost'}{self.raw_path}{query}",
            "client_ip": self.source_ip,
            "user_agent": self.header("user-agent") or "",
        }
        return gateway_segment(
            name=name,
            segment_id=self.segment_id,
            root=self.trace_id[len("Root=") :],
            parent_id=self.trace_parent,
            start_time=self.epoch_ms / 1000,
            request=http_request,
            status=status,
            content_length=content_length,
            request_id=self.request_id,
        )

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


def _forwarded(request: IncomingRequest, port: str) -> dict[str, list[str]]:
    """The client's headers plus those API Gateway adds on the way to Lambda."""
    headers = dict(request.headers)
    forwarded = request.header("x-forwarded-for")
    ip = request.source_ip
    headers["x-forwarded-for"] = [f"{forwarded}, {ip}" if forwarded else ip]
    headers.setdefault("x-forwarded-port", [port])
    headers.setdefault("x-forwarded-proto", ["http"])
    if not request.trace_sent:
        # API Gateway adds the header to a request that has none (or none X-Ray can read);
        # the function's own Parent comes with the invocation (Lambda-Runtime-Trace-Id).
        headers["x-amzn-trace-id"] = [request.trace_id]
    return headers


def _port(request: IncomingRequest) -> str:
    host = request.header("host") or ""
    _, colon, port = host.rpartition(":")
    return port if colon and port.isdigit() else "80"


def _facts(request: IncomingRequest) -> GatewayFacts:
    # The Host the client used ('127.0.0.1:8000'): what it would build URLs from.
    return GatewayFacts(
        request.request_id,
        request.epoch_ms,
        domain=request.header("host") or "localhost",
        source_ip=request.source_ip,
        user_agent=request.header("user-agent"),
        protocol=request.protocol,
        extended_id=request.extended_id,
    )


def rest_event(
    request: IncomingRequest,
    resource: str,
    resource_id: str,
    params: Mapping[str, str],
    api_stage: str,
    binary_types: frozenset[str],
) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0), without requestContext.authorizer.

    requestContext.path is the path the client used, as behind a custom domain mapped at
    its root (and as Chalice's local server has it): local URLs carry no stage, and an
    app mounted with asgi_handler builds its links (Swagger's openapi.json) from it.
    """
    body, is_base64 = _rest_body(request, binary_types)
    return rest_api_event(
        request.method,
        request.path,
        resource,
        _forwarded(request, _port(request)),
        request.query(),
        dict(params) or None,
        body,
        is_base64,
        api_stage,
        _facts(request),
        resource_id=resource_id,
    )


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
    body, is_base64 = _http_api_body(request) if request.body else (None, False)
    return http_api_event_of(
        request.method,
        request.path,
        request.raw_path,
        request.query_string,
        headers,
        request.query(),
        params,
        body,
        is_base64,
        route_key,
        "$default",
        _facts(request),
        cookies,
    )


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
