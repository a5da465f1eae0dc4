"""Reading a project's app in a subprocess: its manifest, or an error naming file and line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chalicelike._tooling._describe import AppLoadError, describe_project, read_timeout

ROOT = Path(__file__).resolve().parents[2]

APP = """\
import os
from chalicelike import Chalice

print("importing the app prints, which must not confuse the reader")
app = Chalice(app_name=os.environ["APP_NAME"])


@app.route("/hello")
def hello():
    return {}
"""


def project(tmp_path: Path, source: str) -> Path:
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    (tmp_path / ".chalice").mkdir()
    config = {"stages": {"dev": {"environment_variables": {"APP_NAME": "from-dev"}}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    return tmp_path


def test_the_manifest_is_read_with_the_stage_environment(tmp_path: Path) -> None:
    manifest = asyncio.run(describe_project(project(tmp_path, APP), "dev"))
    assert manifest.app_name == "from-dev"
    assert [(r.path, r.method) for r in manifest.routes] == [("/hello", "GET")]


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    broken = APP.replace("def hello():", "def hello(:")
    with pytest.raises(AppLoadError) as raised:
        asyncio.run(describe_project(project(tmp_path, broken), "dev"))
    message = str(raised.value)
    assert "app.py" in message and "line 9" in message and "SyntaxError" in message


def test_an_exception_at_import_time_names_the_users_line(tmp_path: Path) -> None:
    failing = APP + "\nraise RuntimeError('no database')\n"
    with pytest.raises(AppLoadError, match="no database") as raised:
        asyncio.run(describe_project(project(tmp_path, failing), "dev"))
    assert "app.py" in str(raised.value)


def test_a_missing_app_py_is_named(tmp_path: Path) -> None:
    with pytest.raises(AppLoadError, match=r"No app\.py"):
        asyncio.run(describe_project(tmp_path, "dev"))


# -- an import that never ends ------------------------------------------------------------

HANGING = """\
import os, pathlib, subprocess, sys, time
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
pathlib.Path("pids").write_text(f"{os.getpid()} {helper.pid}")
time.sleep(600)
"""


def hanging_project(tmp_path: Path) -> Path:
    project = tmp_path / "hanging"
    project.mkdir()
    (project / "app.py").write_text(HANGING)
    return project


def started_pids(project: Path, deadline: float = 20.0) -> list[int]:
    path = project / "pids"
    limit = time.monotonic() + deadline
    while not (path.is_file() and len(path.read_text().split()) == 2):
        assert time.monotonic() < limit, "the app never started"
        time.sleep(0.05)
    return [int(pid) for pid in path.read_text().split()]


def gone(pid: int, deadline: float = 10.0) -> bool:
    """The process has ended (a zombie nobody reaps yet counts as ended)."""
    limit = time.monotonic() + deadline
    while time.monotonic() < limit:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_an_import_that_never_ends_is_stopped_and_named(tmp_path: Path) -> None:
    project = hanging_project(tmp_path)
    started = time.monotonic()
    with pytest.raises(AppLoadError) as raised:
        asyncio.run(describe_project(project, "dev", timeout=2))
    assert time.monotonic() - started < 15
    message = str(raised.value)
    assert str(project / "app.py") in message and "longer than 2 s" in message
    assert "CHALICELIKE_APP_READ_TIMEOUT" in message
    # The child and what the app started while importing are both gone.
    assert all(gone(pid) for pid in started_pids(project))


@pytest.mark.slow
def test_the_time_limit_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHALICELIKE_APP_READ_TIMEOUT", "1.5")
    with pytest.raises(AppLoadError, match=r"longer than 1\.5 s"):
        asyncio.run(describe_project(hanging_project(tmp_path), "dev"))
    monkeypatch.setenv("CHALICELIKE_APP_READ_TIMEOUT", "soon")
    with pytest.raises(AppLoadError, match="CHALICELIKE_APP_READ_TIMEOUT must be a positive"):
        asyncio.run(describe_project(tmp_path, "dev"))
    monkeypatch.delenv("CHALICELIKE_APP_READ_TIMEOUT")
    assert read_timeout() == 30


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_dies_with_a_killed_parent(tmp_path: Path) -> None:
    project = hanging_project(tmp_path)
    code = (
        "import asyncio, sys; from pathlib import Path; "
        "from chalicelike._tooling._describe import describe_project; "
        "asyncio.run(describe_project(Path(sys.argv[1]), 'dev', timeout=600))"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(project)], cwd=ROOT)
    try:
        child, helper = started_pids(project)
    finally:
        parent.kill()
        parent.wait()
    try:
        assert gone(child)
    finally:
        os.kill(helper, signal.SIGKILL)  # the kernel kills the child only, not its group


def test_an_interrupted_package_ends_at_once_with_the_child_gone(tmp_path: Path) -> None:
    project = hanging_project(tmp_path)
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project)]
    package = subprocess.Popen(
        [*command, "package", str(tmp_path / "out")],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHALICELIKE_APP_READ_TIMEOUT": "600"},
    )
    child, helper = started_pids(project)
    package.send_signal(signal.SIGINT)
    try:
        _, err = package.communicate(timeout=10)
    finally:
        package.kill()
    assert package.returncode == 130 and "Traceback" not in err
    assert gone(child) and gone(helper)


@pytest.mark.slow
def test_a_hanging_app_is_a_one_line_package_error(tmp_path: Path) -> None:
    project = hanging_project(tmp_path)
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project)]
    done = subprocess.run(
        [*command, "package", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CHALICELIKE_APP_READ_TIMEOUT": "2"},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"chalicelike: error: reading {project / 'app.py'} took")
    assert done.stderr.count("\n") == 1
