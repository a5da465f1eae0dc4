"""The local cloud seen by an attacker: a hostile page in the developer's browser, DNS
rebinding, a request that writes into the developer's console. Each test is one attack,
sent as a browser (or a local process) would send it, against the real listeners."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import urllib.request
from collections.abc import Iterator, MutableMapping
from typing import Any

import boto3.session
import pytest

from chalicelike._tooling._manifest import AppManifest, FunctionEntry
from chalicelike.local._aws_endpoint import AwsEndpoint, use_aws_endpoint
from chalicelike.local._connections import ConnectionRegistry, ManagementApi
from chalicelike.local._host_guard import HostGuard
from chalicelike.local._invocation import FunctionSpec, InvocationResult, InvocationStatus
from chalicelike.local._websocket_gateway import MESSAGES_READ_AHEAD, LocalWebsocketApi

# What a terminal acts on: a new line (a forged log line), ESC (colours, the cursor, OSC 52
# writes the clipboard), BEL, a right-to-left override.
_CONTROLS = ("\n", "\r", "\x1b", "\x07", "\u202e")
_HOSTILE = "/%0a%1b]52;c;ZWNobyBwd25lZA==%07%1b[2J%e2%80%ae"


def _clean(lines: list[str]) -> bool:
    return bool(lines) and not any(char in line for line in lines for char in _CONTROLS)


# -- log injection: a page chooses the path, the log must not act on it -----------------


class _NoApp:
    async def current(self) -> Any:
        raise AssertionError("a refused upgrade reads no app")


def _scope(kind: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    from urllib.parse import unquote

    raw = path.encode()
    return {
        "type": kind,
        "method": "POST",
        "path": unquote(path),  # as uvicorn decodes it
        "raw_path": raw,
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "extensions": {"websocket.http.response": {}},
    }


async def _call(app: Any, scope: dict[str, Any], first: dict[str, Any]) -> list[Any]:
    sent: list[Any] = []
    messages = [first]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 5)
    return sent


def test_a_pages_websocket_path_writes_no_control_characters_into_the_log() -> None:
    lines: list[str] = []
    no_lambda: Any = None  # a refused upgrade invokes nothing
    api = LocalWebsocketApi(
        _NoApp(), no_lambda, api_stage="api", log=lines.append, guard=HostGuard()
    )
    headers = [(b"host", b"localhost:8000"), (b"origin", b"https://attacker.example")]
    sent = asyncio.run(
        _call(api, _scope("websocket", _HOSTILE, headers), {"type": "websocket.connect"})
    )
    assert sent[0]["status"] == 403
    assert _clean(lines), lines
    assert "\\x1b]52;c;" in lines[0]  # still said, escaped


def test_a_pages_management_call_writes_no_control_characters_into_the_log() -> None:
    lines: list[str] = []
    api = ManagementApi(ConnectionRegistry(), api_stage="api", guard=HostGuard(), log=lines.append)
    headers = [(b"host", b"localhost:8000"), (b"sec-fetch-site", b"cross-site")]
    scope = _scope("http", f"/@connections{_HOSTILE}", headers)
    assert api.handles(scope)
    sent = asyncio.run(_call(api, scope, {"type": "http.request", "body": b""}))
    assert sent[0]["status"] == 403
    assert _clean(lines), lines


# -- DNS rebinding with `--host 0.0.0.0`: the page's own origin, a public name -------------


def _rebound(name: str) -> list[tuple[bytes, bytes]]:
    """Headers of a rebinding page's fetch: to the browser it is a same-origin request."""
    return [
        (b"host", f"{name}:8000".encode()),
        (b"origin", f"http://{name}:8000".encode()),
        (b"sec-fetch-site", b"same-origin"),
    ]


@pytest.mark.parametrize("bound", ["0.0.0.0", "::", ""])
def test_a_rebound_public_name_is_refused_when_bound_to_every_interface(bound: str) -> None:
    guard = HostGuard([bound])
    refusal = guard.refusal({"headers": _rebound("attacker.example")})
    assert refusal is not None and "public name" in refusal
    assert guard.refusal({"headers": _rebound("localhost.attacker.example")}) is not None
    # What the developer's other devices use: an address, or a name only the LAN resolves.
    for own in ("192.168.1.20", "[fe80::1]", "laptop", "laptop.lan", "laptop.local",
                "devbox.home.arpa", "devbox.internal"):  # fmt: skip
        assert guard.refusal({"headers": _rebound(own)}) is None, own
    # A public name the developer serves under is one to name with --host.
    assert (
        HostGuard(["devbox.example.com"]).refusal({"headers": _rebound("devbox.example.com")})
        is None
    )


def test_a_rebinding_page_cannot_drive_the_management_api_of_a_server_on_every_interface() -> None:
    lines: list[str] = []
    registry = ConnectionRegistry()
    api = ManagementApi(registry, api_stage="api", guard=HostGuard(["0.0.0.0"]), log=lines.append)
    scope = _scope("http", "/@connections/abc=", _rebound("attacker.example"))
    sent = asyncio.run(_call(api, scope, {"type": "http.request", "body": b"hi"}))
    assert sent[0]["status"] == 403
    assert "public name" in lines[0]


# -- the AWS endpoint: what a page may load from it, and what it can never do -------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[AwsEndpoint]:
    aws = AwsEndpoint(0)
    aws.start()
    try:
        assert aws.wait_ready(), aws.error
        yield aws
    finally:
        # moto keeps one state per process: leave none to the next test's endpoint.
        reset = urllib.request.Request(f"{aws.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset).close()
        aws.stop()


def _client(service: str, endpoint: AwsEndpoint) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client(service, endpoint_url=endpoint.url)


def _send(
    endpoint: AwsEndpoint, method: str, target: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """A raw request, as a browser sends it (its headers, no signature)."""
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{endpoint.port}")
        for name, value in headers.items():
            connection.putheader(name, value)
        if body or method == "POST":
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def page(endpoint: AwsEndpoint) -> Iterator[str]:
    """A presigned GET of an HTML object an app stored (a user's upload, say)."""
    s3 = _client("s3", endpoint)
    s3.create_bucket(Bucket="uploads")
    script = b"<script>fetch('/moto-api/data.json').then(r => r.text()).then(steal)</script>"
    s3.put_object(Bucket="uploads", Key="report.html", Body=script, ContentType="text/html")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "uploads", "Key": "report.html"}
    )
    yield url.split(str(endpoint.port), 1)[1]
    s3.delete_object(Bucket="uploads", Key="report.html")
    s3.delete_bucket(Bucket="uploads")


def _own_address() -> str | None:
    """This machine's address on its network (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the interface
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_the_endpoint_is_on_loopback_only(endpoint: AwsEndpoint) -> None:
    # `--host 0.0.0.0` puts the app's server on the network; the endpoint stays on
    # 127.0.0.1 (its workers reach it there), so no other machine drives moto.
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, endpoint.port), timeout=5).close()
    socket.create_connection(("127.0.0.1", endpoint.port), timeout=5).close()


@pytest.mark.slow
def test_an_html_object_opened_in_the_browser_is_a_sandboxed_page(
    endpoint: AwsEndpoint, page: str
) -> None:
    # The developer opens a presigned link: the object is the endpoint's own origin, whose
    # scripts moto lets call every service. Sandboxed, it runs no script and has no origin.
    status, headers, body = _send(endpoint, "GET", page, {"Sec-Fetch-Site": "none"})
    assert status == 200 and body.startswith(b"<script>")
    assert headers.get("Content-Security-Policy") == "sandbox"
    # ... and what such a page would send is refused.
    status, _, _ = _send(endpoint, "GET", "/moto-api/data.json", {"Origin": "null"})
    assert status == 403


@pytest.mark.slow
def test_moto_s_dashboard_is_not_sandboxed_and_no_page_reaches_it(endpoint: AwsEndpoint) -> None:
    status, headers, _ = _send(endpoint, "GET", "/moto-api/", {"Sec-Fetch-Site": "none"})
    assert status == 200 and "Content-Security-Policy" not in headers
    for site in ("same-site", "cross-site"):
        for method, path in (("GET", "/moto-api/data.json"), ("POST", "/moto-api/reset")):
            status, _, _ = _send(endpoint, method, path, {"Sec-Fetch-Site": site})
            assert status == 403, (site, method, path)


@pytest.mark.slow
def test_the_apps_own_page_may_load_a_presigned_url_but_not_read_or_post(
    endpoint: AwsEndpoint, page: str
) -> None:
    # <img src=presigned> or a link on the app's page at 127.0.0.1:8000: same-site, no Origin.
    for method in ("GET", "HEAD"):
        status, _, _ = _send(endpoint, method, page, {"Sec-Fetch-Site": "same-site"})
        assert status == 200, method
    # fetch() would read it (moto allows every origin): its Origin is judged, and refused.
    own_port = {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8000"}
    assert _send(endpoint, "GET", page, own_port)[0] == 403
    # Another site's page loads nothing, not even an image.
    assert _send(endpoint, "GET", page, {"Sec-Fetch-Site": "cross-site"})[0] == 403


@pytest.mark.slow
def test_a_pages_form_cannot_upload_an_object_that_would_run_a_handler(
    endpoint: AwsEndpoint,
) -> None:
    # A multipart form is a simple request (no preflight) that moto serves unsigned as S3's
    # POST Object: the S3 tap would publish it and the app's handler run on the attacker's
    # key and body. (SQS's and SNS's query forms reach S3 too: moto routes an unsigned
    # request by its Authorization header, which no form can send.)
    s3 = _client("s3", endpoint)
    s3.create_bucket(Bucket="inbox")
    boundary = "----form"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nplanted.txt\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\npwned\r\n--{boundary}--\r\n"
    ).encode()
    browsers = [
        {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},  # a sandboxed frame, a data: URL, a cross-site redirect
        {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-site"},
    ]
    try:
        for headers in browsers:
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            status, _, _ = _send(endpoint, "POST", "/inbox", headers, form)
            assert status == 403, headers
            assert "Contents" not in s3.list_objects_v2(Bucket="inbox")
        # The same form from a local process (no browser's headers) is served: the attack
        # is real, only the guard stands in its way.
        local = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        assert _send(endpoint, "POST", "/inbox", local, form)[0] in (200, 204)
        assert s3.get_object(Bucket="inbox", Key="planted.txt")["Body"].read() == b"pwned"
    finally:
        s3.delete_object(Bucket="inbox", Key="planted.txt")
        s3.delete_bucket(Bucket="inbox")


# -- the developer's own settings must not send the app's calls elsewhere -----------------


@pytest.mark.parametrize(
    "setting",
    [
        {"AWS_ENDPOINT_URL_SQS": "https://sqs.us-east-1.amazonaws.com"},
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        {"AWS_PROFILE": "production", "AWS_SESSION_TOKEN": "real-token"},
    ],
)
def test_every_client_of_the_app_goes_to_the_endpoint(
    monkeypatch: pytest.MonkeyPatch, setting: dict[str, str]
) -> None:
    endpoint = "http://127.0.0.1:4566"
    names = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"]
    names += [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")]
    for name in [*names, "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"]:
        monkeypatch.delenv(name, raising=False)  # restored after the test
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    use_aws_endpoint(endpoint)
    session = boto3.session.Session()  # as the app's code makes one: from the environment
    assert session.client("sqs").meta.endpoint_url == endpoint
    credentials = session.get_credentials()
    assert credentials is not None and credentials.token is None
    assert (credentials.access_key, credentials.secret_key) == ("testing", "testing")


# -- resource exhaustion: one client, one request ------------------------------------------


class _OneRoute:
    async def current(self) -> AppManifest:
        entry = FunctionEntry(
            "on_message", "app.on_message", "websocket", {"route_key": "$default"}
        )
        return AppManifest("sockets", [entry], [], [])


class _HeldLambda:
    """A $default function that runs only once `release` is set: a slow handler."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.bodies: list[str] = []

    def find(self, name: str) -> FunctionSpec | None:
        return FunctionSpec(name, f"sockets-dev-{name}", f"app.{name}", ".", 3.0)

    async def invoke(self, name: str, payload: bytes, **_: Any) -> InvocationResult:
        await self.release.wait()
        self.bodies.append(json.loads(payload)["body"])
        return InvocationResult("id", InvocationStatus.OK, b"null")


def test_a_client_faster_than_its_handler_is_not_read_ahead_without_bound() -> None:
    sent = 500  # 500 messages of 128 KiB would be 64 MB held by the server
    local_lambda = _HeldLambda()
    api = LocalWebsocketApi(
        _OneRoute(), local_lambda, api_stage="api", log=lambda line: None, guard=HostGuard()
    )
    read = 0
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read == 1:
            return {"type": "websocket.connect"}
        if read <= sent + 1:
            return {"type": "websocket.receive", "text": str(read - 1)}
        await gone.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    async def scenario() -> int:
        scope = _scope("websocket", "/", [(b"host", b"localhost:8000")])
        connection = asyncio.ensure_future(api(scope, receive, send))
        await asyncio.sleep(0.2)
        read_while_held = read
        local_lambda.release.set()
        for _ in range(500):
            if len(local_lambda.bodies) == sent:
                break
            await asyncio.sleep(0.01)
        gone.set()
        await asyncio.wait_for(connection, 5)
        return read_while_held

    read_while_held = asyncio.run(scenario())
    assert read_while_held <= MESSAGES_READ_AHEAD + 3, read_while_held
    # Held back, not lost: every message ran, in order.
    assert local_lambda.bodies == [str(n) for n in range(1, sent + 1)]


# -- `--host 0.0.0.0`: a client on the network --------------------------------------------


def test_a_lan_clients_handler_answers_through_the_local_gateway() -> None:
    from chalicelike._events._websockets import WebsocketAPI, WebsocketEvent
    from chalicelike.local._websocket_events import ClientFacts, message_event

    scope = _scope("websocket", "/", [(b"host", b"192.168.1.20:8000")])
    event = message_event(ClientFacts.from_scope(scope, "api"), "hello")
    api = WebsocketAPI(env={"AWS_REGION": "us-east-1"})
    api.configure_from_event(WebsocketEvent(event))
    assert api.endpoint == "http://192.168.1.20:8000/api"
