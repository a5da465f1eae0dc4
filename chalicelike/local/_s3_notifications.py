"""S3 event notifications, live: each object change of a function's bucket, as S3 sends it.

`S3Notifications` subscribes to the endpoint's `S3ChangeFeed` and, for a change its
`on_s3_event` settings match, builds S3's notification record (or the EventBridge event,
with `via_eventbridge=True`) and invokes the function asynchronously, as S3 does.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import weakref
from typing import Any
from urllib.parse import quote_plus

from .._tooling._manifest import FunctionEntry
from ._deliveries import Outcome
from ._live_sources import CloudContext, invoker_of
from ._s3_changes import S3Change

__all__ = ["S3Notifications", "eventbridge_event", "notification_event"]

# Stand-ins for the IAM identities S3 names in its events (the endpoint checks none).
REQUESTER_ID = "AIDACHALICELIKELOCAL"
OWNER_ID = "A1CHALICELIKELOCALOWNER"
# EventBridge's detail `reason` for each notification event name (AWS's "Using
# EventBridge" table: the same change as S3 names it in each of its two channels).
_REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "POST Object",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}
# Clouds already told that an external endpoint's S3 cannot be watched (said once per
# server; by id, as a CloudContext compares by value and so cannot be hashed).
_told_unwatchable: weakref.WeakValueDictionary[int, CloudContext] = weakref.WeakValueDictionary()


class S3Notifications:
    """One `on_s3_event` function's bucket notification (or EventBridge rule)."""

    def __init__(self, entry: FunctionEntry, context: CloudContext) -> None:
        self.entry = entry
        self.context = context
        settings = entry.settings
        self.bucket: str = settings["bucket"]
        self.events: list[str] = list(settings.get("events") or ["s3:ObjectCreated:*"])
        self.prefix: str = settings.get("prefix") or ""
        self.suffix: str = settings.get("suffix") or ""
        self.via_eventbridge: bool = bool(settings.get("via_eventbridge"))
        self.label = f"s3 {self.bucket}"
        self.ready = asyncio.Event()  # subscribed: the local cloud logs "live" after it
        self._unsubscribe: Any = None
        self._lookups: set[asyncio.Task[None]] = set()  # HeadObject for a size, in flight

    def start(self) -> None:
        feed = self.context.s3_changes
        if feed is None:
            if _told_unwatchable.get(id(self.context)) is not self.context:
                _told_unwatchable[id(self.context)] = self.context
                self.context.log(
                    "chalicelike local: S3 events cannot be watched on an external"
                    " --aws-endpoint; on_s3_event handlers are not called"
                )
        else:
            self._unsubscribe = feed.subscribe(self._on_change)
            channel = "EventBridge" if self.via_eventbridge else "notification"
            where = f" under {self.prefix!r}" if self.prefix else ""
            where += f" ending {self.suffix!r}" if self.suffix else ""
            self.context.deliveries.note(
                self.label,
                f"{', '.join(self.events)}{where} -> {self.entry.name} ({channel})",
            )
        self.ready.set()

    async def stop(self) -> None:
        """No new changes; events already submitted belong to the event queue (as on AWS,
        S3 has handed them to Lambda), and a size lookup in flight is let finish."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._lookups:
            await asyncio.gather(*self._lookups, return_exceptions=True)

    def matches(self, change: S3Change) -> bool:
        """S3's filter: the bucket, an event name (`s3:ObjectCreated:*` covers every
        creation), and the prefix and suffix, compared with the object's real key."""
        if change.bucket != self.bucket:
            return False
        name = f"s3:{change.event_name}"
        if not any(
            name.startswith(wanted[:-1]) if wanted.endswith("*") else name == wanted
            for wanted in self.events
        ):
            return False
        return change.key.startswith(self.prefix) and change.key.endswith(self.suffix)

    def _on_change(self, change: S3Change) -> None:
        if self._unsubscribe is None or not self.matches(change):
            return
        if change.created and (change.size is None or change.etag is None):
            task = asyncio.ensure_future(self._look_up_then_send(change))
            self._lookups.add(task)
            task.add_done_callback(self._lookups.discard)
        else:
            self._send(change, change.size, change.etag)

    async def _look_up_then_send(self, change: S3Change) -> None:
        """A copy or a multipart upload's answer gives no size: S3's event does, so ask."""
        size, etag = change.size, change.etag
        client = self.context.clients.get("s3")
        arguments: dict[str, Any] = {"Bucket": change.bucket, "Key": change.key}
        if change.version_id:
            arguments["VersionId"] = change.version_id
        try:
            head = await self.context.call(client.head_object, **arguments)
            size, etag = head["ContentLength"], head["ETag"].strip('"')
        except Exception as error:  # removed again already: send what is known
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            why = "it is gone already" if code in ("404", "NoSuchKey") else repr(error)
            self.context.deliveries.note(
                self.label, f"{change.event_name} {change.key!r} sent without its size: {why}"
            )
        self._send(change, size, etag)

    def _send(self, change: S3Change, size: int | None, etag: str | None) -> None:
        function, region = self.entry.name, self.context.region
        if self.via_eventbridge:
            event = eventbridge_event(change, size, etag, region, self.context.account_id)
        else:
            # The configuration's Id names the function, as the package's templates do.
            event = notification_event(change, size, etag, region, function)

        def report(outcome: Outcome, detail: str) -> None:
            self.context.deliveries.record(self.label, function, 1, outcome, detail=detail)

        self.context.event_queue.submit(
            function,
            json.dumps(event).encode(),
            str(uuid.uuid4()),
            label=f"{self.label} {change.event_name} {change.key!r} -> {function}",
            report=report,
            source=invoker_of(self.label),
        )


def notification_event(
    change: S3Change, size: int | None, etag: str | None, region: str, configuration_id: str
) -> dict[str, Any]:
    """S3's notification (event structure version 2.1) for one change."""
    obj: dict[str, Any] = {"key": quote_plus(change.key, safe="/")}  # S3 form-encodes keys
    if change.created:  # a removal carries no size or eTag
        if size is not None:
            obj["size"] = size
        if etag is not None:
            obj["eTag"] = etag
    if change.version_id is not None:
        obj["versionId"] = change.version_id
    obj["sequencer"] = change.sequencer
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": change.time.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{change.time.microsecond // 1000:03d}Z",
        "eventName": change.event_name,
        "userIdentity": {"principalId": f"AWS:{REQUESTER_ID}"},
        "requestParameters": {"sourceIPAddress": change.source_ip},
        "responseElements": {
            "x-amz-request-id": change.request_id,
            "x-amz-id-2": change.host_id,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": change.bucket,
                "ownerIdentity": {"principalId": OWNER_ID},
                "arn": f"arn:aws:s3:::{change.bucket}",
            },
            "object": obj,
        },
    }
    return {"Records": [record]}


def eventbridge_event(
    change: S3Change, size: int | None, etag: str | None, region: str, account_id: str
) -> dict[str, Any]:
    """The event S3 sends to EventBridge for one change ("Object Created"/"Object Deleted")."""
    obj: dict[str, Any] = {"key": change.key}  # EventBridge carries the key as it is
    if change.created:
        if size is not None:
            obj["size"] = size
        if etag is not None:
            obj["etag"] = etag
    if change.version_id is not None:
        obj["version-id"] = change.version_id
    obj["sequencer"] = change.sequencer
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": change.bucket},
        "object": obj,
        "request-id": change.request_id,
        "requester": account_id,
        "source-ip-address": change.source_ip,
        "reason": _REASONS.get(change.event_name, change.event_name),
    }
    if not change.created:
        detail["deletion-type"] = (
            "Delete Marker Created"
            if change.event_name == "ObjectRemoved:DeleteMarkerCreated"
            else "Permanently Deleted"
        )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created" if change.created else "Object Deleted",
        "source": "aws.s3",
        "account": account_id,
        "time": change.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{change.bucket}"],
        "detail": detail,
    }
