"""The `chalicelike` command: a click group whose commands live in their own modules.

Never imported on the Lambda path. `COMMANDS` names each command's module and one-line
help; only the module of the command being run is imported (the others would cost 0.1 s
of imports on every `package` or `invoke`), and `--help` lists the commands from the table.
The console script enters through `__main__`, which answers a `package` repeat with nothing
changed before this module (and click) is imported; `python -m chalicelike.cli` does the same.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":  # `python -m chalicelike.cli`
    # A `package` repeat with nothing changed is answered before click and the packager are
    # imported (~50 ms of a repeat's ~80); anything else goes on to click below.
    from .package._repeat import answer_repeat

    if (_status := answer_repeat(sys.argv[1:])) is not None:
        sys.exit(_status)

import argparse
from typing import Any, NamedTuple

import click

from ._core._errors import ChaliceError

__all__ = ["COMMANDS", "LazyGroup", "chalicelike", "main"]


class CommandEntry(NamedTuple):
    target: str  # "module:attribute" of the click command
    help: str  # what `chalicelike --help` shows, without importing the module


COMMANDS = {
    "local": CommandEntry(
        "chalicelike.local._server:command",
        "serve the app as API Gateway + Lambda on this machine",
    ),
    "invoke": CommandEntry(
        "chalicelike.local._invoke_command:command",
        "run one of the app's functions once and print its payload",
    ),
    "workflow": CommandEntry(
        "chalicelike.local._workflow_command:command",
        "start one of the app's workflows on the running local cloud and print its output",
    ),
    "generate-event": CommandEntry(
        "chalicelike.local._event_samples:command",
        "print a sample event for an event source, or for one of the app's functions",
    ),
    "package": CommandEntry(
        "chalicelike.package._command:package_command",
        "write deployment.zip and an infrastructure template to OUTDIR",
    ),
    "generate-models": CommandEntry(
        "chalicelike.package._command:models_command",
        "print the REST API as an OpenAPI 3 document",
    ),
    "new-project": CommandEntry(
        "chalicelike._tooling._new_project:command",
        "create a project folder to start from",
    ),
    "deploy": CommandEntry(
        "chalicelike.deploy._commands:deploy_command",
        "package the app and deploy the stage to AWS (CloudFormation)",
    ),
    "delete": CommandEntry(
        "chalicelike.deploy._commands:delete_command",
        "delete everything the stage's deploy made",
    ),
    "url": CommandEntry("chalicelike.deploy._commands:url_command", "print the stage's API URL(s)"),
    "versions": CommandEntry(
        "chalicelike.deploy._commands:versions_command",
        "list the stage's releases, or one function's versions",
    ),
    "rollback": CommandEntry(
        "chalicelike.deploy._commands:rollback_command",
        "point the stage's aliases back to an earlier release",
    ),
    "logs": CommandEntry(
        "chalicelike.deploy._logs:command", "print a deployed function's CloudWatch logs"
    ),
}


def _project_dir_after_the_command(ctx: click.Context, _: click.Parameter, value: Any) -> None:
    """`chalicelike deploy --project-dir X`, as users type it, means what Chalice's
    `chalice --project-dir X deploy` does; given in both places, the later one wins."""
    if value is not None:
        ctx.obj.project_dir = value


class LazyGroup(click.Group):
    """Commands from `COMMANDS`, each module imported only when its command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        import importlib

        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, _, attribute = entry.target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        if not any(param.name == "project_dir_again" for param in command.params):
            command.params.append(
                click.Option(
                    ["--project-dir", "project_dir_again"],
                    expose_value=False,
                    callback=_project_dir_after_the_command,
                    help="folder holding app.py (as before the command)",
                )
            )
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The table's help, not each command's: listing must not import every module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.help) for name, entry in COMMANDS.items()])


def _print_version(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    """Reads the installed distribution's version only when asked (importing
    importlib.metadata and reading the version took ~25 ms here, which no other command pays)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("chalicelike")
    except PackageNotFoundError:  # run from a source tree that was never installed
        found = "unknown"
    click.echo(f"chalicelike {found}")
    ctx.exit(0)


@click.group(
    cls=LazyGroup,
    help="Chalice-compatible apps on AWS Lambda.",
    context_settings={
        "show_default": True,
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
    },
)
@click.option("--project-dir", default=".", help="folder holding app.py")
@click.option("--debug", is_flag=True, help="on an error, print its traceback; log at DEBUG")
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_print_version,
    help="print the version and exit",
)
@click.pass_context
def chalicelike(ctx: click.Context, project_dir: str, debug: bool) -> None:
    # What every command's arguments start from (commands read args.project_dir).
    ctx.obj = argparse.Namespace(project_dir=project_dir, debug=debug)
    if debug:
        import logging

        logger = logging.getLogger("chalicelike")
        logger.setLevel(logging.DEBUG)
        if not logger.handlers:
            logger.addHandler(logging.StreamHandler())  # stderr


def _run(argv: list[str]) -> int:
    """The command's exit status; SystemExit for --help, --version and usage errors (as
    argparse did: a script's caller sees the same status either way)."""
    try:
        with chalicelike.make_context("chalicelike", argv) as ctx:
            try:
                result: int | None = chalicelike.invoke(ctx)
                sys.stdout.flush()  # here, so a closed pipe is seen while we can still handle it
            except ChaliceError as error:  # ConfigError too: one line, exit 2
                if getattr(ctx.obj, "debug", False):
                    import traceback

                    traceback.print_exc()
                else:
                    print(f"chalicelike: error: {error}", file=sys.stderr)
                return 2
    except click.exceptions.Exit as done:  # --help, --version
        sys.stdout.flush()
        raise SystemExit(done.exit_code) from None
    except click.ClickException as error:
        error.show()
        raise SystemExit(error.exit_code) from None
    return result or 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        if argv is None:  # the process's own command line: it ends after this
            # The interpreter's exit collects every object botocore and co. made (0.15 s
            # measured after a deploy); frozen objects are skipped. Not for a caller that
            # goes on (tests call main([...])): their garbage would never be collected.
            import gc

            gc.freeze()


def _main(argv: list[str] | None) -> int:
    try:
        return _run(sys.argv[1:] if argv is None else list(argv))
    except (KeyboardInterrupt, click.exceptions.Abort):
        return 130  # as a shell reports a command Ctrl-C stopped: no traceback, no message
    except BrokenPipeError:
        # `generate-models | head`: the reader has what it wanted. Point stdout at
        # /dev/null so the interpreter's last flush does not complain either.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
