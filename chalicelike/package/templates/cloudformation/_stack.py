"""A CloudFormation template being built: resources by logical ID, outputs, and the spelling
shared by SAM and plain CloudFormation (tags, permissions, function ARNs). Callers of a function
name it through `caller_arn` & co, which pick its alias when it publishes versions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._aws import TemplateError, logical_id, sorted_mapping, sub
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
        """The function's own ARN: for what names the function without invoking it (outputs,
        a Function URL's target); callers use `caller_arn`."""
        return {"Fn::GetAtt": [logical_id(function), "Arn"]}

    def alias_reference(self, function: str) -> str | None:
        """What a Ref or `${...}` names the function's alias by (its ARN), None without one:
        SAM's `<F>.Alias` property, which its transform resolves to the alias it makes."""
        if self.alias_name(function) is None:
            return None
        function_id = logical_id(function)
        return f"{function_id}.Alias" if self.sam else f"{function_id}Alias"

    def alias_resource(self, function: str) -> str | None:
        """The logical ID of the function's alias (for DependsOn), None without one. SAM
        names the one it makes `<F>Alias<name>`, with '-' spelled 'D' and '_' 'U'."""
        name = self.alias_name(function)
        if name is None:
            return None
        function_id = logical_id(function)
        if not self.sam:
            return f"{function_id}Alias"
        return f"{function_id}Alias{name.replace('-', 'D').replace('_', 'U')}"

    def caller_arn(self, function: str) -> dict[str, Any]:
        """The ARN whatever invokes the function calls: its alias's, if it has one."""
        alias = self.alias_reference(function)
        return {"Ref": alias} if alias is not None else self.function_arn(function)

    def caller_sub(self, function: str, text: Callable[[str], str]) -> Any:
        """An Fn::Sub of `text(arn)`, where `arn` is how the Sub spells `caller_arn`.

        SAM's transform resolves `${F.Alias}` in a Sub, but cfn-lint, which lints a SAM
        template as written, knows no such attribute: SAM's Sub names a variable holding
        `Ref F.Alias` instead, which both read."""
        alias = self.alias_reference(function)
        if alias is None:
            return sub(text(f"${{{logical_id(function)}.Arn}}"))
        if not self.sam:
            return sub(text(f"${{{alias}}}"))
        variable = f"{logical_id(function)}AliasArn"
        return {"Fn::Sub": [text(f"${{{variable}}}"), {variable: {"Ref": alias}}]}

    def caller_name(self, function: str) -> dict[str, Any]:
        """A FunctionName that invokes: the function's name, or its alias's ARN (Lambda's
        APIs take either where they take a function)."""
        alias = self.alias_reference(function)
        return {"Ref": alias if alias is not None else logical_id(function)}

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
            "FunctionName": self.caller_arn(function),  # the alias, where callers call one
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
