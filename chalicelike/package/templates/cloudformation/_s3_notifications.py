"""S3 notifications on buckets the stack does not own, through a custom resource whose inline
handler reads the bucket's configuration and swaps only this stack's entries (by Id): S3's
API replaces the whole configuration, and CloudFormation can set one only on its own buckets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._aws import LAMBDA_TRUST_POLICY, bucket_arn, sub

__all__ = [
    "HANDLER",
    "HANDLER_SOURCE",
    "RESOURCE_TYPE",
    "handler_resources",
    "notification_configuration",
]

HANDLER = "S3NotificationsHandler"
HANDLER_ROLE = "S3NotificationsRole"
RESOURCE_TYPE = "Custom::S3BucketNotifications"

# Inline (ZipFile) code is limited to 4096 characters; only the stdlib and boto3, which
# the Python runtimes provide. Its contract is CloudFormation's custom resource protocol:
# one JSON PUT to the presigned ResponseURL, or the stack waits for an hour.
HANDLER_SOURCE = """\
import json
import urllib.request

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    props = event["ResourceProperties"]
    old = event.get("OldResourceProperties") or {}
    deleting = event["RequestType"] == "Delete"
    status, reason = "SUCCESS", ""
    try:
        ours = {c["Id"] for c in props["Configurations"] + old.get("Configurations", [])}
        wanted = [] if deleting else props["Configurations"]
        update(props["Bucket"], ours, wanted, props.get("EventBridge") == "true" and not deleting)
    except Exception as error:
        # A stack being deleted must not hang on a bucket that is already gone.
        if not deleting:
            status, reason = "FAILED", f"{error} (log stream {context.log_stream_name})"
    respond(event, status, reason, props["Bucket"])


def update(bucket, ours, wanted, eventbridge):
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata", None)
    kept = [c for c in config.get("LambdaFunctionConfigurations", []) if c.get("Id") not in ours]
    config["LambdaFunctionConfigurations"] = kept + wanted
    if eventbridge:
        config["EventBridgeConfiguration"] = {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def respond(event, status, reason, physical_id):
    body = json.dumps({
        "Status": status,
        "Reason": reason or status,
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {},
    }).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    urllib.request.urlopen(request, timeout=30).close()
"""


def notification_configuration(
    config_id: Any, function_arn: Any, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """One LambdaFunctionConfiguration in boto3's shape: the handler passes it through."""
    configuration: dict[str, Any] = {
        "Id": config_id,
        "LambdaFunctionArn": function_arn,
        "Events": list(settings["events"]),
    }
    rules = [
        {"Name": name, "Value": settings[name]}
        for name in ("prefix", "suffix")
        if settings.get(name)
    ]
    if rules:
        configuration["Filter"] = {"Key": {"FilterRules": rules}}
    return configuration


def handler_resources(buckets: list[str]) -> dict[str, dict[str, Any]]:
    """The handler function and its role: allowed to edit these buckets' notifications only."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetBucketNotification", "s3:PutBucketNotification"],
                "Resource": [sub(bucket_arn(bucket)) for bucket in buckets],
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": sub("arn:${AWS::Partition}:logs:*:*:*"),
            },
        ],
    }
    return {
        HANDLER_ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY,
                "Policies": [{"PolicyName": "S3NotificationsPolicy", "PolicyDocument": policy}],
            },
        },
        HANDLER: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Description": "Adds this stack's notifications to existing S3 buckets",
                "Handler": "index.handler",
                "Runtime": "python3.12",
                "Timeout": 120,
                "Role": {"Fn::GetAtt": [HANDLER_ROLE, "Arn"]},
                "Code": {"ZipFile": HANDLER_SOURCE},
            },
        },
    }
