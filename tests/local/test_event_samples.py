"""`chalicelike generate-event`: every source's event is one the matching handler accepts."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chalicelike import AuthResponse, Chalice
from chalicelike._tooling._manifest import AppManifest
from chalicelike.cli import main
from chalicelike.local import _function_samples
from tests.lambda_events import Context

EVENTS_APP = Path(__file__).parent / "apps" / "events"

app = Chalice(app_name="samples", configure_logs=False)
seen: dict[str, Any] = {}


def keep(name: str) -> Callable[[Any], None]:
    def handler(event: Any) -> None:
        seen[name] = event

    handler.__name__ = name
    return handler


on_s3 = app.on_s3_event(bucket="photos")(keep("on_s3"))
on_s3_bridge = app.on_s3_event(bucket="photos", via_eventbridge=True)(keep("on_s3_bridge"))
on_sns = app.on_sns_message(topic="alerts")(keep("on_sns"))
on_sqs = app.on_sqs_message(queue="jobs", batch_size=10)(keep("on_sqs"))
on_kinesis = app.on_kinesis_record(stream="clicks")(keep("on_kinesis"))
on_dynamodb = app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:r:1:table/t/stream/x")(
    keep("on_dynamodb")
)
on_cw = app.on_cw_event({"source": ["my.app"]})(keep("on_cw"))
on_schedule = app.schedule("rate(1 hour)")(keep("on_schedule"))
on_ws_connect = app.on_ws_connect()(keep("on_ws_connect"))
on_ws_message = app.on_ws_message()(keep("on_ws_message"))
on_ws_disconnect = app.on_ws_disconnect()(keep("on_ws_disconnect"))
on_ses = app.on_ses_email()(keep("on_ses"))
on_cognito = app.on_cognito_trigger(user_pool="pool", triggers=["PostConfirmation"])(
    keep("on_cognito")
)


@app.authorizer(authorizer_type="REQUEST", identity_sources=["header.Authorization"])
def gate(auth_request: Any) -> AuthResponse:
    seen["gate"] = auth_request
    return AuthResponse(routes=["*"], principal_id=auth_request.token or "nobody")


@app.route("/orders/{order_id}", methods=["POST"])
def order(order_id: str) -> dict[str, Any]:
    request = app.current_request
    return {"id": order_id, "body": request.json_body, "query": dict(request.query_params or {})}


def generate(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    status = main(["generate-event", *argv])
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def run(handler: Any, event: Any) -> Any:
    return handler(event, Context())


# -- every source, by name ---------------------------------------------------------------


def test_s3_events_reach_an_s3_handler(capsys: pytest.CaptureFixture[str]) -> None:
    event = generate(capsys, "s3", "--bucket", "photos", "--key", "red flower.jpg")
    run(on_s3, event)
    record = seen["on_s3"].records[0]
    assert (record.bucket, record.key) == ("photos", "red flower.jpg")
    assert record.event_name == "ObjectCreated:Put"
    removed = generate(capsys, "s3", "--event-name", "ObjectRemoved:Delete")
    assert removed["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    bridged = generate(capsys, "s3", "--bucket", "photos", "--key", "a.png", "--eventbridge")
    run(on_s3_bridge, bridged)
    assert seen["on_s3_bridge"].key == "a.png" and bridged["detail-type"] == "Object Created"


def test_sns_sqs_and_kinesis_events(capsys: pytest.CaptureFixture[str]) -> None:
    topic = "arn:aws:sns:eu-west-1:111122223333:alerts"
    run(on_sns, generate(capsys, "sns", "--message", "hi", "--subject", "S", "--topic", topic))
    assert (seen["on_sns"].message, seen["on_sns"].subject) == ("hi", "S")
    assert seen["on_sns"].records[0].topic_arn == topic
    run(on_sqs, generate(capsys, "sqs", "--body", '{"n": 1}', "--body", "two", "--queue", "jobs"))
    bodies = [record.body for record in seen["on_sqs"]]
    assert bodies == ['{"n": 1}', "two"]
    assert seen["on_sqs"].records[0].event_source_arn.endswith(":jobs")
    run(on_kinesis, generate(capsys, "kinesis", "--data", "click"))
    assert [record.data for record in seen["on_kinesis"]] == [b"click"]


def test_dynamodb_events_carry_the_images_given(capsys: pytest.CaptureFixture[str]) -> None:
    event = generate(
        capsys, "dynamodb", "--table", "orders", "--new-image", '{"id": "7", "total": 12}'
    )
    run(on_dynamodb, event)
    (record,) = seen["on_dynamodb"].records
    assert record.event_name == "INSERT" and record.table_name == "orders"
    assert record.new_item == {"id": "7", "total": 12} and record.old_item is None
    modify = generate(
        capsys, "dynamodb", "--new-image", '{"id": "1", "n": 2}', "--old-image", '{"id": "1"}'
    )
    assert modify["Records"][0]["eventName"] == "MODIFY"


def test_eventbridge_and_schedule_events(capsys: pytest.CaptureFixture[str]) -> None:
    event = generate(
        capsys, "cloudwatch", "--source", "my.app", "--detail-type", "Paid", "--detail", '{"a": 1}'
    )
    run(on_cw, event)
    assert (seen["on_cw"].source, seen["on_cw"].detail_type) == ("my.app", "Paid")
    assert seen["on_cw"].detail == {"a": 1}
    run(on_schedule, generate(capsys, "schedule", "--rule", "hourly"))
    assert seen["on_schedule"].detail_type == "Scheduled Event"
    assert seen["on_schedule"].resources[0].endswith(":rule/hourly")


def test_websocket_events_for_each_part_of_a_connection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for kind, handler in (
        ("connect", on_ws_connect),
        ("message", on_ws_message),
        ("disconnect", on_ws_disconnect),
    ):
        answer = run(handler, generate(capsys, "websocket", kind, "--body", "hi"))
        assert answer == {"statusCode": 200}
        assert seen[handler.__name__].event_type.value == kind.upper()
    assert seen["on_ws_message"].body == "hi" and seen["on_ws_connect"].body == ""


def test_a_websocket_event_for_the_local_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    # Without --local the event names AWS's execute-api domain, and send() would go there.
    event = generate(capsys, "websocket", "connect", "--local", "127.0.0.1:8123")
    context = event["requestContext"]
    assert (context["domainName"], context["apiId"]) == ("127.0.0.1:8123", "local")
    assert event["headers"]["Host"] == "127.0.0.1:8123"
    assert event["multiValueHeaders"]["Host"] == ["127.0.0.1:8123"]
    run(on_ws_connect, event)
    assert seen["on_ws_connect"].domain_name == "127.0.0.1:8123"
    # What the runtime then sends through: that server's management API, not AWS's.
    assert app.websocket_api.endpoint == "http://127.0.0.1:8123/dev"
    with pytest.raises(SystemExit) as refused:  # argparse's usage error
        main(["generate-event", "websocket", "--local", "http://x/"])
    assert refused.value.code == 2
    assert "a host is HOST:PORT" in capsys.readouterr().err


def test_ses_and_cognito_events(capsys: pytest.CaptureFixture[str]) -> None:
    run(on_ses, generate(capsys, "ses", "--recipient", "a@example.com", "--subject", "Hey"))
    assert seen["on_ses"].recipients == ["a@example.com"] and seen["on_ses"].subject == "Hey"
    event = generate(capsys, "cognito", "--trigger-source", "PostConfirmation_ConfirmSignUp")
    assert run(on_cognito, event) == event  # Cognito gets its event back
    assert seen["on_cognito"].trigger == "PostConfirmation"
    assert main(["generate-event", "cognito", "--trigger-source", "Nonsense"]) == 2
    assert "no Cognito trigger source" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("source", "options"),
    [
        ("apigateway", ["--resource", "/orders/{order_id}"]),
        ("apigateway", []),  # through a '/{proxy+}' resource: the app routes the path
        ("http-api", []),
        ("http-api", ["--api-stage", "prod", "--route-key", "POST /orders/{order_id}"]),
        ("alb", []),
        ("alb", ["--multi-value"]),
        ("function-url", []),
    ],
)
def test_http_events_reach_the_route(
    capsys: pytest.CaptureFixture[str], source: str, options: list[str]
) -> None:
    event = generate(
        capsys,
        source,
        "--method",
        "POST",
        "--path",
        "/orders/7?tag=a",
        "--body",
        '{"qty": 2}',
        "--header",
        "X-Trace: abc",
        *options,
    )
    answer = run(app, event)
    assert answer["statusCode"] == 200, answer
    body = answer["body"]
    body = base64.b64decode(body) if answer.get("isBase64Encoded") else body
    assert json.loads(body) == {"id": "7", "body": {"qty": 2}, "query": {"tag": "a"}}


def test_authorizer_events_token_and_request(capsys: pytest.CaptureFixture[str]) -> None:
    token = generate(capsys, "authorizer", "--token", "alice", "--path", "/orders/7")
    assert token["type"] == "TOKEN" and token["methodArn"].endswith("/dev/GET/orders/7")
    assert run(gate, token)["principalId"] == "alice"
    request = generate(
        capsys, "authorizer", "--type", "REQUEST", "--token", "bob", "--path", "/orders/7?x=1"
    )
    policy = run(gate, request)
    assert policy["principalId"] == "bob"
    assert seen["gate"].query_params["x"] == "1" and seen["gate"].method == "GET"


def test_an_unknown_source_is_refused_listing_the_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["generate-event", "carrier-pigeon"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "unknown SOURCE 'carrier-pigeon'" in err
    for source in ("s3", "sqs", "apigateway", "http-api", "function-url", "authorizer"):
        assert source in err
    assert main(["generate-event"]) == 2
    assert "name a SOURCE" in capsys.readouterr().err


def test_a_bad_option_value_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["generate-event", "apigateway", "--header", "no colon"])
    assert "a header is 'Name: value'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate-event", "dynamodb", "--new-image", "{not json"])
    assert "not JSON" in capsys.readouterr().err


# -- --for FUNCTION: the app's own sources ------------------------------------------------


@pytest.fixture(scope="module")
def shop() -> ModuleType:
    """apps/events/app.py, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location("events_sample_app", EVENTS_APP / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shop_manifest() -> AppManifest:
    return _function_samples.read_manifest(EVENTS_APP, "dev")


@pytest.fixture
def read_once(shop_manifest: AppManifest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest read once for the module (a read is a subprocess, ~0.3 s)."""
    monkeypatch.setattr(_function_samples, "read_manifest", lambda *args: shop_manifest)


def generate_for(capsys: pytest.CaptureFixture[str], function: str, *argv: str) -> Any:
    return generate(capsys, "--for", function, *argv)


@pytest.fixture(autouse=True)
def in_events_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EVENTS_APP)  # the CLI's --project-dir defaults to "."


def test_for_a_function_uses_its_declared_source(
    capsys: pytest.CaptureFixture[str], shop: ModuleType
) -> None:
    run(shop.on_upload, generate_for(capsys, "on_upload"))
    record = shop.SEEN["on_upload"].records[0]
    assert (record.bucket, record.key) == ("uploads", "incoming/example.csv")
    assert record.event_name == "ObjectRemoved:Delete"
    run(shop.work, generate_for(capsys, "shop-dev-work", "sqs", "--body", "job 1"))
    (message,) = shop.SEEN["work"].records
    assert message.body == "job 1"
    assert message.event_source_arn == "arn:aws:sqs:eu-west-1:111122223333:jobs"
    run(shop.changes, generate_for(capsys, "changes"))
    (change,) = shop.SEEN["changes"].records
    assert change.table_name == "orders" and change.event_source_arn.startswith(
        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/"
    )
    run(shop.placed, generate_for(capsys, "placed"))
    placed = shop.SEEN["placed"]
    assert (placed.source, placed.detail_type, placed.detail) == (
        "my.shop",
        "Order Placed",
        {"status": "paid"},
    )


@pytest.mark.usefixtures("read_once")
def test_for_routes_authorizers_and_triggers(
    capsys: pytest.CaptureFixture[str], shop: ModuleType
) -> None:
    answer = run(
        shop.app, generate_for(capsys, "api_handler", "apigateway", "--body", '{"qty": 1}')
    )
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"order_id": "example", "body": {"qty": 1}}
    policy = run(shop.auth, generate_for(capsys, "auth"))
    assert policy["principalId"] == "allow"
    assert shop.SEEN["auth"].method_arn.endswith("/dev/POST/orders/example")
    # Chalice names a websocket handler's function by its route: websocket_disconnect.
    run(shop.gone, generate_for(capsys, "websocket_disconnect"))
    assert shop.SEEN["gone"].route_key == "$disconnect"
    run(shop.mail, generate_for(capsys, "mail"))
    assert shop.SEEN["mail"].recipients == ["user@orders.example.com"]
    tokens = generate_for(capsys, "tokens")
    assert run(shop.tokens, tokens)["triggerSource"] == "TokenGeneration_Authentication"
    assert tokens["userPoolId"] == "eu-west-1_AbCd"
    for function in ("alert", "clicks", "sweep"):
        run(getattr(shop, function), generate_for(capsys, function))
        assert function in shop.SEEN
    assert shop.SEEN["sweep"].resources[0].endswith(":rule/shop-dev-sweep")


@pytest.mark.usefixtures("read_once")
def test_for_refuses_functions_without_a_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate-event", "--for", "plain"]) == 2
    assert "plain is a plain Lambda function" in capsys.readouterr().err
    assert main(["generate-event", "--for", "nope"]) == 2
    err = capsys.readouterr().err
    assert "has no function 'nope'" in err and "on_upload" in err
    assert main(["generate-event", "--for", "on_upload", "sqs"]) == 2
    assert "on_upload receives s3 events, not sqs" in capsys.readouterr().err


def test_for_an_app_that_cannot_load_says_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("from chalicelike import Chalice\napp = Chalice(\n")
    assert main(["--project-dir", str(tmp_path), "generate-event", "--for", "any"]) == 2
    err = capsys.readouterr().err
    assert "app.py" in err and err.count("SyntaxError") == 1
