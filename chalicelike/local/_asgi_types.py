"""What the dev server's ASGI apps (server, gateway, invoke API) share: the lifespan loop
each runs, with what to do at startup and shutdown, and sending a whole answer (the ASGI
types are `_core._types`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .._core._types import Receive, Send

__all__ = ["run_lifespan", "send_answer"]


async def run_lifespan(
    receive: Receive,
    send: Send,
    startup: Callable[[], Awaitable[None]] | None = None,
    shutdown: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Answer an ASGI lifespan scope, running `startup` / `shutdown` when asked."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if startup is not None:
                await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if shutdown is not None:
                await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def send_answer(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    """An answer whose body is known: `headers`, then its Content-Length, in two sends."""
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
