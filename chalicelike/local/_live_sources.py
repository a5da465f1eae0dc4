"""The contract between the local cloud and each live event source it runs.

A `LiveSource` is one event source mapping (or subscription, or schedule) of one
function, brought to life against the local AWS endpoint: an SQS poller, a Kinesis
shard reader, a schedule's timer. The local cloud (`_local_cloud.py`) starts one per
function's event source and stops it when the app no longer declares it, or when the
server stops; everything a source needs comes in one `CloudContext`.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .._tooling._manifest import FunctionEntry
from ._aws_clients import AwsClients
from ._deliveries import DeliveryLog
from ._event_queue import EventQueue
from ._invocation import LocalLambda

__all__ = ["CloudContext", "LiveSource", "invoker_of", "source_key"]

T = TypeVar("T")


@dataclass
class CloudContext:
    """What every live source shares: the running server's parts."""

    local_lambda: LocalLambda  # invoke(name, payload) -> InvocationResult
    clients: AwsClients  # boto3 clients for the endpoint (blocking: call them in a thread)
    deliveries: DeliveryLog  # report every delivery here
    # Asynchronous invocations with Lambda's retries (S3, SNS, EventBridge and schedules
    # invoke with InvocationType Event); `submit(function, payload, event_id, on_done)`.
    event_queue: EventQueue
    region: str
    account_id: str
    log: Callable[[str], None]
    # How many seconds of schedule time pass per real second: 1 for users; tests speed
    # it up (CHALICELIKE_LOCAL_CLOCK_SPEED) so rate(1 minute) fires within a second.
    clock_speed: float = 1.0
    # S3's object changes, as the embedded endpoint sees them (an S3ChangeFeed from
    # _s3_changes.py); None with --aws-endpoint, whose S3 we cannot watch.
    s3_changes: Any = None
    # Blocking boto3 calls run here, not in asyncio's default executor: a few long polls
    # would fill that one (cpu + 4 threads) and stall everything else run in a thread.
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(64, thread_name_prefix="local-cloud")
    )

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call (boto3) in the cloud's threads and wait for it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, functools.partial(function, *args, **kwargs)
        )


class LiveSource(Protocol):
    """One function's live event source."""

    def start(self) -> None:
        """Begin (create tasks, subscribe); never blocks the event loop."""
        ...

    async def stop(self) -> None:
        """Take no new work; hand back what is in flight (an SQS batch not yet done is made
        visible again, a stream's position is not advanced) and wait until that is done.
        Nothing is deleted unprocessed and nothing is lost."""
        ...


def invoker_of(label: str) -> str:
    """Who invokes, as the console shows it, from a delivery label: 'sns orders' is
    'sns:orders' (the SQS poller's and the gateway's sources read the same way)."""
    return label.replace(" ", ":", 1)


def source_key(entry: FunctionEntry) -> str:
    """Identifies a function's event source across reloads: same key, same running source."""
    settings: Any = {k: v for k, v in entry.settings.items() if k != "deploy_problems"}
    return json.dumps([entry.kind, entry.name, entry.handler, settings], sort_keys=True)
