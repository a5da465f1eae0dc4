"""The `chalicelike` command. Never imported on the Lambda path.

For now it has one command, `local`, which serves the project's `app.py` on
uvicorn with the stage's environment variables applied; the full dev server
(API Gateway events, workers, reload) replaces it later.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from ._config import ConfigError, stage_environment
from ._errors import ChaliceError

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def load_app(project_dir: Path) -> Any:
    """Import `<project_dir>/app.py` and return its `app`, or say clearly why not."""
    app_file = project_dir / "app.py"
    if not app_file.is_file():
        raise ChaliceError(f"No app.py in {project_dir.resolve()}; pass --project-dir")
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


def _local(args: argparse.Namespace) -> int:
    import uvicorn

    project_dir = Path(args.project_dir)
    os.environ.update(stage_environment(project_dir, args.stage))
    app = load_app(project_dir)
    print(f"Serving {project_dir.resolve()}/app.py on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chalicelike", description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".", help="folder holding app.py")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="serve the app on 127.0.0.1 for development")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=8000)
    local.add_argument("--stage", default="dev")
    local.set_defaults(run=_local)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except (ChaliceError, ConfigError) as error:
        print(f"chalicelike: error: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
