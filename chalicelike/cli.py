"""The `chalicelike` command: parses arguments and hands each command to its module.

Never imported on the Lambda path. Each command module exposes `register(commands)`,
which adds its subparser and sets `run`; the modules are imported here, cheaply, and
import their heavy dependencies (uvicorn, watchfiles, boto3) only when they run.
"""

from __future__ import annotations

import argparse
import sys

from ._core._errors import ChaliceError
from ._tooling._config import ConfigError

__all__ = ["COMMANDS", "build_parser", "main"]

# Each command's module; only the one being run is imported (a whole 0.1 s of imports
# otherwise, paid by every `package` and `invoke`).
COMMANDS = {
    "local": "chalicelike.local._server",
    "invoke": "chalicelike.local._invoke_command",
    "generate-event": "chalicelike.local._event_samples",
    "package": "chalicelike.package._command",
    "generate-models": "chalicelike.package._command",
    "new-project": "chalicelike._tooling._new_project",
    "deploy": "chalicelike.deploy._commands",
    "delete": "chalicelike.deploy._commands",
    "url": "chalicelike.deploy._commands",
    "versions": "chalicelike.deploy._commands",
    "rollback": "chalicelike.deploy._commands",
    "logs": "chalicelike.deploy._logs",
}


class _Version(argparse.Action):
    """`--version`: reads the installed distribution's version only when asked (importing
    importlib.metadata and reading the version took ~25 ms here, which no other command pays)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("chalicelike")
        except PackageNotFoundError:  # run from a source tree that was never installed
            found = "unknown"
        print(f"chalicelike {found}")
        parser.exit(0)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` alone, or for every command (for --help and errors)."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="chalicelike", description="Chalice-compatible apps on AWS Lambda."
    )
    parser.add_argument("--project-dir", default=".", help="folder holding app.py")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True)
    modules = [module for name, module in COMMANDS.items() if command in (None, name)]
    for module in dict.fromkeys(modules):
        importlib.import_module(module).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((arg for arg in argv if arg in COMMANDS), None)
    args = build_parser(command).parse_args(argv)
    try:
        result: int = args.run(args)
        sys.stdout.flush()  # here, so a closed pipe is seen while we can still handle it
    except (ChaliceError, ConfigError) as error:
        print(f"chalicelike: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `generate-models | head`: the reader has what it wanted. Point stdout at
        # /dev/null so the interpreter's last flush does not complain either.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return result


if __name__ == "__main__":
    sys.exit(main())
