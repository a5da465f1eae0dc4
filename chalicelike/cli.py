"""The `chalicelike` command: parses arguments and hands each command to its module.

Never imported on the Lambda path. Each command module exposes `register(commands)`,
which adds its subparser and sets `run`; the modules are imported here, cheaply, and
import their heavy dependencies (uvicorn, watchfiles, boto3) only when they run.
"""

from __future__ import annotations

import argparse
import sys

from ._config import ConfigError
from ._errors import ChaliceError


def build_parser() -> argparse.ArgumentParser:
    from .local import _event_samples, _invoke_command, _server

    parser = argparse.ArgumentParser(
        prog="chalicelike", description="Chalice-compatible apps on AWS Lambda."
    )
    parser.add_argument("--project-dir", default=".", help="folder holding app.py")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (_server, _invoke_command, _event_samples):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except (ChaliceError, ConfigError) as error:
        print(f"chalicelike: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
