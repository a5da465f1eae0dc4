"""The local cloud seen by an attacker: a hostile page in the developer's browser, DNS
rebinding, a request that writes into the developer's console. Each test is one attack,
sent as a browser (or a local process) would send it, against the real listeners."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

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
