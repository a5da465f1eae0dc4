"""EMF metrics (`chalicelike/_observe/_metrics.py`): `app.metrics.put`, flushed per invocation.

The real handler runs; what it wrote to stdout is parsed as CloudWatch's Embedded Metric
Format documents and checked member by member.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._core._lambda_context import LambdaContext
from chalicelike._observe._metrics import UNITS
from chalicelike._tooling._test_events import TestEventsClient
from tests.lambda_events import rest


@pytest.fixture(autouse=True)
def no_other_features(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHALICELIKE_XRAY", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def documents(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def order_event(order_id: str = "42") -> dict[str, Any]:
    return rest(
        "GET",
        f"/orders/{order_id}",
        resource="/orders/{order_id}",
        path_params={"order_id": order_id},
    )


def shop() -> Chalice:
    app = Chalice(app_name=f"shop-{uuid.uuid4().hex[:8]}")
    app.metrics.namespace = "Shop"

    @app.route("/orders/{order_id}")
    def get_order(order_id: str) -> dict[str, str]:
        app.metrics.put("OrdersRead", 1)
        app.metrics.put("Latency", 12.5, unit="Milliseconds", route="orders")
        app.metrics.put("Latency", 7, unit="Milliseconds", route="orders")
        app.metrics.put("CacheHits", 2, route="orders", region="eu")
        print("view done")  # the metrics come after the view's own output
        return {"id": order_id}

    return app


def test_one_document_per_dimension_set_when_the_invocation_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = shop()
    before = int(time.time() * 1000)
    assert app(order_event(), LambdaContext("shop-dev"))["statusCode"] == 200
    after = int(time.time() * 1000)
    out = capsys.readouterr().out
    first, *emf = out.splitlines()
    assert first == "view done"
    found = documents("\n".join(emf))
    assert len(found) == 3
    by_dimensions = {tuple(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]): d for d in found}
    for document in found:
        assert before <= document["_aws"]["Timestamp"] <= after
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Shop"
    assert by_dimensions[()] == {
        "_aws": {
            "Timestamp": by_dimensions[()]["_aws"]["Timestamp"],
            "CloudWatchMetrics": [
                {
                    "Namespace": "Shop",
                    "Dimensions": [[]],
                    "Metrics": [{"Name": "OrdersRead", "Unit": "Count"}],
                }
            ],
        },
        "OrdersRead": 1,
    }
    latency = by_dimensions[("route",)]
    assert latency["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "Latency", "Unit": "Milliseconds"}
    ]
    assert (latency["route"], latency["Latency"]) == ("orders", [12.5, 7])
    hits = by_dimensions[("region", "route")]
    assert (hits["region"], hits["route"], hits["CacheHits"]) == ("eu", "orders", 2)


def test_each_invocation_flushes_its_own_and_nothing_is_left(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = shop()
    app(order_event("1"), LambdaContext("shop-dev"))
    app(order_event("2"), LambdaContext("shop-dev"))
    found = documents("\n".join(x for x in capsys.readouterr().out.splitlines() if x[0] == "{"))
    assert [d.get("OrdersRead") for d in found if "OrdersRead" in d] == [1, 1]


def test_metrics_are_flushed_when_the_handler_raises(capsys: pytest.CaptureFixture[str]) -> None:
    app = Chalice(app_name="shop")

    @app.on_sqs_message(queue="orders")
    def on_order(event: Any) -> None:
        app.metrics.put("Received", len(list(event)), queue="orders")
        raise RuntimeError("the batch failed")

    batch = TestEventsClient().generate_sqs_event(["a", "b", "c"], queue_name="orders")
    with pytest.raises(RuntimeError):
        on_order(batch, LambdaContext("shop-dev-on_order"))
    (document,) = documents(capsys.readouterr().out)
    assert (document["Received"], document["queue"]) == (3, "orders")
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "shop"  # the app's name


def test_first_use_inside_an_invocation_is_batched_like_every_later_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = Chalice(app_name="shop")

    @app.route("/hit")
    def hit() -> dict[str, bool]:
        app.metrics.put("Hits", 1)
        app.metrics.put("Hits", 1)
        print("view done")  # the held metrics are written after it, as the call ends
        return {"ok": True}

    event = rest("GET", "/hit", resource="/hit")
    app(event, LambdaContext("shop-dev"))  # app.metrics first used inside this call
    first, *emf = capsys.readouterr().out.splitlines()
    assert first == "view done"
    assert [d["Hits"] for d in documents("\n".join(emf))] == [[1, 1]]
    app(event, LambdaContext("shop-dev"))
    second = capsys.readouterr().out.splitlines()
    assert len(second) == 2 and second[0] == "view done"
    assert documents(second[1])[0]["Hits"] == [1, 1]
    app.metrics.put("Later", 1)  # outside any call again: written at once, as before
    assert documents(capsys.readouterr().out)[0]["Later"] == 1


def test_first_use_inside_an_event_handler_is_batched_even_when_it_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = Chalice(app_name="shop")

    @app.on_sqs_message(queue="orders")
    def on_order(event: Any) -> None:
        app.metrics.put("Received", 1)
        app.metrics.put("Received", 2)
        raise RuntimeError("the batch failed")

    batch = TestEventsClient().generate_sqs_event(["a"], queue_name="orders")
    with pytest.raises(RuntimeError):
        on_order(batch, LambdaContext("shop-dev-on_order"))
    assert [d["Received"] for d in documents(capsys.readouterr().out)] == [[1, 2]]
    with pytest.raises(RuntimeError):  # and observed from the next call on
        on_order(batch, LambdaContext("shop-dev-on_order"))
    assert [d["Received"] for d in documents(capsys.readouterr().out)] == [[1, 2]]


def test_first_use_through_the_test_client_is_batched(capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelike.test import Client

    app = Chalice(app_name="shop")

    @app.route("/hit")
    def hit() -> dict[str, bool]:
        app.metrics.put("Hits", 1)
        app.metrics.put("Hits", 1)
        return {"ok": True}

    with Client(app) as client:
        assert client.http.get("/hit").status_code == 200
    assert [d["Hits"] for d in documents(capsys.readouterr().out)] == [[1, 1]]


def test_emf_limits_split_documents(capsys: pytest.CaptureFixture[str]) -> None:
    app = Chalice(app_name="shop")
    app.metrics.namespace = "Bursts"  # used before the first invocation: batched from it on

    @app.lambda_function()
    def burst(event: Any, context: Any) -> None:
        for index in range(150):
            app.metrics.put(f"M{index}", index)
        for value in range(250):
            app.metrics.put("Many", value, unit="Seconds", kind="burst")

    burst({}, LambdaContext("shop-dev-burst"))
    found = documents(capsys.readouterr().out)
    plain = [d for d in found if "kind" not in d]
    assert [len(d["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for d in plain] == [100, 50]
    assert sorted(name for d in plain for name in d if name != "_aws") == sorted(
        f"M{i}" for i in range(150)
    )
    many = [d["Many"] for d in found if "kind" in d]
    assert [len(values) for values in many] == [100, 100, 50]
    assert [v for values in many for v in values] == list(range(250))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("Orders", 1), {"unit": "Widgets"}, "unit 'Widgets', which CloudWatch does not know"),
        (("", 1), {}, "metric name is a string of 1 to 255"),
        (("x" * 256, 1), {}, "metric name is a string of 1 to 255"),
        (("Orders", "1"), {}, "needs a number as its value, not '1'"),
        (("Orders", True), {}, "needs a number as its value, not True"),
        (("Orders", float("nan")), {}, "needs a finite number"),
        (("Orders", 1), {"shop": 7}, "has value 7, which is not a string"),
        (("Orders", 1), {"Orders": "x"}, "has the name of a metric"),
        (("Orders", 1), {f"d{i}": "v" for i in range(31)}, "31 dimensions; EMF allows 30"),
        (("_aws", 1), {}, "EMF's own member"),
    ],
)
def test_bad_input_is_a_clear_error(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    app = Chalice(app_name="shop")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        app.metrics.put(*args, **kwargs)


def test_an_unknown_unit_names_the_allowed_ones() -> None:
    app = Chalice(app_name="shop")
    with pytest.raises(ValueError) as raised:
        app.metrics.put("Orders", 1, unit="count")
    assert all(unit in str(raised.value) for unit in UNITS)


def test_one_metric_keeps_one_unit_within_an_invocation(capsys: pytest.CaptureFixture[str]) -> None:
    app = Chalice(app_name="shop")
    app.metrics  # noqa: B018 - first use before the invocation: it is batched

    @app.lambda_function()
    def mixed(event: Any, context: Any) -> None:
        app.metrics.put("Size", 1, unit="Bytes")
        app.metrics.put("Size", 1, unit="Kilobytes")

    with pytest.raises(ValueError, match="'Size' was put with unit 'Bytes' and now 'Kilobytes'"):
        mixed({}, LambdaContext("shop-dev-mixed"))
    assert documents(capsys.readouterr().out)[0]["Size"] == 1  # what was put is still sent


def test_the_namespace_is_checked() -> None:
    app = Chalice(app_name="shop")
    with pytest.raises(ValueError, match="'AWS/' is reserved"):
        app.metrics.namespace = "AWS/Lambda"
    with pytest.raises(ValueError, match="1 to 255 characters"):
        app.metrics.namespace = ""
    assert app.metrics.namespace == "shop"


def test_outside_an_invocation_a_put_is_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    app = Chalice(app_name="shop")
    app.metrics.put("Started", 1, unit="None")
    (document,) = documents(capsys.readouterr().out)
    assert document["Started"] == 1
    assert document["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "Started", "Unit": "None"}
    ]


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        ({"": "v"}, "Dimension name '' of metric 'Orders' must be 1 to 255 characters"),
        ({" ": "v"}, "Dimension name ' ' of metric 'Orders' needs a character other than"),
        ({"caf\u00e9": "v"}, "Dimension name 'caf\u00e9' of metric 'Orders' must be ASCII only"),
        ({"a\tb": "v"}, "Dimension name 'a\\tb' of metric 'Orders' contains an ASCII control"),
        ({"x" * 256: "v"}, "must be 1 to 255 characters"),
        ({":x": "v"}, "starts with ':'"),
        ({"shop": ""}, "Dimension 'shop' of metric 'Orders' has value '', which must be 1 to 1024"),
        ({"shop": " \t "}, "has value ' \\t ', which needs a character other than whitespace"),
        ({"shop": "M\u00fcnchen"}, "has value 'M\u00fcnchen', which must be ASCII only"),
        ({"shop": "a\x00b"}, "has value 'a\\x00b', which contains an ASCII control character"),
        ({"shop": "a\x7f"}, "has value 'a\\x7f', which contains an ASCII control character"),
        ({"shop": "x" * 1025}, "which must be 1 to 1024 characters"),
    ],
)
def test_dimensions_cloudwatch_refuses_are_a_clear_error(
    dimensions: dict[str, Any], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # CloudWatch's Dimension: names and values ASCII, 1-255 / 1-1024 characters, at least
    # one that is not whitespace, no control characters.
    app = Chalice(app_name="shop")
    with pytest.raises(ValueError) as raised:
        app.metrics.put("Orders", 1, **dimensions)
    assert message in str(raised.value)
    assert capsys.readouterr().out == ""  # nothing was written


def test_dimensions_cloudwatch_accepts_pass(capsys: pytest.CaptureFixture[str]) -> None:
    app = Chalice(app_name="shop")
    app.metrics.put("Orders", 1, **{"shop name": " a b ", "x" * 255: "v" * 1024})
    (document,) = documents(capsys.readouterr().out)
    assert document["shop name"] == " a b "


def test_a_whitespace_metric_name_is_a_clear_error() -> None:
    app = Chalice(app_name="shop")
    with pytest.raises(ValueError, match="A metric name needs a character other than whitespace"):
        app.metrics.put(" \t ", 1)


@pytest.mark.parametrize(
    ("level", "written"), [("WARN", "WARN"), ("error", "ERROR"), ("FATAL", "FATAL")]
)
def test_emf_lines_carry_the_level_lambdas_filter_keeps(
    level: str, written: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lambda gives a JSON line without "level" the level INFO, dropped at WARN and above.
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", level)
    app = shop()
    app(order_event(), LambdaContext("shop-dev"))
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert len(found) == 3 and {d["level"] for d in found} == {written}


@pytest.mark.parametrize("level", ["", "INFO", "DEBUG", "TRACE"])
def test_emf_lines_have_no_level_where_info_passes(
    level: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if level:
        monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
        monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", level)
    app = shop()
    app(order_event(), LambdaContext("shop-dev"))
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert len(found) == 3 and not any("level" in d for d in found)
