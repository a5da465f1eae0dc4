"""Lambda's Invoke API on the local server, so `boto3.client("lambda").invoke` reaches the app.

A raw ASGI app for `POST /2015-03-31/functions/{name}/invocations`: it reads the request as
Lambda does, hands it to the local Lambda, and answers with Lambda's status codes, headers
and error documents (botocore picks the exception class from the x-amzn-ErrorType header).
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

from .._core._aws import ACCOUNT_ID, DEFAULT_REGION
from .._core._types import Receive, Scope, Send
from ._asgi_types import run_lifespan, send_answer
from ._event_queue import RETRY_DELAYS, THROTTLE_BACKOFF, EventQueue
from ._host_guard import HostGuard
from ._invocation import (
    MAX_SYNC_PAYLOAD_BYTES,
    InvocationResult,
    LocalLambda,
    Throttled,
    UnknownFunction,
)

__all__ = ["InvokeApi", "split_function_name"]

logger = logging.getLogger("chalicelike.local")

API_PREFIX = "/2015-03-31/functions/"
LATEST = "$LATEST"
# Lambda's quotas: 1 MB for an asynchronous (Event) payload, 6 MB for a synchronous one.
MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024
LOG_TAIL_BYTES = 4096  # LogType=Tail: "the last 4 KB of the execution log"
# ClientContext: "up to 3,583 bytes of base64-encoded data".
MAX_CLIENT_CONTEXT_BYTES = 3583


class InvocationType(enum.Enum):
    REQUEST_RESPONSE = "RequestResponse"
    EVENT = "Event"
    DRY_RUN = "DryRun"


class Match(enum.Enum):
    """How a request's path and method meet the one operation served (Starlette's Match)."""

    FULL = "full"
    PARTIAL = "partial"  # the path is Invoke's, the method is not: 405
    NONE = "none"


class LambdaApiError(Exception):
    """An answer in Lambda's error shape: status, x-amzn-ErrorType and a JSON document."""

    def __init__(self, status: int, error_type: str, document: dict[str, str]) -> None:
        super().__init__(f"{status} {error_type}: {document}")
        self.status = status
        self.error_type = error_type
        self.document = document

    @classmethod
    def user(cls, status: int, error_type: str, message: str) -> LambdaApiError:
        # Most of Lambda's errors spell it "message"; the service model says so per shape.
        return cls(status, error_type, {"Type": "User", "message": message})


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class InvokeRequest:
    """What one Invoke call asks, read from its path, query and headers."""

    name: str  # as the caller gave it: a name or an ARN, perhaps with a qualifier
    function: str  # the name alone, without ARN prefix or qualifier
    qualifier: str | None
    invocation_type: InvocationType
    tail_log: bool
    client_context: str | None  # decoded: the JSON the runtime passes on
    # The caller's X-Ray header (botocore sends X-Amzn-Trace-Id from a traced function):
    # Lambda continues its trace.
    trace_header: str | None = None


class InvokeApi:
    def __init__(
        self,
        local_lambda: LocalLambda,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = ACCOUNT_ID,
        log: Callable[[str], None] | None = None,
        event_retry_delays: Sequence[float] = RETRY_DELAYS,
        throttle_backoff: tuple[float, float] = THROTTLE_BACKOFF,
        guard: HostGuard | None = None,
    ) -> None:
        self.local_lambda = local_lambda
        self.guard = guard or HostGuard()
        self._log = log or logger.warning
        self.region = region
        self.account_id = account_id
        self.events = EventQueue(
            local_lambda,
            self._log,
            retry_delays=event_retry_delays,
            throttle_backoff=throttle_backoff,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # Served alone (not inside LocalServer), shutdown still closes the Event tasks.
            await run_lifespan(receive, send, shutdown=self.close)
            return
        if scope["type"] != "http":
            return
        try:
            refusal = self.guard.refusal(scope)
            if refusal is not None:
                # A browser page from elsewhere (docs/security.md): it runs nothing.
                self._log(f"Invoke API: refused {scope['method']} {scope['path']}: {refusal}")
                raise LambdaApiError.user(
                    403, "AccessDeniedException", f"chalicelike local refuses it: {refusal}"
                )
            reply = await self._handle(scope, receive)
        except LambdaApiError as error:
            reply = error_reply(error)
        await _send_reply(send, reply)

    async def _handle(self, scope: Scope, receive: Receive) -> Reply:
        match, raw_name = route(scope)
        if match is Match.NONE:
            method, path = scope["method"], scope["path"]
            raise LambdaApiError.user(
                404,
                "UnknownOperationException",
                f"chalicelike local serves only Lambda's Invoke operation (POST {API_PREFIX}"
                f"{{FunctionName}}/invocations), not {method} {path}",
            )
        if match is Match.PARTIAL:
            raise LambdaApiError.user(
                405, "MethodNotAllowedException", "Invoke takes POST, not " + scope["method"]
            )
        request = read_request(scope, raw_name, self.region, self.account_id)
        limit = (
            MAX_EVENT_PAYLOAD_BYTES
            if request.invocation_type is InvocationType.EVENT
            else MAX_SYNC_PAYLOAD_BYTES
        )
        body = await read_body(scope, receive, limit)
        self._check_function(request)
        payload = checked_payload(body)
        request_id = str(uuid.uuid4())
        if request.invocation_type is InvocationType.DRY_RUN:
            # DryRun "validates parameter values and permissions" and runs nothing.
            return Reply(204, [("x-amzn-RequestId", request_id)])
        if request.invocation_type is InvocationType.EVENT:
            self.events.submit(request.name, payload, request_id, trace_header=request.trace_header)
            return Reply(202, [("x-amzn-RequestId", request_id)])
        return await self._invoke_sync(request, payload)

    def _check_function(self, request: InvokeRequest) -> None:
        # Only $LATEST exists locally: there are no published versions or aliases, so any
        # other qualifier names a function Lambda would not find either.
        unknown = self.local_lambda.find(request.function) is None
        if unknown or request.qualifier not in (None, LATEST):
            raise self.not_found(request.function, request.qualifier)

    def not_found(self, function: str, qualifier: str | None = None) -> LambdaApiError:
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{function}"
        return function_not_found(arn if qualifier is None else f"{arn}:{qualifier}")

    async def _invoke_sync(self, request: InvokeRequest, payload: bytes) -> Reply:
        try:
            # The name as given: the function's context carries the ARN the caller used.
            result = await self.local_lambda.invoke(
                request.name,
                payload,
                client_context=request.client_context,
                trace_header=request.trace_header,
            )
        except UnknownFunction:  # removed by a reload since the check
            raise self.not_found(request.function, request.qualifier) from None
        except Throttled:
            raise self.throttled(request.function) from None
        return result_reply(result, request.tail_log)

    def throttled(self, function: str) -> LambdaApiError:
        spec = self.local_lambda.find(function)
        # The reason names the limit that was hit: the function's own reserved
        # concurrency, or the account's.
        reason = (
            "ReservedFunctionConcurrentInvocationLimitExceeded"
            if spec is not None and spec.reserved_concurrency is not None
            else "ConcurrentInvocationLimitExceeded"
        )
        document = {"Reason": reason, "Type": "User", "message": "Rate Exceeded."}
        return LambdaApiError(429, "TooManyRequestsException", document)

    async def close(self, grace: float = 2.0) -> None:
        """Wait up to `grace` seconds for Event invocations still running, then cancel them."""
        await self.events.close(grace)


# -- reading the request ------------------------------------------------------------------


def route(scope: Scope) -> tuple[Match, str]:
    """Whether this is Invoke, and the function name from the path, still URL-quoted."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    if not path.startswith(API_PREFIX):
        return Match.NONE, ""
    parts = path[len(API_PREFIX) :].rstrip("/").split("/")
    if len(parts) != 2 or parts[1] != "invocations" or not parts[0]:
        return Match.NONE, ""
    return (Match.FULL if scope["method"] == "POST" else Match.PARTIAL), parts[0]


def read_request(scope: Scope, raw_name: str, region: str, account_id: str) -> InvokeRequest:
    headers = {name.decode("latin-1").lower(): value for name, value in scope["headers"]}

    def header(name: str) -> str | None:
        value = headers.get(name)
        return None if value is None else value.decode("latin-1")

    name = unquote(raw_name)
    function, qualifier = split_function_name(name, region, account_id)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if "Qualifier" in query:
        given = query["Qualifier"][-1]
        if qualifier is not None and qualifier != given:
            raise LambdaApiError.user(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified "
                "qualifier.",
            )
        qualifier = given
    return InvokeRequest(
        name,
        function,
        qualifier,
        _enum_header("invocationType", header("x-amz-invocation-type"), "RequestResponse"),
        _log_type(header("x-amz-log-type")),
        _client_context(header("x-amz-client-context")),
        header("x-amzn-trace-id"),
    )


def split_function_name(name: str, region: str, account_id: str) -> tuple[str, str | None]:
    """(name, qualifier) from any of Lambda's forms: 'f', 'f:1', '<account>:function:f'
    or 'arn:aws:lambda:<region>:<account>:function:f:$LATEST'."""
    prefix, marker, rest = name.partition(":function:")
    if not marker:
        rest = name
    elif prefix.split(":")[-2:] != [region, account_id] and prefix != account_id:
        # Another region's or account's function: not one this endpoint holds.
        raise function_not_found(name)
    function, _, qualifier = rest.partition(":")
    return function, qualifier or None


def function_not_found(arn: str) -> LambdaApiError:
    # This shape spells it "Message" (ResourceNotFoundException in Lambda's service model).
    document = {"Type": "User", "Message": f"Function not found: {arn}"}
    return LambdaApiError(404, "ResourceNotFoundException", document)


def _enum_header(field_name: str, value: str | None, default: str) -> InvocationType:
    try:
        return InvocationType(value or default)
    except ValueError:
        allowed = ", ".join(kind.value for kind in InvocationType)
        raise _validation_error(field_name, value, allowed) from None


def _log_type(value: str | None) -> bool:
    if value not in (None, "None", "Tail"):
        raise _validation_error("logType", value, "None, Tail")
    return value == "Tail"


def _validation_error(field_name: str, value: str | None, allowed: str) -> LambdaApiError:
    return LambdaApiError.user(
        400,
        "InvalidParameterValueException",
        f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{allowed}]",
    )


def _client_context(value: str | None) -> str | None:
    """The ClientContext header decoded: Lambda takes only base64 of a JSON object."""
    if value is None:
        return None
    if len(value) > MAX_CLIENT_CONTEXT_BYTES:
        raise LambdaApiError.user(
            400,
            "InvalidParameterValueException",
            f"Client context must be {MAX_CLIENT_CONTEXT_BYTES} bytes or less (base64-encoded).",
        )
    try:
        text = base64.b64decode(value, validate=True).decode()
        if not isinstance(json.loads(text), dict):
            raise ValueError("not an object")
    except (binascii.Error, ValueError):
        raise LambdaApiError.user(
            400,
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        ) from None
    return text


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or RequestTooLargeException above `limit` bytes.

    An oversized body is still read to its end (and dropped): answering before the client
    has sent it all makes many clients see a reset connection instead of the 413.
    """
    declared = dict(scope["headers"]).get(b"content-length")
    too_large = declared is not None and declared.isdigit() and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        too_large = too_large or size > limit
        if not too_large:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if too_large:
        operation = "InvokeFunction" if limit == MAX_SYNC_PAYLOAD_BYTES else "InvokeAsync"
        raise LambdaApiError.user(
            413,
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the {operation} operation",
        )
    return b"".join(chunks)


def checked_payload(body: bytes) -> bytes:
    # No payload is an empty JSON object to the function, as on Lambda.
    if not body.strip():
        return b"{}"
    try:
        json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        reason = str(error)
    except RecursionError:
        # `[` * 50000: Lambda's parser caps the nesting depth (at 1000) and answers 400.
        reason = "Document nesting depth exceeds the maximum allowed"
    else:
        return body
    raise LambdaApiError.user(
        400,
        "InvalidRequestContentException",
        f"Could not parse request body into json: Could not parse payload into json: {reason}",
    )


def _refuse_constant(name: str) -> object:
    # Python's json reads NaN and Infinity; JSON has no such tokens and Lambda refuses them.
    raise ValueError(f"Non-standard token '{name}'")


def _finite_float(text: str) -> float:
    # 1e999 would reach the function as inf, which JSON cannot hold (nor send back):
    # refused as NaN and Infinity are.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"Numeric value ({text}) out of range of double")
    return value


# -- writing the answer -------------------------------------------------------------------


def result_reply(result: InvocationResult, tail_log: bool) -> Reply:
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", result.request_id),
        ("X-Amz-Executed-Version", LATEST),
    ]
    if result.function_error is not None:
        # A function error is still a 200: the caller reads this header and the document.
        headers.append(("X-Amz-Function-Error", result.function_error))
    if tail_log:
        tail = result.log.encode()[-LOG_TAIL_BYTES:]
        headers.append(("X-Amz-Log-Result", base64.b64encode(tail).decode()))
    return Reply(200, headers, result.payload)


def error_reply(error: LambdaApiError) -> Reply:
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amzn-ErrorType", error.error_type),
    ]
    if error.status == 405:
        headers.append(("Allow", "POST"))
    return Reply(error.status, headers, json.dumps(error.document).encode())


async def _send_reply(send: Send, reply: Reply) -> None:
    headers = [(name.encode(), value.encode()) for name, value in reply.headers]
    await send_answer(send, reply.status, headers, reply.body)
