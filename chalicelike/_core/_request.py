"""The request a view sees as `app.current_request`, with Chalice's attributes.

Every Request is read from one neutral `HttpRequest` by one initialiser: the pipeline
makes it for the route it matched (`request_for_route`), and Chalice's constructor
`Request(event_dict, lambda_context)` reads a REST event into one first. Fields that
cost something to build (headers, query string, body, request context) are read on
first use.
"""

from __future__ import annotations

import json

from ._errors import BadRequestError, InvalidEventError
from ._http_request import HttpRequest, read_rest_event
from ._routing import Match, RouteMatch
from ._structures import CaseInsensitiveMapping, MultiDict, query_multi_dict

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Request", "request_for_route"]

_UNSET: Any = object()
_new_object = object.__new__
# The route of a Request made with Chalice's constructor: no pipeline matched it.
_NOT_MATCHED = RouteMatch(Match.NONE)


class Request:
    """An HTTP request as Chalice exposes it (query_params is None when there is none)."""

    _NON_SERIALIZED_ATTRS = ("lambda_context",)
    # The fields built on first read start as these class values, so making a request
    # (on every invoke) sets none of them: headers, query, body (a base64 body that is not
    # base64 fails only the views that read it), request context and stage variables.
    _headers: CaseInsensitiveMapping | None = None
    _query_params: MultiDict | None = _UNSET
    _raw_body: bytes = _UNSET
    _json_body: Any = _UNSET
    _context: dict[str, Any] = _UNSET
    _stage_vars: dict[str, str] | None = _UNSET

    def __init__(self, event_dict: dict[str, Any], lambda_context: Any = None) -> None:
        """Build a request from an API Gateway REST (payload 1.0) proxy event."""
        http = read_rest_event(event_dict)
        self._http = http
        self.method: str = http.method
        self.path: str = http.resource or http.route_path
        self.uri_params = http.path_params
        self.lambda_context = lambda_context
        self._route = _NOT_MATCHED  # no pipeline matched it
        self._query_params = None if http.query is None else query_multi_dict(http.query)
        # As Chalice's constructor: the headers are the event's `headers` field alone.
        self._headers = CaseInsensitiveMapping(event_dict.get("headers") or {})

    # -- lazily built fields ------------------------------------------------------------

    @property
    def headers(self) -> CaseInsensitiveMapping:
        if self._headers is None:
            self._headers = CaseInsensitiveMapping.from_lowercase(self._http.headers)
        return self._headers

    @headers.setter
    def headers(self, value: CaseInsensitiveMapping) -> None:
        self._headers = value

    def _has_content_type(self) -> bool:
        """Whether the request names a Content-Type; a Lambda event's headers are not built
        to answer (the pipeline asks on every request)."""
        if self._headers is None:
            http = self._http
            source = http._header_source
            if http._headers is None and source is not None:
                return "\ncontent-type\n" in source[1].lower()  # one C-level search
            return "content-type" in http.headers
        return "content-type" in self._headers

    @property
    def query_params(self) -> MultiDict | None:
        query: MultiDict | None = self._query_params
        if query is _UNSET:
            split = self._http.query
            if split is not None:  # REST and ALB give the query already split and decoded
                query = query_multi_dict(split)  # {} when every name had no values
            else:
                raw = self._http.query_string
                query = MultiDict.from_pairs(_parse_query(raw)) if raw else None
            self._query_params = query
        return query

    @query_params.setter
    def query_params(self, value: MultiDict | None) -> None:
        self._query_params = value

    @property
    def context(self) -> dict[str, Any]:
        if self._context is _UNSET:
            self._context = _request_context(self._http.original_event())
        return self._context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._context = value

    @property
    def stage_vars(self) -> dict[str, str] | None:
        if self._stage_vars is _UNSET:
            self._stage_vars = self._http.original_event().get("stageVariables")
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
        try:
            return self._http.body
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
        """The Lambda event this request came in (off Lambda, the REST event API Gateway
        would have sent)."""
        return self._http.original_event()


def request_for_route(
    http: HttpRequest, route: RouteMatch, uri_params: dict[str, str] | None
) -> Request:
    """The request a front door's HttpRequest makes once the pipeline matched its route."""
    # Every invoke makes one: the fields are set here, not by a shared initialiser, and by
    # a function, not a classmethod (whose bound method costs each call ~1% of an invoke).
    request: Request = _new_object(Request)
    request._http = http
    request.method = http.method
    request.path = route.resource or ""
    request.uri_params = uri_params
    request.lambda_context = http.lambda_context
    request._route = route
    return request


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


def _parse_query(raw: str) -> list[tuple[str, str]]:
    # Imported when a raw query string is first parsed: REST events arrive pre-split.
    from urllib.parse import parse_qsl

    return parse_qsl(raw, keep_blank_values=True)
