"""The events S3, SNS and EventBridge send a function, as Chalice's event classes read them.

Each class takes the event dict and the Lambda context, checks the shape AWS
documents for its source and raises InvalidEventError naming what it expected
and what it got. Unlike Chalice, S3Event and SNSEvent iterate over every
record; their first-record attributes stay for compatibility. The queue and
stream events (SQS, Kinesis, DynamoDB) are in `_stream_events`, which shares
the helpers here. The classes carrying a sender's data are generic in its type
(`SNSEvent[Order]`): `payload` is that data, checked against the type a handler
declares (`_event_models`). Stdlib only, nothing heavy imported: this is the cold path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from .._core._errors import InvalidEventError

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any, Generic

    # typing_extensions' TypeVar takes a default (PEP 696), by which apps keep writing a
    # bare `SQSEvent` under mypy --strict; only type checkers read it (their stubs ship it).
    from typing_extensions import TypeVar
else:  # `Generic[BodyT]` without typing: `SQSEvent[Order]` is a types.GenericAlias
    from .._core._lean_types import LeanGeneric as Generic

__all__ = [
    "EVENTBRIDGE_EXPECTED",
    "S3_EXPECTED",
    "SNS_EXPECTED",
    "UNSET",
    "BaseLambdaEvent",
    "BodyT",
    "CloudWatchEvent",
    "S3Event",
    "S3Record",
    "SNSEvent",
    "SNSRecord",
    "WithPayload",
    "describe",
    "field",
    "invalid",
    "json_type",
    "parse_json",
    "records_of",
]

S3_EXPECTED = "an S3 event (Records[].s3)"
SNS_EXPECTED = "an SNS event (Records[].Sns)"
EVENTBRIDGE_EXPECTED = "an EventBridge event (source, detail-type, detail)"

UNSET: Any = object()  # a lazily read value not read yet

if TYPE_CHECKING:
    BodyT = TypeVar("BodyT", default=Any)  # the type a handler declares for the sender's data
else:
    BodyT = "BodyT"  # what `Generic[BodyT]` names at run time: only type checkers read it


class BaseLambdaEvent:
    """An event (or one record of it) with the Lambda context it came with."""

    __slots__ = ("_event_dict", "context")

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        self._event_dict = event_dict
        self.context = context

    def to_dict(self) -> dict[str, Any]:
        """The dict this object was built from, unchanged."""
        return self._event_dict

    def to_original_event(self) -> dict[str, Any]:
        return self._event_dict


class WithPayload(Generic[BodyT]):
    """What an event or record carrying a sender's data adds: `payload`, that data.

    It is the type the handler declares (`SQSRecord[Order]`: an Order), checked before
    the handler runs; without a declared type, the data parsed as JSON (read on first
    use), which is what most senders put there. A mixin without slots of its own: each
    class lists `_payload` in its `__slots__`.
    """

    __slots__ = ()
    _payload: Any

    def _payload_json(self) -> Any:
        """The data as JSON values; InvalidEventError if it is not JSON."""
        raise NotImplementedError

    @property
    def payload(self) -> BodyT:
        if self._payload is UNSET:
            self._payload = self._payload_json()
        result: BodyT = self._payload
        return result

    def load_payload(self, load: Callable[[Any], Any]) -> None:
        """Make `payload` what `load` (the declared type's loader) makes of the JSON data;
        `load`'s error (ValidationFailed) or InvalidEventError if the data is not JSON."""
        self._payload = load(self._payload_json())


def parse_json(text: str | bytes, what: str) -> Any:
    """`text` parsed as JSON; InvalidEventError naming `what` (its cause the JSON error)."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidEventError(f"{what} is not JSON: {error}") from error


# -- checking shapes: every failure says what was expected and what was there ---------


def json_type(value: object) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    dict: "an object",
    list: "a list",
    int: "an integer",
    bool: "a boolean",
}


def invalid(expected: str, problem: str) -> InvalidEventError:
    return InvalidEventError(f"Expected {expected}, {problem}")


def field(
    mapping: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    expected: str,
    where: str,
    required: bool = True,
) -> Any:
    """`mapping[key]` if it has type `kind`; None if absent (or null) and not required.

    `where` names the mapping in messages ("Records[0].s3"); "" is the event itself.
    """
    value = mapping.get(key)
    if value is None:
        if required:
            raise invalid(expected, f"{where or 'the event'} has no {key!r}")
        return None
    # bool is an int in Python but never a count or a time in JSON.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        kinds = _kinds(kind)
        want = "a number" if kinds == (int, float) else " or ".join(_KIND_NAMES[k] for k in kinds)
        name = f"{where}.{key}" if where else key
        raise invalid(expected, f"{name} is {json_type(value)}, not {want}")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def describe(event: dict[str, Any], wanted_key: str = "Records") -> str:
    """What an event of the wrong kind looks like, in a few words."""
    if "detail-type" in event:
        return (
            f"got an EventBridge event (source {event.get('source')!r}, "
            f"detail-type {event.get('detail-type')!r})"
        )
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        origin = records[0].get("eventSource") or records[0].get("EventSource")
        return f"got a Records event from {origin!r}"
    keys = ", ".join(sorted(str(k) for k in event)[:8]) or "no keys"
    return f"got an event without {wanted_key!r} (its keys: {keys})"


def records_of(event: object, expected: str, source: str, shape_key: str) -> list[dict[str, Any]]:
    """The Records list of `event`, each record checked to come from `source`.

    A record without eventSource passes when it has `shape_key` (hand-made test
    events often leave the source out); one naming another source never does.
    """
    if not isinstance(event, dict):
        raise invalid(expected, f"got {json_type(event)} instead of a JSON object")
    records = event.get("Records")
    if records is None:
        raise invalid(expected, describe(event))
    if not isinstance(records, list):
        raise invalid(expected, f"Records is {json_type(records)}, not a list")
    if not records:
        raise invalid(expected, "got an empty Records list")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise invalid(expected, f"Records[{index}] is {json_type(record)}, not an object")
        # SNS alone spells it EventSource.
        origin = record.get("eventSource", record.get("EventSource"))
        if origin == source or (origin is None and shape_key in record):
            continue
        at = f" at Records[{index}]" if index else ""
        if origin is None:
            raise invalid(expected, f"Records[{index}] has neither eventSource nor {shape_key!r}")
        raise invalid(expected, f"got a record with eventSource {origin!r}{at}")
    return records


# -- S3 ---------------------------------------------------------------------------------


class S3Record(BaseLambdaEvent):
    """One object event: a notification record, or the detail of an EventBridge event.

    `key` is the object's real key. S3 notifications URL-encode it ("red flower.jpg"
    arrives as "red+flower.jpg"), so it is decoded when first read; EventBridge
    events carry the key as it is and it is passed through.
    """

    __slots__ = (
        "_key",
        "_raw_key",
        "bucket",
        "etag",
        "event_name",
        "event_time",
        "region",
        "sequencer",
        "size",
        "source_ip",
        "version_id",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, _where: str = "the record"
    ) -> None:
        super().__init__(event_dict, context)
        s3 = field(event_dict, "s3", dict, S3_EXPECTED, _where)
        bucket = field(s3, "bucket", dict, S3_EXPECTED, f"{_where}.s3")
        obj = field(s3, "object", dict, S3_EXPECTED, f"{_where}.s3")
        self.bucket: str = field(bucket, "name", str, S3_EXPECTED, f"{_where}.s3.bucket")
        self._raw_key: str = field(obj, "key", str, S3_EXPECTED, f"{_where}.s3.object")
        self._key: str | None = None
        self.event_name: str = event_dict.get("eventName", "")  # "ObjectCreated:Put"
        self.event_time: str = event_dict.get("eventTime", "")  # ISO 8601, as S3 sends it
        self.region: str = event_dict.get("awsRegion", "")
        # Deletes carry no size or eTag; versionId only on versioned buckets.
        self.size: int | None = field(obj, "size", int, S3_EXPECTED, f"{_where}.s3.object", False)
        self.etag: str | None = obj.get("eTag")
        self.version_id: str | None = obj.get("versionId")
        self.sequencer: str | None = obj.get("sequencer")
        params = event_dict.get("requestParameters")
        self.source_ip: str | None = (
            params.get("sourceIPAddress") if isinstance(params, dict) else None
        )

    @classmethod
    def from_eventbridge(cls, event: dict[str, Any], context: Any = None) -> S3Record:
        """The record of an S3 event delivered by EventBridge ("source": "aws.s3")."""
        detail = field(event, "detail", dict, S3_EXPECTED, "")
        bucket = field(detail, "bucket", dict, S3_EXPECTED, "detail")
        obj = field(detail, "object", dict, S3_EXPECTED, "detail")
        record = cls.__new__(cls)
        BaseLambdaEvent.__init__(record, event, context)
        record.bucket = field(bucket, "name", str, S3_EXPECTED, "detail.bucket")
        record._raw_key = field(obj, "key", str, S3_EXPECTED, "detail.object")
        record._key = record._raw_key  # EventBridge does not URL-encode the key
        record.event_name = event.get("detail-type", "")  # "Object Created"
        record.event_time = event.get("time", "")
        record.region = event.get("region", "")
        record.size = field(obj, "size", int, S3_EXPECTED, "detail.object", False)
        record.etag = obj.get("etag")
        record.version_id = obj.get("version-id")
        record.sequencer = obj.get("sequencer")
        record.source_ip = detail.get("source-ip-address")
        return record

    @property
    def key(self) -> str:
        if self._key is None:
            from urllib.parse import unquote_plus  # only S3 handlers pay for it

            self._key = unquote_plus(self._raw_key)
        return self._key

    def __repr__(self) -> str:
        return f"S3Record(bucket={self.bucket!r}, key={self.key!r}, event={self.event_name!r})"


def _is_eventbridge_s3(event: object) -> bool:
    return isinstance(event, dict) and event.get("source") == "aws.s3" and "detail-type" in event


class S3Event(BaseLambdaEvent):
    """An S3 notification (one or more records) or an S3 event routed through EventBridge.

    Iterating gives every record. `bucket` and `key` are the first record's, as in
    Chalice, whose S3Event saw only that one.
    """

    __slots__ = ("bucket", "records")

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        self.records: tuple[S3Record, ...]
        if _is_eventbridge_s3(event_dict):
            self.records = (S3Record.from_eventbridge(event_dict, context),)
        else:
            raw = records_of(event_dict, S3_EXPECTED, "aws:s3", "s3")
            self.records = tuple(
                S3Record(record, context, _where=f"Records[{i}]") for i, record in enumerate(raw)
            )
        self.bucket: str = self.records[0].bucket

    @property
    def key(self) -> str:
        return self.records[0].key

    def __iter__(self) -> Iterator[S3Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# -- SNS --------------------------------------------------------------------------------


class SNSRecord(BaseLambdaEvent, WithPayload[BodyT]):
    """One SNS notification: the message and what SNS says about it; `payload` is the
    message parsed as JSON, or as the handler's declared type (`SNSRecord[Order]`)."""

    __slots__ = (
        "_payload",
        "message",
        "message_attributes",
        "message_id",
        "subject",
        "timestamp",
        "topic_arn",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, _where: str = "the record"
    ) -> None:
        super().__init__(event_dict, context)
        sns = field(event_dict, "Sns", dict, SNS_EXPECTED, _where)
        where = f"{_where}.Sns"
        self.message: str = field(sns, "Message", str, SNS_EXPECTED, where)
        self.subject: str | None = field(sns, "Subject", str, SNS_EXPECTED, where, False)
        # {"name": {"Type": "String", "Value": "..."}}; absent when none were sent.
        attributes = field(sns, "MessageAttributes", dict, SNS_EXPECTED, where, False)
        self.message_attributes: dict[str, Any] = attributes if attributes is not None else {}
        self.message_id: str = sns.get("MessageId", "")
        self.topic_arn: str = sns.get("TopicArn", "")
        self.timestamp: str = sns.get("Timestamp", "")  # ISO 8601, as SNS sends it
        self._payload = UNSET

    def _payload_json(self) -> Any:
        return parse_json(self.message, f"The message of SNS notification {self.message_id!r}")

    def __repr__(self) -> str:
        return f"SNSRecord(message_id={self.message_id!r}, subject={self.subject!r})"


class SNSEvent(BaseLambdaEvent, Generic[BodyT]):
    """The notifications of one SNS invoke; `message`, `subject` and
    `message_attributes` are the first one's, as in Chalice, and so is `payload`
    (SNS sends one notification per invoke).
    """

    __slots__ = ("message", "message_attributes", "records", "subject")

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        raw = records_of(event_dict, SNS_EXPECTED, "aws:sns", "Sns")
        self.records: tuple[SNSRecord[BodyT], ...] = tuple(
            SNSRecord(record, context, _where=f"Records[{i}]") for i, record in enumerate(raw)
        )
        first = self.records[0]
        self.message: str = first.message
        self.subject: str | None = first.subject
        self.message_attributes: dict[str, Any] = first.message_attributes

    @property
    def payload(self) -> BodyT:
        return self.records[0].payload

    def __iter__(self) -> Iterator[SNSRecord[BodyT]]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# -- EventBridge (CloudWatch Events) and schedules --------------------------------------


class CloudWatchEvent(BaseLambdaEvent, WithPayload[BodyT]):
    """An EventBridge event: a rule match or a schedule ("detail-type": "Scheduled Event").

    Chalice's name is kept; the fields are EventBridge's envelope, with
    `detail-type` as `detail_type` and `id` as `event_id`. `payload` is the detail, as
    the handler's declared type (`CloudWatchEvent[Order]`) or as it came.
    """

    __slots__ = (
        "_payload",
        "account",
        "detail",
        "detail_type",
        "event_id",
        "region",
        "resources",
        "source",
        "time",
        "version",
    )

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        if not isinstance(event_dict, dict):
            raise invalid(
                EVENTBRIDGE_EXPECTED, f"got {json_type(event_dict)} instead of a JSON object"
            )
        if "detail-type" not in event_dict:
            raise invalid(EVENTBRIDGE_EXPECTED, describe(event_dict, "detail-type"))
        where = ""  # the envelope itself
        self.detail_type: str = field(event_dict, "detail-type", str, EVENTBRIDGE_EXPECTED, where)
        self.source: str = field(event_dict, "source", str, EVENTBRIDGE_EXPECTED, where)
        # Schedules send {}; EventBridge's PutEvents only takes a JSON object here.
        self.detail: dict[str, Any] = field(event_dict, "detail", dict, EVENTBRIDGE_EXPECTED, where)
        resources = field(event_dict, "resources", list, EVENTBRIDGE_EXPECTED, where, False)
        self.resources: list[str] = resources if resources is not None else []
        self.version: str = event_dict.get("version", "0")
        self.account: str = event_dict.get("account", "")
        self.region: str = event_dict.get("region", "")
        self.time: str = event_dict.get("time", "")  # ISO 8601, as EventBridge sends it
        self.event_id: str = event_dict.get("id", "")
        self._payload = UNSET

    def _payload_json(self) -> Any:
        return self.detail

    def __repr__(self) -> str:
        return f"CloudWatchEvent(source={self.source!r}, detail_type={self.detail_type!r})"
