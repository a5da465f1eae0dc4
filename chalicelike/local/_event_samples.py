"""`chalicelike generate-event SOURCE`: a realistic event for every source an app can handle.

Non-HTTP events come from `TestEventsClient` (the test client's generators), HTTP ones
from `_http_samples`. `--for FUNCTION` reads the app's manifest and fills in that
function's own source: its bucket, queue, topic, schedule, route...
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from .._core._aws import LOCAL_API_ID
from .._tooling._test_events import REGION, TestEventsClient
from ._commands import UsageError, report_usage_error
from ._http_samples import (
    alb_event,
    authorizer_event,
    function_url_event,
    http_api_event,
    rest_event,
)

__all__ = ["HOST", "SOURCES", "add_options", "command", "local_gateway_event"]

Args = argparse.Namespace


# -- every source: its options and its builder -------------------------------------------

Option = tuple[str, dict[str, Any]]


def header_option(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is 'Name: value', not {text!r}")
    return name.strip(), value.strip()


# A host as a browser or websocket client names it: 127.0.0.1:8000, localhost, [::1]:8000.
HOST = re.compile(r"[A-Za-z0-9.\-]{1,253}(:\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?")


def host_option(text: str) -> str:
    if HOST.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(
            f"a host is HOST:PORT, such as 127.0.0.1:8000, not {text!r}"
        )
    return text


def json_option(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from None


HTTP_OPTIONS: tuple[Option, ...] = (
    ("--method", {"default": "GET"}),
    ("--path", {"default": "/", "help": "the path, with its '?query' if any"}),
    ("--body", {"help": "the request body (text)"}),
    ("--header", {"action": "append", "type": header_option, "default": [], "metavar": "'N: V'"}),
)
REST_OPTIONS = (
    *HTTP_OPTIONS,
    ("--resource", {"help": "the route API Gateway matched, such as /users/{id}"}),
    ("--api-stage", {"default": "dev", "help": "the API's stage"}),
)


@dataclass(frozen=True)
class Source:
    help: str
    options: tuple[Option, ...]
    build: Callable[[Args], dict[str, Any]]


def s3_event(args: Args) -> dict[str, Any]:
    if args.eventbridge:
        return TestEventsClient().generate_s3_eventbridge_event(args.bucket, args.key)
    return TestEventsClient().generate_s3_event(args.bucket, args.key, args.event_name)


def sns_event(args: Args) -> dict[str, Any]:
    topic, topic_arn = _name_and_arn(args.topic)
    event = TestEventsClient().generate_sns_event(args.message, args.subject, topic=topic)
    if topic_arn:  # the declared topic's own ARN, region and account
        notification = event["Records"][0]["Sns"]
        notification["TopicArn"] = topic_arn
        record = event["Records"][0]
        record["EventSubscriptionArn"] = topic_arn + record["EventSubscriptionArn"][-37:]
    return event


def sqs_event(args: Args) -> dict[str, Any]:
    queue, queue_arn = _name_and_arn(args.queue)
    event = TestEventsClient().generate_sqs_event(args.body or ["hello"], queue)
    if queue_arn is not None:  # the declared queue's own ARN, region and account
        for record in event["Records"]:
            record.update(eventSourceARN=queue_arn, awsRegion=queue_arn.split(":")[3])
    return event


def _name_and_arn(value: str) -> tuple[str, str | None]:
    """A queue or topic given by name or by ARN: its name, and the ARN if given."""
    if value.startswith("arn:"):
        return value.rsplit(":", 1)[-1], value
    return value, None


def kinesis_event(args: Args) -> dict[str, Any]:
    stream = args.stream.rsplit("/", 1)[-1]  # a name, or the stream's ARN
    return TestEventsClient().generate_kinesis_event(args.data or ["hello"], stream)


def dynamodb_event(args: Args) -> dict[str, Any]:
    new, old = args.new_image, args.old_image
    if new is None and old is None:
        new = {"id": "1", "name": "example"}
    table = args.table
    if args.stream_arn:  # arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL
        table = args.stream_arn.split(":table/", 1)[-1].split("/", 1)[0]
    try:
        event = TestEventsClient().generate_dynamodb_event(
            new_images=None if new is None else [new],
            old_images=None if old is None else [old],
            table_name=table,
            key_names=args.key_name or ["id"],
        )
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None
    for record in event["Records"] if args.stream_arn else ():
        record.update(eventSourceARN=args.stream_arn, awsRegion=args.stream_arn.split(":")[3])
    return event


def cloudwatch_event(args: Args) -> dict[str, Any]:
    return TestEventsClient().generate_cw_event(
        args.source, args.detail_type, args.detail, args.resource
    )


def websocket_event(args: Args) -> dict[str, Any]:
    route_key = {"connect": "$connect", "disconnect": "$disconnect"}.get(args.kind, args.route)
    body = args.body if args.kind == "message" else None
    event = TestEventsClient().generate_websocket_event(route_key, body, stage=args.api_stage)
    if getattr(args, "local", None):
        local_gateway_event(event, args.local)
    return event


def local_gateway_event(event: dict[str, Any], host: str) -> None:
    """A websocket event as `chalicelike local`'s gateway at `host` sends it: its domain the
    Host its client used, its API id "local", so that `app.websocket_api.send` posts to
    http://{host}/{stage} (that server's @connections), never to AWS."""
    context = event.get("requestContext") or {}
    context.update(domainName=host, apiId=LOCAL_API_ID)
    headers, multi = event.get("headers"), event.get("multiValueHeaders")
    if isinstance(headers, dict) and "Host" in headers:
        headers["Host"] = host
    if isinstance(multi, dict) and "Host" in multi:
        multi["Host"] = [host]


def ses_event(args: Args) -> dict[str, Any]:
    recipients = args.recipient or ["user@example.com"]
    return TestEventsClient().generate_ses_event(recipients, args.sender, args.subject)


def cognito_event(args: Args) -> dict[str, Any]:
    try:
        return TestEventsClient().generate_cognito_event(
            args.trigger_source, args.user_name, user_pool_id=args.user_pool_id
        )
    except ValueError as error:
        raise UsageError(str(error)) from None


SOURCES: dict[str, Source] = {
    "s3": Source(
        "an S3 notification for one object",
        (
            ("--bucket", {"default": "my-bucket"}),
            ("--key", {"default": "incoming/data.json", "help": "the key, before S3 encodes it"}),
            ("--event-name", {"default": "ObjectCreated:Put"}),
            ("--eventbridge", {"action": "store_true", "help": "as S3 sends it to EventBridge"}),
        ),
        s3_event,
    ),
    "sns": Source(
        "an SNS notification",
        (
            ("--message", {"default": "hello"}),
            ("--subject", {}),
            ("--topic", {"default": "my-topic", "help": "a topic name or ARN"}),
        ),
        sns_event,
    ),
    "sqs": Source(
        "a batch of SQS messages",
        (
            ("--body", {"action": "append", "help": "a message body; repeat it for a batch"}),
            ("--queue", {"default": "my-queue", "help": "a queue name or ARN"}),
        ),
        sqs_event,
    ),
    "kinesis": Source(
        "a batch of Kinesis records",
        (
            ("--data", {"action": "append", "help": "a record's data; repeat it for a batch"}),
            ("--stream", {"default": "my-stream"}),
        ),
        kinesis_event,
    ),
    "dynamodb": Source(
        "a DynamoDB stream record: INSERT, MODIFY or REMOVE after the images given",
        (
            ("--table", {"default": "my-table"}),
            ("--stream-arn", {"help": "the stream's ARN (instead of --table)"}),
            ("--key-name", {"action": "append", "help": "a key attribute (default: id)"}),
            ("--new-image", {"type": json_option, "help": "the item after, as plain JSON"}),
            ("--old-image", {"type": json_option, "help": "the item before, as plain JSON"}),
        ),
        dynamodb_event,
    ),
    "cloudwatch": Source(
        "an EventBridge (CloudWatch Events) event",
        (
            ("--source", {"default": "my.app"}),
            ("--detail-type", {"default": "Something Happened"}),
            ("--detail", {"type": json_option, "default": {}, "help": "the detail, as JSON"}),
            ("--resource", {"action": "append", "default": [], "help": "an ARN; repeatable"}),
        ),
        cloudwatch_event,
    ),
    "schedule": Source(
        "what a schedule rule sends",
        (("--rule", {"default": "my-rule"}),),
        lambda args: TestEventsClient().generate_scheduled_event(args.rule),
    ),
    "websocket": Source(
        "an API Gateway websocket connect, message or disconnect",
        (
            (
                "kind",
                {
                    "nargs": "?",
                    "choices": ("connect", "message", "disconnect"),
                    "default": "message",
                },
            ),
            ("--body", {"default": "hello", "help": "a message's text"}),
            ("--route", {"default": "$default", "help": "a message's route key"}),
            ("--api-stage", {"default": "dev"}),
            (
                "--local",
                {
                    "type": host_option,
                    "metavar": "HOST:PORT",
                    "help": "as `chalicelike local` on HOST:PORT sends it: "
                    "app.websocket_api.send then reaches that server, not AWS",
                },
            ),
        ),
        websocket_event,
    ),
    "ses": Source(
        "mail received by an SES receipt rule",
        (
            ("--recipient", {"action": "append", "help": "an address; repeatable"}),
            ("--sender", {"default": "sender@example.com"}),
            ("--subject", {"default": "Hello"}),
        ),
        ses_event,
    ),
    "cognito": Source(
        "a Cognito user pool trigger",
        (
            ("--trigger-source", {"default": "PreSignUp_SignUp"}),
            ("--user-name", {"default": "user"}),
            ("--user-pool-id", {"default": f"{REGION}_Example"}),
        ),
        cognito_event,
    ),
    "apigateway": Source("a REST API request (API Gateway payload 1.0)", REST_OPTIONS, rest_event),
    "http-api": Source(
        "an HTTP API request (API Gateway payload 2.0)",
        (
            *HTTP_OPTIONS,
            ("--api-stage", {"default": "$default"}),
            ("--route-key", {"default": "$default", "help": "such as 'GET /users/{id}'"}),
        ),
        http_api_event,
    ),
    "alb": Source(
        "an Application Load Balancer request",
        (*HTTP_OPTIONS, ("--multi-value", {"action": "store_true"})),
        alb_event,
    ),
    "function-url": Source("a Lambda Function URL request", HTTP_OPTIONS, function_url_event),
    "authorizer": Source(
        "the event a REST API's Lambda authorizer receives, TOKEN or REQUEST",
        (
            *REST_OPTIONS,
            ("--type", {"choices": ("TOKEN", "REQUEST"), "default": "TOKEN"}),
            ("--token", {"default": "allow", "help": "the Authorization header's value"}),
        ),
        authorizer_event,
    ),
}


# -- the command --------------------------------------------------------------------------


class _SourceGroup(click.Group):
    """The sources in SOURCES' order; an unknown one is refused naming them all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            ctx.fail(f"unknown SOURCE {args[0]!r}: one of {', '.join(SOURCES)}")
        return super().resolve_command(ctx, args)


class _ArgparseType(click.ParamType[Any]):
    """An argparse `type=` function as a click type: its ArgumentTypeError, a usage error."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self.parse = parse
        self.name = parse.__name__.removesuffix("_option")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, already parsed
        try:
            return self.parse(value)
        except argparse.ArgumentTypeError as error:
            self.fail(str(error), param, ctx)


def _click_param(flag: str, options: dict[str, Any]) -> click.Parameter:
    """One of SOURCES' argparse-style options as a click parameter (the console and
    `--for` read the same table through `add_options`)."""
    known = {"default", "help", "action", "type", "metavar", "choices", "nargs"}
    if not set(options) <= known:
        raise TypeError(f"{flag}: no click equivalent for {sorted(set(options) - known)}")
    kind: Any = None
    if "choices" in options:
        kind = click.Choice(options["choices"])
    elif "type" in options:
        kind = _ArgparseType(options["type"])
    if not flag.startswith("-"):  # a positional with nargs="?"
        return click.Argument(
            [flag],
            required=False,
            default=options.get("default"),
            type=kind,
            metavar=f"[{flag.upper()}]",
        )
    is_flag, multiple = options.get("action") == "store_true", options.get("action") == "append"
    # An appended option's default is applied by the command (click's would be a tuple).
    default = None if multiple else options.get("default", False if is_flag else None)
    return click.Option(
        [flag],
        type=kind,
        is_flag=is_flag,
        multiple=multiple,
        default=default,
        help=options.get("help"),
        metavar=options.get("metavar"),
    )


def _source_command(name: str, source: Source) -> click.Command:
    appended = {
        flag.lstrip("-").replace("-", "_"): options.get("default")
        for flag, options in source.options
        if options.get("action") == "append"
    }

    @click.pass_context
    def callback(ctx: click.Context, /, **params: Any) -> int:
        # As argparse gives them: an appended option's values as a list, else its default.
        for key, default in appended.items():
            params[key] = list(params[key]) or default
        parent = ctx.parent.params if ctx.parent is not None else {}
        return run(argparse.Namespace(**vars(ctx.obj), **parent, **params, event_source=name))

    params = [_click_param(flag, options) for flag, options in source.options]
    # click shows no help for an argument: its choices and default go into the command's.
    arguments = [
        f"{flag.upper()}: one of {', '.join(options['choices'])} (default: {options['default']})"
        for flag, options in source.options
        if not flag.startswith("-")
    ]
    sentence = source.help[0].upper() + source.help[1:] + "."
    return click.Command(
        name,
        callback=callback,
        params=params,
        help="\n\n".join([sentence, *arguments]),
        short_help=source.help,
    )


@click.group(
    "generate-event",
    cls=_SourceGroup,
    invoke_without_command=True,
    short_help="print a sample event for an event source, or for one of the app's functions",
    help=(
        "Print a realistic Lambda event as JSON. Name a SOURCE (its options: "
        "generate-event SOURCE --help), or give --for FUNCTION to get the event the app's "
        "function would receive from the source it declares."
    ),
    subcommand_metavar="[SOURCE [OPTIONS]]",
    commands=[_source_command(name, source) for name, source in SOURCES.items()],
)
@click.option(
    "--for",
    "for_function",
    metavar="FUNCTION",
    help="one of the app's functions: the event its declared source would send it",
)
@click.option("--stage", default="dev", help="the config stage --for reads")
@click.pass_context
def command(ctx: click.Context, /, **params: Any) -> int | None:
    if ctx.invoked_subcommand is not None:
        return None  # the source's command runs
    return run(argparse.Namespace(**vars(ctx.obj), **params, event_source=None))


def add_options(parser: argparse.ArgumentParser, source: str) -> None:
    for flag, options in SOURCES[source].options:
        parser.add_argument(flag, **options)


def run(args: Args) -> int:
    try:
        event = build_event(args)
    except UsageError as error:
        return report_usage_error("generate-event", error)
    print(json.dumps(event, indent=2))
    return 0


def build_event(args: Args) -> dict[str, Any]:
    if args.for_function is None:
        if args.event_source is None:
            raise UsageError(f"name a SOURCE ({', '.join(SOURCES)}) or --for FUNCTION")
        return SOURCES[args.event_source].build(args)
    from ._function_samples import function_source

    source, settings = function_source(args.project_dir, args.stage, args.for_function)
    if args.event_source is not None and args.event_source != source:
        raise UsageError(f"{args.for_function} receives {source} events, not {args.event_source}")
    if args.event_source is None:  # the source's defaults, then what the function declares
        parser = argparse.ArgumentParser()
        add_options(parser, source)
        args = parser.parse_args([])
    for name, value in settings.items():
        setattr(args, name, value)
    return SOURCES[source].build(args)
