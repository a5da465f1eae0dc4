"""Create, on the local AWS endpoint, every resource the app's event sources name.

Runs at start and after each reload (only names not made before); creating something
that exists already is not an error, so a shared endpoint (`--aws-endpoint`) keeps its
state. Blocking boto3 calls: the server runs `provision` in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._tooling._manifest import AppManifest
from ._aws_clients import AwsClients

__all__ = ["Provisioner", "Resource", "resources_named"]

_ALREADY_THERE = {
    "BucketAlreadyOwnedByYou",
    "BucketAlreadyExists",
    "ResourceInUseException",
    "ResourceAlreadyExistsException",
    "QueueAlreadyExists",
}


@dataclass(frozen=True)
class Resource:
    kind: str  # 'bucket', 'queue', 'topic', 'stream', 'bus', 'table'
    name: str
    function: str  # the handler whose event source names it, for the log


def _last(name_or_arn: str, separator: str = ":") -> str:
    return name_or_arn.rsplit(separator, 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def resources_named(manifest: AppManifest) -> list[Resource]:
    """What the manifest's event sources name, in function order, each once."""
    found: dict[tuple[str, str], Resource] = {}
    for entry in manifest.functions:
        settings, kind = entry.settings, entry.kind
        named: list[tuple[str, str]] = []
        if kind == "s3" and settings.get("bucket"):
            named.append(("bucket", settings["bucket"]))
        elif kind == "sqs":
            queue = settings.get("queue") or settings.get("queue_arn")
            if queue:
                named.append(("queue", _last(queue)))
        elif kind == "sns" and settings.get("topic"):
            named.append(("topic", _last(settings["topic"])))
        elif kind == "kinesis" and settings.get("stream"):
            named.append(("stream", _last(settings["stream"], "/")))
        elif kind == "cloudwatch" and settings.get("bus"):
            named.append(("bus", _last(settings["bus"], "/")))
        elif kind == "dynamodb" and settings.get("stream_arn"):
            named.append(("table", settings["stream_arn"]))
        for resource_kind, name in named:
            found.setdefault((resource_kind, name), Resource(resource_kind, name, entry.name))
    return list(found.values())


class Provisioner:
    """Makes each named resource once per server; `provision` is safe to call again."""

    def __init__(self, clients: AwsClients, log: Callable[[str], None]) -> None:
        self.clients = clients  # the local cloud's: dummy credentials, short timeouts
        self.log = log
        self._done: set[tuple[str, str]] = set()

    def forget(self) -> None:
        """The endpoint lost its state (restarted): everything is made again next time."""
        self._done.clear()

    def provision(self, resources: Iterable[Resource]) -> None:
        for resource in resources:
            key = (resource.kind, resource.name)
            if key in self._done:
                continue
            try:
                made = self._create(resource)
            except Exception as error:  # one resource failing must not stop the others
                self.log(
                    f"chalicelike local: could not create {resource.kind} {resource.name!r}"
                    f" (for {resource.function}): {error}"
                )
                continue
            self._done.add(key)
            if made:
                self.log(f"chalicelike local: created {resource.kind} {resource.name}")

    def _create(self, resource: Resource) -> bool:
        from botocore.exceptions import ClientError

        name = resource.name
        try:
            if resource.kind == "bucket":
                options: dict[str, Any] = {}
                if self.clients.region != "us-east-1":
                    options["CreateBucketConfiguration"] = {
                        "LocationConstraint": self.clients.region
                    }
                self.clients.get("s3").create_bucket(Bucket=name, **options)
            elif resource.kind == "queue":
                attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
                self.clients.get("sqs").create_queue(QueueName=name, Attributes=attributes)
            elif resource.kind == "topic":
                attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
                self.clients.get("sns").create_topic(Name=name, Attributes=attributes)
            elif resource.kind == "stream":
                self.clients.get("kinesis").create_stream(StreamName=name, ShardCount=1)
            elif resource.kind == "bus":
                self.clients.get("events").create_event_bus(Name=name)
            elif resource.kind == "table":
                # A table cannot be made from its stream's ARN (no key schema): its poller
                # says so, and waits for the developer to create it.
                return False
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _ALREADY_THERE:
                return False
            raise
        return True
