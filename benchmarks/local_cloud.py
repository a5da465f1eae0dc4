"""The local cloud's speed: from an AWS call on the endpoint to the handler, in one run.

    python benchmarks/local_cloud.py [--events 50] [--messages 3000] [--starts 5]

1. S3 put_object -> handler start, and SNS publish -> handler start: p50/p90 over N events
   (target: p50 <= 50 ms). The handler writes time.time() as it starts; same machine clock.
2. SQS: after a warm-up of 200, M messages sent by four producer threads to a queue whose
   no-op handler takes batches of 10; messages/s from the first send until the handler
   succeeded on every one (target >= 500/s), and how many were lost or repeated (target 0).
3. Time to the first answered request with the AWS endpoint on, against `--no-aws`:
   median of S starts each; ratio (target <= 1.5x). No anchor serves event sources
   locally (Chalice and SAM CLI have none), so the targets are the issue's.
Exits non-zero when a message is lost or an event never arrives.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import requests

APP = """\
import json, os, time
from chalicelike import Chalice

app = Chalice(app_name="cloudbench")
OUT = os.environ["OUT_DIR"]


def stamp(name, key):
    with open(os.path.join(OUT, name), "a") as out:
        out.write(f"{key} {time.time()}\\n")


@app.route("/ping")
def ping():
    return {"ok": True}


@app.on_s3_event(bucket="bench-bucket")
def on_put(event):
    stamp("s3", event.key)


@app.on_sns_message(topic="bench-topic")
def on_publish(event):
    stamp("sns", event.message)


@app.on_sqs_message(queue="bench-queue", batch_size=10)
def on_message(event):
    pass
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextlib.contextmanager
def server(project: Path, *options: str) -> Iterator[tuple[str, float, Path]]:
    """The CLI server; yields its URL, the seconds to its first answer, and its log."""
    port = free_port()
    log_path = project.parent / f"server-{port}.log"
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project), "local"]
    env = {**os.environ, "OUT_DIR": str(project.parent / "out")}
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--no-autoreload", *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited:\n{log_path.read_text()}")
            try:
                if requests.get(url + "/ping", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.005)
        yield url, time.perf_counter() - started, log_path
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_live(log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while "event sources live" not in log_path.read_text():
        if time.monotonic() > deadline:
            raise SystemExit(f"sources never went live:\n{log_path.read_text()}")
        time.sleep(0.05)


def stamps(out: Path, name: str) -> dict[str, float]:
    path = out / name
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        key, _, seconds = line.rpartition(" ")
        found.setdefault(key, float(seconds))
    return found


def latencies(out: Path, name: str, sent: dict[str, float]) -> list[float]:
    deadline = time.monotonic() + 30
    while len(got := stamps(out, name)) < len(sent):
        if time.monotonic() > deadline:
            raise SystemExit(f"{name}: {len(sent) - len(got)} events never arrived")
        time.sleep(0.05)
    return [(got[key] - sent[key]) * 1000 for key in sent]


def push_latency(endpoint: str, out: Path, events: int) -> tuple[list[float], list[float]]:
    s3, sns = client("s3", endpoint), client("sns", endpoint)
    topic = sns.create_topic(Name="bench-topic")["TopicArn"]
    s3_sent, sns_sent = {}, {}
    for n in range(events):
        key = f"object-{n}"
        s3_sent[key] = time.time()
        s3.put_object(Bucket="bench-bucket", Key=key, Body=b"x")
        time.sleep(0.02)  # one at a time: latency, not a burst's queueing
    for n in range(events):
        message = f"message-{n}"
        sns_sent[message] = time.time()
        sns.publish(TopicArn=topic, Message=message)
        time.sleep(0.02)
    return latencies(out, "s3", s3_sent), latencies(out, "sns", sns_sent)


def delivered(url: str) -> int:
    counters = requests.get(url + "/_chalicelike/deliveries", timeout=5).json()
    done: int = counters.get("sqs bench-queue", {}).get("succeeded", 0)
    return done


def send(endpoint: str, queue: str, first: int, last: int, producers: int = 4) -> None:
    """Messages first..last-1, in batches of 10, from `producers` threads at once."""

    def produce(numbers: range) -> None:
        producer = client("sqs", endpoint)
        for start in range(numbers.start, numbers.stop, 10):
            batch = range(start, min(start + 10, numbers.stop))
            entries = [{"Id": str(n), "MessageBody": str(n)} for n in batch]
            producer.send_message_batch(QueueUrl=queue, Entries=entries)

    share = -(-(last - first) // producers // 10) * 10
    threads = [
        threading.Thread(target=produce, args=(range(start, min(start + share, last)),))
        for start in range(first, last, share)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def sqs_throughput(url: str, endpoint: str, messages: int) -> tuple[float, int]:
    """Sustained: after a warm-up (the pollers' workers started), from the first send of
    `messages` until the handler has succeeded on all of them."""
    sqs = client("sqs", endpoint)
    queue = sqs.get_queue_url(QueueName="bench-queue")["QueueUrl"]
    warm_up = 200
    send(endpoint, queue, 0, warm_up)
    deadline = time.monotonic() + 60
    while delivered(url) < warm_up and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.perf_counter()
    producer = threading.Thread(target=send, args=(endpoint, queue, warm_up, warm_up + messages))
    producer.start()
    deadline = time.monotonic() + 120
    while (done := delivered(url) - warm_up) < messages and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    producer.join()
    time.sleep(0.5)  # a late duplicate would show here
    done = delivered(url) - warm_up
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    left = int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
    return min(done, messages) / elapsed, abs(messages - done) + left


def first_request(project: Path, starts: int) -> tuple[float, float]:
    on, off = [], []
    for _ in range(starts):  # interleaved: the same machine state for both
        with server(project, "--aws-port", str(free_port())) as (_, seconds, _log):
            on.append(seconds)
        with server(project, "--no-aws") as (_, seconds, _log):
            off.append(seconds)
    return statistics.median(on), statistics.median(off)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        project = Path(temp) / "project"
        project.mkdir()
        (project / "app.py").write_text(APP)
        out = Path(temp) / "out"
        out.mkdir()
        aws_port = free_port()
        endpoint = f"http://127.0.0.1:{aws_port}"
        with server(project, "--aws-port", str(aws_port)) as (url, _, log_path):
            wait_live(log_path)
            s3_ms, sns_ms = push_latency(endpoint, out, args.events)
            rate, lost = sqs_throughput(url, endpoint, args.messages)
        on, off = first_request(project, args.starts)
    print(f"S3 put -> handler start:    p50 {percentile(s3_ms, 0.5):6.1f} ms  p90 "
          f"{percentile(s3_ms, 0.9):6.1f} ms  (target p50 <= 50 ms)")  # fmt: skip
    print(f"SNS publish -> handler:     p50 {percentile(sns_ms, 0.5):6.1f} ms  p90 "
          f"{percentile(sns_ms, 0.9):6.1f} ms  (target p50 <= 50 ms)")  # fmt: skip
    print(f"SQS, batch 10, no-op:       {rate:6.0f} messages/s, {lost} lost or repeated of "
          f"{args.messages}  (target >= 500/s, 0 lost)")  # fmt: skip
    print(f"first request, endpoint on: {on * 1000:6.0f} ms vs --no-aws {off * 1000:6.0f} ms"
          f" -> {on / off:.2f}x  (target <= 1.5x)")  # fmt: skip
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
