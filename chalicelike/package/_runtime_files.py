"""Which of chalicelike's own files ship to Lambda: the runtime, never the tools around it.

The list is the import graph from the modules a deployed app imports, lazy imports included,
so a new runtime module ships without being named here; tooling modules are named, and a
runtime module importing one is reported. Sources ship lean: Lambda compiles them at cold start.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import hashlib
import io
import os
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path
from types import CodeType

from ._json_cache import make_cache_dir
from ._wheels import PackagingError, publish

__all__ = [
    "ENTRY_MODULES",
    "TOOLING_MODULES",
    "imports_of",
    "is_tooling",
    "lean_runtime",
    "lean_source",
    "package_modules",
    "runtime_files",
    "runtime_modules",
    "unclassified_modules",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# What a deployed app imports: the package, `chalicelike.app` (Chalice's `chalice.app`) and
# the workflow builder an app.py may declare its workflows with.
ENTRY_MODULES = ("chalicelike", "chalicelike.app", "chalicelike.workflows")
# Never on Lambda, by layout: the command line's entry and the CLI, the test client, the
# tooling layer (config, manifest, project reading, sample events, API Gateway's authorizer
# emulation), the dev server, this packager and the deployer.
TOOLING_MODULES = (
    "chalicelike.__main__",
    "chalicelike.cli",
    "chalicelike.test",
    "chalicelike._tooling",
    "chalicelike._tooling.*",
    "chalicelike.local",
    "chalicelike.local.*",
    "chalicelike.package",
    "chalicelike.package.*",
    "chalicelike.deploy",
    "chalicelike.deploy.*",
)
# A string naming a module, as `importlib.import_module` takes it (the lazy `_LAZY` table).
_MODULE_STRING = re.compile(r"(\.+|chalicelike\.)[A-Za-z_][\w.]*")


def package_modules(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if "__pycache__" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def is_tooling(module: str) -> bool:
    return any(fnmatch.fnmatchcase(module, pattern) for pattern in TOOLING_MODULES)


def runtime_modules(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """The modules reachable from ENTRY_MODULES through any import a process may run."""
    modules = package_modules(package_dir)
    reached = {name for name in ENTRY_MODULES if name in modules}
    pending = sorted(reached)
    while pending:
        module = pending.pop()
        for imported in sorted(imports_of(module, modules) - reached):
            if is_tooling(imported):
                raise PackagingError(
                    f"{module} imports {imported}, which never ships to Lambda: "
                    "import it where the tooling uses it, or remove it from TOOLING_MODULES"
                )
            reached.add(imported)
            pending.append(imported)
    return sorted(reached)


def unclassified_modules(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Modules neither reached from the runtime nor named as tooling (tests keep this empty)."""
    shipped = set(runtime_modules(package_dir))
    return [
        name
        for name in package_modules(package_dir)
        if name not in shipped and not is_tooling(name)
    ]


def runtime_files(package_dir: Path = PACKAGE_DIR) -> list[tuple[str, Path]]:
    """(zip entry name, source file) for every runtime module, sorted by entry name."""
    modules = package_modules(package_dir)
    root = package_dir.parent
    return sorted(
        (modules[name].relative_to(root).as_posix(), modules[name])
        for name in runtime_modules(package_dir)
    )


# Subpackages that are tooling as a whole (a test checks no runtime module imports them).
_TOOLING_PACKAGES = (
    "chalicelike._tooling.",
    "chalicelike.local.",
    "chalicelike.package.",
    "chalicelike.deploy.",
)


def lean_runtime(cache_dir: Path, package_dir: Path = PACKAGE_DIR) -> list[tuple[str, Path]]:
    """(zip entry name, lean copy) for every runtime module, made once per version of our source.

    Finding the modules and leaning them takes a second; reading and hashing the package to
    find the cached copy takes milliseconds, which a repeat `package` is all that pays.
    """
    digest = hashlib.sha256()
    for name, path in sorted(_module_paths(str(package_dir))):
        if name.startswith(_TOOLING_PACKAGES):
            continue  # the dev server and packager never ship; editing them changes nothing
        with open(path, "rb") as file:
            source = file.read()
        digest.update(f"{name}\0{len(source)}\0".encode() + source)
    layer = cache_dir / f"runtime-{digest.hexdigest()[:20]}"
    if not layer.is_dir():
        import tempfile

        make_cache_dir(cache_dir)
        with tempfile.TemporaryDirectory(prefix=".building-", dir=cache_dir) as scratch:
            staged = Path(scratch) / "layer"
            for arcname, module_file in runtime_files(package_dir):
                copy = staged / arcname
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(lean_source(module_file.read_bytes(), str(module_file)))
            publish(staged, layer)
    return sorted((path.relative_to(layer).as_posix(), path) for path in layer.rglob("*.py"))


def _module_paths(package_dir: str) -> Iterator[tuple[str, str]]:
    """(dotted name, file) of every module, as `package_modules` names them, with plain
    strings: a repeat `package` pays this walk, and pathlib's objects cost more than it."""
    root = os.path.dirname(package_dir)
    for folder, subfolders, files in os.walk(package_dir):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        package = os.path.relpath(folder, root).replace(os.sep, ".")
        for name in files:
            if name.endswith(".py"):
                stem = name[:-3]
                yield (
                    (package if stem == "__init__" else f"{package}.{stem}"),
                    os.path.join(folder, name),
                )


def imports_of(module: str, modules: dict[str, Path]) -> set[str]:
    """The package's modules `module` may import at run time (not under TYPE_CHECKING)."""
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    named = _names_imported(path.read_bytes(), str(path), package)
    # Importing `a.b.c` runs `a/__init__` and `a/b/__init__` first: the layers' packages ship.
    parents = {name.rsplit(".", depth)[0] for name in named for depth in range(1, name.count("."))}
    return {name for name in named | parents if name in modules and name != module}


@functools.lru_cache(maxsize=512)
def _names_imported(source: bytes, filename: str, package: str) -> frozenset[str]:
    """Every dotted name an import statement or a module-naming string in `source` reaches."""
    found: set[str] = set()
    for node in _run_time_nodes(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", node.level, package)
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {name for alias in node.names for name in _ancestors(alias.name)}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(_module_named(node.value, package))
    return frozenset(found)


def lean_source(source: bytes, filename: str = "<runtime>") -> bytes:
    """`source` without comments and docstrings, every code line at its own line number.

    Tracebacks from Lambda then point at the lines of the repository's source; a docstring
    becomes "" (no body is left empty). The result must compile to the very bytecode the
    source does (docstrings aside, as `python -OO` compiles both), else the source ships as is.
    """
    try:
        text = source.decode("utf-8")
        tree = ast.parse(text, filename)
        lines = text.splitlines(keepends=True)
        lean = _apply(lines, [*_docstring_edits(tree, lines), *_comment_edits(text)])
        same = _fingerprint(compile(lean, filename, "exec", optimize=2)) == _fingerprint(
            compile(tree, filename, "exec", optimize=2)
        )
    except (SyntaxError, UnicodeDecodeError, tokenize.TokenError, ValueError):
        return source
    return lean.encode("utf-8") if same else source


def _run_time_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the body only runs under a type checker
        else:
            stack.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str, level: int, package: str) -> str:
    if level == 0:
        return name
    base = package.rsplit(".", level - 1)[0] if level > 1 else package
    return f"{base}.{name}" if name else base


def _module_named(text: str, package: str) -> str:
    """The module a string names, as importlib.import_module(text, package) would ('' if none)."""
    if not _MODULE_STRING.fullmatch(text):
        return ""
    name = text.lstrip(".")
    return _resolve(name, len(text) - len(name), package)


def _ancestors(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _fingerprint(code: CodeType) -> tuple[object, ...]:
    """What a code object does and the line each instruction reports (not its columns)."""
    return (
        code.co_code,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        [line for _, _, line in code.co_lines()],
        [_fingerprint(c) if isinstance(c, CodeType) else c for c in code.co_consts],
    )


Edit = tuple[int, int, int, int, str]  # start line, start column, end line, end column, text


def _docstring_edits(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    for docstring in _docstrings(tree):
        start, end = docstring.lineno, docstring.end_lineno or docstring.lineno
        # ast columns count UTF-8 bytes; the edits count characters.
        start_col = _char_column(lines[start - 1], docstring.col_offset)
        end_col = _char_column(lines[end - 1], docstring.end_col_offset or 0)
        yield (start, start_col, end, end_col, '""' + "\n" * (end - start))


def _docstrings(tree: ast.Module) -> Iterator[ast.Expr]:
    """The docstring statements, found by walking statements only (expressions hold none)."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if isinstance(node, owners) and body:
            first = body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                yield first
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(child for child in children if isinstance(child, ast.AST))


def _comment_edits(text: str) -> Iterator[Edit]:
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            (row, col), (_, end) = token.start, token.end
            yield (row, col, row, end, "")


def _char_column(line: str, byte_offset: int) -> int:
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8"))


def _apply(lines: list[str], edits: list[Edit]) -> str:
    out = list(lines)
    for start, start_col, end, end_col, text in sorted(edits, reverse=True):
        head, tail = out[start - 1][:start_col], out[end - 1][end_col:]
        if not text and not tail.strip():  # a comment to the end of its line
            head, tail = head.rstrip(), "\n" if tail.endswith("\n") else ""
        merged = (head + text + tail).split("\n")
        replacement = [part + "\n" for part in merged[:-1]] + ([merged[-1]] if merged[-1] else [])
        out[start - 1 : end] = replacement
    return "".join(out)
