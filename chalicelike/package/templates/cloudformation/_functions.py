"""Functions, their roles and log groups as CloudFormation resources, SAM's or plain: plain
CFN reads the zip from S3 (the DeploymentBucket/Key parameters); SAM uploads ./deployment.zip.
A function with provisioned concurrency or SnapStart is published behind the stage's alias."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...._tooling._manifest import API_FUNCTION
from .._aws import LAMBDA_TRUST_POLICY, logical_id, sub
from .._model import Function, Role
from ._stack import Stack

__all__ = ["function", "role"]

CODE_URI = "./deployment.zip"
DEFAULT_ROLE = "DefaultRole"


def _role_id(role: Role) -> str:
    return DEFAULT_ROLE if role.function is None else f"{logical_id(role.function)}Role"


def role(stack: Stack, role: Role) -> None:
    logical = _role_id(role)
    stack.add(
        logical,
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY,
            "Policies": [{"PolicyName": f"{logical}Policy", "PolicyDocument": role.policy}],
            "Tags": stack.tag_list(),
        },
    )


def function(stack: Stack, function: Function) -> None:
    config = function.config
    function_id = logical_id(function.name)
    role = function.role
    properties: dict[str, Any] = {
        "Handler": function.entry.handler,
        "Runtime": config.runtime,
        "Architectures": [config.lambda_architecture],
        "MemorySize": config.lambda_memory_size,
        "Timeout": config.lambda_timeout,
        "Role": role if isinstance(role, str) else {"Fn::GetAtt": [_role_id(role), "Arn"]},
    }
    if stack.sam:
        properties["CodeUri"] = CODE_URI
        properties["Tracing"] = function.tracing
        properties["Tags"] = stack.tags(config.tags)
    else:
        properties["Code"] = {
            "S3Bucket": {"Ref": "DeploymentBucket"},
            "S3Key": {"Ref": "DeploymentKey"},
        }
        properties["TracingConfig"] = {"Mode": function.tracing}
        properties["Tags"] = stack.tag_list(config.tags)
    properties.update(_function_options(function))
    if config.publishes_versions and stack.sam:
        properties.update(_sam_alias(stack, function))
    function_type = "AWS::Serverless::Function" if stack.sam else "AWS::Lambda::Function"
    stack.add(function_id, function_type, properties)
    if config.publishes_versions and not stack.sam:
        _add_version_and_alias(stack, function, properties)
    if config.log_retention_in_days is not None:
        _add_log_group(stack, function_id, config.log_retention_in_days)
    if function.entry.kind == "websocket":
        # Chalice's output names for its websocket handlers.
        stack.output(f"{function_id}HandlerArn", stack.function_arn(function.name))
        stack.output(f"{function_id}HandlerName", {"Ref": function_id})
        return
    stack.output(f"{function_id}Arn", stack.function_arn(function.name))
    if function.name == API_FUNCTION:
        stack.output("APIHandlerName", {"Ref": function_id})


def _sam_alias(stack: Stack, function: Function) -> dict[str, Any]:
    """SAM publishes a version whenever the code or the function's settings change, and points
    the stage's alias at it (its output: `<function>AliasArn`)."""
    function_id = logical_id(function.name)
    options: dict[str, Any] = {"AutoPublishAlias": stack.stage.stage}
    provisioned = function.config.provisioned_concurrency
    if provisioned is not None:
        options["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": provisioned}
    stack.output(f"{function_id}AliasArn", stack.caller_arn(function.name))
    return options


def _add_version_and_alias(stack: Stack, function: Function, properties: dict[str, Any]) -> None:
    """An AWS::Lambda::Version and the stage's AWS::Lambda::Alias on it, for plain CFN.

    CloudFormation publishes a version only when it creates the Version resource. Its ID
    ends in a hash of the function's properties, so a change of settings makes a new one;
    its description names the zip's S3 location (a change of it replaces the resource), so
    a new DeploymentKey publishes the new code. The replaced version is deleted once the
    alias has moved on.
    """
    function_id = logical_id(function.name)
    digest = hashlib.sha256(json.dumps(properties, sort_keys=True).encode()).hexdigest()[:10]
    version = stack.add(
        f"{function_id}Version{digest}",
        "AWS::Lambda::Version",
        {
            "FunctionName": {"Ref": function_id},
            "Description": sub("s3://${DeploymentBucket}/${DeploymentKey}"),
        },
    )
    alias: dict[str, Any] = {
        "Name": stack.stage.stage,
        "FunctionName": {"Ref": function_id},
        "FunctionVersion": {"Fn::GetAtt": [version, "Version"]},
    }
    provisioned = function.config.provisioned_concurrency
    if provisioned is not None:
        alias["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": provisioned}
    alias_id = stack.alias_resource(function.name)
    assert alias_id is not None  # only a function that publishes versions gets here
    stack.add(alias_id, "AWS::Lambda::Alias", alias)
    stack.output(f"{function_id}AliasArn", stack.caller_arn(function.name))


def _add_log_group(stack: Stack, function_id: str, retention_in_days: int) -> None:
    """The function's own log group, with its retention, as Chalice declares it.

    Only when a retention is set (as Chalice): otherwise Lambda creates the group on the
    first log line. Either way the logs outlive the stack. The group is named after the
    function's generated name, which a new stack does not reuse, so a kept group never
    blocks a stack's creation.
    """
    stack.add(
        f"{function_id}LogGroup",
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": sub(f"/aws/lambda/${{{function_id}}}"),
            "RetentionInDays": retention_in_days,
        },
        deletion_policy="Retain",
    )


def _function_options(function: Function) -> dict[str, Any]:
    """The optional settings, in CloudFormation's spelling (SAM's is the same for these)."""
    config = function.config
    options: dict[str, Any] = {}
    if function.environment:
        options["Environment"] = {"Variables": function.environment}
    if config.layers:
        options["Layers"] = list(config.layers)
    if function.vpc is not None:
        options["VpcConfig"] = {
            "SubnetIds": list(function.vpc.subnet_ids),
            "SecurityGroupIds": list(function.vpc.security_group_ids),
        }
    if config.reserved_concurrency is not None:
        options["ReservedConcurrentExecutions"] = config.reserved_concurrency
    if function.ephemeral_storage is not None:
        options["EphemeralStorage"] = {"Size": function.ephemeral_storage}
    logging = function.logging()
    if logging:
        options["LoggingConfig"] = logging
    if config.snapstart:
        # Lambda snapshots each published version once initialised; $LATEST is never one.
        options["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    return options
