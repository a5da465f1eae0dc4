"""The AWS endpoint `chalicelike local` serves (moto), the environment its workers get and
the resources it creates for the app's event sources: the real CLI server in a
subprocess, boto3 against the real endpoint."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelike._core._errors import ChaliceError
from chalicelike._tooling._manifest import AppManifest, FunctionEntry
from chalicelike.local._aws_endpoint import AwsEndpoint
from chalicelike.local._provision import Resource, resources_named
from tests.local.project_support import write_project
from tests.local.test_server import free_port, local_server, wait_for

APP = """\
import os
import boto3
from chalicelike import Chalice

app = Chalice(app_name="cloudy")

@app.route("/orders/{order_id}")
def order(order_id):
    return {"id": order_id}

@app.on_s3_event(bucket="uploads-bucket")
def uploaded(event):
    pass

@app.on_sqs_message(queue="jobs")
def job(event):
    pass

@app.on_sqs_message(queue="ordered.fifo")
def ordered(event):
    pass

@app.on_sns_message(topic="alerts")
def alert(event):
    pass

@app.on_kinesis_record(stream="clicks")
def click(event):
    pass

@app.on_cw_event({"source": ["shop"]}, bus="shop-bus")
def shop_event(event):
    pass

@app.lambda_function()
def roundtrip(event, context):
    s3 = boto3.client("s3")  # no endpoint_url: the environment says where
    s3.put_object(Bucket="uploads-bucket", Key=event["key"], Body=b"stored")
    return s3.get_object(Bucket="uploads-bucket", Key=event["key"])["Body"].read().decode()

@app.lambda_function()
def environment(event, context):
    names = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"]
    return {name: os.environ.get(name) for name in names}
"""
CLI = [sys.executable, "-m", "chalicelike.cli"]
# The developer's real identity, which must never reach the local endpoint.
REAL_IDENTITY = {
    "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
    "AWS_SECRET_ACCESS_KEY": "real-secret",
    "AWS_SESSION_TOKEN": "real-token",
    "AWS_PROFILE": "work",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, APP, {"app_name": "cloudy"})


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def invoke(base_url: str, name: str, payload: object) -> Any:
    answer = client("lambda", base_url).invoke(
        FunctionName=name, Payload=json.dumps(payload).encode()
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    return json.loads(answer["Payload"].read())


def queue_names(endpoint: str) -> set[str]:
    urls = client("sqs", endpoint).list_queues().get("QueueUrls", [])
    return {url.rsplit("/", 1)[1] for url in urls}


def provisioned(endpoint: str) -> bool:
    buses = client("events", endpoint).list_event_buses()["EventBuses"]
    return "shop-bus" in {bus["Name"] for bus in buses}  # the last one made


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def running_moto() -> Iterator[str]:
    """An endpoint that already runs, as a shared moto server or LocalStack would."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.mark.slow
def test_the_endpoint_serves_the_apps_resources_and_its_handlers_reach_it(
    project: Path,
) -> None:
    aws_port = free_port()
    endpoint = f"http://127.0.0.1:{aws_port}"
    with local_server(project, "--aws-port", str(aws_port), env=REAL_IDENTITY) as (
        base_url,
        log_path,
        _,
    ):
        assert client("s3", endpoint).list_buckets()["Buckets"] is not None
        wait_for(lambda: provisioned(endpoint), 20)
        buckets = {b["Name"] for b in client("s3", endpoint).list_buckets()["Buckets"]}
        assert buckets == {"uploads-bucket"}
        apps = {name for name in queue_names(endpoint) if not name.startswith("chalicelike-")}
        assert apps == {"jobs", "ordered.fifo"}  # and the live sources' internal queues
        fifo_url = client("sqs", endpoint).get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
        attributes = client("sqs", endpoint).get_queue_attributes(
            QueueUrl=fifo_url, AttributeNames=["FifoQueue"]
        )["Attributes"]
        assert attributes["FifoQueue"] == "true"
        topics = client("sns", endpoint).list_topics()["Topics"]
        assert [t["TopicArn"].rsplit(":", 1)[1] for t in topics] == ["alerts"]
        assert client("kinesis", endpoint).list_streams()["StreamNames"] == ["clicks"]

        assert invoke(base_url, "roundtrip", {"key": "a/b.txt"}) == "stored"
        assert (
            client("s3", endpoint).get_object(Bucket="uploads-bucket", Key="a/b.txt")["Body"].read()
            == b"stored"
        )
        assert invoke(base_url, "environment", {}) == {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

        # A save naming a new queue: it is made; what the endpoint held survives.
        (project / "app.py").write_text(
            APP + '\n@app.on_sqs_message(queue="later")\ndef later(event):\n    pass\n'
        )
        wait_for(lambda: "later" in queue_names(endpoint), 20)
        body = client("s3", endpoint).get_object(Bucket="uploads-bucket", Key="a/b.txt")["Body"]
        assert body.read() == b"stored"
    log = log_path.read_text()
    assert f"AWS endpoint on {endpoint}" in log
    assert "created queue ordered.fifo" in log
    assert "created queue later" in log
    assert not listening(aws_port), "the endpoint outlived the server"


@pytest.mark.slow
def test_a_busy_aws_port_is_a_one_line_error_naming_the_options(project: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*CLI, "--project-dir", str(project), "local", "--aws-port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"chalicelike: error: AWS endpoint port {port} is already in use: pass --aws-port"
        " PORT for another, --aws-endpoint URL to use the endpoint that runs there, or"
        " --no-aws\n"
    )


@pytest.mark.slow
def test_no_aws_starts_no_endpoint_and_leaves_the_environment(project: Path) -> None:
    aws_port = free_port()
    with local_server(project, "--no-aws", "--aws-port", str(aws_port), env=REAL_IDENTITY) as (
        base_url,
        log_path,
        _,
    ):
        seen = invoke(base_url, "environment", {})
        assert not listening(aws_port)
    assert seen["AWS_ENDPOINT_URL"] == os.environ.get("AWS_ENDPOINT_URL")
    assert seen["AWS_PROFILE"] == "work"
    assert seen["AWS_ACCESS_KEY_ID"] == "AKIAREALKEY"
    assert "AWS endpoint" not in log_path.read_text()


@pytest.mark.slow
def test_aws_endpoint_provisions_an_endpoint_that_already_runs(
    project: Path, running_moto: str
) -> None:
    with local_server(project, "--aws-endpoint", running_moto) as (base_url, _, _):
        wait_for(lambda: provisioned(running_moto), 20)
        # Beside the app's queues, the live SNS and EventBridge sources' internal ones
        # (chalicelike-...) come and go on their own time; moto's state is the process's.
        assert {"jobs", "ordered.fifo"} <= queue_names(running_moto)
        assert invoke(base_url, "roundtrip", {"key": "k"}) == "stored"
        assert invoke(base_url, "environment", {})["AWS_ENDPOINT_URL"] == running_moto


@pytest.mark.slow
def test_invoke_points_the_function_at_the_endpoint(project: Path, running_moto: str) -> None:
    client("s3", running_moto).create_bucket(Bucket="uploads-bucket")
    result = subprocess.run(
        [
            *CLI,
            "--project-dir",
            str(project),
            "invoke",
            "-n",
            "roundtrip",
            "--event",
            "-",
            "--aws-endpoint",
            running_moto,
        ],
        input='{"key": "from-invoke"}',
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **REAL_IDENTITY},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == "stored"
    stored = client("s3", running_moto).get_object(Bucket="uploads-bucket", Key="from-invoke")
    assert stored["Body"].read() == b"stored"


@pytest.mark.parametrize("command", ["local", "invoke"])
def test_an_aws_endpoint_that_is_no_url_is_a_one_line_error(project: Path, command: str) -> None:
    extra = ["-n", "roundtrip"] if command == "invoke" else []
    result = subprocess.run(
        [*CLI, "--project-dir", str(project), command, *extra, "--aws-endpoint", "localhost:4566"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "chalicelike: error: --aws-endpoint 'localhost:4566' is not an endpoint URL: give one"
        " like http://127.0.0.1:4566\n"
    )


def test_resources_are_named_by_the_event_sources_each_once() -> None:
    def entry(name: str, kind: str, **settings: object) -> FunctionEntry:
        return FunctionEntry(name, f"app.{name}", kind, dict(settings))

    manifest = AppManifest(
        "app",
        [
            entry("a", "sqs", queue=None, queue_arn="arn:aws:sqs:us-east-1:1:from-arn"),
            entry("b", "sqs", queue="from-arn", queue_arn=None),
            entry("c", "sns", topic="arn:aws:sns:us-east-1:1:topic"),
            entry("d", "kinesis", stream="arn:aws:kinesis:us-east-1:1:stream/clicks"),
            entry("e", "cloudwatch", event_pattern={}, bus=None),
            entry("f", "dynamodb", stream_arn="arn:aws:dynamodb:us-east-1:1:table/t/stream/x"),
            entry("g", "schedule", expression="rate(1 minute)"),
        ],
        [],
        [],
    )
    assert resources_named(manifest) == [
        Resource("queue", "from-arn", "a"),
        Resource("topic", "topic", "c"),
        Resource("stream", "clicks", "d"),
        Resource("table", "arn:aws:dynamodb:us-east-1:1:table/t/stream/x", "f"),
    ]


# -- the endpoint itself: listening at once, and the Host/Origin guard --------------------


@pytest.fixture
def endpoint() -> Iterator[AwsEndpoint]:
    aws = AwsEndpoint(0)
    aws.start()
    try:
        assert aws.wait_ready(), aws.error
        yield aws
    finally:
        reset_moto(aws.url)
        aws.stop()


def reset_moto(url: str) -> None:
    """moto keeps one state per process: leave none to the next test's endpoint."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()


def answer(endpoint: AwsEndpoint, headers: dict[str, str], method: str = "GET") -> tuple[int, str]:
    """Status and body of a raw request (a browser's, say) to the endpoint."""
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        connection.putrequest(method, "/", skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.slow
def test_the_endpoint_listens_when_start_returns_and_not_after_stop() -> None:
    aws = AwsEndpoint(0)
    aws.start()
    try:
        assert aws.port != 0
        assert listening(aws.port)  # before moto is even imported: connections wait
        assert aws.wait_ready(), aws.error
        assert client("s3", aws.url).list_buckets()["Buckets"] is not None
    finally:
        aws.stop()
    assert not listening(aws.port)
    assert not [t for t in threading.enumerate() if t.name == "aws-endpoint"]


def test_a_busy_port_is_refused_by_start() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ChaliceError, match=f"AWS endpoint port {port} is already in use"):
            AwsEndpoint(port).start()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Host": "attacker.example:4566"}, "Host 'attacker.example:4566' is not this machine"),
        ({"Origin": "https://attacker.example"}, "Origin 'https://attacker.example' is another"),
        ({"Origin": "null"}, "Origin 'null' is another site's page"),
        ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site 'cross-site'"),
    ],
)
def test_foreign_hosts_origins_and_sites_are_refused(
    endpoint: AwsEndpoint, headers: dict[str, str], why: str
) -> None:
    for method in ("GET", "POST", "OPTIONS"):  # OPTIONS: a CORS preflight is refused too
        status, body = answer(endpoint, headers, method)
        assert status == 403
        assert "<Code>AccessDenied</Code>" in body
        assert why in body


@pytest.mark.slow
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Host": "localhost:4566"},
        {"Host": "uploads.localhost:4566"},  # S3's virtual-hosted bucket
        {"Host": "[::1]:4566"},
        {"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_this_machine_and_its_own_pages_are_served(
    endpoint: AwsEndpoint, headers: dict[str, str]
) -> None:
    headers = {name: value.format(port=endpoint.port) for name, value in headers.items()}
    status, body = answer(endpoint, headers)
    # moto's answer to GET /: S3's ListBuckets, or ListObjects of the virtual-hosted bucket
    # (NoSuchBucket if there is none).
    assert status in (200, 404), body
    assert "chalicelike local refuses" not in body
    assert any(
        tag in body for tag in ("<ListAllMyBucketsResult", "<ListBucketResult", "NoSuchBucket")
    )


def test_an_endpoint_that_cannot_start_says_why_and_stops_listening(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws = AwsEndpoint(0)

    def broken() -> None:
        raise ImportError("No module named 'flask'")

    monkeypatch.setattr(aws, "_make_server", broken)
    aws.start()
    try:
        assert not aws.wait_ready()
        assert repr(aws.error) == "ImportError(\"No module named 'flask'\")"
        assert not listening(aws.port)
    finally:
        aws.stop()


@pytest.mark.slow
def test_moto_lists_its_services_once_not_on_every_request(endpoint: AwsEndpoint) -> None:
    from moto import backends

    listed = backends.list_of_moto_modules()
    assert isinstance(listed, tuple)  # moto's own lists its folders again on each call
    assert {"s3", "sqs", "sns", "events", "kinesis", "dynamodb"} <= set(listed)
    assert backends.list_of_moto_modules() is listed
    sqs = client("sqs", endpoint.url)  # and requests are still routed by it
    assert sqs.create_queue(QueueName="routed")["QueueUrl"].endswith("/routed")
