"""A Terraform JSON document being built: resources by type and name, outputs, locals, the
provider's version and regions; Terraform's spelling of ARNs and tags. Callers of a function
name it through `caller` and `qualifier`, which pick its alias when it publishes versions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._aws import ACCOUNT, PARTITION, REGION, TemplateError, sorted_mapping
from .._model import Deployment
from .._write import Template

__all__ = [
    "DEFAULT_ROLE",
    "FUNCTION_URL_PROVIDER_VERSION",
    "PROVIDER_VERSION",
    "RUNTIME_PROVIDER_VERSIONS",
    "ZIP",
    "Document",
    "tf_arn",
    "tf_name",
]

ZIP = "${path.module}/deployment.zip"
# Resource names are Chalice's (`chalice package --pkg-format terraform`), so our file can
# take over a state Chalice's made without destroying and re-creating what it holds.
DEFAULT_ROLE = "default-role"
# 5.100 reads everything here but the Function URL grant below, which needs 6.29.
PROVIDER_VERSION = ">= 5.100"
FUNCTION_URL_PROVIDER_VERSION = ">= 6.29"
# The provider checks `runtime` against its own list: 5.x refuses python3.14, which 6.20 knows
# (hashicorp/terraform-provider-aws#44984).
RUNTIME_PROVIDER_VERSIONS = {"python3.14": ">= 6.20"}
_DATA = {
    PARTITION: "${data.aws_partition.current.partition}",
    REGION: "${data.aws_region.current.name}",
    ACCOUNT: "${data.aws_caller_identity.current.account_id}",
}


def tf_arn(text: str) -> str:
    """A CloudFormation Sub-syntax ARN with Terraform's data sources in place."""
    for pseudo, data in _DATA.items():
        text = text.replace(pseudo, data)
    return text


def tf_name(name: str) -> str:
    """A Terraform resource name: letters, digits, '_' and '-', not starting with a digit."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


@dataclass
class Document(Template):
    """A Terraform JSON document being built: resources by type, then by name."""

    deployment: Deployment
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    provider_version: str = PROVIDER_VERSION
    regions: set[str] = field(default_factory=set)  # other than the provider's

    def add(self, resource_type: str, name: str, body: dict[str, Any]) -> str:
        of_type = self.resources.setdefault(resource_type, {})
        if name in of_type:
            raise TemplateError(
                f"Two {resource_type} resources would both be named {name!r}; "
                "give one of the functions another name (name=...)"
            )
        of_type[name] = body
        return f"{resource_type}.{name}"

    def output(self, name: str, value: str, description: str | None = None) -> None:
        output: dict[str, Any] = {"value": value}
        if description:
            output["description"] = description
        self.outputs[name] = output

    def require_provider(self, version: str) -> None:
        """Ask for at least `version` (">= X.Y") of the aws provider."""

        def number(text: str) -> tuple[int, ...]:
            return tuple(int(part) for part in text.removeprefix(">=").strip().split("."))

        if number(version) > number(self.provider_version):
            self.provider_version = version

    def provider_in(self, region: str) -> str:
        """An aws provider for `region`, for what must be made there (a subscription to a
        topic elsewhere). It reads credentials as the default one does (environment,
        shared config); the aws provider 6's per-resource `region` would inherit the
        rest of its settings too, but would leave 5.x behind."""
        self.regions.add(region)
        return f"aws.{_region_alias(region)}"

    def function_name(self, function: str) -> str:
        return self.deployment.deployed_name(function)

    def fn(self, function: str, attribute: str = "arn") -> str:
        """The function's own attribute: for what names it without invoking it; callers
        use `caller`."""
        return f"${{aws_lambda_function.{tf_name(function)}.{attribute}}}"

    def caller(self, function: str, attribute: str = "arn") -> str:
        """The `arn` or `invoke_arn` whatever invokes the function calls: its alias's, when it
        has one (`aws_lambda_alias` has both attributes)."""
        if self.alias_name(function) is None:
            return self.fn(function, attribute)
        return f"${{aws_lambda_alias.{tf_name(function)}.{attribute}}}"

    def qualifier(self, function: str) -> dict[str, str]:
        """`qualifier` for a permission or a URL of the function: its alias, if it has one."""
        if self.alias_name(function) is None:
            return {}
        return {"qualifier": f"${{aws_lambda_alias.{tf_name(function)}.name}}"}

    def permission(
        self,
        function: str,
        label: str,
        principal: str,
        source_arn: str,
        source_account: bool = False,
        name: str | None = None,
    ) -> str:
        """Let an AWS service invoke the function, as `<function>_<label>` or `name`."""
        body: dict[str, Any] = {
            "function_name": self.fn(function, "function_name"),
            **self.qualifier(function),  # a grant on the alias, where callers call one
            "action": "lambda:InvokeFunction",
            "principal": principal,
            "source_arn": source_arn,
        }
        if source_account:  # S3 and SES ARNs name no account (no account in their ARNs)
            body["source_account"] = _DATA[ACCOUNT]
        resource = name if name is not None else f"{tf_name(function)}_{label}"
        return self.add("aws_lambda_permission", resource, body)

    def tags(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return dict(sorted(self.deployment.tags(extra).items()))

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "terraform": {
                "required_providers": {
                    "aws": {"source": "hashicorp/aws", "version": self.provider_version}
                }
            },
            "data": {
                "aws_caller_identity": {"current": {}},
                "aws_partition": {"current": {}},
                "aws_region": {"current": {}},
            },
        }
        if self.regions:
            document["provider"] = {
                "aws": [
                    {"alias": _region_alias(region), "region": region}
                    for region in sorted(self.regions)
                ]
            }
        if self.locals:
            document["locals"] = self.locals
        document["resource"] = {
            kind: sorted_mapping(by_name) for kind, by_name in sorted(self.resources.items())
        }
        document["output"] = sorted_mapping(self.outputs)
        return document


def _region_alias(region: str) -> str:
    return f"chalicelike_{region.replace('-', '_')}"
