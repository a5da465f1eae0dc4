"""JSON logs (`chalicelike/_observe/_json_logs.py`): `app.log` lines as Lambda's JSON log format.

Each test turns JSON on as Lambda does (AWS_LAMBDA_LOG_FORMAT=JSON, and a level in
AWS_LAMBDA_LOG_LEVEL), runs the real handler, and parses what reached stdout.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._core._lambda_context import LambdaContext
from chalicelike._tooling._test_events import TestEventsClient
from tests.lambda_events import rest

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TRACE_ROOT = "1-6561f0a2-1a2b3c4d5e6f708192a3b4c5"


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "INFO")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    monkeypatch.delenv("CHALICELIKE_XRAY", raising=False)


def unique_app() -> Chalice:
    # Loggers are shared by name; a name per test keeps each test's handler its own.
    return Chalice(app_name=f"shop-{uuid.uuid4().hex[:8]}")


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


class Unprintable:
    def __str__(self) -> str:
        return "<an object json cannot write>"


def test_a_view_logs_one_json_object_a_line_with_every_field(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = unique_app()

    @app.route("/orders/{order_id}")
    def get_order(order_id: str) -> dict[str, str]:
        app.log.info(
            "priced %s", order_id, extra={"order_id": order_id, "item": Unprintable(), "n": 3}
        )
        return {"id": order_id}

    context = LambdaContext("shop-dev")
    event = rest("GET", "/orders/42", resource="/orders/{order_id}", path_params={"order_id": "42"})
    assert app(event, context)["statusCode"] == 200
    (line,) = lines(capsys.readouterr().out)
    assert TIMESTAMP.match(line.pop("timestamp"))
    assert line == {
        "level": "INFO",
        "message": "priced 42",
        "logger": app.app_name,
        "requestId": context.aws_request_id,
        "function": "api_handler",
        "xray_trace_id": TRACE_ROOT,
        "order_id": "42",
        "item": "<an object json cannot write>",
        "n": 3,
    }


def test_an_exception_carries_lambdas_error_fields(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = unique_app()

    @app.route("/broken")
    def broken() -> None:
        raise KeyError("sku-9")

    assert (
        app(rest("GET", "/broken", resource="/broken"), LambdaContext("shop-dev"))["statusCode"]
        == 500
    )
    (line,) = lines(capsys.readouterr().out)  # the pipeline's "Caught exception" line
    assert line["level"] == "ERROR"
    assert line["message"] == "Caught exception for path /broken"
    assert line["errorType"] == "KeyError"
    assert line["errorMessage"] == "'sku-9'"
    assert isinstance(line["stackTrace"], list)
    assert any("in broken" in frame for frame in line["stackTrace"])
    assert line["location"].endswith(":_unhandled:" + line["location"].rsplit(":", 1)[1])
    assert "_pipeline.py" in line["location"]


def test_an_event_handler_logs_under_its_own_function(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = unique_app()

    @app.on_sqs_message(queue="orders")
    def on_order(event: Any) -> None:
        for record in event:
            app.log.warning("got %s", record.body)

    context = LambdaContext("shop-dev-on_order")
    on_order(TestEventsClient().generate_sqs_event(["a", "b"], queue_name="orders"), context)
    found = lines(capsys.readouterr().out)
    assert [line["message"] for line in found] == ["got a", "got b"]
    for line in found:
        assert (line["function"], line["requestId"], line["level"]) == (
            "on_order",
            context.aws_request_id,
            "WARNING",
        )


def test_extra_fields_never_replace_the_standard_ones(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = unique_app()
    app.log.error("real", extra={"level": "fake", "requestId": "forged", "timestamp": 0})
    (line,) = lines(capsys.readouterr().out)
    assert (line["level"], line["message"]) == ("ERROR", "real")
    assert TIMESTAMP.match(line["timestamp"])
    # Outside an invocation there is no request id to give, so the forged one is not kept.
    assert "requestId" not in line and "function" not in line
    assert line["xray_trace_id"] == TRACE_ROOT


def test_lambdas_log_level_is_the_app_logs_level(
    json_logs: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")
    app = unique_app()
    app.debug = True  # Lambda would drop the lower lines anyway: its level wins
    app.log.info("dropped")
    app.log.warning("kept")
    assert [line["message"] for line in lines(capsys.readouterr().out)] == ["kept"]


def test_an_unknown_log_level_is_said_once_and_the_level_kept(
    json_logs: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "LOUD")
    app = unique_app()
    (line,) = lines(capsys.readouterr().out)
    assert "AWS_LAMBDA_LOG_LEVEL='LOUD' is not a Lambda log level" in line["message"]
    assert "TRACE, DEBUG, INFO, WARN, ERROR, FATAL" in line["message"]
    app.log.info("dropped at the default ERROR level")
    assert capsys.readouterr().out == ""


def test_text_stays_the_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL", raising=False)
    app = unique_app()
    app.log.error("plain")
    assert capsys.readouterr().out == f"{app.app_name} - ERROR - plain\n"
    assert app._observer is None  # nothing observes the invocations


def test_a_second_app_of_the_same_name_follows_the_format_in_force(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"shop-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    Chalice(app_name=name).log.error("as json")
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT")
    Chalice(app_name=name).log.error("as text")
    first, second = capsys.readouterr().out.splitlines()
    assert json.loads(first)["message"] == "as json"
    assert second == f"{name} - ERROR - as text"


def test_a_lone_surrogate_never_loses_the_line(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # A decoded filename or header may hold one; UTF-8 cannot write it, and logging would
    # drop the whole line ("--- Logging error ---") if the formatter left it raw.
    app = unique_app()
    app.log.error("by %s", "mallory\ud800", extra={"who": "\udcff"})
    captured = capsys.readouterr()
    assert "Logging error" not in captured.err
    (line,) = captured.out.splitlines()
    assert line.isascii()  # escaped, so it can be written
    document = json.loads(line)
    assert (document["message"], document["who"]) == ("by mallory\ud800", "\udcff")


def test_non_ascii_that_can_be_written_stays_readable(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = unique_app()
    app.log.error("commande pour %s", "Zoë", extra={"city": "東京"})
    (line,) = capsys.readouterr().out.splitlines()
    assert '"message": "commande pour Zoë"' in line and '"city": "東京"' in line


def test_a_dict_logged_alone_stays_a_json_object(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # As Lambda's runtime (awslambdaric's JsonFormatter): record.msg kept when it is a dict
    # and there are no arguments; with arguments it is formatted as usual.
    app = unique_app()
    app.log.error({"event": "order", "id": 42, "tags": ["a"]})
    app.log.error({"event": "order %s"}, "x")  # odd but legal: formatted as text
    app.log.error({1: "non-string keys"})
    first, second, third = lines(capsys.readouterr().out)
    assert first["message"] == {"event": "order", "id": 42, "tags": ["a"]}
    assert second["message"] == "{'event': 'order x'}"
    assert third["message"] == {"1": "non-string keys"}  # json.dumps writes int keys


def test_the_timestamp_is_rfc_3339_utc_with_milliseconds(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelike._observe._json_logs import _timestamp

    assert _timestamp(1698434265.586789) == "2023-10-27T19:17:45.586Z"  # Lambda docs' form
    app = unique_app()
    app.log.error("now")
    (line,) = lines(capsys.readouterr().out)
    assert TIMESTAMP.match(line["timestamp"])


def test_a_line_below_lambdas_level_is_dropped_even_after_set_level(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lambda drops JSON lines below the application log level (INFO here) whatever the
    # logger's own level: an app that calls setLevel(DEBUG) still gets no DEBUG line.
    app = unique_app()
    app.log.setLevel(logging.DEBUG)
    app.log.debug("dropped, as Lambda would")
    app.log.info("kept")
    assert [line["message"] for line in lines(capsys.readouterr().out)] == ["kept"]


def test_text_mode_keeps_what_the_app_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"shop-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "ERROR")
    Chalice(app_name=name)
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT")
    monkeypatch.delenv("AWS_LAMBDA_LOG_LEVEL")
    app = Chalice(app_name=name, debug=True)  # the shared handler filters no more
    app.log.debug("plain debug")
    assert capsys.readouterr().out == f"{name} - DEBUG - plain debug\n"
