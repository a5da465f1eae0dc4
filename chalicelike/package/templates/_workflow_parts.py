"""What both template formats write the same way for a workflow's state machine: the marks
the ASL carries before a format turns them into its own references, and its role's
statements (the functions it invokes, logging and tracing)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "FUNCTION_MARK",
    "LOG_DELIVERY_ACTIONS",
    "PARTITION_MARK",
    "XRAY_ACTIONS",
    "machine_statements",
]

# Put in the ASL for each function's ARN and for the partition, after the ASL's own "${" is
# escaped; each format then replaces them with its references (Fn::Sub's, Terraform's).
FUNCTION_MARK = "@@chalicelike-function:{}@@"
PARTITION_MARK = "@@chalicelike-partition@@"

# Step Functions delivers logs through CloudWatch Logs' log delivery APIs, which take no
# resource-level permissions ("Using CloudWatch Logs to log execution history": Resource *).
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
]
# What X-Ray's tracing of an execution needs (the AWSXRayDaemonWriteAccess set).
XRAY_ACTIONS = [
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
]


def machine_statements(invoked: list[Any], logging: bool, tracing: bool) -> list[dict[str, Any]]:
    """The state machine role's statements: `lambda:InvokeFunction` on `invoked` (each
    function's ARN and its qualified ARNs, in the format's own references), and the log
    delivery and X-Ray actions when logging or tracing is on."""
    statements: list[dict[str, Any]] = []
    if invoked:
        statements.append(
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": invoked}
        )
    if logging:
        statements.append({"Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"})
    if tracing:
        statements.append({"Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"})
    return statements
