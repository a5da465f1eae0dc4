"""The IAM policy a stage's functions run with: generated from the app's boto3 use, its event
sources and CloudWatch Logs, written to `.chalice/policy-<stage>.json` for review; or, with
`autogen_policy: false`, read from that file (or `iam_policy_file`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..._tooling._manifest import API_FUNCTION, AppManifest
from ..._tooling._project import app_sources
from ..._tooling._settings import FunctionConfig
from ..templates._aws import TemplateError, config_for

__all__ = [
    "NOTES_KEY",
    "function_policies",
    "generate_policy",
    "load_policy_file",
    "review_file",
    "stage_policy",
    "writes_review_file",
]

VERSION = "2012-10-17"
NOTES_KEY = "//"  # the review file's notes: JSON has no comments; dropped before IAM sees it

# What every function needs to write its logs (Lambda's basic execution role).
LOGS_STATEMENT = {
    "Sid": "CloudWatchLogs",
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "arn:*:logs:*:*:*",
}
# Lambda creates and removes network interfaces for a function in a VPC (AWS's
# AWSLambdaVPCAccessExecutionRole); these actions take no resource narrower than "*".
VPC_STATEMENT = {
    "Sid": "VpcNetworkInterfaces",
    "Effect": "Allow",
    "Action": [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:UnassignPrivateIpAddresses",
    ],
    "Resource": "*",
}
XRAY_STATEMENT = {
    "Sid": "XRayTracing",
    "Effect": "Allow",
    "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
    "Resource": "*",
}


def review_file(project_dir: Path, stage: str) -> Path:
    return project_dir / ".chalice" / f"policy-{stage}.json"


def generate_policy(
    project_dir: Path,
    manifest: AppManifest,
    function_configs: Mapping[str, FunctionConfig] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """The least-privilege policy for the app, with notes on what could not be resolved.

    With a `cache_dir` it is cached by the app's sources, manifest and settings: reading
    botocore's models costs a third of a second (importing boto3 alone), which a repeat
    `package` need not pay.
    """
    if cache_dir is None:
        return _generate_policy(project_dir, manifest, function_configs)
    from .._json_cache import cached_json

    cache = _policy_cache_file(cache_dir, project_dir, manifest, function_configs)
    policy: dict[str, Any] = cached_json(
        cache, lambda: _generate_policy(project_dir, manifest, function_configs)
    )
    return policy


def _policy_cache_file(
    cache_dir: Path,
    project_dir: Path,
    manifest: AppManifest,
    function_configs: Mapping[str, FunctionConfig] | None,
) -> Path:
    import hashlib
    from dataclasses import asdict

    digest = hashlib.sha256()
    for path in app_sources(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps(manifest.to_json(), sort_keys=True, default=str).encode())
    configs = {name: asdict(config) for name, config in sorted((function_configs or {}).items())}
    digest.update(json.dumps(configs, sort_keys=True, default=str).encode())
    digest.update(Path(__file__).read_bytes())  # a new version of this analysis
    return cache_dir / f"policy-{digest.hexdigest()[:24]}.json"


def _generate_policy(
    project_dir: Path,
    manifest: AppManifest,
    function_configs: Mapping[str, FunctionConfig] | None,
) -> dict[str, Any]:
    from ._actions import service_wildcard
    from ._calls import find_boto3_usage

    configs = [config_for(function_configs or {}, entry.name) for entry in manifest.functions]
    usage = find_boto3_usage(project_dir)
    statements = []
    for service in sorted(usage.actions):
        actions = sorted(usage.actions[service])
        wildcard = service_wildcard(service)
        statements.append(
            {
                "Sid": _sid(service, "Calls"),
                "Effect": "Allow",
                # A client we could not follow needs the whole service; the rest is in it.
                "Action": [wildcard] if wildcard in actions else actions,
                "Resource": "*",
            }
        )
    statements += event_source_statements(manifest)
    statements.append(LOGS_STATEMENT)
    if any(config.subnet_ids for config in configs):
        statements.append(VPC_STATEMENT)
    if any(config.xray for config in configs):
        statements.append(XRAY_STATEMENT)
    policy: dict[str, Any] = {"Version": VERSION, "Statement": statements}
    notes = [
        f"{service + ': ' if service else ''}{note}"
        for service, service_notes in sorted(usage.unresolved.items(), key=lambda i: i[0] or "")
        for note in service_notes
    ]
    if notes:
        policy[NOTES_KEY] = notes
    return policy


def _sid(service: str, suffix: str) -> str:
    from ._actions import iam_prefix

    # IAM allows only letters and digits in a Sid.
    return "".join(part.capitalize() for part in iam_prefix(service).split("-")) + suffix


def _arn(service: str, resource: str) -> str:
    """A literal ARN as given, else a name in any partition, region and account.

    The review file is one policy for every region the stack may be deployed to.
    """
    return resource if resource.startswith("arn:") else f"arn:*:{service}:*:*:{resource}"


def event_source_statements(manifest: AppManifest) -> list[dict[str, Any]]:
    """What Lambda's pollers and the runtime need, on exactly the sources the app names."""
    queues, streams, tables = [], [], []
    websocket = False
    for entry in manifest.functions:
        settings = entry.settings
        if entry.kind == "sqs":
            queues.append(settings.get("queue_arn") or _arn("sqs", settings["queue"]))
        elif entry.kind == "kinesis":
            streams.append(_arn("kinesis", f"stream/{settings['stream']}"))
        elif entry.kind == "dynamodb":
            tables.append(settings["stream_arn"])
        websocket = websocket or entry.kind == "websocket"
    statements = []
    if queues:
        statements.append(
            _allow(
                "SqsEventSources",
                ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                queues,
            )
        )
    if streams:
        actions = [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        ]
        statements.append(_allow("KinesisEventSources", actions, streams))
    if tables:
        actions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        statements.append(_allow("DynamodbStreamEventSources", actions, tables))
        # ListStreams names no stream: it is granted on "*" or not at all.
        statements.append(_allow("DynamodbListStreams", ["dynamodb:ListStreams"], ["*"]))
    if websocket:
        # app.websocket_api.send posts to a connection of this app's websocket API.
        connections = "arn:*:execute-api:*:*:*/*/*/@connections/*"
        statements.append(
            _allow("WebsocketConnections", ["execute-api:ManageConnections"], [connections])
        )
    return statements


def _allow(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    unique = sorted(set(resources))
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": unique[0] if len(unique) == 1 else unique,
    }


def write_review_file(project_dir: Path, stage: str, policy: Mapping[str, Any]) -> Path:
    path = review_file(project_dir, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
    return path


def load_policy_file(project_dir: Path, name: str) -> dict[str, Any]:
    """A policy file from .chalice/, its review notes dropped."""
    path = project_dir / ".chalice" / name
    try:
        policy = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(
            f"{path}: no such policy file. Create it, set iam_policy_file to another file in "
            ".chalice/, or set autogen_policy to true to generate it"
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise TemplateError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list):
        raise TemplateError(f"{path}: an IAM policy needs a Statement list")
    policy.pop(NOTES_KEY, None)
    return policy


def stage_policy(
    project_dir: Path,
    stage: str,
    manifest: AppManifest,
    function_configs: Mapping[str, FunctionConfig],
    write_review: bool = True,
    cache_dir: Path | None = None,
) -> dict[str, Any] | None:
    """The app's role policy for `stage`, as `build_templates` takes it.

    None when every function names its own role (manage_iam_role false). Generated
    policies are written to the review file (which a later run with autogen_policy
    false reads back, with the user's edits).
    """
    if not _manages_a_role(manifest, function_configs):
        return None
    default = _stage_default(manifest, function_configs)
    if not default.autogen_policy:
        return load_policy_file(project_dir, default.iam_policy_file or f"policy-{stage}.json")
    policy = generate_policy(project_dir, manifest, function_configs, cache_dir)
    if write_review:
        write_review_file(project_dir, stage, policy)
    policy.pop(NOTES_KEY, None)
    return policy


def writes_review_file(
    manifest: AppManifest, function_configs: Mapping[str, FunctionConfig]
) -> bool:
    """Whether `stage_policy` generates the policy and writes it to the review file."""
    return (
        _manages_a_role(manifest, function_configs)
        and _stage_default(manifest, function_configs).autogen_policy
    )


def _manages_a_role(manifest: AppManifest, function_configs: Mapping[str, FunctionConfig]) -> bool:
    return any(
        config_for(function_configs, entry.name).manage_iam_role for entry in manifest.functions
    )


def function_policies(
    project_dir: Path,
    manifest: AppManifest,
    function_configs: Mapping[str, FunctionConfig],
) -> dict[str, dict[str, Any]]:
    """Policies of functions whose own config names a policy file unlike the stage's."""
    default = _stage_default(manifest, function_configs)
    policies = {}
    for entry in manifest.functions:
        config = config_for(function_configs, entry.name)
        if not config.manage_iam_role or config.autogen_policy or not config.iam_policy_file:
            continue
        if config.iam_policy_file != default.iam_policy_file:
            policies[entry.name] = load_policy_file(project_dir, config.iam_policy_file)
    return policies


def _stage_default(
    manifest: AppManifest, function_configs: Mapping[str, FunctionConfig]
) -> FunctionConfig:
    """The settings most functions share: the API function's, else the first function's."""
    names = [entry.name for entry in manifest.functions]
    name = API_FUNCTION if API_FUNCTION in names or not names else names[0]
    return config_for(function_configs, name)
