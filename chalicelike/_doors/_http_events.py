"""Lambda's HTTP front doors: which one sent an event, and what the request in it is.

API Gateway REST (payload 1.0), HTTP APIs (payload 2.0), Function URLs (2.0 as
well), ALB target groups, Lambda@Edge and VPC Lattice (event structures 1.0 and
2.0) each put the same HTTP request in a different shape. `parse_http_event`
reads any of them into one `HttpRequest`, and raises InvalidEventError naming the
problem for anything else. No I/O, no dependencies: this runs on every warm invoke.
"""

from __future__ import annotations

from .._core._errors import InvalidEventError
from .._core._http_request import (
    HttpEventSource,
    HttpRequest,
    checked_multi,
    event_body,
    headers_from,
    join_header,
    malformed,
    mapping_field,
    optional_mapping,
    read_rest_event,
    text_field,
)

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "HttpEventSource",
    "HttpRequest",
    "identify_source",
    "parse_http_event",
    "rest_root_path",
]


def identify_source(event: object) -> HttpEventSource:
    """Which front door sent `event`, or InvalidEventError saying what it looks like."""
    if not isinstance(event, dict):
        raise InvalidEventError(
            f"An HTTP handler takes a JSON object event, not {type(event).__name__}"
        )
    context = event.get("requestContext")
    if (
        type(context) is dict
        and "resource" in event
        and "elb" not in context
        and "methodArn" not in event
    ):
        return HttpEventSource.REST_API  # the common case first: only REST has `resource`
    if "methodArn" in event or "routeArn" in event:
        raise _authorizer_event(event)
    if isinstance(context, dict):
        if "elb" in context:
            return HttpEventSource.ALB
        if "serviceNetworkArn" in context or "targetGroupArn" in context:
            return HttpEventSource.VPC_LATTICE_V2
        if event.get("version") == "2.0" or isinstance(context.get("http"), dict):
            domain = context.get("domainName")
            if isinstance(domain, str) and ".lambda-url." in domain:
                return HttpEventSource.FUNCTION_URL
            return HttpEventSource.HTTP_API
        if "httpMethod" in event or "resource" in event:
            return HttpEventSource.REST_API
        if "httpMethod" in context or "resourcePath" in context:
            return HttpEventSource.REST_API  # trimmed by hand: what Chalice itself reads
        if "routeKey" in context and "connectionId" in context:
            raise InvalidEventError(
                "This is an API Gateway websocket event; websocket routes have their own "
                "handlers (@app.on_ws_connect / on_ws_message / on_ws_disconnect)"
            )
    elif "raw_path" in event and "method" in event:
        return HttpEventSource.VPC_LATTICE  # structure 1.0 has no requestContext
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        if "cf" in records[0]:
            _refuse_edge_response(records[0]["cf"])
            return HttpEventSource.LAMBDA_EDGE
        origin = records[0].get("eventSource") or records[0].get("EventSource")
        raise InvalidEventError(
            f"This is an event from {origin or 'a Records list'!r}, not an HTTP request; give "
            "its event source a handler of its own (an @app.on_... function), not the HTTP "
            "handler"
        )
    keys = ", ".join(sorted(str(k) for k in event)[:8]) or "no keys"
    raise InvalidEventError(
        "Not an HTTP event from API Gateway (REST or HTTP API), a Function URL, an ALB, "
        f"Lambda@Edge or VPC Lattice: its top-level keys are {keys}"
    )


def _authorizer_event(event: dict[str, Any]) -> InvalidEventError:
    # API Gateway sends these to an authorizer's own Lambda function, never to the API's.
    kind = event.get("type")
    what = f"{kind} authorizer" if isinstance(kind, str) else "authorizer"
    field = "methodArn" if "methodArn" in event else "routeArn"
    return InvalidEventError(
        f"This is an API Gateway {what} event (it has {field}), "
        "not an HTTP request: an authorizer is a Lambda function of its own (@app.authorizer "
        "gives it a handler), not the app's HTTP handler"
    )


def _refuse_edge_response(cf: Any) -> None:
    """Origin- and viewer-response triggers carry the response: there is no request to serve."""
    if isinstance(cf, dict) and "response" in cf:
        config = cf.get("config")
        trigger = config.get("eventType") if isinstance(config, dict) else None
        name = f"{trigger} " if isinstance(trigger, str) else "response "
        raise InvalidEventError(
            f"This is a Lambda@Edge {name}event: it carries the origin's response for the "
            "function to change, not a request for the app to answer; chalicelike serves "
            "viewer-request and origin-request triggers"
        )


def parse_http_event(event: Any) -> HttpRequest:
    """Read the HTTP request out of a Lambda event from any of Lambda's front doors."""
    if type(event) is dict:  # identify_source's first test, inlined for the usual event
        context = event.get("requestContext")
        if (
            type(context) is dict
            and "resource" in event
            and "elb" not in context
            and "methodArn" not in event
        ):
            return read_rest_event(event)
    source = identify_source(event)
    if source is HttpEventSource.REST_API:
        return read_rest_event(event)  # the common case, without a table lookup
    try:
        http = _PARSERS[source](event, source)
    except (InvalidEventError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise malformed(source, error) from None  # says which event it was
    http.event = event
    return http


# -- the shapes ---------------------------------------------------------------------


def _parse_v2(event: dict[str, Any], source: HttpEventSource) -> HttpRequest:
    context = event["requestContext"]
    http = context["http"]
    raw_path = text_field(event, "rawPath") if "rawPath" in event else text_field(http, "path")
    # A named stage shows in rawPath ('/dev/orders'); the app's routes do not have it.
    stage = context.get("stage")
    root_path = ""
    if isinstance(stage, str) and stage != "$default":
        prefix = "/" + stage
        if raw_path == prefix or raw_path.startswith(prefix + "/"):
            root_path, raw_path = prefix, raw_path[len(prefix) :] or "/"
    headers = headers_from(event.get("headers"), None)
    cookies = event.get("cookies")
    if cookies:
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise InvalidEventError("cookies must be a list of strings")
        headers["cookie"] = "; ".join(cookies)
    query_string = event.get("rawQueryString") or ""
    if not isinstance(query_string, str):
        raise InvalidEventError("rawQueryString must be a string")
    return HttpRequest(
        source,
        text_field(http, "method").upper(),
        raw_path,
        headers,
        event_body(event.get("body"), event.get("isBase64Encoded")),
        root_path=root_path,
        query_string=query_string,
    )


def _parse_alb(event: dict[str, Any], source: HttpEventSource) -> HttpRequest:
    multi_value = "multiValueHeaders" in event
    headers = headers_from(event.get("headers"), event.get("multiValueHeaders"))
    # "If the query parameters are URL-encoded, the load balancer does not decode them."
    raw_query = event.get("multiValueQueryStringParameters")
    if raw_query is None:
        single = optional_mapping(event, "queryStringParameters") or {}
        raw_query = {k: [v] for k, v in single.items()}
    query = {
        _unquote_plus(key): [_unquote_plus(v) for v in values]
        for key, values in (checked_multi(raw_query, "query string") or {}).items()
    }
    return HttpRequest(
        source,
        text_field(event, "httpMethod").upper(),
        text_field(event, "path") or "/",
        headers,
        event_body(event.get("body"), event.get("isBase64Encoded")),
        query=query,
        multi_value=multi_value,
    )


def _parse_edge(event: dict[str, Any], source: HttpEventSource) -> HttpRequest:
    request = event["Records"][0]["cf"]["request"]
    headers: dict[str, str] = {}
    for name, entries in mapping_field(request, "headers").items():
        if not isinstance(entries, list):
            raise InvalidEventError(f"header {name!r} must be a list of key/value objects")
        values = [text_field(entry, "value") for entry in entries]
        headers[name.lower()] = join_header(name.lower(), values)
    body_field = request.get("body") or {}
    data = body_field.get("data") if isinstance(body_field, dict) else None
    query_string = request.get("querystring") or ""
    if not isinstance(query_string, str):
        raise InvalidEventError(
            f"field 'querystring' must be a string, not {type(query_string).__name__}"
        )
    return HttpRequest(
        source,
        text_field(request, "method").upper(),
        text_field(request, "uri") or "/",
        headers,
        event_body(data, bool(data) and body_field.get("encoding") == "base64", "body.encoding"),
        query_string=query_string,
    )


def _parse_lattice(event: dict[str, Any], source: HttpEventSource) -> HttpRequest:
    # Structure 1.0 spells its fields in snake case; 2.0 in camel case, with list values.
    v2 = source is HttpEventSource.VPC_LATTICE_V2
    path = text_field(event, "path" if v2 else "raw_path") or "/"
    query_string = ""
    if "?" in path:  # a raw path may still carry its query
        path, query_string = path.split("?", 1)
    raw_query = event.get("queryStringParameters", event.get("query_string_parameters"))
    query = None
    if raw_query:
        if not isinstance(raw_query, dict):
            raise InvalidEventError("query parameters must be an object")
        query = {name: _strings(name, values) for name, values in raw_query.items()}
    headers: dict[str, str] = {}
    raw_headers = event.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise InvalidEventError("headers must be an object")
    for name, values in raw_headers.items():
        if not isinstance(name, str):
            raise InvalidEventError(f"header {name!r} must be a string")
        headers[name.lower()] = join_header(name.lower(), _strings(name, values))
    flag = "isBase64Encoded" if v2 else "is_base64_encoded"
    return HttpRequest(
        source,
        text_field(event, "method").upper(),
        path or "/",
        headers,
        event_body(event.get("body"), event.get(flag), flag),
        query=query,
        query_string=query_string,
    )


def _strings(name: Any, values: Any) -> list[str]:
    """A value given as a string or a list of strings (Lattice uses both), as a list."""
    if isinstance(values, str):
        return [values]
    if isinstance(values, list) and all(isinstance(v, str) for v in values):
        return values
    raise InvalidEventError(f"{name!r} must be a string or a list of strings")


_PARSERS = {
    HttpEventSource.HTTP_API: _parse_v2,
    HttpEventSource.FUNCTION_URL: _parse_v2,
    HttpEventSource.ALB: _parse_alb,
    HttpEventSource.LAMBDA_EDGE: _parse_edge,
    HttpEventSource.VPC_LATTICE: _parse_lattice,
    HttpEventSource.VPC_LATTICE_V2: _parse_lattice,
}


# -- small readers that say what is wrong ------------------------------------------------


def rest_root_path(event: dict[str, Any]) -> str:
    """The stage prefix of a REST request: requestContext.path '/dev/orders', path '/orders'."""
    context = event.get("requestContext")
    full_path = context.get("path") if isinstance(context, dict) else None
    return _prefix_before(full_path, str(event.get("path") or ""))


def _prefix_before(full_path: Any, path: str) -> str:
    if isinstance(full_path, str) and full_path != path and full_path.endswith(path):
        prefix = full_path[: len(full_path) - len(path)].rstrip("/")
        return prefix if prefix.startswith("/") else ""
    return ""


def _unquote_plus(text: str) -> str:
    # urllib.parse costs a cold start ~5 ms; only ALB events need it, and only with '%'/'+'.
    if "%" not in text and "+" not in text:
        return text
    from urllib.parse import unquote_plus

    return unquote_plus(text)
