"""The import rules of docs/architecture.md, checked on the source.

Every import a process may run counts: top-level and deferred (inside a function), relative and
absolute; only imports under `if TYPE_CHECKING:` are left out, since they never run.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "chalicelike"

# Runtime layers may import only these layers (and themselves); the top-level runtime
# modules compose the layers.
RUNTIME_RULES = {
    "_core": {"_core"},
    "_doors": {"_core", "_doors"},
    "_events": {"_core", "_events", "_contracts"},  # a handler declaring a model
    "_auth": {"_core", "_auth"},
    "_observe": {"_core", "_observe"},
    "_workflows": {"_core", "_workflows"},
    "_contracts": {"_core", "_contracts"},
}
RUNTIME_TOP = {
    "chalicelike",
    "chalicelike.app",
    "chalicelike._app",
    "chalicelike._registry",
    "chalicelike.workflows",
}
TOOLING = ("chalicelike.cli", "chalicelike.test", "chalicelike._tooling", "chalicelike.local")
PACKAGER = "chalicelike.package"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if "__pycache__" not in parts:
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def parse_module(path: Path) -> ast.Module:
    """`ast.parse`, once more if CPython 3.11 raises its spurious "AST constructor recursion
    depth mismatch" SystemError (seen once in a full run here; CPython keeps that counter per
    interpreter, and each call resets it, so a retry sees the real answer)."""
    source = path.read_text()
    try:
        return ast.parse(source, str(path))
    except SystemError:
        return ast.parse(source, str(path))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Our modules `module` imports: the longest known module name each import names."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(name: str) -> None:
        while name not in known and "." in name:
            name = name.rpartition(".")[0]
        if name in known and name != module:
            found.add(name)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("chalicelike"):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("chalicelike"):
                target = node.module
            else:
                return
            for alias in node.names:
                add(f"{target}.{alias.name}")
        for inner in ast.iter_child_nodes(node):
            visit(inner)

    visit(parse_module(path))
    return found


@functools.cache  # the source does not change during a run
def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: _imported_names(name, path, known) for name, path in known.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in RUNTIME_RULES else None


def _is_runtime(module: str) -> bool:
    return module in RUNTIME_TOP or _layer(module) is not None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_graph_sees_deferred_and_relative_imports() -> None:
    graph = import_graph()
    # _app imports the Lambda door only when the first event arrives.
    assert "chalicelike._doors._lambda_http" in graph["chalicelike._app"]
    assert "chalicelike._core._errors" in graph["chalicelike._core._routing"]


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_runtime_modules_import_no_tooling() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _is_runtime(module)
        for target in sorted(targets)
        if target.startswith((*TOOLING, PACKAGER)) or not _is_runtime(target)
    ]
    assert wrong == []


@pytest.mark.parametrize("layer", sorted(RUNTIME_RULES))
def test_each_runtime_layer_imports_only_what_it_may(layer: str) -> None:
    allowed = RUNTIME_RULES[layer]
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _layer(module) == layer
        for target in sorted(targets)
        if _layer(target) not in allowed
    ]
    assert wrong == []


def test_tooling_never_imports_the_dev_server_or_the_packager() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.startswith("chalicelike._tooling")
        for target in sorted(targets)
        if target.startswith(("chalicelike.local", PACKAGER))
    ]
    assert wrong == []


def test_the_dev_server_and_the_packager_keep_apart() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.startswith(("chalicelike.local", PACKAGER))
        for target in sorted(targets)
        if target.split(".")[1] in {"local", "package"}
        and target.split(".")[1] != module.split(".")[1]
    ]
    assert wrong == []
