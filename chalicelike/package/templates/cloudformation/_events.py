"""Every event source of the app as CloudFormation resources, the same in SAM and plain CFN:
SAM's `Events` cannot reach buckets or user pools outside the template, so none are used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...._tooling._manifest import FunctionEntry
from .._aws import (
    arn_region,
    bucket_arn,
    event_id,
    logical_id,
    queue_arn,
    s3_eventbridge_pattern,
    ses_rule_arn,
    stream_arn,
    sub,
    topic_arn,
    user_pool_arn,
)
from .._model import REPORT_FAILURES
from . import _s3_notifications as s3n
from ._stack import Stack

__all__ = ["add_event_sources"]


def add_event_sources(stack: Stack) -> None:
    for entry in stack.manifest.functions:
        adder = _ADDERS.get(entry.kind)
        if adder is not None:
            adder(stack, entry)
    _add_s3_notifications(stack)


def _add_s3_via_eventbridge(stack: Stack, entry: FunctionEntry) -> None:
    if entry.settings.get("via_eventbridge"):
        pattern = {"EventPattern": s3_eventbridge_pattern(entry.settings)}
        _add_rule(stack, entry, f"{logical_id(entry.name)}S3Rule", pattern)


def _add_s3_notifications(stack: Stack) -> None:
    """One custom resource per bucket: they read-modify-write, so two on one bucket race."""
    buckets = stack.deployment.s3_buckets()
    if not buckets:
        return
    for logical, resource in s3n.handler_resources([bucket for bucket, _ in buckets]).items():
        stack.add(logical, resource["Type"], resource["Properties"])
    for bucket, functions in buckets:
        entries = [function.entry for function in functions]
        classic = [e for e in entries if not e.settings.get("via_eventbridge")]
        permissions = [
            stack.permission(e.name, "S3", "s3.amazonaws.com", sub(bucket_arn(bucket)), True)
            for e in classic
        ]
        properties: dict[str, Any] = {
            "ServiceToken": {"Fn::GetAtt": [s3n.HANDLER, "Arn"]},
            "Bucket": bucket,
            "Configurations": [
                s3n.notification_configuration(
                    sub(f"${{AWS::StackName}}-{e.name}"), stack.function_arn(e.name), e.settings
                )
                for e in classic
            ],
        }
        if len(classic) < len(entries):
            # The bucket must send its events to EventBridge for the rules to see them.
            properties["EventBridge"] = "true"
        # S3 checks that it may invoke each function when the configuration is written.
        stack.add(
            f"{logical_id(bucket)}Notifications",
            s3n.RESOURCE_TYPE,
            properties,
            depends_on=permissions,
        )


def _add_sns(stack: Stack, entry: FunctionEntry) -> None:
    topic = str(entry.settings["topic"])
    properties: dict[str, Any] = {
        "Protocol": "lambda",
        "Endpoint": stack.function_arn(entry.name),
        "TopicArn": sub(topic_arn(topic)),
    }
    region = arn_region(topic)
    if region is not None:
        properties["Region"] = region  # a topic elsewhere is subscribed to in its region
    subscription = stack.add(
        event_id(entry.name, "SnsSubscription"), "AWS::SNS::Subscription", properties
    )
    stack.permission(
        entry.name, "", "sns.amazonaws.com", sub(topic_arn(topic)), logical=subscription
    )


def _add_sqs(stack: Stack, entry: FunctionEntry) -> None:
    settings = entry.settings
    properties = _mapping_properties(stack, entry, sub(queue_arn(settings)))
    if settings.get("maximum_concurrency"):
        properties["ScalingConfig"] = {"MaximumConcurrency": settings["maximum_concurrency"]}
    stack.add(event_id(entry.name, "SqsEventSource"), "AWS::Lambda::EventSourceMapping", properties)


def _add_kinesis(stack: Stack, entry: FunctionEntry) -> None:
    properties = _mapping_properties(stack, entry, sub(stream_arn(str(entry.settings["stream"]))))
    properties["StartingPosition"] = entry.settings["starting_position"]
    stack.add(
        event_id(entry.name, "KinesisEventSource"), "AWS::Lambda::EventSourceMapping", properties
    )


def _add_dynamodb(stack: Stack, entry: FunctionEntry) -> None:
    properties = _mapping_properties(stack, entry, entry.settings["stream_arn"])
    properties["StartingPosition"] = entry.settings["starting_position"]
    stack.add(
        event_id(entry.name, "DynamodbEventSource"), "AWS::Lambda::EventSourceMapping", properties
    )


def _mapping_properties(stack: Stack, entry: FunctionEntry, source_arn: Any) -> dict[str, Any]:
    return {
        "EventSourceArn": source_arn,
        "FunctionName": {"Ref": logical_id(entry.name)},
        "BatchSize": entry.settings["batch_size"],
        "MaximumBatchingWindowInSeconds": entry.settings["maximum_batching_window_in_seconds"],
        "FunctionResponseTypes": REPORT_FAILURES,
        "Enabled": True,
    }


def _add_cloudwatch(stack: Stack, entry: FunctionEntry) -> None:
    properties: dict[str, Any] = {"EventPattern": entry.settings["event_pattern"]}
    if entry.settings.get("bus"):
        properties["EventBusName"] = entry.settings["bus"]
    _add_rule(stack, entry, event_id(entry.name, "Event"), properties)


def _add_schedule(stack: Stack, entry: FunctionEntry) -> None:
    properties: dict[str, Any] = {"ScheduleExpression": entry.settings["expression"]}
    if entry.settings.get("description"):
        properties["Description"] = entry.settings["description"]
    _add_rule(stack, entry, event_id(entry.name, "Event"), properties)


def _add_rule(stack: Stack, entry: FunctionEntry, logical: str, properties: dict[str, Any]) -> None:
    function_id = logical_id(entry.name)
    rule = stack.add(
        logical,
        "AWS::Events::Rule",
        properties
        | {
            "State": "ENABLED",
            "Targets": [{"Arn": stack.function_arn(entry.name), "Id": function_id}],
        },
    )
    stack.permission(
        entry.name, "", "events.amazonaws.com", {"Fn::GetAtt": [rule, "Arn"]}, logical=rule
    )


def _add_ses(stack: Stack, entry: FunctionEntry) -> None:
    rule_set, app_owned = stack.deployment.ses_rule_set(stack.deployment.function(entry.name))
    if app_owned and "SESRuleSet" not in stack.resources:
        stack.add("SESRuleSet", "AWS::SES::ReceiptRuleSet", {"RuleSetName": rule_set})
        stack.output(
            "SESRuleSetName",
            {"Ref": "SESRuleSet"},
            "SES reads mail with its one active rule set: activate this one with "
            "aws ses set-active-receipt-rule-set --rule-set-name <name>",
        )
    rule_name = stack.deployment.deployed_name(entry.name)
    rule_arn = ses_rule_arn(rule_set, rule_name)
    permission = stack.permission(entry.name, "Ses", "ses.amazonaws.com", sub(rule_arn), True)
    rule: dict[str, Any] = {
        "Name": rule_name,
        "Enabled": True,
        "Actions": [
            {
                "LambdaAction": {
                    "FunctionArn": stack.function_arn(entry.name),
                    "InvocationType": "Event",
                }
            }
        ],
    }
    if entry.settings.get("recipients"):
        rule["Recipients"] = list(entry.settings["recipients"])
    properties: dict[str, Any] = {"RuleSetName": rule_set, "Rule": rule}
    if "SESRuleSet" in stack.resources:
        properties["RuleSetName"] = {"Ref": "SESRuleSet"}
    # SES checks it may invoke the function when the rule is created.
    stack.add(
        f"{logical_id(entry.name)}ReceiptRule",
        "AWS::SES::ReceiptRule",
        properties,
        depends_on=[permission],
    )


def _add_cognito(stack: Stack, entry: FunctionEntry) -> None:
    """Permission for the pool, and an output saying what to attach.

    A pool's triggers are part of the pool: CloudFormation can set them only on a pool it
    creates, and UpdateUserPool resets every setting it is not given, so we do not.
    """
    pool = str(entry.settings["user_pool"])
    stack.permission(entry.name, "Cognito", "cognito-idp.amazonaws.com", sub(user_pool_arn(pool)))
    triggers = ", ".join(entry.settings["triggers"])
    stack.output(
        f"{logical_id(entry.name)}CognitoTriggers",
        sub(f"{triggers} on user pool {pool}: ${{{logical_id(entry.name)}.Arn}}"),
        "Attach the function to these triggers (aws cognito-idp update-user-pool "
        "--lambda-config, giving the pool's other settings too)",
    )


_ADDERS: dict[str, Callable[[Stack, FunctionEntry], None]] = {
    "s3": _add_s3_via_eventbridge,
    "sns": _add_sns,
    "sqs": _add_sqs,
    "kinesis": _add_kinesis,
    "dynamodb": _add_dynamodb,
    "cloudwatch": _add_cloudwatch,
    "scheduled": _add_schedule,
    "ses": _add_ses,
    "cognito": _add_cognito,
}
