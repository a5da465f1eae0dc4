"""`chalicelike invoke -n NAME`: run one of the app's functions once, as Lambda would.

The app is read like the dev server reads it (`ProjectState`), the function runs in one
worker process speaking the Runtime API; the payload goes to stdout, the log to stderr
as the function writes it. With `--remote` the deployed function runs instead, through
Lambda's Invoke API (`deploy._remote_invoke`, imported only then).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._commands import UsageError, read_json_document, report_usage_error

if TYPE_CHECKING:
    from ._project_state import ProjectState

__all__ = ["command", "read_project"]

# Exit codes: the function ran and answered; it failed (Lambda's FunctionError); or the
# command could not run it (unknown function, unreadable event: _commands.EXIT_USAGE).
EXIT_OK, EXIT_FUNCTION_ERROR = 0, 1


@click.command(
    "invoke",
    short_help="run one of the app's functions once and print its payload",
    help=(
        "Run one function of the app in a local Lambda worker, or with --remote the "
        "function deployed to the stage (its alias, through Lambda's Invoke API). The "
        "payload is printed on stdout, the invocation's log on stderr (with --remote, "
        "the last 4 KB Lambda returns); the exit status is 0 on success, 1 on a "
        "function error and 2 when the function or event cannot be used."
    ),
)
@click.option(
    "-n", "--name", required=True, help="the function: its name in the app or deployed name"
)
@click.option(
    "--event",
    metavar="FILE",
    help="a JSON file holding the event, '-' for stdin (default: {})",
)
@click.option(
    "--stage", default="dev", help="the stage: its config, or with --remote its deployment"
)
@click.option(
    "--remote",
    is_flag=True,
    help="invoke the function deployed to the stage instead of a local one"
    " (--aws-endpoint and --no-aws do not apply)",
)
@click.option("--profile", help="with --remote: the AWS profile to use")
@click.option("--region", help="with --remote: the AWS region (default: the one the stage is in)")
@click.option(
    "--aws-endpoint",
    metavar="URL",
    default="http://127.0.0.1:4566",
    help="the AWS endpoint the function's boto3 calls go to, with dummy credentials"
    " (the one `chalicelike local` serves)",
)
@click.option(
    "--aws/--no-aws",
    default=True,
    help="--no-aws: leave the AWS environment (credentials, profile) as it is",
)
@click.pass_obj
def command(common: argparse.Namespace, /, **params: Any) -> int:
    return run(argparse.Namespace(**vars(common), **params))


def run(args: argparse.Namespace) -> int:
    if args.remote:
        return run_remote(args)
    if args.profile or args.region:
        return report_usage_error(
            "invoke", UsageError("--profile and --region go with --remote only")
        )
    if args.aws:
        from ._aws_endpoint import check_endpoint_url, use_aws_endpoint

        use_aws_endpoint(check_endpoint_url(args.aws_endpoint))
    try:
        payload = read_event(args.event)
        return asyncio.run(invoke(Path(args.project_dir), args.stage, args.name, payload))
    except UsageError as error:
        return report_usage_error("invoke", error)


def run_remote(args: argparse.Namespace) -> int:
    # The local endpoint options are not applied: they would send boto3 to the dev server.
    try:
        payload = read_event(args.event)
    except UsageError as error:
        return report_usage_error("invoke", error)
    from ..deploy._remote_invoke import invoke_remote

    return invoke_remote(
        Path(args.project_dir),
        args.stage,
        args.name,
        payload,
        profile=args.profile,
        region=args.region,
    )


def read_event(source: str | None) -> bytes:
    if source is None:
        return b"{}"  # what Lambda hands a function invoked without a payload
    return read_json_document(source, "event")


async def invoke(project_dir: Path, stage: str, name: str, payload: bytes) -> int:
    from .._tooling._describe import AppLoadError
    from ._invocation import Throttled
    from ._pool import WorkerPool

    state = await read_project(project_dir, stage)
    try:
        await state.current()
    except AppLoadError as error:
        # The function cannot initialise: on Lambda that is the invocation's failure.
        print(f"chalicelike invoke: {error}", file=sys.stderr)
        return EXIT_FUNCTION_ERROR
    # The log streams to stderr as the function writes it, as `sam local invoke` does.
    pool = WorkerPool(state.specs, log_sink=_to_stderr)
    try:
        spec = pool.find(name)
        if spec is None:
            raise UsageError(unknown_function(name, state))
        try:
            result = await pool.invoke(spec.name, payload)
        except Throttled:
            # Only a reserved concurrency of 0 throttles a lone invocation, as on Lambda.
            print(f"chalicelike invoke: {spec.name} is throttled", file=sys.stderr)
            return EXIT_FUNCTION_ERROR
    finally:
        await pool.close()
    sys.stdout.buffer.write(result.payload + b"\n")
    sys.stdout.flush()
    return EXIT_OK if result.function_error is None else EXIT_FUNCTION_ERROR


async def read_project(project_dir: Path, stage: str) -> ProjectState:
    """The app read once, as the dev server reads it; `current()` raises if it is broken."""
    from ._project_state import ProjectState, logger

    state = ProjectState(project_dir, stage)
    # ProjectState logs a broken app for the dev server's console; a one-shot command
    # reports the error itself, once.
    was_disabled, logger.disabled = logger.disabled, True
    try:
        await state.reload()
    finally:
        logger.disabled = was_disabled
    return state


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def unknown_function(name: str, state: ProjectState) -> str:
    known = ", ".join(f"{spec.name} ({spec.resource_name})" for spec in state.specs)
    return (
        f"the app in {state.project_dir} has no function {name!r}; "
        f"its functions are: {known or 'none'}"
    )
