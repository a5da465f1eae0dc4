"""The commands `deploy`, `delete`, `url`, `versions` and `rollback`: arguments in, one of
the deploy modules run, a short report out. Errors are DeployError: one line, exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = [
    "delete_command",
    "deploy_command",
    "rollback_command",
    "url_command",
    "versions_command",
]


def _aws_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """An AWS error, whatever call met it, is one line naming the call and AWS's reason."""

    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except Exception as error:
            if not isinstance(error, _botocore_errors()):
                raise
            from ._session import DeployError, aws_reason

            raise DeployError(f"AWS refused a call: {aws_reason(error)}") from None

    return guarded


def _botocore_errors() -> tuple[type[Exception], ...]:
    """botocore's errors, once something has imported botocore (importing its parsers up
    front would cost a deploy 60 ms before its packaging could start)."""
    if "botocore.parsers" not in sys.modules and "botocore.exceptions" not in sys.modules:
        return ()
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    return (BotoCoreError, ClientError, ResponseParserError)


def _aws_command(
    name: str, run: Callable[[argparse.Namespace], int], text: str, *extra: click.Option
) -> click.Command:
    """A command with the options every AWS command takes, running `run` under
    `_aws_errors`."""

    @click.pass_obj
    def callback(common: argparse.Namespace, /, **params: Any) -> int:
        return _aws_errors(run)(argparse.Namespace(**vars(common), **params))

    options = [
        click.Option(["--stage"], default="dev", help="the config stage"),
        click.Option(["--profile"], help="the AWS profile (default: the environment's)"),
        click.Option(["--region"], help="the AWS region (default: the environment's)"),
    ]
    return click.Command(
        name, callback=callback, params=[*options, *extra], help=text, short_help=text
    )


def _session(args: argparse.Namespace, record: dict[str, Any] | None = None) -> Any:
    from ._session import open_session

    region = args.region or (record or {}).get("stack", {}).get("region")
    return open_session(args.profile, region)


def _deploy(args: argparse.Namespace) -> int:
    import time

    from .._tooling._describe import AppReading

    started = time.perf_counter()
    project_dir = Path(args.project_dir).resolve()
    # The app is read in a child from the first moment: it runs on another core while the
    # deploy's own modules load and the cache is checked (0.05-0.1 s sooner).
    with AppReading(project_dir, args.stage) as reading:
        from ._deploy import deploy, stderr_progress

        result = deploy(
            lambda: _session(args), project_dir, args.stage, print, stderr_progress(), reading
        )
    how = "code only" if result.code_only else "stack"
    print(
        f"deployed {args.stage} release {result.release} ({how}) to {result.region} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for key, url in result.urls.items():
        print(f"{key}: {url}")
    _print_workflows(result.record)
    return 0


def _url(args: argparse.Namespace) -> int:
    from ._record import require_record

    record = require_record(Path(args.project_dir), args.stage)
    urls = record["stack"].get("urls", {})
    machines = _state_machines(record)
    if not urls and not machines:
        print(f"stage {args.stage} has no API, function URL or workflow", file=sys.stderr)
        return 1
    if len(urls) == 1 and not machines:
        print(next(iter(urls.values())))
    else:
        for key, url in urls.items():
            print(f"{key}: {url}")
    _print_workflows(record)
    return 0


def _state_machines(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in record["resources"] if r.get("resource_type") == "state_machine"]


def _print_workflows(record: dict[str, Any]) -> None:
    for machine in _state_machines(record):
        print(f"workflow {machine['name']}: {machine['state_machine_arn']}")


def _functions(record: dict[str, Any]) -> list[str]:
    return [
        r["function_name"] for r in record["resources"] if r["resource_type"] == "lambda_function"
    ]


def _versions(args: argparse.Namespace) -> int:
    from ._record import function_resource, require_record
    from ._releases import print_function_versions, print_releases

    record = require_record(Path(args.project_dir), args.stage)
    session = _session(args, record)
    if args.name:
        function = function_resource(record, args.name)["function_name"]
        print_function_versions(session, function, args.stage)
    else:
        print_releases(session, _functions(record), args.stage)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from ._record import require_record, write_record
    from ._releases import roll_back

    project_dir = Path(args.project_dir)
    record = require_record(project_dir, args.stage)
    session = _session(args, record)
    release, moved = roll_back(session, _functions(record), args.stage, args.to)
    for resource in record["resources"]:
        if resource.get("function_name") in moved:
            resource["version"] = moved[resource["function_name"]]
    record["stack"]["release"] = release
    write_record(project_dir, args.stage, record)
    for function, version in moved.items():
        print(f"{function}:{args.stage} -> version {version}")
    print(f"{args.stage} is at release {release}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from ._artifacts import delete_artifacts
    from ._deploy import stderr_progress
    from ._notifications import remove_notifications
    from ._record import delete_record, read_record
    from ._stack import delete_stack

    project_dir = Path(args.project_dir).resolve()
    record = read_record(project_dir, args.stage)
    session = _session(args, record)
    stack = (record or {}).get("stack") or {"name": _stack_name(project_dir, args.stage)}
    remove_notifications(session, stack["name"], stack.get("notification_buckets", []))
    deleted = delete_stack(session, stack["name"], stderr_progress())
    app = stack["name"].removesuffix(f"-{args.stage}")
    bucket = stack.get("bucket") or f"chalicelike-deploy-{session.account}-{session.region}"
    removed = delete_artifacts(session, bucket, app, args.stage)
    delete_record(project_dir, args.stage)
    if not deleted and record is None:
        print(f"nothing deployed for stage {args.stage} (no stack {stack['name']})")
        return 0
    print(f"deleted stack {stack['name']} and {removed} artifact(s); stage {args.stage} is gone")
    return 0


def _stack_name(project_dir: Path, stage: str) -> str:
    from .._tooling._config import resolve_stage_config
    from ._deploy import stack_name

    config = resolve_stage_config(project_dir, stage, project_dir.name)
    return stack_name(config.app_name, stage)


# -- the commands chalicelike.cli loads ------------------------------------------------------

deploy_command = _aws_command(
    "deploy", _deploy, "package the app and deploy the stage to AWS (CloudFormation)"
)
delete_command = _aws_command("delete", _delete, "delete everything the stage's deploy made")
url_command = _aws_command("url", _url, "print the stage's API URL(s)")
versions_command = _aws_command(
    "versions",
    _versions,
    "list the stage's releases, or one function's versions",
    click.Option(["-n", "--name"], help="one function: its versions"),
)
rollback_command = _aws_command(
    "rollback",
    _rollback,
    "point the stage's aliases back to an earlier release",
    click.Option(
        ["--to"], type=int, metavar="RELEASE", help="the release (default: the one before)"
    ),
)
