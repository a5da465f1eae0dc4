"""The request a view sees as `app.current_request`, with Chalice's attributes.

A Request is built either from an API Gateway REST event (Chalice's constructor,
`Request(event_dict, lambda_context)`) or, on the hot path, from an ASGI scope and
body. Fields that cost something to build (query string, request context, the
original event) are computed on first use.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from ._errors import BadRequestError, InvalidEventError
from ._routing import RouteMatch

if TYPE_CHECKING:
    from .._doors._http_events import HttpEvent
from ._structures import CaseInsensitiveMapping, MultiDict

_UNSET: Any = object()


class Request:
    """An HTTP request as Chalice exposes it (query_params is None when there is none)."""

    _NON_SERIALIZED_ATTRS = ("lambda_context",)
    _route: RouteMatch  # set by the front door that matched this request
    # Set by front doors that stand for an API Gateway REST API (its Lambda events, the
    # test client): they refuse a binary answer the Accept header did not ask for.
    _via_rest_api = False

    def __init__(self, event_dict: dict[str, Any], lambda_context: Any = None) -> None:
        """Build a request from an API Gateway REST (payload 1.0) proxy event."""
        multi_query = event_dict.get("multiValueQueryStringParameters")
        if multi_query is None and event_dict.get("queryStringParameters"):
            multi_query = {k: [v] for k, v in event_dict["queryStringParameters"].items()}
        self._query_params: MultiDict | None = (
            None if multi_query is None else MultiDict(multi_query)
        )
        self._headers: CaseInsensitiveMapping | None = CaseInsensitiveMapping(
            event_dict.get("headers") or {}
        )
        self._http_event: HttpEvent | None = None
        self.uri_params: dict[str, str] | None = event_dict.get("pathParameters")
        context = event_dict.get("requestContext") or {}
        self.method: str = context.get("httpMethod") or event_dict.get("httpMethod", "")
        self._context: dict[str, Any] = context
        self._stage_vars: dict[str, str] | None = event_dict.get("stageVariables")
        self.path: str = context.get("resourcePath") or event_dict.get("resource", "")
        self.lambda_context = lambda_context
        body = event_dict.get("body")
        if body is None:
            self._raw_body = b""
        elif event_dict.get("isBase64Encoded"):
            self._raw_body = base64.b64decode(body)
        else:
            self._raw_body = body.encode("utf-8") if isinstance(body, str) else body
        self._json_body: Any = _UNSET
        self._event_dict: dict[str, Any] | None = event_dict
        self._scope: MutableMapping[str, Any] | None = None
        self._raw_query = ""

    @classmethod
    def from_scope(
        cls,
        scope: MutableMapping[str, Any],
        body: bytes,
        resource: str,
        uri_params: dict[str, str] | None,
        lambda_context: Any = None,
    ) -> Request:
        """Build a request from an ASGI HTTP scope, lazily (the hot path)."""
        request = cls.__new__(cls)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name in headers:  # a repeated header is one comma-joined value (RFC 9110)
                value = headers[name] + ("; " if name == "cookie" else ",") + value
            headers[name] = value
        request._headers = CaseInsensitiveMapping.from_lowercase(headers)
        request._http_event = None
        request.method = scope["method"]
        request.path = resource
        request.uri_params = uri_params
        request.lambda_context = lambda_context
        request._raw_body = body
        request._json_body = _UNSET
        request._query_params = _UNSET
        request._context = _UNSET
        request._stage_vars = _UNSET
        request._event_dict = scope.get("aws.event")
        request._scope = scope
        request._raw_query = scope["query_string"].decode("latin-1")
        return request

    @classmethod
    def from_http_event(
        cls,
        http: HttpEvent,
        event: dict[str, Any],
        lambda_context: Any,
        resource: str,
        uri_params: dict[str, str] | None,
    ) -> Request:
        """Build a request from any of Lambda's HTTP front doors (the Lambda hot path)."""
        request = cls.__new__(cls)
        request._headers = None  # built from the event on first read
        request._http_event = http
        request.method = http.method
        request.path = resource
        request.uri_params = uri_params
        request.lambda_context = lambda_context
        # A base64 body is decoded when first read (raw_body), so a bad one fails only
        # the views that read it.
        body = http._body
        request._raw_body = body if type(body) is bytes else _UNSET
        request._json_body = _UNSET
        if http.query is None:
            request._query_params = _UNSET
            request._raw_query = http.query_string
        else:  # REST and ALB give the query already split and decoded
            request._query_params = MultiDict(http.query) if http.query else None
            request._raw_query = ""
        request._context = _UNSET
        request._stage_vars = _UNSET
        request._event_dict = event
        request._scope = None
        return request

    # -- lazily built fields ------------------------------------------------------------

    @property
    def headers(self) -> CaseInsensitiveMapping:
        if self._headers is None:
            assert self._http_event is not None  # the only way _headers is left unset
            self._headers = CaseInsensitiveMapping.from_lowercase(self._http_event.headers)
        return self._headers

    @headers.setter
    def headers(self, value: CaseInsensitiveMapping) -> None:
        self._headers = value

    def _has_header(self, lower_name: str) -> bool:
        """Whether a header is present; a Lambda event's headers are not built to answer."""
        http = self._http_event
        if self._headers is None and http is not None:
            source = http._header_source
            if http._headers is None and source is not None:  # HttpEvent.has_header, inlined
                return f"\n{lower_name}\n" in source[1].lower()
            return lower_name in http.headers
        return lower_name in self.headers

    @property
    def query_params(self) -> MultiDict | None:
        if self._query_params is _UNSET:
            raw = self._raw_query
            self._query_params = MultiDict.from_pairs(_parse_query(raw)) if raw else None
        return self._query_params

    @query_params.setter
    def query_params(self, value: MultiDict | None) -> None:
        self._query_params = value

    @property
    def context(self) -> dict[str, Any]:
        if self._context is _UNSET:
            if self._event_dict is not None:
                self._context = _request_context(self._event_dict)
            else:
                self._context = self._synthesized_context()
        return self._context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._context = value

    @property
    def stage_vars(self) -> dict[str, str] | None:
        if self._stage_vars is _UNSET:
            event = self._event_dict
            self._stage_vars = event.get("stageVariables") if event is not None else None
        return self._stage_vars

    @stage_vars.setter
    def stage_vars(self, value: dict[str, str] | None) -> None:
        self._stage_vars = value

    @property
    def raw_body(self) -> bytes:
        body: bytes = self._raw_body
        if body is _UNSET:
            body = self._raw_body = self._decoded_body()
        return body

    def _decoded_body(self) -> bytes:
        assert self._http_event is not None  # the only way _raw_body is left unset
        try:
            return self._http_event.body
        except InvalidEventError as error:  # the client sent it: a 400, not a 500
            raise BadRequestError(f"The request {error}") from None

    @property
    def json_body(self) -> Any:
        """The body parsed as JSON, for application/json requests; otherwise None."""
        # Media types are case-insensitive (RFC 9110); Chalice compares case-sensitively.
        if not self.headers.get("content-type", "").lower().startswith("application/json"):
            return None
        if self._json_body is _UNSET:
            try:
                self._json_body = json.loads(self.raw_body)
            # ValueError includes bodies that are not UTF-8; RecursionError is nesting
            # deeper than the parser's stack ('[' * 50000): the client's fault either way.
            except (ValueError, RecursionError):
                raise BadRequestError("Error Parsing JSON") from None
        return self._json_body

    # -- Chalice's serialisation helpers ---------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        query = self.query_params
        return {
            "query_params": None if query is None else dict(query),
            "headers": dict(self.headers),
            "uri_params": self.uri_params,
            "method": self.method,
            "context": self.context,
            "stage_vars": self.stage_vars,
            "path": self.path,
        }

    def to_original_event(self) -> dict[str, Any]:
        """The Lambda event this request came from (synthesised as REST v1 off Lambda)."""
        if self._event_dict is None:
            self._event_dict = self._synthesized_event()
        return self._event_dict

    # -- off Lambda: what API Gateway would have sent ------------------------------

    def _request_path(self) -> str:
        scope = self._scope or {}
        return str(scope.get("path", self.path))

    def _synthesized_context(self) -> dict[str, Any]:
        scope = self._scope or {}
        client = scope.get("client") or ("127.0.0.1", 0)
        context = {
            "resourcePath": self.path,
            "httpMethod": self.method,
            "path": self._request_path(),
            "stage": scope.get("chalicelike.stage", "api"),
            "requestId": _request_id(),
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/" + str(scope.get("http_version", "1.1")),
            "domainName": self.headers.get("host", "localhost"),
            "identity": {"sourceIp": client[0], "userAgent": self.headers.get("user-agent")},
        }
        if "chalicelike.authorizer" in scope:  # what a local authorizer decided
            context["authorizer"] = scope["chalicelike.authorizer"]
        return context

    def _synthesized_event(self) -> dict[str, Any]:
        query = self.query_params
        body = self.raw_body
        try:
            text_body: str | None = body.decode("utf-8") if body else None
            is_base64 = False
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode("ascii"), True
        headers = dict(self.headers)
        return {
            "resource": self.path,
            "path": self._request_path(),
            "httpMethod": self.method,
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": None if query is None else dict(query),
            "multiValueQueryStringParameters": None if query is None else query.to_lists(),
            "pathParameters": self.uri_params,
            "stageVariables": self.stage_vars,
            "requestContext": self.context,
            "body": text_body,
            "isBase64Encoded": is_base64,
        }


def _request_context(event: dict[str, Any]) -> dict[str, Any]:
    """requestContext of API Gateway, ALB and Function URL events; Lambda@Edge's cf.config."""
    context = event.get("requestContext")
    if isinstance(context, dict):
        return context
    try:
        config = event["Records"][0]["cf"]["config"]
    except (KeyError, IndexError, TypeError):
        return {}
    return config if isinstance(config, dict) else {}


def _request_id() -> str:
    # uuid (and the platform module it pulls in) only off Lambda, where ids are invented.
    import uuid

    return str(uuid.uuid4())


def _parse_query(raw: str) -> list[tuple[str, str]]:
    # Imported when a raw query string is first parsed: REST events arrive pre-split.
    from urllib.parse import parse_qsl

    return parse_qsl(raw, keep_blank_values=True)
