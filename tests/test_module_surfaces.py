"""Each private module of the package (every layer, local/, package/) and the CLI states
its surface in `__all__`, placed after its imports (httpx's style): what other modules
import from it, all of it defined there. ruff (RUF022) keeps each `__all__` sorted.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util

import pytest

from tests.test_layers import PACKAGE_DIR, modules, parse_module

# Every private module (`_name.py`) of every layer, and the CLI.
CHECKED = sorted(
    name
    for name, path in modules().items()
    if (path.name.startswith("_") and path.name != "__init__.py") or name == "chalicelike.cli"
)


@functools.cache
def _imports_by_name() -> dict[str, set[str]]:
    """For each module, the names other modules of the package import from it by name."""
    names: dict[str, set[str]] = {}
    for module, path in modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(parse_module(path)):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            if source != module:
                names.setdefault(source, set()).update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", CHECKED)
def test_all_is_after_the_imports_and_names_what_others_import(module: str) -> None:
    path = modules()[module]
    tree = parse_module(path)
    assigned = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert len(assigned) == 1, f"{path.relative_to(PACKAGE_DIR.parent)} has no __all__"
    later_imports = [
        node.lineno
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno > assigned[0].lineno
    ]
    assert later_imports == [], "__all__ goes after the module's imports"
    surface = importlib.import_module(module).__all__
    assert len(set(surface)) == len(surface)
    assert all(hasattr(importlib.import_module(module), name) for name in surface)
    assert _imports_by_name().get(module, set()) <= set(surface)
