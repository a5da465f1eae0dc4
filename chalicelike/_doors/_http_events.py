"""Lambda's HTTP front doors: which one sent an event, and what the request in it is.

API Gateway REST (payload 1.0), HTTP APIs (payload 2.0), Function URLs (2.0 as
well), ALB target groups, Lambda@Edge and VPC Lattice (event structures 1.0 and
2.0) each put the same HTTP request in a different shape. `parse_http_event`
reads any of them into one `HttpEvent`, and raises InvalidEventError naming the
problem for anything else. No I/O, no dependencies: this runs on every warm invoke.
"""

from __future__ import annotations

import base64
import binascii
import enum
from typing import Any

from .._core._errors import InvalidEventError


class HttpEventSource(enum.Enum):
    """The service that invoked the function, which also decides the answer's shape."""

    REST_API = "API Gateway REST API (payload 1.0)"
    HTTP_API = "API Gateway HTTP API (payload 2.0)"
    FUNCTION_URL = "Lambda Function URL"
    ALB = "Application Load Balancer"
    LAMBDA_EDGE = "Lambda@Edge"
    VPC_LATTICE = "VPC Lattice (event structure 1.0)"
    VPC_LATTICE_V2 = "VPC Lattice (event structure 2.0)"


class HttpEvent:
    """The HTTP request inside a Lambda event, whatever its source."""

    __slots__ = (
        "_body",
        "_header_source",
        "_headers",
        "method",
        "multi_value",
        "path_params",
        "query",
        "query_string",
        "resource",
        "root_path",
        "route_path",
        "source",
    )

    def __init__(
        self,
        source: HttpEventSource,
        method: str,
        route_path: str,
        headers: dict[str, str] | RawHeaders,
        body: bytes | Base64Body,
        root_path: str = "",
        query: dict[str, list[str]] | None = None,
        query_string: str = "",
        resource: str | None = None,
        path_params: dict[str, str] | None = None,
        multi_value: bool = False,
    ) -> None:
        self.source = source
        self.method = method
        self.route_path = route_path  # as the app routes it: without the stage prefix
        self.root_path = root_path  # HTTP API: the named stage before the path, if any
        # Lower-case names, repeats joined; REST builds them only when first read.
        self._headers: dict[str, str] | None
        self._header_source: RawHeaders | None
        if isinstance(headers, RawHeaders):
            self._headers, self._header_source = None, headers
        else:
            self._headers, self._header_source = headers, None
        self._body = body
        self.query = query  # decoded values, when the source gives them decoded
        self.query_string = query_string  # the raw query, when the source gives it raw
        self.resource = resource  # REST only: the route API Gateway matched
        self.path_params = path_params  # REST only: its parameters
        self.multi_value = multi_value  # ALB: the target group sends and wants multiValue*

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            assert self._header_source is not None  # set whenever _headers is not
            single = self._header_source[0]
            self._headers = {name.lower(): value for name, value in single.items()}
        return self._headers

    def has_header(self, lower_name: str) -> bool:
        """Whether a header is present, without building the headers if they are lazy."""
        source = self._header_source
        if self._headers is None and source is not None:
            # One C-level search of the names joined at parse time, not a Python loop.
            return f"\n{lower_name}\n" in source[1].lower()
        return lower_name in self.headers

    @property
    def body(self) -> bytes:
        """The body's bytes; a base64 body is decoded here, on first read.

        InvalidEventError if it is not base64 after all: only a request whose body is
        read fails, so a GET view that never reads it is still served.
        """
        body = self._body
        if isinstance(body, Base64Body):
            body = self._body = body.decode()
        return body


class Base64Body:
    """A body sent base64-encoded, decoded only when something reads it."""

    __slots__ = ("flag", "text")

    def __init__(self, text: str, flag: str) -> None:
        self.text = text
        self.flag = flag  # the event field that says it is base64, for the error

    def decode(self) -> bytes:
        try:
            return base64.b64decode(self.text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidEventError(f"body is not base64, though {self.flag} says it is") from None


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


def parse_http_event(event: Any) -> HttpEvent:
    """Read the HTTP request out of a Lambda event from any of Lambda's front doors."""
    source = identify_source(event)
    try:
        if source is HttpEventSource.REST_API:
            return _parse_rest(event, source)  # the common case, without a table lookup
        return _PARSERS[source](event, source)
    except InvalidEventError as error:  # raised naming the field; say which event it was
        raise InvalidEventError(f"Malformed {source.value} event: {error}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise InvalidEventError(f"Malformed {source.value} event: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error)


# -- the shapes ---------------------------------------------------------------------


def _parse_rest(event: dict[str, Any], source: HttpEventSource) -> HttpEvent:
    # The hot path of every REST invoke: few calls, each field checked once.
    method, path, resource = event.get("httpMethod"), event.get("path"), event.get("resource")
    if method is None or path is None or resource is None:
        method, path, resource = _rest_from_context(event, method, path, resource)
    if type(method) is not str or type(path) is not str:
        raise InvalidEventError("fields 'httpMethod' and 'path' must be strings")
    multi_query = event.get("multiValueQueryStringParameters")
    if multi_query is None and event.get("queryStringParameters"):
        multi_query = {k: [v] for k, v in _mapping(event, "queryStringParameters").items()}
    body = event.get("body")
    return HttpEvent(
        source,
        method.upper(),
        path,
        _rest_headers(event.get("headers"), event.get("multiValueHeaders")),
        _body(body, event.get("isBase64Encoded")) if body else b"",
        "",
        _checked_multi(multi_query, "multiValueQueryStringParameters"),
        "",
        resource if type(resource) is str else None,
        _optional_mapping(event, "pathParameters"),
    )


def _rest_from_context(
    event: dict[str, Any], method: Any, path: Any, resource: Any
) -> tuple[Any, Any, Any]:
    """Method, path and resource of a REST event that has them only in requestContext.

    Chalice reads requestContext.httpMethod and .resourcePath, so hand-made events (and
    tests) often carry nothing else. The path comes from requestContext.path without the
    stage, or from the resource with its parameters filled in.
    """
    context = event["requestContext"]
    if method is None:
        method = context.get("httpMethod")
        if method is None:
            raise KeyError("httpMethod")
    if resource is None and type(context.get("resourcePath")) is str:
        resource = context["resourcePath"]
    if path is None:
        path = _path_from_context(context, resource, event.get("pathParameters"))
    return method, path, resource


def _path_from_context(context: dict[str, Any], resource: Any, params: Any) -> str:
    full_path, stage = context.get("path"), context.get("stage")
    if type(full_path) is str and full_path.startswith("/"):
        prefix = f"/{stage}" if type(stage) is str else None
        if prefix and (full_path == prefix or full_path.startswith(prefix + "/")):
            return full_path[len(prefix) :] or "/"
        return full_path
    if type(resource) is str:
        path = resource
        for name, value in (params if type(params) is dict else {}).items():
            if type(value) is str:
                path = path.replace("{" + name + "+}", value).replace("{" + name + "}", value)
        if "{" not in path:
            return path
    raise KeyError("path")


def _parse_v2(event: dict[str, Any], source: HttpEventSource) -> HttpEvent:
    context = event["requestContext"]
    http = context["http"]
    raw_path = _text(event, "rawPath") if "rawPath" in event else _text(http, "path")
    # A named stage shows in rawPath ('/dev/orders'); the app's routes do not have it.
    stage = context.get("stage")
    root_path = ""
    if isinstance(stage, str) and stage != "$default":
        prefix = "/" + stage
        if raw_path == prefix or raw_path.startswith(prefix + "/"):
            root_path, raw_path = prefix, raw_path[len(prefix) :] or "/"
    headers = _headers_from(event.get("headers"), None)
    cookies = event.get("cookies")
    if cookies:
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise InvalidEventError("cookies must be a list of strings")
        headers["cookie"] = "; ".join(cookies)
    query_string = event.get("rawQueryString") or ""
    if not isinstance(query_string, str):
        raise InvalidEventError("rawQueryString must be a string")
    return HttpEvent(
        source,
        _text(http, "method").upper(),
        raw_path,
        headers,
        _body(event.get("body"), event.get("isBase64Encoded")),
        root_path=root_path,
        query_string=query_string,
    )


def _parse_alb(event: dict[str, Any], source: HttpEventSource) -> HttpEvent:
    multi_value = "multiValueHeaders" in event
    headers = _headers_from(event.get("headers"), event.get("multiValueHeaders"))
    # "If the query parameters are URL-encoded, the load balancer does not decode them."
    raw_query = event.get("multiValueQueryStringParameters")
    if raw_query is None:
        single = _optional_mapping(event, "queryStringParameters") or {}
        raw_query = {k: [v] for k, v in single.items()}
    query = {
        _unquote_plus(key): [_unquote_plus(v) for v in values]
        for key, values in (_checked_multi(raw_query, "query string") or {}).items()
    }
    return HttpEvent(
        source,
        _text(event, "httpMethod").upper(),
        _text(event, "path") or "/",
        headers,
        _body(event.get("body"), event.get("isBase64Encoded")),
        query=query,
        multi_value=multi_value,
    )


def _parse_edge(event: dict[str, Any], source: HttpEventSource) -> HttpEvent:
    request = event["Records"][0]["cf"]["request"]
    headers: dict[str, str] = {}
    for name, entries in _mapping(request, "headers").items():
        if not isinstance(entries, list):
            raise InvalidEventError(f"header {name!r} must be a list of key/value objects")
        values = [_text(entry, "value") for entry in entries]
        headers[name.lower()] = _join(name.lower(), values)
    body_field = request.get("body") or {}
    data = body_field.get("data") if isinstance(body_field, dict) else None
    query_string = request.get("querystring") or ""
    if not isinstance(query_string, str):
        raise InvalidEventError(
            f"field 'querystring' must be a string, not {type(query_string).__name__}"
        )
    return HttpEvent(
        source,
        _text(request, "method").upper(),
        _text(request, "uri") or "/",
        headers,
        _body(data, body_field.get("encoding") == "base64" if data else False, "body.encoding"),
        query_string=query_string,
    )


def _parse_lattice(event: dict[str, Any], source: HttpEventSource) -> HttpEvent:
    # Structure 1.0 spells its fields in snake case; 2.0 in camel case, with list values.
    v2 = source is HttpEventSource.VPC_LATTICE_V2
    path = _text(event, "path" if v2 else "raw_path") or "/"
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
        headers[name.lower()] = _join(name.lower(), _strings(name, values))
    flag = "isBase64Encoded" if v2 else "is_base64_encoded"
    return HttpEvent(
        source,
        _text(event, "method").upper(),
        path or "/",
        headers,
        _body(event.get("body"), event.get(flag), flag),
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
    HttpEventSource.REST_API: _parse_rest,
    HttpEventSource.HTTP_API: _parse_v2,
    HttpEventSource.FUNCTION_URL: _parse_v2,
    HttpEventSource.ALB: _parse_alb,
    HttpEventSource.LAMBDA_EDGE: _parse_edge,
    HttpEventSource.VPC_LATTICE: _parse_lattice,
    HttpEventSource.VPC_LATTICE_V2: _parse_lattice,
}


# -- small readers that say what is wrong ------------------------------------------------


def _text(container: Any, key: str) -> str:
    value = container[key]
    if not isinstance(value, str):
        raise InvalidEventError(f"field {key!r} must be a string, not {type(value).__name__}")
    return value


def _mapping(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container[key]
    if not isinstance(value, dict):
        raise InvalidEventError(f"field {key!r} must be an object, not {type(value).__name__}")
    return value


def _optional_mapping(container: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEventError(f"field {key!r} must be an object, not {type(value).__name__}")
    return value


def _checked_multi(value: Any, what: str) -> dict[str, list[str]] | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise InvalidEventError(f"{what} must map names to lists of strings")
    for key, values in value.items():
        if type(key) is not str or type(values) is not list:
            raise InvalidEventError(f"{what} must map names to lists of strings")
        for item in values:
            if type(item) is not str:
                raise InvalidEventError(f"{what}[{key!r}] holds a {type(item).__name__}")
    return value


def _headers_from(single: Any, multi: Any) -> dict[str, str]:
    """Lower-case header names; multi-value headers win and are comma-joined."""
    headers: dict[str, str] = {}
    if multi:
        for name, values in (_checked_multi(multi, "multiValueHeaders") or {}).items():
            lower = name.lower()
            headers[lower] = values[0] if len(values) == 1 else _join(lower, values)
        return headers
    if single:
        if type(single) is not dict:
            raise InvalidEventError("headers must be an object")
        for name, value in single.items():
            if type(name) is not str or type(value) is not str:
                raise InvalidEventError(f"header {name!r} must be a string")
            headers[name.lower()] = value
    return headers


def _rest_headers(single: Any, multi: Any) -> dict[str, str] | RawHeaders:
    """REST events carry each header twice: `headers` (last value) and `multiValueHeaders`.

    In the usual event both hold the same headers once each: that is checked here in C
    loops, and the lower-cased dict is built only if something reads a header (a GET
    whose view reads none never pays for it). Other events are read in full at once.
    """
    if not (type(single) is dict and type(multi) is dict and len(single) == len(multi) > 0):
        return _headers_from(single, multi)
    try:
        names = "\n".join(single)  # every name is a string (has_header searches this)
        "".join(single.values())  # every value is a string
        repeated = sum(map(len, multi.values())) != len(multi)
    except TypeError:
        raise InvalidEventError("header names and values must be strings") from None
    if repeated:
        return _headers_from(None, multi)
    return RawHeaders((single, f"\n{names}\n"))


class RawHeaders(tuple[dict[str, str], str]):
    """`(headers, names)`: a REST event's checked `headers`, lower-cased when one is read,
    and their names, one per line, for has_header.

    A tuple, so that making one on every invoke runs no Python code.
    """


def _join(lower_name: str, values: list[str]) -> str:
    # Repeats of one header are one comma-separated value (RFC 9110), but cookies
    # are separated by '; ' (RFC 6265).
    return ("; " if lower_name == "cookie" else ",").join(values)


def _body(body: Any, is_base64: Any, flag: str = "isBase64Encoded") -> bytes | Base64Body:
    if body is None or body == "":
        return b""
    if not isinstance(body, str):
        raise InvalidEventError(f"body must be a string, not {type(body).__name__}")
    if is_base64:
        return Base64Body(body, flag)
    return body.encode("utf-8", "surrogatepass")


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
