"""The console's JSON API and page on the real `chalicelike local` (a subprocess, its
workers, --no-aws): every endpoint, the live stream, the actions, and the guard that keeps
other sites' pages out."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelike.local._console_stream import MAX_STREAMS
from tests.local.project_support import write_project
from tests.local.test_server import local_server

pytestmark = pytest.mark.slow

APP = """\
from chalicelike import Chalice

app = Chalice(app_name="shop")


@app.route("/orders/{order_id}")
def get_order(order_id):
    print(f"reading order {order_id}")
    return {"order": order_id}


@app.route("/{anything+}")
def catch_all():
    return {"app": "saw it"}


@app.schedule("cron(0 9 * * ? *)")
def morning(event):
    print("fired for", event.time)
    return {"fired": event.time}


@app.on_sqs_message(queue="orders")
def consume(event):
    for record in event:
        print("consumed", record.body)


@app.lambda_function()
def fails(event, context):
    raise KeyError("no such order")
"""
CONFIG = {
    "version": "2.0",
    "app_name": "shop",
    "stages": {
        "dev": {
            "api_gateway_stage": "api",
            "environment_variables": {"SECRET_TOKEN": "hunter2-do-not-show"},
            "lambda_functions": {"consume": {"lambda_memory_size": 256, "lambda_timeout": 7}},
        }
    },
}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, APP, CONFIG)


class Console:
    def __init__(self, base_url: str, log_path: Path) -> None:
        self.base_url = base_url
        self.api = base_url + "/_chalicelike/api"
        self.log_path = log_path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.api + path, timeout=10, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        headers = {**JSON, **kwargs.pop("headers", {})}
        data = json.dumps({} if body is None else body)
        return requests.post(self.api + path, data=data, headers=headers, timeout=20, **kwargs)

    def newest(self, **query: Any) -> list[dict[str, Any]]:
        answer = self.get("/invocations", params=query)
        assert answer.status_code == 200, answer.text
        records: list[dict[str, Any]] = answer.json()["invocations"]
        return records


@contextlib.contextmanager
def console(project: Path) -> Iterator[Console]:
    with local_server(project) as (base_url, log_path, _):
        yield Console(base_url, log_path)


def test_functions_show_sources_config_and_stats_but_never_env_values(project: Path) -> None:
    with console(project) as c:
        assert requests.get(c.base_url + "/orders/1", timeout=10).json() == {"order": "1"}
        answer = c.get("/functions")
        assert answer.status_code == 200
        assert "hunter2" not in answer.text  # names only: values are often secrets
        functions = {f["name"]: f for f in answer.json()["functions"]}
    assert set(functions) == {"api_handler", "morning", "consume", "fails"}
    api = functions["api_handler"]
    assert api["deployed_name"] == "shop-dev"
    assert {"method": "GET", "path": "/orders/{order_id}", "view": "get_order"} in api["source"][
        "routes"
    ]
    assert api["config"]["environment"] == ["SECRET_TOKEN"]
    # The request above, and the one `local_server` made to see the server up.
    assert api["stats"]["invocations"] == 2 and api["stats"]["errors"] == 0
    assert api["stats"]["p50_ms"] > 0
    morning = functions["morning"]["source"]
    assert morning["type"] == "scheduled" and morning["next_fire"].endswith("T09:00:00Z")
    consume = functions["consume"]
    assert consume["source"]["label"] == "SQS queue orders"
    assert consume["config"]["memory_size"] == 256 and consume["config"]["timeout"] == 7
    assert consume["stats"] == {"invocations": 0, "errors": 0, "p50_ms": None, "p99_ms": None}


def test_invocations_come_newest_first_filtered_and_one_by_one(project: Path) -> None:
    with console(project) as c:
        for order in ("1", "2"):
            requests.get(c.base_url + f"/orders/{order}", timeout=10)
        assert c.post("/functions/fails/invoke", {"event": {"order": 3}}).status_code == 200
        everything = c.newest(limit=3)
        assert [r["function"] for r in everything] == ["fails", "api_handler", "api_handler"]
        newest_request = everything[1]
        assert newest_request["source"] == "GET /orders/{order_id}"
        assert '"/orders/2"' in newest_request["event"]
        assert newest_request["logs"].startswith("START RequestId: ")
        assert "reading order 2" in newest_request["logs"]
        assert "REPORT RequestId: " in newest_request["logs"]
        failed = everything[0]
        assert failed["status"] == "error"
        assert failed["error"]["errorType"] == "KeyError"
        assert [r["id"] for r in c.newest(function="api_handler", limit=1)] == [
            newest_request["id"]
        ]
        assert [r["function"] for r in c.newest(status="error")] == ["fails"]
        one = c.get(f"/invocations/{newest_request['id']}")
        assert one.status_code == 200 and one.json() == newest_request
        assert c.get("/invocations/999999").status_code == 404
        assert "no invocation" in c.get("/invocations/999999").json()["error"]
        bad_status = c.get("/invocations", params={"status": "fine"})
        assert bad_status.status_code == 400 and "status must be one of" in bad_status.text
        assert c.get("/invocations", params={"limit": "-1"}).status_code == 400


def test_a_requests_trace_holds_its_gateway_and_function_segments(project: Path) -> None:
    with console(project) as c:
        requests.get(c.base_url + "/orders/5", timeout=10)
        record = c.newest(function="api_handler")[0]
        assert record["trace_id"]
        answer = c.get(f"/traces/{record['trace_id']}")
        assert answer.status_code == 200
        segments = answer.json()["segments"]
        assert c.get("/traces/1-00000000-000000000000000000000000").status_code == 404
    function = next(s for s in segments if s.get("origin") == "AWS::Lambda::Function")
    assert function["name"] == "shop-dev"
    assert function["aws"]["request_id"] == record["request_id"]
    assert all(s["trace_id"] == record["trace_id"] for s in segments)


def test_the_app_map_draws_sources_to_functions(project: Path) -> None:
    with console(project) as c:
        answer = c.get("/app").json()
    assert answer["app_name"] == "shop" and answer["stage"] == "dev"
    assert {f["name"] for f in answer["functions"]} == {
        "api_handler",
        "morning",
        "consume",
        "fails",
    }
    assert {"from": "source:consume", "to": "function:consume"} in answer["edges"]
    labels = {s["id"]: s["label"] for s in answer["sources"]}
    assert labels["source:morning"] == "schedule cron(0 9 * * ? *)"
    assert labels["source:fails"] == "invoked directly"


class Stream:
    """A GET of the stream read in a thread: the events it has sent so far."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.response = requests.get(url, stream=True, timeout=30, headers=headers or {})
        self.events: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        # Closing the response under the reading thread ends its read with whatever
        # urllib3 raises then (an AttributeError on the closed file, a protocol error).
        with contextlib.suppress(Exception):
            for raw in self.response.iter_lines():
                line = raw.decode()
                if line.startswith("data: "):
                    self.events.extend(json.loads(line[6:]))
                elif line.startswith("id: "):
                    self.ids.append(line[4:])
        self.ended.set()

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            assert time.monotonic() < deadline, self.events
            time.sleep(0.02)
        return self.events


def test_the_stream_sends_each_invocation_as_it_finishes_and_resumes(project: Path) -> None:
    with console(project) as c:
        stream = Stream(c.api + "/stream")
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        requests.get(c.base_url + "/orders/7", timeout=10)
        c.post("/functions/consume/invoke")
        first, second = stream.wait_for(2)
        assert first["function"] == "api_handler" and first["source"] == "GET /orders/{order_id}"
        assert second["function"] == "consume" and second["source"] == "console: sample event"
        assert "event" not in first  # fetched when opened: the stream stays light
        stream.response.close()
        # A reconnecting EventSource says the last id it saw: it gets what came since.
        requests.get(c.base_url + "/orders/8", timeout=10)
        first_id = first["id"]
        resumed = Stream(c.api + "/stream", headers={"Last-Event-ID": first_id})
        events = resumed.wait_for(2)
        resumed.response.close()
    assert [e["id"] for e in events] == [second["id"], str(int(second["id"]) + 1)]
    assert stream.ids[-1] == second["id"]  # each batch's id is its newest record's


def test_stopping_the_server_ends_an_open_stream_at_once(project: Path) -> None:
    with local_server(project) as (base_url, log_path, process):
        stream = Stream(base_url + "/_chalicelike/api/stream")
        time.sleep(0.3)
        stopped = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert stream.ended.wait(5)
        ended_after = time.monotonic() - stopped
        process.wait(10)
    # uvicorn's graceful shutdown would wait 2 s for it, then cancel it.
    assert ended_after < 1.0, ended_after
    assert "stopped before answering" not in log_path.read_text()


def test_replay_with_an_edited_event_fire_a_schedule_and_send_a_sample(project: Path) -> None:
    with console(project) as c:
        requests.get(c.base_url + "/orders/1", timeout=10)
        original = c.newest()[0]
        event = json.loads(original["event"])
        event["pathParameters"] = {"order_id": "edited"}
        replayed = c.post(f"/invocations/{original['id']}/replay", {"event": event})
        assert replayed.status_code == 200, replayed.text
        record = replayed.json()["invocation"]
        assert record["source"] == f"console: replay of {original['id']}"
        assert json.loads(json.loads(record["answer"])["body"]) == {"order": "edited"}
        again = c.post(f"/invocations/{original['id']}/replay").json()["invocation"]
        assert json.loads(again["event"]) == json.loads(original["event"])

        fired = c.post("/functions/morning/fire-schedule").json()
        assert fired["status"] == "ok", fired
        scheduled = json.loads(fired["invocation"]["event"])
        assert scheduled["detail-type"] == "Scheduled Event"
        assert scheduled["resources"] == [
            "arn:aws:events:us-east-1:123456789012:rule/shop-dev-morning"
        ]

        sample = c.get("/functions/consume/sample-event").json()
        assert sample["source"] == "sqs"
        assert sample["event"]["Records"][0]["eventSourceARN"].endswith(":orders")
        sent = c.post("/functions/consume/invoke", {"event": sample["event"]}).json()
        assert sent["status"] == "ok" and "consumed hello" in sent["invocation"]["logs"]
        assert [r["id"] for r in c.newest(limit=4)] == [
            sent["invocation"]["id"],
            fired["invocation"]["id"],
            again["id"],
            record["id"],
        ]


def test_bad_actions_are_400_or_404_naming_the_problem(project: Path) -> None:
    with console(project) as c:
        requests.get(c.base_url + "/orders/1", timeout=10)
        record_id = c.newest()[0]["id"]
        cases = [
            (c.post("/invocations/424242/replay"), 404, "no invocation '424242'"),
            (c.post("/functions/nope/invoke"), 404, "no function 'nope'"),
            (c.post("/functions/consume/fire-schedule"), 400, "consume has no schedule"),
            (c.get("/functions/fails/sample-event"), 400, "plain Lambda function"),
            (
                c.post(f"/invocations/{record_id}/replay", {"evnt": {}}),
                400,
                "unknown field(s) evnt",
            ),
            (c.post(f"/invocations/{record_id}/replay", [1]), 400, "must be a JSON object"),
            (
                requests.post(
                    c.api + f"/invocations/{record_id}/replay", data="{", headers=JSON, timeout=10
                ),
                400,
                "the body is not JSON",
            ),
            (c.get("/nothing/here"), 404, "no console resource"),
            (requests.delete(c.api + "/functions", timeout=10), 405, "DELETE is not allowed"),
        ]
        for answer, status, words in cases:
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"] == "application/json"
            assert words in answer.json()["error"]
        assert cases[-1][0].headers["allow"] == "GET"


def test_bad_numbers_are_400_and_never_a_traceback(project: Path) -> None:
    with console(project) as c:
        cases = [
            c.get("/invocations?limit=%C2%B2"),  # '²'.isdigit() is true; int('²') raises
            c.get("/invocations", params={"limit": "9" * 5_000}),  # past int()'s 4,300 digits
            c.get("/invocations", params={"limit": "0"}),
            c.get("/stream", headers={"Last-Event-ID": "9" * 5_000}),
        ]
        for answer in cases:
            assert answer.status_code == 400, answer.text
            assert answer.headers["content-type"] == "application/json"
        assert "limit must be a whole number" in cases[0].json()["error"]
        assert "Last-Event-ID must be a whole number" in cases[3].json()["error"]
        assert c.get("/invocations", params={"limit": "1"}).status_code == 200
    assert "Traceback" not in c.log_path.read_text()


def test_a_segment_with_nan_is_served_as_json_a_browser_reads(project: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = "1-5759e988-bd862e3fe1be46a994272793"
    document = f'{{"trace_id": "{root}", "id": "70de5b6f19ff9a0a", "name": "put_metadata",'
    document += ' "start_time": 1.0, "metadata": {"default": {"ratio": NaN}}}'
    with local_server(project, "--xray-port", str(port)) as (base_url, _, _):
        header = b'{"format":"json","version":1}\n'
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(header + document.encode(), ("127.0.0.1", port))
        url = f"{base_url}/_chalicelike/api/traces/{root}"
        deadline = time.monotonic() + 5
        answer = requests.get(url, timeout=5)
        while answer.status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.05)
            answer = requests.get(url, timeout=5)
    assert answer.status_code == 200, answer.text
    [segment] = json.loads(answer.text, parse_constant=_refuse)["segments"]
    assert segment["metadata"] == {"default": {"ratio": None}}


def test_streams_past_the_limit_are_503_naming_it(project: Path) -> None:
    with console(project) as c:
        streams = [Stream(c.api + "/stream") for _ in range(MAX_STREAMS)]
        try:
            refused = c.get("/stream")
            assert refused.status_code == 503
            assert f"{MAX_STREAMS} console streams are open" in refused.json()["error"]
            streams.pop().response.close()
            time.sleep(0.3)  # the server sees it go
            again = Stream(c.api + "/stream")
            assert again.response.status_code == 200
            streams.append(again)
        finally:
            for stream in streams:
                stream.response.close()


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in the console's JSON")


def test_the_guard_refuses_other_sites_on_every_console_request(project: Path) -> None:
    with console(project) as c:
        page = c.base_url + "/_chalicelike/"
        foreign_host = {"Host": "evil.example"}
        for url in (page, page + "static/console.js", c.api + "/invocations", c.api + "/stream"):
            answer = requests.get(url, headers=foreign_host, timeout=10)
            assert answer.status_code == 403, url
            assert "DNS rebinding" in answer.json()["error"]
        cross_site = requests.get(c.api + "/functions", headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403
        foreign_origin = c.post(
            "/functions/consume/invoke", headers={"Origin": "http://evil.example"}
        )
        assert foreign_origin.status_code == 403 and "another site" in foreign_origin.text
        form = requests.post(
            c.api + "/functions/consume/invoke",
            data={"event": "{}"},  # what an HTML form can send: no JSON content type
            timeout=10,
        )
        assert form.status_code == 415 and "Content-Type: application/json" in form.text
        own_page = c.post("/functions/consume/invoke", headers={"Origin": c.base_url})
        assert own_page.status_code == 200
        assert c.newest()[0]["function"] == "consume"  # only the page's own POST ran it
        assert len(c.newest(function="consume")) == 1


def test_the_page_and_its_files_are_served_with_a_strict_policy(project: Path) -> None:
    with console(project) as c:
        page = requests.get(c.base_url + "/_chalicelike/", timeout=10)
        script = requests.get(c.base_url + "/_chalicelike/static/console.js", timeout=10)
        style = requests.get(c.base_url + "/_chalicelike/static/console.css", timeout=10)
        api = c.get("/functions")
        traversal = requests.get(c.base_url + "/_chalicelike/static/..%2f_console.py", timeout=10)
        app_route = requests.get(c.base_url + "/_chalicelike/anything", timeout=10)
        bare = requests.get(c.base_url + "/_chalicelike", timeout=10, allow_redirects=False)
    assert page.status_code == 200 and "<title>chalicelike local console</title>" in page.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for answer in (page, script, style, api):
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert not any(name.lower().startswith("access-control-") for name in answer.headers)
    assert traversal.status_code == 404
    # The server's prefix is never the app's, whatever its routes say.
    assert app_route.status_code == 404 and "no console resource" in app_route.text
    # The prefix without its slash is the console's too (a redirect), not the app's 403.
    assert bare.status_code == 308 and bare.headers["location"].endswith("/_chalicelike/")


def test_a_functions_variables_are_its_own_not_the_switches_of_its_settings() -> None:
    # xray / log_format / log_level reach the worker as variables (Lambda's runtime reads
    # them so), but AWS shows them as the function's settings: the console lists only the
    # user's variables, by name.
    from chalicelike.local._console_api import function_config
    from chalicelike.local._invocation import FunctionSpec

    environment = {"SECRET_TOKEN": "x", "CHALICELIKE_XRAY": "true", "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    spec = FunctionSpec("f", "shop-dev-f", "app.f", "/tmp", environment=environment)
    config = function_config(spec)
    assert config is not None and config["environment"] == ["SECRET_TOKEN"]
