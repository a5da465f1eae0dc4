"""Functions, their roles and log groups as Terraform resources: functions read
deployment.zip beside the file (`filename` + `source_code_hash`). A function with provisioned
concurrency or SnapStart publishes versions, with the stage's alias on the newest."""

from __future__ import annotations

import json
from typing import Any

from .._aws import LAMBDA_TRUST_POLICY, logical_id
from .._model import Function, Role
from ._document import DEFAULT_ROLE, RUNTIME_PROVIDER_VERSIONS, ZIP, Document, tf_name

__all__ = ["function", "role"]


def _role_resource(role: Role) -> str:
    return DEFAULT_ROLE if role.function is None else f"{tf_name(role.function)}_role"


def role(document: Document, role: Role) -> None:
    resource = _role_resource(role)
    if role.function is None:
        name = f"{document.manifest.app_name}-{document.stage.stage}"
    else:
        name = document.function_name(role.function)
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
            "policy": json.dumps(role.policy),
        },
    )


def function(document: Document, function: Function) -> None:
    entry = function.entry
    config = function.config
    name = tf_name(entry.name)
    function_name = document.function_name(entry.name)
    role = (
        function.role
        if isinstance(function.role, str)
        else f"${{aws_iam_role.{_role_resource(function.role)}.arn}}"
    )
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
        "tracing_config": {"mode": function.tracing},
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
    logging = _logging_config(function, name)
    if logging:
        body["logging_config"] = logging
    body.update(_function_options(function))
    if config.runtime in RUNTIME_PROVIDER_VERSIONS:
        document.require_provider(RUNTIME_PROVIDER_VERSIONS[config.runtime])
    document.add("aws_lambda_function", name, body)
    if config.publishes_versions:
        _add_alias(document, function)
    if entry.kind == "websocket":  # Chalice's output names for its websocket handlers
        document.output(f"{logical_id(entry.name)}HandlerArn", document.fn(entry.name))
        document.output(
            f"{logical_id(entry.name)}HandlerName", document.fn(entry.name, "function_name")
        )
        return
    document.output(f"{logical_id(entry.name)}Arn", document.fn(entry.name))


def _add_alias(document: Document, function: Function) -> None:
    """The stage's alias on the version `publish` makes (the provider publishes one whenever
    the code or the settings change), with the alias's provisioned concurrency."""
    name = tf_name(function.name)
    alias = document.add(
        "aws_lambda_alias",
        name,
        {
            "name": document.stage.stage,
            "function_name": document.fn(function.name, "function_name"),
            "function_version": document.fn(function.name, "version"),
        },
    )
    provisioned = function.config.provisioned_concurrency
    if provisioned is not None:
        document.add(
            "aws_lambda_provisioned_concurrency_config",
            name,
            {
                "function_name": f"${{{alias}.function_name}}",
                "qualifier": f"${{{alias}.name}}",
                "provisioned_concurrent_executions": provisioned,
            },
        )
    document.output(f"{logical_id(function.name)}AliasArn", f"${{{alias}.arn}}")


def _logging_config(function: Function, name: str) -> dict[str, str]:
    """The `logging_config` block: the log format (JSON, or Text when the config says so or a
    log group of our own is named), its level, and our log group."""
    logging = function.logging()
    block = {"log_format": logging.get("LogFormat", "Text")}
    if "ApplicationLogLevel" in logging:
        block["application_log_level"] = logging["ApplicationLogLevel"]
    if function.config.log_retention_in_days is not None:
        block["log_group"] = f"${{aws_cloudwatch_log_group.{name}.name}}"
    elif not logging:
        return {}  # Lambda's defaults: its Text format, its own group
    return block


def _function_options(function: Function) -> dict[str, Any]:
    """The optional settings, in Terraform's spelling."""
    config = function.config
    body: dict[str, Any] = {}
    if function.environment:
        body["environment"] = {"variables": function.environment}
    if config.layers:
        body["layers"] = list(config.layers)
    if function.vpc is not None:
        body["vpc_config"] = {
            "subnet_ids": list(function.vpc.subnet_ids),
            "security_group_ids": list(function.vpc.security_group_ids),
        }
    if config.reserved_concurrency is not None:
        body["reserved_concurrent_executions"] = config.reserved_concurrency
    if function.ephemeral_storage is not None:
        body["ephemeral_storage"] = {"size": function.ephemeral_storage}
    if config.publishes_versions:
        body["publish"] = True  # a new version on each change, for the stage's alias
    if config.snapstart:
        # Lambda snapshots each published version once initialised; $LATEST is never one.
        body["snap_start"] = {"apply_on": "PublishedVersions"}
    return body
