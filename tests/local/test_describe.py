"""Reading a project's app in a subprocess: its manifest, or an error naming file and line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from chalicelike.local._describe import AppLoadError, describe_project

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
