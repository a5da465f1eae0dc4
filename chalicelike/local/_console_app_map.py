"""The console's picture of the app: event sources -> functions -> the AWS resources they call.

Sources and functions come from the app's manifest (routes, schedules with their next
fire, queues, buckets...). What a function calls is not declared anywhere: it is read from
the traces the server holds, where the X-Ray SDK's boto3 patch records each AWS call as a
subsegment of namespace "aws" whose `aws` fields name the queue, table, bucket or topic.
"""

from __future__ import annotations

import uuid
import weakref
from datetime import datetime, timezone
from typing import Any

from .._tooling._manifest import AppManifest, FunctionEntry
from ._invocation_log import DEFAULT_CAPACITY

__all__ = ["app_map", "aws_calls", "describe_source", "server_run"]

# The `aws` fields of X-Ray's AWS subsegments that name the resource called, by service.
RESOURCE_FIELDS = (
    "queue_url",
    "table_name",
    "bucket_name",
    "topic_arn",
    "function_name",
    "stream_name",
    "state_machine_arn",
)
LAMBDA_ORIGIN = "AWS::Lambda::Function"
# One id per server object: a page that reconnects to a restarted server (whose invocation
# ids start again at 1) sees another id, and forgets what it showed.
_RUNS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def server_run(server: Any) -> str:
    """This server's run id: the same for as long as it runs, another after a restart."""
    run = _RUNS.get(server)
    if run is None:
        run = _RUNS[server] = uuid.uuid4().hex
    return run


def describe_source(
    entry: FunctionEntry, manifest: AppManifest, server: Any = None
) -> dict[str, Any]:
    """What invokes a function: its kind, a one-line label, and the details of its kind
    (a schedule's next fire from `server`'s running timer, when it is given one)."""
    settings = entry.settings
    source: dict[str, Any] = {"type": entry.kind, "settings": settings}
    kind = entry.kind
    if kind == "api":
        routes = [
            {"method": r.method, "path": r.path, "view": r.view_name}
            for r in manifest.routes
            if r.function == entry.name
        ]
        count = f"{len(routes)} route" + ("" if len(routes) == 1 else "s")
        source.update(label=f"API Gateway: {count}", routes=routes)
    elif kind == "authorizer":
        guarded = [
            f"{r.method} {r.path}"
            for r in manifest.routes
            if r.authorizer is not None and r.authorizer.function == entry.name
        ]
        source.update(label="authorizer of " + (", ".join(guarded) or "no route yet"))
    elif kind == "scheduled":
        expression = str(settings.get("expression", ""))
        source.update(label=f"schedule {expression}", **_schedule_state(entry, server))
    else:
        source["label"] = _source_label(kind, settings)
    return source


def _source_label(kind: str, settings: dict[str, Any]) -> str:
    if kind == "s3":
        prefix, suffix = settings.get("prefix") or "", settings.get("suffix") or ""
        where = f"{settings.get('bucket')}/{prefix}*{suffix}"
        return f"S3 {where} {', '.join(settings.get('events') or [])}"
    if kind == "sqs":
        return f"SQS queue {settings.get('queue') or settings.get('queue_arn')}"
    if kind == "sns":
        return f"SNS topic {settings.get('topic')}"
    if kind == "kinesis":
        return f"Kinesis stream {settings.get('stream')}"
    if kind == "dynamodb":
        arn = str(settings.get("stream_arn") or "")
        table = arn.split(":table/", 1)[-1].split("/", 1)[0] if ":table/" in arn else arn
        return f"DynamoDB stream of {table}"
    if kind == "cloudwatch":
        return "EventBridge rule"
    if kind == "websocket":
        return f"websocket {settings.get('route_key')}"
    if kind == "pure_lambda":
        return "invoked directly"
    return kind


def _schedule_state(entry: FunctionEntry, server: Any) -> dict[str, Any]:
    """`next_fire` (ISO UTC, or None) and `timer`: "running", "missing" (the local cloud
    runs none: an expression it refused, a sync not done yet) or "no cloud". With a local
    cloud its running timer is asked: a rate counts from the timer's start, which only the
    timer knows. Without one (--no-aws) nothing fires the schedule here: the next fire is
    computed from now, as on AWS (where a rate counts from the rule's creation)."""
    cloud = getattr(server, "cloud", None)
    if cloud is None:
        state: dict[str, Any] = {
            "next_fire": _iso(_computed_next_fire(str(entry.settings.get("expression", ""))))
        }
        if server is not None:
            state["timer"] = "no cloud"
        return state
    timer = _timer_of(cloud, entry.name)
    return {
        "next_fire": None if timer is None else _iso(timer.next_fire),
        "timer": "missing" if timer is None else "running",
    }


def _timer_of(cloud: Any, name: str) -> Any:
    from ._schedule_timers import ScheduleTimer

    for source in list(getattr(cloud, "sources", {}).values()):
        if isinstance(source, ScheduleTimer) and source.entry.name == name:
            return source
    return None


def _computed_next_fire(expression: str) -> datetime | None:
    from ._cron_times import next_fire

    try:
        return next_fire(expression, datetime.now(timezone.utc))
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def app_map(manifest: AppManifest, server: Any) -> dict[str, Any]:
    """Three columns and the lines between them: sources, functions, resources."""
    sources: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for entry in manifest.functions:
        source = describe_source(entry, manifest, server)
        source_id = f"source:{entry.name}"
        sources.append({"id": source_id, **source})
        functions.append({"id": f"function:{entry.name}", "name": entry.name, "kind": entry.kind})
        edges.append({"from": source_id, "to": f"function:{entry.name}"})
    names = {entry.name for entry in manifest.functions}
    resources: dict[str, dict[str, Any]] = {}
    for (function, service, name), operations in aws_calls(server).items():
        resource_id = f"resource:{service}:{name}"
        resources.setdefault(resource_id, {"id": resource_id, "service": service, "name": name})
        if function in names:
            edges.append(
                {"from": f"function:{function}", "to": resource_id, "operations": operations}
            )
    return {
        "server_run": server_run(server),
        # The per-function counts cover the invocations the server keeps, this many at most.
        "kept": getattr(getattr(server, "invocations", None), "capacity", DEFAULT_CAPACITY),
        "app_name": manifest.app_name,
        "stage": getattr(server.state, "stage", None),
        "api_stage": getattr(server, "api_stage", None),
        "sources": sources,
        "functions": functions,
        "resources": list(resources.values()),
        "edges": edges,
    }


def aws_calls(server: Any) -> dict[tuple[str, str, str], list[str]]:
    """(function, service, resource) -> the operations it called, from the held traces."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for trace_id in server.traces.trace_ids():
        segments = server.traces.trace(trace_id) or []
        by_id = {segment.get("id"): segment for segment in segments}
        for segment in segments:
            if segment.get("namespace") != "aws" or not isinstance(segment.get("aws"), dict):
                continue
            function = _calling_function(segment, by_id, server.local_lambda)
            service = str(segment.get("name") or "AWS")
            resource = _resource_name(segment["aws"])
            if function is not None and resource is not None:
                operation = str(segment["aws"].get("operation") or "")
                found.setdefault((function, service, resource), set()).add(operation)
    return {key: sorted(o for o in operations if o) for key, operations in found.items()}


def _calling_function(
    segment: dict[str, Any], by_id: dict[Any, dict[str, Any]], local_lambda: Any
) -> str | None:
    """The app function whose segment holds `segment`: up its parents to a segment
    Lambda made (origin AWS::Lambda::Function, or the SDK's, named after the function)."""
    seen: set[Any] = set()
    current: dict[str, Any] | None = segment
    while current is not None and current.get("id") not in seen:
        seen.add(current.get("id"))
        name = current.get("name")
        if current.get("origin") == LAMBDA_ORIGIN or current.get("type") != "subsegment":
            spec = local_lambda.find(name) if isinstance(name, str) else None
            if spec is not None:
                return str(spec.name)
        current = by_id.get(current.get("parent_id"))
    return None


def _resource_name(fields: dict[str, Any]) -> str | None:
    for key in RESOURCE_FIELDS:
        value = fields.get(key)
        if isinstance(value, str) and value:
            # A queue's URL or a topic's ARN ends with its name.
            return value.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return None
