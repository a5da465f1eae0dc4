"""What the SNS, EventBridge and relay tests share: a moto server, a CloudContext on it,
a local Lambda that records what it ran (a real WorkerPool inside, or handlers in this
process), and a wait helper."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from moto.server import ThreadedMotoServer

from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._deliveries import DeliveryLog
from chalicelike.local._event_queue import EventQueue
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    LocalLambda,
    UnknownFunction,
    error_payload,
)
from chalicelike.local._live_sources import CloudContext
from chalicelike.local._pool import WorkerPool
from chalicelike.local._s3_moto_patches import patch_moto_s3_events
from chalicelike.local._sns_moto_patches import patch_moto_sns
from tests.local.test_server import free_port

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

# Handlers run in real worker processes: each stamps when it started.
PUSH_APP = """
import time

def stamp(event, context):
    return {"started": time.time(), "event": event}

def fail(event, context):
    raise ValueError("refused")

def nap(event, context):
    time.sleep(event["seconds"])
    return {"started": time.time(), "event": event}
"""


@dataclass
class Call:
    name: str
    event: Any
    result: InvocationResult


@dataclass
class RecordingLambda:
    """A LocalLambda that records each invocation: around a real one, or running plain
    functions in this process (`handlers`) for tests of delivery logic alone."""

    inner: LocalLambda | None = None
    handlers: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def find(self, name: str) -> FunctionSpec | None:
        if self.inner is not None:
            return self.inner.find(name)
        if name not in self.handlers:
            return None
        return FunctionSpec(name, f"push-dev-{name}", f"app.{name}", ".", timeout=2.0)

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
        if self.inner is not None:
            result = await self.inner.invoke(
                name,
                payload,
                client_context=client_context,
                request_id=request_id,
                trace_header=trace_header,
                source=source,
            )
        else:
            result = await self._run_here(name, payload, request_id or str(uuid.uuid4()))
        self.calls.append(Call(name, json.loads(payload), result))
        return result

    async def _run_here(self, name: str, payload: bytes, request_id: str) -> InvocationResult:
        if name not in self.handlers:
            raise UnknownFunction(name)  # as the pool does after a reload without it
        try:
            answer = self.handlers[name](json.loads(payload))
            if isinstance(answer, Awaitable):
                answer = await answer
        except Exception as error:
            document = error_payload(str(error), type(error).__name__)
            return InvocationResult(request_id, InvocationStatus.ERROR, document)
        return InvocationResult(request_id, InvocationStatus.OK, json.dumps(answer).encode())

    def succeeded(self, name: str | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.result.status is InvocationStatus.OK and name in (None, call.name)
        ]


async def wait_until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s: {check}")
        await asyncio.sleep(0.02)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto on a free port, patched as the endpoint `chalicelike local` serves is; the test
    module's fixture holds one for all its tests."""
    assert patch_moto_sns() and patch_moto_s3_events()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def client(url: str, service: str) -> Any:
    """A boto3 client for the moto at `url`, with dummy credentials."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class Cloud:
    context: CloudContext
    lambda_: RecordingLambda
    lines: list[str]
    queue: EventQueue


CloudFactory = Callable[..., Cloud]


@contextlib.asynccontextmanager
async def clouds(moto_url: str) -> AsyncIterator[CloudFactory]:
    """`make(recording_lambda, retry_delays=(0.1, 0.2))`: a CloudContext on moto; moto is
    emptied afterwards (its backends live in this process, shared by every server)."""
    made: list[Cloud] = []
    clients = AwsClients(moto_url, REGION)

    def make(lambda_: RecordingLambda, retry_delays: tuple[float, ...] = (0.1, 0.2)) -> Cloud:
        lines: list[str] = []
        queue = EventQueue(lambda_, lines.append, retry_delays=retry_delays)
        context = CloudContext(
            local_lambda=lambda_,
            clients=clients,
            deliveries=DeliveryLog(lines.append),
            event_queue=queue,
            region=REGION,
            account_id=ACCOUNT_ID,
            log=lines.append,
        )
        made.append(Cloud(context, lambda_, lines, queue))
        return made[-1]

    try:
        yield make
    finally:
        for each in made:
            await each.queue.close()
            each.context.executor.shutdown(wait=True)
        requests.post(f"{moto_url}/moto-api/reset", timeout=10)


def push_specs(tmp_path: Path, *names: str, timeout: float = 5.0) -> list[FunctionSpec]:
    """FunctionSpecs of PUSH_APP, written into tmp_path."""
    (tmp_path / "app.py").write_text(PUSH_APP)
    return [
        FunctionSpec(name, f"push-dev-{name}", f"app.{name}", str(tmp_path), timeout=timeout)
        for name in names
    ]


def pooled(specs: list[FunctionSpec], open_pool: Callable[..., WorkerPool]) -> RecordingLambda:
    return RecordingLambda(inner=open_pool(*specs))
