"""Makes the events moto's S3 sends itself the ones S3 sends: its notification records
(to a user's own queue or topic) and its EventBridge events (for `on_cw_event` rules).

moto's records lack userIdentity, requestParameters, responseElements, the owner and the
sequencer, escape '/' in keys, and give a removal a size; its EventBridge events have their
own shape (`eTag`, `version-id` null, reason "ObjectCreated", a fixed sequencer) and go to
the rules of every bus; a multipart upload also sends a Put, and every copy "tags added".
Both now go as S3 writes them (`_s3_notifications`' builders), EventBridge's to the default
bus only, one event per upload, tags only when an object has some. Applied in the process
where moto serves.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import datetime, timezone
from typing import Any

from ._s3_changes import S3Change
from ._s3_notifications import eventbridge_event, notification_event

__all__ = ["patch_moto_s3_events"]

_lock = threading.Lock()
_last_sequence = 0


def patch_moto_s3_events() -> bool:
    """Patch moto's S3 in this process (idempotent). False, changing nothing, when this
    moto's code is not the one the patch was written for."""
    try:
        from moto.s3 import notifications
    except ImportError:
        return False
    send: Any = getattr(notifications, "_send_event_bridge_message", None)
    record: Any = getattr(notifications, "_get_s3_event", None)
    notify: Any = getattr(notifications, "send_event", None)
    if not callable(send) or not callable(record) or not callable(notify):
        return False
    if getattr(send, "_chalicelike", False):
        return True

    def send_as_s3_does(account_id: str, bucket: Any, event_name: Any, key: Any) -> None:
        name = _name(event_name)
        try:
            event = _event(account_id, bucket, name, key, notifications)
            _to_default_bus(account_id, bucket.region_name, event)
        except Exception as error:  # asynchronous on AWS: the S3 call succeeds anyway
            logging.getLogger("chalicelike.local").warning(
                "chalicelike local: S3's EventBridge event for %s %r not sent: %r",
                name,
                getattr(key, "name", key),
                error,
            )

    def record_as_s3_writes(
        event_name: Any, bucket: Any, key: Any, notification_id: str
    ) -> dict[str, Any]:
        change = _change(bucket, _name(event_name), key)
        return notification_event(
            change, change.size, change.etag, bucket.region_name, notification_id
        )

    def notify_as_s3_does(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        if not _moto_only(account_id, _name(event_name), bucket, key):
            notify(account_id, event_name, bucket, key)

    send_as_s3_does._chalicelike = True  # type: ignore[attr-defined]
    notifications._send_event_bridge_message = send_as_s3_does
    notifications.send_event = notify_as_s3_does
    notifications._get_s3_event = record_as_s3_writes
    return True


def _name(event_name: Any) -> str:
    """'ObjectCreated:Put' from moto's S3NotificationEvent (or its text)."""
    return str(getattr(event_name, "value", event_name)).removeprefix("s3:")


def _moto_only(account_id: str, name: str, bucket: Any, key: Any) -> bool:
    """An event moto sends and S3 does not."""
    if name == "ObjectCreated:Put" and getattr(key, "multipart", None) is not None:
        return True  # moto's completion stores the object with a Put: S3 sends only its own
    if name == "ObjectTagging:Put":
        try:  # moto tags every copy and completion, with nothing: S3 says nothing then
            return not _has_tags(account_id, bucket, key)
        except Exception:  # not the moto this was written for: send it, as moto would
            return False
    return False


def _change(bucket: Any, name: str, key: Any) -> S3Change:
    created = name.startswith("ObjectCreated:")
    return S3Change(
        event_name=name,
        bucket=bucket.name,
        key=key.name,
        size=key.size if created else None,
        etag=key.etag.strip('"') if created else None,
        version_id=key.version_id if getattr(bucket, "is_versioned", False) else None,
        sequencer=_next_sequencer(),
        source_ip="127.0.0.1",
        request_id=secrets.token_hex(8).upper(),
        host_id="",
        time=datetime.now(timezone.utc),
    )


def _event(account_id: str, bucket: Any, name: str, key: Any, notifications: Any) -> dict[str, Any]:
    """The event S3 puts on the bus for one change."""
    change = _change(bucket, name, key)
    event: dict[str, Any] = eventbridge_event(
        change, change.size, change.etag, bucket.region_name, account_id
    )
    if not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
        event["detail-type"] = notifications._detail_type(f"s3:{name}")
        del event["detail"]["reason"]  # S3 gives a reason for creations and removals only
    event["time"] = change.time.timestamp()  # moto's targets format it from epoch seconds
    return event


def _has_tags(account_id: str, bucket: Any, key: Any) -> bool:
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id][getattr(bucket, "partition", "aws")]
    return bool(backend.tagger.list_tags_for_resource(key.arn).get("Tags"))


def _to_default_bus(account_id: str, region: str, event: dict[str, Any]) -> None:
    from moto.events.models import events_backends

    bus = events_backends[account_id][region].event_buses.get("default")
    for rule in list(bus.rules.values()) if bus is not None else []:
        rule.send_to_targets(event, transform_input=False)  # type: ignore[arg-type]


def _next_sequencer() -> str:
    # S3's sequencer: hex that grows for one key; ours grows for all (microseconds).
    global _last_sequence
    with _lock:
        _last_sequence = max(_last_sequence + 1, time.time_ns() // 1000)
        return f"{_last_sequence:018X}"
