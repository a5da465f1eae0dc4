"""The local cloud: every event source of the app, live against the local AWS endpoint.

After each read of the app (at start, after a save) `sync` creates what the event sources
name, then starts a `LiveSource` for each function's source that is new and stops those
the app no longer declares; one that did not change keeps running through the reload, so
its in-flight work and position are untouched. `close` stops them all, handing back what
is in flight, and logs the delivery counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable
from typing import Any

from .._core._aws import ACCOUNT_ID
from .._tooling._manifest import AppManifest, FunctionEntry
from ._aws_clients import AwsClients
from ._deliveries import DeliveryLog
from ._event_queue import EventQueue
from ._invocation import LocalLambda
from ._live_sources import CloudContext, LiveSource, source_key
from ._provision import Provisioner, resources_named

__all__ = ["LIVE_SOURCE_CLASSES", "STOP_GRACE_SECONDS", "LocalCloud"]

# Each event source kind (the manifest's) and the class that brings it to life, imported
# only when an app has such a source.
LIVE_SOURCE_CLASSES: dict[str, tuple[str, str]] = {
    "s3": ("._s3_notifications", "S3Notifications"),
    "sqs": ("._sqs_poller", "SqsPoller"),
    "sns": ("._sns_subscriptions", "SnsSubscription"),
    "cloudwatch": ("._eventbridge_rules", "EventBridgeRule"),
    "scheduled": ("._schedule_timers", "ScheduleTimer"),
    "kinesis": ("._stream_pollers", "KinesisPoller"),
    "dynamodb": ("._stream_pollers", "DynamoDbStreamPoller"),
}
# A source still finishing a batch gets this long when the server stops; then it is
# cancelled (its records come back: nothing is deleted unprocessed).
STOP_GRACE_SECONDS = 2.0
# An external endpoint (--aws-endpoint) not up yet when the server starts: what could not
# be created is tried again this often, until it is made (the sources wait for it).
PROVISION_RETRY_SECONDS = 2.0
# A source a reload retires finishes its running invocations (up to Lambda's longest
# timeout) in the background.
RETIRE_GRACE_SECONDS = 900.0


class LocalCloud:
    def __init__(
        self,
        local_lambda: LocalLambda,
        endpoint_url: str,
        region: str,
        log: Callable[[str], None],
        *,
        ready: Callable[[], bool] | None = None,
        s3_changes: Any = None,
        clock_speed: float = 1.0,
        stage: str = "dev",
    ) -> None:
        self.log = log
        self.ready = ready  # waits for an endpoint this server starts; False: it failed
        self.deliveries = DeliveryLog(log)
        self.context = CloudContext(
            local_lambda=local_lambda,
            clients=AwsClients(endpoint_url, region),
            deliveries=self.deliveries,
            event_queue=EventQueue(local_lambda, log),
            region=region,
            account_id=ACCOUNT_ID,
            log=log,
            clock_speed=clock_speed,
            s3_changes=s3_changes,
        )
        self.provisioner = Provisioner(self.context.clients, self._provision_log)
        self.sources: dict[str, LiveSource] = {}
        self._lock = asyncio.Lock()
        self._endpoint_down = False
        self._manifest: AppManifest | None = None
        self._unmade = False  # the last provisioning could not create something
        self._said: set[str] = set()  # its failures, said once until it succeeds
        self._retry: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()  # sources a reload retired
        self._lost_at = float("-inf")  # when a source last said its resource was gone
        self.stage = stage
        self.workflows: Any = None  # WorkflowMachines, once the app declares a workflow

    async def sync(self, manifest: AppManifest) -> None:
        """Bring the live sources in line with `manifest` (one sync at a time)."""
        async with self._lock:
            if self.ready is not None and not await self.context.call(self.ready):
                if not self._endpoint_down:
                    self._endpoint_down = True
                    self.log(
                        "chalicelike local: the AWS endpoint at"
                        f" {self.context.clients.endpoint_url} did not start;"
                        " no event source is live"
                    )
                return
            self._manifest = manifest
            await self._provision()
            wanted = {
                source_key(entry): entry
                for entry in manifest.functions
                if entry.kind in LIVE_SOURCE_CLASSES
            }
            gone = [key for key in self.sources if key not in wanted]
            retiring = self._retire([self.sources.pop(key) for key in gone])
            if retiring is not None:
                # Their first steps (an SNS relay unsubscribing) come before a new
                # source's: a changed source's subscription is never undone by its old one.
                await asyncio.wait([retiring], timeout=STOP_GRACE_SECONDS)
            started = []
            for key, entry in wanted.items():
                if key not in self.sources:
                    source = self._make(entry)
                    source.start()
                    self.sources[key] = source
                    started.append(source)
            if started or gone:
                await _until_ready(started)
                self.log(
                    f"chalicelike local: {len(wanted)} event sources live: "
                    + (", ".join(f"{e.name} ({e.kind})" for e in wanted.values()) or "none")
                )
            await self._sync_workflows(manifest)

    async def _sync_workflows(self, manifest: AppManifest) -> None:
        """The app's workflows as state machines (imported once the app has one)."""
        if self.workflows is None and manifest.workflows:
            from ._workflow_machines import WorkflowMachines

            self.workflows = WorkflowMachines(self.context, self.stage)
        if self.workflows is not None:
            await self.workflows.sync(manifest)

    async def _provision(self) -> None:
        """Create what the app names; what fails is tried again in the background, as
        the sources wait for it (an endpoint started after the server, say)."""
        if self._manifest is None:
            return
        self._unmade = False
        await self.context.call(self.provisioner.provision, resources_named(self._manifest))
        if not self._unmade:
            self._said.clear()
        elif self._retry is None or self._retry.done():
            self._retry = asyncio.ensure_future(self._provision_again())

    async def _provision_again(self) -> None:
        while self._unmade:
            await asyncio.sleep(PROVISION_RETRY_SECONDS)
            async with self._lock:
                await self._provision()

    def _provision_log(self, line: str) -> None:
        """The provisioner's lines (from the cloud's threads); a failure once, not every retry."""
        if "could not create" in line:
            self._unmade = True
            if line in self._said:
                return
            self._said.add(line)
        self.log(line)

    def _make(self, entry: FunctionEntry) -> LiveSource:
        module_name, class_name = LIVE_SOURCE_CLASSES[entry.kind]
        module = importlib.import_module(module_name, __package__)
        source: LiveSource = getattr(module, class_name)(entry, self.context)
        # A source that finds its queue gone says so (`on_missing`), as SNS's and
        # EventBridge's relays do through the relay they hold.
        holders: list[Any] = [source, getattr(source, "relay", None)]
        for holder in holders:
            if hasattr(holder, "on_missing"):
                holder.on_missing = self.resources_lost
        return source

    def resources_lost(self) -> None:
        """A source found what it polls gone: the endpoint was restarted without its state
        (LocalStack, a moto server). Everything the app names is made again, soon."""
        now = asyncio.get_running_loop().time()
        if self._manifest is None or now < self._lost_at + PROVISION_RETRY_SECONDS:
            return
        self._lost_at = now
        self.log(
            f"chalicelike local: the AWS endpoint at {self.context.clients.endpoint_url} lost"
            " what the app's event sources use (restarted?): making it again"
        )
        self.provisioner.forget()
        if self._retry is None or self._retry.done():
            self._unmade = True
            self._retry = asyncio.ensure_future(self._provision_again())

    def _retire(self, sources: list[LiveSource]) -> asyncio.Task[None] | None:
        """Sources a reload removed or changed stop receiving at once, and finish what they
        run in the background, as Lambda lets a replaced mapping's invocations end (cut
        short, the batch would run again beside its first run)."""
        if not sources:
            return None
        task = asyncio.ensure_future(self._stop(sources, RETIRE_GRACE_SECONDS))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return task

    async def _stop(self, sources: list[LiveSource], grace: float = STOP_GRACE_SECONDS) -> None:
        if not sources:
            return
        stops = [asyncio.ensure_future(source.stop()) for source in sources]
        try:
            await asyncio.wait(stops, timeout=grace)
        finally:
            # Past the grace, or this sync cancelled itself (Ctrl-C during a reload): what
            # is still stopping is cancelled, which hands its work back, and waited for.
            for stop in stops:
                stop.cancel()
            results = await asyncio.shield(asyncio.gather(*stops, return_exceptions=True))
        for result in results:
            if isinstance(result, Exception):
                self.log(f"chalicelike local: an event source failed to stop: {result!r}")

    async def close(self) -> None:
        """The server stops: every source hands back its work, then the counters are logged."""
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
        with contextlib.suppress(asyncio.CancelledError):
            async with self._lock:
                sources, self.sources = list(self.sources.values()), {}
                if self.workflows is not None:
                    await self.workflows.close()
                retiring = list(self._retiring)
                await self._stop(sources)
                if retiring:  # the server's grace is theirs too; then they hand back
                    await asyncio.wait(retiring, timeout=STOP_GRACE_SECONDS)
                    for task in retiring:
                        task.cancel()
                    await asyncio.gather(*retiring, return_exceptions=True)
        await self.context.event_queue.close()
        for line in self.deliveries.summary():
            self.log(line)
        self.context.executor.shutdown(wait=False, cancel_futures=True)


async def _until_ready(sources: list[LiveSource], timeout: float = 10.0) -> None:
    """Wait for the sources that say when they are listening (`ready`, an asyncio.Event:
    a subscription made, a first poll sent), so that "live" in the log means it."""
    waits = [
        asyncio.ensure_future(ready.wait())
        for source in sources
        if isinstance(ready := getattr(source, "ready", None), asyncio.Event)
    ]
    if waits:
        _, late = await asyncio.wait(waits, timeout=timeout)
        for wait in late:
            wait.cancel()
