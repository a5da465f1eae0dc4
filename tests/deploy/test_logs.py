"""`chalicelike logs`: how a CloudWatch Logs event is printed and coloured, `--since`, and
(slow) the command against a plain moto server: the events it prints, a log group that does
not exist yet, the one-line errors, `--follow` picking up a new event and ending on Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chalicelike.cli import main
from chalicelike.deploy._log_lines import LineFormatter, parse_since, short_stream_id
from chalicelike.deploy._record import write_record
from chalicelike.deploy._session import DeployError
from tests.deploy.moto_support import aws_client, plain_moto_server

FUNCTION = "bookshop-dev"
GROUP = f"/aws/lambda/{FUNCTION}"
STREAM = "2026/12/06/[3]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)
RED, DIM, RESET = "\033[31m", "\033[2m", "\033[0m"


def event(message: str, at: datetime = NOW, stream: str = STREAM) -> dict[str, Any]:
    return {"timestamp": int(at.timestamp() * 1000), "message": message, "logStreamName": stream}


# --- --since -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ago"),
    [("30s", timedelta(seconds=30)), ("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2))],
)
def test_since_takes_an_age(text: str, ago: timedelta) -> None:
    assert parse_since(text, now=NOW) == NOW - ago


def test_since_takes_days_and_iso_times() -> None:
    assert parse_since("1d", now=NOW) == NOW - timedelta(days=1)
    assert parse_since("2026-12-06T08:00:00Z") == datetime(2026, 12, 6, 8, tzinfo=timezone.utc)
    offset = parse_since("2026-12-06T10:00:00+02:00")
    assert offset == datetime(2026, 12, 6, 8, tzinfo=timezone.utc)
    # No offset: UTC, the zone every printed line is in.
    assert parse_since("2026-12-06T08:00") == datetime(2026, 12, 6, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["10", "ten minutes", "5w", "-3m", "2026-13-40"])
def test_a_bad_since_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(DeployError) as raised:
        parse_since(text)
    message = str(raised.value)
    assert repr(text) in message
    assert all(form in message for form in ("30s", "10m", "2h", "1d", "ISO 8601"))
    assert "\n" not in message


# --- one event, one line ---------------------------------------------------------------


def test_short_stream_id_is_the_environments_first_six_hex_digits() -> None:
    assert short_stream_id(STREAM) == "0f1e2d"
    assert short_stream_id("2026/12/06/[$LATEST]abcdef0123") == "abcdef"
    assert short_stream_id("made-by-hand") == "made-by-hand"


def test_a_line_is_utc_time_stream_and_message_without_its_newline() -> None:
    at = NOW + timedelta(milliseconds=7)
    line = LineFormatter(colour=False).format(event("[INFO]\tready\n", at))
    assert line == "2026-12-06T09:30:00.007Z 0f1e2d [INFO]\tready"


def test_a_traceback_joined_with_carriage_returns_prints_on_indented_lines() -> None:
    # The Python runtime joins an uncaught error's lines with \r: one event.
    message = "[ERROR] KeyError: 'x'\rTraceback (most recent call last):\r  File x\n"
    line = LineFormatter(colour=False).format(event(message))
    assert line.splitlines() == [
        "2026-12-06T09:30:00.000Z 0f1e2d [ERROR] KeyError: 'x'",
        "    Traceback (most recent call last):",
        "      File x",
    ]
    assert "\r" not in line


def test_no_colour_leaves_every_line_as_it_came() -> None:
    plain = LineFormatter(colour=False)
    for message in ("[ERROR]\tboom", '{"level": "ERROR"}', "START RequestId: 1"):
        assert "\033" not in plain.format(event(message))


def test_colour_marks_the_text_level() -> None:
    line = LineFormatter(colour=True).format(event("[ERROR]\t2026\tid\tboom"))
    assert line.endswith(f"{RED}[ERROR]{RESET}\t2026\tid\tboom")
    warning = LineFormatter(colour=True).format(event("[WARNING]\tslow"))
    assert f"\033[33m[WARNING]{RESET}\tslow" in warning


def test_colour_marks_the_level_field_of_a_json_line() -> None:
    message = '{"timestamp": "t", "level": "ERROR", "message": "boom"}'
    line = LineFormatter(colour=True).format(event(message))
    assert line.endswith(f'{{"timestamp": "t", "level": "{RED}ERROR{RESET}", "message": "boom"}}')


@pytest.mark.parametrize(
    "message",
    [
        "START RequestId: 8f5e Version: 3",
        "END RequestId: 8f5e",
        "REPORT RequestId: 8f5e\tDuration: 2.00 ms",
        "INIT_START Runtime Version: python:3.12",
        '{"time": "t", "type": "platform.report", "record": {}}',
    ],
)
def test_colour_dims_lambdas_own_lines(message: str) -> None:
    line = LineFormatter(colour=True).format(event(message))
    assert line.endswith(f"{DIM}{message}{RESET}")


def test_colour_leaves_other_lines_alone() -> None:
    for message in ("hello from print", "STARTED the engine", '{"msg": "no level"}'):
        assert "\033" not in LineFormatter(colour=True).format(event(message))


# --- the command against moto ----------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with plain_moto_server() as url:
        yield url


@pytest.fixture
def aws_env(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's environment pointed at moto alone (no profile or config of the host)."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "empty-aws-file"
    empty.write_text("")
    values = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "bookshop"
    function = {
        "resource_type": "lambda_function",
        "lambda_arn": f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
        "alias": "dev",
    }
    record = {
        "resources": [
            {**function, "name": "api_handler", "function_name": FUNCTION},
            {**function, "name": "take_order", "function_name": "bookshop-dev-take_order"},
        ],
        "schema_version": "2.0",
        "backend": "api",
        "stack": {"name": "bookshop-dev", "region": "us-east-1", "release": 3},
    }
    write_record(folder, "dev", record)
    return folder


@pytest.fixture
def log_group(moto_url: str) -> Iterator[Any]:
    """The function's log group on moto with a fresh stream, deleted afterwards."""
    logs = aws_client(moto_url, "logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    yield logs
    logs.delete_log_group(logGroupName=GROUP)


def put(logs: Any, *messages: str, ago: timedelta = timedelta(seconds=5)) -> None:
    at = int((datetime.now(timezone.utc) - ago).timestamp() * 1000)
    events = [{"timestamp": at + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=GROUP, logStreamName=STREAM, logEvents=events)


def logs_command(project: Path, *args: str) -> list[str]:
    return ["--project-dir", str(project), "logs", *args]


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_logs_prints_the_functions_recent_events(project: Path, log_group: Any, capsys) -> None:
    put(log_group, "an hour old\n", ago=timedelta(hours=1))
    put(
        log_group,
        "START RequestId: 8f5e Version: 3\n",
        "[ERROR]\t2026-12-06T09:30:00.000Z\t8f5e\tboom\n",
        '{"level": "INFO", "message": "order taken"}\n',
        "REPORT RequestId: 8f5e\tDuration: 2.00 ms\n",
    )
    assert main(logs_command(project, "-n", "api_handler")) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "START RequestId: 8f5e Version: 3",
        "[ERROR]\t2026-12-06T09:30:00.000Z\t8f5e\tboom",
        '{"level": "INFO", "message": "order taken"}',
        "REPORT RequestId: 8f5e\tDuration: 2.00 ms",
    ]
    assert all(line.split(" ")[1] == "0f1e2d" for line in lines)
    stamp = datetime.strptime(lines[0].split(" ")[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    age = datetime.now(timezone.utc) - stamp.replace(tzinfo=timezone.utc)
    assert timedelta(0) < age < timedelta(minutes=1)
    assert "\033" not in out  # not a terminal
    assert err == ""


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_since_reaches_further_back(project: Path, log_group: Any, capsys) -> None:
    put(log_group, "three hours old\n", ago=timedelta(hours=3))
    put(log_group, "an hour old\n", ago=timedelta(hours=1))
    # The deployed name finds the function too.
    assert main(logs_command(project, "-n", FUNCTION, "--since", "2h")) == 0
    assert [line.split(" ", 2)[2] for line in capsys.readouterr().out.splitlines()] == [
        "an hour old"
    ]
    start = (datetime.now(timezone.utc) - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert main(logs_command(project, "-n", FUNCTION, "--since", start)) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_a_function_that_never_logged_is_one_line_and_success(project: Path, capsys) -> None:
    assert main(logs_command(project, "-n", "take_order")) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "no logs yet for bookshop-dev-take_order "
        "(log group /aws/lambda/bookshop-dev-take_order does not exist)\n"
    )


@pytest.mark.usefixtures("aws_env")
@pytest.mark.slow
def test_an_unknown_function_is_one_line(project: Path, capsys) -> None:
    assert main(logs_command(project, "-n", "nope")) == 2
    err = capsys.readouterr().err
    assert err == (
        "chalicelike: error: no deployed function named 'nope' "
        "(deployed: api_handler, take_order)\n"
    )


def test_a_stage_never_deployed_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(logs_command(tmp_path, "-n", "api_handler", "--stage", "prod")) == 2
    err = capsys.readouterr().err
    assert err.startswith("chalicelike: error: stage 'prod' is not deployed from here")
    assert err.count("\n") == 1


def test_a_bad_since_is_one_line_before_anything_else(tmp_path: Path, capsys) -> None:
    assert main(logs_command(tmp_path, "-n", "api_handler", "--since", "yesterday")) == 2
    err = capsys.readouterr().err
    assert err.startswith("chalicelike: error: --since takes 30s, 10m, 2h, 1d or an ISO 8601")
    assert err.count("\n") == 1


# --- subprocesses: --follow, and colour on a terminal ------------------------------------


def spawn(project: Path, env: dict[str, str], *args: str, **popen: Any) -> subprocess.Popen[Any]:
    command = [sys.executable, "-m", "chalicelike.cli", *logs_command(project, *args)]
    return subprocess.Popen(command, env={**os.environ, **env}, **popen)


def read_until(stream: Any, wanted: str, seconds: float) -> str:
    """What `stream` (a text pipe) printed until a line holding `wanted`, or the deadline."""
    seen = ""
    deadline = time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline()
            if not line:
                break
            seen += line
    return seen


@pytest.mark.slow
def test_follow_prints_new_events_and_ends_quietly_on_ctrl_c(
    project: Path, log_group: Any, aws_env: dict[str, str]
) -> None:
    put(log_group, "before\n")
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    # The with-block closes the pipes and reaps the process whatever fails inside it.
    with spawn(project, aws_env, "-n", "api_handler", "--follow", **pipes) as follower:
        try:
            assert "before" in read_until(follower.stdout, "before", 30)
            put(log_group, "after\n", ago=timedelta(0))
            later = read_until(follower.stdout, "after", 10)
            assert "after" in later
            assert "before" not in later  # re-queried, not printed twice
            follower.send_signal(signal.SIGINT)
            out, err = follower.communicate(timeout=10)
        finally:
            follower.kill()
    # 130: what a shell reports for `tail -f` stopped by Ctrl-C (128 + SIGINT).
    assert follower.returncode == 130
    assert err == ""
    assert "before" not in out and "after" not in out


@pytest.mark.slow
def test_follow_waits_for_a_log_group_that_does_not_exist_yet(
    project: Path, moto_url: str, aws_env: dict[str, str]
) -> None:
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    logs = aws_client(moto_url, "logs")
    group = "/aws/lambda/bookshop-dev-take_order"
    with spawn(project, aws_env, "-n", "take_order", "-f", **pipes) as follower:
        try:
            assert "no logs yet" in read_until(follower.stderr, "no logs yet", 30)
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName=STREAM)
            now = int(time.time() * 1000)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=STREAM,
                logEvents=[{"timestamp": now, "message": "first order\n"}],
            )
            assert "first order" in read_until(follower.stdout, "first order", 10)
            follower.send_signal(signal.SIGINT)
            follower.communicate(timeout=10)
        finally:
            follower.kill()
            logs.delete_log_group(logGroupName=group)
    assert follower.returncode == 130


def on_a_terminal(project: Path, env: dict[str, str]) -> str:
    """What `logs` prints when its stdout is a terminal (a pseudo-terminal here)."""
    leader, follower = pty.openpty()
    with spawn(
        project, env, "-n", "api_handler", stdout=follower, stderr=subprocess.PIPE
    ) as process:
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            out += chunk
        os.close(leader)
        _, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (0, b"")
    return out.decode()


@pytest.mark.slow
def test_a_terminal_sees_colour_unless_no_color_is_set(
    project: Path, log_group: Any, aws_env: dict[str, str]
) -> None:
    put(log_group, "[ERROR]\tboom\n", "START RequestId: 1 Version: 3\n")
    coloured = on_a_terminal(project, aws_env)
    assert f"{RED}[ERROR]{RESET}\tboom" in coloured
    assert f"{DIM}START RequestId: 1 Version: 3{RESET}" in coloured
    plain = on_a_terminal(project, {**aws_env, "NO_COLOR": "1"})
    assert "[ERROR]\tboom" in plain
    assert "\033" not in plain
