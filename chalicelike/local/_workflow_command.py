"""`chalicelike workflow start NAME`: run one of the app's workflows on the local cloud.

The execution starts on the running `chalicelike local`'s AWS endpoint, where the app's
workflows are state machines named `<app>-<stage>-<name>`; the command waits for it to end
and prints its output (or its error and cause), as `aws stepfunctions` would show them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from ._commands import UsageError, read_json_document, report_usage_error

__all__ = ["command", "start"]

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
EXIT_OK, EXIT_FAILED = 0, 1
SHORT_HELP = "start one of the app's workflows on the running local cloud and print its output"
POLL_SECONDS = 0.2  # how often the execution's status is read while it runs


@click.command(
    "workflow",
    short_help=SHORT_HELP,
    help=(
        "start: start an execution of workflow NAME on the running `chalicelike local`'s "
        "AWS endpoint, wait for it to end and print its output JSON (exit 0), or its error "
        "and cause (exit 1). The execution's ARN goes to stderr; an unknown workflow or no "
        "local cloud: exit 2."
    ),
)
@click.argument("action", type=click.Choice(["start"]))
@click.argument("name")
@click.option("--input", "input_file", metavar="FILE", help="the input JSON, '-' for stdin")
@click.option("--stage", default="dev", help="the stage whose state machine runs")
@click.option(
    "--endpoint",
    metavar="URL",
    help=f"the local cloud's AWS endpoint (default: $AWS_ENDPOINT_URL or {DEFAULT_ENDPOINT})",
)
@click.pass_obj
def command(common: argparse.Namespace, /, **params: Any) -> int:
    return start(argparse.Namespace(**vars(common), **params))


def start(args: argparse.Namespace) -> int:
    endpoint = args.endpoint or os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    try:
        document = _read_input(args.input_file)
        states = _client(endpoint)
        project_dir = Path(args.project_dir)
        arn = _machine_arn(states, _app_name(project_dir), args.stage, args.name)
        if arn is None:
            raise UsageError(_no_machine(project_dir, args.stage, args.name, states))
    except UsageError as error:
        return report_usage_error("workflow", error)
    execution = states.start_execution(stateMachineArn=arn, input=document)
    print(execution["executionArn"], file=sys.stderr, flush=True)
    while True:
        ended = states.describe_execution(executionArn=execution["executionArn"])
        if ended["status"] != "RUNNING":
            break
        time.sleep(POLL_SECONDS)
    if ended["status"] == "SUCCEEDED":
        print(ended.get("output", "null"))
        return EXIT_OK
    # "FAILED: error: cause", leaving out what the execution did not record.
    parts = [ended["status"], *(ended[key] for key in ("error", "cause") if ended.get(key))]
    print(": ".join(parts), file=sys.stderr)
    return EXIT_FAILED


def _read_input(source: str | None) -> str:
    if source is None:
        return "{}"  # what Step Functions starts with when given no input
    return read_json_document(source, "input").decode("utf-8")


def _app_name(project_dir: Path) -> str | None:
    """The config's app_name (the machines' prefix), None if the config has none."""
    from .._tooling._config import ConfigError, load_config

    try:
        name = load_config(project_dir).get("app_name")
    except ConfigError as error:
        raise UsageError(str(error)) from None
    return name if isinstance(name, str) else None


def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    from .._core._aws import DEFAULT_REGION

    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION") or DEFAULT_REGION,
        aws_access_key_id="testing",  # the local endpoint checks none
        aws_secret_access_key="testing",
        config=Config(connect_timeout=2, retries={"max_attempts": 1}),
    )


def _machine_arn(states: Any, app_name: str | None, stage: str, name: str) -> str | None:
    """The ARN of workflow `name`'s machine `<app>-<stage>-<name>` on the endpoint, None
    when there is none; a UsageError saying to start the local cloud when it is not up."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .._tooling._workflows import state_machine_name

    try:
        machines = [
            machine
            for page in states.get_paginator("list_state_machines").paginate()
            for machine in page["stateMachines"]
        ]
    except (BotoCoreError, ClientError) as error:
        raise UsageError(
            f"no local cloud answers at {states.meta.endpoint_url} ({error}): run "
            "`chalicelike local` first, or name its endpoint with --endpoint or AWS_ENDPOINT_URL"
        ) from None
    by_name = {machine["name"]: machine["stateMachineArn"] for machine in machines}
    if app_name:
        return by_name.get(state_machine_name(app_name, stage, name))
    # Without an app_name in the config: any app's machine of this stage.
    for machine_name, arn in by_name.items():
        if machine_name.partition("-")[2] == f"{stage}-{name}":
            return str(arn)
    return None


def _no_machine(project_dir: Path, stage: str, name: str, states: Any) -> str:
    """Why there is no machine for `name`: the app declares no such workflow (listing those
    it declares), or its machine could not be made on the endpoint."""
    from .._tooling._describe import AppLoadError, describe_project_now

    try:
        declared = sorted(
            entry.name for entry in describe_project_now(project_dir, stage).workflows
        )
    except AppLoadError as error:
        return f"no workflow {name!r} in stage {stage}, and the app cannot be read: {error}"
    if name in declared:
        return (
            f"the state machine of workflow {name!r} could not be created on the local cloud "
            f"at {states.meta.endpoint_url}: the `chalicelike local` log says why"
        )
    known = ", ".join(declared) or "none"
    return f"no workflow {name!r} in stage {stage}; the workflows are: {known}"
