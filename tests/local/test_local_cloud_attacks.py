"""The local cloud seen by an attacker: a hostile page in the developer's browser, DNS
rebinding, a request that writes into the developer's console. Each test is one attack,
sent as a browser (or a local process) would send it, against the real listeners."""

from __future__ import annotations

import asyncio
from typing import Any

from chalicelike.local._connections import ConnectionRegistry, ManagementApi
from chalicelike.local._host_guard import HostGuard
from chalicelike.local._websocket_gateway import LocalWebsocketApi

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
