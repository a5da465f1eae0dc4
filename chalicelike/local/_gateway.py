"""`LocalGateway`: API Gateway in front of the local Lambda, as a raw ASGI app.

Per request: the current manifest's route table, API Gateway's own answers (no route, CORS
preflight, too large), the route's authorizer, then the event (`_gateway_events`) goes to
the route's function and its result comes back as HTTP (`_gateway_answers`). It is the hot
path of `chalicelike local`: no framework, one pass over the scope, tables built per manifest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from .._auth._authorizers import AuthorizerType
from .._core._cors import CORSConfig
from .._core._errors import RegistrationError
from .._core._pipeline import gateway_answer
from .._core._response import lowered_media_types
from .._core._routing import Match, RouteEntry, RouteMatch, RouteTable
from .._core._types import Receive, Scope, Send
from .._tooling._describe import AppLoadError
from .._tooling._gateway_auth import (
    AuthorizerCache,
    AuthorizerCall,
    AuthOutcome,
    authorizer_failure,
    authorizer_outcome,
    begin_authorization,
    token_event,
)
from .._tooling._manifest import AppManifest, RouteSpec, authorizer_from_spec
from .._tooling._workflows import refused_content_type
from ._asgi_types import run_lifespan
from ._gateway_answers import (
    HTTP_API,
    REST_API,
    GatewayAnswer,
    app_load_error,
    gateway_headers,
    internal_error,
    lambda_answer,
    message_answer,
    response_answer,
)
from ._gateway_events import (
    IncomingRequest,
    authorizer_context,
    authorizer_event,
    http_api_event,
    request_time,
    rest_event,
)
from ._invocation import (
    MAX_SYNC_PAYLOAD_BYTES,
    InvocationResult,
    InvocationStatus,
    LocalLambda,
    Throttled,
    UnknownFunction,
)
from ._traces import TraceStore

__all__ = ["LocalGateway"]

# API Gateway's payload quota: a larger request is refused before anything runs.
MAX_REQUEST_BYTES = 10 * 1024 * 1024

logger = logging.getLogger("chalicelike.local")


# What a route with workflow= calls: (app name, workflow, input JSON) -> StartExecution's answer.
StartWorkflow = Callable[[str, str, str], Awaitable[dict[str, Any]]]


class AppState(Protocol):
    async def current(self) -> AppManifest: ...


def _no_view() -> None:
    """Views run in the app's function, never in the gateway."""


class GatewayRoute(RouteEntry):
    """One method of one path as API Gateway knows it: function, authorizer, CORS."""

    def __init__(self, spec: RouteSpec) -> None:
        cors = CORSConfig(**spec.cors) if spec.cors is not None else None
        super().__init__(
            _no_view, spec.view_name, spec.path, spec.method,
            spec.api_key_required, spec.content_types, cors,
        )  # fmt: skip
        self.function = spec.function
        self.workflow = spec.workflow
        self.authorizer_kind = spec.authorizer.kind if spec.authorizer else None
        self.authorizer_problem: str | None = None
        if spec.authorizer is not None:
            try:
                self.authorizer = authorizer_from_spec(spec.authorizer)
            except Exception as error:  # a manifest we cannot read: refuse, never skip auth
                self.authorizer_problem = f"authorizer of {spec.path}: {error}"
        self.route_key = f"{spec.method} {spec.path}"  # an HTTP API's routeKey
        # API Gateway gives each resource an id; ours is stable across reloads.
        self.resource_id = hashlib.sha1(spec.path.encode()).hexdigest()[:6]


class _Routes:
    """The route table of one manifest, built once per manifest object."""

    def __init__(self, manifest: AppManifest, log: Callable[[str], None]) -> None:
        self.manifest = manifest
        self.table = RouteTable()
        for spec in manifest.routes:
            try:
                self.table.add(GatewayRoute(spec))
            except RegistrationError as error:
                log(f"chalicelike local: route {spec.method} {spec.path} not served: {error}")
        self.binary_types = lowered_media_types(manifest.binary_types)


class LocalGateway:
    """API Gateway (a REST API with payload 1.0, or an HTTP API with 2.0) as an ASGI app.

    `log` takes one line at a time: an access log line per request and a line for each
    answer API Gateway would log (function errors, malformed responses, timeouts). Without
    it, only the latter are written, to the "chalicelike.local" logger.
    """

    def __init__(
        self,
        state: AppState,
        local_lambda: LocalLambda,
        *,
        stage: str = "dev",
        api_stage: str = "api",
        payload_version: str = "1.0",
        log: Callable[[str], None] | None = None,
        traces: TraceStore | None = None,
        start_workflow: StartWorkflow | None = None,
    ) -> None:
        if payload_version not in ("1.0", "2.0"):
            raise ValueError(f"payload_version must be '1.0' or '2.0', not {payload_version!r}")
        self._state = state
        self._lambda = local_lambda
        self.stage = stage
        self.api_stage = api_stage
        self.kind = REST_API if payload_version == "1.0" else HTTP_API
        # Seconds API Gateway waits for the function (29 s REST, 30 s HTTP API).
        self.integration_timeout = self.kind.integration_timeout
        self._access_log = log
        self._log = log or logger.error
        self._routes: _Routes | None = None
        self._auth_cache = AuthorizerCache()
        self._start_workflow = start_workflow  # what a route with workflow= calls
        # A REST API stage's X-Ray segments go here (X-Ray traces no HTTP API).
        self._traces = traces if self.kind.is_rest else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await run_lifespan(receive, send)
            return
        request = IncomingRequest.from_scope(scope)
        request.join_trace(segment=self._traces is not None)
        try:
            answer = await self._answer(request, receive)
        except ClientDisconnected:
            return  # nobody to answer, and no function was called for a partial request
        except Exception as error:  # never a traceback for the client, never a dead server
            self._log(traceback.format_exc().rstrip())
            answer = internal_error(f"{type(error).__name__}: {error}")
        headers = answer.headers + gateway_headers(
            self.kind, request.request_id, request.extended_id, request.trace_id
        )
        headers.append((b"content-length", str(len(answer.body)).encode()))
        # Logged before answering: whoever reads the answer can read the log too.
        if answer.problem is not None:
            self._log(f"{request.method} {request.raw_path}: {answer.problem}")
        if self._access_log is not None:
            self._access_log(_access_line(request, answer))
        if self._traces is not None:
            # '<api>/<stage>', as API Gateway names a stage's segment.
            api = self._routes.manifest.app_name if self._routes is not None else "api"
            name = f"{api}/{self.api_stage}"
            self._traces.add(request.xray_segment(name, answer.status, len(answer.body)))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    async def _answer(self, request: IncomingRequest, receive: Receive) -> GatewayAnswer:
        try:
            manifest = await self._state.current()
        except AppLoadError as error:
            return app_load_error(str(error), request.header("accept"), self.kind)
        routes = self._routes_of(manifest)
        match = routes.table.match(request.method, request.raw_path)
        route = self._route(match, request)
        if not isinstance(route, GatewayRoute):
            return route
        if self.kind.is_rest and route.api_key_required and not request.header("x-api-key"):
            return message_answer(403, "Forbidden")  # a REST API: no API key, no call
        body = await _read_body(receive, request)
        if body is None:
            return message_answer(413, "Request Too Long")
        request.body = body
        params = match.params or {}
        if self.kind.is_rest:
            event = rest_event(
                request, route.uri_pattern, route.resource_id, params,
                self.api_stage, routes.binary_types,
            )  # fmt: skip
        else:
            event = http_api_event(request, route.route_key, params)
        if route.authorizer is not None or route.authorizer_problem is not None:
            refused = await self._authorize(route, request, params, event)
            if refused is not None:
                return refused
        if route.workflow is not None:
            return await self._workflow_answer(routes.manifest, route, request)
        payload = json.dumps(event).encode()
        if len(payload) > MAX_SYNC_PAYLOAD_BYTES:
            # Lambda refuses a synchronous event above 6 MB; API Gateway passes on the 413.
            return message_answer(413, "Request Too Long", f"event of {len(payload)} bytes")
        result = await self._invoke(route.function, payload, route.route_key, request.trace_header)
        if isinstance(result, GatewayAnswer):
            return result
        return lambda_answer(result, self.kind)

    async def _workflow_answer(
        self, manifest: AppManifest, route: GatewayRoute, request: IncomingRequest
    ) -> GatewayAnswer:
        """API Gateway's StartExecution integration: the body is the input, Step Functions'
        answer (executionArn, startDate) the response, with the route's CORS headers as
        any answer of the route has them; no function is called."""
        content_type = request.header("content-type")
        if refused_content_type(content_type):
            problem = f"no request template for Content-Type {content_type!r}"
            return message_answer(415, "Unsupported Media Type", problem)
        answer = await self._start(manifest, route.workflow or "", request.body)
        if route.cors is None:
            return answer
        cors = route.cors.get_access_control_headers(request.header("origin"))
        added = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in cors.items()
        ]
        return answer._replace(headers=[*answer.headers, *added])

    async def _start(self, manifest: AppManifest, workflow: str, body: bytes) -> GatewayAnswer:
        """StartExecution of `workflow` with the body as its input."""
        text = body.decode("utf-8", "replace").strip() or "{}"
        try:
            json.loads(text)
        except ValueError:
            return message_answer(400, "the body is not JSON", "StartExecution: input not JSON")
        if self._start_workflow is None:
            problem = f"no local cloud to start workflow {workflow!r} on (--no-aws)"
            return message_answer(500, self.kind.function_error[1], problem)
        try:
            started = await self._start_workflow(manifest.app_name, workflow, text)
        except Exception as error:  # the endpoint down, the machine not made yet
            problem = f"StartExecution of {workflow!r} failed: {type(error).__name__}: {error}"
            return message_answer(500, self.kind.function_error[1], problem)
        return GatewayAnswer(
            200, [(b"content-type", b"application/json")], json.dumps(started).encode()
        )

    def _routes_of(self, manifest: AppManifest) -> _Routes:
        routes = self._routes
        if routes is None or routes.manifest is not manifest:
            routes = self._routes = _Routes(manifest, self._log)
            self._auth_cache.clear()  # new code may decide differently
        return routes

    def _route(self, match: RouteMatch, request: IncomingRequest) -> GatewayRoute | GatewayAnswer:
        """The route to run, or what API Gateway answers when there is none."""
        entry = match.entry
        if match.kind is Match.PARTIAL and match.methods is not None:
            entry = match.methods.get("ANY")  # an ANY method serves every method
            if entry is None and request.method == "OPTIONS":
                # CORS preflight: API Gateway's own OPTIONS method answers it.
                preflight = gateway_answer(match, "OPTIONS", lambda: request.header("origin"))
                if preflight is not None:
                    return response_answer(preflight)
        if isinstance(entry, GatewayRoute):
            return entry
        # REST: unknown path or undeclared method is 403 "Missing Authentication Token"
        # (REST APIs have no 405); an HTTP API answers 404 "Not Found".
        return message_answer(*self.kind.no_route)

    async def _authorize(
        self,
        route: GatewayRoute,
        request: IncomingRequest,
        params: dict[str, str],
        event: dict[str, Any],
    ) -> GatewayAnswer | None:
        """Run the route's authorizer; its refusal, or None with the context in `event`."""
        if route.authorizer_problem is not None:
            return internal_error(route.authorizer_problem)
        stage = self.api_stage if self.kind.is_rest else "$default"
        step = begin_authorization(
            route.authorizer, request.gateway_request(route.uri_pattern, params, stage)
        )
        latency: int | None = None
        if isinstance(step, AuthorizerCall):
            started = time.perf_counter()
            outcome = await self._call_authorizer(step, event, request.trace_header)
            latency = int((time.perf_counter() - started) * 1000)
        else:
            outcome = step
        if outcome.answer is not None:
            return response_answer(outcome.answer)
        if outcome.context is not None and route.authorizer_kind is not None:
            context = authorizer_context(
                route.authorizer_kind, outcome.context, self.kind.payload_version, latency
            )
            if context is not None:
                event["requestContext"]["authorizer"] = context
        return None

    async def _call_authorizer(
        self, call: AuthorizerCall, event: dict[str, Any], trace_header: str
    ) -> AuthOutcome:
        """Invoke the app's Lambda authorizer (or reuse its cached output), as API Gateway."""
        output = self._auth_cache.get(call)
        if output is None:
            if call.authorizer_type is AuthorizerType.TOKEN:
                auth_event = token_event(call)
            else:
                auth_event = authorizer_event(event, call)
            source = f"authorizer {call.function}"
            auth_payload = json.dumps(auth_event).encode()
            result = await self._invoke(call.function, auth_payload, source, trace_header)
            if isinstance(result, GatewayAnswer):
                self._log(f"authorizer {call.function} failed: {result.problem or result.status}")
                return authorizer_failure(None)
            if result.status is not InvocationStatus.OK:
                message = _error_message(result.payload)
                if message != "Unauthorized":
                    self._log(f"authorizer {call.function} failed: {message}")
                return authorizer_failure(message)
            try:
                output = json.loads(result.payload)
            except ValueError:
                output = None
        outcome = authorizer_outcome(call, output)
        if outcome.answer is None or outcome.answer.status_code == 403:
            self._auth_cache.put(call, output)  # API Gateway caches the policy, Deny too
        elif outcome.answer.status_code == 500:
            self._log(f"authorizer {call.function} gave an output API Gateway refuses: {output!r}")
        return outcome

    async def _invoke(
        self, function: str, payload: bytes, source: str, trace_header: str
    ) -> InvocationResult | GatewayAnswer:
        """One invocation, within the integration timeout; API Gateway's answer if it fails.
        `source`: who asked, for the console (the route key 'GET /orders/{id}')."""
        try:
            spec = self._lambda.find(function)
            invocation = self._lambda.invoke(
                function, payload, source=source, trace_header=trace_header
            )
            if spec is not None and spec.timeout < self.integration_timeout:
                return await invocation  # the function's own timeout ends it first
            result = await _within(invocation, self.integration_timeout)
        except Throttled:
            # Lambda's TooManyRequestsException: the reserved concurrency is in use.
            return message_answer(429, "Too Many Requests", f"function {function} throttled")
        except UnknownFunction:
            # API Gateway's integration points at a function that does not exist.
            return message_answer(500, self.kind.function_error[1], f"no function {function!r}")
        if result is None:
            return message_answer(
                *self.kind.timed_out,
                f"Execution failed due to a timeout error ({self.integration_timeout:g} s)",
            )
        return result


async def _within(
    invocation: Coroutine[Any, Any, InvocationResult], seconds: float
) -> InvocationResult | None:
    """The invocation's result, or None once `seconds` have passed while it keeps running
    (past API Gateway's timeout the function still runs, as on AWS). Lighter than
    wait_for(shield(...)): one task, one timer, no extra futures to chain."""
    loop = asyncio.get_running_loop()
    task = loop.create_task(invocation)
    ready = loop.create_future()

    def wake(_: object = None) -> None:
        if not ready.done():
            ready.set_result(None)

    task.add_done_callback(wake)
    timer = loop.call_later(seconds, wake)
    try:
        await ready
    except asyncio.CancelledError:
        task.cancel()  # the server is stopping: nobody will read this answer
        raise
    finally:
        timer.cancel()
    if not task.done():
        task.add_done_callback(_consume)
        return None
    return task.result()


class ClientDisconnected(Exception):
    """The client went away before its request body arrived."""


def _consume(task: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of an invocation nobody waits for any more."""
    if not task.cancelled():
        task.exception()


def _error_message(payload: bytes) -> str | None:
    try:
        message = json.loads(payload).get("errorMessage")
    except (ValueError, AttributeError):
        return None
    return message if isinstance(message, str) else None


async def _read_body(receive: Receive, request: IncomingRequest) -> bytes | None:
    """The request body; None once it is above API Gateway's 10 MB."""
    length = request.header("content-length")
    if length is None and request.header("transfer-encoding") is None:
        return b""  # HTTP/1.1: no length, no chunks, no body; nothing to wait for
    if length is not None and length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _access_line(request: IncomingRequest, answer: GatewayAnswer) -> str:
    # API Gateway's CLF access log format, with the request path for the resource.
    query = f"?{request.query_string}" if request.query_string else ""
    return (
        f'{request.source_ip} - - [{request_time(request.epoch_ms)}] "{request.method} '
        f'{request.raw_path}{query} {request.protocol}" {answer.status} {len(answer.body)} '
        f"{request.request_id}"
    )
