"""Bytecode for the zip's modules, compiled for the target runtime's Python, cached by content.

/var/task is read-only, so without a shipped .pyc every cold start compiles every module it
imports. The .pyc files are hash-based and unchecked (PEP 552): the zip's fixed timestamps
never invalidate them, and Lambda's importer loads them without reading the source's hash.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ._json_cache import make_cache_dir

__all__ = ["FORMAT", "Bytecode", "compile_sources", "find_interpreter", "pyc_name"]

# Run by the target's interpreter: compile each source as py_compile does with
# PycInvalidationMode.UNCHECKED_HASH (flags 0b01: hash-based, never checked), and write it
# aside then rename. A source that does not compile for this version (Python 2 files some
# wheels keep) gets an empty file: no bytecode, as compileall skips it.
_COMPILER = """
import importlib.util, json, marshal, os, sys
want, jobs = json.loads(sys.stdin.read())
if list(sys.version_info[:2]) != want:
    sys.exit(3)
for name, source, out in jobs:
    data = source.encode("latin-1")
    try:
        code = compile(data, name, "exec", dont_inherit=True, optimize=0)
        pyc = (importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little")
               + importlib.util.source_hash(data) + marshal.dumps(code))
    except (SyntaxError, ValueError):
        pyc = b""
    with open(out + ".tmp", "wb") as file:
        file.write(pyc)
    os.replace(out + ".tmp", out)
"""
FORMAT = 1  # bump when what a cached .pyc holds changes


@dataclass(frozen=True)
class Bytecode:
    """The .pyc of each module compiled (zip entry name -> bytes), or why there are none."""

    pycs: dict[str, bytes]
    missing: str = ""  # one line: why no bytecode ships ("" when it does)


def pyc_name(source_name: str, runtime: str) -> str:
    """Where CPython looks for `source_name`'s bytecode: `__pycache__/<stem>.cpython-3X.pyc`."""
    path = PurePosixPath(source_name)
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    return str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc").removeprefix("./")


def find_interpreter(runtime: str) -> Iterator[str]:
    """Interpreters that may be `runtime`'s Python, best first: this one when it matches, then
    `python3.X` on PATH (a pyenv shim included), then pyenv's installed versions. The compiler
    checks the version it runs under, so a shim for a version not selected is passed over."""
    import glob
    import shutil

    version = runtime.removeprefix("python")
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        yield sys.executable
    on_path = shutil.which(runtime)
    if on_path:
        yield on_path
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    yield from sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", runtime)))


def compile_sources(sources: dict[str, bytes], runtime: str, cache_dir: Path) -> Bytecode:
    """The bytecode of each (zip entry name, source) for `runtime`, from the cache when that
    name and source were compiled before; what is missing is compiled in one child process."""
    folder = cache_dir / f"bytecode-{FORMAT}-{runtime}"
    wanted = {name: folder / f"{_key(name, source)}.pyc" for name, source in sources.items()}
    found = {name: _read(path) for name, path in wanted.items()}
    todo = {name: path for name, path in wanted.items() if found[name] is None}
    if todo:
        make_cache_dir(cache_dir)
        folder.mkdir(exist_ok=True)
        jobs = [(name, sources[name], str(path)) for name, path in sorted(todo.items())]
        missing = _run_compiler(runtime, jobs)
        if missing:
            return Bytecode({}, missing)
        found.update((name, _read(path)) for name, path in todo.items())
    return Bytecode({name: pyc for name, pyc in found.items() if pyc})


def _key(name: str, source: bytes) -> str:
    return hashlib.sha256(name.encode() + b"\0" + source).hexdigest()[:32]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _run_compiler(runtime: str, jobs: list[tuple[str, bytes, str]]) -> str:
    """Compile `jobs` with the first interpreter of `runtime` that runs; why not, or ""."""
    import json
    import subprocess

    want = [int(part) for part in runtime.removeprefix("python").split(".")]
    payload = json.dumps([want, [(n, s.decode("latin-1"), out) for n, s, out in jobs]])
    # A fixed hash seed: a set or frozenset constant (`x in {"a", "b"}`) is marshalled in
    # its iteration order, which string hashing randomizes per process.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONOPTIMIZE", None)
    for interpreter in find_interpreter(runtime):
        try:
            done = subprocess.run(
                [interpreter, "-S", "-s", "-c", _COMPILER],
                input=payload.encode(),
                capture_output=True,
                env=env,
                check=False,
            )
        except OSError:
            continue
        if done.returncode == 0:
            return ""
    return (
        f"no {runtime} interpreter here (on PATH or pyenv's): deployment.zip ships sources "
        "only, which Lambda compiles at every cold start"
    )
