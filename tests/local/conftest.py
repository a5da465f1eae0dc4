"""Fixtures for the local Lambda's tests: real worker processes, and none left behind.

Every test here is checked afterwards for child processes of the test process still
alive (or unreaped), and for any process descended from it at all, found by a marker in
its environment: a worker, a handler's own child or a describe child that outlives its
owner is a bug, even once it has been orphaned. Async tests run on
asyncio through anyio's pytest plugin; `open_pool` closes every pool it made.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike.local._invocation import FunctionSpec
from chalicelike.local._pool import WorkerPool

RUNTIME_APP = Path(__file__).parent / "apps" / "runtime"

SpecFactory = Callable[..., FunctionSpec]
PoolFactory = Callable[..., WorkerPool]


# Inherited by every process the tests start, and by theirs: how a grandchild orphaned
# to init is still recognised as ours.
_MARKER = "CHALICELIKE_TEST_RUN"
os.environ.setdefault(_MARKER, uuid.uuid4().hex)


def marked_processes() -> list[tuple[int, str]]:
    """(pid, command line) of every live process but this one carrying our marker."""
    needle = f"{_MARKER}={os.environ[_MARKER]}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if needle not in environ.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # another user's, or gone (a zombie has an empty environ)
        found.append((int(entry), command))
    return found


def child_processes(parent: int) -> list[tuple[int, str, str]]:
    """(pid, state, command) of every process whose parent is `parent`, zombies included."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                text = stat.read().decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        command, _, rest = text.rpartition(")")
        fields = rest.split()
        if int(fields[1]) == parent:
            children.append((int(entry), fields[0], command.partition("(")[2]))
    return children


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Fail a test that leaves a child process behind, running or unreaped, or any
    descendant at all (a handler's `sleep` orphaned when its worker died)."""
    yield
    deadline = time.monotonic() + 2.0  # a process some thread is still reaping

    def leaks() -> list[object]:
        return [*child_processes(os.getpid()), *marked_processes()]

    while (leaked := leaks()) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid, _ in marked_processes():
        os.kill(pid, signal.SIGKILL)  # so that the next tests start clean
    assert not leaked, f"processes left behind: {leaked}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def spec() -> SpecFactory:
    """`spec("echo", timeout=1)`: a function of tests/local/apps/runtime/app.py."""

    def make(name: str, handler: str | None = None, **options: Any) -> FunctionSpec:
        options.setdefault("project_dir", str(RUNTIME_APP))
        return FunctionSpec(
            name=name,
            resource_name=f"runtime-dev-{name}",
            handler=handler or f"app.{name}",
            **options,
        )

    return make


@pytest.fixture
async def open_pool() -> AsyncIterator[PoolFactory]:
    """`open_pool(spec(...), ...)`: a WorkerPool closed when the test ends."""
    pools: list[WorkerPool] = []

    def make(*specs: FunctionSpec, **options: Any) -> WorkerPool:
        pool = WorkerPool(specs, **options)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        await pool.close()


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """A moto server on a free port for the module's tests, patched as the endpoint
    `chalicelike local` serves is."""
    from tests.local.push_support import moto_server

    with moto_server() as url:
        yield url
