"""The app's workflows as Terraform resources: an `aws_sfn_state_machine` per workflow with its
role (invoking exactly the functions it calls), its log group when logging is on, and an
EventBridge rule and target per trigger; the role API Gateway starts executions with, for
routes that start a workflow. Functions are named as their callers name them
(`Document.caller`: the alias, where a function publishes versions)."""

from __future__ import annotations

import json
from typing import Any

from ...._tooling._openapi import (
    START_EXECUTION_URI,
    start_execution_integration,
    start_request_template,
)
from .._aws import ACCOUNT, PARTITION, logical_id
from .._model import Workflow
from .._workflow_parts import FUNCTION_MARK, PARTITION_MARK, machine_statements
from ._document import Document, tf_arn, tf_name

__all__ = [
    "START_ROLE",
    "http_start_integration",
    "rest_start_integration",
    "start_role",
    "state_machines",
]

# The role API Gateway calls StartExecution with, for the routes that start a workflow.
START_ROLE = "api_gateway_start_execution"


def state_machines(document: Document) -> None:
    """Every workflow of the app, after the functions they call."""
    for workflow in document.deployment.workflows:
        _state_machine(document, workflow)


def _state_machine(document: Document, workflow: Workflow) -> None:
    name = tf_name(workflow.entry.name)
    level = document.stage.workflow_logging
    role = _role(document, workflow, logging=level != "OFF")
    body: dict[str, Any] = {
        "name": workflow.name,
        "type": "STANDARD",
        "role_arn": f"${{{role}.arn}}",
        "definition": _definition(document, workflow),
        "tags": document.tags(),
    }
    if level != "OFF":
        # Step Functions asks for a /aws/vendedlogs/ prefix: below it, the log group's
        # resource policy does not grow with every machine logging to it.
        group: dict[str, Any] = {"name": f"/aws/vendedlogs/states/{workflow.name}"}
        # As long as the stage's functions' logs (`log_retention_in_days`); none: for ever.
        if document.stage.log_retention_in_days is not None:
            group["retention_in_days"] = document.stage.log_retention_in_days
        log_group = document.add(
            "aws_cloudwatch_log_group", f"{name}_state_machine", group | {"tags": document.tags()}
        )
        body["logging_configuration"] = {
            "level": level,
            # Execution data (every state's input and output) only at ALL, the level that
            # asks to follow an execution: an input is a request's body and may carry
            # personal data, which ERROR and FATAL (that something failed) need not copy
            # into a log group.
            "include_execution_data": level == "ALL",
            # Step Functions takes the log group's ARN ending ":*"; the provider's has none.
            "log_destination": f"${{{log_group}.arn}}:*",
        }
    if document.stage.workflow_tracing:
        body["tracing_configuration"] = {"enabled": True}
    machine = document.add("aws_sfn_state_machine", name, body)
    # The output names CloudFormation's template gives (`package` writes the same names).
    document.output(f"{logical_id(workflow.entry.name)}StateMachineArn", f"${{{machine}.arn}}")
    _triggers(document, workflow, machine)


def _definition(document: Document, workflow: Workflow) -> str:
    """The ASL as a Terraform string (what jsonencode would give), each function named by
    its callers' ARN."""
    asl = workflow.definition(FUNCTION_MARK.format, PARTITION_MARK)
    text = json.dumps(asl, indent=2).replace("${", "$${").replace("%{", "%%{")
    text = text.replace(PARTITION_MARK, tf_arn(PARTITION))
    for function in workflow.entry.functions:
        text = text.replace(FUNCTION_MARK.format(function), document.caller(function))
    return text


def _role(document: Document, workflow: Workflow, *, logging: bool) -> str:
    """The machine's role: it invokes exactly the functions its Tasks call (`:*` for the
    alias a caller calls, an ARN of its own)."""
    resource = f"{tf_name(workflow.entry.name)}_state_machine"
    arns = [document.fn(function) for function in sorted(set(workflow.entry.functions))]
    invoked = [arn for own in arns for arn in (own, f"{own}:*")]
    statements = machine_statements(invoked, logging, document.stage.workflow_tracing)
    role = _add_role(document, resource, workflow.name, "states.amazonaws.com")
    if statements:
        _add_policy(document, resource, workflow.name, statements)
    return role


def _add_role(
    document: Document, resource: str, name: str, service: str, *, source_account: bool = True
) -> str:
    """A role only `service`, acting for this account, may assume (AWS's advice against a
    confused deputy: aws:SourceAccount, where the service sends it). IAM role names stop at
    64 characters, so the role takes a name_prefix of the machine's name and Terraform adds
    the rest."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": tf_arn(ACCOUNT)}}
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    body = {
        "name_prefix": name[:38],
        "assume_role_policy": json.dumps(trust),
        "tags": document.tags(),
    }
    return document.add("aws_iam_role", resource, body)


def _add_policy(
    document: Document, resource: str, name: str, statements: list[dict[str, Any]]
) -> None:
    policy = {"Version": "2012-10-17", "Statement": statements}
    document.add(
        "aws_iam_role_policy",
        resource,
        {
            "name": f"{name}-policy",
            "role": f"${{aws_iam_role.{resource}.id}}",
            "policy": json.dumps(policy),
        },
    )


def _triggers(document: Document, workflow: Workflow, machine: str) -> None:
    """A rule and target per trigger, starting an execution through a role EventBridge
    assumes (it calls states:StartExecution; a state machine takes no resource policy)."""
    entry = workflow.entry
    rules: list[tuple[str, dict[str, Any]]] = []
    if entry.schedule is not None:
        rules.append(("schedule", {"schedule_expression": entry.schedule}))
    if entry.event_pattern is not None:
        rules.append(("event", {"event_pattern": json.dumps(entry.event_pattern, sort_keys=True)}))
    if not rules:
        return
    resource = f"{tf_name(entry.name)}_state_machine_events"
    role = _add_role(document, resource, workflow.name, "events.amazonaws.com")
    arn = f"${{{machine}.arn}}"
    start = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": arn}
    _add_policy(document, resource, f"{workflow.name}-start", [start])
    for label, settings in rules:
        rule_name = f"{tf_name(entry.name)}_state_machine_{label}"
        rule = document.add(
            "aws_cloudwatch_event_rule",
            rule_name,
            {"name_prefix": workflow.name[:38], "state": "ENABLED", **settings},
        )
        target = {
            "rule": f"${{{rule}.name}}",
            "arn": f"${{{machine}.arn}}",
            "target_id": tf_name(entry.name),
            "role_arn": f"${{{role}.arn}}",
        }
        document.add("aws_cloudwatch_event_target", rule_name, target)


# -- routes that start a workflow ---------------------------------------------------------------


def _machine_arn(workflow: str) -> str:
    return f"${{aws_sfn_state_machine.{tf_name(workflow)}.arn}}"


def start_role(document: Document) -> str:
    """The role API Gateway assumes to call StartExecution on exactly the machines routes
    start. Its trust names the service alone, as AWS's own API Gateway role does: API
    Gateway is not documented to send aws:SourceAccount when it assumes an integration's role."""
    workflows = document.deployment.route_workflows
    name = f"{document.manifest.app_name}-{document.stage.stage}-api-start"
    role = _add_role(document, START_ROLE, name, "apigateway.amazonaws.com", source_account=False)
    machines = [_machine_arn(workflow.entry.name) for workflow in workflows]
    start = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": machines}
    _add_policy(document, START_ROLE, name, [start])
    return role


def rest_start_integration(workflow: str) -> dict[str, Any]:
    """A REST route's StartExecution integration (`x-amazon-apigateway-integration`)."""
    return start_execution_integration(
        tf_arn(START_EXECUTION_URI),
        f"${{aws_iam_role.{START_ROLE}.arn}}",
        start_request_template(_machine_arn(workflow)),
    )


def http_start_integration(workflow: str) -> dict[str, Any]:
    """An HTTP API's StartExecution integration (a first-class AWS service integration:
    payload 1.0 is the only one it takes, and the request's body is the execution's input)."""
    return {
        "integration_type": "AWS_PROXY",
        "integration_subtype": "StepFunctions-StartExecution",
        "payload_format_version": "1.0",
        "credentials_arn": f"${{aws_iam_role.{START_ROLE}.arn}}",
        "request_parameters": {
            "StateMachineArn": _machine_arn(workflow),
            "Input": "$request.body",
        },
    }
