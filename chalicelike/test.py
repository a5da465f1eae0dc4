"""The test client: `chalicelike.test.Client(app)`, as Chalice's `chalice.test.Client`.

HTTP requests run in-process as on AWS: the client does what API Gateway does
before Lambda (the route, its own answers such as 403 for an unknown path and the
CORS preflight, the authorizer), builds the REST API event it would send, and calls
the app as Lambda does, `app(event, context)`; so a test exercises what Lambda runs.
`client.lambda_.invoke(name, payload)` calls an event handler or pure Lambda function
with a Lambda context, `client.events` builds the events AWS would send it (in
`_test_events`), and `client.workflows.run(name, input)` runs one execution of a Step
Functions workflow, its Tasks calling the functions as `invoke` does. Inside
`with Client(...)`, the stage's environment variables from `.chalice/config.json` are set,
and restored afterwards; while a request or an invocation runs, so are the variables of
the function serving it (`lambda_functions.<name>`), whose name and settings its Lambda
context carries.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, quote, unquote

from ._app import Chalice
from ._auth._authorizers import ChaliceAuthorizer
from ._core._cors import CORSConfig
from ._core._errors import ChaliceError
from ._core._lambda_context import LambdaContext
from ._core._pipeline import gateway_answer
from ._core._response import RenderedResponse, render
from ._core._routing import Match
from ._core._structures import CaseInsensitiveMapping
from ._doors._api_gateway_events import GatewayFacts, request_id, rest_api_event
from ._tooling._config import api_gateway_stage, resolve_function_config, stage_environment
from ._tooling._test_events import TestEventsClient

if TYPE_CHECKING:
    from ._tooling._workflow_runner import WorkflowRun

__all__ = [
    "Client",
    "FunctionNotFoundError",
    "FunctionScope",
    "HTTPResponse",
    "InvokeResponse",
    "TestEventsClient",
    "TestHTTPClient",
    "TestLambdaClient",
    "TestWorkflowsClient",
    "WorkflowNotFoundError",
    "WorkflowRun",
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

    def timeout(self, name: str) -> float:
        """The function's configured `lambda_timeout`, in seconds."""
        return float(self._config(name).lambda_timeout)

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
        workflows: TestWorkflowsClient | None = None,
    ) -> None:
        self._app = app
        self._stage_name = stage_name
        self.api_stage = api_stage  # requestContext.stage: the API Gateway stage
        self._functions = functions or FunctionScope(stage_name, ".")
        self._workflows = workflows  # what a route with workflow= starts

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | str = b"",
    ) -> HTTPResponse:
        with self._functions.environment(API_HANDLER):
            return self._handle(method.upper(), path, headers or {}, body)

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
    ) -> HTTPResponse:
        """What API Gateway does before Lambda (route, its own answers, the authorizer),
        then the app as Lambda runs it: `app(event, context)` with a REST event."""
        if not path.startswith("/"):
            raise ValueError(f"Request path must start with '/': {path!r}")
        # What an HTTP client puts on the wire: non-ASCII text percent-encoded as
        # UTF-8, escapes already in the path kept as they are.
        raw_path, _, query = (quote(part, safe=_SAFE) for part in path.partition("?"))
        match = self._app.route_table.match(method, raw_path)
        mounted = self._app.mounted_app(raw_path) if match.kind is Match.NONE else None
        if mounted is None:
            early = gateway_answer(match, method, lambda: _find(headers, "origin"))
            if early is not None:
                return _from_rendered(render(early))
        if match.kind is Match.NONE:  # a mounted app's: behind a catch-all resource
            resource, params = "/{proxy+}", {"proxy": unquote(raw_path)[1:]}
        else:
            # Chalice's client gives {} where a REST event from AWS carries null.
            resource, params = match.resource or "", dict(match.params or {})
        event = self._event(method, raw_path, query, headers, body, resource, params)
        entry = match.entry
        if entry is not None and entry.authorizer is not None:
            denied = self._authorize(entry.authorizer, event)
            if denied is not None:
                return _from_rendered(render(denied))
        if entry is not None and entry.workflow is not None and self._workflows is not None:
            return self._workflows.start_from_route(entry.workflow, body, headers, entry.cors)
        return _from_rest_answer(self._app(event, self._functions.context(API_HANDLER)))

    def _event(
        self,
        method: str,
        raw_path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes | str,
        resource: str,
        params: dict[str, str],
    ) -> dict[str, Any]:
        """The REST API event (payload 1.0) API Gateway would send the app's function."""
        body_bytes = body.encode("utf-8") if isinstance(body, str) else body
        try:
            text: str | None = body_bytes.decode("utf-8") if body_bytes else None
            is_base64 = False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body_bytes).decode("ascii"), True
        grouped: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            grouped.setdefault(name, []).append(value)
        facts = GatewayFacts(
            request_id(),
            int(time.time() * 1000),
            domain=_find(headers, "host") or "localhost",
            user_agent=_find(headers, "user-agent"),
        )
        return rest_api_event(
            method,
            unquote(raw_path),
            resource,
            {name: [value] for name, value in headers.items()},
            grouped,
            params,
            text,
            is_base64,
            self.api_stage,
            facts,
            stage_variables={},  # as Chalice's client gives them
        )

    def _authorize(self, authorizer: Any, event: dict[str, Any]) -> Any:
        """API Gateway's authorizer step: its 401/403, or the context the view will see."""
        from ._tooling._gateway_auth import GatewayRequest, authorize

        gateway_request = GatewayRequest(
            event["httpMethod"],
            event["path"],
            event["resource"],
            {name.lower(): value for name, value in event["headers"].items()},
            event["multiValueQueryStringParameters"] or {},
            event["pathParameters"] or {},
            self.api_stage,
        )
        name = getattr(authorizer, "name", "authorizer")
        context = self._functions.context(name)
        outcome = authorize(authorizer, gateway_request, context)
        if outcome.context is not None:
            event["requestContext"]["authorizer"] = outcome.context
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


def _from_rendered(rendered: RenderedResponse) -> HTTPResponse:
    """An answer API Gateway gives itself, as the client shows it."""
    return HTTPResponse(
        rendered.body,
        rendered.headers,
        rendered.status_code,
        rendered.listed,
        rendered.content_type_added,
    )


def _from_rest_answer(answer: dict[str, Any]) -> HTTPResponse:
    """What the function returned to API Gateway, as Chalice's client reads it: the
    multi-value headers as lists; the wire's lines add the Content-Type API Gateway
    labels an answer without one with."""
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(answer["body"])
    else:
        body = answer["body"].encode("utf-8")
    lines = list(answer["headers"].items())
    multi: dict[str, list[str]] = answer.get("multiValueHeaders") or {}
    for name, values in multi.items():
        lines.extend((name, value) for value in values)
    added = not any(name.lower() == "content-type" for name, _ in lines)
    if added:
        lines.append(("Content-Type", "application/json"))
    return HTTPResponse(body, lines, answer["statusCode"], tuple(multi), added)


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

    @property
    def functions(self) -> FunctionScope:
        """Each function's config, context and environment, as this client runs them."""
        return self._functions

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


class WorkflowNotFoundError(ChaliceError, LookupError):
    """`client.workflows.run(name)` names no workflow of the app."""


class TestWorkflowsClient:
    """`client.workflows.run(name, input)`: one execution of the app's workflow `name`.

    It runs in this process and returns when the execution ends: moto's Step Functions
    interpreter walks the definition (Choice, Parallel, Map, Retry, Catch, paths), and each
    Task calls the app's function as `client.lambda_.invoke` does (its config, environment
    and Lambda context). An exception the function raises is, as on Lambda, a function error
    whose name is the exception's class name: Retry and Catch match it, and an execution it
    ends has it as `error`. Retry intervals and Wait states take their real time; calls to
    the app's functions run one at a time (each sets its environment variables); a Task of
    any other AWS service goes where moto sends it (its mock under `mock_aws`).
    """

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(
        self, app: Chalice, stage_name: str, project_dir: str, lambda_client: TestLambdaClient
    ) -> None:
        self._app = app
        self._stage_name = stage_name
        self._project_dir = project_dir
        self._lambda = lambda_client
        self.last_run: WorkflowRun | None = None  # what a route with workflow= last started

    def start_from_route(
        self,
        name: str,
        body: bytes | str,
        headers: Mapping[str, str] | None = None,
        cors: CORSConfig | None = None,
    ) -> HTTPResponse:
        """What API Gateway's StartExecution integration answers for a route with
        `workflow=`: the execution's ARN and start date (the body is its input), with the
        route's `cors` headers. Here the execution has run to its end by then; `last_run`
        holds it."""
        from ._tooling._workflows import refused_content_type

        headers = headers or {}
        if refused_content_type(_find(headers, "content-type")):
            return _json_answer(415, {"message": "Unsupported Media Type"})
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            given = json.loads(text) if text.strip() else {}
        except ValueError:
            refused = {"__type": "InvalidExecutionInput", "message": "the body is not JSON"}
            return _json_answer(400, refused, cors, headers)
        started = time.time()
        self.last_run = self.run(name, given)
        started_answer = {"executionArn": self.last_run.execution_arn, "startDate": started}
        return _json_answer(200, started_answer, cors, headers)

    def run(self, name: str, input: Any = None, *, timeout: float | None = None) -> WorkflowRun:
        """Start `name` with `input` (JSON-able; None is `{}`, as Step Functions' default)
        and wait for its end; TimeoutError, the execution stopped, after `timeout` seconds;
        ValueError for an input above Step Functions' 256 KiB. A Task's function that runs
        past its `lambda_timeout` fails with Lambda's `Sandbox.Timedout` (its thread cannot be
        stopped: it finishes in the background)."""
        from ._tooling._workflow_runner import run_workflow
        from ._tooling._workflows import workflow_entries

        functions = [*self._app.handlers, *self._app.authorizers]
        # Read and checked as the app's manifest is: a bad workflow raises WorkflowError.
        entries = workflow_entries(self._app, functions, Path(self._project_dir))
        entry = next((entry for entry in entries if entry.name == name), None)
        if entry is None:
            raise WorkflowNotFoundError(_unknown_workflow(self._app.app_name, name, entries))
        try:
            input_json = json.dumps({} if input is None else input)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"workflow {name!r}: the input must be JSON (dicts, lists, str, numbers, "
                f"bool, None), as Step Functions takes it: {error}"
            ) from None
        return run_workflow(
            entry,
            input_json,
            lambda function, event: self._lambda.invoke(function, event).payload,
            app_name=self._app.app_name,
            stage=self._stage_name,
            timeout=timeout,
            # Each Task's call stops at its function's timeout, as Lambda stops it.
            timeout_of=self._lambda.functions.timeout,
        )


def _json_answer(
    status: int,
    body: dict[str, Any],
    cors: CORSConfig | None = None,
    request_headers: Mapping[str, str] | None = None,
) -> HTTPResponse:
    """A JSON answer; with the route's CORS headers for the request's Origin when `cors`."""
    lines = [("Content-Type", "application/json")]
    if cors is not None:
        origin = _find(request_headers or {}, "origin")
        lines.extend(cors.get_access_control_headers(origin).items())
    return HTTPResponse(json.dumps(body).encode(), lines, status)


def _unknown_workflow(app_name: str, name: str, entries: Sequence[Any]) -> str:
    if not entries:
        return f"No workflow named {name!r}: app {app_name!r} declares none (app.workflow)"
    names = ", ".join(repr(entry.name) for entry in sorted(entries, key=lambda e: e.name))
    return f"No workflow named {name!r} in app {app_name!r}; its workflows: {names}"


class Client:
    """A test client for an app: `with Client(app) as client: client.http.get('/')`."""

    def __init__(self, app: Chalice, stage_name: str = "dev", project_dir: str = ".") -> None:
        self._app = app
        self._stage_name = stage_name
        self._project_dir = project_dir
        self._saved_environ: dict[str, str | None] = {}
        functions = FunctionScope(stage_name, project_dir)
        self._lambda = TestLambdaClient(app, stage_name, functions=functions)
        self._events = TestEventsClient()
        self._workflows = TestWorkflowsClient(app, stage_name, project_dir, self._lambda)
        self._http = TestHTTPClient(app, stage_name, functions=functions, workflows=self._workflows)

    @property
    def http(self) -> TestHTTPClient:
        return self._http

    @property
    def lambda_(self) -> TestLambdaClient:
        return self._lambda

    @property
    def events(self) -> TestEventsClient:
        return self._events

    @property
    def workflows(self) -> TestWorkflowsClient:
        return self._workflows

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


def __getattr__(name: str) -> Any:
    # WorkflowRun's module (and the workflow checker it needs) loads with the first run,
    # not with every test module that imports the client.
    if name == "WorkflowRun":
        from ._tooling._workflow_runner import WorkflowRun

        return WorkflowRun
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
