"""Tracing through `chalicelike local` end to end: the real command with its AWS endpoint,
a request with `requests` carrying X-Amzn-Trace-Id, a route that sends an SQS message
with boto3, the `on_sqs_message` handler that consumes it, and the one trace they share,
read from the console's JSON (/_chalicelike/api/traces/{id})."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.local.test_local_cloud import SOURCES_LIVE
from tests.local.test_server import free_port, local_server

pytestmark = pytest.mark.slow

APP = """\
import json, os
import boto3
from chalicelike import Chalice

app = Chalice(app_name="traced")
OUT = os.environ["OUT_DIR"]


def note(file_name, **fields):
    with open(os.path.join(OUT, file_name + ".jsonl"), "a") as out:
        out.write(json.dumps(fields) + "\\n")


@app.route("/buy/{order_id}")
def order(order_id):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"order_id": order_id}))
    note("order", trace=os.environ.get("_X_AMZN_TRACE_ID"))
    return {"order_id": order_id}


@app.on_sqs_message(queue="orders")
def ship(event):
    for record in event:
        note(
            "ship",
            body=record.body,
            aws_trace_header=record.to_dict()["attributes"].get("AWSTraceHeader"),
            trace=os.environ.get("_X_AMZN_TRACE_ID"),
        )
"""
ROOT = "1-5759e988-bd862e3fe1be46a994272793"
CLIENT_SEGMENT = "53995c3f42cd8ad8"


def header_fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(";"))


def wait_for(check: Callable[[], Any], log_path: Path, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(log_path.read_text())
        time.sleep(0.05)


@pytest.mark.parametrize("xray", [False, True], ids=["sdk-off", "sdk-on"])
def test_one_trace_spans_the_request_the_function_the_queue_and_its_consumer(
    tmp_path: Path, xray: bool
) -> None:
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(APP)
    config = {"stages": {"dev": {"xray": xray}}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    out = tmp_path / "out"
    out.mkdir()

    def notes(name: str) -> list[dict[str, Any]]:
        path = out / f"{name}.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines]

    aws_port = free_port()
    with local_server(project, "--aws-port", str(aws_port), env={"OUT_DIR": str(out)}) as (
        base_url,
        log_path,
        _,
    ):
        wait_for(lambda: SOURCES_LIVE in log_path.read_text(), log_path)
        sent = f"Root={ROOT};Parent={CLIENT_SEGMENT};Sampled=1"
        answer = requests.get(f"{base_url}/buy/7", headers={"X-Amzn-Trace-Id": sent}, timeout=30)
        assert answer.status_code == 200, answer.text
        # A REST API answers with the trace it continued.
        assert answer.headers["x-amzn-trace-id"] == f"Root={ROOT}"

        [order] = notes("order")
        [ship] = wait_for(lambda: notes("ship"), log_path)
        # The route's function ran in the client's trace, below the gateway's segment...
        given = header_fields(order["trace"])
        assert given["Root"] == ROOT and given["Sampled"] == "1"
        # ...its boto3 call carried the trace to SQS, which kept it on the message...
        assert header_fields(ship["aws_trace_header"])["Root"] == ROOT
        # ...and the consumer ran in the same trace.
        assert header_fields(ship["trace"])["Root"] == ROOT

        def whole_trace() -> list[dict[str, Any]] | None:
            reply = requests.get(f"{base_url}/_chalicelike/api/traces/{ROOT}", timeout=5)
            if reply.status_code != 200:
                return None
            segments: list[dict[str, Any]] = reply.json()["segments"]
            functions = [s for s in segments if s.get("origin") == "AWS::Lambda::Function"]
            return segments if len(functions) == 2 else None

        segments = wait_for(whole_trace, log_path)
        listed = requests.get(f"{base_url}/_chalicelike/api/invocations", timeout=5).json()
        ours = [i for i in listed["invocations"] if i["trace_id"] == ROOT]
        # Both invocations are recorded, each with who asked for it.
        assert sorted((i["function"], i["source"], i["status"]) for i in ours) == [
            ("api_handler", "GET /buy/{order_id}", "ok"),
            ("ship", "sqs:orders", "ok"),
        ]

    by_id = {segment["id"]: segment for segment in segments}
    [gateway] = [s for s in segments if s.get("origin") == "AWS::ApiGateway::Stage"]
    assert gateway["name"] == "traced/api" and gateway["parent_id"] == CLIENT_SEGMENT
    assert gateway["http"]["response"]["status"] == 200
    api_function, consumer = sorted(
        (s for s in segments if s.get("origin") == "AWS::Lambda::Function"),
        key=lambda s: s["start_time"],
    )
    assert api_function["name"] == "traced-dev" and api_function["parent_id"] == gateway["id"]
    assert given["Parent"] == api_function["id"]  # the runtime got the function's segment
    assert consumer["name"] == "traced-dev-ship"
    assert header_fields(ship["trace"])["Parent"] == consumer["id"]
    # The consumer hangs below whatever sent the message: the function's segment when the
    # worker has no X-Ray SDK (botocore passes the runtime's header on as it is), the SDK's
    # subsegment for the SQS call when it has one.
    sender = by_id[consumer["parent_id"]]
    if not xray:
        assert sender is api_function
        return
    # With `xray: true` the worker's SDK sends its subsegments to the dev server's daemon:
    # the SQS call made under the function's segment, and the consumer's parent.
    sdk = [s for s in segments if s.get("type") == "subsegment"]
    assert sdk, f"no subsegment from the worker's X-Ray SDK: {segments}"
    assert sender.get("namespace") == "aws" and sender["name"] == "sqs"  # the SDK names it so
    assert sender["aws"]["operation"] == "SendMessage"
    assert api_function["id"] in _ancestors(sender, by_id)
    # The runtime's own subsegment for the handler hangs directly below Lambda's segment.
    handlers = [s for s in sdk if s.get("parent_id") == api_function["id"]]
    assert [h["annotations"]["route"] for h in handlers] == ["GET /buy/{order_id}"]


def _ancestors(segment: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    found = []
    parent = segment.get("parent_id")
    while isinstance(parent, str) and parent in by_id and parent not in found:
        found.append(parent)
        parent = by_id[parent].get("parent_id")
    return found
