"""`chalicelike logs -n NAME`: a deployed function's CloudWatch Logs, from the log group
Lambda writes (`/aws/lambda/<function name>`), once or followed like `tail -f`.

The stage's deployment record names the function and its region; `_log_lines` prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from ._record import function_resource, require_record
from ._session import DeployError, open_session

__all__ = ["command", "run"]

POLL_SECONDS = 1.0
# CloudWatch Logs is eventually consistent: an event can be searchable seconds after
# events with later timestamps (another environment's stream, delivery delays). Each
# poll looks this far back again and drops the events it has already printed.
LATE_MS = 10_000


@click.command(
    "logs",
    short_help="print a deployed function's CloudWatch logs",
    help=(
        "Print the CloudWatch Logs of one deployed function, one line per event: "
        "its UTC time, the log stream's short id and the message. With --follow, "
        "keep printing new events until Ctrl-C."
    ),
)
@click.option(
    "-n", "--name", required=True, help="the function: its name in the app or deployed name"
)
@click.option("--stage", default="dev", help="the deployed stage")
@click.option(
    "-s",
    "--since",
    default="10m",
    help="the oldest events to print: 30s, 10m, 2h, 1d ago, or an ISO 8601 time",
)
@click.option("-f", "--follow", is_flag=True, help="keep printing new events until Ctrl-C")
@click.option("--profile", help="the AWS profile to use (default: the environment's)")
@click.option("--region", help="the AWS region (default: the one the stage is in)")
@click.pass_obj
def command(common: argparse.Namespace, /, **params: Any) -> int:
    return run(argparse.Namespace(**vars(common), **params))


def run(args: argparse.Namespace) -> int:
    from ._log_lines import LineFormatter, parse_since

    start = parse_since(args.since)  # a bad value fails before any AWS call
    record = require_record(Path(args.project_dir), args.stage)
    function_name = str(function_resource(record, args.name)["function_name"])
    session = open_session(args.profile, args.region or record["stack"].get("region"))
    tail = LogTail(session.client("logs"), function_name, int(start.timestamp() * 1000))
    # NO_COLOR (no-color.org): any non-empty value turns colour off.
    formatter = LineFormatter(colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    while True:
        for event in tail.poll():
            print(formatter.format(event))
        # Flushed per poll so `logs --follow | grep` sees each event as it comes.
        sys.stdout.flush()
        if not args.follow:
            return 0
        # Ctrl-C lands here or in a call to AWS: cli.main ends quietly with 130, the
        # status a shell gives `tail -f` stopped the same way.
        time.sleep(POLL_SECONDS)


@dataclass
class LogTail:
    """The function's log group read from `start_ms` on; each `poll()` yields only the
    events no earlier poll yielded (by eventId, kept per timestamp for LATE_MS)."""

    client: Any
    function_name: str
    start_ms: int
    _seen: dict[int, set[str]] = field(default_factory=dict)
    _told_missing: bool = False

    @property
    def group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def poll(self) -> Iterator[dict[str, Any]]:
        for event in self._search(self.start_ms):
            ids = self._seen.setdefault(event["timestamp"], set())
            if event["eventId"] not in ids:
                ids.add(event["eventId"])
                yield event
        if self._seen:
            self.start_ms = max(self.start_ms, max(self._seen) - LATE_MS)
            for stamp in [stamp for stamp in self._seen if stamp < self.start_ms]:
                del self._seen[stamp]

    def _search(self, start_ms: int) -> Iterator[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        request: dict[str, Any] = {"logGroupName": self.group, "startTime": start_ms}
        try:
            while True:
                page = self.client.filter_log_events(**request)
                yield from page.get("events", [])
                # A page can be empty and still have a token: the search is not over.
                if not page.get("nextToken"):
                    return
                request["nextToken"] = page["nextToken"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise DeployError(f"cannot read {self.group}: {error}") from None
            # Lambda makes the group on the function's first log write.
            if not self._told_missing:
                self._told_missing = True
                print(
                    f"no logs yet for {self.function_name} (log group {self.group} does not exist)",
                    file=sys.stderr,
                    flush=True,
                )
        except BotoCoreError as error:
            raise DeployError(f"cannot read {self.group}: {error}") from None
