"""The local cloud under chaos: the real `chalicelike local` against an AWS endpoint that
outlives it (an external moto), stopped with Ctrl-C mid-flow, reloaded, broken and fixed,
with handlers that answer garbage. What is sent is processed, queued or dead-lettered:
never lost, and the log says what happened in one line, not a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.local.project_support import write_project
from tests.local.test_server import free_port, local_server

pytestmark = pytest.mark.slow

APP = """\
import json, os, time
from chalicelike import Chalice

app = Chalice(app_name="chaos")
OUT = os.environ["OUT_DIR"]


def note(file_name, **fields):
    with open(os.path.join(OUT, file_name + ".jsonl"), "a") as out:
        out.write(json.dumps(fields) + "\\n")


@app.on_sqs_message(queue="jobs", batch_size=2)
def jobs(event):
    for record in event:
        time.sleep(0.2)
        note("jobs", id=record.message_id)
"""
GARBAGE = """

@app.on_sqs_message(queue="garbage", batch_size=3)
def garbage(event):
    ids = [record.message_id for record in event]
    body = json.loads(ids and event.to_dict()["Records"][0]["body"])
    note("garbage", ids=ids, kind=body["kind"])
    if body["kind"] == "object":
        return {"result": object()}
    if body["kind"] == "string":
        return {"batchItemFailures": "all of them"}
    if body["kind"] == "bad-id":
        return {"batchItemFailures": [{"itemIdentifier": "no-such-id"}]}
    return None
"""


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextlib.contextmanager
def external_moto(
    port: int | None = None, *, reset: bool = True
) -> Iterator[tuple[ThreadedMotoServer, str]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto's state is this process's: each test starts from an empty cloud.
    if reset:
        requests.post(f"http://127.0.0.1:{port}/moto-api/reset", timeout=5).raise_for_status()
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.stop()


class Outage:
    """A TCP relay in front of moto that can go away (every connection cut, the port
    closed) and come back on the same port: an endpoint restarting, its state kept."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target_port = free_port(), target_port
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._spawn(self._accept, listener)

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in [s for s in [listener] if s is not None] + doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(5)
        self._threads = []

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:
                return
            far = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                if self._listener is not listener:
                    near.close()
                    far.close()
                    return
                self._sockets |= {near, far}
            self._spawn(self._pump, near, far)
            self._spawn(self._pump, far, near)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    config = {"app_name": "chaos", "lambda_functions": {"jobs": {"lambda_timeout": 5}}}
    return write_project(tmp_path, APP, config)


def notes(project: Path, name: str) -> list[dict[str, Any]]:
    path = project.parent / "out" / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@contextlib.contextmanager
def served(project: Path, endpoint: str) -> Iterator[tuple[str, Path]]:
    env = {"OUT_DIR": str(project.parent / "out")}
    with local_server(project, "--aws-endpoint", endpoint, env=env) as (base_url, log_path, _):
        deadline = time.monotonic() + 20
        while "event sources live" not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield base_url, log_path


def until(check: Any, seconds: float, why: Any = "") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, why() if callable(why) else why
        time.sleep(0.05)


def queue_counts(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(found[names[0]]), int(found[names[1]])


def test_ctrl_c_mid_flow_hands_back_what_is_in_flight_and_a_restart_finishes(
    project: Path,
) -> None:
    with external_moto() as (_, endpoint):
        sqs = client(endpoint, "sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        sent = {
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))["MessageId"]
            for n in range(40)
        }
        log_text = ""
        with served(project, endpoint) as (_, log_path):
            until(lambda: len(notes(project, "jobs")) >= 8, 20, log_path.read_text)
        log_text = log_path.read_text()
        assert "Traceback" not in log_text, log_text
        # Stopped: nothing in flight is kept invisible for the visibility timeout.
        visible, hidden = queue_counts(sqs, url)
        done = {n["id"] for n in notes(project, "jobs")}
        assert hidden == 0, log_text
        assert len(done) + visible >= len(sent), (len(done), visible, log_text)
        # The counters printed as it stopped say the same: each handled record succeeded.
        summary = next(
            x
            for x in log_text.splitlines()
            if x.startswith("chalicelike local: sqs jobs: delivered")
        )
        assert f"succeeded {len(notes(project, 'jobs'))}," in summary, log_text
        with served(project, endpoint) as (_, log_path):
            until(lambda: {n["id"] for n in notes(project, "jobs")} >= sent, 40, log_path.read_text)
            until(lambda: queue_counts(sqs, url) == (0, 0), 10, log_path.read_text)


SNS_APP = """

@app.on_sns_message(topic="news")
def news(event):
    note("news", message=event.message)
"""


def test_a_malformed_message_in_the_sns_relay_queue_is_discarded_and_delivery_goes_on(
    project: Path,
) -> None:
    (project / "app.py").write_text(APP + SNS_APP)
    with external_moto() as (_, endpoint), served(project, endpoint) as (base_url, log_path):
        sqs, sns = client(endpoint, "sqs"), client(endpoint, "sns")
        internal = [u for u in sqs.list_queues()["QueueUrls"] if "chalicelike-sns-" in u]
        assert len(internal) == 1, internal
        for body in ["not json", '{"Message": "x", "MessageAttributes": {"a": "oops"}}',
                     '{"Message": "y", "MessageAttributes": [1]}']:  # fmt: skip
            sqs.send_message(QueueUrl=internal[0], MessageBody=body)
        time.sleep(1)
        topic = sns.create_topic(Name="news")["TopicArn"]
        sns.publish(TopicArn=topic, Message="still here")
        until(lambda: notes(project, "news"), 15, log_path.read_text)
        counters = requests.get(base_url + "/_chalicelike/deliveries", timeout=5).json()
        assert counters["sns news"]["discarded"] == 3, log_path.read_text()
        assert counters["sns news"]["succeeded"] == 1, log_path.read_text()
        assert "Traceback" not in log_path.read_text()


def test_a_syntax_error_saved_mid_flow_then_fixed_loses_nothing(project: Path) -> None:
    app_py = project / "app.py"
    with external_moto() as (_, endpoint), served(project, endpoint) as (base_url, log_path):
        sqs = client(endpoint, "sqs")
        url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "2"})
        sent = set()
        for n in range(30):
            sent.add(sqs.send_message(QueueUrl=url, MessageBody=str(n))["MessageId"])
            if n == 5:
                app_py.write_text(APP + "\ndef broken(:\n")
            if n == 20:
                time.sleep(1)
                app_py.write_text(APP + "\n# fixed\n")
            time.sleep(0.05)
        until(lambda: {n["id"] for n in notes(project, "jobs")} >= sent, 40, log_path.read_text)
        until(lambda: queue_counts(sqs, url) == (0, 0), 10, log_path.read_text)
        counters = requests.get(base_url + "/_chalicelike/deliveries", timeout=5).json()
        assert counters["sqs jobs"]["succeeded"] >= len(sent), counters
        assert counters["sqs jobs"]["dead_lettered"] == 0, counters


def test_a_handler_removed_then_restored_picks_its_queue_up_again(project: Path) -> None:
    app_py = project / "app.py"
    bare = APP.split("@app.on_sqs_message")[0]
    (project / ".chalice" / "config.json").write_text(json.dumps({"app_name": "chaos"}))
    with external_moto() as (_, endpoint), served(project, endpoint) as (_, log_path):
        sqs = client(endpoint, "sqs")
        url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
        app_py.write_text(bare)
        until(lambda: "0 event sources live" in log_path.read_text(), 20, log_path.read_text)
        sent = {sqs.send_message(QueueUrl=url, MessageBody=str(n))["MessageId"] for n in range(6)}
        time.sleep(1)
        assert notes(project, "jobs") == []
        app_py.write_text(APP)
        until(lambda: {n["id"] for n in notes(project, "jobs")} >= sent, 20, log_path.read_text)


def test_an_endpoint_that_goes_away_and_comes_back_is_polled_again(project: Path) -> None:
    port = free_port()
    with external_moto(port) as (_, endpoint):
        cm = served(project, endpoint)
        _, log_path = cm.__enter__()
    try:
        time.sleep(4)  # the endpoint is gone for a while
        with external_moto(port, reset=False) as (_, endpoint):  # state lives in this process
            sqs = client(endpoint, "sqs")
            url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
            sent = sqs.send_message(QueueUrl=url, MessageBody="back")["MessageId"]
            until(lambda: sent in {n["id"] for n in notes(project, "jobs")}, 20, log_path.read_text)
            # Whether a poll failed meanwhile varies (connections kept alive outlive moto's
            # stop(), and a restarting moto may refuse one more): what must not happen is a
            # traceback, or a line per failed poll of the five batches polling.
            text = log_path.read_text()
            assert text.count("cannot receive") <= 2, text
            assert text.count("cannot receive") == text.count("receiving again"), text
            assert "Traceback" not in text, text
    finally:
        cm.__exit__(None, None, None)


def test_a_queue_name_sqs_refuses_is_said_once_and_the_server_serves(project: Path) -> None:
    (project / "app.py").write_text(APP.replace('queue="jobs"', 'queue="bad name!"'))
    with external_moto() as (_, endpoint), served(project, endpoint) as (base_url, log_path):
        until(lambda: "sqs bad name!: waiting for the queue" in log_path.read_text(), 15)
        text = log_path.read_text()
        assert "could not create queue 'bad name!' (for jobs)" in text, text
        assert "Can only include alphanumeric characters" in text, text
        assert "sqs bad name!: waiting for the queue" in text, text
        assert "Traceback" not in text, text
        counters = requests.get(base_url + "/_chalicelike/deliveries", timeout=5).json()
        assert counters == {"sqs bad name!": counters["sqs bad name!"]}


KINESIS_APP = """

@app.on_kinesis_record(stream="ticks", batch_size=5, starting_position="TRIM_HORIZON")
def ticks(event):
    for record in event:
        note("ticks", data=record.data.decode())
"""


def test_rapid_saves_during_flow_lose_nothing_for_sqs_kinesis_and_sns(project: Path) -> None:
    app_py = project / "app.py"
    app_py.write_text(APP + SNS_APP + KINESIS_APP)
    with external_moto() as (_, endpoint), served(project, endpoint) as (base_url, log_path):
        sqs, sns, kinesis = (client(endpoint, name) for name in ("sqs", "sns", "kinesis"))
        url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
        topic = sns.create_topic(Name="news")["TopicArn"]
        sent: set[str] = set()
        for n in range(30):
            sent.add(sqs.send_message(QueueUrl=url, MessageBody=str(n))["MessageId"])
            sns.publish(TopicArn=topic, Message=f"news-{n}")
            kinesis.put_record(StreamName="ticks", Data=f"tick-{n}".encode(), PartitionKey="p")
            if n % 5 == 0:
                app_py.write_text(app_py.read_text() + f"\n# save {n}\n")
            time.sleep(0.05)

        def all_arrived() -> bool:
            return (
                {n["id"] for n in notes(project, "jobs")} >= sent
                and {n["message"] for n in notes(project, "news")}
                >= {f"news-{n}" for n in range(30)}
                and {n["data"] for n in notes(project, "ticks")} >= {f"tick-{n}" for n in range(30)}
            )

        until(all_arrived, 60, log_path.read_text)
        ticks = [n["data"] for n in notes(project, "ticks")]
        # Kinesis keeps a shard's order: a reload may deliver again, never out of order.
        firsts = list(dict.fromkeys(ticks))
        assert firsts == [f"tick-{n}" for n in range(30)], ticks
        assert "Traceback" not in log_path.read_text()
        # The counters say what the handlers saw: each record that ran, counted once.
        time.sleep(0.5)
        counters = requests.get(base_url + "/_chalicelike/deliveries", timeout=5).json()
        for source, name in [("sqs jobs", "jobs"), ("sns news", "news")]:
            assert counters[source]["succeeded"] == len(notes(project, name)), counters
        kinesis_ok = sum(c["succeeded"] for s, c in counters.items() if s.startswith("kinesis"))
        assert kinesis_ok == len(ticks), counters


KILLABLE = """

@app.on_sqs_message(queue="victims", batch_size=3)
def victims(event):
    note("victim_started", pid=os.getpid(), ids=[r.message_id for r in event])
    if event.to_dict()["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1":
        time.sleep(30)
    for record in event:
        note("victims", id=record.message_id)
"""


def test_a_worker_killed_mid_batch_leaves_the_batch_to_come_back(project: Path) -> None:
    (project / "app.py").write_text(APP + KILLABLE)
    with external_moto() as (_, endpoint):
        sqs = client(endpoint, "sqs")
        # Made before the poller's first long poll, which holds the timeout it began with.
        url = sqs.create_queue(QueueName="victims", Attributes={"VisibilityTimeout": "2"})[
            "QueueUrl"
        ]
        stack = contextlib.ExitStack()
        base_url, log_path = stack.enter_context(served(project, endpoint))
        entries = [{"Id": str(n), "MessageBody": str(n)} for n in range(3)]
        sent = {
            m["MessageId"]
            for m in sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]
        }
        until(lambda: notes(project, "victim_started"), 15, log_path.read_text)
        started = notes(project, "victim_started")[0]
        os.kill(started["pid"], signal.SIGKILL)
        until(lambda: {n["id"] for n in notes(project, "victims")} >= sent, 20, log_path.read_text)
        text = log_path.read_text()
        assert "signal: killed" in text or "killed" in text, text
        assert "Traceback" not in text, text
        counters = requests.get(base_url + "/_chalicelike/deliveries", timeout=5).json()
        assert counters["sqs victims"]["retried"] >= len(started["ids"]), counters
        assert counters["sqs victims"]["succeeded"] == len(sent), counters


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("object", "not JSON serializable"),
        ("string", "batchItemFailures is not a list"),
        ("bad-id", "'no-such-id', which is not a message of this batch"),
    ],
)
def test_a_handler_answering_garbage_fails_its_batch_with_a_clear_line(
    project: Path, kind: str, said: str
) -> None:
    (project / "app.py").write_text(APP + GARBAGE)
    with external_moto() as (_, endpoint), served(project, endpoint) as (base_url, log_path):
        sqs = client(endpoint, "sqs")
        url = sqs.get_queue_url(QueueName="garbage")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": kind}))

        def delivered() -> Any:
            found = requests.get(base_url + "/_chalicelike/deliveries", timeout=5).json()
            return found.get("sqs garbage", {}).get("delivered") and found

        until(delivered, 15, log_path.read_text)
        text = log_path.read_text()
        line = next(
            x for x in text.splitlines() if x.startswith("chalicelike local: sqs garbage ->")
        )
        assert said in line, text
        assert "Traceback" not in text, text
        counters = delivered()
        assert counters["sqs garbage"]["retried"] == 1, counters
        assert counters["sqs garbage"]["succeeded"] == 0, counters
        assert queue_counts(sqs, url) == (0, 1)  # in flight until its visibility timeout


def test_an_endpoint_cut_off_is_said_once_and_delivery_resumes_when_it_is_back(
    project: Path,
) -> None:
    with external_moto() as (_, moto_url):
        outage = Outage(int(moto_url.rsplit(":", 1)[1]))
        outage.up()
        endpoint = f"http://127.0.0.1:{outage.port}"
        sqs = client(f"http://127.0.0.1:{outage.target_port}", "sqs")
        try:
            with served(project, endpoint) as (_, log_path):
                url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
                outage.down()  # at once: "live" came once the pollers were polling
                time.sleep(5)
                first = sqs.send_message(QueueUrl=url, MessageBody="during")["MessageId"]
                outage.up()
                second = sqs.send_message(QueueUrl=url, MessageBody="after")["MessageId"]
                until(
                    lambda: {first, second} <= {n["id"] for n in notes(project, "jobs")},
                    20,
                    log_path.read_text,
                )
                text = log_path.read_text()
                assert text.count("cannot receive") == 1, text
                assert "receiving again" in text, text
                assert "Traceback" not in text, text
        finally:
            outage.down()


SLOW = """

@app.on_sqs_message(queue="slow", batch_size=1)
def slow(event):
    note("slow_started", id=event.to_dict()["Records"][0]["messageId"])
    time.sleep(6)
    note("slow", id=event.to_dict()["Records"][0]["messageId"])
"""


def test_ctrl_c_during_a_long_invocation_hands_its_message_straight_back(project: Path) -> None:
    (project / "app.py").write_text(APP + SLOW)
    config = {"app_name": "chaos", "lambda_functions": {"slow": {"lambda_timeout": 20}}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    with external_moto() as (_, endpoint):
        sqs = client(endpoint, "sqs")
        url = sqs.create_queue(QueueName="slow")["QueueUrl"]  # visibility timeout 30 s
        sent = sqs.send_message(QueueUrl=url, MessageBody="long")["MessageId"]
        with served(project, endpoint) as (_, log_path):
            until(lambda: notes(project, "slow_started"), 15, log_path.read_text)
        text = log_path.read_text()
        assert "Traceback" not in text, text
        finished = {n["id"] for n in notes(project, "slow")}
        # Either it ran to its end and was deleted, or it is back in the queue at once:
        # not hidden for the rest of its visibility timeout by a server that is gone.
        assert queue_counts(sqs, url) == ((0, 0) if sent in finished else (1, 0)), text
        if sent not in finished:
            assert "1 record, returned (stopped while the function ran" in text, text


def test_an_endpoint_that_starts_after_the_server_gets_its_resources_and_deliveries(
    project: Path,
) -> None:
    (project / "app.py").write_text(APP + SNS_APP)
    (project / ".chalice" / "config.json").write_text(json.dumps({"app_name": "chaos"}))
    with external_moto() as (_, moto_url):
        outage = Outage(int(moto_url.rsplit(":", 1)[1]))  # not up: the endpoint is not there
        env = {"OUT_DIR": str(project.parent / "out")}
        endpoint = f"http://127.0.0.1:{outage.port}"
        try:
            with local_server(project, "--aws-endpoint", endpoint, env=env) as (_, log_path, _):
                until(lambda: "could not create queue" in log_path.read_text(), 20)
                time.sleep(3)
                outage.up()
                sqs, sns = client(moto_url, "sqs"), client(moto_url, "sns")
                until(lambda: "created topic news" in log_path.read_text(), 10, log_path.read_text)
                until(lambda: "created queue jobs" in log_path.read_text(), 10, log_path.read_text)
                url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
                sent = sqs.send_message(QueueUrl=url, MessageBody="late")["MessageId"]
                topic = sns.create_topic(Name="news")["TopicArn"]
                until(lambda: "delivering to news" in log_path.read_text(), 10, log_path.read_text)
                sns.publish(TopicArn=topic, Message="late news")
                until(
                    lambda: notes(project, "jobs") and notes(project, "news"),
                    20,
                    log_path.read_text,
                )
                assert notes(project, "jobs") == [{"id": sent}]
                text = log_path.read_text()
                assert text.count("could not create queue") == 1, text
                assert "Traceback" not in text, text
        finally:
            outage.down()


def test_an_endpoint_restarted_empty_gets_the_apps_resources_again(project: Path) -> None:
    (project / "app.py").write_text(APP + SNS_APP + KINESIS_APP)
    (project / ".chalice" / "config.json").write_text(json.dumps({"app_name": "chaos"}))
    with external_moto() as (_, moto_url):
        outage = Outage(int(moto_url.rsplit(":", 1)[1]))
        outage.up()
        try:
            with served(project, f"http://127.0.0.1:{outage.port}") as (_, log_path):
                time.sleep(1)
                outage.down()  # a restart: the connections cut, the state gone
                requests.post(moto_url + "/moto-api/reset", timeout=5).raise_for_status()
                time.sleep(2)
                outage.up()

                def said(line: str, times: int) -> Any:
                    return lambda: log_path.read_text().count(line) >= times

                until(said("created queue jobs", 2), 20, log_path.read_text)
                until(said("delivering to news", 2), 20, log_path.read_text)
                until(said("created stream ticks", 2), 20, log_path.read_text)
                sqs, sns = client(moto_url, "sqs"), client(moto_url, "sns")
                url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
                sent = sqs.send_message(QueueUrl=url, MessageBody="again")["MessageId"]
                topic = sns.create_topic(Name="news")["TopicArn"]
                sns.publish(TopicArn=topic, Message="again")
                until(
                    lambda: notes(project, "jobs") and notes(project, "news"),
                    20,
                    log_path.read_text,
                )
                assert notes(project, "jobs") == [{"id": sent}]
                text = log_path.read_text()
                assert text.count("lost what the app's event sources use") == 1, text
                assert "Traceback" not in text, text
        finally:
            outage.down()


def test_a_stream_gone_with_a_restarted_endpoint_is_made_again_and_read(project: Path) -> None:
    bare = APP.split("@app.on_sqs_message")[0]
    (project / "app.py").write_text(bare + KINESIS_APP)  # no queue to notice the loss first
    (project / ".chalice" / "config.json").write_text(json.dumps({"app_name": "chaos"}))
    with external_moto() as (_, moto_url):
        outage = Outage(int(moto_url.rsplit(":", 1)[1]))
        outage.up()
        try:
            with served(project, f"http://127.0.0.1:{outage.port}") as (_, log_path):
                until(lambda: "found, 1 shard" in log_path.read_text() or
                      "polling for ticks" in log_path.read_text(), 10)  # fmt: skip
                time.sleep(1)
                outage.down()
                requests.post(moto_url + "/moto-api/reset", timeout=5).raise_for_status()
                outage.up()
                until(
                    lambda: log_path.read_text().count("created stream ticks") >= 2,
                    20,
                    log_path.read_text,
                )
                kinesis = client(moto_url, "kinesis")
                until(
                    lambda: (
                        kinesis.describe_stream_summary(StreamName="ticks")[
                            "StreamDescriptionSummary"
                        ]["StreamStatus"]
                        == "ACTIVE"
                    ),
                    10,
                )
                kinesis.put_record(StreamName="ticks", Data=b"again", PartitionKey="p")
                until(lambda: notes(project, "ticks"), 20, log_path.read_text)
                assert "Traceback" not in log_path.read_text()
        finally:
            outage.down()


class _SlowToStop:
    """A source whose stop() takes a while, and hands its work back when cancelled."""

    def __init__(self) -> None:
        self.handed_back = False

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # a ChangeMessageVisibility call
            self.handed_back = True
            raise


@pytest.mark.anyio
async def test_a_reload_cancelled_while_it_stops_sources_still_has_them_hand_back() -> None:
    from chalicelike.local._local_cloud import LocalCloud

    lines: list[str] = []
    cloud = LocalCloud(None, "http://127.0.0.1:9", "us-east-1", lines.append)  # type: ignore[arg-type]
    source = _SlowToStop()
    try:
        stopping = asyncio.ensure_future(cloud._stop([source]))
        await asyncio.sleep(0.1)
        stopping.cancel()  # Ctrl-C during a reload that retires the source
        with contextlib.suppress(asyncio.CancelledError):
            await stopping
        assert source.handed_back
    finally:
        cloud.context.executor.shutdown(wait=True)


def test_a_save_that_changes_a_source_lets_its_running_batch_finish_once(project: Path) -> None:
    app_py = project / "app.py"
    app_py.write_text(APP + SLOW.replace("time.sleep(6)", "time.sleep(4)"))
    config = {"app_name": "chaos", "lambda_functions": {"slow": {"lambda_timeout": 20}}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    with external_moto() as (_, endpoint):
        sqs = client(endpoint, "sqs")
        url = sqs.create_queue(QueueName="slow")["QueueUrl"]
        with served(project, endpoint) as (_, log_path):
            sqs.send_message(QueueUrl=url, MessageBody="long")
            until(lambda: notes(project, "slow_started"), 15, log_path.read_text)
            # A new mapping (its batch size changed) replaces the old one mid-invocation.
            app_py.write_text(app_py.read_text().replace('queue="slow", batch_size=1',
                                                         'queue="slow", batch_size=2'))  # fmt: skip
            until(lambda: notes(project, "slow"), 15, log_path.read_text)
            until(lambda: queue_counts(sqs, url) == (0, 0), 10, log_path.read_text)
            time.sleep(2)
            text = log_path.read_text()
            assert len(notes(project, "slow_started")) == 1, text  # run once, not twice
            assert "Traceback" not in text, text
