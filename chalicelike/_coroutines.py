"""Running an async view from synchronous code (Lambda, the test client, middleware).

Each thread keeps one event loop for its lifetime, as a warm Lambda process would:
clients an async view caches (aiohttp sessions, aioboto3) stay bound to a live loop
across invocations. asyncio is imported only when an async view first runs.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import Any

_local = threading.local()


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run `coro` to completion on this thread's own event loop and return its result."""
    import asyncio

    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop.run_until_complete(coro)
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
