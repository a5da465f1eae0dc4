"""The app as a CloudFormation stack, SAM (`sam_template`) or plain (`cloudformation_template`):
functions, roles and log groups here, APIs in `_cloudformation_api`, event sources in
`_cloudformation_events`. Plain CFN reads the zip from S3; SAM uploads ./deployment.zip."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._tooling._manifest import API_FUNCTION, AppManifest, FunctionEntry
from .._tooling._settings import FunctionConfig, StageConfig
from ._resources import (
    LAMBDA_TRUST_POLICY,
    RoleSource,
    TemplateError,
    config_for,
    logical_id,
    role_source,
    sorted_mapping,
    sub,
)

CODE_URI = "./deployment.zip"
DEFAULT_ROLE = "DefaultRole"


@dataclass
class Stack:
    """A template being built: resources by logical ID, outputs, and what they are built from."""

    manifest: AppManifest
    stage: StageConfig
    configs: Mapping[str, FunctionConfig]
    sam: bool
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        logical: str,
        resource_type: str,
        properties: dict[str, Any],
        depends_on: list[str] | None = None,
        deletion_policy: str | None = None,
    ) -> str:
        if logical in self.resources:
            raise TemplateError(
                f"Two resources of the template would both be named {logical!r}; "
                "give one of the functions another name (name=...)"
            )
        resource: dict[str, Any] = {"Type": resource_type, "Properties": properties}
        if depends_on:
            resource["DependsOn"] = sorted(depends_on)
        if deletion_policy is not None:
            resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = deletion_policy
        self.resources[logical] = resource
        return logical

    def output(self, name: str, value: Any, description: str | None = None) -> None:
        output: dict[str, Any] = {"Value": value}
        if description:
            output["Description"] = description
        self.outputs[name] = output

    def config(self, function: str) -> FunctionConfig:
        return config_for(self.configs, function)

    def function_arn(self, function: str) -> dict[str, Any]:
        return {"Fn::GetAtt": [logical_id(function), "Arn"]}

    def permission(
        self,
        function: str,
        label: str,
        principal: str,
        source_arn: Any,
        source_account: bool = False,
        logical: str | None = None,
    ) -> str:
        """Let an AWS service invoke the function; SourceArn pins it to one resource.

        Named `<function ID><label>Permission`, or `<logical>Permission` after the
        resource it serves (SAM's names for the permissions of Chalice's events)."""
        properties: dict[str, Any] = {
            "Action": "lambda:InvokeFunction",
            "FunctionName": self.function_arn(function),
            "Principal": principal,
            "SourceArn": source_arn,
        }
        if source_account:
            # S3 and SES ARNs carry no account: without this, another account's bucket
            # or rule set of the same name could invoke the function (AWS's advice).
            properties["SourceAccount"] = {"Ref": "AWS::AccountId"}
        prefix = logical if logical is not None else f"{logical_id(function)}{label}"
        return self.add(f"{prefix}Permission", "AWS::Lambda::Permission", properties)

    def tags(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        tags = {"chalicelike": f"app={self.manifest.app_name}:stage={self.stage.stage}"}
        tags.update(self.stage.tags)
        tags.update(extra or {})
        return tags

    def tag_list(self, extra: Mapping[str, str] | None = None) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in sorted(self.tags(extra).items())]

    def template(self) -> dict[str, Any]:
        template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
        if self.sam:
            template["Transform"] = "AWS::Serverless-2016-10-31"
        template["Description"] = (
            f"{self.manifest.app_name} ({self.stage.stage} stage), packaged by chalicelike"
        )
        if not self.sam:
            template["Parameters"] = _CODE_PARAMETERS
        template["Resources"] = sorted_mapping(self.resources)
        template["Outputs"] = sorted_mapping(self.outputs)
        return template


# Plain CloudFormation cannot upload a local file: the zip goes to S3 first
# (`aws s3 cp deployment.zip s3://BUCKET/KEY`) and the stack is told where.
_CODE_PARAMETERS = {
    "DeploymentBucket": {
        "Type": "String",
        "Description": "S3 bucket holding deployment.zip, in the stack's region",
    },
    "DeploymentKey": {
        "Type": "String",
        "Default": "deployment.zip",
        "Description": "Key of deployment.zip in DeploymentBucket; use a new key (or the "
        "zip's hash) for each upload, or CloudFormation will not see the code change",
    },
}


def sam_template(
    manifest: AppManifest,
    stage: StageConfig,
    configs: Mapping[str, FunctionConfig],
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]] | None = None,
    api_gateway_policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A SAM template: `sam deploy` uploads ./deployment.zip and expands the transform."""
    stack = Stack(manifest, stage, configs, sam=True)
    return _build(stack, policy, function_policies, api_gateway_policy)


def cloudformation_template(
    manifest: AppManifest,
    stage: StageConfig,
    configs: Mapping[str, FunctionConfig],
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]] | None = None,
    api_gateway_policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A plain CloudFormation template (no transform); code from the DeploymentBucket/Key."""
    stack = Stack(manifest, stage, configs, sam=False)
    return _build(stack, policy, function_policies, api_gateway_policy)


def _build(
    stack: Stack,
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]] | None,
    api_gateway_policy: Mapping[str, Any] | None,
) -> dict[str, Any]:
    from ._cloudformation_api import add_front_doors
    from ._cloudformation_events import add_event_sources

    roles = _add_roles(stack, policy, function_policies or {})
    for entry in stack.manifest.functions:
        _add_function(stack, entry, roles[entry.name])
    add_front_doors(stack, api_gateway_policy)
    add_event_sources(stack)
    return stack.template()


def _add_roles(
    stack: Stack,
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Each function's role: the user's ARN, its own policy's role, or the app's DefaultRole."""
    roles: dict[str, Any] = {}
    for entry in stack.manifest.functions:
        config = stack.config(entry.name)
        source, value = role_source(entry.name, config, policy, function_policies)
        if source is RoleSource.GIVEN:
            roles[entry.name] = value
            continue
        if source is RoleSource.OWN_POLICY:
            role = f"{logical_id(entry.name)}Role"
            _add_role(stack, role, value)
        else:
            role = DEFAULT_ROLE
            if role not in stack.resources:
                _add_role(stack, role, value)
        roles[entry.name] = {"Fn::GetAtt": [role, "Arn"]}
    return roles


def _add_role(stack: Stack, logical: str, policy: Mapping[str, Any]) -> None:
    stack.add(
        logical,
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY,
            "Policies": [
                {"PolicyName": f"{logical}Policy", "PolicyDocument": clean_policy(policy)}
            ],
            "Tags": stack.tag_list(),
        },
    )


def clean_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """Only the elements IAM's grammar allows: a review file's notes must not reach IAM."""
    return {key: policy[key] for key in ("Version", "Id", "Statement") if key in policy}


def _add_function(stack: Stack, entry: FunctionEntry, role: Any) -> None:
    config = stack.config(entry.name)
    function_id = logical_id(entry.name)
    properties: dict[str, Any] = {
        "Handler": entry.handler,
        "Runtime": config.runtime,
        "Architectures": [config.lambda_architecture],
        "MemorySize": config.lambda_memory_size,
        "Timeout": config.lambda_timeout,
        "Role": role,
    }
    if stack.sam:
        properties["CodeUri"] = CODE_URI
        properties["Tracing"] = "Active" if config.xray else "PassThrough"
        properties["Tags"] = stack.tags(config.tags)
    else:
        properties["Code"] = {
            "S3Bucket": {"Ref": "DeploymentBucket"},
            "S3Key": {"Ref": "DeploymentKey"},
        }
        properties["TracingConfig"] = {"Mode": "Active" if config.xray else "PassThrough"}
        properties["Tags"] = stack.tag_list(config.tags)
    properties.update(function_options(entry.name, config))
    function_type = "AWS::Serverless::Function" if stack.sam else "AWS::Lambda::Function"
    stack.add(function_id, function_type, properties)
    if config.log_retention_in_days is not None:
        _add_log_group(stack, function_id, config.log_retention_in_days)
    if entry.kind == "websocket":
        # Chalice's output names for its websocket handlers.
        stack.output(f"{function_id}HandlerArn", stack.function_arn(entry.name))
        stack.output(f"{function_id}HandlerName", {"Ref": function_id})
        return
    stack.output(f"{function_id}Arn", stack.function_arn(entry.name))
    if entry.name == API_FUNCTION:
        stack.output("APIHandlerName", {"Ref": function_id})


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


def function_options(name: str, config: FunctionConfig) -> dict[str, Any]:
    """The optional settings, in CloudFormation's spelling (SAM's is the same for these)."""
    options: dict[str, Any] = {}
    if config.environment_variables:
        options["Environment"] = {"Variables": dict(sorted(config.environment_variables.items()))}
    if config.layers:
        options["Layers"] = list(config.layers)
    if config.subnet_ids or config.security_group_ids:
        if not (config.subnet_ids and config.security_group_ids):
            raise TemplateError(
                f"Function {name!r}: Lambda needs both subnet_ids and security_group_ids "
                "to join a VPC; set both or neither"
            )
        options["VpcConfig"] = {
            "SubnetIds": list(config.subnet_ids),
            "SecurityGroupIds": list(config.security_group_ids),
        }
    if config.reserved_concurrency is not None:
        options["ReservedConcurrentExecutions"] = config.reserved_concurrency
    if config.lambda_ephemeral_storage != 512:  # Lambda's default /tmp size
        options["EphemeralStorage"] = {"Size": config.lambda_ephemeral_storage}
    return options
