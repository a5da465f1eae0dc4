"""The test client: `chalicelike.test.Client(app)`, as Chalice's `chalice.test.Client`.

HTTP requests run in-process through the same route table and pipeline as the
ASGI and Lambda front doors, with API Gateway's own answers (403 for an unknown
path, CORS preflight). `client.lambda_.invoke(name, payload)` calls an event handler
or pure Lambda function with a Lambda context, and `client.events` builds the events
AWS would send it (in `_test_events`). Inside `with Client(...)`, the stage's
environment variables from `.chalice/config.json` are set, and restored afterwards;
while a request or an invocation runs, so are the variables of the function serving
it (`lambda_functions.<name>`), whose name and settings its Lambda context carries.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, cast
from urllib.parse import quote, unquote

from ._app import Chalice
from ._auth._authorizers import ChaliceAuthorizer
from ._core._coroutines import run_coroutine
from ._core._errors import ChaliceError
from ._core._lambda_context import LambdaContext
from ._core._pipeline import gateway_answer
from ._core._request import Request
from ._core._response import RenderedResponse, render
from ._core._routing import Match
from ._core._structures import CaseInsensitiveMapping
from ._tooling._config import api_gateway_stage, resolve_function_config, stage_environment
from ._tooling._test_events import TestEventsClient

__all__ = [
    "Client",
    "FunctionNotFoundError",
    "FunctionScope",
    "HTTPResponse",
    "InvokeResponse",
    "TestEventsClient",
    "TestHTTPClient",
    "TestLambdaClient",
]

# Characters a URL may carry as they are (RFC 3986 reserved, plus '%' for escapes).
_SAFE = "/?#[]@!$&'()*+,;=:%~"
# The name Chalice gives the Lambda function that serves an app's routes.
API_HANDLER = "api_handler"


class FunctionScope:
    """Each of the app's Lambda functions as the client runs it: its config and context.

    Chalice's client names the context after the function ('api_handler' for routes,
    the handler's name otherwise) and sets the function's environment variables (top
    level, stage, `lambda_functions.<name>`) while it runs. The config is read once
    per function and client.
    """

    def __init__(self, stage_name: str, project_dir: str) -> None:
        self._stage_name = stage_name
        self._project_dir = project_dir
        self._configs: dict[str, Any] = {}

    def _config(self, name: str) -> Any:
        config = self._configs.get(name)
        if config is None:
            config = self._configs[name] = resolve_function_config(
                self._project_dir, self._stage_name, name
            )
        return config

    def context(self, name: str) -> LambdaContext:
        config = self._config(name)
        return LambdaContext(
            name, memory_size=config.lambda_memory_size, timeout_seconds=config.lambda_timeout
        )

    @contextlib.contextmanager
    def environment(self, name: str) -> Iterator[None]:
        variables = self._config(name).environment_variables
        saved = {key: os.environ.get(key) for key in variables}
        os.environ.update(variables)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


class HTTPResponse:
    """An answer: `status_code`, `headers` (case-insensitive), `body` bytes, `json_body`.

    `headers` are what Chalice's client gives: the app's own headers (no Content-Type
    added for an answer that names none), a list for a header given as a list or sent
    more than once (Set-Cookie). `header_list` holds the lines a server would send.
    """

    def __init__(
        self,
        body: bytes,
        headers: list[tuple[str, str]],
        status_code: int,
        listed: Sequence[str] = (),
        content_type_added: bool = False,
    ) -> None:
        self.body = body
        self.status_code = status_code
        self.header_list = headers  # every header line, repeats included (Set-Cookie)
        merged: dict[str, str | list[str]] = {}
        for name, value in headers[:-1] if content_type_added else headers:
            key = name.lower()
            previous = merged.get(key)
            if previous is None:
                merged[key] = [value] if name in listed else value
            elif isinstance(previous, list):
                previous.append(value)
            else:
                merged[key] = [previous, value]
        # Values are str, or lists where Chalice's client gives lists.
        self.headers = CaseInsensitiveMapping.from_lowercase(cast("dict[str, str]", merged))

    @property
    def json_body(self) -> Any:
        """The body parsed as JSON; None when it is empty or not JSON (as in Chalice)."""
        try:
            return json.loads(self.body)
        except ValueError:  # includes bodies that are not UTF-8
            return None

    def __repr__(self) -> str:
        return f"HTTPResponse(status_code={self.status_code}, body={self.body[:80]!r})"


class TestHTTPClient:
    """`client.http.get(path, headers=..., body=...)` and friends."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(
        self,
        app: Chalice,
        stage_name: str,
        api_stage: str = "api",
        functions: FunctionScope | None = None,
    ) -> None:
        self._app = app
        self._stage_name = stage_name
        self.api_stage = api_stage  # requestContext.stage: the API Gateway stage
        self._functions = functions or FunctionScope(stage_name, ".")

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | str = b"",
    ) -> HTTPResponse:
        with self._functions.environment(API_HANDLER):
            rendered = self._handle(method.upper(), path, headers or {}, body)
        return HTTPResponse(
            rendered.body,
            rendered.headers,
            rendered.status_code,
            rendered.listed,
            rendered.content_type_added,
        )

    def get(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> HTTPResponse:
        return self.request("OPTIONS", path, **kwargs)

    def _handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | str
    ) -> RenderedResponse:
        if not path.startswith("/"):
            raise ValueError(f"Request path must start with '/': {path!r}")
        # What an HTTP client puts on the wire: non-ASCII text percent-encoded as
        # UTF-8, escapes already in the path kept as they are.
        raw_path, _, query = (quote(part, safe=_SAFE) for part in path.partition("?"))
        match = self._app.route_table.match(method, raw_path)
        body_bytes = body.encode("utf-8") if isinstance(body, str) else body
        mounted = self._app.mounted_app(raw_path) if match.kind is Match.NONE else None
        early = None if mounted else gateway_answer(match, method, lambda: _find(headers, "origin"))
        if early is not None:
            return render(early)
        scope: dict[str, Any] = {
            "type": "http",
            "method": method,
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("ascii"),
            "query_string": query.encode("ascii"),
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in headers.items()
            ],
            "client": ("127.0.0.1", 0),
            "chalicelike.stage": self.api_stage,
        }
        if mounted is not None:
            prefix, asgi_app = mounted
            scope.update(http_version="1.1", scheme="http", root_path=prefix, server=None)
            scope["asgi"] = {"version": "3.0"}
            answer: RenderedResponse = run_coroutine(_call_asgi(asgi_app, scope, body_bytes))
            return answer
        context = self._functions.context(API_HANDLER)
        entry = match.entry
        if entry is not None and entry.authorizer is not None:
            denied = self._authorize(entry.authorizer, method, scope, match)
            if denied is not None:
                return render(denied)
        # Chalice's client gives {} where a REST event from AWS carries null.
        request = Request.from_scope(
            scope, body_bytes, match.resource or "", match.params or {}, context
        )
        request.stage_vars = {}
        request._route = match
        request._via_rest_api = True  # Chalice's client stands for a REST API
        rendered = self._app.http_pipeline.handle(request)
        # As Chalice's client: app.current_request and app.lambda_context stay the last
        # request's once it is answered.
        self._app._keep_last_call(request, context)
        return rendered

    def _authorize(self, authorizer: Any, method: str, scope: dict[str, Any], match: Any) -> Any:
        """API Gateway's authorizer step: its 401/403, or the context the view will see."""
        from ._core._request import _parse_query
        from ._tooling._gateway_auth import GatewayRequest, authorize

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query: dict[str, list[str]] = {}
        for name, value in _parse_query(scope["query_string"].decode("ascii")):
            query.setdefault(name, []).append(value)
        gateway_request = GatewayRequest(
            method, scope["path"], match.resource or "", headers, query,
            match.params or {}, self.api_stage,
        )  # fmt: skip
        name = getattr(authorizer, "name", "authorizer")
        context = self._functions.context(name)
        outcome = authorize(authorizer, gateway_request, context)
        if outcome.context is not None:
            scope["chalicelike.authorizer"] = outcome.context
        if not isinstance(getattr(authorizer, "_authorizer", authorizer), ChaliceAuthorizer):
            # As Chalice's client: only the app's own Lambda authorizers are enforced; a
            # Cognito, IAM, JWT or outside authorizer lets every request through (a token
            # that decodes still hands its claims to the view). `chalicelike local` enforces.
            warnings.warn(
                f"{type(authorizer).__name__} is not enforced by the test client: every "
                "request to its routes is let through, as in Chalice's test client "
                "(chalicelike local enforces it)",
                UserWarning,
                stacklevel=5,
            )
            return None
        return outcome.answer


async def _call_asgi(asgi_app: Any, scope: dict[str, Any], body: bytes) -> RenderedResponse:
    """One request through a mounted ASGI app, in-process: what a server would do."""
    inbox: list[dict[str, Any]] = [{"type": "http.request", "body": body, "more_body": False}]
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.extend(
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await asgi_app(scope, receive, send)
    return RenderedResponse(status, headers, b"".join(chunks))


def _find(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class FunctionNotFoundError(ChaliceError, LookupError):
    """`client.lambda_.invoke(name)` names no Lambda function of the app."""


class InvokeResponse:
    """What `client.lambda_.invoke` answers: `payload`, what the handler returned."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload

    def __repr__(self) -> str:
        return f"InvokeResponse(payload={self.payload!r:.80})"


class TestLambdaClient:
    """`client.lambda_.invoke(name, payload)`: run one Lambda function of the app in-process.

    `name` is the function's name in the app (`app.handlers`: the decorator's `name=`,
    else the function's, with a blueprint's `name_prefix`). Its handler gets `payload`
    as the event, `{}` when it is None (what Lambda passes for an empty payload), and a
    LambdaContext whose function_name is `name`, as in Chalice's client; the function's
    environment variables are set while it runs.
    An exception the handler raises propagates, as in Chalice's test client: on Lambda
    it would be a function error, here `pytest.raises` can catch it.
    """

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(
        self, app: Chalice, stage_name: str, functions: FunctionScope | None = None
    ) -> None:
        self._app = app
        self._stage_name = stage_name
        self._functions = functions or FunctionScope(stage_name, ".")

    def invoke(self, name: str, payload: Any = None) -> InvokeResponse:
        handlers = self._app.handlers
        handler = handlers.get(name) or self._app.authorizers.get(name)
        if handler is None:
            raise FunctionNotFoundError(_unknown_function(self._app.app_name, name, handlers))
        context = self._functions.context(name)
        with self._functions.environment(name):
            return InvokeResponse(handler({} if payload is None else payload, context))


def _unknown_function(app_name: str, name: str, known: Mapping[str, Any]) -> str:
    if not known:
        return (
            f"No Lambda function named {name!r}: app {app_name!r} has no event handlers "
            "or @app.lambda_function functions"
        )
    names = ", ".join(repr(known_name) for known_name in sorted(known))
    return f"No Lambda function named {name!r} in app {app_name!r}; its functions: {names}"


class Client:
    """A test client for an app: `with Client(app) as client: client.http.get('/')`."""

    def __init__(self, app: Chalice, stage_name: str = "dev", project_dir: str = ".") -> None:
        self._app = app
        self._stage_name = stage_name
        self._project_dir = project_dir
        self._saved_environ: dict[str, str | None] = {}
        functions = FunctionScope(stage_name, project_dir)
        self._http = TestHTTPClient(app, stage_name, functions=functions)
        self._lambda = TestLambdaClient(app, stage_name, functions=functions)
        self._events = TestEventsClient()

    @property
    def http(self) -> TestHTTPClient:
        return self._http

    @property
    def lambda_(self) -> TestLambdaClient:
        return self._lambda

    @property
    def events(self) -> TestEventsClient:
        return self._events

    def __enter__(self) -> Client:
        self._http.api_stage = api_gateway_stage(self._project_dir, self._stage_name)
        for name, value in stage_environment(self._project_dir, self._stage_name).items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for name, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environ.clear()
