"""The route table: path patterns as API Gateway writes them, matched to requests.

A pattern is split into segments once, when a route is added, and kept in a
tree of segments; a request walks the tree, so the cost of a match depends on
the depth of its path, not on how many routes the app has. Static paths (no
`{params}`) are found with one dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import FunctionType, MethodType

from ._errors import RegistrationError, ViewSignatureWarning

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from enum import Enum as LeanEnum
    from typing import Any, NamedTuple
else:
    from ._lean_types import LeanEnum, lean_record

__all__ = [
    "HTTP_METHODS",
    "Match",
    "RouteEntry",
    "RouteMatch",
    "RouteTable",
    "Segment",
    "SegmentKind",
    "check_view_signature",
    "inspect_target",
    "is_coroutine_function",
    "parse_path",
]

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Match(LeanEnum):
    """How a request's method and path relate to the route table."""

    FULL = "full"  # path and method are routed
    PARTIAL = "partial"  # the path is routed, not for this method: 405
    NONE = "none"  # the path is not routed: API Gateway's 403


class SegmentKind(LeanEnum):
    LITERAL = "literal"
    PARAM = "param"  # {name}: exactly one non-empty segment
    GREEDY = "greedy"  # {name+}: one or more segments, always last


if TYPE_CHECKING:

    class Segment(NamedTuple):
        kind: SegmentKind
        text: str  # the literal, or the parameter's name

else:  # typing's NamedTuple without typing (a cold start's ~2.5 ms)
    Segment = lean_record("Segment", ("kind", "text"))


def parse_path(path: object) -> tuple[Segment, ...]:
    """Split a route path into segments, or say exactly what is wrong with it."""
    if not isinstance(path, str):
        raise RegistrationError(f"Route path must be a string, not {type(path).__name__}: {path!r}")
    if not path.startswith("/"):
        raise RegistrationError(f"Route path must start with '/': {path!r}")
    if path == "/":
        return ()
    if path.endswith("/"):
        raise RegistrationError(
            f"Route path cannot end with a trailing slash: {path!r} "
            "(API Gateway routes '/a/' to '/a'; register '/a')"
        )
    if "?" in path or "#" in path:
        raise RegistrationError(f"Route path cannot contain a query or fragment: {path!r}")
    segments: list[Segment] = []
    seen_params: set[str] = set()
    raw_segments = path[1:].split("/")
    for position, raw in enumerate(raw_segments):
        segment = _parse_segment(raw, path)
        if segment.kind is not SegmentKind.LITERAL:
            if segment.text in seen_params:
                raise RegistrationError(
                    f"Route path {path!r} uses the parameter {{{segment.text}}} twice"
                )
            seen_params.add(segment.text)
        if segment.kind is SegmentKind.GREEDY and position != len(raw_segments) - 1:
            raise RegistrationError(
                f"Greedy parameter {{{segment.text}+}} must be the last segment of {path!r}"
            )
        segments.append(segment)
    return tuple(segments)


def _parse_segment(raw: str, path: str) -> Segment:
    if not raw:
        raise RegistrationError(f"Route path has an empty segment ('//'): {path!r}")
    if raw.startswith("{") and raw.endswith("}"):
        name = raw[1:-1]
        kind = SegmentKind.PARAM
        if name.endswith("+"):
            name, kind = name[:-1], SegmentKind.GREEDY
        if not name.isidentifier():
            raise RegistrationError(
                f"Path parameter {raw!r} in {path!r} must be a Python identifier, "
                "since it is passed to the view as a keyword argument"
            )
        return Segment(kind, name)
    if "{" in raw or "}" in raw:
        raise RegistrationError(
            f"Path segment {raw!r} in {path!r} mixes text and a parameter; API Gateway "
            "only supports a parameter as a whole segment, like '/files/{name}'"
        )
    return Segment(SegmentKind.LITERAL, raw)


class RouteEntry:
    """One view bound to one path and method (Chalice's RouteEntry attributes)."""

    def __init__(
        self,
        view_function: Callable[..., Any],
        view_name: str,
        path: str,
        method: str,
        api_key_required: bool | None = None,
        content_types: Sequence[str] | None = None,
        cors: Any = None,
        authorizer: Any = None,
        workflow: str | None = None,
    ) -> None:
        self.view_function = view_function
        # The workflow API Gateway starts for this route (StartExecution), no Lambda call.
        self.workflow = workflow
        self.view_name = view_name
        self.uri_pattern = path
        self.method = method
        self.api_key_required = api_key_required
        self.content_types: list[str] = list(content_types or [])
        self.cors = cors
        self.authorizer = authorizer
        self.segments = parse_path(path)
        self.view_args: list[str] = [
            s.text for s in self.segments if s.kind is not SegmentKind.LITERAL
        ]
        self.is_async = is_coroutine_function(view_function)
        # What the view's signature declares it takes and returns (a ViewContract), checked
        # on every request; None for a view that declares nothing, called as Chalice does.
        self.contract: Any = None
        # Lower-cased once here so each request compares without allocating.
        self.accepts_any_content_type = "*/*" in self.content_types
        self.lower_content_types = frozenset(c.lower() for c in self.content_types)
        # A request without Content-Type counts as application/json (Chalice's rule).
        self.accepts_no_content_type = (
            self.accepts_any_content_type or "application/json" in self.lower_content_types
        )

    def __repr__(self) -> str:
        return f"RouteEntry({self.method} {self.uri_pattern} -> {self.view_name})"


if TYPE_CHECKING:

    class RouteMatch(NamedTuple):
        """The answer of RouteTable.match for one request (a tuple: built on every request)."""

        kind: Match
        resource: str | None = None  # the matched path pattern, e.g. '/orders/{id}'
        entry: RouteEntry | None = None
        params: dict[str, str] | None = None
        methods: dict[str, RouteEntry] | None = None  # every method routed on `resource`

else:
    RouteMatch = lean_record(
        "RouteMatch", ("kind", "resource", "entry", "params", "methods"), (None,) * 4
    )


class _Node:
    __slots__ = ("greedy", "greedy_name", "literals", "param", "param_name", "resource")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name = ""
        self.greedy: _Node | None = None
        self.greedy_name = ""
        self.resource: str | None = None


_NO_MATCH = RouteMatch(Match.NONE)


class RouteTable:
    """Routes by path pattern, then by method: `routes[path][method]`, as Chalice keeps them."""

    def __init__(self) -> None:
        self.routes: dict[str, dict[str, RouteEntry]] = {}
        self._root = _Node()
        self._static: set[str] = set()  # patterns without parameters: one lookup to match

    def add(self, *entries: RouteEntry) -> None:
        """Add routes (one per method, usually of one view); all are added or none."""
        for entry in entries:
            existing = self.routes.get(entry.uri_pattern, {}).get(entry.method)
            if existing is not None:
                raise RegistrationError(
                    f"Duplicate method: {entry.method!r} detected for route: "
                    f"{entry.uri_pattern!r} between view functions {existing.view_name!r} and "
                    f"{entry.view_name!r}. A method may be routed only once for a path."
                )
        # Into the tree first: a rejected route must leave the table as it was.
        for entry in entries:
            self._insert(entry.segments, entry.uri_pattern)
        for entry in entries:
            self.routes.setdefault(entry.uri_pattern, {})[entry.method] = entry

    def _insert(self, segments: tuple[Segment, ...], pattern: str) -> None:
        if all(s.kind is SegmentKind.LITERAL for s in segments):
            self._static.add(pattern)
        node = self._root
        for segment in segments:
            if segment.kind is SegmentKind.LITERAL:
                node = node.literals.setdefault(segment.text, _Node())
            elif segment.kind is SegmentKind.PARAM:
                node = self._variable_child(node, "param", segment.text, pattern)
            else:
                node = self._variable_child(node, "greedy", segment.text, pattern)
        node.resource = pattern

    @staticmethod
    def _variable_child(node: _Node, slot: str, name: str, pattern: str) -> _Node:
        # API Gateway allows one variable path part per level, whatever the routes.
        child: _Node | None = getattr(node, slot)
        current_name: str = getattr(node, slot + "_name")
        if child is None:
            child = _Node()
            setattr(node, slot, child)
            setattr(node, slot + "_name", name)
        elif current_name != name:
            raise RegistrationError(
                f"Route {pattern!r} names a path parameter {{{name}}} where another route "
                f"already has {{{current_name}}}; API Gateway allows one parameter name "
                "per position, so use the same name in both routes"
            )
        return child

    def match(self, method: str, raw_path: str) -> RouteMatch:
        """Find the route for a request path (still percent-encoded) and method."""
        if len(raw_path) > 1 and raw_path.endswith("/"):
            raw_path = raw_path[:-1]  # API Gateway routes '/a/' to '/a'
        params: dict[str, str] = {}
        resource = raw_path if raw_path in self._static else None
        if resource is None:
            if not raw_path.startswith("/"):
                return _NO_MATCH
            segments = [_unquote(s) if "%" in s else s for s in raw_path[1:].split("/")]
            resource = _walk(self._root, segments, 0, params)
            if resource is None:
                return _NO_MATCH
        methods = self.routes[resource]
        entry = methods.get(method)
        if entry is None:
            return RouteMatch(Match.PARTIAL, resource, None, params, methods)
        return RouteMatch(Match.FULL, resource, entry, params, methods)


def _unquote(segment: str) -> str:
    from urllib.parse import unquote  # only for paths with escapes: not on every cold start

    return unquote(segment)


def _walk(node: _Node, segments: list[str], index: int, params: dict[str, str]) -> str | None:
    """Depth-first: a literal segment wins over a {param}, which wins over a {greedy+}."""
    if index == len(segments):
        return node.resource
    segment = segments[index]
    if not segment:
        return None  # '//' never matches; API Gateway has no empty segments
    literal = node.literals.get(segment)
    if literal is not None:
        found = _walk(literal, segments, index + 1, params)
        if found is not None:
            return found
    if node.param is not None:
        params[node.param_name] = segment
        found = _walk(node.param, segments, index + 1, params)
        if found is not None:
            return found
        del params[node.param_name]
    if node.greedy is not None and all(segments[index:]):
        params[node.greedy_name] = "/".join(segments[index:])
        return node.greedy.resource
    return None


# Code flags (the `inspect` module's CO_* values): reading them directly keeps `inspect`,
# which costs a Lambda cold start ~10 ms, off the import path of every app.
_CO_VARKEYWORDS = 0x08
_CO_COROUTINE = 0x80


def is_coroutine_function(function: Any) -> bool:
    """inspect.iscoroutinefunction, without importing inspect for plain functions."""
    plain = function.__func__ if isinstance(function, MethodType) else function
    if type(plain) is FunctionType:
        return bool(plain.__code__.co_flags & _CO_COROUTINE)
    import inspect

    return inspect.iscoroutinefunction(function)


def check_view_signature(view_function: Callable[..., Any], path: str, view_name: str) -> None:
    """Warn at import time when a view cannot take its path's parameters as keywords.

    A ViewSignatureWarning, pointing at the view's own line: Chalice serves such an app
    (a request to the view is a 500), and its docs contain one, so it is not refused.
    """
    if not callable(view_function):
        raise RegistrationError(f"View {view_name!r} for {path!r} is not callable")
    params = [s.text for s in parse_path(path) if s.kind is not SegmentKind.LITERAL]
    if _takes_keywords(view_function, params):
        return  # the usual case, decided from the code object alone
    import inspect

    try:
        signature = inspect.signature(view_function)
    except (TypeError, ValueError):
        return  # builtins and some C callables have no signature to check
    try:
        signature.bind(**dict.fromkeys(params, ""))
    except TypeError as error:
        expected = ", ".join(params) if params else "no arguments"
        _warn_at_view(
            view_function,
            f"View {view_name!r} for route {path!r} is called with {expected} "
            f"(one keyword argument per path parameter) but its signature "
            f"{view_name}{signature} does not accept that: {error}; "
            "each request to it will be a 500",
        )


def _warn_at_view(view_function: Any, message: str) -> None:
    import warnings

    code = getattr(inspect_target(view_function), "__code__", None)
    if code is None:
        warnings.warn(message, ViewSignatureWarning, stacklevel=4)
        return
    warnings.warn_explicit(
        message,
        ViewSignatureWarning,
        code.co_filename,
        code.co_firstlineno,
        module=getattr(view_function, "__module__", None) or "chalicelike",
    )


def inspect_target(function: Any) -> Any:
    """The plain function behind a bound method or functools.partial, if any."""
    while True:
        inner = getattr(function, "__func__", None) or getattr(function, "func", None)
        if inner is None or inner is function:
            return function
        function = inner


def _takes_keywords(function: Any, names: list[str]) -> bool:
    """True when a plain function surely accepts exactly these keyword arguments.

    False means "not sure": the caller asks `inspect`, which also explains a refusal.
    """
    skip = 0
    if isinstance(function, MethodType):
        function, skip = function.__func__, 1
    if type(function) is not FunctionType:
        return False
    code = function.__code__
    varnames = code.co_varnames
    positional_end = code.co_argcount
    keyword_only = varnames[positional_end : positional_end + code.co_kwonlyargcount]
    by_keyword = {*varnames[max(code.co_posonlyargcount, skip) : positional_end], *keyword_only}
    given = set(names)
    if not code.co_flags & _CO_VARKEYWORDS and not given <= by_keyword:
        return False
    required = varnames[skip : positional_end - len(function.__defaults__ or ())]
    keyword_defaults = function.__kwdefaults__ or {}
    return all(name in given for name in required) and all(
        name in given or name in keyword_defaults for name in keyword_only
    )
