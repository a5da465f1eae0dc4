"""The contract between the local gateway, invoke API and CLI and the local Lambda.

`FunctionSpec` says how one function runs (the settings Lambda reads from its
configuration); `LocalLambda` is anything that can invoke one by name: worker processes
speaking the Runtime API, or the in-process runner used under a debugger. What comes back
is an `InvocationResult` carrying exactly what Lambda's Invoke API would.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_SYNC_PAYLOAD_BYTES",
    "FunctionSpec",
    "InvocationResult",
    "InvocationStatus",
    "LocalLambda",
    "Throttled",
    "UnknownFunction",
    "error_payload",
    "find_spec",
]

# Lambda's defaults when the config says nothing (Chalice uses the same).
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 128
# Lambda refuses synchronous request and response payloads above 6 MB.
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function of the app, as its configuration describes it."""

    name: str  # the function's name within the app: 'api_handler', 'ingest', ...
    resource_name: str  # its deployed name: '<app>-<stage>-<name>' ('<app>-<stage>' for the API)
    handler: str  # what Lambda imports and calls: 'app.app', 'app.ingest'
    project_dir: str  # LAMBDA_TASK_ROOT
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    memory_size: int = DEFAULT_MEMORY_MB
    reserved_concurrency: int | None = None  # None: no reserved limit
    environment: Mapping[str, str] = field(default_factory=dict)  # the config's variables
    # Stream sources' MaximumRetryAttempts (None: Lambda's default, -1: until the records expire)
    maximum_retry_attempts: int | None = None


class InvocationStatus(enum.Enum):
    """How an invocation ended; every kind but OK is a function error to the caller."""

    OK = "ok"  # the runtime posted a response
    ERROR = "error"  # the runtime posted an error (the handler raised)
    TIMEOUT = "timeout"  # killed at the function's timeout
    OUT_OF_MEMORY = "out_of_memory"  # killed above the function's memory size
    CRASHED = "crashed"  # the runtime exited, or failed to initialise


@dataclass
class InvocationResult:
    """What one invocation gave back, as Lambda's Invoke API reports it."""

    request_id: str
    status: InvocationStatus
    # The response payload for OK; otherwise Lambda's error document
    # {"errorMessage", "errorType", "stackTrace"?} as JSON bytes.
    payload: bytes
    # This invocation's log: the function's output between Lambda's system lines (START ...
    # REPORT, or platform.* records in JSON), what `LogType=Tail` returns.
    log: str = ""
    cold_start: bool = False
    duration_ms: float = 0.0
    init_duration_ms: float | None = None  # a cold start's init, as its REPORT line says
    max_memory_used_mb: int = 0  # as its REPORT line says

    @property
    def function_error(self) -> str | None:
        """The X-Amz-Function-Error header Lambda sets: 'Unhandled' on any failure."""
        return None if self.status is InvocationStatus.OK else "Unhandled"


def error_payload(message: str, error_type: str) -> bytes:
    """Lambda's error document for a failure the runtime itself reports."""
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def find_spec(specs: Mapping[str, FunctionSpec], name: str) -> FunctionSpec | None:
    """The spec `name` means, from specs keyed by function name: a function's name, its
    deployed name, `name:qualifier`, `<account>:function:<name>` or an ARN."""
    spec = specs.get(name)
    if spec is not None:  # the gateway's case, on every request: the name as it is
        return spec
    parts = name.split(":")
    if len(parts) >= 7 and parts[0] == "arn":  # arn:aws:lambda:<region>:<acct>:function:<name>
        wanted = parts[6]
    elif len(parts) >= 3 and parts[1] == "function":  # <acct>:function:<name>[:qualifier]
        wanted = parts[2]
    else:
        wanted = parts[0]
    return next((s for s in specs.values() if wanted in (s.name, s.resource_name)), None)


class UnknownFunction(LookupError):
    """No function of the app has this name (Lambda's ResourceNotFoundException)."""


class Throttled(Exception):
    """The function's reserved concurrency is in use (Lambda's TooManyRequestsException)."""


class LocalLambda(Protocol):
    """Runs the app's functions; the gateway, invoke API and CLI only need this."""

    def find(self, name: str) -> FunctionSpec | None:
        """A function by its name, its deployed name or its ARN; None when unknown."""
        ...

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
        """Run one invocation and wait for it; raises UnknownFunction or Throttled.

        `request_id`: the invocation's id (an Event invoke's, which AWS reuses for every
        attempt); a new one when None. `trace_header`: the caller's X-Ray header
        ('Root=1-..;Parent=..;Sampled=1'), whose trace the invocation joins; a new trace
        when None. `source`: who asked, for the console ('GET /orders/{id}', 'invoke',
        'sqs:orders', 'schedule:every_hour', 'console').
        """
        ...
