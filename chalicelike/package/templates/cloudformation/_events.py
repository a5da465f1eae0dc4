"""Every event source of the app as CloudFormation resources, the same in SAM and plain CFN:
SAM's `Events` cannot reach buckets or user pools outside the template, so none are used.
Each names the function as its callers must (`Stack.caller_arn`: the alias, if it has one)."""

from __future__ import annotations

from typing import Any

from ...._tooling._manifest import FunctionEntry
from .._aws import bucket_arn, event_id, logical_id, pascal_case, sub
from .._model import EventSource, Function
from . import _s3_notifications as s3n
from ._stack import Stack

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


def s3_rule(stack: Stack, source: EventSource) -> None:
    pattern = {"EventPattern": source.pattern}
    _add_rule(stack, source.entry, f"{logical_id(source.entry.name)}S3Rule", pattern)


def s3_notifications(stack: Stack, buckets: list[tuple[str, list[Function]]]) -> None:
    """One custom resource per bucket: they read-modify-write, so two on one bucket race."""
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
                    sub(f"${{AWS::StackName}}-{e.name}"), stack.caller_arn(e.name), e.settings
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


def sns_subscription(stack: Stack, source: EventSource) -> None:
    name = source.entry.name
    properties: dict[str, Any] = {
        "Protocol": "lambda",
        "Endpoint": stack.caller_arn(name),
        "TopicArn": sub(source.arn),
    }
    if source.region is not None:
        properties["Region"] = source.region  # a topic elsewhere is subscribed to in its region
    subscription = stack.add(
        event_id(name, "SnsSubscription"), "AWS::SNS::Subscription", properties
    )
    stack.permission(name, "", "sns.amazonaws.com", sub(source.arn), logical=subscription)


def stream_mapping(stack: Stack, source: EventSource) -> None:
    """A queue or stream read by Lambda for the function: 'OnJobOnJobSqsEventSource'."""
    properties: dict[str, Any] = {
        "EventSourceArn": sub(source.arn),
        "FunctionName": stack.caller_name(source.entry.name),
    }
    properties.update(pascal_case(source.mapping()))
    mapping_id = event_id(source.entry.name, f"{source.kind.capitalize()}EventSource")
    stack.add(mapping_id, "AWS::Lambda::EventSourceMapping", properties)


def event_rule(stack: Stack, source: EventSource) -> None:
    entry = source.entry
    properties: dict[str, Any] = {"EventPattern": source.pattern}
    if entry.settings.get("bus"):
        properties["EventBusName"] = entry.settings["bus"]
    _add_rule(stack, entry, event_id(entry.name, "Event"), properties)


def schedule(stack: Stack, source: EventSource) -> None:
    entry = source.entry
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
            "Targets": [{"Arn": stack.caller_arn(entry.name), "Id": function_id}],
        },
    )
    stack.permission(
        entry.name, "", "events.amazonaws.com", {"Fn::GetAtt": [rule, "Arn"]}, logical=rule
    )


def ses_rule(stack: Stack, source: EventSource) -> None:
    entry = source.entry
    rule_set = source.rule_set
    if source.makes_rule_set and "SESRuleSet" not in stack.resources:
        stack.add("SESRuleSet", "AWS::SES::ReceiptRuleSet", {"RuleSetName": rule_set})
        stack.output(
            "SESRuleSetName",
            {"Ref": "SESRuleSet"},
            "SES reads mail with its one active rule set: activate this one with "
            "aws ses set-active-receipt-rule-set --rule-set-name <name>",
        )
    rule_name = stack.deployment.deployed_name(entry.name)
    permission = stack.permission(entry.name, "Ses", "ses.amazonaws.com", sub(source.arn), True)
    rule: dict[str, Any] = {
        "Name": rule_name,
        "Enabled": True,
        "Actions": [
            {
                "LambdaAction": {
                    "FunctionArn": stack.caller_arn(entry.name),
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


def cognito_trigger(stack: Stack, source: EventSource) -> None:
    """Permission for the pool, and an output saying what to attach.

    A pool's triggers are part of the pool: CloudFormation can set them only on a pool it
    creates, and UpdateUserPool resets every setting it is not given, so we do not.
    """
    entry = source.entry
    pool = str(entry.settings["user_pool"])
    stack.permission(entry.name, "Cognito", "cognito-idp.amazonaws.com", sub(source.arn))
    triggers = ", ".join(entry.settings["triggers"])
    stack.output(
        f"{logical_id(entry.name)}CognitoTriggers",
        stack.caller_sub(entry.name, lambda arn: f"{triggers} on user pool {pool}: {arn}"),
        "Attach the function to these triggers (aws cognito-idp update-user-pool "
        "--lambda-config, giving the pool's other settings too)",
    )
