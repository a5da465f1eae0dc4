"""The `chalicelike` command. Never imported on the Lambda path.

For now it has one command, `local`, which serves the project's `app.py` on
uvicorn with the stage's environment variables applied; the full dev server
(API Gateway events, workers, reload) replaces it later.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._config import ConfigError, stage_environment
from ._errors import ChaliceError
from ._project import load_app


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
