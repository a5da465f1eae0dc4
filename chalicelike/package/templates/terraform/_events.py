"""Every event source of the app as Terraform resources; `aws_s3_bucket_notification` owns a
bucket's whole notification configuration, so there is one per bucket."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ...._tooling._manifest import FunctionEntry
from .._aws import (
    arn_region,
    bucket_arn,
    logical_id,
    queue_arn,
    s3_eventbridge_pattern,
    ses_rule_arn,
    stream_arn,
    topic_arn,
    user_pool_arn,
)
from .._model import REPORT_FAILURES
from ._document import Document, tf_arn, tf_name

__all__ = ["add_event_sources"]


def add_event_sources(document: Document) -> None:
    for entry in document.manifest.functions:
        adder = _ADDERS.get(entry.kind)
        if adder is not None:
            adder(document, entry)
    _add_s3_notifications(document)


def _add_s3_notifications(document: Document) -> None:
    for bucket, functions in document.deployment.s3_buckets():
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
                "lambda_function_arn": document.fn(entry.name),
                "events": list(entry.settings["events"]),
            }
            for key in ("prefix", "suffix"):
                if entry.settings.get(key):
                    target[f"filter_{key}"] = entry.settings[key]
            notification["lambda_function"].append(target)
        # S3 checks that it may invoke each function when the configuration is written.
        notification["depends_on"] = permissions
        document.add("aws_s3_bucket_notification", f"{tf_name(bucket)}_notify", notification)


def _add_s3_rule(document: Document, entry: FunctionEntry) -> None:
    if entry.settings.get("via_eventbridge"):
        pattern = json.dumps(s3_eventbridge_pattern(entry.settings), sort_keys=True)
        _add_rule(document, entry, f"{tf_name(entry.name)}_s3", {"event_pattern": pattern})


def _add_sns(document: Document, entry: FunctionEntry) -> None:
    topic = tf_arn(topic_arn(str(entry.settings["topic"])))
    name = f"{tf_name(entry.name)}-sns-subscription"
    body = {"topic_arn": topic, "protocol": "lambda", "endpoint": document.fn(entry.name)}
    region = arn_region(str(entry.settings["topic"]))
    if region is not None:
        # SNS subscribes in the topic's region only: the provider's would be refused.
        body["provider"] = document.provider_in(region)
    document.add("aws_sns_topic_subscription", name, body)
    document.permission(entry.name, "sns", "sns.amazonaws.com", topic, name=name)


def _add_mapping(document: Document, entry: FunctionEntry, source_arn: str, kind: str) -> None:
    settings = entry.settings
    body: dict[str, Any] = {
        "event_source_arn": source_arn,
        "function_name": document.fn(entry.name),
        "batch_size": settings["batch_size"],
        "maximum_batching_window_in_seconds": settings["maximum_batching_window_in_seconds"],
        "function_response_types": REPORT_FAILURES,
        "enabled": True,
    }
    if "starting_position" in settings:
        body["starting_position"] = settings["starting_position"]
    if settings.get("maximum_concurrency"):
        body["scaling_config"] = {"maximum_concurrency": settings["maximum_concurrency"]}
    document.add("aws_lambda_event_source_mapping", f"{tf_name(entry.name)}-{kind}", body)


def _add_sqs(document: Document, entry: FunctionEntry) -> None:
    _add_mapping(document, entry, tf_arn(queue_arn(entry.settings)), "sqs-event-source")


def _add_kinesis(document: Document, entry: FunctionEntry) -> None:
    stream = tf_arn(stream_arn(str(entry.settings["stream"])))
    _add_mapping(document, entry, stream, "kinesis-event-source")


def _add_dynamodb(document: Document, entry: FunctionEntry) -> None:
    _add_mapping(document, entry, str(entry.settings["stream_arn"]), "dynamodb-event-source")


def _add_cloudwatch(document: Document, entry: FunctionEntry) -> None:
    body: dict[str, Any] = {
        "event_pattern": json.dumps(entry.settings["event_pattern"], sort_keys=True)
    }
    if entry.settings.get("bus"):
        body["event_bus_name"] = entry.settings["bus"]
    _add_rule(document, entry, f"{tf_name(entry.name)}-event", body)


def _add_schedule(document: Document, entry: FunctionEntry) -> None:
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
        "arn": document.fn(entry.name),
        "target_id": logical_id(entry.name),
    }
    if "event_bus_name" in body:
        target["event_bus_name"] = body["event_bus_name"]
    document.add("aws_cloudwatch_event_target", name, target)
    document.permission(entry.name, "", "events.amazonaws.com", f"${{{rule}.arn}}", name=name)


def _add_ses(document: Document, entry: FunctionEntry) -> None:
    set_name, app_owned = document.deployment.ses_rule_set(document.deployment.function(entry.name))
    rule_set = set_name
    if app_owned:
        if "app" not in document.resources.get("aws_ses_receipt_rule_set", {}):
            document.add("aws_ses_receipt_rule_set", "app", {"rule_set_name": set_name})
            document.output(
                "SESRuleSetName",
                set_name,
                "Activate it: SES reads mail with its one active rule set",
            )
        rule_set = "${aws_ses_receipt_rule_set.app.rule_set_name}"
    rule_name = document.function_name(entry.name)
    rule_arn = ses_rule_arn(set_name, rule_name)
    permission = document.permission(entry.name, "ses", "ses.amazonaws.com", tf_arn(rule_arn), True)
    body: dict[str, Any] = {
        "name": rule_name,
        "rule_set_name": rule_set,
        "enabled": True,
        "lambda_action": {
            "function_arn": document.fn(entry.name),
            "invocation_type": "Event",
            "position": 1,
        },
        "depends_on": [permission],  # SES checks it may invoke the function
    }
    if entry.settings.get("recipients"):
        body["recipients"] = list(entry.settings["recipients"])
    document.add("aws_ses_receipt_rule", tf_name(entry.name), body)


def _add_cognito(document: Document, entry: FunctionEntry) -> None:
    pool = str(entry.settings["user_pool"])
    document.permission(
        entry.name, "cognito", "cognito-idp.amazonaws.com", tf_arn(user_pool_arn(pool))
    )
    triggers = ", ".join(entry.settings["triggers"])
    document.output(
        f"{logical_id(entry.name)}CognitoTriggers",
        f"{triggers} on user pool {pool}: {document.fn(entry.name)}",
        "Attach the function to these triggers (a pool's triggers are part of the pool)",
    )


_ADDERS: dict[str, Callable[[Document, FunctionEntry], None]] = {
    "s3": _add_s3_rule,
    "sns": _add_sns,
    "sqs": _add_sqs,
    "kinesis": _add_kinesis,
    "dynamodb": _add_dynamodb,
    "cloudwatch": _add_cloudwatch,
    "scheduled": _add_schedule,
    "ses": _add_ses,
    "cognito": _add_cognito,
}
