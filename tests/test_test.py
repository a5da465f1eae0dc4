"""The test client: `chalicelike.test.Client`, as Chalice's `chalice.test.Client`."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
import os
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Blueprint, Chalice, ChaliceError, Response
from chalicelike._core._lambda_context import LambdaContext
from chalicelike._events._lambda_events import CloudWatchEvent, S3Event, SNSEvent
from chalicelike._events._stream_events import DynamoDBEvent, KinesisEvent, SQSEvent
from chalicelike._tooling._config import ConfigError, load_config, stage_environment
from chalicelike.test import (
    Client,
    FunctionNotFoundError,
    HTTPResponse,
    InvokeResponse,
    TestEventsClient,
    TestHTTPClient,
    TestLambdaClient,
)

CONFIG = {
    "version": "2.0",
    "app_name": "shop",
    "environment_variables": {"CHL_TABLE": "books-shared", "CHL_ONLY_TOP": "top"},
    "stages": {
        "dev": {"environment_variables": {"CHL_TABLE": "books-dev", "CHL_ONLY_DEV": "dev"}},
        "prod": {"environment_variables": {"CHL_TABLE": "books-prod"}},
    },
}
CHL_NAMES = ("CHL_TABLE", "CHL_ONLY_TOP", "CHL_ONLY_DEV")


def make_project(tmp_path: Path, config: Any) -> Path:
    chalice_dir = tmp_path / ".chalice"
    chalice_dir.mkdir()
    text = config if isinstance(config, str) else json.dumps(config)
    (chalice_dir / "config.json").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def app() -> Chalice:
    app = Chalice(app_name=f"client-{uuid.uuid4().hex[:8]}", configure_logs=False)

    @app.route("/env")
    def env() -> dict[str, Any]:
        return {name: os.environ.get(name) for name in CHL_NAMES}

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    def echo() -> Response:
        request = app.current_request
        return Response(
            {"method": request.method, "body": request.raw_body.decode()},
            headers={"X-Method": request.method, "Set-Cookie": ["a=1", "b=2"]},
        )

    return app


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHL_NAMES:
        monkeypatch.delenv(name, raising=False)


# -- stage environment ---------------------------------------------------------------------


def test_stage_environment_applies_inside_with_only(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    client = Client(app, project_dir=str(project))
    assert "CHL_TABLE" not in os.environ  # not at construction
    with client as entered:
        assert entered is client
        assert os.environ["CHL_TABLE"] == "books-dev"
        assert client.http.get("/env").json_body == {
            "CHL_TABLE": "books-dev",
            "CHL_ONLY_TOP": "top",
            "CHL_ONLY_DEV": "dev",
        }
    for name in CHL_NAMES:
        assert name not in os.environ


def test_stage_is_chosen_by_name(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    with Client(app, stage_name="prod", project_dir=str(project)) as client:
        assert client.http.get("/env").json_body == {
            "CHL_TABLE": "books-prod",
            "CHL_ONLY_TOP": "top",
            "CHL_ONLY_DEV": None,
        }


def test_existing_variables_are_restored(
    app: Chalice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path, CONFIG)
    monkeypatch.setenv("CHL_TABLE", "from-shell")
    with Client(app, project_dir=str(project)) as client:
        assert client.http.get("/env").json_body["CHL_TABLE"] == "books-dev"
    assert os.environ["CHL_TABLE"] == "from-shell"
    assert "CHL_ONLY_DEV" not in os.environ


def test_variables_are_restored_after_an_exception(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    with pytest.raises(RuntimeError, match="inside"), Client(app, project_dir=str(project)):
        assert os.environ["CHL_TABLE"] == "books-dev"
        raise RuntimeError("inside")
    assert "CHL_TABLE" not in os.environ


def test_client_can_be_entered_again(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    client = Client(app, project_dir=str(project))
    for _ in range(2):
        with client:
            assert os.environ["CHL_TABLE"] == "books-dev"
        assert "CHL_TABLE" not in os.environ


def test_no_config_means_no_variables(app: Chalice, tmp_path: Path) -> None:
    with Client(app, project_dir=str(tmp_path)) as client:
        assert client.http.get("/env").json_body == dict.fromkeys(CHL_NAMES)


def test_bad_json_config_names_the_file(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, '{"stages": {')
    client = Client(app, project_dir=str(project))
    with pytest.raises(ConfigError) as caught, client:
        pass
    config_file = project / ".chalice" / "config.json"
    assert str(caught.value).startswith(f"{config_file}: not valid JSON: ")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[1, 2]", "the top level must be a JSON object"),
        ({"environment_variables": ["A=1"]}, "environment_variables must be an object of strings"),
        (
            {"stages": {"dev": {"environment_variables": {"PORT": 8000}}}},
            "stages.dev.environment_variables.PORT must be a string, not 8000",
        ),
    ],
)
def test_unusable_config_says_where(tmp_path: Path, config: Any, message: str) -> None:
    project = make_project(tmp_path, config)
    with pytest.raises(ConfigError) as caught:
        stage_environment(project, "dev")
    assert str(caught.value) == f"{project / '.chalice' / 'config.json'}: {message}"


def test_load_config_reads_the_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    assert load_config(project) == CONFIG
    assert load_config(tmp_path / "missing") == {}


def test_stage_environment_merges_top_level_and_stage(tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    assert stage_environment(project, "dev") == {
        "CHL_TABLE": "books-dev",
        "CHL_ONLY_TOP": "top",
        "CHL_ONLY_DEV": "dev",
    }
    assert stage_environment(project, "other") == {
        "CHL_TABLE": "books-shared",
        "CHL_ONLY_TOP": "top",
    }


# -- requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_each_method_helper(app: Chalice, method: str) -> None:
    with Client(app) as client:
        answer = getattr(client.http, method)("/echo")
    assert isinstance(answer, HTTPResponse)
    assert answer.status_code == 200
    assert answer.json_body == {"method": method.upper(), "body": ""}


def test_head_helper(app: Chalice) -> None:
    with Client(app) as client:
        answer = client.http.head("/echo")
    assert answer.status_code == 200
    assert answer.headers["X-Method"] == "HEAD"


def test_request_with_any_method_name(app: Chalice) -> None:
    with Client(app) as client:
        answer = client.http.request("patch", "/echo", body="x")
    assert answer.json_body == {"method": "PATCH", "body": "x"}


def test_body_as_str_or_bytes(app: Chalice) -> None:
    with Client(app) as client:
        from_str = client.http.post("/echo", body="Zoë")
        from_bytes = client.http.post("/echo", body="Zoë".encode())
    assert from_str.json_body == {"method": "POST", "body": "Zoë"}
    assert from_bytes.json_body == {"method": "POST", "body": "Zoë"}


def test_request_headers_reach_the_view() -> None:
    app = Chalice(app_name="headers-app", configure_logs=False)

    @app.route("/h", methods=["POST"])
    def h() -> dict[str, Any]:
        request = app.current_request
        return {"type": request.headers["content-type"], "json": request.json_body}

    with Client(app) as client:
        answer = client.http.post(
            "/h", headers={"Content-Type": "application/json"}, body='{"a": 1}'
        )
    assert answer.json_body == {"type": "application/json", "json": {"a": 1}}


def test_response_attributes(app: Chalice) -> None:
    with Client(app) as client:
        answer = client.http.get("/echo")
    assert answer.body == b'{"method":"GET","body":""}'
    assert answer.headers["x-method"] == "GET"
    assert answer.headers["X-METHOD"] == "GET"
    # As Chalice's client: no Content-Type where the view named none (API Gateway adds
    # it on the wire, as header_list shows), a list for a header sent more than once.
    assert "Content-Type" not in answer.headers
    assert ("Content-Type", "application/json") in answer.header_list
    assert "x-missing" not in answer.headers
    # A list where Chalice's client gives one; the mapping is typed str (test.py casts).
    assert answer.headers["set-cookie"] == ["a=1", "b=2"]  # type: ignore[comparison-overlap]
    assert [(k, v) for k, v in answer.header_list if k == "Set-Cookie"] == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert repr(answer) == ('HTTPResponse(status_code=200, body=b\'{"method":"GET","body":""}\')')


def test_json_body_of_a_non_json_or_empty_answer_is_none(app: Chalice) -> None:
    app.route("/text")(lambda: "not json")
    app.route("/empty")(lambda: Response("", status_code=204))
    app.route("/bytes")(lambda: Response(b"\xff\xfe", headers={"Content-Type": "text/plain"}))
    with Client(app) as client:
        for path in ("/text", "/empty", "/bytes"):
            assert client.http.get(path).json_body is None, path


def test_gateway_answers(app: Chalice) -> None:
    with Client(app) as client:
        missing = client.http.get("/missing")
    assert missing.status_code == 403
    assert missing.json_body == {"message": "Missing Authentication Token"}


def test_path_must_start_with_a_slash(app: Chalice) -> None:
    with Client(app) as client, pytest.raises(ValueError) as caught:
        client.http.get("echo")
    assert str(caught.value) == "Request path must start with '/': 'echo'"


def test_query_string_in_the_path(app: Chalice) -> None:
    @app.route("/q")
    def q() -> dict[str, Any]:
        return {"q": app.current_request.query_params.getlist("x")}

    with Client(app) as client:
        assert client.http.get("/q?x=1&x=2").json_body == {"q": ["1", "2"]}


def test_http_client_type_is_not_collected_by_pytest(app: Chalice) -> None:
    client = Client(app)
    assert isinstance(client.http, TestHTTPClient)
    assert TestHTTPClient.__test__ is False


def test_request_context_names_the_stage(app: Chalice) -> None:
    @app.route("/ctx")
    def ctx() -> dict[str, Any]:
        context = app.current_request.context
        return {"stage": context["stage"], "resourcePath": context["resourcePath"]}

    # requestContext.stage is the API Gateway stage: 'api' unless the config names one.
    with Client(app, stage_name="prod") as client:
        assert client.http.get("/ctx").json_body == {"stage": "api", "resourcePath": "/ctx"}


def test_request_context_stage_comes_from_api_gateway_stage(app: Chalice, tmp_path: Any) -> None:
    @app.route("/ctx")
    def ctx() -> dict[str, Any]:
        return {"stage": app.current_request.context["stage"]}

    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(
        '{"api_gateway_stage": "v1", "stages": {"prod": {"api_gateway_stage": "live"}}}'
    )
    with Client(app, stage_name="prod", project_dir=str(tmp_path)) as client:
        assert client.http.get("/ctx").json_body == {"stage": "live"}
    with Client(app, stage_name="dev", project_dir=str(tmp_path)) as client:
        assert client.http.get("/ctx").json_body == {"stage": "v1"}


def test_paths_are_sent_percent_encoded_as_http_clients_do(app: Chalice) -> None:
    seen: list[Any] = []

    @app.route("/files/{name}")
    def file(name: str) -> dict[str, Any]:
        request = app.current_request
        seen.append(request.context["path"])
        return {"name": name, "q": dict(request.query_params or {})}

    with Client(app) as client:
        plain = client.http.get("/files/a b?x=\u00e9t\u00e9&y=1%2B1")
        unicode = client.http.get("/files/\u6771\u4eac")
        escaped = client.http.get("/files/%E6%9D%B1")
    assert plain.json_body == {"name": "a b", "q": {"x": "\u00e9t\u00e9", "y": "1+1"}}
    assert unicode.json_body == {"name": "\u6771\u4eac", "q": {}}
    assert escaped.json_body == {"name": "\u6771", "q": {}}
    assert seen == ["/files/a b", "/files/\u6771\u4eac", "/files/\u6771"]


# -- client.events: AWS's event shapes ----------------------------------------------------


@pytest.fixture
def events() -> TestEventsClient:
    return Client(Chalice(app_name="events-app", configure_logs=False)).events


@pytest.mark.parametrize(
    ("key", "on_the_wire"),
    [
        ("red flower.jpg", "red+flower.jpg"),  # AWS's own example
        ("c++/a+b c.txt", "c%2B%2B/a%2Bb+c.txt"),
        ("dir/sub/plain-name_1.csv", "dir/sub/plain-name_1.csv"),
        ("year=2024/r\u00e9sum\u00e9 (1).pdf", "year%3D2024/r%C3%A9sum%C3%A9+%281%29.pdf"),
    ],
)
def test_s3_event_encodes_the_key_and_parses_back(
    events: TestEventsClient, key: str, on_the_wire: str
) -> None:
    raw = events.generate_s3_event("uploads", key)
    record = raw["Records"][0]
    assert record["eventSource"] == "aws:s3"
    assert record["s3"]["object"]["key"] == on_the_wire
    event = S3Event(raw)
    assert (event.bucket, event.key) == ("uploads", key)
    only = event.records[0]
    assert (only.event_name, only.size, only.region) == ("ObjectCreated:Put", 1024, "us-west-2")
    assert only.event_time == "2024-05-01T12:00:00.000Z"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads"


def test_s3_delete_event_has_no_size_or_etag(events: TestEventsClient) -> None:
    # Written as in on_s3_event(events=[...]); the notification drops the "s3:".
    event = S3Event(events.generate_s3_event("b", "old.txt", event_name="s3:ObjectRemoved:Delete"))
    record = event.records[0]
    assert (record.event_name, record.key, record.size, record.etag) == (
        "ObjectRemoved:Delete",
        "old.txt",
        None,
        None,
    )


def test_s3_eventbridge_event_keeps_the_key_as_it_is(events: TestEventsClient) -> None:
    raw = events.generate_s3_eventbridge_event("uploads", "a b+c.txt")
    assert (raw["source"], raw["detail-type"]) == ("aws.s3", "Object Created")
    assert raw["detail"]["object"]["key"] == "a b+c.txt"
    assert raw["resources"] == ["arn:aws:s3:::uploads"]
    event = S3Event(raw)
    assert (event.bucket, event.key, event.records[0].event_name) == (
        "uploads",
        "a b+c.txt",
        "Object Created",
    )
    assert CloudWatchEvent(raw).source == "aws.s3"


def test_sns_event(events: TestEventsClient) -> None:
    raw = events.generate_sns_event(
        "hello",
        subject="greeting",
        message_attributes={
            "kind": "welcome",
            "count": 3,
            "blob": b"\x00\xff",
            "tags": ["a", "b"],
            "given": {"Type": "String", "Value": "as is"},
        },
    )
    record = raw["Records"][0]
    assert (record["EventSource"], record["EventVersion"]) == ("aws:sns", "1.0")
    assert record["EventSubscriptionArn"].startswith(
        "arn:aws:sns:us-west-2:123456789012:topic-name:"
    )
    event = SNSEvent(raw)
    assert (event.message, event.subject) == ("hello", "greeting")
    assert event.message_attributes == {
        "kind": {"Type": "String", "Value": "welcome"},
        "count": {"Type": "Number", "Value": "3"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\xff").decode()},
        "tags": {"Type": "String.Array", "Value": '["a", "b"]'},
        "given": {"Type": "String", "Value": "as is"},
    }
    assert event.records[0].topic_arn == "arn:aws:sns:us-west-2:123456789012:topic-name"


def test_sns_event_without_subject_or_attributes(events: TestEventsClient) -> None:
    raw = events.generate_sns_event("just text", topic="alerts")
    assert raw["Records"][0]["Sns"]["Subject"] is None  # SNS sends null
    event = SNSEvent(raw)
    assert (event.message, event.subject, event.message_attributes) == ("just text", None, {})
    assert event.records[0].topic_arn.endswith(":alerts")


def test_sns_attribute_of_no_sns_type_is_refused(events: TestEventsClient) -> None:
    with pytest.raises(TypeError, match="SNS message attribute 'when' must be"):
        events.generate_sns_event("m", message_attributes={"when": datetime.date(2024, 5, 1)})


def test_sqs_event(events: TestEventsClient) -> None:
    raw = events.generate_sqs_event(['{"n": 1}', "plain"], queue_name="jobs")
    event = SQSEvent(raw)
    assert [record.body for record in event] == ['{"n": 1}', "plain"]
    assert event.records[0].json_body == {"n": 1}
    ids = [record.message_id for record in event]
    assert len(set(ids)) == 2
    assert all(str(uuid.UUID(message_id)) == message_id for message_id in ids)
    assert len({record.receipt_handle for record in event}) == 2
    first = raw["Records"][0]
    assert first["eventSourceARN"] == "arn:aws:sqs:us-west-2:123456789012:jobs"
    assert first["md5OfBody"] == hashlib.md5(b'{"n": 1}').hexdigest()
    assert event.records[0].attributes["ApproximateReceiveCount"] == "1"


@pytest.mark.parametrize(
    ("bodies", "error", "message"),
    [
        ("one body", TypeError, "message_bodies must be a list of str, not 'one body'"),
        ([], ValueError, "message_bodies is empty"),
        (["ok", 7], TypeError, r"message_bodies\[1\] must be str, not 7"),
    ],
)
def test_sqs_event_needs_a_list_of_text(
    events: TestEventsClient, bodies: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        events.generate_sqs_event(bodies)


def test_kinesis_event_takes_bytes_or_text(events: TestEventsClient) -> None:
    raw = events.generate_kinesis_event([b"\x00raw", "t\u00e9xt"], stream_name="clicks")
    event = KinesisEvent(raw)
    assert [record.data for record in event] == [b"\x00raw", "t\u00e9xt".encode()]
    numbers = [record.sequence_number for record in event]
    assert numbers == sorted(numbers, key=int) and len(set(numbers)) == 2
    assert all(len(number) == 56 for number in numbers)
    assert event.records[0].timestamp == datetime.datetime(2024, 5, 1, 12, 0, 0, 500000)
    assert event.records[0].event_source_arn == (
        "arn:aws:kinesis:us-west-2:123456789012:stream/clicks"
    )
    with pytest.raises(TypeError, match="must be a list of bytes or str"):
        events.generate_kinesis_event(b"not a list")  # type: ignore[arg-type]  # on purpose


EVERY_DYNAMODB_TYPE: dict[str, Any] = {
    "id": "order-1",
    "int": 42,
    "float": 12.5,
    "tiny": 1e-05,
    "decimal": Decimal("19.99"),
    "bytes": b"\x00\x01",
    "yes": True,
    "no": False,
    "nothing": None,
    "map": {"inner": "x", "deep": {"n": -1}},
    "list": ["a", 1, None, [True]],
    "tuple": ("t",),
    "strings": {"b", "a"},
    "numbers": {1, Decimal("2.5")},
    "binaries": frozenset({b"x", b"y"}),
    "empty text": "",
}


def test_dynamodb_event_serialises_every_type(events: TestEventsClient) -> None:
    raw = events.generate_dynamodb_event(new_images=[EVERY_DYNAMODB_TYPE], table_name="orders")
    record = DynamoDBEvent(raw).records[0]
    image = record.new_image
    assert image is not None
    assert image["int"] == {"N": "42"}
    assert image["bytes"] == {"B": "AAE="}
    assert image["yes"] == {"BOOL": True}
    assert image["nothing"] == {"NULL": True}
    assert image["strings"] == {"SS": ["a", "b"]}  # sorted: the same event every run
    assert image["list"]["L"][3] == {"L": [{"BOOL": True}]}
    expected = dict(EVERY_DYNAMODB_TYPE)
    expected.update(
        int=Decimal(42),
        float=Decimal("12.5"),
        tiny=Decimal("1e-05"),
        map={"inner": "x", "deep": {"n": Decimal(-1)}},
        list=["a", Decimal(1), None, [True]],
        tuple=["t"],
        numbers={Decimal(1), Decimal("2.5")},
        binaries={b"x", b"y"},
    )
    assert record.new_item == expected
    assert (record.key, record.keys) == ({"id": "order-1"}, {"id": {"S": "order-1"}})
    assert (record.event_name, record.old_item, record.table_name) == ("INSERT", None, "orders")
    assert record.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert record.timestamp == datetime.datetime(2024, 5, 1, 12, 0)
    assert record.size_bytes is not None and record.size_bytes > 0


def test_dynamodb_event_names_follow_the_images(events: TestEventsClient) -> None:
    modify = events.generate_dynamodb_event(
        new_images=[{"id": "1", "n": 2}, {"id": "2", "n": 3}],
        old_images=[{"id": "1", "n": 1}, {"id": "2", "n": 2}],
    )
    remove = events.generate_dynamodb_event(
        old_images=[{"pk": "a", "sk": 1}], key_names=["pk", "sk"]
    )
    keys_only = events.generate_dynamodb_event(keys=[{"id": "9"}], event_name="REMOVE")
    records = [*DynamoDBEvent(modify), *DynamoDBEvent(remove), *DynamoDBEvent(keys_only)]
    assert [r.event_name for r in records] == ["MODIFY", "MODIFY", "REMOVE", "REMOVE"]
    assert [(r.old_item or {}).get("n") for r in records[:2]] == [1, 2]
    assert [(r.new_item or {}).get("n") for r in records[:2]] == [2, 3]
    assert records[2].key == {"pk": "a", "sk": 1}
    assert (records[2].new_item, records[3].new_item, records[3].old_item) == (None, None, None)
    assert records[3].key == {"id": "9"}
    assert records[3].stream_view_type == "KEYS_ONLY"
    numbers = [r.sequence_number for r in records]
    assert numbers == sorted(numbers, key=int) and len(set(numbers)) == 4
    assert len({r.event_id for r in records}) == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "needs equally long, non-empty lists"),
        (
            {"new_images": [{"id": "1"}], "old_images": []},
            ValueError,
            r"got lengths \{'new_images': 1, 'old_images': 0\}",
        ),
        ({"new_images": [{"name": "x"}]}, ValueError, "the image has no key attribute 'id'"),
        ({"new_images": [{"id": "1", "when": object()}]}, TypeError, r"new_images\[0\]\.when:"),
        ({"new_images": [{"id": "1", "s": set()}]}, ValueError, "DynamoDB has no empty sets"),
        ({"new_images": [{"id": "1", "s": {"a", 1}}]}, TypeError, "holds only str"),
        ({"new_images": [{"id": math.nan}]}, ValueError, r"keys\[0\]\.id: .* cannot be nan"),
    ],
)
def test_dynamodb_event_refuses_what_dynamodb_cannot_hold(
    events: TestEventsClient, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        events.generate_dynamodb_event(**kwargs)


def test_cw_event(events: TestEventsClient) -> None:
    raw = events.generate_cw_event(
        "shop.orders",
        "Order Placed",
        {"order": "o-1"},
        ["arn:aws:events:eu-west-1:123456789012:event-bus/shop"],
        region="eu-west-1",
    )
    event = CloudWatchEvent(raw)
    assert (event.source, event.detail_type, event.detail) == (
        "shop.orders",
        "Order Placed",
        {"order": "o-1"},
    )
    assert event.resources == ["arn:aws:events:eu-west-1:123456789012:event-bus/shop"]
    assert (event.region, event.account, event.version) == ("eu-west-1", "123456789012", "0")
    assert (event.time, str(uuid.UUID(event.event_id))) == ("2024-05-01T12:00:00Z", event.event_id)


def test_scheduled_event(events: TestEventsClient) -> None:
    event = CloudWatchEvent(events.generate_scheduled_event("nightly"))
    assert (event.source, event.detail_type, event.detail) == ("aws.events", "Scheduled Event", {})
    assert event.resources == ["arn:aws:events:us-west-2:123456789012:rule/nightly"]


def test_generated_events_are_the_same_on_every_run() -> None:
    def batch(client: TestEventsClient) -> list[dict[str, Any]]:
        return [
            client.generate_s3_event("b", "k"),
            client.generate_sns_event("m"),
            client.generate_sqs_event(["x", "y"]),
            client.generate_kinesis_event([b"x"]),
            client.generate_dynamodb_event(new_images=[{"id": "1"}]),
            client.generate_scheduled_event(),
        ]

    first = Client(Chalice(app_name="one", configure_logs=False)).events
    second = Client(Chalice(app_name="two", configure_logs=False)).events
    assert batch(first) == batch(second)
    assert json.loads(json.dumps(batch(TestEventsClient()))) == batch(TestEventsClient())


# -- client.lambda_.invoke ----------------------------------------------------------------


@pytest.fixture
def worker_app() -> Chalice:
    app = Chalice(app_name="worker", configure_logs=False)

    @app.on_s3_event(bucket="uploads")
    def on_upload(event: Any) -> dict[str, Any]:
        return {"keys": [record.key for record in event], "context": context_summary(app)}

    @app.on_sns_message(topic="alerts")
    def on_alert(event: Any) -> str:
        return f"{event.subject}: {event.message}"

    @app.on_sqs_message(queue="jobs", batch_size=10, per_record=True)
    def do_job(record: Any) -> None:
        if record.body == "bad":
            raise ValueError("cannot do this one")

    @app.on_kinesis_record(stream="clicks")
    def on_clicks(event: Any) -> dict[str, Any]:
        # A list returned by a batch handler would name failed records: answer a dict.
        return {"data": [record.data for record in event]}

    @app.on_dynamodb_record(
        stream_arn="arn:aws:dynamodb:us-west-2:123456789012:table/orders/stream/2024-05-01"
    )
    def on_order(event: Any) -> dict[str, Any]:
        return {"changes": [(record.event_name, record.new_item) for record in event]}

    @app.on_cw_event({"source": ["shop.orders"]}, name="order-events")
    def on_order_event(event: Any) -> Any:
        return event.detail

    @app.schedule("rate(1 hour)")
    def hourly(event: Any) -> list[str]:
        return event.resources

    @app.lambda_function(name="add")
    def add(event: Any, context: Any) -> Any:
        return {"sum": sum(event.get("numbers", [])), "function": context.function_name}

    return app


def context_summary(app: Chalice | Blueprint) -> dict[str, Any]:
    context = app.lambda_context
    return {
        "type": type(context).__name__,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
    }


def test_invoke_runs_an_s3_handler_with_a_named_context(worker_app: Chalice) -> None:
    with Client(worker_app) as client:
        answer = client.lambda_.invoke(
            "on_upload", client.events.generate_s3_event("uploads", "in/a b+c.csv")
        )
    assert isinstance(answer, InvokeResponse)
    assert answer.payload == {
        "keys": ["in/a b+c.csv"],
        "context": {
            "type": "LambdaContext",
            "function_name": "on_upload",  # Chalice's client names it after the function
            "arn": "arn:aws:lambda:us-east-1:123456789012:function:on_upload",
        },
    }
    assert worker_app.lambda_context is None  # reset after the invocation


def test_invoke_names_the_context_after_the_function(worker_app: Chalice) -> None:
    with Client(worker_app, stage_name="prod") as client:
        answer = client.lambda_.invoke("add", {"numbers": [1, 2, 3]})
    assert answer.payload == {"sum": 6, "function": "add"}


def test_invoke_without_payload_sends_an_empty_object(worker_app: Chalice) -> None:
    # Lambda hands a function invoked without a payload the event {}.
    with Client(worker_app) as client:
        assert client.lambda_.invoke("add").payload == {"sum": 0, "function": "add"}


def test_invoke_sqs_per_record_reports_failed_messages(worker_app: Chalice) -> None:
    with Client(worker_app) as client:
        event = client.events.generate_sqs_event(["ok", "bad", "fine", "bad"], queue_name="jobs")
        answer = client.lambda_.invoke("do_job", event)
    ids = [record["messageId"] for record in event["Records"]]
    assert answer.payload == {
        "batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[3]}]
    }


def test_invoke_each_event_source(worker_app: Chalice) -> None:
    with Client(worker_app) as client:
        events = client.events
        invoke = client.lambda_.invoke
        sns = invoke("on_alert", events.generate_sns_event("disk full", subject="db-1"))
        kinesis = invoke("on_clicks", events.generate_kinesis_event([b"a", "b"]))
        dynamodb = invoke("on_order", events.generate_dynamodb_event(new_images=[{"id": "o"}]))
        cw = invoke(
            "order-events", events.generate_cw_event("shop.orders", "Order Placed", {"n": 1}, [])
        )
        hourly = invoke("hourly", events.generate_scheduled_event("every-hour"))
    assert sns.payload == "db-1: disk full"
    assert kinesis.payload == {"data": [b"a", b"b"]}
    assert dynamodb.payload == {"changes": [("INSERT", {"id": "o"})]}
    assert cw.payload == {"n": 1}
    assert hourly.payload == ["arn:aws:events:us-west-2:123456789012:rule/every-hour"]


def test_invoke_a_blueprint_function_by_its_prefixed_name(worker_app: Chalice) -> None:
    blueprint = Blueprint(__name__)

    @blueprint.on_sqs_message(queue="mail")
    def send_mail(event: Any) -> dict[str, Any]:
        function = context_summary(blueprint)["function_name"]
        return {"bodies": [record.body for record in event], "function": function}

    worker_app.register_blueprint(blueprint, name_prefix="mail_")
    with Client(worker_app) as client:
        answer = client.lambda_.invoke("mail_send_mail", client.events.generate_sqs_event(["hi"]))
        with pytest.raises(FunctionNotFoundError):
            client.lambda_.invoke("send_mail")
    assert answer.payload == {"bodies": ["hi"], "function": "mail_send_mail"}


def test_invoke_an_unknown_name_lists_the_known_ones(worker_app: Chalice) -> None:
    with Client(worker_app) as client, pytest.raises(FunctionNotFoundError) as caught:
        client.lambda_.invoke("on_uplaod", {})
    assert str(caught.value) == (
        "No Lambda function named 'on_uplaod' in app 'worker'; its functions: 'add', "
        "'do_job', 'hourly', 'on_alert', 'on_clicks', 'on_order', 'on_upload', 'order-events'"
    )
    assert isinstance(caught.value, ChaliceError)
    assert isinstance(caught.value, LookupError)


def test_invoke_on_an_app_without_functions(app: Chalice) -> None:
    with Client(app) as client, pytest.raises(FunctionNotFoundError) as caught:
        client.lambda_.invoke("anything")
    assert str(caught.value) == (
        f"No Lambda function named 'anything': app {app.app_name!r} has no event handlers "
        "or @app.lambda_function functions"
    )


def test_exceptions_raised_by_the_handler_propagate() -> None:
    app = Chalice(app_name="failing", configure_logs=False)

    @app.lambda_function()
    def explode(event: Any, context: Any) -> None:
        raise KeyError(event["missing"])

    @app.on_sns_message(topic="t")
    def strict(event: Any) -> None: ...

    with Client(app) as client:
        with pytest.raises(KeyError, match="missing"):
            client.lambda_.invoke("explode")
        with pytest.raises(ValueError, match="an SNS event"):  # InvalidEventError
            client.lambda_.invoke("strict", client.events.generate_sqs_event(["x"]))


def test_invoke_sees_the_stage_environment(tmp_path: Path) -> None:
    app = Chalice(app_name="env-worker", configure_logs=False)

    @app.lambda_function()
    def read_env(event: Any, context: Any) -> str | None:
        return os.environ.get("CHL_TABLE")

    project = make_project(tmp_path, CONFIG)
    with Client(app, project_dir=str(project)) as client:
        assert client.lambda_.invoke("read_env").payload == "books-dev"


def test_lambda_client_types(worker_app: Chalice) -> None:
    client = Client(worker_app)
    assert isinstance(client.lambda_, TestLambdaClient)
    assert isinstance(client.events, TestEventsClient)
    assert client.lambda_ is client.lambda_ and client.events is client.events
    assert TestLambdaClient.__test__ is False and TestEventsClient.__test__ is False
    assert repr(InvokeResponse({"a": 1})) == "InvokeResponse(payload={'a': 1})"
    context = LambdaContext("worker-dev-add")
    assert context.function_name == "worker-dev-add"


# -- client.events: SES, Cognito and websocket events -------------------------------------
# Imported here, not at the top, so that these tests stay a block appended to the file.


def test_ses_event(events: TestEventsClient) -> None:
    from chalicelike._events._trigger_events import SESEvent

    raw = events.generate_ses_event(["orders@shop.example", "sales@shop.example"])
    record = raw["Records"][0]
    assert (record["eventSource"], record["eventVersion"]) == ("aws:ses", "1.0")
    assert record["ses"]["receipt"]["action"]["type"] == "Lambda"
    assert "content" not in record["ses"]  # the Lambda action never sends the body
    event = SESEvent(raw)
    assert (event.source, event.subject) == ("sender@example.com", "Hello")
    assert event.destination == event.recipients == ["orders@shop.example", "sales@shop.example"]
    assert event.to == ["orders@shop.example", "sales@shop.example"]
    assert event.from_ == ["sender@example.com"]
    assert event.verdicts == dict.fromkeys(("spam", "virus", "spf", "dkim", "dmarc"), "PASS")
    assert event.timestamp == "2024-05-01T12:00:00.000Z"
    assert event.header("subject") == "Hello"
    assert event.header("Message-ID") == f"<{event.message_id}@example.com>"
    assert len(event.message_id) == 40


def test_ses_event_with_chosen_id_and_no_subject(events: TestEventsClient) -> None:
    from chalicelike._events._trigger_events import SESEvent

    raw = events.generate_ses_event(
        ("a@shop.example",), source="bob@example.org", subject=None, message_id="m-1"
    )
    event = SESEvent(raw)
    assert (event.message_id, event.source, event.subject) == ("m-1", "bob@example.org", None)
    assert event.header("Subject") is None
    assert "subject" not in raw["Records"][0]["ses"]["mail"]["commonHeaders"]


@pytest.mark.parametrize("recipients", ["a@shop.example", [], [b"a@shop.example"]])
def test_ses_event_needs_a_list_of_addresses(events: TestEventsClient, recipients: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="generate_ses_event recipients"):
        events.generate_ses_event(recipients)


def test_cognito_event_pre_sign_up(events: TestEventsClient) -> None:
    from chalicelike._events._trigger_events import CognitoEvent

    raw = events.generate_cognito_event()
    assert raw["callerContext"] == {
        "awsSdkVersion": "aws-sdk-unknown-unknown",
        "clientId": "example-client",
    }
    event = CognitoEvent(raw)
    assert (event.trigger_source, event.trigger) == ("PreSignUp_SignUp", "PreSignUp")
    assert (event.user_name, event.user_pool_id, event.region) == (
        "user",
        "us-east-1_Example",
        "us-east-1",
    )
    assert (event.client_id, event.version) == ("example-client", "1")
    assert event.user_attributes == {"email": "user@example.com"}  # no sub before sign-up
    assert event.response == {
        "autoConfirmUser": False,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    event.response["autoConfirmUser"] = True
    assert event.to_answer()["response"]["autoConfirmUser"] is True
    assert raw["response"]["autoConfirmUser"] is False


def test_cognito_event_for_other_triggers(events: TestEventsClient) -> None:
    from chalicelike._events._trigger_events import CognitoEvent

    confirmed = CognitoEvent(
        events.generate_cognito_event(
            "PostConfirmation_ConfirmSignUp",
            user_name="alice",
            user_pool_id="eu-west-1_Abc123",
            client_id="app",
        )
    )
    assert confirmed.region == "eu-west-1"
    assert confirmed.response == {}
    assert confirmed.user_attributes["email"] == "alice@example.com"
    sub = confirmed.user_attributes["sub"]
    assert str(uuid.UUID(sub)) == sub
    token = CognitoEvent(
        events.generate_cognito_event(
            "TokenGeneration_Authentication", user_attributes={"sub": "s-1", "tier": "gold"}
        )
    )
    assert token.trigger == "PreTokenGeneration"
    assert token.user_attributes == {"sub": "s-1", "tier": "gold"}
    assert token.response == {"claimsOverrideDetails": None}
    assert token.request["groupConfiguration"]["groupsToOverride"] == []


def test_cognito_event_refuses_what_cognito_never_sends(events: TestEventsClient) -> None:
    with pytest.raises(ValueError, match="'SignUp' is no Cognito trigger source"):
        events.generate_cognito_event("SignUp")
    with pytest.raises(ValueError, match="'PreSignup_SignUp' is no Cognito trigger source"):
        events.generate_cognito_event("PreSignup_SignUp")
    with pytest.raises(TypeError, match="user attribute 'age' must be a str"):
        events.generate_cognito_event(user_attributes={"age": 30})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("route_key", "event_type"),
    [
        ("$connect", "CONNECT"),
        ("$default", "MESSAGE"),
        ("sendMessage", "MESSAGE"),
        ("$disconnect", "DISCONNECT"),
    ],
)
def test_websocket_event_type_follows_the_route(
    events: TestEventsClient, route_key: str, event_type: str
) -> None:
    from chalicelike._events._websockets import WebsocketEvent

    raw = events.generate_websocket_event(route_key)
    assert raw["requestContext"]["eventType"] == event_type
    event = WebsocketEvent(raw)
    assert (event.route_key, event.event_type.value) == (route_key, event_type)
    assert (event.stage, event.api_id) == ("api", "abcd1234")
    assert event.domain_name == "abcd1234.execute-api.us-east-1.amazonaws.com"
    assert event.body == ""
    assert event.connection_id.endswith("=") and len(event.connection_id) == 16
    assert ("messageId" in raw["requestContext"]) is (event_type == "MESSAGE")
    assert ("headers" in raw) is (event_type != "MESSAGE")


def test_websocket_message_bodies(events: TestEventsClient) -> None:
    from chalicelike._events._websockets import WebsocketEvent

    text = WebsocketEvent(
        events.generate_websocket_event(
            body='{"say": "hi"}',
            connection_id="conn-1=",
            stage="prod",
            api_id="ws123",
            region="eu-west-1",
        )
    )
    assert (text.connection_id, text.json_body) == ("conn-1=", {"say": "hi"})
    assert text.domain_name == "ws123.execute-api.eu-west-1.amazonaws.com"
    assert text.stage == "prod"
    raw = events.generate_websocket_event(body=b"\x00\xff")
    assert raw["isBase64Encoded"] is True
    assert WebsocketEvent(raw).raw_body == b"\x00\xff"
    with pytest.raises(ValueError, match=r"sends no body on \$connect"):
        events.generate_websocket_event("$connect", body="hello")


def test_ses_cognito_and_websocket_events_are_the_same_on_every_run() -> None:
    def batch(client: TestEventsClient) -> list[dict[str, Any]]:
        return [
            client.generate_ses_event(["a@shop.example"]),
            client.generate_cognito_event("PostAuthentication_Authentication"),
            client.generate_websocket_event("$connect"),
            client.generate_websocket_event(body="x"),
        ]

    first, second = batch(TestEventsClient()), batch(TestEventsClient())
    assert first == second
    ids = {event["requestContext"]["connectionId"] for event in first[2:]}
    assert len(ids) == 2
    assert json.loads(json.dumps(first)) == first


# -- each function's own settings, as Chalice's client applies them --------------------------

FUNCTION_CONFIG = {
    "version": "2.0",
    "app_name": "shop",
    "environment_variables": {"CHL_TABLE": "books-shared"},
    "stages": {
        "dev": {
            "environment_variables": {"CHL_ONLY_DEV": "dev"},
            "lambda_functions": {
                "api_handler": {
                    "environment_variables": {"CHL_ONLY_TOP": "api"},
                    "lambda_memory_size": 512,
                },
                "add": {"environment_variables": {"CHL_TABLE": "books-add"}},
            },
        }
    },
}


def test_each_function_gets_its_own_variables_and_context(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, FUNCTION_CONFIG)

    @app.route("/context")
    def context() -> dict[str, Any]:
        lambda_context = app.lambda_context
        return {
            "name": lambda_context.function_name,
            "memory": lambda_context.memory_limit_in_mb,
        }

    @app.lambda_function(name="add")
    def add(event: Any, lambda_context: Any) -> dict[str, Any]:
        return {
            "name": lambda_context.function_name,
            "env": {name: os.environ.get(name) for name in CHL_NAMES},
        }

    with Client(app, project_dir=str(project)) as client:
        assert client.http.get("/env").json_body == {
            "CHL_TABLE": "books-shared",
            "CHL_ONLY_TOP": "api",
            "CHL_ONLY_DEV": "dev",
        }
        assert client.http.get("/context").json_body == {"name": "api_handler", "memory": "512"}
        assert client.lambda_.invoke("add").payload == {
            "name": "add",
            "env": {"CHL_TABLE": "books-add", "CHL_ONLY_TOP": None, "CHL_ONLY_DEV": "dev"},
        }
        # A function's own variables last only while it runs.
        assert os.environ["CHL_TABLE"] == "books-shared"
        assert "CHL_ONLY_TOP" not in os.environ
