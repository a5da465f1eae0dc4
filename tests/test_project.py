"""Importing a project's app.py: errors point at the user's file and line, never at ours."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelike._core._errors import ChaliceError
from chalicelike._tooling._project import load_app


@pytest.fixture(autouse=True)
def forget_the_app() -> Iterator[None]:
    path = list(sys.path)
    yield
    sys.modules.pop("app", None)
    sys.path[:] = path


def failure(tmp_path: Path, source: str) -> str:
    (tmp_path / "app.py").write_text(source)
    with pytest.raises(ChaliceError) as raised:
        load_app(tmp_path)
    return str(raised.value)


def test_the_app_is_returned(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('x')\n")
    assert load_app(tmp_path).app_name == "x"


def test_a_missing_app_py_says_to_pass_project_dir(tmp_path: Path) -> None:
    with pytest.raises(ChaliceError, match=r"No app\.py in .*; pass --project-dir"):
        load_app(tmp_path)


def test_app_py_without_app_is_named(tmp_path: Path) -> None:
    assert failure(tmp_path, "application = None\n") == (
        f"{tmp_path / 'app.py'} defines no variable named 'app'"
    )


def test_syntax_error_points_at_the_line_without_our_frames(tmp_path: Path) -> None:
    message = failure(tmp_path, "from chalicelike import Chalice\napp = Chalice('x')\ndef f(:\n")
    assert message.startswith(f"importing {tmp_path / 'app.py'} failed:")
    assert f'File "{tmp_path / "app.py"}", line 3' in message
    assert message.rstrip().endswith("SyntaxError: invalid syntax")
    assert "chalicelike/" not in message and "<frozen" not in message


def test_exception_in_app_shows_the_users_frame(tmp_path: Path) -> None:
    message = failure(tmp_path, "import os\napp = None\nvalue = os.environ['NO_SUCH_VAR_X']\n")
    assert f'File "{tmp_path / "app.py"}", line 3, in <module>' in message
    assert message.rstrip().endswith("KeyError: 'NO_SUCH_VAR_X'")


def test_registration_error_names_file_and_line(tmp_path: Path) -> None:
    source = (
        "from chalicelike import Chalice\napp = Chalice('x')\n\n@app.route('nope')\ndef f():\n"
        "    return {}\n"
    )
    assert failure(tmp_path, source) == (
        f"{tmp_path / 'app.py'}, line 4: Route path must start with '/': 'nope'"
    )


def test_an_app_that_is_not_a_handler_is_named(tmp_path: Path) -> None:
    assert failure(tmp_path, "app = 5\n") == (
        f"{tmp_path / 'app.py'}: app must be a Chalice app or a Lambda handler, not int 5"
    )


def test_vendored_modules_import_as_on_lambda(tmp_path: Path) -> None:
    (tmp_path / "vendor" / "vendored_only_xyz").mkdir(parents=True)
    (tmp_path / "vendor" / "vendored_only_xyz" / "__init__.py").write_text("NAME = 'v'\n")
    (tmp_path / "app.py").write_text(
        "from chalicelike import Chalice\nimport vendored_only_xyz\n"
        "app = Chalice(vendored_only_xyz.NAME)\n"
    )
    try:
        assert load_app(tmp_path).app_name == "v"
    finally:
        sys.modules.pop("vendored_only_xyz", None)
