"""Helpers for the gateway tests: a LocalLambda running a real app in-process, a state that
serves the app's manifest (or an AppLoadError), and `gateway_server` serving LocalGateway
with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from chalicelike import Chalice
from chalicelike._core._lambda_context import LambdaContext
from chalicelike._tooling._describe import AppLoadError
from chalicelike._tooling._manifest import API_FUNCTION, AppManifest, describe_app
from chalicelike.local._gateway import LocalGateway
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    Throttled,
    UnknownFunction,
    error_payload,
)
from chalicelike.local._traces import TraceStore
from tests.servers import serve

Handler = Callable[[Any, Any], Any]


class AppLambda:
    """A LocalLambda that runs an app's handlers in a thread of the server's process.

    The API function is the app object itself (`app(event, context)`), each Lambda
    authorizer its ChaliceAuthorizer; `handlers` replaces or adds functions by name.
    Every invocation is recorded in `calls` as (function name, event).
    """

    def __init__(
        self,
        app: Any,
        *,
        handlers: dict[str, Handler] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.handlers: dict[str, Handler] = {API_FUNCTION: app}
        if isinstance(app, Chalice):
            self.handlers.update(app.authorizers)
        self.handlers.update(handlers or {})
        self.timeout = timeout
        self.throttled: set[str] = set()
        self.calls: list[tuple[str, Any]] = []
        self.traced: list[tuple[str, str | None, str]] = []  # (name, trace_header, source)

    def find(self, name: str) -> FunctionSpec | None:
        if name not in self.handlers:
            return None
        return FunctionSpec(name, f"app-dev-{name}", f"app.{name}", ".", self.timeout)

    async def invoke(
        self,
        name: str,
        payload: bytes,
        *,
        client_context: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
        source: str = "invoke",
    ) -> InvocationResult:
        handler = self.handlers.get(name)
        if handler is None:
            raise UnknownFunction(name)
        if name in self.throttled:
            raise Throttled(name)
        event = json.loads(payload)
        self.calls.append((name, event))
        self.traced.append((name, trace_header, source))
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(_run, handler, event, name, request_id), self.timeout
            )
        except asyncio.TimeoutError:
            message = f"{request_id} Task timed out after {self.timeout:.2f} seconds"
            payload = error_payload(message, "Sandbox.Timedout")
            duration = (time.perf_counter() - started) * 1000
            return InvocationResult(
                request_id, InvocationStatus.TIMEOUT, payload, "", False, duration
            )

    def calls_to(self, name: str) -> list[Any]:
        return [event for called, event in self.calls if called == name]


def _run(handler: Handler, event: Any, name: str, request_id: str) -> InvocationResult:
    context = LambdaContext(f"app-dev-{name}", aws_request_id=request_id)
    try:
        payload = json.dumps(handler(event, context)).encode()
    except Exception as error:
        payload = error_payload(str(error), type(error).__name__)
        return InvocationResult(request_id, InvocationStatus.ERROR, payload)
    return InvocationResult(request_id, InvocationStatus.OK, payload)


class AppState:
    """What ProjectState gives the gateway: the app's manifest, or AppLoadError."""

    def __init__(self, manifest: AppManifest | None = None, error: str | None = None) -> None:
        self.manifest = manifest
        self.error = error

    @classmethod
    def of(cls, app: Any) -> AppState:
        return cls(describe_app(app))

    async def current(self) -> AppManifest:
        if self.error is not None or self.manifest is None:
            raise AppLoadError(self.error or "the app has not been read yet")
        return self.manifest


@dataclass
class GatewayHarness:
    """A served gateway: its URL, a keep-alive session, and what it logged."""

    url: str
    session: requests.Session
    gateway: LocalGateway
    local_lambda: Any
    state: Any
    log: list[str] = field(default_factory=list)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, timeout=10, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=10, **kwargs)

    def problems(self) -> list[str]:
        """The log lines that are not access log lines."""
        return [line for line in self.log if not line.startswith("127.0.0.1 - - [")]


class _ClosingGateway:
    """The gateway, plus closing the local Lambda in the server's loop at shutdown."""

    def __init__(self, gateway: LocalGateway, local_lambda: Any) -> None:
        self.gateway = gateway
        self.local_lambda = local_lambda

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.gateway(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                close = getattr(self.local_lambda, "close", None)
                if close is not None:
                    await close()
                await send({"type": "lifespan.shutdown.complete"})
                return


@contextlib.contextmanager
def gateway_server(
    local_lambda: Any,
    state: Any,
    *,
    payload_version: str = "1.0",
    api_stage: str = "api",
    traces: TraceStore | None = None,
) -> Iterator[GatewayHarness]:
    log: list[str] = []
    gateway = LocalGateway(
        state,
        local_lambda,
        payload_version=payload_version,
        api_stage=api_stage,
        log=log.append,
        traces=traces,
    )
    with serve(_ClosingGateway(gateway, local_lambda)) as url, requests.Session() as session:
        yield GatewayHarness(url, session, gateway, local_lambda, state, log)


@contextlib.contextmanager
def app_server(app: Any, **options: Any) -> Iterator[GatewayHarness]:
    """Serve `app` through the gateway and an in-process AppLambda."""
    handlers = options.pop("handlers", None)
    timeout = options.pop("timeout", 5.0)
    with gateway_server(
        AppLambda(app, handlers=handlers, timeout=timeout), AppState.of(app), **options
    ) as harness:
        yield harness


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
