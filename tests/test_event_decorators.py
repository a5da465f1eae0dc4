"""The event decorators check their settings at import time and record them for packaging."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelike import Blueprint, Chalice, Cron, Rate, RegistrationError
from chalicelike._core._middleware import EventType
from chalicelike._events._event_sources import deployment_problems
from tests.lambda_events import Context


def make_app() -> Chalice:
    return Chalice(app_name="events", configure_logs=False)


def test_settings_are_recorded_per_source() -> None:
    app = make_app()

    @app.on_s3_event(bucket="uploads", suffix=".csv")
    def ingest(event: Any) -> None: ...

    @app.on_sqs_message(queue="jobs", batch_size=50, maximum_batching_window_in_seconds=5)
    def work(event: Any) -> None: ...

    @app.on_kinesis_record(stream="clicks", starting_position="TRIM_HORIZON", per_record=True)
    def clicks(record: Any) -> None: ...

    @app.schedule(Rate(5, unit=Rate.MINUTES), name="sweeper")
    def sweep(event: Any) -> None: ...

    @app.on_cw_event({"source": ["aws.ec2"]}, bus="ops")
    def ec2(event: Any) -> None: ...

    sources = {source.name: source for source in app.event_sources}
    assert list(sources) == ["ingest", "work", "clicks", "sweeper", "ec2"]
    assert sources["ingest"].kind is EventType.S3
    assert sources["ingest"].settings == {
        "bucket": "uploads",
        "events": ["s3:ObjectCreated:*"],
        "prefix": None,
        "suffix": ".csv",
        "via_eventbridge": False,
    }
    assert sources["work"].settings["batch_size"] == 50
    assert sources["clicks"].per_record is True
    assert sources["clicks"].settings["starting_position"] == "TRIM_HORIZON"
    assert sources["sweeper"].settings["expression"] == "rate(5 minutes)"
    assert sources["sweeper"].handler_name == "sweep"
    assert sources["ec2"].settings == {"event_pattern": {"source": ["aws.ec2"]}, "bus": "ops"}


def test_schedule_takes_cron_and_raw_strings() -> None:
    app = make_app()
    app.schedule(Cron(0, 10, "*", "*", "?", "*"))(lambda event: None)
    app.schedule("rate(1 hour)", name="hourly")(lambda event: None)
    expressions = [source.settings["expression"] for source in app.event_sources]
    assert expressions == ["cron(0 10 * * ? *)", "rate(1 hour)"]


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (lambda app: app.on_s3_event(bucket=None), "on_s3_event bucket must be a string"),
        (
            lambda app: app.on_s3_event(bucket="b", events=["ObjectCreated"]),
            "on_s3_event events must be S3 event names like 's3:ObjectCreated:*'",
        ),
        (lambda app: app.on_sqs_message(), "needs exactly one of queue= or queue_arn="),
        (
            lambda app: app.on_sqs_message(queue="q", batch_size=10_001),
            "on_sqs_message batch_size must be a whole number from 1 to 10000, not 10001",
        ),
        (
            lambda app: app.on_sqs_message(queue="q", maximum_concurrency=1),
            "maximum_concurrency must be a whole number from 2 to 1000, not 1",
        ),
        (
            lambda app: app.on_kinesis_record(stream="s", starting_position="NOW"),
            "starting_position must be 'LATEST' or 'TRIM_HORIZON', not 'NOW'",
        ),
        (
            lambda app: app.on_kinesis_record(stream="s", batch_size=True),
            "batch_size must be a whole number from 1 to 10000, not True",
        ),
        (
            lambda app: app.on_dynamodb_record(stream_arn=7),
            "on_dynamodb_record stream_arn must be a non-empty string, not 7",
        ),
        (lambda app: app.on_cw_event({}), "event_pattern must be a non-empty dict"),
        (
            lambda app: app.on_sqs_message(queue=""),
            "on_sqs_message queue must be a non-empty string, not ''",
        ),
        (
            lambda app: app.on_sqs_message(queue_arn=""),
            "on_sqs_message queue_arn must be a non-empty string, not ''",
        ),
        (lambda app: app.lambda_function(name=""), "name must be a non-empty string"),
        (
            lambda app: app.on_sqs_message(queue="q", per_record="yes"),
            "per_record must be True or False",
        ),
    ],
)
def test_bad_settings_fail_at_import_time(register: Any, message: str) -> None:
    with pytest.raises(RegistrationError, match=re.escape(message)):
        register(make_app())


def test_what_chalice_accepts_imports_and_is_a_deploy_problem() -> None:
    # Chalice's own S3 project template tests with bucket=''; users' tests use placeholder
    # ARNs. They import; packaging refuses them and `local` warns (deployment_problems).
    app = make_app()
    app.on_s3_event(bucket="")(lambda event: None)
    app.on_dynamodb_record(stream_arn="my-stream-arn", name="orders")(lambda event: None)
    app.on_sns_message(topic="", name="news")(lambda event: None)
    app.on_kinesis_record(stream="", name="clicks")(lambda event: None)
    app.on_cognito_trigger(user_pool="", triggers=["PreSignUp"], name="signup")(lambda e: None)
    app.on_sqs_message(queue="jobs", name="fine")(lambda event: None)
    app.on_sqs_message(queue_arn="my-queue-arn", name="placeholder")(lambda event: None)
    app.schedule("every 5 minutes", name="often")(lambda event: None)
    assert deployment_problems(app) == [
        "s3 handler '<lambda>': bucket is empty: S3 needs the bucket's name",
        "dynamodb handler 'orders': stream_arn 'my-stream-arn' is not a DynamoDB stream ARN "
        "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL), which Lambda needs",
        "sns handler 'news': topic is empty: SNS needs the topic's name or ARN",
        "kinesis handler 'clicks': stream is empty: Kinesis needs the stream's name",
        "cognito handler 'signup': user_pool is empty: Cognito needs the user pool's id",
        "sqs handler 'placeholder': queue_arn 'my-queue-arn' is not an SQS queue ARN "
        "(arn:aws:sqs:REGION:ACCOUNT:QUEUE), which Lambda needs",
        "scheduled handler 'often': A schedule must be a Rate, a Cron, or a string "
        "'rate(value unit)' or 'cron(minutes hours day_of_month month day_of_week year)', "
        "not 'every 5 minutes' (EventBridge would refuse it at deploy)",
    ]
    assert app.event_sources[-1].schedule_expression == "every 5 minutes"  # as Chalice
    assert app.event_sources[0].settings["bucket"] == ""
    assert "deploy_problems" not in app.event_sources[0].settings


def test_a_blueprint_handler_deploy_problem_names_its_prefixed_function() -> None:
    app, blueprint = make_app(), Blueprint(__name__)
    blueprint.on_s3_event(bucket="", name="ingest")(lambda event: None)
    app.register_blueprint(blueprint, name_prefix="files_")
    assert deployment_problems(app) == [
        "s3 handler 'files_ingest': bucket is empty: S3 needs the bucket's name"
    ]


def test_chalice_s3_template_test_runs_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    # Chalice's `new-project --project-type s3` app and its generated test, import changed:
    # APP_BUCKET_NAME is unset in tests, so the bucket is ''.
    app = Chalice(app_name="s3proj", configure_logs=False)
    app.debug = True

    @app.on_s3_event(bucket="", events=["s3:ObjectCreated:*"])
    def s3_handler(event: Any) -> None:
        app.log.debug("Received event for bucket: %s, key: %s", event.bucket, event.key)

    from chalicelike.test import Client

    with caplog.at_level("DEBUG", logger="s3proj"), Client(app) as client:
        event = client.events.generate_s3_event(bucket="mybucket", key="mykey")
        client.lambda_.invoke("s3_handler", event)
    assert "Received event for bucket: mybucket, key: mykey" in caplog.messages


def test_sqs_batches_over_ten_need_a_window() -> None:
    app = make_app()
    app.on_sqs_message(queue="q", batch_size=500, maximum_batching_window_in_seconds=1)(print)
    assert app.event_sources[0].settings["batch_size"] == 500
    assert deployment_problems(app) == []
    # Chalice takes it at import (its own unit test registers batch_size=200): AWS won't.
    app.on_sqs_message(queue="q", batch_size=200, name="big")(print)
    assert deployment_problems(app) == [
        "sqs handler 'big': batch_size 200 is over 10, which Lambda takes from SQS only with "
        "maximum_batching_window_in_seconds of 1 or more"
    ]


def test_sources_answer_chalice_attribute_names() -> None:
    # Chalice's unit tests read registrations as attributes of app.event_sources.
    app = make_app()
    app.on_s3_event(bucket="mybucket")(lambda event: None)
    app.on_sqs_message(queue="MyQueue", batch_size=200, name="handler")(lambda event: None)
    app.on_kinesis_record(
        stream="MyStream", batch_size=1, starting_position="TRIM_HORIZON", name="k"
    )(lambda event: None)
    app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:...:stream", batch_size=10)(print)
    app.on_cw_event({"source": ["aws.ec2"]}, name="cwe")(lambda event: None)
    app.schedule("rate(5 minutes)", name="every")(lambda event: None)
    s3, sqs, kinesis, ddb, cwe, every = app.event_sources
    assert (s3.bucket, s3.events, s3.handler_string) == (
        "mybucket",
        ["s3:ObjectCreated:*"],
        "app.<lambda>",
    )
    assert (sqs.name, sqs.queue, sqs.batch_size) == ("handler", "MyQueue", 200)
    assert (kinesis.stream, kinesis.batch_size, kinesis.starting_position) == (
        "MyStream",
        1,
        "TRIM_HORIZON",
    )
    assert (ddb.stream_arn, ddb.batch_size, ddb.handler_string) == (
        "arn:aws:dynamodb:...:stream",
        10,
        "app.print",
    )
    assert cwe.event_pattern == {"source": ["aws.ec2"]}
    assert every.schedule_expression == "rate(5 minutes)"
    assert "as_given" not in every.settings
    # As Chalice's: the Rate itself, converted to its expression only when deployed.
    app.schedule(Rate(value=2, unit=Rate.HOURS), name="two")(lambda event: None)
    expression = app.event_sources[-1].schedule_expression
    assert (expression.value, expression.unit) == (2, Rate.HOURS)
    assert app.event_sources[-1].settings["expression"] == "rate(2 hours)"
    with pytest.raises(AttributeError, match="s3 event source has no setting 'queue'"):
        _ = s3.queue


def test_function_names_are_unique() -> None:
    app = make_app()

    @app.lambda_function()
    def task(event: Any, context: Any) -> None: ...

    with pytest.raises(RegistrationError, match="Two event handlers are named 'task'"):
        app.lambda_function(name="task")(lambda event, context: None)


def test_blueprint_event_handlers_get_the_name_prefix() -> None:
    blueprint = Blueprint(__name__)

    @blueprint.on_sns_message(topic="alerts")
    def alert(event: Any) -> str:
        return f"got {event.message}"

    app = make_app()
    app.register_blueprint(blueprint, name_prefix="ops_")
    assert [source.name for source in app.event_sources] == ["ops_alert"]
    assert app.event_sources[0].handler_name == "alert"
    assert "ops_alert" in app.handlers


def test_authorizer_decorator_makes_a_lambda_authorizer_routes_can_use() -> None:
    from chalicelike import AuthResponse

    app = make_app()

    @app.authorizer(ttl_seconds=60)
    def check_token(auth_request: Any) -> Any:
        allowed = ["/orders/*"] if auth_request.token == "allow" else []
        return AuthResponse(routes=allowed, principal_id="user-1", context={"tier": "gold"})

    @app.route("/orders/{order_id}", authorizer=check_token)
    def order(order_id: str) -> dict[str, str]:
        return {"id": order_id}

    assert app.routes["/orders/{order_id}"]["GET"].authorizer is check_token
    assert app.authorizers == {"check_token": check_token}
    arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/orders/7"
    answer = check_token(
        {"type": "TOKEN", "authorizationToken": "allow", "methodArn": arn}, Context()
    )
    assert answer["principalId"] == "user-1"
    assert answer["context"] == {"tier": "gold"}
    statement = answer["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"


def test_request_authorizer_and_bad_settings() -> None:
    app = make_app()

    @app.authorizer(authorizer_type="REQUEST", identity_sources=["header.X-Api-Key"])
    def by_key(auth_request: Any) -> dict[str, Any]:
        return {"principalId": "k", "policyDocument": {"Version": "2012-10-17", "Statement": []}}

    assert by_key.identity_source == "method.request.header.X-Api-Key"
    with pytest.raises(RegistrationError, match="ttl_seconds"):
        app.authorizer(ttl_seconds=99999, name="slow")(lambda request: None)
    with pytest.raises(RegistrationError, match="Two authorizers are named 'by_key'"):
        app.authorizer(name="by_key")(lambda request: None)
