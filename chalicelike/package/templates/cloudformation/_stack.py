"""A CloudFormation template being built: resources by logical ID, outputs, and the spelling
shared by SAM and plain CloudFormation (tags, permissions, function ARNs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._aws import TemplateError, logical_id, sorted_mapping
from .._model import Deployment
from .._write import Template

__all__ = ["Stack"]


@dataclass
class Stack(Template):
    """The template of `deployment`, SAM's (`sam`) or plain CloudFormation's."""

    deployment: Deployment
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
        return self.deployment.tags(extra)

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
