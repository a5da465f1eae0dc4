"""`chalicelike new-project`: the files each template writes, what it refuses, and (slow) that
the generated project's own tests pass under pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelike._tooling._new_project import TEMPLATES, NewProjectError, create_project
from chalicelike.cli import main

EXPECTED_FILES = {
    ".chalice/config.json",
    ".gitignore",
    "app.py",
    "conftest.py",
    "requirements.txt",
    "tests/test_app.py",
}


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_writes_the_project(tmp_path: Path, template: str) -> None:
    folder = create_project(tmp_path, "demo", template)
    assert files_under(folder) == EXPECTED_FILES
    config = json.loads((folder / ".chalice" / "config.json").read_text())
    assert config == {
        "version": "2.0",
        "app_name": "demo",
        "stages": {"dev": {"api_gateway_stage": "api"}},
    }
    assert 'app_name="demo"' in (folder / "app.py").read_text()
    compile((folder / "app.py").read_text(), "app.py", "exec")
    compile((folder / "tests" / "test_app.py").read_text(), "test_app.py", "exec")


def test_the_gitignore_covers_the_cache_not_the_deployed_records(tmp_path: Path) -> None:
    lines = (create_project(tmp_path, "demo") / ".gitignore").read_text().splitlines()
    assert {".chalice/cache/", "__pycache__/", ".venv/"} <= set(lines)
    assert not any(line.startswith(".chalice/deployed") or line == ".chalice/" for line in lines)


def test_fastapi_requires_fastapi_and_mounts_it(tmp_path: Path) -> None:
    folder = create_project(tmp_path, "demo", "fastapi")
    assert (folder / "requirements.txt").read_text().split() == ["fastapi"]
    assert 'app.mount("/api", api)' in (folder / "app.py").read_text()
    assert (create_project(tmp_path, "plain") / "requirements.txt").read_text() == ""


@pytest.mark.parametrize("name", ["", "9lives", "has space", "a/b", "..", "-x", "x" * 41, "café"])
def test_a_bad_name_is_refused_before_writing(tmp_path: Path, name: str) -> None:
    with pytest.raises(NewProjectError, match="bad project name"):
        create_project(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "mine.txt").write_text("keep")
    with pytest.raises(NewProjectError, match="already exists"):
        create_project(tmp_path, "demo")
    assert files_under(tmp_path / "demo") == {"mine.txt"}


def test_the_command_refuses_in_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new-project", "demo"]) == 0
    assert (tmp_path / "demo" / "app.py").is_file()
    capsys.readouterr()
    assert main(["new-project", "demo"]) == 2
    assert main(["new-project", "no good"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2
    assert "already exists" in errors[0] and "bad project name" in errors[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_an_unknown_template_is_an_argparse_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["new-project", "demo", "--template", "graphql"])
    assert exit_info.value.code == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_the_generated_tests_pass(tmp_path: Path, template: str) -> None:
    folder = create_project(tmp_path, "demo", template)
    # -P keeps the working folder off sys.path, as plain `pytest` does: the project's
    # conftest.py must be what lets its tests import app.py.
    result = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
