"""The batches Lambda polls for a function: SQS messages, Kinesis and DynamoDB stream records.

Each event iterates over its records, as Chalice's do. What costs something is
done on first use only: a message's JSON body, a Kinesis record's base64 data,
a DynamoDB image turned into Python values (the way boto3's TypeDeserializer
does it, without importing boto3 on the cold path). SQS and Kinesis records are
generic in the type of their data (`SQSRecord[Order]`), which `payload` gives.
Malformed events raise InvalidEventError through the helpers in `_events`.
"""

from __future__ import annotations

from collections.abc import Iterator

from .._core._errors import InvalidEventError
from ._lambda_events import (
    UNSET,
    BaseLambdaEvent,
    BodyT,
    WithPayload,
    field,
    invalid,
    json_type,
    parse_json,
    records_of,
)

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    import datetime
    from typing import Any, Generic
else:
    from .._core._lean_types import LeanGeneric as Generic

__all__ = [
    "DYNAMODB_EXPECTED",
    "KINESIS_EXPECTED",
    "SNS_AS_SQS_EXPECTED",
    "SQS_EXPECTED",
    "DynamoDBEvent",
    "DynamoDBRecord",
    "KinesisEvent",
    "KinesisRecord",
    "SQSEvent",
    "SQSRecord",
    "deserialize_image",
]

SQS_EXPECTED = "an SQS event (Records[].body)"
SNS_AS_SQS_EXPECTED = "an SQS event, or an SNS event read as one (Records[].Sns.Message)"
KINESIS_EXPECTED = "a Kinesis event (Records[].kinesis)"
DYNAMODB_EXPECTED = "a DynamoDB stream event (Records[].dynamodb)"


def _utc_datetime(seconds: float) -> datetime.datetime:
    """A naive datetime in UTC, as Chalice gives these timestamps."""
    import datetime

    aware = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return aware.replace(tzinfo=None)


def _epoch_seconds(value: object, expected: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(expected, f"{where} is {json_type(value)}, not a number")
    return value


# -- SQS --------------------------------------------------------------------------------


class SQSRecord(BaseLambdaEvent, WithPayload[BodyT]):
    """One queue message. `message_id` is what a partial batch response names; `payload`
    is the body parsed as JSON, or as the handler's declared type (`SQSRecord[Order]`)."""

    __slots__ = (
        "_json_body",
        "_payload",
        "attributes",
        "body",
        "event_source_arn",
        "message_attributes",
        "message_id",
        "receipt_handle",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, _where: str = "the record"
    ) -> None:
        super().__init__(event_dict, context)
        self.body: str = field(event_dict, "body", str, SQS_EXPECTED, _where)
        # Read leniently, as Chalice does (tests build records with body and receipt handle
        # only); AWS always sends it, and only a per_record failure report needs it.
        self.message_id: str | None = field(
            event_dict, "messageId", str, SQS_EXPECTED, _where, False
        )
        self.receipt_handle: str = field(event_dict, "receiptHandle", str, SQS_EXPECTED, _where)
        # System attributes: ApproximateReceiveCount, SentTimestamp, MessageGroupId (FIFO)...
        attributes = field(event_dict, "attributes", dict, SQS_EXPECTED, _where, False)
        self.attributes: dict[str, str] = attributes if attributes is not None else {}
        # The sender's: {"name": {"dataType": "String", "stringValue": "..."}}.
        custom = field(event_dict, "messageAttributes", dict, SQS_EXPECTED, _where, False)
        self.message_attributes: dict[str, Any] = custom if custom is not None else {}
        self.event_source_arn: str = event_dict.get("eventSourceARN", "")
        self._json_body: Any = UNSET
        self._payload = UNSET

    @property
    def json_body(self) -> Any:
        """The body parsed as JSON, on first use; InvalidEventError if it is not JSON."""
        if self._json_body is UNSET:
            self._json_body = parse_json(self.body, f"The body of SQS message {self.message_id!r}")
        return self._json_body

    def _payload_json(self) -> Any:
        return self.json_body

    @classmethod
    def from_sns(
        cls, event_dict: dict[str, Any], context: Any = None, *, _where: str
    ) -> SQSRecord[Any]:
        """An SNS notification read as the message SNS would put on a queue with raw
        delivery: its Message is the body, its MessageId the message id."""
        sns = field(event_dict, "Sns", dict, SNS_AS_SQS_EXPECTED, _where)
        where = f"{_where}.Sns"
        record = cls.__new__(cls)
        BaseLambdaEvent.__init__(record, event_dict, context)
        record.body = field(sns, "Message", str, SNS_AS_SQS_EXPECTED, where)
        record.message_id = field(sns, "MessageId", str, SNS_AS_SQS_EXPECTED, where)
        record.receipt_handle = ""  # nothing to delete: SNS pushed it
        record.attributes = {}
        attributes = field(sns, "MessageAttributes", dict, SNS_AS_SQS_EXPECTED, where, False)
        record.message_attributes = {
            name: _sqs_attribute(value) for name, value in (attributes or {}).items()
        }
        record.event_source_arn = sns.get("TopicArn", "")
        record._json_body = UNSET
        record._payload = UNSET
        return record

    def __repr__(self) -> str:
        return f"SQSRecord(message_id={self.message_id!r})"


def _sqs_attribute(value: Any) -> Any:
    """An SNS message attribute ({"Type", "Value"}) as SQS spells it ({"dataType", ...})."""
    if not isinstance(value, dict) or "Type" not in value:
        return value
    kind = str(value["Type"])
    key = "binaryValue" if kind == "Binary" else "stringValue"
    return {"dataType": kind, key: value.get("Value")}


def _is_sns(event: object) -> bool:
    """Whether an event is SNS's (its first record says EventSource aws:sns)."""
    records = event.get("Records") if isinstance(event, dict) else None
    first = records[0] if isinstance(records, list) and records else None
    return isinstance(first, dict) and first.get("EventSource") == "aws:sns"


class SQSEvent(BaseLambdaEvent, Generic[BodyT]):
    """A batch of SQS messages (up to 10, or 10,000 with a batching window).

    An SNS event is read too, each notification as the message SNS would have queued.
    `payloads` are the records' payloads, in order.
    """

    __slots__ = ("records",)

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        self.records: tuple[SQSRecord[BodyT], ...]
        if _is_sns(event_dict):
            # An SNS event given to a queue handler (Chalice serves it too): each
            # notification is read as the message SNS would have queued.
            raw = records_of(event_dict, SNS_AS_SQS_EXPECTED, "aws:sns", "Sns")
            self.records = tuple(
                SQSRecord.from_sns(record, context, _where=f"Records[{i}]")
                for i, record in enumerate(raw)
            )
            return
        raw = records_of(event_dict, SQS_EXPECTED, "aws:sqs", "body")
        self.records = tuple(
            SQSRecord(record, context, _where=f"Records[{i}]") for i, record in enumerate(raw)
        )

    @property
    def payloads(self) -> list[BodyT]:
        return [record.payload for record in self.records]

    def __iter__(self) -> Iterator[SQSRecord[BodyT]]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# -- Kinesis Data Streams ---------------------------------------------------------------


class KinesisRecord(BaseLambdaEvent, WithPayload[BodyT]):
    """One stream record; `data` is the producer's bytes, base64-decoded on first use, and
    `payload` those bytes parsed as JSON, or as the declared type (`KinesisRecord[Order]`)."""

    __slots__ = (
        "_arrival",
        "_data",
        "_encoded",
        "_path",
        "_payload",
        "_timestamp",
        "event_source_arn",
        "partition_key",
        "schema_version",
        "sequence_number",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, _where: str = "the record"
    ) -> None:
        super().__init__(event_dict, context)
        kinesis = field(event_dict, "kinesis", dict, KINESIS_EXPECTED, _where)
        where = f"{_where}.kinesis"
        self._encoded: str = field(kinesis, "data", str, KINESIS_EXPECTED, where)
        self.sequence_number: str = field(kinesis, "sequenceNumber", str, KINESIS_EXPECTED, where)
        self.partition_key: str = field(kinesis, "partitionKey", str, KINESIS_EXPECTED, where)
        # Seconds since the epoch, with milliseconds: 1545084650.987. Optional in AWS's
        # docs: read when asked, so a record without it fails nothing.
        self._arrival: Any = kinesis.get("approximateArrivalTimestamp")
        self._path = where
        self.schema_version: str = kinesis.get("kinesisSchemaVersion", "")
        self.event_source_arn: str = event_dict.get("eventSourceARN", "")
        self._data: bytes | None = None
        self._timestamp: datetime.datetime | None = None
        self._payload = UNSET

    @property
    def data(self) -> bytes:
        if self._data is None:
            import base64  # here: an SQS function's cold start need not pay ~0.8 ms for it
            import binascii

            try:
                self._data = base64.b64decode(self._encoded, validate=True)
            except binascii.Error as error:
                raise InvalidEventError(
                    f"The data of Kinesis record {self.sequence_number!r} is not base64: {error}"
                ) from error
        return self._data

    def _payload_json(self) -> Any:
        return parse_json(self.data, f"The data of Kinesis record {self.sequence_number!r}")

    @property
    def timestamp(self) -> datetime.datetime | None:
        """When the record reached the stream (approximateArrivalTimestamp), naive UTC;
        None if the record does not say."""
        if self._timestamp is None and self._arrival is not None:
            seconds = _epoch_seconds(
                self._arrival, KINESIS_EXPECTED, f"{self._path}.approximateArrivalTimestamp"
            )
            self._timestamp = _utc_datetime(seconds)
        return self._timestamp

    def __repr__(self) -> str:
        return f"KinesisRecord(sequence_number={self.sequence_number!r})"


class KinesisEvent(BaseLambdaEvent, Generic[BodyT]):
    """A batch of Kinesis Data Streams records from one shard; `payloads` are the records'
    payloads, in order."""

    __slots__ = ("records",)

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        raw = records_of(event_dict, KINESIS_EXPECTED, "aws:kinesis", "kinesis")
        self.records: tuple[KinesisRecord[BodyT], ...] = tuple(
            KinesisRecord(record, context, _where=f"Records[{i}]") for i, record in enumerate(raw)
        )

    @property
    def payloads(self) -> list[BodyT]:
        return [record.payload for record in self.records]

    def __iter__(self) -> Iterator[KinesisRecord[BodyT]]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# -- DynamoDB Streams -------------------------------------------------------------------


class _BadAttribute(Exception):
    """A DynamoDB JSON value that cannot be read; `path` grows as it unwinds."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def _deserialize(value: object) -> Any:
    """One DynamoDB JSON attribute value as boto3's TypeDeserializer reads it.

    Strings stay str, numbers become Decimal, binaries bytes (the stream sends
    them base64-encoded; boto3 would wrap them in its Binary type), and the
    three sets become Python sets.
    """
    if not isinstance(value, dict) or len(value) != 1:
        raise _BadAttribute(
            f'is {_describe_value(value)}, not a DynamoDB value like {{"S": "text"}}'
        )
    ((tag, inner),) = value.items()
    if tag == "S" and isinstance(inner, str):
        return inner
    if tag == "N" and isinstance(inner, str):
        return _number(inner)
    if tag == "BOOL" and isinstance(inner, bool):
        return inner
    if tag == "NULL" and inner is True:
        return None
    if tag == "M" and isinstance(inner, dict):
        return _deserialize_map(inner)
    if tag == "L" and isinstance(inner, list):
        items = []
        for index, item in enumerate(inner):
            try:
                items.append(_deserialize(item))
            except _BadAttribute as error:
                error.path.append(f"[{index}]")
                raise
        return items
    if tag == "B" and isinstance(inner, str):
        return _binary(inner)
    if tag in ("SS", "NS", "BS") and isinstance(inner, list):
        if not all(isinstance(item, str) for item in inner):
            raise _BadAttribute(f"is a {tag} set holding something other than strings")
        if tag == "SS":
            return set(inner)
        convert = _number if tag == "NS" else _binary
        return {convert(item) for item in inner}
    known = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
    if tag in known:
        raise _BadAttribute(f"has {tag!r} holding {_describe_value(inner)}")
    raise _BadAttribute(f"has the unknown DynamoDB type {tag!r}")


def _deserialize_map(image: dict[str, Any]) -> dict[str, Any]:
    result = {}
    for name, value in image.items():
        try:
            result[name] = _deserialize(value)
        except _BadAttribute as error:
            error.path.append(f".{name}")
            raise
    return result


def _number(text: str) -> Any:
    from decimal import Decimal, InvalidOperation  # only DynamoDB handlers pay for it

    try:
        return Decimal(text)
    except InvalidOperation:
        raise _BadAttribute(f"has the number {text!r}, which is not a number") from None


def _binary(text: str) -> bytes:
    import base64  # only DynamoDB images with binary attributes pay for it
    import binascii

    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _BadAttribute(f"has the binary {text[:40]!r}, which is not base64") from None


def _describe_value(value: object) -> str:
    if isinstance(value, dict):
        return f"an object with keys {sorted(str(k) for k in value)[:4]}"
    return repr(value)[:40]


def deserialize_image(image: dict[str, Any], where: str) -> dict[str, Any]:
    """A DynamoDB JSON item ({"id": {"S": "1"}}) as plain Python values ({"id": "1"})."""
    try:
        return _deserialize_map(image)
    except _BadAttribute as error:
        path = "".join(reversed(error.path))
        raise invalid(DYNAMODB_EXPECTED, f"{where}{path} {error.problem}") from None


class DynamoDBRecord(BaseLambdaEvent):
    """One change to a table item.

    `keys`, `new_image` and `old_image` are DynamoDB JSON, as Chalice gives them;
    `key`, `new_item` and `old_item` are the same as Python values. Which images
    are present depends on the stream's `stream_view_type` and the `event_name`
    (INSERT has no old image, REMOVE no new one). A field the record leaves out (all are
    optional in AWS's docs but the sequence number) is None.
    """

    __slots__ = (
        "_arrival",
        "_items",
        "_path",
        "_timestamp",
        "aws_region",
        "event_id",
        "event_name",
        "event_source_arn",
        "event_version",
        "keys",
        "new_image",
        "old_image",
        "sequence_number",
        "size_bytes",
        "stream_view_type",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, _where: str = "the record"
    ) -> None:
        super().__init__(event_dict, context)
        dynamodb = field(event_dict, "dynamodb", dict, DYNAMODB_EXPECTED, _where)
        where = f"{_where}.dynamodb"
        self._path = where
        # Every field of a stream record is optional in AWS's docs; Lambda always sends the
        # sequence number, which a partial batch response needs, so only it is required.
        self.keys: dict[str, Any] | None = field(
            dynamodb, "Keys", dict, DYNAMODB_EXPECTED, where, False
        )
        self.new_image: dict[str, Any] | None = field(
            dynamodb, "NewImage", dict, DYNAMODB_EXPECTED, where, False
        )
        self.old_image: dict[str, Any] | None = field(
            dynamodb, "OldImage", dict, DYNAMODB_EXPECTED, where, False
        )
        # The identifier a partial batch response names for a stream record.
        self.sequence_number: str = field(dynamodb, "SequenceNumber", str, DYNAMODB_EXPECTED, where)
        self.size_bytes: int | None = field(
            dynamodb, "SizeBytes", int, DYNAMODB_EXPECTED, where, False
        )
        # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
        self.stream_view_type: str | None = field(
            dynamodb, "StreamViewType", str, DYNAMODB_EXPECTED, where, False
        )
        # Epoch seconds (Lambda's stream events send a number, not the API's ISO string),
        # read when asked: a record without it fails nothing.
        self._arrival: Any = dynamodb.get("ApproximateCreationDateTime")
        # INSERT | MODIFY | REMOVE
        self.event_name: str | None = field(
            event_dict, "eventName", str, DYNAMODB_EXPECTED, _where, False
        )
        self.event_id: str = event_dict.get("eventID", "")
        self.event_version: str = event_dict.get("eventVersion", "")
        self.event_source_arn: str = event_dict.get("eventSourceARN", "")
        self.aws_region: str = event_dict.get("awsRegion", "")
        self._timestamp: datetime.datetime | None = None
        self._items: dict[str, dict[str, Any] | None] = {}

    @property
    def timestamp(self) -> datetime.datetime | None:
        """When the change was made (ApproximateCreationDateTime), naive UTC; None if the
        record does not say."""
        if self._timestamp is None and self._arrival is not None:
            seconds = _epoch_seconds(
                self._arrival, DYNAMODB_EXPECTED, f"{self._path}.ApproximateCreationDateTime"
            )
            self._timestamp = _utc_datetime(seconds)
        return self._timestamp

    @property
    def table_name(self) -> str:
        """The table, from arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>."""
        parts = self.event_source_arn.split(":", 5)
        if len(parts) != 6:
            return ""
        resource = parts[5].split("/")
        if len(resource) >= 2 and resource[0] == "table":
            return resource[1]
        return ""

    def _item(self, name: str, image: dict[str, Any] | None) -> dict[str, Any] | None:
        if name not in self._items:
            self._items[name] = (
                None if image is None else deserialize_image(image, f"{self._path}.{name}")
            )
        return self._items[name]

    @property
    def key(self) -> dict[str, Any] | None:
        return self._item("Keys", self.keys)

    @property
    def new_item(self) -> dict[str, Any] | None:
        return self._item("NewImage", self.new_image)

    @property
    def old_item(self) -> dict[str, Any] | None:
        return self._item("OldImage", self.old_image)

    def __repr__(self) -> str:
        return (
            f"DynamoDBRecord(event_name={self.event_name!r}, "
            f"sequence_number={self.sequence_number!r})"
        )


class DynamoDBEvent(BaseLambdaEvent):
    """A batch of DynamoDB stream records from one shard."""

    __slots__ = ("records",)

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        raw = records_of(event_dict, DYNAMODB_EXPECTED, "aws:dynamodb", "dynamodb")
        self.records: tuple[DynamoDBRecord, ...] = tuple(
            DynamoDBRecord(record, context, _where=f"Records[{i}]") for i, record in enumerate(raw)
        )

    def __iter__(self) -> Iterator[DynamoDBRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)
