"""Which of chalicelike's files ship to Lambda, found from the import graph; lean sources."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chalicelike
from chalicelike.package import _runtime_files
from chalicelike.package._runtime_files import (
    is_tooling,
    lean_runtime,
    lean_source,
    runtime_files,
    runtime_modules,
    unclassified_modules,
)
from chalicelike.package._wheels import PackagingError


def test_every_module_ships_or_is_named_as_tooling() -> None:
    # A module neither imported by the runtime nor listed as tooling is a decision not taken.
    assert unclassified_modules() == []


def test_the_runtime_holds_the_core_and_none_of_the_tooling() -> None:
    shipped = set(runtime_modules())
    core = {"chalicelike", "chalicelike.app", "chalicelike._app", "chalicelike._doors._lambda_http"}
    lazy = {
        "chalicelike._doors._asgi",
        "chalicelike._core._coroutines",
        "chalicelike._doors._hosted_apps",
    }
    assert core | lazy <= shipped
    tooling = {
        "chalicelike.cli",
        "chalicelike.test",
        "chalicelike._tooling._project",
        "chalicelike._tooling._manifest",
        "chalicelike._tooling._config",
        "chalicelike._tooling._settings",
        "chalicelike._tooling._test_events",
        "chalicelike.local",
        "chalicelike.package",
        "chalicelike.package._archive",
    }
    assert not shipped & tooling
    assert all(is_tooling(name) for name in tooling)


def test_modules_named_in_the_lazy_table_ship() -> None:
    lazy = {"chalicelike" + module for module in vars(chalicelike)["_LAZY"].values()}
    assert lazy <= set(runtime_modules())


def test_whatever_the_public_names_load_is_shipped() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        import chalicelike, chalicelike.app
        for name in chalicelike.__all__:
            getattr(chalicelike, name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "chalicelike")))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(json.loads(done.stdout)) <= set(runtime_modules())


def test_runtime_files_are_named_as_in_the_zip() -> None:
    names = [name for name, _ in runtime_files()]
    assert names == sorted(names)
    assert "chalicelike/__init__.py" in names
    assert "chalicelike/cli.py" not in names
    assert all(path.is_file() for _, path in runtime_files())


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "chalicelike"
    for name, source in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(textwrap.dedent(source))
    return package


def test_a_new_module_ships_once_anything_imports_it(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "def later():\n    from ._new import thing\n",
            "_new.py": "thing = 1\n",
            "_by_name.py": "",
            "app.py": "import importlib\nimportlib.import_module('._by_name', 'chalicelike')\n",
            "_orphan.py": "",
            "cli.py": "",
        },
    )
    assert runtime_modules(package) == [
        "chalicelike",
        "chalicelike._by_name",
        "chalicelike._new",
        "chalicelike.app",
    ]
    assert unclassified_modules(package) == ["chalicelike._orphan"]


def test_a_runtime_module_importing_tooling_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "from . import _core\n",
            "_core.py": "def run():\n    from .local import _server\n",
            "local/__init__.py": "",
            "local/_server.py": "",
        },
    )
    with pytest.raises(PackagingError, match=r"chalicelike\._core imports chalicelike\.local"):
        runtime_modules(package)


def test_imports_for_the_type_checker_only_do_not_count(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": """\
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from ._settings import FunctionConfig
                else:
                    from . import _real
                """,
            "_settings.py": "",
            "_real.py": "",
        },
    )
    assert runtime_modules(package) == ["chalicelike", "chalicelike._real"]


LEAN_INPUT = '''\
"""Module docstring,
over two lines."""

import os  # why os


class Thing:
    """Only a docstring."""


def f(x: int) -> str:
    """Doc."""
    # a comment line
    text = "# not a comment"  # trailing remark
    return text + f"{x} # still not"
'''


def test_lean_source_drops_comments_and_docstrings_and_keeps_line_numbers() -> None:
    lean = lean_source(LEAN_INPUT.encode()).decode()
    assert lean.count("\n") == LEAN_INPUT.count("\n")
    for dropped in ("docstring", "two lines", "Only a", "Doc.", "why os", "comment line", "remark"):
        assert dropped not in lean
    assert '"# not a comment"' in lean and "# still not" in lean
    namespace: dict[str, object] = {}
    exec(compile(lean, "lean", "exec"), namespace)
    assert namespace["f"](7) == "# not a comment7 # still not"  # type: ignore[operator]
    for number, line in enumerate(LEAN_INPUT.splitlines(), 1):
        if line.startswith(("    text", "    return", "def f", "class Thing", "import os")):
            assert lean.splitlines()[number - 1].strip() == line.split("  #")[0].strip()


def test_lean_source_leaves_what_it_cannot_parse_alone() -> None:
    broken = b"def f(:\n    pass  # comment\n"
    assert lean_source(broken) == broken
    not_utf8 = b"# -*- coding: latin-1 -*-\nname = '\xe9'\n"
    assert lean_source(not_utf8) == not_utf8


@pytest.fixture(scope="module")
def lean_layer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, Path]]]:
    cache = tmp_path_factory.mktemp("runtime-cache")
    return cache, lean_runtime(cache)


def test_the_lean_runtime_is_every_runtime_module_with_its_lines_in_place(
    lean_layer: tuple[Path, list[tuple[str, Path]]],
) -> None:
    _, layer = lean_layer
    sources = runtime_files()
    assert [name for name, _ in layer] == [name for name, _ in sources]
    for (_, lean_file), (name, source_file) in zip(layer, sources, strict=True):
        lean, source = lean_file.read_bytes(), source_file.read_bytes()
        assert lean != source, f"{name} shipped as is: lean_source could not rewrite it"
        assert lean.count(b"\n") == source.count(b"\n")


def test_the_lean_runtime_is_made_once_per_version_of_the_source(
    lean_layer: tuple[Path, list[tuple[str, Path]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, layer = lean_layer

    def no_second_lean(source: bytes, filename: str = "") -> bytes:
        raise AssertionError("the cached layer should have been used")

    monkeypatch.setattr(_runtime_files, "lean_source", no_second_lean)
    assert lean_runtime(cache) == layer
