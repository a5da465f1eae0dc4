"""The zip's bytecode: named where CPython looks, unchecked-hash, the same bytes every time,
cached by content, loaded from a read-only /var/task without compiling, or said to be missing."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelike.package._archive import ArchiveReport, build_deployment_zip
from chalicelike.package._bytecode import compile_sources, pyc_name
from tests.lambda_events import rest
from tests.package.package_support import HOST_ARCHITECTURE, HOST_RUNTIME, SAMPLE_APP, unzip

SOURCES = {
    "app.py": b"from chalicelib import util\nVALUE = util.f('a')\n",
    "chalicelib/util.py": (
        b"NAMES = frozenset({'alpha', 'beta', 'gamma', 'delta'})\n"
        b"def f(x):\n    return x in {'one', 'two', 'three', 'four', 'five'}\n"
    ),
    "old.py": b"print 'python 2'\n",  # some wheels keep such files: shipped without bytecode
}


def test_bytecode_goes_where_cpython_looks_for_it() -> None:
    assert pyc_name("app.py", "python3.12") == "__pycache__/app.cpython-312.pyc"
    assert pyc_name("a/b/__init__.py", "python3.10") == "a/b/__pycache__/__init__.cpython-310.pyc"
    tag = sys.implementation.cache_tag
    assert importlib.util.cache_from_source("/var/task/x/y.py").endswith(
        pyc_name("x/y.py", HOST_RUNTIME).removeprefix("x")
    )
    assert tag in pyc_name("x/y.py", HOST_RUNTIME)


@pytest.mark.slow
def test_pycs_are_unchecked_hash_based_for_the_target(tmp_path: Path) -> None:
    compiled = compile_sources(SOURCES, HOST_RUNTIME, tmp_path)
    assert compiled.missing == ""
    assert sorted(compiled.pycs) == ["app.py", "chalicelib/util.py"]  # old.py does not compile
    pyc = compiled.pycs["chalicelib/util.py"]
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, never checked (PEP 552)
    assert pyc[8:16] == importlib.util.source_hash(SOURCES["chalicelib/util.py"])


@pytest.mark.slow
def test_compiling_gives_the_same_bytes_every_time(tmp_path: Path) -> None:
    """marshal writes a set constant in its iteration order, which hashing randomizes per
    process: each run compiles in a fresh process, alone or in a batch, with the same result."""
    first = compile_sources(SOURCES, HOST_RUNTIME, tmp_path / "one").pycs
    for n in range(3):
        alone = {"chalicelib/util.py": SOURCES["chalicelib/util.py"]}
        again = compile_sources(alone, HOST_RUNTIME, tmp_path / f"alone-{n}").pycs
        assert again["chalicelib/util.py"] == first["chalicelib/util.py"]
    assert compile_sources(SOURCES, HOST_RUNTIME, tmp_path / "two").pycs == first


@pytest.mark.slow
def test_a_warm_cache_needs_no_interpreter_and_a_missing_one_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm = compile_sources(SOURCES, HOST_RUNTIME, tmp_path).pycs
    # No Python of the target's version anywhere: not this one, not on PATH, not pyenv's.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    assert compile_sources(SOURCES, HOST_RUNTIME, tmp_path).pycs == warm
    edited = {**SOURCES, "app.py": b"VALUE = 2\n"}
    cold = compile_sources(edited, HOST_RUNTIME, tmp_path)
    assert cold.pycs == {}
    assert cold.missing.startswith(f"no {HOST_RUNTIME} interpreter here")
    assert "\n" not in cold.missing


# Counts the modules the import system compiles from source (none, when the zip's bytecode
# is used), then answers a REST event as Lambda's runtime would call the handler.
_LOAD = textwrap.dedent(
    """
    import importlib.machinery, json, sys, types
    task_root, event = sys.argv[1], json.loads(sys.argv[2])
    compiled = []
    original = importlib.machinery.SourceFileLoader.source_to_code
    def source_to_code(self, data, path, **kwargs):
        compiled.append(path)
        return original(self, data, path, **kwargs)
    importlib.machinery.SourceFileLoader.source_to_code = source_to_code
    sys.path.insert(0, task_root)
    import app
    answer = app.app(event, types.SimpleNamespace(aws_request_id="1", function_name="f"))
    print(json.dumps({"status": answer["statusCode"], "compiled": compiled}))
    """
)


@pytest.mark.slow
def test_a_read_only_package_loads_its_bytecode_without_compiling(
    tmp_path: Path, wheel_cache: Path
) -> None:
    report = _sample_app_zip(tmp_path, wheel_cache)
    with zipfile.ZipFile(report.path) as package:
        names = set(package.namelist())
    modules = {n for n in names if n.endswith(".py")}
    assert report.compiled == len(modules) and report.no_bytecode == ""
    assert {pyc_name(n, HOST_RUNTIME) for n in modules} <= names
    task = unzip(report.path, tmp_path / "task")
    for folder, _, files in os.walk(task):  # as /var/task: nothing can be written there
        for name in files:
            os.chmod(os.path.join(folder, name), 0o444)
        os.chmod(folder, 0o555)
    event = json.dumps(rest("GET", "/books", resource="/books"))
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LOAD, str(task), event],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["status"] == 200
    assert [path for path in outcome["compiled"] if path.startswith(str(task))] == []


@pytest.mark.slow
def test_no_bytecode_ships_when_turned_off(tmp_path: Path, wheel_cache: Path) -> None:
    report = _sample_app_zip(tmp_path, wheel_cache, bytecode=False)
    with zipfile.ZipFile(report.path) as package:
        assert not any("__pycache__" in name for name in package.namelist())
    assert report.compiled == 0


def _sample_app_zip(tmp_path: Path, wheel_cache: Path, **options: Any) -> ArchiveReport:
    """sample_app's deployment.zip for this interpreter's runtime and machine."""
    return build_deployment_zip(
        SAMPLE_APP,
        tmp_path / "deployment.zip",
        runtime=HOST_RUNTIME,
        architecture=HOST_ARCHITECTURE,
        cache_dir=wheel_cache,
        **options,
    )
