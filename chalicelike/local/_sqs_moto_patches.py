"""Makes moto's SQS safe and fast as the local queue of concurrent pollers, without changing
what it answers. Applied in the process that runs moto's server, before it serves.

moto 5 mutates a queue's message list from every request thread without a lock: a delete
rebuilds the list from a snapshot, so a message sent meanwhile is lost and one deleted
meanwhile comes back; two receives can hand out the same message. And it reads the clock
through datetime arithmetic (~6 µs) per message on every scan, computing every queue
attribute (three more scans) for each message a receive returns: a receive from a queue
of 1,000 messages took ~0.6 s here. And a FIFO group with two messages whose visibility
timed out came back in the wrong order. These patches serialise SQS's message operations,
read the clock and the retention period directly, and hold a FIFO group only for messages
still in flight. And moto ignores a send's X-Amzn-Trace-Id header, which SQS keeps as each
message's AWSTraceHeader (and a batch entry's own AWSTraceHeader): both are kept.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["patch_moto_sqs"]

# The backend's operations that read and write a queue's messages; send_message_batch
# calls send_message, hence a re-entrant lock.
_SERIALISED = (
    "send_message",
    "send_message_batch",
    "receive_message",
    "delete_message",
    "delete_message_batch",
    "change_message_visibility",
    "change_message_visibility_batch",
    "purge_queue",
    "get_queue_attributes",
)
_lock = threading.RLock()
_depth = threading.local()  # how deeply this thread holds _lock


def patch_moto_sqs() -> bool:
    """Patch moto's SQS in this process (idempotent). False, changing nothing, when this
    moto's code is not the one the patches were written for."""
    try:
        from moto.sqs import models
    except ImportError:
        return False
    backend: Any = getattr(models, "SQSBackend", None)
    queue: Any = getattr(models, "Queue", None)
    needed = [*_SERIALISED, "is_message_valid_based_on_retention_period"]
    exceptions: Any = getattr(models, "ReceiptHandleIsInvalid", None)
    if (
        backend is None
        or not all(callable(getattr(backend, name, None)) for name in needed)
        or not callable(getattr(queue, "wait_for_messages", None))
        or not isinstance(getattr(queue, "pending_message_groups", None), property)
        or not hasattr(models, "unix_time_millis")
        or exceptions is None
        or not callable(getattr(queue, "delete_message", None))
    ):
        return False
    if getattr(backend.receive_message, "_chalicelike", False):
        return True
    if not _patch_trace_headers(backend):
        return False
    queue.pending_message_groups = property(_groups_in_flight)
    queue.attributes = property(_attributes_when_needed(queue.attributes.fget))
    queue.delete_message = _delete_message
    backend.send_message = _needing_no_counts(backend.send_message)
    for name in _SERIALISED:
        setattr(backend, name, _serialised(getattr(backend, name)))
    queue.wait_for_messages = _waiting_unlocked(queue.wait_for_messages)
    # moto only calls them without an argument there: the time now, in seconds and ms.
    setattr(models, "unix_time", _unix_time)  # noqa: B010 (not an export mypy knows)
    setattr(models, "unix_time_millis", _unix_time_millis)  # noqa: B010
    backend.is_message_valid_based_on_retention_period = _within_retention
    return True


# The send this thread serves: its X-Amzn-Trace-Id header, and a batch's entries' own
# AWSTraceHeader attributes (None for an entry without), in the order moto sends them.
_trace = threading.local()


def _patch_trace_headers(backend: Any) -> bool:
    """Keep a send's trace header as its messages' AWSTraceHeader, as SQS does. False
    when moto's SQS responses are not the ones this was written for."""
    from moto.sqs import responses

    response: Any = getattr(responses, "SQSResponse", None)
    if response is None or not all(
        callable(getattr(response, name, None)) for name in ("send_message", "send_message_batch")
    ):
        return False
    response.send_message = _with_trace_header(response.send_message)
    response.send_message_batch = _with_trace_header(response.send_message_batch)
    backend.send_message_batch = _with_entry_headers(backend.send_message_batch)
    backend.send_message = _keeping_trace_header(backend.send_message)
    return True


def _with_trace_header(action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(action)
    def run(self: Any) -> Any:
        _trace.header = self.headers.get("X-Amzn-Trace-Id")
        try:
            return action(self)
        finally:
            _trace.header = None

    return run


def _with_entry_headers(send_batch: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send_batch)
    def run(self: Any, queue_name: str, entries: dict[str, Any]) -> Any:
        # moto's batch sends each entry with send_message, dropping its system attributes.
        _trace.entries = [
            _trace_attribute(e.get("MessageSystemAttributes")) for e in entries.values()
        ]
        try:
            return send_batch(self, queue_name, entries)
        finally:
            _trace.entries = None

    return run


def _keeping_trace_header(send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        entries = getattr(_trace, "entries", None)
        own = entries.pop(0) if entries else _trace_attribute(kwargs.get("system_attributes"))
        # The message's own AWSTraceHeader wins over the request's header (SQS's rule).
        header = own or getattr(_trace, "header", None)
        if header:
            attributes = dict(kwargs.get("system_attributes") or {})
            attributes["AWSTraceHeader"] = {"StringValue": header, "DataType": "String"}
            kwargs["system_attributes"] = attributes
        return send(self, *args, **kwargs)

    return run


def _trace_attribute(attributes: Any) -> str | None:
    value = attributes.get("AWSTraceHeader") if isinstance(attributes, dict) else None
    text = value.get("StringValue") if isinstance(value, dict) else None
    return text if isinstance(text, str) and text else None


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            _depth.value = getattr(_depth, "value", 0) + 1
            try:
                return method(*args, **kwargs)
            finally:
                _depth.value -= 1

    run._chalicelike = True  # type: ignore[attr-defined]
    return run


_sending = threading.local()  # set while this thread runs a send_message


def _needing_no_counts(send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def run(*args: Any, **kwargs: Any) -> Any:
        _sending.value = True
        try:
            return send(*args, **kwargs)
        finally:
            _sending.value = False

    return run


def _attributes_when_needed(attributes: Callable[[Any], dict[str, Any]]) -> Callable[..., Any]:
    """A send reads one attribute (ContentBasedDeduplication) of `queue.attributes`, twice,
    and moto builds them all for it, counting the queue's messages three times: with a
    backlog, every send scanned it. During a send, only that one is built."""

    def attributes_of(queue: Any) -> dict[str, Any]:
        if not getattr(_sending, "value", False):
            return attributes(queue)
        if not queue.fifo_queue:
            return {}  # moto lists it for FIFO queues only
        value = queue.content_based_deduplication
        return {
            "ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value
        }

    return attributes_of


def _delete_message(queue: Any, receipt_handle: str) -> None:
    """moto's own delete, without its two scans of every message calling a method on each:
    the message is looked for among those in flight first (where a receipt handle leads),
    and removed with one list.remove."""
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    if receipt_handle in queue.deleted_messages:
        return  # deleting again is no error, as in moto and SQS
    found = next(
        (m for m in queue.pending_messages if receipt_handle in m.all_receipt_handles), None
    )
    if found is None:  # in flight no longer (its visibility ran out): anywhere in the queue
        found = next((m for m in queue._messages if receipt_handle in m.all_receipt_handles), None)
    if found is None:
        raise ReceiptHandleIsInvalid()
    queue.pending_messages.discard(found)
    queue.deleted_messages.update(found.all_receipt_handles)
    queue._messages.remove(found)


def _groups_in_flight(queue: Any) -> set[str]:
    """The FIFO groups with a message in flight: received and not yet visible again.

    moto counted a message whose visibility had timed out until its scan reached it: a
    group's first message was then skipped for its second, and the second went first.
    """
    return {
        message.group_id
        for message in queue._pending_messages
        if message.group_id is not None and not message.visible
    }


def _waiting_unlocked(wait: Callable[..., Any]) -> Callable[..., Any]:
    """A long poll waits for messages without holding the lock, or no send could wake it."""

    @functools.wraps(wait)
    def run(self: Any, timeout: int) -> None:
        held = getattr(_depth, "value", 0)
        if held != 1:  # not inside one serialised operation: nothing to let go of
            wait(self, timeout)
            return
        _depth.value = 0
        _lock.release()
        try:
            wait(self, timeout)
        finally:
            _lock.acquire()
            _depth.value = 1

    return run


def _unix_time(dt: Any = None) -> float:
    if dt is not None:  # not a call moto's SQS makes; kept exact should a later one do so
        from moto.core.utils import unix_time

        return float(unix_time(dt))
    return time.time()


def _unix_time_millis(dt: Any = None) -> float:
    return _unix_time(dt) * 1000.0


def _within_retention(self: Any, queue_name: str, message: Any) -> bool:
    """moto's own check, reading the one attribute it needs instead of all of them."""
    queue = self.get_queue(queue_name)
    retain_until = int(queue.message_retention_period) + message.sent_timestamp / 1000
    return bool(retain_until > time.time())
