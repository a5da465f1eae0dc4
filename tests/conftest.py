"""Shared fixtures: a real uvicorn server on 127.0.0.1, and one HTTP fixture for both front doors.

`serve(app)` starts uvicorn in a thread on a free port and stops it afterwards.
The `http` fixture is parametrised: each test using it runs once through the
in-process test client and once over real HTTP to uvicorn, and must pass both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from chalicelike import Chalice
from chalicelike.test import Client
from tests.servers import serve


@dataclass
class Answer:
    """An HTTP answer, whichever front door produced it."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    header_list: list[tuple[str, str]]

    @property
    def json_body(self) -> Any:
        import json

        return json.loads(self.body)


Requester = Callable[..., Answer]


def _via_client(app: Chalice) -> Iterator[Requester]:
    with Client(app) as client:

        def request(
            method: str,
            path: str,
            headers: Mapping[str, str] | None = None,
            body: bytes | str = b"",
        ) -> Answer:
            r = client.http.request(method, path, headers=headers, body=body)
            return Answer(r.status_code, r.headers, r.body, r.header_list)

        yield request


def _via_server(app: Chalice) -> Iterator[Requester]:
    with serve(app) as base_url, requests.Session() as session:

        def request(
            method: str,
            path: str,
            headers: Mapping[str, str] | None = None,
            body: bytes | str = b"",
        ) -> Answer:
            r = session.request(method, base_url + path, headers=dict(headers or {}), data=body)
            raw = r.raw._original_response.msg  # keeps repeated header lines apart
            header_list = list(raw.items())
            return Answer(r.status_code, r.headers, r.content, header_list)

        yield request


@pytest.fixture(params=["test_client", "uvicorn"])
def front_door(
    request: pytest.FixtureRequest,
) -> Callable[[Chalice], contextlib.AbstractContextManager[Requester]]:
    """`with front_door(app) as http: http("GET", "/")` through the client or a real server."""
    factory = _via_client if request.param == "test_client" else _via_server
    return contextlib.contextmanager(factory)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """aws_xray_sdk opens a UDP socket for its global recorder at import and never closes
    it: closed here, so the run ends without a ResourceWarning from the SDK's socket."""
    import sys

    core = sys.modules.get("aws_xray_sdk.core")
    emitter = getattr(getattr(core, "xray_recorder", None), "emitter", None)
    sock = getattr(emitter, "_socket", None)
    if sock is not None:
        sock.close()
