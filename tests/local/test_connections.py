"""The management API (`@connections`): boto3's apigatewaymanagementapi client against it,
served by uvicorn, with recording stand-ins for the open connections."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3.session
import pytest
import requests
from botocore.exceptions import ClientError

from chalicelike._core._types import Receive, Scope, Send
from chalicelike.local._connections import (
    MAX_MESSAGE_BYTES,
    ConnectionRegistry,
    ManagementApi,
    iso_time,
)
from chalicelike.local._host_guard import HostGuard
from tests.servers import serve

CONNECTION_ID = "WyHPAfymhc/CE+w="  # base64 may hold '/' and '+'; ids end in '='
CONNECTED_AT = 1_714_564_800_123  # 2024-05-01T12:00:00.123Z


class RecordingClient:
    """A stand-in for one open connection: records what the API sends it."""

    def __init__(self, connection_id: str = CONNECTION_ID) -> None:
        self.connection_id = connection_id
        self.connected_at = CONNECTED_AT
        self.last_active_at = CONNECTED_AT + 5_000
        self.source_ip = "127.0.0.1"
        self.user_agent: str | None = "Mozilla/5.0"
        self.sent: list[str | bytes] = []
        self.closes: list[tuple[int, str]] = []
        self.gone = False

    async def deliver(self, data: str | bytes) -> bool:
        if self.gone:
            return False
        self.sent.append(data)
        return True

    async def close(self, code: int, reason: str) -> bool:
        if self.gone:
            return False
        self.gone = True
        self.closes.append((code, reason))
        return True


class Harness:
    def __init__(self) -> None:
        self.registry = ConnectionRegistry()
        self.lines: list[str] = []
        self.api = ManagementApi(
            self.registry, api_stage="api", guard=HostGuard(["127.0.0.1"]), log=self.lines.append
        )
        self.client = RecordingClient()
        self.registry.add(self.client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            from chalicelike.local._asgi_types import run_lifespan

            await run_lifespan(receive, send)
        elif self.api.handles(scope):
            await self.api(scope, receive, send)
        else:
            await send({"type": "http.response.start", "status": 418, "headers": []})
            await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def harness() -> Iterator[tuple[Harness, str]]:
    served = Harness()
    with serve(served) as base_url:
        yield served, base_url


def management_client(endpoint: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client("apigatewaymanagementapi", endpoint_url=endpoint)


def error_code(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("stage_path", ["/api", ""])
def test_post_sends_text_and_binary(harness: tuple[Harness, str], stage_path: str) -> None:
    served, base_url = harness
    client = management_client(base_url + stage_path)
    client.post_to_connection(ConnectionId=CONNECTION_ID, Data="héllo ☃".encode())
    client.post_to_connection(ConnectionId=CONNECTION_ID, Data=b"\x00\xff")
    client.close()
    # UTF-8 goes as a text frame; bytes that are no text as a binary one.
    assert served.client.sent == ["héllo ☃", b"\x00\xff"]


def test_get_answers_in_the_service_shape(harness: tuple[Harness, str]) -> None:
    _, base_url = harness
    client = management_client(base_url + "/api")
    info = client.get_connection(ConnectionId=CONNECTION_ID)
    client.close()
    utc = datetime.timezone.utc
    assert info["ConnectedAt"] == datetime.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=utc)
    assert info["LastActiveAt"] == datetime.datetime(2024, 5, 1, 12, 0, 5, 123000, tzinfo=utc)
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "Mozilla/5.0"}


def test_delete_closes_then_the_connection_is_gone(harness: tuple[Harness, str]) -> None:
    served, base_url = harness
    client = management_client(base_url + "/api")
    answer = client.delete_connection(ConnectionId=CONNECTION_ID)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert served.client.closes == [(1000, "")]
    with pytest.raises(ClientError) as gone:
        client.delete_connection(ConnectionId=CONNECTION_ID)  # already closing
    client.close()
    assert error_code(gone.value) == ("GoneException", 410)


@pytest.mark.parametrize("operation", ["post_to_connection", "get_connection", "delete_connection"])
def test_an_unknown_connection_is_gone(harness: tuple[Harness, str], operation: str) -> None:
    _, base_url = harness
    client = management_client(base_url + "/api")
    params: dict[str, Any] = {"ConnectionId": "AAAAAAAAAAAAAAA="}
    if operation == "post_to_connection":
        params["Data"] = b"x"
    with pytest.raises(ClientError) as gone:
        getattr(client, operation)(**params)
    client.close()
    assert error_code(gone.value) == ("GoneException", 410)
    assert isinstance(gone.value, client.exceptions.GoneException)


def test_a_send_to_a_client_that_just_left_is_gone(harness: tuple[Harness, str]) -> None:
    served, base_url = harness
    served.client.gone = True  # left; its reader has not noticed yet
    client = management_client(base_url + "/api")
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=CONNECTION_ID, Data=b"late")
    client.close()


def test_a_message_above_128_kib_is_refused(harness: tuple[Harness, str]) -> None:
    served, base_url = harness
    answer = requests.post(
        f"{base_url}/api/@connections/{CONNECTION_ID.replace('/', '%2F')}",
        data=b"x" * (MAX_MESSAGE_BYTES + 1),
        timeout=10,
    )
    assert answer.status_code == 413
    assert answer.headers["x-amzn-ErrorType"] == "PayloadTooLargeException"
    assert served.client.sent == []


def test_another_stage_is_forbidden(harness: tuple[Harness, str]) -> None:
    served, base_url = harness
    client = management_client(base_url + "/prod")
    with pytest.raises(ClientError) as refused:
        client.post_to_connection(ConnectionId=CONNECTION_ID, Data=b"x")
    client.close()
    assert error_code(refused.value) == ("ForbiddenException", 403)
    assert any("the websocket API's stage is 'api'" in line for line in served.lines)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Host": "evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_no_browser_page_may_call_it(harness: tuple[Harness, str], headers: dict[str, str]) -> None:
    served, base_url = harness
    answer = requests.post(
        f"{base_url}/api/@connections/{CONNECTION_ID.replace('/', '%2F')}",
        data=b"x",
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 403
    assert answer.json() == {"message": "Forbidden"}
    assert served.client.sent == []


def test_handles_only_management_paths() -> None:
    def scope(path: str, kind: str = "http") -> Scope:
        return {"type": kind, "path": path, "raw_path": path.encode()}

    assert ManagementApi.handles(scope("/api/@connections/abc%3D"))
    assert ManagementApi.handles(scope("/@connections/abc%3D"))
    assert not ManagementApi.handles(scope("/api/@connections"))
    assert not ManagementApi.handles(scope("/orders/@connections/x/y"))
    assert not ManagementApi.handles(scope("/api/@connections/abc", "websocket"))


def test_iso_time() -> None:
    assert iso_time(CONNECTED_AT) == "2024-05-01T12:00:00.123Z"
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"
