"""The app as Terraform JSON (`chalicelike.tf.json`, hashicorp/aws provider): functions read
deployment.zip beside the file (`filename` + `source_code_hash`). APIs are in
`_terraform_api`, event sources in `_terraform_events`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._tooling._manifest import AppManifest, FunctionEntry
from .._tooling._settings import FunctionConfig, StageConfig
from ._cloudformation import clean_policy, function_options
from ._resources import (
    ACCOUNT,
    LAMBDA_TRUST_POLICY,
    PARTITION,
    REGION,
    RoleSource,
    TemplateError,
    config_for,
    lambda_name,
    logical_id,
    role_source,
    sorted_mapping,
)

ZIP = "${path.module}/deployment.zip"
# Resource names are Chalice's (`chalice package --pkg-format terraform`), so our file can
# take over a state Chalice's made without destroying and re-creating what it holds.
DEFAULT_ROLE = "default-role"
# 5.100 reads everything here but the Function URL grant below, which needs 6.29.
PROVIDER_VERSION = ">= 5.100"
FUNCTION_URL_PROVIDER_VERSION = ">= 6.29"
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
class Document:
    """A Terraform JSON document being built: resources by type, then by name."""

    manifest: AppManifest
    stage: StageConfig
    configs: Mapping[str, FunctionConfig]
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

    def config(self, function: str) -> FunctionConfig:
        return config_for(self.configs, function)

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
        return lambda_name(self.manifest.app_name, self.stage.stage, function)

    def fn(self, function: str, attribute: str = "arn") -> str:
        return f"${{aws_lambda_function.{tf_name(function)}.{attribute}}}"

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
            "action": "lambda:InvokeFunction",
            "principal": principal,
            "source_arn": source_arn,
        }
        if source_account:  # S3 and SES ARNs name no account (see _cloudformation)
            body["source_account"] = _DATA[ACCOUNT]
        resource = name if name is not None else f"{tf_name(function)}_{label}"
        return self.add("aws_lambda_permission", resource, body)

    def tags(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        tags = {"chalicelike": f"app={self.manifest.app_name}:stage={self.stage.stage}"}
        tags.update(self.stage.tags)
        tags.update(extra or {})
        return dict(sorted(tags.items()))

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


def terraform_template(
    manifest: AppManifest,
    stage: StageConfig,
    configs: Mapping[str, FunctionConfig],
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]] | None = None,
    api_gateway_policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    from ._terraform_api import add_front_doors
    from ._terraform_events import add_event_sources

    document = Document(manifest, stage, configs)
    roles = _add_roles(document, policy, function_policies or {})
    for entry in manifest.functions:
        _add_function(document, entry, roles[entry.name])
    add_front_doors(document, api_gateway_policy)
    add_event_sources(document)
    return document.document()


def _add_roles(
    document: Document,
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]],
) -> dict[str, str]:
    """Each function's role ARN: the user's, its own policy's role, or the app's default."""
    roles: dict[str, str] = {}
    for entry in document.manifest.functions:
        config = document.config(entry.name)
        source, value = role_source(entry.name, config, policy, function_policies)
        if source is RoleSource.GIVEN:
            roles[entry.name] = value
            continue
        if source is RoleSource.OWN_POLICY:
            role = _add_role(
                document, f"{tf_name(entry.name)}_role", document.function_name(entry.name), value
            )
        elif DEFAULT_ROLE in document.resources.get("aws_iam_role", {}):
            role = DEFAULT_ROLE
        else:
            name = f"{document.manifest.app_name}-{document.stage.stage}"
            role = _add_role(document, DEFAULT_ROLE, name, value)
        roles[entry.name] = f"${{aws_iam_role.{role}.arn}}"
    return roles


def _add_role(document: Document, resource: str, name: str, policy: Mapping[str, Any]) -> str:
    document.add(
        "aws_iam_role",
        resource,
        {
            "name": name,
            "assume_role_policy": json.dumps(LAMBDA_TRUST_POLICY),
            "tags": document.tags(),
        },
    )
    document.add(
        "aws_iam_role_policy",
        resource,
        {
            "name": f"{name}-policy",
            "role": f"${{aws_iam_role.{resource}.id}}",
            "policy": json.dumps(clean_policy(policy)),
        },
    )
    return resource


def _add_function(document: Document, entry: FunctionEntry, role: str) -> None:
    config = document.config(entry.name)
    name = tf_name(entry.name)
    function_name = document.function_name(entry.name)
    body: dict[str, Any] = {
        "function_name": function_name,
        "handler": entry.handler,
        "runtime": config.runtime,
        "architectures": [config.lambda_architecture],
        "memory_size": config.lambda_memory_size,
        "timeout": config.lambda_timeout,
        "role": role,
        "filename": ZIP,
        "source_code_hash": f'${{filebase64sha256("{ZIP}")}}',
        "tracing_config": {"mode": "Active" if config.xray else "PassThrough"},
        "tags": document.tags(config.tags),
    }
    if config.log_retention_in_days is not None:
        # A retention needs a group of our own (otherwise Lambda makes one, kept forever,
        # on the first log line). It exists before the function: an early invoke cannot
        # create it first, without the retention. `terraform destroy` deletes it: its
        # name is fixed, so a kept one would block the next apply.
        log_group = {
            "name": f"/aws/lambda/{function_name}",
            "retention_in_days": config.log_retention_in_days,
            "tags": document.tags(),
        }
        document.add("aws_cloudwatch_log_group", name, log_group)
        body["logging_config"] = {
            "log_format": "Text",
            "log_group": f"${{aws_cloudwatch_log_group.{name}.name}}",
        }
    body.update(_tf_options(function_options(entry.name, config)))
    document.add("aws_lambda_function", name, body)
    if entry.kind == "websocket":  # Chalice's output names for its websocket handlers
        document.output(f"{logical_id(entry.name)}HandlerArn", document.fn(entry.name))
        document.output(
            f"{logical_id(entry.name)}HandlerName", document.fn(entry.name, "function_name")
        )
        return
    document.output(f"{logical_id(entry.name)}Arn", document.fn(entry.name))


def _tf_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation's spelling of the optional settings, in Terraform's."""
    body: dict[str, Any] = {}
    if "Environment" in options:
        body["environment"] = {"variables": options["Environment"]["Variables"]}
    if "Layers" in options:
        body["layers"] = options["Layers"]
    if "VpcConfig" in options:
        body["vpc_config"] = {
            "subnet_ids": options["VpcConfig"]["SubnetIds"],
            "security_group_ids": options["VpcConfig"]["SecurityGroupIds"],
        }
    if "ReservedConcurrentExecutions" in options:
        body["reserved_concurrent_executions"] = options["ReservedConcurrentExecutions"]
    if "EphemeralStorage" in options:
        body["ephemeral_storage"] = {"size": options["EphemeralStorage"]["Size"]}
    return body
