"""Finding and importing a project's `app.py` for the CLI, the dev server and the packager.

Errors point into the user's code (file and line), never into ours.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from typing import Any

from .._core._errors import ChaliceError

__all__ = ["app_sources", "load_app"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # chalicelike/, every layer


def load_app(project_dir: Path) -> Any:
    """Import `<project_dir>/app.py` and return its `app`, or say clearly why not."""
    app_file = project_dir / "app.py"
    if not app_file.is_file():
        raise ChaliceError(f"No app.py in {project_dir.resolve()}; pass --project-dir")
    # As on Lambda, where vendor/'s contents sit beside app.py at /var/task (and as Chalice
    # reads an app): the project first, then vendor/.
    vendor = project_dir / "vendor"
    if vendor.is_dir():
        sys.path.insert(0, str(vendor.resolve()))
    sys.path.insert(0, str(project_dir.resolve()))
    spec = importlib.util.spec_from_file_location("app", app_file)
    if spec is None or spec.loader is None:
        raise ChaliceError(f"Cannot import {app_file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise ChaliceError(_import_failure(app_file, error)) from None
    app = getattr(module, "app", None)
    if app is None:
        raise ChaliceError(f"{app_file} defines no variable named 'app'")
    if not callable(app):
        # Lambda calls `app.app`: a Chalice app, or a handler such as asgi_handler(...).
        raise ChaliceError(
            f"{app_file}: app must be a Chalice app or a Lambda handler, not "
            f"{type(app).__name__} {app!r:.60}"
        )
    return app


def _import_failure(app_file: Path, error: BaseException) -> str:
    """Say why importing the user's app failed, pointing into their code, not ours."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith((_PACKAGE_DIR, "<frozen"))
    ]
    detail = "".join(traceback.format_exception_only(error)).strip()
    if isinstance(error, ChaliceError) and frames:
        # Our own error (a RegistrationError, say) already says what to fix; add where.
        last = frames[-1]
        return f"{last.filename}, line {last.lineno}: {error}"
    return f"importing {app_file} failed:\n{''.join(traceback.format_list(frames))}{detail}"


def app_sources(project_dir: Path) -> list[Path]:
    """The app's own Python files: app.py and every module under chalicelib/, in order."""
    sources = [project_dir / "app.py", *sorted((project_dir / "chalicelib").rglob("*.py"))]
    return [path for path in sources if path.is_file() and "__pycache__" not in path.parts]
