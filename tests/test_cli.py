"""The `chalicelike` command, run as a real subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chalicelike.cli import build_parser, main

APP_PY = textwrap.dedent(
    """
    import os

    from chalicelike import Chalice

    app = Chalice(app_name="cli-app")


    @app.route("/")
    def index():
        return {"hello": "cli"}


    @app.route("/env")
    def env():
        return {"greeting": os.environ.get("CLI_GREETING")}
    """
)
CONFIG = {
    "environment_variables": {"CLI_GREETING": "top"},
    "stages": {
        "dev": {"environment_variables": {"CLI_GREETING": "hello from dev"}},
        "prod": {"environment_variables": {"CLI_GREETING": "hello from prod"}},
    },
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project_dir = tmp_path / "project"
    (project_dir / ".chalice").mkdir(parents=True)
    (project_dir / "app.py").write_text(APP_PY, encoding="utf-8")
    (project_dir / ".chalice" / "config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    return project_dir


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelike.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


@contextlib.contextmanager
def local_server(project: Path, tmp_path: Path, *extra: str) -> Iterator[tuple[str, Path]]:
    """`chalicelike local` in a subprocess; yields its URL and its log file."""
    port = free_port()
    log_path = tmp_path / "server.log"
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project), "local"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            # No AWS endpoint: these tests are about the CLI, and port 4566 may be taken.
            [*command, "--port", str(port), "--no-aws", *extra],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited early:\n{log_path.read_text()}")
            try:
                requests.get(base_url + "/", timeout=1).close()
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"server never answered:\n{log_path.read_text()}"
                    ) from None
                time.sleep(0.05)
        yield base_url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.slow
def test_local_serves_the_project(project: Path, tmp_path: Path) -> None:
    with local_server(project, tmp_path) as (base_url, log_path), requests.Session() as session:
        index = session.get(base_url + "/", timeout=5)
        assert index.status_code == 200
        assert index.json() == {"hello": "cli"}
        env = session.get(base_url + "/env", timeout=5)
        assert env.json() == {"greeting": "hello from dev"}
        missing = session.get(base_url + "/nowhere", timeout=5)
        assert missing.status_code == 403
    log = log_path.read_text()
    assert f"serving {project.resolve()}/app.py (stage dev, payload 1.0) on {base_url}" in log


@pytest.mark.slow
def test_local_uses_the_chosen_stage(project: Path, tmp_path: Path) -> None:
    with local_server(project, tmp_path, "--stage", "prod") as (base_url, _):
        env = requests.get(base_url + "/env", timeout=5)
    assert env.json() == {"greeting": "hello from prod"}


def test_missing_app_py_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli("--project-dir", str(tmp_path), "local", "--port", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"chalicelike: error: No app.py in {tmp_path.resolve()}; pass --project-dir\n"
    )


def test_bad_config_is_a_one_line_error(project: Path, tmp_path: Path) -> None:
    config_file = project / ".chalice" / "config.json"
    config_file.write_text("{broken", encoding="utf-8")
    result = run_cli("--project-dir", str(project), "local", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"chalicelike: error: {config_file}: not valid JSON: ")
    assert "Traceback" not in result.stderr


def test_main_returns_2_for_a_missing_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project-dir", str(tmp_path), "local"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"chalicelike: error: No app.py in {tmp_path.resolve()}; pass --project-dir\n"
    )


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "the following arguments are required: command" in capsys.readouterr().err


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["local"])
    assert (args.project_dir, args.host, args.port, args.stage) == (".", "127.0.0.1", 8000, "dev")
    args = build_parser().parse_args(
        ["--project-dir", "/p", "local", "--host", "0.0.0.0", "--port", "9", "--stage", "prod"]
    )
    assert (args.project_dir, args.host, args.port, args.stage) == ("/p", "0.0.0.0", 9, "prod")


def test_output_into_a_closed_pipe_ends_quietly(project: Path) -> None:
    # `chalicelike generate-models | head`: the reader is gone before we are done writing.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chalicelike.cli", "generate-models"],
            cwd=project,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"chalicelike {version('chalicelike')}\n"
