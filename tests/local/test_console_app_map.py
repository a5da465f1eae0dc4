"""The console's picture of an app: its sources from the manifest, the AWS resources each
function calls from the X-Ray segments in a real TraceStore (as the workers' SDK sends
them: subsegments of namespace "aws" under the function's segment)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from chalicelike import Chalice
from chalicelike._tooling._manifest import FunctionEntry, describe_app
from chalicelike.local._console_app_map import app_map, aws_calls, describe_source
from chalicelike.local._invocation import FunctionSpec, find_spec
from chalicelike.local._schedule_timers import ScheduleTimer
from chalicelike.local._traces import TraceStore

TRACE = "1-6b151d58-0a47fc28f8b2a7962a86cdd8"


def make_app() -> Chalice:
    app = Chalice(app_name="shop")

    @app.route("/orders", methods=["POST"])
    def place() -> dict[str, str]:
        return {}

    @app.on_sqs_message(queue="orders")
    def consume(event: Any) -> None:
        return None

    @app.schedule("cron(30 6 * * ? *)")
    def morning(event: Any) -> None:
        return None

    return app


class Functions:
    """What the console asks the local Lambda: a function by name or deployed name."""

    def __init__(self, *names: str) -> None:
        self.specs = {n: FunctionSpec(n, f"shop-dev-{n}", f"app.{n}", ".") for n in names}
        self.specs["api_handler"] = FunctionSpec("api_handler", "shop-dev", "app.app", ".")

    def find(self, name: str) -> FunctionSpec | None:
        return find_spec(self.specs, name)


def segment(id: str, name: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
    document = {"trace_id": TRACE, "id": id, "name": name, "start_time": 1.0, "end_time": 2.0}
    if parent is not None:
        document.update(type="subsegment", parent_id=parent)
    return {**document, **fields}


def server_with(*documents: dict[str, Any]) -> Any:
    traces = TraceStore()
    for document in documents:
        assert traces.add(document)
    state = SimpleNamespace(stage="dev")
    return FakeServer(
        traces=traces, local_lambda=Functions("consume", "morning"), state=state, api_stage="api"
    )


class FakeServer:
    """What the picture reads of a LocalServer. A plain object, as a LocalServer is:
    the run id is kept per server object (a SimpleNamespace cannot be a weak key)."""

    def __init__(self, **parts: Any) -> None:
        self.cloud: Any = None
        self.__dict__.update(parts)


def test_the_aws_calls_of_each_function_come_from_its_traces() -> None:
    server = server_with(
        segment("a" * 16, "shop-dev", origin="AWS::Lambda::Function"),
        # The SDK's handler subsegment, then the boto3 call nested in it (sent whole).
        segment(
            "b" * 16,
            "## place",
            "a" * 16,
            subsegments=[
                {
                    "id": "c" * 16,
                    "name": "SQS",
                    "namespace": "aws",
                    "aws": {
                        "operation": "SendMessage",
                        "queue_url": "http://127.0.0.1:4566/123456789012/orders",
                    },
                }
            ],
        ),
        segment("d" * 16, "shop-dev-consume", origin="AWS::Lambda::Function"),
        segment(
            "e" * 16,
            "DynamoDB",
            "d" * 16,
            namespace="aws",
            aws={"operation": "PutItem", "table_name": "Orders"},
        ),
        segment(
            "f" * 16,
            "DynamoDB",
            "d" * 16,
            namespace="aws",
            aws={"operation": "GetItem", "table_name": "Orders"},
        ),
        # A call whose function is unknown (its segment is not held): drawn nowhere.
        segment("1" * 16, "S3", "9" * 16, namespace="aws", aws={"bucket_name": "lost"}),
    )
    assert aws_calls(server) == {
        ("api_handler", "SQS", "orders"): ["SendMessage"],
        ("consume", "DynamoDB", "Orders"): ["GetItem", "PutItem"],
    }


def test_the_picture_links_sources_functions_and_resources() -> None:
    app = make_app()
    server = server_with(
        segment("d" * 16, "shop-dev-consume", origin="AWS::Lambda::Function"),
        segment(
            "e" * 16,
            "SNS",
            "d" * 16,
            namespace="aws",
            aws={"operation": "Publish", "topic_arn": "arn:aws:sns:us-east-1:1:shipped"},
        ),
    )
    picture = app_map(describe_app(app), server)
    assert [f["name"] for f in picture["functions"]] == ["api_handler", "consume", "morning"]
    assert picture["resources"] == [
        {"id": "resource:SNS:shipped", "service": "SNS", "name": "shipped"}
    ]
    assert picture["edges"] == [
        {"from": "source:api_handler", "to": "function:api_handler"},
        {"from": "source:consume", "to": "function:consume"},
        {"from": "source:morning", "to": "function:morning"},
        {"from": "function:consume", "to": "resource:SNS:shipped", "operations": ["Publish"]},
    ]


def test_each_source_says_what_invokes_its_function() -> None:
    manifest = describe_app(make_app())
    sources = {e.name: describe_source(e, manifest) for e in manifest.functions}
    assert sources["api_handler"]["routes"] == [
        {"method": "POST", "path": "/orders", "view": "place"}
    ]
    assert sources["consume"]["label"] == "SQS queue orders"
    assert sources["morning"]["label"] == "schedule cron(30 6 * * ? *)"
    assert sources["morning"]["next_fire"].endswith("T06:30:00Z")


# -- what the page needs to follow the server ----------------------------------------------


def test_a_server_keeps_one_run_id_and_a_restarted_one_has_another() -> None:
    manifest = describe_app(make_app())
    first, restarted = server_with(), server_with()
    run = app_map(manifest, first)["server_run"]
    assert app_map(manifest, first)["server_run"] == run
    assert app_map(manifest, restarted)["server_run"] != run
    # The per-function counts cover what the ring keeps: the page says how many.
    assert app_map(manifest, first)["kept"] == 500


class RunningTimer(ScheduleTimer):
    """A schedule's timer as the local cloud runs it, its next fire set by the test."""

    def __init__(self, name: str, due: datetime | None) -> None:
        context: Any = SimpleNamespace(
            local_lambda=Functions(name), clock_speed=1.0, region="us-east-1", account_id="1"
        )
        super().__init__(FunctionEntry(name, f"app.{name}", "scheduled", {}), context)
        self.due = due

    @property
    def next_fire(self) -> datetime | None:
        return self.due


def test_a_schedules_next_fire_is_its_running_timers() -> None:
    # rate(5 minutes) counts from the timer's start: computed from now it would say
    # another minute (the reviewer saw 08:59 for a fire at 08:55).
    app = Chalice(app_name="shop")

    @app.schedule("rate(5 minutes)")
    def every5(event: Any) -> None:
        return None

    manifest = describe_app(app)
    server = server_with()
    due = datetime(2026, 12, 6, 8, 55, tzinfo=timezone.utc)
    server.cloud = SimpleNamespace(sources={"key": RunningTimer("every5", due)})
    [source] = app_map(manifest, server)["sources"]
    assert source["next_fire"] == "2026-12-06T08:55:00Z"
    assert source["timer"] == "running"

    server.cloud = SimpleNamespace(sources={})  # the cloud runs no timer for it
    [source] = app_map(manifest, server)["sources"]
    assert source["next_fire"] is None and source["timer"] == "missing"

    server.cloud = None  # --no-aws: nothing fires it here; when AWS would, from now
    [source] = app_map(manifest, server)["sources"]
    assert source["timer"] == "no cloud"
    moment = datetime.strptime(source["next_fire"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc
    )
    assert timedelta(0) < moment - datetime.now(timezone.utc) <= timedelta(minutes=5)
