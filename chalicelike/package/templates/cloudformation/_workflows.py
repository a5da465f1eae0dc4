"""The app's workflows as CloudFormation resources, SAM's and plain alike: a state machine per
workflow with its role (invoking exactly the functions it calls), its log group when logging is
on, and an EventBridge rule per trigger; the role API Gateway starts executions with, for
routes that start a workflow. Functions are named as callers name them (`Stack.caller_arn`'s
spelling), so `deploy` points them at the stage's alias."""

from __future__ import annotations

import json
import re
from typing import Any

from ...._tooling._openapi import (
    START_EXECUTION_URI,
    start_execution_integration,
    start_request_template,
)
from .._aws import PARTITION, logical_id, sub
from .._model import Workflow
from .._workflow_parts import FUNCTION_MARK, PARTITION_MARK, machine_statements
from ._stack import Stack

__all__ = [
    "START_ROLE",
    "http_start_integration",
    "rest_start_integration",
    "start_role",
    "state_machine_id",
    "state_machines",
]

# The role API Gateway calls StartExecution with, for the routes that start a workflow.
START_ROLE = "APIGatewayStartExecutionRole"


def state_machines(stack: Stack) -> None:
    """Every workflow of the app, after the functions they call."""
    for workflow in stack.deployment.workflows:
        _state_machine(stack, workflow)


def state_machine_id(workflow: str) -> str:
    """The logical ID of a workflow's state machine ('order' → 'OrderStateMachine')."""
    return f"{logical_id(workflow)}StateMachine"


def _state_machine(stack: Stack, workflow: Workflow) -> None:
    machine_id = state_machine_id(workflow.entry.name)
    level = stack.stage.workflow_logging
    log_group = None
    if level != "OFF":
        # Step Functions asks for a /aws/vendedlogs/ prefix: below it, the log group's
        # resource policy does not grow with every machine logging to it.
        group: dict[str, Any] = {"LogGroupName": f"/aws/vendedlogs/states/{workflow.name}"}
        # As long as the stage's functions' logs (`log_retention_in_days`); none: for ever.
        if stack.stage.log_retention_in_days is not None:
            group["RetentionInDays"] = stack.stage.log_retention_in_days
        log_group = stack.add(f"{machine_id}LogGroup", "AWS::Logs::LogGroup", group)
    role = _role(stack, workflow, machine_id, logging=log_group is not None)
    properties: dict[str, Any] = {
        "StateMachineName": workflow.name,
        "StateMachineType": "STANDARD",
        "RoleArn": {"Fn::GetAtt": [role, "Arn"]},
        "DefinitionString": _definition(stack, workflow),
        "Tags": stack.tag_list(),
    }
    if log_group is not None:
        properties["LoggingConfiguration"] = {
            "Level": level,
            # Execution data (every state's input and output) only at ALL, the level
            # that asks to follow an execution: an input is a request's body and may carry
            # personal data, which ERROR and FATAL (that something failed) need not copy
            # into a log group.
            "IncludeExecutionData": level == "ALL",
            "Destinations": [
                {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [log_group, "Arn"]}}}
            ],
        }
    if stack.stage.workflow_tracing:
        properties["TracingConfiguration"] = {"Enabled": True}
    stack.add(machine_id, "AWS::StepFunctions::StateMachine", properties)
    description = f"The state machine of workflow {workflow.entry.name}"
    stack.output(f"{machine_id}Arn", {"Ref": machine_id}, description)
    _triggers(stack, workflow, machine_id)


def _definition(stack: Stack, workflow: Workflow) -> Any:
    """The ASL as the text of an Fn::Sub naming each function as its callers do: its ARN, or
    its alias's when it publishes versions (SAM's alias through a Sub variable, see
    `Stack.caller_sub`)."""
    asl = workflow.definition(FUNCTION_MARK.format, PARTITION_MARK)
    text = json.dumps(asl, indent=2).replace("${", "${!")
    text = text.replace(PARTITION_MARK, PARTITION)
    variables: dict[str, Any] = {}
    for function in workflow.entry.functions:
        alias = stack.alias_reference(function)
        if alias is None:
            reference = f"${{{logical_id(function)}.Arn}}"
        elif not stack.sam:
            reference = f"${{{alias}}}"
        else:
            variable = f"{logical_id(function)}AliasArn"
            variables[variable] = {"Ref": alias}
            reference = f"${{{variable}}}"
        text = text.replace(FUNCTION_MARK.format(function), reference)
    if variables:
        return {"Fn::Sub": [text, variables]}
    if re.search(r"\$\{(?!!)", text):
        return {"Fn::Sub": text}
    # Nothing to substitute (no Task names a function or an integration's partition): a
    # Sub would be needless (cfn-lint W1020). The ASL as it is, unless it has a "${" of its
    # own, which CloudFormation reads as a reference outside a Sub (cfn-lint E1029): then
    # a Join puts it back between the pieces, so that no string of the template holds it.
    plain = json.dumps(asl, indent=2)
    if "${" in plain:
        return {"Fn::Join": ["${", plain.split("${")]}
    return plain


def _role(stack: Stack, workflow: Workflow, machine_id: str, *, logging: bool) -> str:
    """The machine's role: it invokes exactly the functions its Tasks call (`:*` for the
    alias a caller calls, an ARN of its own)."""
    invoked = [
        arn
        for function in sorted(set(workflow.entry.functions))
        for arn in (stack.function_arn(function), sub(f"${{{logical_id(function)}.Arn}}:*"))
    ]
    statements = machine_statements(invoked, logging, stack.stage.workflow_tracing)
    properties: dict[str, Any] = {
        "AssumeRolePolicyDocument": _trust("states.amazonaws.com"),
        "Tags": stack.tag_list(),
    }
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        properties["Policies"] = [{"PolicyName": f"{machine_id}Policy", "PolicyDocument": document}]
    return stack.add(f"{machine_id}Role", "AWS::IAM::Role", properties)


def _trust(service: str) -> dict[str, Any]:
    """Only `service`, acting for this account, may assume the role (AWS's advice against a
    confused deputy: aws:SourceAccount)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }
        ],
    }


def _triggers(stack: Stack, workflow: Workflow, machine_id: str) -> None:
    """A rule per trigger, starting an execution through a role EventBridge assumes (it
    calls states:StartExecution; a state machine target takes no resource policy)."""
    entry = workflow.entry
    rules: list[tuple[str, dict[str, Any]]] = []
    if entry.schedule is not None:
        rules.append(("Schedule", {"ScheduleExpression": entry.schedule}))
    if entry.event_pattern is not None:
        rules.append(("Event", {"EventPattern": entry.event_pattern}))
    if not rules:
        return
    start = {
        "Effect": "Allow",
        "Action": "states:StartExecution",
        "Resource": {"Ref": machine_id},
    }
    role = stack.add(
        f"{machine_id}EventsRole",
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": _trust("events.amazonaws.com"),
            "Policies": [
                {
                    "PolicyName": f"{machine_id}StartExecution",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [start]},
                }
            ],
            "Tags": stack.tag_list(),
        },
    )
    for label, properties in rules:
        target = {
            "Arn": {"Ref": machine_id},
            "Id": machine_id,
            "RoleArn": {"Fn::GetAtt": [role, "Arn"]},
        }
        stack.add(
            f"{machine_id}{label}Rule",
            "AWS::Events::Rule",
            properties | {"State": "ENABLED", "Targets": [target]},
        )


# -- routes that start a workflow ---------------------------------------------------------------


def start_role(stack: Stack) -> str:
    """The role API Gateway assumes to call StartExecution on exactly the machines routes
    start. Its trust names the service alone, as AWS's own API Gateway role does: API
    Gateway is not documented to send aws:SourceAccount when it assumes an integration's role."""
    machines = [{"Ref": state_machine_id(w.entry.name)} for w in stack.deployment.route_workflows]
    start = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": machines}
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return stack.add(
        START_ROLE,
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": trust,
            "Policies": [
                {
                    "PolicyName": f"{START_ROLE}Policy",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [start]},
                }
            ],
            "Tags": stack.tag_list(),
        },
    )


def rest_start_integration(workflow: str) -> dict[str, Any]:
    """A REST route's StartExecution integration (`x-amazon-apigateway-integration`)."""
    template = start_request_template(f"${{{state_machine_id(workflow)}}}")
    return start_execution_integration(
        sub(START_EXECUTION_URI), {"Fn::GetAtt": [START_ROLE, "Arn"]}, {"Fn::Sub": template}
    )


def http_start_integration(workflow: str) -> dict[str, Any]:
    """An HTTP API's StartExecution integration (a first-class AWS service integration:
    payload 1.0 is the only one it takes, and the request's body is the execution's input)."""
    return {
        "IntegrationType": "AWS_PROXY",
        "IntegrationSubtype": "StepFunctions-StartExecution",
        "PayloadFormatVersion": "1.0",
        "CredentialsArn": {"Fn::GetAtt": [START_ROLE, "Arn"]},
        "RequestParameters": {
            "StateMachineArn": {"Ref": state_machine_id(workflow)},
            "Input": "$request.body",
        },
    }
