"""Every event source of the app as Terraform resources; `aws_s3_bucket_notification` owns a
bucket's whole notification configuration, so there is one per bucket. Each names the function
as its callers must (`Document.caller`: the alias, if it has one)."""

from __future__ import annotations

import json
from typing import Any

from ...._tooling._manifest import FunctionEntry
from .._aws import bucket_arn, logical_id
from .._model import EventSource, Function
from ._document import Document, tf_arn, tf_name

__all__ = [
    "cognito_trigger",
    "event_rule",
    "s3_notifications",
    "s3_rule",
    "schedule",
    "ses_rule",
    "sns_subscription",
    "stream_mapping",
]


def s3_notifications(document: Document, buckets: list[tuple[str, list[Function]]]) -> None:
    """One `aws_s3_bucket_notification` per bucket: it owns the bucket's whole configuration."""
    for bucket, functions in buckets:
        entries = [function.entry for function in functions]
        notification: dict[str, Any] = {"bucket": bucket, "lambda_function": []}
        permissions = []
        for entry in entries:
            if entry.settings.get("via_eventbridge"):
                notification["eventbridge"] = True  # the bucket sends its events to EventBridge
                continue
            permissions.append(
                document.permission(
                    entry.name,
                    "s3",
                    "s3.amazonaws.com",
                    tf_arn(bucket_arn(bucket)),
                    True,
                    name=f"{tf_name(entry.name)}-s3event",
                )
            )
            target: dict[str, Any] = {
                "id": document.function_name(entry.name),
                "lambda_function_arn": document.caller(entry.name),
                "events": list(entry.settings["events"]),
            }
            for key in ("prefix", "suffix"):
                if entry.settings.get(key):
                    target[f"filter_{key}"] = entry.settings[key]
            notification["lambda_function"].append(target)
        # S3 checks that it may invoke each function when the configuration is written.
        notification["depends_on"] = permissions
        document.add("aws_s3_bucket_notification", f"{tf_name(bucket)}_notify", notification)


def s3_rule(document: Document, source: EventSource) -> None:
    pattern = json.dumps(source.pattern, sort_keys=True)
    _add_rule(
        document, source.entry, f"{tf_name(source.entry.name)}_s3", {"event_pattern": pattern}
    )


def sns_subscription(document: Document, source: EventSource) -> None:
    entry = source.entry
    topic = tf_arn(source.arn)
    name = f"{tf_name(entry.name)}-sns-subscription"
    body = {"topic_arn": topic, "protocol": "lambda", "endpoint": document.caller(entry.name)}
    if source.region is not None:
        # SNS subscribes in the topic's region only: the provider's would be refused.
        body["provider"] = document.provider_in(source.region)
    document.add("aws_sns_topic_subscription", name, body)
    document.permission(entry.name, "sns", "sns.amazonaws.com", topic, name=name)


def stream_mapping(document: Document, source: EventSource) -> None:
    """A queue or stream read by Lambda for the function: '<function>-sqs-event-source'."""
    body: dict[str, Any] = {
        "event_source_arn": tf_arn(source.arn),
        "function_name": document.caller(source.entry.name),
        **source.mapping(),
    }
    name = f"{tf_name(source.entry.name)}-{source.kind}-event-source"
    document.add("aws_lambda_event_source_mapping", name, body)


def event_rule(document: Document, source: EventSource) -> None:
    entry = source.entry
    body: dict[str, Any] = {"event_pattern": json.dumps(source.pattern, sort_keys=True)}
    if entry.settings.get("bus"):
        body["event_bus_name"] = entry.settings["bus"]
    _add_rule(document, entry, f"{tf_name(entry.name)}-event", body)


def schedule(document: Document, source: EventSource) -> None:
    entry = source.entry
    body: dict[str, Any] = {"schedule_expression": entry.settings["expression"]}
    if entry.settings.get("description"):
        body["description"] = entry.settings["description"]
    _add_rule(document, entry, f"{tf_name(entry.name)}-event", body)


def _add_rule(document: Document, entry: FunctionEntry, name: str, body: dict[str, Any]) -> None:
    """A rule, its target and the permission, all under `name`."""
    rule = document.add(
        "aws_cloudwatch_event_rule",
        name,
        {"name": document.function_name(entry.name), "state": "ENABLED", **body},
    )
    target: dict[str, Any] = {
        "rule": f"${{{rule}.name}}",
        "arn": document.caller(entry.name),
        "target_id": logical_id(entry.name),
    }
    if "event_bus_name" in body:
        target["event_bus_name"] = body["event_bus_name"]
    document.add("aws_cloudwatch_event_target", name, target)
    document.permission(entry.name, "", "events.amazonaws.com", f"${{{rule}.arn}}", name=name)


def ses_rule(document: Document, source: EventSource) -> None:
    entry = source.entry
    set_name = rule_set = source.rule_set
    if source.makes_rule_set:
        if "app" not in document.resources.get("aws_ses_receipt_rule_set", {}):
            document.add("aws_ses_receipt_rule_set", "app", {"rule_set_name": set_name})
            document.output(
                "SESRuleSetName",
                set_name,
                "Activate it: SES reads mail with its one active rule set",
            )
        rule_set = "${aws_ses_receipt_rule_set.app.rule_set_name}"
    rule_name = document.function_name(entry.name)
    permission = document.permission(
        entry.name, "ses", "ses.amazonaws.com", tf_arn(source.arn), True
    )
    body: dict[str, Any] = {
        "name": rule_name,
        "rule_set_name": rule_set,
        "enabled": True,
        "lambda_action": {
            "function_arn": document.caller(entry.name),
            "invocation_type": "Event",
            "position": 1,
        },
        "depends_on": [permission],  # SES checks it may invoke the function
    }
    if entry.settings.get("recipients"):
        body["recipients"] = list(entry.settings["recipients"])
    document.add("aws_ses_receipt_rule", tf_name(entry.name), body)


def cognito_trigger(document: Document, source: EventSource) -> None:
    entry = source.entry
    pool = str(entry.settings["user_pool"])
    document.permission(entry.name, "cognito", "cognito-idp.amazonaws.com", tf_arn(source.arn))
    triggers = ", ".join(entry.settings["triggers"])
    document.output(
        f"{logical_id(entry.name)}CognitoTriggers",
        f"{triggers} on user pool {pool}: {document.caller(entry.name)}",
        "Attach the function to these triggers (a pool's triggers are part of the pool)",
    )
