"""Running async views from synchronous callers: one loop per thread, usable inside a loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from chalicelike._core._coroutines import run_coroutine


async def current_loop() -> asyncio.AbstractEventLoop:
    await asyncio.sleep(0)
    return asyncio.get_running_loop()


def test_returns_the_result_and_keeps_one_loop_per_thread() -> None:
    first = run_coroutine(current_loop())
    second = run_coroutine(current_loop())
    assert first is second  # a warm process keeps its loop, as a Lambda container would
    assert not first.is_closed()


def test_threads_get_their_own_loops() -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    thread = threading.Thread(target=lambda: loops.append(run_coroutine(current_loop())))
    thread.start()
    thread.join()
    assert loops[0] is not run_coroutine(current_loop())


def test_exceptions_propagate() -> None:
    async def fail() -> None:
        await asyncio.sleep(0)
        raise KeyError("gone")

    with pytest.raises(KeyError, match="gone"):
        run_coroutine(fail())


def test_works_when_called_inside_a_running_loop() -> None:
    async def outer() -> int:
        async def inner() -> int:
            await asyncio.sleep(0.01)
            return 7

        return int(run_coroutine(inner()))  # e.g. the test client used from an async test

    assert asyncio.run(outer()) == 7
