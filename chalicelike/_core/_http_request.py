"""The neutral HTTP request every front door hands the pipeline, and the REST event reader.

Each door (Lambda's HTTP events, ASGI, the test client through the Lambda door) turns its
input into one `HttpRequest`: method, path, headers and body (both read lazily), query,
the route API Gateway already matched, the original event (or how to build it) and the
Lambda context. API Gateway REST events (payload 1.0) are read here, since Chalice's
`Request(event_dict)` takes them too; `_doors/_http_events` reads the other shapes with
the same field readers. No I/O, no dependencies: this runs on every warm invoke.
"""

from __future__ import annotations

from collections.abc import Callable

from ._errors import InvalidEventError

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from enum import Enum as LeanEnum
    from typing import Any
else:
    from ._lean_types import LeanEnum

__all__ = [
    "Base64Body",
    "HttpEventSource",
    "HttpRequest",
    "checked_multi",
    "event_body",
    "headers_from",
    "join_header",
    "malformed",
    "mapping_field",
    "optional_mapping",
    "read_rest_event",
    "text_field",
]


class HttpEventSource(LeanEnum):
    """The service that invoked the function, which also decides the answer's shape.

    A lean enum: an Enum member's hash and class attribute are Python calls, paid on
    every invoke (the answer writers are looked up by source).
    """

    REST_API = "API Gateway REST API (payload 1.0)"
    HTTP_API = "API Gateway HTTP API (payload 2.0)"
    FUNCTION_URL = "Lambda Function URL"
    ALB = "Application Load Balancer"
    LAMBDA_EDGE = "Lambda@Edge"
    VPC_LATTICE = "VPC Lattice (event structure 1.0)"
    VPC_LATTICE_V2 = "VPC Lattice (event structure 2.0)"


class HttpRequest:
    """One HTTP request, whatever door it came through (`source` is None off Lambda)."""

    __slots__ = (
        "_body",
        "_header_source",
        "_headers",
        "event",
        "lambda_context",
        "make_event",
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
        source: HttpEventSource | None,
        method: str,
        route_path: str,
        headers: dict[str, str],
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
        # Lower-case names, repeats joined; read_rest_event leaves them to first read
        # (None), with the event's own as the source.
        self._headers: dict[str, str] | None = headers
        self._header_source: RawHeaders | None = None
        self._body = body
        self.query = _listed_query(query)  # decoded, when the source gives it decoded
        self.query_string = query_string  # the raw query, when the source gives it raw
        self.resource = resource  # REST only: the route API Gateway matched
        self.path_params = path_params  # REST only: its parameters
        self.multi_value = multi_value  # ALB: the target group sends and wants multiValue*
        self.event: dict[str, Any] | None = None  # the Lambda event it came in
        # Off Lambda: how to build the REST event API Gateway would have sent, if asked.
        self.make_event: Callable[[], dict[str, Any]] | None = None
        self.lambda_context: Any = None

    def original_event(self) -> dict[str, Any]:
        """The Lambda event of this request: the one it came in, or the one made for it."""
        event = self.event
        if event is None:
            event = self.event = self.make_event() if self.make_event is not None else {}
        return event

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            assert self._header_source is not None  # set whenever _headers is not
            single = self._header_source[0]
            self._headers = {name.lower(): value for name, value in single.items()}
        return self._headers

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

    @body.setter
    def body(self, value: bytes) -> None:
        self._body = value  # a door that reads the body only once the route wants it


def _listed_query(query: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    """A decoded query as HttpRequest.query keeps it: None when none (or an empty one) was
    sent. A name with no values (`{"a": []}` in a hand-made event) is no name at all: kept,
    a MultiDict would list it yet raise KeyError when it is read; a query of only such
    names is `{}`, an empty query_params. (read_rest_event's through checked_multi.)"""
    if not query:
        return None
    if all(query.values()):
        return query
    return {name: values for name, values in query.items() if values}


class Base64Body:
    """A body sent base64-encoded, decoded only when something reads it."""

    __slots__ = ("flag", "text")

    def __init__(self, text: str, flag: str) -> None:
        self.text = text
        self.flag = flag  # the event field that says it is base64, for the error

    def decode(self) -> bytes:
        import base64  # here: most requests carry no base64 body (a cold start's ~0.8 ms)
        import binascii

        try:
            return base64.b64decode(self.text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidEventError(f"body is not base64, though {self.flag} says it is") from None


def read_rest_event(event: dict[str, Any]) -> HttpRequest:
    """The request in an API Gateway REST (payload 1.0) event; InvalidEventError naming the
    field for a malformed one."""
    # The hot path of every REST invoke: few calls, each field checked once.
    try:
        method, path, resource = event.get("httpMethod"), event.get("path"), event.get("resource")
        if method is None or path is None or resource is None:
            method, path, resource = _rest_from_context(event, method, path, resource)
        if type(method) is not str or type(path) is not str:
            raise InvalidEventError("fields 'httpMethod' and 'path' must be strings")
        query = event.get("multiValueQueryStringParameters")
        if query is None and event.get("queryStringParameters"):
            single = mapping_field(event, "queryStringParameters")
            query = {k: [v] for k, v in single.items()}
        # Checked in this order (headers, body, query, path parameters): an event with
        # several malformed fields is refused naming the same one as ever.
        headers = _rest_headers(event.get("headers"), event.get("multiValueHeaders"))
        body = event.get("body")
        body = event_body(body, event.get("isBase64Encoded")) if body else b""
        if query is not None:
            query = checked_multi(query, _MULTI_QUERY, True)
        params = event.get("pathParameters")
        if params is not None and type(params) is not dict:
            params = optional_mapping(event, "pathParameters")  # raises, naming the field
        # Made here, not by HttpRequest(...): type.__call__ and the initialiser's arguments
        # cost an invoke ~2%.
        http = _new_object(HttpRequest)
        http.source = _REST
        http.method = method.upper()
        http.route_path = path
        http.root_path = http.query_string = ""
        if isinstance(headers, tuple):  # RawHeaders
            http._headers, http._header_source = None, headers
        else:
            http._headers, http._header_source = headers, None
        http._body = body
        http.query = query
        http.resource = resource if type(resource) is str else None
        http.path_params = params
        http.multi_value = False
        http.event = event
        http.make_event = http.lambda_context = None
        return http
    except (InvalidEventError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise malformed(HttpEventSource.REST_API, error) from None


_MULTI_QUERY = "multiValueQueryStringParameters"
_new_object = object.__new__
_REST = HttpEventSource.REST_API


def malformed(source: HttpEventSource, error: Exception) -> InvalidEventError:
    """The error for an event of `source` that a reader could not read."""
    if isinstance(error, InvalidEventError):  # raised naming the field
        return InvalidEventError(f"Malformed {source.value} event: {error}")
    return InvalidEventError(f"Malformed {source.value} event: {_describe(error)}")


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error)


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


def text_field(container: Any, key: str) -> str:
    value = container[key]
    if not isinstance(value, str):
        raise InvalidEventError(f"field {key!r} must be a string, not {type(value).__name__}")
    return value


def mapping_field(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container[key]
    if not isinstance(value, dict):
        raise InvalidEventError(f"field {key!r} must be an object, not {type(value).__name__}")
    return value


def optional_mapping(container: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEventError(f"field {key!r} must be an object, not {type(value).__name__}")
    return value


def checked_multi(value: Any, what: str, as_query: bool = False) -> dict[str, list[str]] | None:
    """`value` if it maps names to lists of strings; `as_query`, as HttpRequest.query keeps
    a query (`_listed_query`), shaped in the same pass."""
    if value is None:
        return None
    if type(value) is not dict:
        raise InvalidEventError(f"{what} must map names to lists of strings")
    empty = False
    for key, values in value.items():
        if type(key) is not str or type(values) is not list:
            raise InvalidEventError(f"{what} must map names to lists of strings")
        if not values:
            empty = True
        for item in values:
            if type(item) is not str:
                raise InvalidEventError(f"{what}[{key!r}] holds a {type(item).__name__}")
    if as_query and (empty or not value):
        return _listed_query(value)
    return value


def headers_from(single: Any, multi: Any) -> dict[str, str]:
    """Lower-case header names; multi-value headers win and are comma-joined. A name they
    list with no values (a hand-made event's) has the single value, if it is a string, or is
    left out, as it was not sent."""
    headers: dict[str, str] = {}
    if multi:
        for name, values in (checked_multi(multi, "multiValueHeaders") or {}).items():
            lower = name.lower()
            if values:
                headers[lower] = values[0] if len(values) == 1 else join_header(lower, values)
            elif type(single) is dict and type(single.get(name)) is str:
                headers[lower] = single[name]
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
    whose view reads none never pays for it): RawHeaders. Other events are read in full
    at once, into a dict.
    """
    if type(single) is not dict or type(multi) is not dict or len(single) != len(multi):
        return headers_from(single, multi)
    try:
        # Every name is a string; their list, one per line, is what has_content_type
        # searches. A list unpacked and joined costs less than a join over the dict.
        names = "\n".join(["", *single, ""])
        "".join([*single.values()])  # every value is a string
    except TypeError:
        raise InvalidEventError("header names and values must be strings") from None
    try:
        for [_] in multi.values():  # one value each: `headers` holds them all
            pass
    except (TypeError, ValueError):  # a repeated header (or a malformed one: it says which)
        return headers_from(single, multi)
    return (single, names)


# `(headers, names)`: a REST event's checked `headers`, lower-cased when one is read, and
# their names between newlines ('\nHost\nAccept\n'). A plain tuple: a subclass of tuple
# costs each invoke ~1.5% more to make.
RawHeaders = tuple[dict[str, str], str]


def join_header(lower_name: str, values: list[str]) -> str:
    # Repeats of one header are one comma-separated value (RFC 9110), but cookies
    # are separated by '; ' (RFC 6265).
    return ("; " if lower_name == "cookie" else ",").join(values)


def event_body(body: Any, is_base64: Any, flag: str = "isBase64Encoded") -> bytes | Base64Body:
    if body is None or body == "":
        return b""
    if not isinstance(body, str):
        raise InvalidEventError(f"body must be a string, not {type(body).__name__}")
    if is_base64:
        return Base64Body(body, flag)
    return body.encode("utf-8", "surrogatepass")
