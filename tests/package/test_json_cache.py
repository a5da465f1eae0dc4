"""The cache files a repeat `package` reads: computed once, rewritten when unreadable."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chalicelike.package._json_cache import cached_json, make_cache_dir, read_cached


def test_a_value_is_computed_once_then_read(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "value.json"
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    assert cached_json(path, compute) == {"n": 1}
    assert cached_json(path, compute) == {"n": 1}
    assert calls == [1]
    # no temporary left; the folder's own .gitignore beside the value
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", "value.json"]


def test_an_unreadable_cache_is_computed_again(tmp_path: Path) -> None:
    path = tmp_path / "value.json"
    path.write_text("{half a fi")
    assert read_cached(path) is None
    assert cached_json(path, lambda: [1, 2]) == [1, 2]
    assert read_cached(path) == [1, 2]


def test_the_cache_folder_ignores_itself(tmp_path: Path) -> None:
    cache = tmp_path / ".chalice" / "cache"
    cached_json(cache / "value.json", lambda: 1)
    lines = (cache / ".gitignore").read_text().splitlines()
    assert "*" in lines


def test_an_existing_gitignore_is_kept(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("mine\n")
    make_cache_dir(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == "mine\n"


def test_a_cache_made_before_the_gitignore_gets_one(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("1")
    make_cache_dir(tmp_path)
    assert (tmp_path / ".gitignore").is_file()


@pytest.mark.slow
def test_git_sees_nothing_of_the_cache(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app.py").write_text("")
    cached_json(tmp_path / ".chalice" / "cache" / "manifest.json", lambda: {"a": 1})
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status.splitlines() == ["?? app.py"]


def test_a_cache_made_by_the_wheel_or_runtime_step_is_ignored_by_git(tmp_path: Path) -> None:
    from chalicelike.package._runtime_files import lean_runtime

    cache = tmp_path / ".chalice" / "cache"
    lean_runtime(cache)
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
