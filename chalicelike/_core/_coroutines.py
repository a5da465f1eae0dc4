"""Running an async view from synchronous code (Lambda, the test client, middleware).

Each thread keeps one event loop for its lifetime, as a warm Lambda process would:
clients an async view caches (aiohttp sessions, aioboto3) stay bound to a live loop
across invocations. asyncio is imported only when an async view first runs.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["run_coroutine"]

_local = threading.local()


class _ThreadLoop:
    """One thread's event loop, closed when the thread ends and its locals are freed.

    Without this, every worker thread that ran an async view would leave an open
    loop (and its self-pipe sockets) behind for the garbage collector.
    """

    __slots__ = ("loop",)

    def __init__(self, loop: Any) -> None:
        self.loop = loop

    def __del__(self) -> None:
        if not self.loop.is_running():
            self.loop.close()


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run `coro` to completion on this thread's own event loop and return its result."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        holder: _ThreadLoop | None = getattr(_local, "holder", None)
        if holder is None or holder.loop.is_closed():
            holder = _local.holder = _ThreadLoop(asyncio.new_event_loop())
        return holder.loop.run_until_complete(coro)
    # Called from inside a running loop (an async test, say): that loop is busy with
    # us, so finish the coroutine on a short-lived thread of its own.
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(run_coroutine(coro))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, name="chalicelike-async-view")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]
