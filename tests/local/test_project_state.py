"""The served app and its hot reload: new code after a save, errors kept until fixed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from chalicelike._tooling._describe import AppLoadError
from chalicelike.local._invocation import FunctionSpec
from chalicelike.local._project_state import ProjectState, is_relevant_change, watch_project

APP = """\
from chalicelike import Chalice

app = Chalice(app_name="state")


@app.route("/{path}")
def first(path):
    return {}
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def replace_functions(self, specs: Iterable[FunctionSpec]) -> None:
        self.calls.append([spec.name for spec in specs])


def test_reload_reads_new_code_and_survives_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    recorder = Recorder()
    state = ProjectState(tmp_path, "dev", recorder)

    async def scenario() -> None:
        with pytest.raises(AppLoadError, match="not been read"):
            await state.current()
        await state.reload()
        assert [r.path for r in (await state.current()).routes] == ["/{path}"]
        (tmp_path / "app.py").write_text(APP.replace("def first(path):", "def first(path:"))
        state.reload()
        with pytest.raises(AppLoadError, match="line 7"):
            await state.current()  # waits for the reload in flight
        (tmp_path / "app.py").write_text(APP.replace("{path}", "fixed/{path}"))
        state.reload()
        assert [r.path for r in (await state.current()).routes] == ["/fixed/{path}"]

    asyncio.run(scenario())
    assert recorder.calls == [["api_handler"], ["api_handler"]]  # not on the failed read
    assert state.generation == 2


def test_only_files_that_change_the_app_count(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    relevant = ["app.py", "chalicelib/db.py", "chalicelib/sub/x.py", ".chalice/config.json"]
    for path in [*relevant, "vendor/lib/mod.py"]:
        assert is_relevant_change(root, str(root / path)), path
    for path in [
        "README.md",
        ".git/index",
        ".venv/lib/site.py",
        "chalicelib/__pycache__/db.cpython-311.pyc",
        ".chalice/deployed/dev.json",
        "app.py~",
        "tests/test_app.py",
    ]:
        assert not is_relevant_change(root, str(root / path)), path
    assert not is_relevant_change(root, "/elsewhere/app.py")


def test_the_watcher_sees_a_save_fast_and_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "chalicelib").mkdir()
    (tmp_path / ".git").mkdir()
    changes: list[float] = []

    async def scenario() -> float:
        watcher = asyncio.ensure_future(
            watch_project(tmp_path, lambda paths: changes.append(time.monotonic()))
        )
        await asyncio.sleep(0.3)  # the watcher is set up
        (tmp_path / ".git" / "index").write_text("x")
        (tmp_path / "notes.txt").write_text("x")
        await asyncio.sleep(0.3)
        assert changes == []
        saved = time.monotonic()
        (tmp_path / "chalicelib" / "db.py").write_text("X = 1\n")
        for _ in range(100):
            if changes:
                break
            await asyncio.sleep(0.01)
        watcher.cancel()
        return saved

    saved = asyncio.run(scenario())
    assert changes, "the change to chalicelib/db.py was not seen"
    assert changes[0] - saved < 1.0


def test_a_read_superseded_by_a_newer_save_is_waited_through(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    state = ProjectState(tmp_path, "dev")

    async def scenario() -> list[str]:
        state.reload()
        await asyncio.sleep(0.05)  # the first read's child is running
        waiting = asyncio.ensure_future(state.current())
        await asyncio.sleep(0)
        (tmp_path / "app.py").write_text(APP.replace("{path}", "second/{path}"))
        state.reload()  # cancels the first read; `waiting` must not see that
        manifest = await waiting
        return [route.path for route in manifest.routes]

    assert asyncio.run(scenario()) == ["/second/{path}"]
    assert state.generation == 1


def test_a_request_reads_a_save_the_watcher_has_not_reported_and_it_is_read_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.py").write_text(APP)
    state = ProjectState(tmp_path, "dev")

    async def scenario() -> list[str]:
        await state.reload()
        (tmp_path / "app.py").write_text(APP.replace("{path}", "saved/{path}"))
        manifest = await state.current()  # no watcher here: the request's own check
        state.on_change({str(tmp_path.resolve() / "app.py")})  # the watcher, late
        assert state._loading is None  # already read: not read again
        (tmp_path / "chalicelib").mkdir()
        state.on_change({str(tmp_path.resolve() / "chalicelib")})  # not read yet
        await state.current()
        return [route.path for route in manifest.routes]

    assert asyncio.run(scenario()) == ["/saved/{path}"]
    assert state.generation == 3


def test_what_aws_would_refuse_is_a_warning_and_the_app_is_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Chalice imports an empty bucket name (its S3 template's test does); `package` stops
    # on it, `local` serves the app and says what deploying would meet.
    (tmp_path / "app.py").write_text(
        APP + '\n\n@app.on_s3_event(bucket="")\ndef ingest(event):\n    pass\n'
    )
    state = ProjectState(tmp_path, "dev")

    async def scenario() -> None:
        await state.reload()
        assert [r.path for r in (await state.current()).routes] == ["/{path}"]

    with caplog.at_level("WARNING", logger="chalicelike.local"):
        asyncio.run(scenario())
    [warning] = [r for r in caplog.records if "AWS would refuse" in r.getMessage()]
    assert "ingest" in warning.getMessage()
    assert "bucket" in warning.getMessage()
