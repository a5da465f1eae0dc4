"""`chalicelike invoke`, run as a real command: payload on stdout, log on stderr, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local.invoke_support import INVOKE_APP


def chalicelike(
    *args: str, project_dir: Path = INVOKE_APP, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project_dir), *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_the_payload_goes_to_stdout_and_the_log_to_stderr(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"order": 7}')
    done = chalicelike("invoke", "-n", "echo", "--event", str(event))
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["event"] == {"order": 7}
    assert payload["function_name"] == "invoker-dev-echo"
    assert payload["greeting"] == "hello"  # the dev stage's environment
    log = done.stderr.decode().splitlines()
    assert log[0].startswith("START RequestId: ") and log[0].endswith(" Version: $LATEST")
    assert 'echo got {"order": 7}' in log
    assert log[-2].startswith("END RequestId: ")
    assert log[-1].startswith("REPORT RequestId: ") and "\tInit Duration: " in log[-1]


@pytest.mark.slow
def test_the_event_comes_from_stdin_and_defaults_to_an_empty_object() -> None:
    done = chalicelike("invoke", "--name", "invoker-dev-echo", "--event", "-", stdin=b"[1, 2]")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["event"] == [1, 2]
    done = chalicelike("invoke", "-n", "echo", "--stage", "dev")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["event"] == {}


def test_a_function_error_exits_1_with_lambdas_error_document() -> None:
    done = chalicelike("invoke", "-n", "fails")
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "bad input"
    assert "about to fail" in done.stderr.decode()


def test_an_unknown_function_exits_2_naming_the_known_ones() -> None:
    done = chalicelike("invoke", "-n", "nope")
    assert done.returncode == 2 and done.stdout == b""
    message = done.stderr.decode()
    assert "has no function 'nope'" in message
    assert "echo (invoker-dev-echo)" in message and "fails (invoker-dev-fails)" in message


def test_a_missing_or_malformed_event_exits_2(tmp_path: Path) -> None:
    missing = chalicelike("invoke", "-n", "echo", "--event", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and missing.stdout == b""
    assert f"cannot read the event file {tmp_path / 'none.json'}" in missing.stderr.decode()
    bad = tmp_path / "bad.json"
    bad.write_text("{'single': 'quotes'}")
    malformed = chalicelike("invoke", "-n", "echo", "--event", str(bad))
    assert malformed.returncode == 2
    assert f"the event in {bad} is not JSON" in malformed.stderr.decode()


def test_an_app_that_cannot_load_is_a_failed_invocation(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from chalicelike import Chalice\napp = Chalice(\n")
    done = chalicelike("invoke", "-n", "anything", project_dir=tmp_path)
    assert done.returncode == 1 and done.stdout == b""
    message = done.stderr.decode()
    assert "app.py" in message and message.count("SyntaxError") == 1  # said once
