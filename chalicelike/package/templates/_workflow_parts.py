"""What both template formats write the same way for a workflow's state machine: the marks
the ASL carries before a format turns them into its own references, and the actions its
role needs for logging and tracing."""

from __future__ import annotations

__all__ = ["FUNCTION_MARK", "LOG_DELIVERY_ACTIONS", "PARTITION_MARK", "XRAY_ACTIONS"]

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
