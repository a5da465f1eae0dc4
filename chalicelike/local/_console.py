"""The dev server's console at /_chalicelike/: a JSON API and the static page that reads it.

`LocalServer` routes every request under /_chalicelike/ (but the deliveries endpoint) here;
none of them reaches the app. This first version answers 404 to everything.
"""

from __future__ import annotations

import json
from typing import Any

from .._core._types import Receive, Scope, Send
from ._asgi_types import send_answer

__all__ = ["ConsoleApi"]


class ConsoleApi:
    """ASGI app serving the console for `server` (a LocalServer)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = json.dumps({"error": f"no console resource at {scope.get('path', '')}"}).encode()
        await send_answer(send, 404, [(b"content-type", b"application/json")], body)
