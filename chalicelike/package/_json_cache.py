"""A JSON value kept in a file under `.chalice/cache/`, computed only when the file is missing
or unreadable: what a repeat `package` reads instead of redoing slow work."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cached_json", "make_cache_dir", "read_cached", "write_cached"]

# As .pytest_cache does: the folder ignores itself, so a project made without new-project's
# .gitignore never commits its wheels (tens of MB) by accident.
_GITIGNORE = "# Made by chalicelike package: a cache, rebuilt when missing.\n*\n"


def read_cached(path: Path) -> Any:
    """The cached value, or None when there is none (or it cannot be read)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def cached_json(path: Path, compute: Callable[[], Any]) -> Any:
    value = read_cached(path)
    if value is None:
        value = compute()
        write_cached(path, value)
    return value


def write_cached(path: Path, value: Any) -> None:
    """Written aside, then renamed: a reader never sees half a file, and two runs at once
    never share a temporary file."""
    make_cache_dir(path.parent)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value), encoding="utf-8")
    temporary.replace(path)


def make_cache_dir(folder: Path) -> None:
    """Create the cache folder with a `.gitignore` of `*` in it (also one made before
    chalicelike wrote that file). Written aside and renamed, as the cache's files are."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        temporary = ignore.with_name(f".gitignore.{os.getpid()}.tmp")
        temporary.write_text(_GITIGNORE, encoding="utf-8")
        temporary.replace(ignore)
