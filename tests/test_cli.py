"""The `chalicelike` command, run as a real subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import requests

from chalicelike.cli import COMMANDS, chalicelike, main

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
    assert "Usage: chalicelike [OPTIONS] COMMAND" in capsys.readouterr().err


def loaded(name: str) -> click.Command:
    command = chalicelike.get_command(click.Context(chalicelike), name)
    assert command is not None
    return command


def test_parser_defaults() -> None:
    defaults = {param.name: param.default for param in loaded("local").params}
    assert {k: defaults[k] for k in ("host", "port", "stage", "autoreload", "aws")} == {
        "host": "127.0.0.1",
        "port": 8000,
        "stage": "dev",
        "autoreload": True,
        "aws": True,
    }
    assert {param.name: param.default for param in chalicelike.params}["project_dir"] == "."


def run_into_a_closed_pipe(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with its stdout a pipe whose reader is already gone (`... | head`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "chalicelike.cli", *argv],
            cwd=cwd,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


def test_output_into_a_closed_pipe_ends_quietly(project: Path) -> None:
    # `chalicelike generate-models | head`: the reader is gone before we are done writing.
    done = run_into_a_closed_pipe(["generate-models"], project)
    assert (done.returncode, done.stderr) == (0, "")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"chalicelike {version('chalicelike')}\n"


# -- the click command line: its table, global options, errors and ports ------------------


@pytest.mark.slow
def test_a_project_folder_named_like_a_command_is_a_folder(project: Path, tmp_path: Path) -> None:
    # argparse's main() once took the first word naming a command for the command.
    named = project.rename(tmp_path / "package")
    done = run_cli("--project-dir", "package", "package", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "deployment.zip").is_file()
    assert not (named / "out").exists()


def test_project_dir_may_follow_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As users type it (`chalicelike deploy --project-dir X`); Chalice takes it before only.
    assert main(["--project-dir", "/nowhere", "local", "--project-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"chalicelike: error: No app.py in {tmp_path.resolve()}; pass --project-dir\n"
    )


def test_help_lists_every_command_with_its_one_line_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # undo the wrapping
    for name, entry in COMMANDS.items():
        assert f"{name} {entry.help}" in text
        # The table's help is what the command says of itself, on one line.
        assert loaded(name).short_help == entry.help and "\n" not in entry.help


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    for name in COMMANDS:
        command = loaded(name)
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", command.commands[sub]) for sub in command.commands]
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda value: str(value))
def test_help_shows_every_default(name: str, command: click.Command) -> None:
    root = chalicelike.make_context("chalicelike", ["local"], resilient_parsing=True)
    ctx = command.make_context(name, [], parent=root, resilient_parsing=True)
    shown = 0
    for option in command.get_params(ctx):
        record = option.get_help_record(ctx)
        default = option.get_default(ctx)  # click's own "no default" is a sentinel
        if not isinstance(default, (str, int, dict)) or default is False:
            continue
        if isinstance(option, click.Argument):  # click prints no help line for one
            assert f"(default: {default})" in (command.help or ""), (name, option.name)
        else:
            assert record is not None and "[default: " in record[1], (name, option.name)
        shown += 1
    assert shown or name in {"url", "delete", "deploy"} or not command.params


@pytest.mark.slow
def test_debug_prints_the_traceback_of_an_error(tmp_path: Path) -> None:
    done = run_cli("--debug", "--project-dir", str(tmp_path), "local", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last):\n")
    assert f"ChaliceError: No app.py in {tmp_path.resolve()}" in done.stderr
    assert "chalicelike: error:" not in done.stderr


@pytest.mark.slow
def test_a_busy_http_port_is_one_line_before_serving(project: Path, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli(
            "--project-dir", str(project), "local", "--no-aws", "--port", str(port), cwd=tmp_path
        )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"chalicelike: error: HTTP port {port} on 127.0.0.1 is already in use:"
        " pass --port PORT for another\n"
    )


@pytest.mark.slow
def test_a_busy_xray_port_is_one_line_naming_it(project: Path, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        done = run_cli(
            *("--project-dir", str(project), "local", "--no-aws"),
            *("--port", str(free_port()), "--xray-port", str(port)),
            cwd=tmp_path,
        )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(
        f"chalicelike: error: X-Ray daemon (UDP) port {port} on 127.0.0.1 is already in use"
    )
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("option", "value", "lowest"),
    [("--port", "0", 1), ("--port", "70000", 1), ("--port", "abc", 1), ("--xray-port", "-1", 0)],
)
def test_an_invalid_port_is_a_usage_error_saying_what_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, lowest: int
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--project-dir", str(tmp_path), "local", option, value])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        f"Error: Invalid value for '{option}': '{value}' is not a port: use a number from"
        f" {lowest} to 65535\n"
    ) in captured.err


@pytest.mark.slow
def test_output_piped_into_head_ends_quietly(project: Path) -> None:
    command = f"set -o pipefail; {sys.executable} -m chalicelike.cli generate-models | head -c1"
    done = subprocess.run(
        ["bash", "-c", command], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "{", "")


@pytest.mark.slow
def test_help_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    done = run_into_a_closed_pipe(["--help"], tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


HEAVY = ("uvicorn", "watchfiles", "boto3", "botocore", "moto", "starlette")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], set()),
        (["package", "--help"], {"chalicelike.package._command"}),
        (["local", "--help"], {"chalicelike.local._server"}),
        (["deploy", "--help"], {"chalicelike.deploy._commands"}),
    ],
)
def test_a_command_imports_only_its_own_module(argv: list[str], expected: set[str]) -> None:
    modules = sorted({entry.target.partition(":")[0] for entry in COMMANDS.values()})
    code = (
        "import sys\nfrom chalicelike.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\n"
        f"watched = {[*HEAVY, *modules]!r}\n"
        "print(' '.join(m for m in watched if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=30
    )
    assert set(done.stderr.split()) == expected


def test_the_console_script_runs_main() -> None:
    from importlib.metadata import entry_points

    import chalicelike.__main__ as entry

    [script] = entry_points(group="console_scripts", name="chalicelike")
    assert script.load() is entry.main  # a package repeat's shortcut, then cli.main
    done = subprocess.run(
        [sys.executable, "-m", "chalicelike", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "package" in done.stdout, done.stderr


@pytest.mark.slow
def test_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    # `invoke --event -` waits on stdin before it loads anything: a Ctrl-C lands there.
    command = [sys.executable, "-m", "chalicelike.cli", "invoke", "-n", "f", "--event", "-"]
    pipe = subprocess.PIPE
    with subprocess.Popen(command, cwd=tmp_path, stdin=pipe, stdout=pipe, stderr=pipe) as process:
        wchan = Path(f"/proc/{process.pid}/wchan")
        if not wchan.exists():
            process.kill()
            pytest.skip("needs Linux's /proc to see the process wait on stdin")
        deadline = time.monotonic() + 20
        while "pipe_read" not in wchan.read_text() and wchan.read_text() != "pipe_wait":
            assert time.monotonic() < deadline, "never read stdin"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert (process.returncode, out, err) == (130, b"", b"")
