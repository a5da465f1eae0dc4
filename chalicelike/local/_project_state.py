"""The app the dev server is serving right now, and hot reload when its files change.

`ProjectState.current()` is what every request asks first: the latest manifest, waiting
for a reload in flight so that a request sent after a save sees the new code, or an
`AppLoadError` (a syntax error, say) until the files are fixed; the server keeps running
either way. A change also hands the local Lambda new function specs, which retires the
workers running the old code.

The file watcher reports a save some 20-100 ms late, so each request also compares the
app's few source files with their state at the last read (`SourceSnapshot`, a stat per
file) and reloads first if one changed: a request sent after a save gets the new code.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from .._tooling._config import ConfigError
from .._tooling._describe import AppLoadError, describe_project
from .._tooling._manifest import AppManifest
from ._functions import function_specs
from ._invocation import FunctionSpec

__all__ = ["ProjectState", "is_relevant_change", "logger", "watch_project"]

logger = logging.getLogger("chalicelike.local")

# Folders whose changes never alter what the app serves.
_IGNORED_DIRS = frozenset(
    {".git", "__pycache__", ".venv", "venv", "env", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", "~", ".tmp")
# A chalicelib/ with more files than this is left to the watcher alone: the per-request
# check must stay a few microseconds.
MAX_CHECKED_FILES = 200

FileState = tuple[int, int, int]  # (st_mtime_ns, st_size, st_ino); (0, 0, 0): absent


class SourceSnapshot:
    """The state of app.py, .chalice/config.json and chalicelib/ (files and folders: a new
    file changes its folder's mtime) at one moment; `changed()` stats them again.

    vendor/ is not in it (often thousands of files): its changes are the watcher's.
    """

    def __init__(self, project_dir: Path) -> None:
        paths = [project_dir / "app.py", project_dir / ".chalice" / "config.json"]
        library = project_dir / "chalicelib"
        paths.append(library)
        for folder, dirs, files in os.walk(library):
            dirs[:] = [name for name in dirs if name not in _IGNORED_DIRS]
            base = Path(folder)
            paths.extend(base / name for name in dirs)
            paths.extend(base / name for name in files if not name.endswith(_IGNORED_SUFFIXES))
            if len(paths) > MAX_CHECKED_FILES:
                break
        self.complete = len(paths) <= MAX_CHECKED_FILES
        self.files = {str(path): _file_state(str(path)) for path in paths}

    def changed(self) -> bool:
        return any(_file_state(path) != state for path, state in self.files.items())


def _file_state(path: str) -> FileState:
    try:
        info = os.stat(path)
    except OSError:
        return (0, 0, 0)
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class ReplacesFunctions(Protocol):
    def replace_functions(self, specs: Iterable[FunctionSpec]) -> None: ...


class ProjectState:
    def __init__(
        self, project_dir: Path, stage: str, local_lambda: ReplacesFunctions | None = None
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.stage = stage
        self.local_lambda = local_lambda
        self.generation = 0  # bumped on every successful (re)load
        self._manifest: AppManifest | None = None
        self._specs: list[FunctionSpec] = []
        self._error: str | None = "the app has not been read yet"
        self._loading: asyncio.Task[None] | None = None
        self._snapshot: SourceSnapshot | None = None  # the sources as the last read saw them

    @property
    def specs(self) -> list[FunctionSpec]:
        return list(self._specs)

    async def current(self) -> AppManifest:
        """The app as of the last change on disk; AppLoadError while it cannot be read."""
        snapshot = self._snapshot
        if self._loading is None and snapshot is not None and snapshot.changed():
            self.reload()  # saved, and the watcher has not said so yet
        while (loading := self._loading) is not None:
            try:
                await asyncio.shield(loading)
            except asyncio.CancelledError:
                # A newer save superseded that read: wait for the newer one instead. Our
                # own cancellation (the client went away) still propagates.
                if not loading.cancelled():
                    raise
            if loading is self._loading:
                break
        if self._manifest is None or self._error is not None:
            raise AppLoadError(self._error or "the app has not been read yet")
        return self._manifest

    def on_change(self, paths: Iterable[str]) -> None:
        """The watcher saw these files change: reload, unless a request already did."""
        snapshot = self._snapshot
        if (
            snapshot is not None
            and snapshot.complete
            and all(path in snapshot.files for path in paths)
            and not snapshot.changed()
        ):
            return  # the last read (or the one in flight) began after these changes
        self.reload()

    async def close(self) -> None:
        """Stop a read in flight (its child is killed): the server is stopping."""
        loading, self._loading = self._loading, None
        if loading is not None and not loading.done():
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)

    def reload(self) -> asyncio.Task[None]:
        """Read the app again (after a change); requests wait for the newest read."""
        previous = self._loading
        self._loading = asyncio.ensure_future(self._load(previous))
        return self._loading

    async def _load(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            previous.cancel()
        # Taken before reading: a save during the read is seen by the next request.
        self._snapshot = SourceSnapshot(self.project_dir)
        # Workers for the new code start beside the read, not after it (the worker pool's
        # spares; the in-process runner has none): a reload costs one child's start, not two.
        prepare = getattr(self.local_lambda, "prepare_reload", None)
        if prepare is not None:
            prepare()
        try:
            manifest = await describe_project(self.project_dir, self.stage)
            specs = function_specs(manifest, self.project_dir, self.stage)
        except (AppLoadError, ConfigError) as error:
            discard = getattr(self.local_lambda, "discard_spares", None)
            if discard is not None:
                discard()  # the broken code's workers: never taken, so never kept
            self._error = str(error)
            logger.error("chalicelike local: the app cannot be served: %s", error)
            return
        finally:
            if self._loading is asyncio.current_task():
                self._loading = None
        self._manifest, self._specs, self._error = manifest, specs, None
        self.generation += 1
        for problem in manifest.deploy_problems:
            # Chalice accepts these and so do we, locally; `package` refuses them.
            logger.warning("chalicelike local: AWS would refuse this on deploy: %s", problem)
        if self.local_lambda is not None:
            self.local_lambda.replace_functions(specs)


def is_relevant_change(project_dir: Path, path: str) -> bool:
    """Whether a changed file can change what the app serves: app.py, chalicelib/,
    vendor/ and .chalice/config.json; never caches, virtualenvs or `.git`."""
    try:
        relative = Path(path).resolve().relative_to(project_dir)
    except ValueError:
        return False
    parts = relative.parts
    if (
        not parts
        or any(part in _IGNORED_DIRS for part in parts)
        or path.endswith(_IGNORED_SUFFIXES)
    ):
        return False
    if parts == ("app.py",) or parts == (".chalice", "config.json"):
        return True
    return parts[0] in ("chalicelib", "vendor")


async def watch_project(project_dir: Path, on_change: Callable[[set[str]], object]) -> None:
    """Call `on_change(paths)` for every batch of relevant changes, until cancelled.

    The project folder itself is watched flat and only chalicelib/, vendor/ and .chalice/
    recursively: a virtualenv inside the project would cost thousands of inotify watches.
    """
    import watchfiles

    project_dir = project_dir.resolve()

    def relevant(change: watchfiles.Change, path: str) -> bool:
        return is_relevant_change(project_dir, path)

    async def watch(paths: list[Path], recursive: bool) -> None:
        # step: a batch is reported once files have been quiet for 20 ms, so a save is
        # seen at once; the default (50 ms quiet, 1.6 s debounce) is felt on every edit.
        async for changes in watchfiles.awatch(
            *paths, watch_filter=relevant, step=20, debounce=400, recursive=recursive
        ):
            on_change({path for _, path in changes})

    nested = [project_dir / name for name in ("chalicelib", "vendor", ".chalice")]
    watchers = [watch([project_dir], recursive=False)]
    if any(path.is_dir() for path in nested):
        watchers.append(watch([p for p in nested if p.is_dir()], recursive=True))
    await asyncio.gather(*watchers)
