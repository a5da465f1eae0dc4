"""Users' apps type-check against chalicelike: mypy --strict on a small app using the lazily
exported names (loaded on first use at run time, seen as real classes by type checkers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

USER_APP = """
from chalicelike import Chalice, Cron, Rate, Response, SQSEvent, SQSRecord
from chalicelike.app import S3Event, WebsocketEventSourceHandler, handle_extra_types

app = Chalice(app_name="typed")
app.experimental_feature_flags.update(["WEBSOCKETS"])
EVERY_HOUR = Rate(1, unit=Rate.HOURS)
NIGHTLY = Cron(0, 2, "*", "*", "?", "*")


def first(event: SQSEvent) -> SQSRecord:
    return next(iter(event))


def bucket_of(event: S3Event) -> str:
    return event.bucket


@app.route("/")
def index() -> Response:
    return Response({"ok": True}, status_code=200)


HANDLER_TYPE: type = WebsocketEventSourceHandler
ENCODE = handle_extra_types
"""


@pytest.mark.slow
def test_a_user_app_type_checks_with_the_lazy_names(tmp_path: Path) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text(USER_APP, encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
            "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), str(app_file),
        ],
        capture_output=True, text=True, cwd=root, check=False,
    )  # fmt: skip
    assert result.stdout == "", result.stdout
    assert result.returncode == 0, result.stderr
