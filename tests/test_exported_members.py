"""The public surface: chalicelike's __all__ is sorted, importable, and covers Chalice's names."""

from __future__ import annotations

import pytest

import chalicelike

# Chalice names not yet provided (none: every name Chalice exports is here).
PENDING: set[str] = set()
# Module-level names of Chalice's that are not part of an app's API.
NOT_API = {"app", "chalice_version"}


def test_all_is_sorted_and_importable() -> None:
    assert chalicelike.__all__ == sorted(chalicelike.__all__)
    for name in chalicelike.__all__:
        assert getattr(chalicelike, name) is not None


def test_every_public_name_is_in_all() -> None:
    public = {
        name
        for name in vars(chalicelike)
        if not name.startswith("_")
        and not isinstance(getattr(chalicelike, name), type(chalicelike))
    }
    assert public - {"annotations"} == set(chalicelike.__all__)


def test_covers_chalices_public_names() -> None:
    chalice = pytest.importorskip("chalice")
    theirs = {
        name
        for name in dir(chalice)
        if not name.startswith("_") and not isinstance(getattr(chalice, name), type(chalice))
    } - NOT_API
    missing = theirs - set(chalicelike.__all__)
    assert missing == PENDING


def test_importing_the_package_imports_no_server_or_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys, chalicelike; "
        "print(','.join(sorted(m for m in ('asyncio','uvicorn','starlette','boto3','botocore',"
        "'chalicelike.cli','chalicelike.test','chalicelike._doors._asgi') if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# A Lambda cold start pays for every module the first event imports: a sync view behind a
# REST API must load no server, SDK, CLI, ASGI adapter or coroutine runner.
COLD_PATH_SCRIPT = """
import json, sys, types
from chalicelike import Chalice

app = Chalice(app_name="cold")


@app.route("/items/{item_id}")
def get_item(item_id):
    return {"id": item_id}


event = {
    "resource": "/items/{item_id}",
    "path": "/items/7",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json"},
    "multiValueHeaders": {"Accept": ["application/json"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": {"item_id": "7"},
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/items/{item_id}",
        "httpMethod": "GET",
        "path": "/dev/items/7",
        "stage": "dev",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "203.0.113.9"},
        "accountId": "123456789012",
        "apiId": "abc123",
    },
    "body": None,
    "isBase64Encoded": False,
}
context = types.SimpleNamespace(
    function_name="cold-dev",
    aws_request_id="8f5e1c2a-1111-2222-3333-444455556666",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:cold-dev",
    memory_limit_in_mb="128",
    get_remaining_time_in_millis=lambda: 3000,
)
answer = app(event, context)
loaded = [name for name in sys.argv[1:] if name in sys.modules]
print(json.dumps({"status": answer["statusCode"], "body": answer["body"], "loaded": loaded}))
"""
COLD_PATH_FORBIDDEN = (
    "asyncio",
    "starlette",
    "uvicorn",
    "boto3",
    "botocore",
    "click",
    "mangum",
    "chalicelike.cli",
    "chalicelike.test",
    "chalicelike._doors._asgi",
    "chalicelike._core._coroutines",
)


def test_lambda_event_for_a_sync_view_imports_no_server_sdk_or_adapter() -> None:
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", COLD_PATH_SCRIPT, *COLD_PATH_FORBIDDEN],
        capture_output=True,
        text=True,
        check=True,
    )
    outcome = json.loads(result.stdout)
    assert (outcome["status"], json.loads(outcome["body"])) == (200, {"id": "7"})
    assert outcome["loaded"] == []


# A function that handles only non-HTTP events pays for even less: its cold path must not
# load the ASGI adapter or Mangum (chalicelike's __init__ imports _hosted_apps, which must
# import Mangum only when a hosted app's handler is made).
EVENT_COLD_PATH_SCRIPT = """
import json, sys, types
from chalicelike import Chalice

app = Chalice(app_name="cold")
received = []


@app.on_sqs_message(queue="jobs")
def handle_jobs(event):
    for record in event:
        received.append(json.loads(record.body))


event = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": '{"order_id": "42"}',
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795453200000"},
            "messageAttributes": {},
            "md5OfBody": "e9150e94aa1ec1fd99aa5c4577b5bc5f",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
            "awsRegion": "us-east-1",
        }
    ]
}
context = types.SimpleNamespace(
    function_name="cold-dev-handle_jobs",
    aws_request_id="8f5e1c2a-1111-2222-3333-444455556666",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:cold-dev-handle_jobs",
    memory_limit_in_mb="128",
    get_remaining_time_in_millis=lambda: 3000,
)
answer = handle_jobs(event, context)
loaded = [name for name in sys.argv[1:] if name in sys.modules]
print(json.dumps({"answer": answer, "received": received, "loaded": loaded}))
"""


def test_sqs_handler_imports_no_server_sdk_or_adapter() -> None:
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", EVENT_COLD_PATH_SCRIPT, *COLD_PATH_FORBIDDEN],
        capture_output=True,
        text=True,
        check=True,
    )
    outcome = json.loads(result.stdout)
    assert outcome == {"answer": None, "received": [{"order_id": "42"}], "loaded": []}


def test_chalicelike_app_answers_to_every_name_of_chalice_app() -> None:
    chalice_app = pytest.importorskip("chalice.app")
    import chalicelike.app

    # Names chalice.app defines itself (not typing or stdlib names it imports).
    theirs = {
        name
        for name, value in vars(chalice_app).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "chalice.app") == "chalice.app"
        and not isinstance(value, (type(chalice_app), bool))  # TYPE_CHECKING
    }
    missing = {name for name in theirs if not hasattr(chalicelike.app, name)}
    assert missing == set()
    assert set(chalicelike.app.__all__) >= theirs
    from chalicelike.app import WebsocketEventSourceHandler, handle_extra_types  # noqa: F401


def test_handle_extra_types_and_error_response_as_chalice_app_has_them() -> None:
    import decimal
    import json

    from chalicelike import MultiDict
    from chalicelike.app import error_response, handle_extra_types

    value = {"price": decimal.Decimal("1.5"), "q": MultiDict({"a": ["1", "2"]})}
    assert json.loads(json.dumps(value, default=handle_extra_types)) == {
        "price": 1.5,
        "q": {"a": "2"},
    }
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        handle_extra_types(object())
    response = error_response(message="no", error_code="Nope", http_status_code=418)
    assert (response.status_code, response.body) == (418, {"Code": "Nope", "Message": "no"})


def test_experimental_feature_flags_are_accepted() -> None:
    app = chalicelike.Chalice(app_name="flags", configure_logs=False)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    assert app.experimental_feature_flags == {"WEBSOCKETS"}


def test_batch_item_failures_is_exported_where_the_docs_say() -> None:
    import chalicelike.app
    from chalicelike._events._event_sources import BatchItemFailures

    assert chalicelike.BatchItemFailures is BatchItemFailures
    assert chalicelike.app.BatchItemFailures is BatchItemFailures


def test_public_signatures_name_the_types_that_exist() -> None:
    # No Any where chalicelike has the type (issue 11): what IDEs and mypy show users.
    import inspect

    from chalicelike.app import error_response

    def annotation(func: object, name: str = "return") -> object:
        return inspect.get_annotations(func)[name]  # type: ignore[arg-type]

    app_class, blueprint = chalicelike.Chalice, chalicelike.Blueprint
    assert annotation(app_class.mount, "asgi_app") == "ASGIApp"
    assert annotation(app_class.add_route, "cors") == "bool | CORSConfig | None"
    assert annotation(app_class.websocket_api.fget) == "WebsocketAPI"  # type: ignore[attr-defined]
    assert annotation(blueprint.current_app.fget) == "Chalice"  # type: ignore[attr-defined]
    assert annotation(blueprint.current_request.fget) == "Request | None"  # type: ignore[attr-defined]
    assert annotation(blueprint.register, "app") == "Chalice"
    assert annotation(error_response) == "Response"
