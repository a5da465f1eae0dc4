"""Event handlers as Lambda calls them: typed events, middleware, partial batch failures."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from chalicelike import (
    Blueprint,
    Chalice,
    InvalidEventError,
    InvalidResponseError,
    NotRegisteredError,
    RegistrationError,
)
from chalicelike._events._event_sources import BatchItemFailures
from tests.lambda_events import Context

REGION = "eu-west-1"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:123456789012:jobs"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:123456789012:stream/clicks"
TABLE_STREAM_ARN = (
    f"arn:aws:dynamodb:{REGION}:123456789012:table/orders/stream/2026-11-23T17:00:00.000"
)


def s3_event(*keys: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-11-23T17:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": "uploads", "arn": "arn:aws:s3:::uploads"},
                    "object": {"key": key, "size": 10, "eTag": "abc", "sequencer": "0A1B"},
                },
            }
            for key in keys
        ]
    }


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795453200000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795453200001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": REGION,
            }
            for index, body in enumerate(bodies)
        ]
    }


def kinesis_event(*payloads: bytes) -> dict[str, Any]:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": f"key-{index}",
                    "sequenceNumber": f"4959{index:04d}",
                    "data": base64.b64encode(payload).decode(),
                    "approximateArrivalTimestamp": 1795453200.5,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:4959{index:04d}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda",
                "awsRegion": REGION,
                "eventSourceARN": STREAM_ARN,
            }
            for index, payload in enumerate(payloads)
        ]
    }


def dynamodb_event(*order_ids: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": f"event-{index}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": 1795453200,
                    "Keys": {"id": {"S": order_id}},
                    "NewImage": {"id": {"S": order_id}, "total": {"N": "12.5"}},
                    "SequenceNumber": f"1110{index:04d}",
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": TABLE_STREAM_ARN,
            }
            for index, order_id in enumerate(order_ids)
        ]
    }


def make_app() -> Chalice:
    return Chalice(app_name="events", configure_logs=False)


def test_s3_handler_sees_every_record_and_the_context() -> None:
    app = make_app()
    seen: list[Any] = []

    @app.on_s3_event(bucket="uploads")
    def ingest(event: Any) -> list[str]:
        seen.append(app.lambda_context)
        return [record.key for record in event]

    context = Context()
    assert ingest(s3_event("a.csv", "dir/b+c%20d.csv"), context) == ["a.csv", "dir/b c d.csv"]
    assert seen == [context]
    assert app.lambda_context is None  # reset after the invocation


def test_sqs_per_record_reports_each_failed_message() -> None:
    app = make_app()
    done: list[str] = []

    @app.on_sqs_message(queue="jobs", batch_size=10, per_record=True)
    def work(record: Any) -> None:
        if record.body == "bad":
            raise ValueError("cannot do this one")
        done.append(record.body)

    answer = work(sqs_event("a", "bad", "c", "bad"), Context())
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-3"}]
    }
    assert done == ["a", "c"]
    assert work(sqs_event("x"), Context()) == {"batchItemFailures": []}


def test_sqs_handler_reports_failures_with_batch_item_failures() -> None:
    app = make_app()

    @app.on_sqs_message(queue="jobs", batch_size=10)
    def work(event: Any) -> BatchItemFailures:
        return BatchItemFailures(r for r in event if json.loads(r.body)["ok"] is False)

    event = sqs_event('{"ok": true}', '{"ok": false}', '{"ok": false}')
    assert work(event, Context()) == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]
    }
    by_id = app.on_sqs_message(queue="jobs", name="by_id")(
        lambda event: BatchItemFailures(["msg-0"])
    )
    assert by_id(event, Context()) == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}


def test_batch_item_failures_refuses_what_names_no_record() -> None:
    with pytest.raises(InvalidResponseError, match=r"BatchItemFailures holds 42: give failed"):
        BatchItemFailures([42]).to_dict()


def test_sqs_handler_may_answer_aws_own_dict() -> None:
    app = make_app()
    answer = {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    app.on_sqs_message(queue="jobs", name="work")(lambda event: answer)
    assert app.handlers["work"](sqs_event("a"), Context()) == answer


@pytest.mark.parametrize(
    ("source", "event"),
    [("sqs", sqs_event("a", "b")), ("kinesis", kinesis_event(b"a", b"b"))],
)
def test_a_batch_handler_plain_return_value_reports_nothing(
    source: str, event: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Chalice handler returning its results (a list of dicts, a list of strings) once had
    # them read as failures: every message retried, or the whole batch failed. Called
    # directly the value comes back as in Chalice; under a Lambda runtime nothing is sent.
    app = make_app()
    if source == "sqs":
        decorator = app.on_sqs_message(queue="jobs", batch_size=10)
    else:
        decorator = app.on_kinesis_record(stream="clicks")
    results: list[Any] = [{"done": True}, "msg-0"]
    work = decorator(lambda event: results)
    assert work(event, Context()) is results
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    assert work(event, Context()) is None


def test_chalice_unit_test_returning_the_event_runs_unchanged() -> None:
    # Chalice's own unit test (test_can_map_sqs_event), import changed: the handler hands
    # the event back and the test reads it.
    app = Chalice(app_name="sample")

    @app.on_sqs_message(queue="queue-name")
    def handler(event: Any) -> Any:
        return event

    sqs_event = {"Records": [{
        "attributes": {
            "ApproximateFirstReceiveTimestamp": "1530576251596",
            "ApproximateReceiveCount": "1",
            "SenderId": "sender-id",
            "SentTimestamp": "1530576251595",
        },
        "awsRegion": "us-west-2",
        "body": "queue message body",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-west-2:12345:queue-name",
        "md5OfBody": "754ac2f7a12df38320e0c5eafd060145",
        "messageAttributes": {},
        "messageId": "message-id",
        "receiptHandle": "receipt-handle",
    }]}  # fmt: skip
    lambda_context = Context()
    actual_event = handler(sqs_event, context=lambda_context)
    records = list(actual_event)
    assert len(records) == 1
    first_record = records[0]
    assert first_record.body == "queue message body"
    assert first_record.receipt_handle == "receipt-handle"
    assert first_record.to_dict() == sqs_event["Records"][0]
    assert actual_event.to_dict() == sqs_event
    assert actual_event.context == lambda_context


def test_sqs_handler_returning_nothing_is_a_success() -> None:
    app = make_app()
    app.on_sqs_message(queue="jobs")(lambda event: None)
    assert app.handlers["<lambda>"](sqs_event("a"), Context()) is None


def test_a_failed_record_is_logged_with_its_id(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()

    @app.on_sqs_message(queue="jobs", batch_size=10, per_record=True)
    def take_order(record: Any) -> None:
        if record.body == "bad":
            raise ValueError("no items in the order")
        if record.body == "worse":
            raise ValueError("two\nlines")

    with caplog.at_level(logging.DEBUG, logger="events"):
        take_order(sqs_event("good", "bad", "worse"), Context())
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "take_order: record msg-1 failed: ValueError: no items in the order",
        "take_order: record msg-2 failed: ValueError: two\\nlines",
    ]
    assert errors[0].exc_info is None  # one line; the traceback is at debug level
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug and debug[0].exc_info is not None


def test_a_stream_logs_the_records_left_for_the_retry(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()

    @app.on_kinesis_record(stream="clicks", per_record=True)
    def clicks(record: Any) -> None:
        raise KeyError("user")

    with caplog.at_level(logging.INFO, logger="events"):
        clicks(kinesis_event(b"a", b"b", b"c"), Context())
    assert [r.getMessage() for r in caplog.records] == [
        "clicks: record 49590000 failed: KeyError: 'user'",
        "clicks: 2 later record(s) left for the retry from 49590000",
    ]


def test_every_handler_takes_event_and_context_by_keyword() -> None:
    # Users' tests call handler(event, context=ctx), as Chalice's handlers allow.
    app = make_app()
    blueprint = Blueprint(__name__)
    app.lambda_function(name="raw")(lambda event, context: event)
    app.on_sqs_message(queue="jobs", name="jobs")(lambda event: {"n": len(list(event))})
    app.on_ws_message(name="ws")(lambda event: None)
    blueprint.on_sns_message(topic="t", name="bp_sns")(lambda event: event.message)
    app.register_blueprint(blueprint)
    context = Context()
    assert app.handlers["raw"](event={"a": 1}, context=context) == {"a": 1}
    assert app.handlers["jobs"](sqs_event("x"), context=context) == {"n": 1}
    assert app.handlers["jobs"](event=sqs_event("x"), context=context) == {"n": 1}
    websocket = {
        "requestContext": {
            "connectionId": "c1",
            "routeKey": "$default",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
            "stage": "dev",
        },
        "body": "hi",
    }
    assert app.handlers["ws"](websocket, context=context) == {"statusCode": 200}
    sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "m"}}]}
    assert app.handlers["bp_sns"](event=sns, context=context) == "m"


@pytest.mark.parametrize("source", ["kinesis", "dynamodb"])
def test_streams_stop_at_the_first_failure(source: str) -> None:
    app = make_app()
    done: list[str] = []

    if source == "kinesis":

        @app.on_kinesis_record(stream="clicks", per_record=True)
        def handler(record: Any) -> None:
            if record.data == b"bad":
                raise ValueError("no")
            done.append(record.data.decode())

        event = kinesis_event(b"one", b"bad", b"three")
        failed = "49590001"
    else:

        @app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, per_record=True)
        def handler(record: Any) -> None:
            if record.new_item["id"] == "bad":
                raise ValueError("no")
            done.append(record.new_item["id"])

        event = dynamodb_event("one", "bad", "three")
        failed = "11100001"

    answer = handler(event, Context())
    # The checkpoint is the failed record: the third is left for Lambda's retry.
    assert answer == {"batchItemFailures": [{"itemIdentifier": failed}]}
    assert done == ["one"]


def test_middleware_runs_for_its_event_type_and_all() -> None:
    app = make_app()
    calls: list[str] = []

    @app.middleware("all")
    def everywhere(event: Any, get_response: Any) -> Any:
        calls.append(f"all:{type(event).__name__}")
        return get_response(event)

    @app.middleware("sqs")
    def only_sqs(event: Any, get_response: Any) -> Any:
        calls.append("sqs")
        return get_response(event)

    @app.middleware("http")
    def only_http(event: Any, get_response: Any) -> Any:
        calls.append("http")
        return get_response(event)

    @app.on_sqs_message(queue="jobs")
    def work(event: Any) -> str:
        calls.append("handler")
        return "ok"

    @app.lambda_function()
    def task(event: Any, context: Any) -> dict[str, Any]:
        calls.append("task")
        return {"echo": event}

    assert work(sqs_event("a"), Context()) == "ok"  # as in Chalice, called directly
    assert task({"n": 1}, Context()) == {"echo": {"n": 1}}
    assert calls == ["all:SQSEvent", "sqs", "handler", "all:LambdaFunctionEvent", "task"]


def test_middleware_can_short_circuit_an_event() -> None:
    app = make_app()

    @app.middleware("s3")
    def skip_tmp(event: Any, get_response: Any) -> Any:
        if event.key.startswith("tmp/"):
            return "skipped"
        return get_response(event)

    app.on_s3_event(bucket="uploads", name="ingest")(lambda event: "ingested")
    assert app.handlers["ingest"](s3_event("tmp/x"), Context()) == "skipped"
    assert app.handlers["ingest"](s3_event("data/x"), Context()) == "ingested"


def test_schedule_and_cw_handlers_get_the_eventbridge_event() -> None:
    app = make_app()

    @app.schedule("rate(5 minutes)")
    def sweep(event: Any) -> tuple[str, str]:
        return event.detail_type, event.source

    scheduled = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-23T17:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:123456789012:rule/sweep"],
        "detail": {},
    }
    assert sweep(scheduled, Context()) == ("Scheduled Event", "aws.events")


def test_malformed_event_names_the_handler() -> None:
    app = make_app()

    @app.on_sqs_message(queue="jobs")
    def work(event: Any) -> None: ...

    with pytest.raises(InvalidEventError, match="Handler 'work': "):
        work(s3_event("a"), Context())


def test_blueprint_handler_before_and_after_registration() -> None:
    blueprint = Blueprint(__name__)

    @blueprint.lambda_function()
    def ping(event: Any, context: Any) -> str:
        return "pong"

    with pytest.raises(NotRegisteredError, match=r"blueprint .* is not registered"):
        ping({}, Context())
    app = make_app()
    app.register_blueprint(blueprint, name_prefix="bp_")
    assert ping({}, Context()) == "pong"
    assert app.handlers["bp_ping"]({}, Context()) == "pong"


def test_convert_to_middleware_gets_the_original_event_and_context() -> None:
    from chalicelike import ConvertToMiddleware

    app = make_app()
    seen: list[Any] = []

    def lambda_decorator(handler: Any) -> Any:
        def wrapped(event: Any, context: Any) -> Any:
            seen.append((event["Records"][0]["messageId"], context))
            return handler(event, context)

        return wrapped

    app.register_middleware(ConvertToMiddleware(lambda_decorator), "sqs")
    app.on_sqs_message(queue="jobs", name="work")(lambda event: {"done": True})
    context = Context()
    assert app.handlers["work"](sqs_event("a"), context) == {"done": True}
    assert seen == [("msg-0", context)]


def websocket_event(route_key: str, body: str | None = None) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": "XYZ=",
            "requestTime": "23/Nov/2026:17:00:00 +0000",
            "messageDirection": "IN",
            "stage": "prod",
            "connectedAt": 1795453200000,
            "requestTimeEpoch": 1795453200100,
            "identity": {"sourceIp": "203.0.113.9"},
            "requestId": "XYZ-1",
            "domainName": "ws123.execute-api.eu-west-1.amazonaws.com",
            "connectionId": "conn-1=",
            "apiId": "ws123",
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


def test_websocket_handlers_answer_200_and_know_where_to_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", REGION)
    app = make_app()
    seen: list[Any] = []

    @app.on_ws_connect()
    def connect(event: Any) -> None:
        seen.append((event.connection_id, event.event_type))

    @app.on_ws_message()
    def message(event: Any) -> dict[str, Any]:
        seen.append(event.json_body)
        return {"body": "ack"}

    assert connect(websocket_event("$connect"), Context()) == {"statusCode": 200}
    assert message(websocket_event("$default", '{"say": "hi"}'), Context()) == {
        "statusCode": 200,
        "body": "ack",
    }
    assert seen == [("conn-1=", "CONNECT"), {"say": "hi"}]
    assert app.websocket_api.endpoint == "https://ws123.execute-api.eu-west-1.amazonaws.com/prod"
    with pytest.raises(RegistrationError, match="'\\$default' is already registered"):
        app.on_ws_message(name="again")(lambda event: None)


def ses_event() -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": "2026-11-23T17:00:00.000Z",
                        "source": "alice@example.com",
                        "messageId": "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1",
                        "destination": ["orders@shop.example"],
                        "headersTruncated": False,
                        "headers": [{"name": "Subject", "value": "Order 7"}],
                        "commonHeaders": {
                            "returnPath": "alice@example.com",
                            "from": ["Alice <alice@example.com>"],
                            "date": "Mon, 23 Nov 2026 17:00:00 +0000",
                            "to": ["orders@shop.example"],
                            "messageId": "<abc@example.com>",
                            "subject": "Order 7",
                        },
                    },
                    "receipt": {
                        "timestamp": "2026-11-23T17:00:00.000Z",
                        "processingTimeMillis": 574,
                        "recipients": ["orders@shop.example"],
                        "spamVerdict": {"status": "PASS"},
                        "virusVerdict": {"status": "PASS"},
                        "spfVerdict": {"status": "PASS"},
                        "dkimVerdict": {"status": "PASS"},
                        "dmarcVerdict": {"status": "PASS"},
                        "action": {
                            "type": "Lambda",
                            "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:x",
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


def cognito_event() -> dict[str, Any]:
    return {
        "version": "1",
        "region": REGION,
        "userPoolId": f"{REGION}_Abc123",
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"email": "alice@shop.example"}, "validationData": None},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


def test_ses_handler_reads_the_mail() -> None:
    app = make_app()

    @app.on_ses_email(recipients=["orders@shop.example"])
    def mail(event: Any) -> tuple[str, str]:
        return event.source, event.subject

    assert mail(ses_event(), Context()) == ("alice@example.com", "Order 7")
    assert app.event_sources[0].settings == {
        "recipients": ["orders@shop.example"],
        "rule_set": None,
    }


def test_cognito_trigger_returns_the_event_with_its_response() -> None:
    app = make_app()

    @app.on_cognito_trigger(user_pool="shop-users", triggers=["PreSignUp"])
    def pre_sign_up(event: Any) -> None:
        if event.user_attributes["email"].endswith("@shop.example"):
            event.response["autoConfirmUser"] = True

    answer = pre_sign_up(cognito_event(), Context())
    assert answer["userName"] == "alice"
    assert answer["response"] == {
        "autoConfirmUser": True,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    with pytest.raises(RegistrationError, match="triggers must be some of PreSignUp"):
        app.on_cognito_trigger(user_pool="p", triggers=["SignUp"])(lambda event: None)


def test_s3_via_eventbridge_is_recorded_and_read() -> None:
    app = make_app()

    @app.on_s3_event(bucket="uploads", via_eventbridge=True)
    def ingest(event: Any) -> list[str]:
        return [record.key for record in event]

    assert app.event_sources[0].settings["via_eventbridge"] is True
    eventbridge = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-23T17:00:00Z",
        "region": REGION,
        "resources": ["arn:aws:s3:::uploads"],
        "detail": {
            "version": "0",
            "bucket": {"name": "uploads"},
            "object": {"key": "data/a.csv", "size": 5, "etag": "e", "sequencer": "01"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }
    assert ingest(eventbridge, Context()) == ["data/a.csv"]


# Every event decorator, through the test client, with middleware for its own type.
DECORATED: list[tuple[str, str, Any, Any]] = [
    ("s3", "on_s3_event", {"bucket": "b"}, lambda ev: ev.generate_s3_event("b", "k.txt")),
    ("sns", "on_sns_message", {"topic": "t"}, lambda ev: ev.generate_sns_event("hi")),
    ("sqs", "on_sqs_message", {"queue": "q"}, lambda ev: ev.generate_sqs_event(["a"])),
    ("kinesis", "on_kinesis_record", {"stream": "s"}, lambda ev: ev.generate_kinesis_event(["a"])),
    (
        "dynamodb",
        "on_dynamodb_record",
        {"stream_arn": TABLE_STREAM_ARN},
        lambda ev: ev.generate_dynamodb_event(new_images=[{"id": "1"}]),
    ),
    (
        "cloudwatch",
        "on_cw_event",
        {"event_pattern": {"source": ["shop"]}},
        lambda ev: ev.generate_cw_event("shop", "Order", {"id": 1}, []),
    ),
    (
        "scheduled",
        "schedule",
        {"expression": "rate(1 day)"},
        lambda ev: ev.generate_scheduled_event(),
    ),
    ("ses", "on_ses_email", {}, lambda ev: ev.generate_ses_event(["orders@shop.example"])),
    (
        "cognito",
        "on_cognito_trigger",
        {"user_pool": "p", "triggers": ["PreSignUp"]},
        lambda ev: ev.generate_cognito_event(),
    ),
    ("websocket", "on_ws_message", {}, lambda ev: ev.generate_websocket_event("$default", "x")),
    ("pure_lambda", "lambda_function", {}, lambda ev: {"n": 1}),
]


@pytest.mark.parametrize(("kind", "decorator", "settings", "make_event"), DECORATED)
def test_each_decorator_through_the_client_with_its_middleware(
    kind: str, decorator: str, settings: dict[str, Any], make_event: Any
) -> None:
    from chalicelike.test import Client

    app = make_app()
    calls: list[str] = []

    @app.middleware(kind)
    def own(event: Any, get_response: Any) -> Any:
        calls.append(f"{kind}:{type(event).__name__}")
        return get_response(event)

    @app.middleware("http")
    def never(event: Any, get_response: Any) -> Any:
        calls.append("http")
        return get_response(event)

    def handler(*args: Any) -> str:
        calls.append("handler")
        return "handled"

    handler.__name__ = f"handle_{kind}"
    getattr(app, decorator)(**settings)(handler)
    with Client(app) as client:
        answer = client.lambda_.invoke(f"handle_{kind}", make_event(client.events)).payload
    assert calls[1] == "handler" and len(calls) == 2
    assert calls[0].startswith(f"{kind}:")
    if kind == "websocket":
        assert answer == {"statusCode": 200}
    elif kind != "cognito":
        assert answer == "handled"


# -- Chalice's documentation examples, import changed only ----------------------------------


def test_chalice_docs_event_examples_run_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    # From Chalice's "Lambda Event Sources" and "Testing" pages; each handler prints or
    # returns what the page shows. The queue and stream handlers return nothing.
    from chalicelike import Rate
    from chalicelike.test import Client

    app = Chalice(app_name="docs", configure_logs=False)

    @app.on_s3_event(bucket="mybucket")
    def s3_handler(event: Any) -> None:
        print("Object uploaded for bucket: %s, key: %s" % (event.bucket, event.key))  # noqa: UP031

    @app.on_sns_message(topic="mytopic")
    def foo(event: Any) -> dict[str, Any]:
        return {"message": event.message}

    @app.on_sqs_message(queue="my-queue", batch_size=1)
    def sqs_handler(event: Any) -> None:
        for record in event:
            print("Message body: %s" % record.body)  # noqa: UP031

    @app.schedule(Rate(1, unit=Rate.HOURS))
    def every_hour(event: Any) -> None:
        print(event.to_dict()["detail-type"])

    @app.on_kinesis_record(stream="mystream")
    def handle_kinesis_message(event: Any) -> None:
        for record in event:
            print("Received message with contents: %s" % record.data)  # noqa: UP031

    with Client(app) as client:
        events = client.events
        client.lambda_.invoke("s3_handler", events.generate_s3_event("mybucket", "my key"))
        answer = client.lambda_.invoke("foo", events.generate_sns_event(message="hello world"))
        assert answer.payload == {"message": "hello world"}
        client.lambda_.invoke("sqs_handler", events.generate_sqs_event(message_bodies=["hi"]))
        client.lambda_.invoke("every_hour", events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[],
        ))  # fmt: skip
        kinesis = events.generate_kinesis_event(message_bodies=["foo", "bar"])
        assert client.lambda_.invoke("handle_kinesis_message", kinesis).payload is None
    assert capsys.readouterr().out.splitlines() == [
        "Object uploaded for bucket: mybucket, key: my key",
        "Message body: hi",
        "Scheduled Event",
        "Received message with contents: b'foo'",
        "Received message with contents: b'bar'",
    ]


def test_a_chalice_queue_handler_returning_its_results_retries_nothing(tmp_path: Any) -> None:
    # A6 on a real Lambda runtime: `chalicelike invoke` runs the handler in a worker that
    # speaks the Runtime API; what Lambda receives is null, not a list it would misread.
    import subprocess
    import sys

    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text('{"version": "2.0", "app_name": "q"}')
    (tmp_path / "app.py").write_text(
        "from chalicelike import Chalice\n"
        "app = Chalice(app_name='q')\n"
        "@app.on_sqs_message(queue='my-queue', batch_size=10)\n"
        "def process(event):\n"
        "    return [{'processed': record.body} for record in event]\n"
    )
    invoke = subprocess.run(
        [sys.executable, "-m", "chalicelike.cli", "invoke", "-n", "process", "--event", "-"],
        input=json.dumps(sqs_event("a", "b")).encode(),
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert invoke.returncode == 0, invoke.stderr.decode()
    assert json.loads(invoke.stdout.decode().strip().splitlines()[-1]) is None


def test_middleware_sees_a_batch_handler_value_and_lambda_gets_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    seen: list[Any] = []

    @app.middleware("sqs")
    def record_result(event: Any, get_response: Any) -> Any:
        result = get_response(event)
        seen.append(result)
        return result

    @app.middleware("kinesis")
    def skip(event: Any, get_response: Any) -> Any:
        return "skipped"  # a plain value from a middleware reports nothing either

    app.on_sqs_message(queue="jobs", name="failing")(lambda event: BatchItemFailures(["msg-0"]))
    app.on_sqs_message(queue="jobs", name="listing")(lambda event: ["a result"])
    app.on_kinesis_record(stream="clicks", name="clicks")(lambda event: None)
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    assert app.handlers["failing"](sqs_event("a"), Context()) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}]
    }
    assert app.handlers["listing"](sqs_event("a"), Context()) is None
    assert isinstance(seen[0], BatchItemFailures) and seen[1] == ["a result"]
    assert app.handlers["clicks"](kinesis_event(b"x"), Context()) is None
