"""`generate-event --for FUNCTION`: which source feeds one of the app's functions, and the
options that make its sample event look like what that source would send it.

The app is read from its manifest (`ProjectState`, in a subprocess); the settings each
event decorator recorded (bucket, queue, topic, route, pattern...) become the options.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._tooling._manifest import AppManifest, FunctionEntry, RouteSpec, deployed_name
from .._tooling._test_events import REGION
from ._commands import UsageError

__all__ = ["function_source", "read_manifest", "source_of"]

# Each user pool trigger's usual triggerSource (what Cognito sends in the common case).
COGNITO_SOURCES = {
    "PreTokenGeneration": "TokenGeneration_Authentication",
    "PostConfirmation": "PostConfirmation_ConfirmSignUp",
    "PreSignUp": "PreSignUp_SignUp",
    "CustomMessage": "CustomMessage_SignUp",
    "CustomEmailSender": "CustomEmailSender_SignUp",
    "CustomSMSSender": "CustomSMSSender_SignUp",
}


def function_source(project_dir: str, stage: str, name: str) -> tuple[str, dict[str, Any]]:
    """The `generate-event` source feeding function `name`, and the options it implies."""
    manifest = read_manifest(Path(project_dir), stage)
    return source_of(function_named(manifest, name, stage), manifest, stage)


def read_manifest(project_dir: Path, stage: str) -> AppManifest:
    from .._tooling._describe import AppLoadError
    from ._invoke_command import read_project

    async def read() -> AppManifest:
        return await (await read_project(project_dir, stage)).current()

    try:
        return asyncio.run(read())
    except AppLoadError as error:
        raise UsageError(str(error)) from None


def function_named(manifest: AppManifest, name: str, stage: str) -> FunctionEntry:
    for entry in manifest.functions:
        if name in (entry.name, deployed_name(manifest.app_name, stage, entry.name)):
            return entry
    known = ", ".join(entry.name for entry in manifest.functions) or "none"
    raise UsageError(f"the app has no function {name!r}; its functions are: {known}")


def source_of(
    entry: FunctionEntry, manifest: AppManifest, stage: str
) -> tuple[str, dict[str, Any]]:
    """The `generate-event` source that feeds `entry`, and the options its settings imply."""
    settings = entry.settings
    if entry.kind == "pure_lambda":
        raise UsageError(
            f"{entry.name} is a plain Lambda function (@app.lambda_function) with no event "
            "source: invoke it with any JSON event you like"
        )
    if entry.kind == "api":
        routes = [route for route in manifest.routes if route.function == entry.name]
        return "apigateway", route_options(routes[0])
    if entry.kind == "scheduled":  # the rule named after the function it runs
        return "schedule", {"rule": deployed_name(manifest.app_name, stage, entry.name)}
    if entry.kind == "authorizer":
        return "authorizer", authorizer_options(entry, manifest)
    if entry.kind == "s3":
        family, _, name = settings["events"][0].removeprefix("s3:").partition(":")
        default = {"ObjectCreated": "Put", "ObjectRemoved": "Delete"}.get(family, "Completed")
        return "s3", {
            "bucket": settings["bucket"],
            "key": f"{settings.get('prefix') or ''}example{settings.get('suffix') or '.json'}",
            "event_name": f"{family}:{default if name in ('*', '') else name}",
            "eventbridge": bool(settings.get("via_eventbridge")),
        }
    simple = SIMPLE_SOURCES.get(entry.kind)
    if simple is None:
        raise UsageError(f"{entry.name}'s source {entry.kind!r} has no sample event")
    source, options = simple
    return source, options(settings)


def cloudwatch_options(settings: dict[str, Any]) -> dict[str, Any]:
    """An event the rule's pattern matches: the first value of each field it lists."""

    def first(pattern: Any) -> Any:
        if isinstance(pattern, dict):
            return {key: first(value) for key, value in pattern.items()}
        if isinstance(pattern, list) and pattern and not isinstance(pattern[0], dict):
            return pattern[0]
        return None  # a content filter ({"prefix": ...}) cannot be satisfied by guessing

    pattern = first(settings["event_pattern"])
    return {
        "source": pattern.get("source") or "my.app",
        "detail_type": pattern.get("detail-type") or "Something Happened",
        "detail": {k: v for k, v in (pattern.get("detail") or {}).items() if v is not None},
        "resource": list(settings["event_pattern"].get("resources") or []),
    }


def ses_options(settings: dict[str, Any]) -> dict[str, Any]:
    recipients = settings.get("recipients") or ["user@example.com"]
    first = recipients[0]  # an address, or a whole domain the rule matches
    return {"recipient": [first if "@" in first else f"user@{first.lstrip('.')}"]}


def cognito_options(settings: dict[str, Any]) -> dict[str, Any]:
    trigger = settings["triggers"][0]
    user_pool = settings["user_pool"]  # an id ('eu-west-1_AbCd'), or only a name
    return {
        "trigger_source": COGNITO_SOURCES.get(trigger, f"{trigger}_Authentication"),
        "user_pool_id": user_pool if "_" in user_pool else f"{REGION}_Example",
    }


def websocket_options(settings: dict[str, Any]) -> dict[str, Any]:
    kinds = {"$connect": "connect", "$disconnect": "disconnect"}
    return {"kind": kinds.get(settings["route_key"], "message")}


SIMPLE_SOURCES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "sns": ("sns", lambda settings: {"topic": settings["topic"]}),
    "sqs": ("sqs", lambda settings: {"queue": settings["queue"] or settings["queue_arn"]}),
    "kinesis": ("kinesis", lambda settings: {"stream": settings["stream"]}),
    "dynamodb": ("dynamodb", lambda settings: {"stream_arn": settings["stream_arn"]}),
    "cloudwatch": ("cloudwatch", cloudwatch_options),
    "websocket": ("websocket", websocket_options),
    "ses": ("ses", ses_options),
    "cognito": ("cognito", cognito_options),
}


def route_options(route: RouteSpec) -> dict[str, Any]:
    """A request to `route`: its method (GET for ANY), its path with sample parameters."""
    parts = []
    for part in route.path.split("/"):
        if part.endswith("+}"):
            part = "example/path"
        elif part.startswith("{"):
            part = "example"
        parts.append(part)
    method = "GET" if route.method == "ANY" else route.method
    return {"method": method, "path": "/".join(parts) or "/", "resource": route.path}


def authorizer_options(entry: FunctionEntry, manifest: AppManifest) -> dict[str, Any]:
    for route in manifest.routes:
        spec = route.authorizer
        if spec is not None and spec.function == entry.name:
            options = {**route_options(route), "type": spec.options["authorizer_type"]}
            header = spec.options.get("header") or "Authorization"
            if options["type"] == "REQUEST" and header.lower() != "authorization":
                options["header"] = [(header, "allow")]
            return options
    # An authorizer no route uses yet: API Gateway would send it the TOKEN shape.
    return {"type": "TOKEN"}
