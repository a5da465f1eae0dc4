"""Tests for _events/_event_models.py: handlers that declare the type of their messages' data.

`SQSRecord[Order]` / `KinesisRecord[Order]` run per record, a body that does not fit being a
failed record; `SQSEvent[Order]` / `KinesisEvent[Order]` get only the records that fit, the
others reported beside the handler's own answer; `SNSEvent[Order]` / `CloudWatchEvent[Order]`
fail the invocation (Lambda's retries and dead-letter queue keep the event). Events are built
by the test client's generators, as AWS sends them.
"""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pydantic
import pytest

from chalicelike import (
    Blueprint,
    Chalice,
    CloudWatchEvent,
    KinesisEvent,
    KinesisRecord,
    SNSEvent,
    SNSRecord,
    SQSEvent,
    SQSRecord,
)
from chalicelike._core._errors import RegistrationError, ValidationFailed
from chalicelike._events._event_sources import BatchItemFailures
from chalicelike.test import Client
from tests.lambda_events import Context

if TYPE_CHECKING:
    from decimal import Decimal as NotImportedAtRunTime


@dataclass
class Order:
    order_id: int
    items: list[str]


class Shipment(pydantic.BaseModel):
    tracking: str
    weight_kg: float = pydantic.Field(gt=0)


class Click(TypedDict):
    user: str
    x: int


class Opaque:
    """A class neither chalicelike nor pydantic knows how to check."""


GOOD = json.dumps({"order_id": 1, "items": ["tea"]})
GOOD_TOO = json.dumps({"order_id": "2", "items": []})  # "2" is an int 2, as pydantic's lax mode
NO_ITEMS = json.dumps({"order_id": "x"})


def make_app() -> Chalice:
    return Chalice(app_name="models", configure_logs=False)


def sqs(client: Client, *bodies: str) -> tuple[dict[str, Any], list[str]]:
    event = client.events.generate_sqs_event(list(bodies))
    return event, [record["messageId"] for record in event["Records"]]


def failures(ids: list[str]) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": item} for item in ids]}


# -- one record at a time: SQSRecord[T] ------------------------------------------------


def test_a_record_whose_body_fails_fails_alone(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    seen: list[Order] = []

    @app.on_sqs_message(queue="orders", batch_size=10)
    def take(record: SQSRecord[Order]) -> None:
        seen.append(record.payload)

    with Client(app) as client, caplog.at_level(logging.ERROR, logger="models"):
        event, ids = sqs(client, GOOD, NO_ITEMS, GOOD_TOO)
        answer = client.lambda_.invoke("take", event).payload
    assert answer == failures([ids[1]])
    assert seen == [Order(1, ["tea"]), Order(2, [])]
    assert app.handlers["take"].source.per_record  # implied by the record type
    [line] = [record.getMessage() for record in caplog.records]
    assert line == (
        f"take: record {ids[1]} failed: ValidationFailed: 2 validation errors: "
        "order_id: Input should be a valid integer, unable to parse string as an integer; "
        "items: Field required"
    )


def test_a_body_that_is_not_json_is_a_failed_record() -> None:
    app = make_app()
    reached: list[Any] = []
    app.on_sqs_message(queue="orders")(lambda_with_hint(reached))
    with Client(app) as client:
        event, ids = sqs(client, "not json", GOOD)
        assert client.lambda_.invoke("work", event).payload == failures([ids[0]])
    assert reached == [Order(1, ["tea"])]


def lambda_with_hint(reached: list[Any]) -> Any:
    def work(record: SQSRecord[Order]) -> None:
        reached.append(record.payload)

    return work


def test_the_json_error_reads_as_pydantics(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    app.on_sqs_message(queue="orders")(lambda_with_hint([]))
    with caplog.at_level(logging.ERROR, logger="models"):
        app.handlers["work"](Client(app).events.generate_sqs_event(["{"]), Context())
    assert "ValidationFailed: 1 validation error: value: Invalid JSON: " in caplog.text


def test_a_pydantic_model_validates_through_pydantic() -> None:
    app = make_app()
    seen: list[Shipment] = []

    @app.on_sqs_message(queue="shipments", batch_size=10)
    def ship(record: SQSRecord[Shipment]) -> None:
        seen.append(record.payload)

    with Client(app) as client:
        event, ids = sqs(client, '{"tracking": "T1", "weight_kg": 2.5}', '{"tracking": "T2"}',
                         '{"tracking": "T3", "weight_kg": 0}')  # fmt: skip
        assert client.lambda_.invoke("ship", event).payload == failures(ids[1:])
    assert seen == [Shipment(tracking="T1", weight_kg=2.5)]


def test_a_handler_failure_and_a_body_failure_are_both_reported() -> None:
    app = make_app()

    @app.on_sqs_message(queue="orders", batch_size=10, per_record=True)
    def take(record: SQSRecord[Order]) -> None:
        if not record.payload.items:
            raise ValueError("empty order")

    with Client(app) as client:
        event, ids = sqs(client, GOOD, NO_ITEMS, GOOD_TOO)
        assert client.lambda_.invoke("take", event).payload == failures(ids[1:])


def test_a_kinesis_record_that_fails_stops_the_shard_there(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    seen: list[Click] = []

    @app.on_kinesis_record(stream="clicks")
    def clicks(record: KinesisRecord[Click]) -> None:
        seen.append(record.payload)

    with Client(app) as client, caplog.at_level(logging.INFO, logger="models"):
        event = client.events.generate_kinesis_event(
            ['{"user": "a", "x": 1}', '{"user": "b"}', '{"user": "c", "x": 3}']
        )
        sequence = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
        assert client.lambda_.invoke("clicks", event).payload == failures([sequence[1]])
    assert seen == [{"user": "a", "x": 1}]  # the third is retried from the second on
    assert (
        f"record {sequence[1]} failed: ValidationFailed: 1 validation error: x: Field required"
        in caplog.text
    )
    assert "1 later record(s) left for the retry" in caplog.text


# -- the whole batch: SQSEvent[T], KinesisEvent[T] -------------------------------------


def test_a_batch_handler_never_sees_the_records_that_fail() -> None:
    app = make_app()
    given: list[list[Order]] = []

    @app.on_sqs_message(queue="orders", batch_size=10)
    def batch(event: SQSEvent[Order]) -> None:
        given.append(event.payloads)
        assert len(event.to_dict()["Records"]) == len(event)

    with Client(app) as client:
        event, ids = sqs(client, GOOD, NO_ITEMS, GOOD_TOO)
        assert client.lambda_.invoke("batch", event).payload == failures([ids[1]])
    assert given == [[Order(1, ["tea"]), Order(2, [])]]
    assert not app.handlers["batch"].source.per_record


@pytest.mark.parametrize("answer_form", ["BatchItemFailures", "aws dict", "record"])
def test_the_handlers_own_report_is_merged(answer_form: str) -> None:
    app = make_app()

    @app.on_sqs_message(queue="orders", batch_size=10)
    def batch(event: SQSEvent[Order]) -> Any:
        late = [record for record in event if record.payload.order_id == 2]
        if answer_form == "BatchItemFailures":
            return BatchItemFailures(record.message_id for record in late)
        if answer_form == "record":
            return BatchItemFailures(late)
        return failures([str(record.message_id) for record in late])

    with Client(app) as client:
        event, ids = sqs(client, GOOD, NO_ITEMS, GOOD_TOO)
        assert client.lambda_.invoke("batch", event).payload == failures([ids[1], ids[2]])


def test_a_batch_that_fits_gets_the_handlers_answer_unchanged() -> None:
    app = make_app()
    app.on_sqs_message(queue="orders", name="batch")(count_orders)
    with Client(app) as client:
        event, _ = sqs(client, GOOD, GOOD_TOO)
        assert client.lambda_.invoke("batch", event).payload == 2


def count_orders(event: SQSEvent[Order]) -> int:
    return len(event.payloads)


def test_a_batch_where_nothing_fits_does_not_call_the_handler() -> None:
    app = make_app()
    calls: list[Any] = []

    @app.on_sqs_message(queue="orders", batch_size=10)
    def batch(event: SQSEvent[Order]) -> None:
        calls.append(event)

    with Client(app) as client:
        event, ids = sqs(client, NO_ITEMS, "[]")
        assert client.lambda_.invoke("batch", event).payload == failures(ids)
    assert calls == []


def test_a_malformed_report_fails_the_whole_batch() -> None:
    # Lambda reads an itemIdentifier that is empty or missing as the whole batch failing.
    app = make_app()

    @app.on_sqs_message(queue="orders", batch_size=10)
    def batch(event: SQSEvent[Order]) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}

    with Client(app) as client:
        event, _ = sqs(client, GOOD, NO_ITEMS)
        with pytest.raises(Exception, match="each item must be"):
            client.lambda_.invoke("batch", event)


def test_a_kinesis_batch_gets_the_records_before_the_first_that_fails() -> None:
    app = make_app()
    given: list[list[Click]] = []

    @app.on_kinesis_record(stream="clicks")
    def clicks(event: KinesisEvent[Click]) -> None:
        given.append(event.payloads)

    with Client(app) as client:
        event = client.events.generate_kinesis_event(
            ['{"user": "a", "x": 1}', '{"user": "b", "x": 2}', "{}", '{"user": "d", "x": 4}']
        )
        sequence = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
        assert client.lambda_.invoke("clicks", event).payload == failures([sequence[2]])
    assert given == [[{"user": "a", "x": 1}, {"user": "b", "x": 2}]]


# -- no partial answer: SNSEvent[T], SNSRecord[T], CloudWatchEvent[T] ------------------


def test_an_sns_message_that_fails_fails_the_invocation() -> None:
    app = make_app()
    calls: list[Any] = []

    @app.on_sns_message(topic="orders")
    def notify(event: SNSEvent[Order]) -> None:
        calls.append(event.payload)

    with Client(app) as client:
        client.lambda_.invoke("notify", client.events.generate_sns_event(GOOD))
        bad = client.events.generate_sns_event(NO_ITEMS)
        with pytest.raises(ValidationFailed) as raised:
            client.lambda_.invoke("notify", bad)
    message_id = bad["Records"][0]["Sns"]["MessageId"]
    assert str(raised.value) == (
        f"Handler 'notify': SNS message {message_id!r}: 2 validation errors: order_id: Input "
        "should be a valid integer, unable to parse string as an integer; items: Field required"
    )
    assert [error.loc for error in raised.value.errors] == [("order_id",), ("items",)]
    assert calls == [Order(1, ["tea"])]


def test_an_sns_record_handler_gets_the_typed_record() -> None:
    app = make_app()

    @app.on_sns_message(topic="shipments")
    def ship(record: SNSRecord[Shipment]) -> str:
        return record.payload.tracking

    with Client(app) as client:
        event = client.events.generate_sns_event('{"tracking": "T9", "weight_kg": 1}')
        assert client.lambda_.invoke("ship", event).payload == "T9"
        bad = client.events.generate_sns_event('{"tracking": "T", "weight_kg": -1}')
        with pytest.raises(ValidationFailed, match=r"Handler 'ship': .*weight_kg: Input should"):
            client.lambda_.invoke("ship", bad)


def test_an_eventbridge_detail_that_fails_fails_the_invocation() -> None:
    app = make_app()

    @app.on_cw_event({"source": ["shop.orders"]})
    def placed(event: CloudWatchEvent[Order]) -> int:
        return event.payload.order_id

    with Client(app) as client:
        good = client.events.generate_cw_event(
            "shop.orders", "Placed", {"order_id": 7, "items": []}, []
        )
        assert client.lambda_.invoke("placed", good).payload == 7
        bad = client.events.generate_cw_event("shop.orders", "Placed", {"items": [1]}, [])
        with pytest.raises(ValidationFailed) as raised:
            client.lambda_.invoke("placed", bad)
    assert str(raised.value).startswith(
        f"Handler 'placed': EventBridge event {bad['id']!r} (Placed): "
    )
    assert "order_id: Field required" in str(raised.value)
    assert "items.0: Input should be a valid string" in str(raised.value)


def test_a_schedule_may_declare_its_detail() -> None:
    app = make_app()

    @app.schedule("rate(1 hour)")
    def tick(event: CloudWatchEvent[dict[str, int]]) -> dict[str, int]:
        return event.payload

    with Client(app) as client:
        assert client.lambda_.invoke("tick", client.events.generate_scheduled_event()).payload == {}


# -- without a declared type -----------------------------------------------------------


def test_payload_without_a_declared_type_is_the_parsed_json() -> None:
    client = Client(make_app())
    events = client.events
    sqs_event = SQSEvent(events.generate_sqs_event([GOOD, "[1]"]), Context())
    assert sqs_event.payloads == [json.loads(GOOD), [1]]
    sns_event = SNSEvent(events.generate_sns_event('{"a": 1}'), Context())
    assert sns_event.payload == {"a": 1} == sns_event.records[0].payload
    cw_event = CloudWatchEvent(events.generate_cw_event("s", "t", {"k": "v"}, []), Context())
    assert cw_event.payload == {"k": "v"}
    kinesis = KinesisEvent(events.generate_kinesis_event([b'{"n": 1}']), Context())
    assert kinesis.payloads == [{"n": 1}]


def test_an_unresolvable_hint_leaves_the_handler_as_it_was() -> None:
    app = make_app()
    given: list[Any] = []
    app.on_sqs_message(queue="orders", batch_size=10)(unresolvable(given))
    with Client(app) as client:
        event, _ = sqs(client, "not json", GOOD)
        assert client.lambda_.invoke("work", event).payload is None
    assert [type(event) for event in given] == [SQSEvent]  # the batch, unchecked
    assert not app.handlers["work"].source.per_record


def unresolvable(given: list[Any]) -> Any:
    def work(event: SQSRecord[NotImportedAtRunTime]) -> None:
        given.append(event)

    return work


def test_plain_hints_change_nothing() -> None:
    app = make_app()
    given: list[Any] = []

    @app.on_sqs_message(queue="orders")
    def bare(event: SQSEvent) -> None:
        given.append(event)

    @app.on_sqs_message(queue="orders")
    def mapping(event: dict[str, Any]) -> None:
        given.append(event)

    with Client(app) as client:
        event, _ = sqs(client, "not json")
        assert client.lambda_.invoke("bare", event).payload is None
        assert client.lambda_.invoke("mapping", event).payload is None
    assert [type(event) for event in given] == [SQSEvent, SQSEvent]


# -- registration ----------------------------------------------------------------------


def test_a_class_the_source_does_not_send_is_refused() -> None:
    app = make_app()
    with pytest.raises(RegistrationError, match=(
        r"sns handler 'wrong' declares SQSRecord\[Order\], which this source does not send: "
        r"declare SNSRecord\[T\] or SNSEvent\[T\]"
    )):  # fmt: skip

        @app.on_sns_message(topic="t")
        def wrong(record: SQSRecord[Order]) -> None: ...


def test_per_record_beside_a_batch_type_is_refused() -> None:
    app = make_app()
    with pytest.raises(
        RegistrationError, match=r"'batch' has per_record=True .* SQSRecord\[Order\]"
    ):

        @app.on_sqs_message(queue="q", per_record=True)
        def batch(event: SQSEvent[Order]) -> None: ...


def test_a_type_that_cannot_be_checked_is_refused_at_import() -> None:
    app = make_app()
    with pytest.raises(RegistrationError, match=r"^sqs handler 'opaque': .*Opaque"):

        @app.on_sqs_message(queue="q")
        def opaque(record: SQSRecord[Opaque]) -> None: ...


def test_a_blueprints_handler_and_a_method_declare_their_type() -> None:
    class Worker:
        def take(self, record: SQSRecord[Order]) -> int:
            return record.payload.order_id

    blueprint = Blueprint(__name__)
    blueprint.on_sqs_message(queue="orders", name="from_blueprint")(lambda_with_hint([]))
    app = make_app()
    app.register_blueprint(blueprint)
    app.on_sqs_message(queue="orders", name="method")(Worker().take)
    with Client(app) as client:
        event, ids = sqs(client, NO_ITEMS)
        for name in ("from_blueprint", "method"):
            assert client.lambda_.invoke(name, event).payload == failures(ids)


def test_a_handler_behind_a_wrapping_decorator_declares_its_type() -> None:
    def logged(func: Any) -> Any:
        @functools.wraps(func)
        def wrapper(*args: Any) -> Any:
            return func(*args)

        return wrapper

    app = make_app()
    reached: list[Any] = []
    app.on_sqs_message(queue="orders")(logged(lambda_with_hint(reached)))
    with Client(app) as client:
        event, ids = sqs(client, NO_ITEMS, GOOD)
        assert client.lambda_.invoke("work", event).payload == failures(ids[:1])
    assert reached == [Order(1, ["tea"])]


# -- cold start ------------------------------------------------------------------------

COLD_START = """
import dataclasses, json, sys
from chalicelike import Chalice, SQSEvent, SQSRecord

@dataclasses.dataclass
class Order:
    order_id: int

app = Chalice(app_name="cold", configure_logs=False)
if sys.argv[1] == "model":
    @app.on_sqs_message(queue="q")
    def work(record: SQSRecord[Order]) -> None: ...
elif sys.argv[1] == "hinted":
    @app.on_sqs_message(queue="q")
    def work(event: SQSEvent) -> None: ...
else:
    @app.on_sqs_message(queue="q")
    def work(event): ...

body = json.dumps({"order_id": 1})
event = {"Records": [{"messageId": "m1", "receiptHandle": "h", "body": body}]}
work(event, None)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(WATCHED))))
""".replace("WATCHED", repr(("chalicelike._contracts", "chalicelike._events._event_models")))
CONTRACTS = [
    "chalicelike._contracts",
    "chalicelike._contracts._coerce",
    "chalicelike._contracts._kinds",
    "chalicelike._contracts._limits",
    "chalicelike._contracts._values",
]


@pytest.mark.slow
@pytest.mark.parametrize(("app_kind", "loaded"), [
    ("plain", []),
    ("hinted", ["chalicelike._events._event_models"]),  # a hint, but no type declared
    ("model", [*CONTRACTS, "chalicelike._events._event_models"]),
])  # fmt: skip
def test_an_app_without_models_does_not_load_the_contracts(
    app_kind: str, loaded: list[str]
) -> None:
    result = subprocess.run([sys.executable, "-c", COLD_START, app_kind],
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert json.loads(result.stdout) == loaded


# -- FIFO queues keep their order ------------------------------------------------------


@pytest.mark.parametrize("form", ["record", "batch", "untyped per_record"])
def test_on_a_fifo_queue_nothing_after_a_failure_runs_and_all_of_it_comes_back(form: str) -> None:
    app = make_app()
    seen: list[Any] = []
    if form == "record":

        @app.on_sqs_message(queue="orders.fifo", batch_size=10)
        def take(record: SQSRecord[Order]) -> None:
            seen.append(record.payload.order_id)

    elif form == "batch":

        @app.on_sqs_message(queue="orders.fifo", batch_size=10)
        def take(event: SQSEvent[Order]) -> None:
            seen.extend(order.order_id for order in event.payloads)

    else:

        @app.on_sqs_message(queue="orders.fifo", batch_size=10, per_record=True)
        def take(record):
            order = json.loads(record.body)
            if "items" not in order:
                raise ValueError("no items")
            seen.append(order["order_id"])

    with Client(app) as client:
        event, ids = sqs(client, GOOD, NO_ITEMS, GOOD_TOO)
        answer = client.lambda_.invoke("take", event).payload
    # SQS deletes what the answer does not name: the third must come back, after the second.
    assert answer == failures([ids[1], ids[2]])
    assert seen == [1]
