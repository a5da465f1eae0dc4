"""`chalicelike deploy`: package, upload, stack through a change set, a release published and
the stage's aliases moved, S3 notifications applied, the record written, URLs printed.

A change of code alone (the template the stack holds is the one we would send) skips
CloudFormation: each function's code is updated in place and a release published, as SAM's
`sync` does; the stack catches up at the next deploy that changes the template.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._aliases import (
    each,
    next_release,
    publish_release,
    set_provisioned_concurrency,
    update_code,
)
from ._artifacts import TEMPLATE_BODY_LIMIT, artifact_bucket, upload, upload_text
from ._notifications import apply_notifications, remove_notifications
from ._record import read_record, write_record
from ._session import AwsSession
from ._stack import Say, apply_template, deployed_template, describe_stack
from ._template import DeployTemplate, deploy_template, interim_template

__all__ = ["DeployResult", "deploy", "stack_name", "stderr_progress"]


@dataclass
class DeployResult:
    record: dict[str, Any]
    release: int
    code_only: bool
    urls: dict[str, str]


def stack_name(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}"


def deploy(
    session: AwsSession, project_dir: Path, stage: str, say: Say, progress: Say
) -> DeployResult:
    from ..package._command import build_package

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chalicelike-deploy-") as out:
        progress("packaging")
        built = build_package(project_dir, stage, "cloudformation", Path(out))
        template = deploy_template(built.documents["cloudformation.json"], alias=stage)
        app_name = built.stage_config.app_name
        name = stack_name(app_name, stage)
        bucket = artifact_bucket(session)
        artifact = upload(session, bucket, app_name, stage, built.zip_path)
    say(f"packaged {built.zipped_bytes:,} bytes in {time.perf_counter() - started:.1f} s")
    parameters = {"DeploymentBucket": bucket, "DeploymentKey": artifact.key}
    stack = describe_stack(session, name)
    release = 1
    if stack is not None:
        existing = _function_names(session, name, template.functions)
        release = next_release(session, list(existing.values()))
    code_only = False
    if stack is not None and _same_template(session, name, template):
        code_only = True
        physical = _function_names(session, name, template.functions)
        changed = _code_changed(session, list(physical.values()), artifact.sha256)
        if changed:
            say(f"code changed: updating {len(changed)} function(s) without a stack update")
            update_code(session, changed, bucket, artifact.key)
        else:
            say("no change to the stack or the code")
    else:
        physical = _apply(
            session, name, template, parameters, built, bucket, release, say, progress
        )
    published = publish_release(session, list(physical.values()), stage, release)
    versions = {function: version.version for function, version in published.items()}
    if all(version.release != release for version in published.values()):
        release = max((v.release or 0 for v in published.values()), default=0)
        say(f"no function changed: {stage} stays at release {release}")
    previous = read_record(project_dir, stage)
    _provision(session, template, physical, stage, previous)
    names = _intrinsic_names(session, name, physical)
    apply_notifications(session, name, template.notifications, names)
    # A bucket the app no longer listens to keeps no entry of ours.
    now = {notification.bucket for notification in template.notifications}
    before = (previous or {}).get("stack", {}).get("notification_buckets", [])
    remove_notifications(session, name, [bucket for bucket in before if bucket not in now])
    outputs = _outputs(session, name)
    record = _record(session, name, built, physical, versions, outputs, template)
    record["stack"] |= {
        "bucket": bucket,
        "key": artifact.key,
        "provisioned": {physical[f]: n for f, n in template.provisioned.items() if f in physical},
    }
    record["stack"]["release"] = release
    write_record(project_dir, stage, record)
    return DeployResult(record, release, code_only, record["stack"]["urls"])


def _apply(
    session: AwsSession,
    name: str,
    template: DeployTemplate,
    parameters: dict[str, str],
    built: Any,
    bucket: str,
    release: int,
    say: Say,
    progress: Say,
) -> dict[str, str]:
    """The stack updated to `template` (through an interim stack when functions are new:
    their aliases must exist before anything calls them)."""
    app_name = built.stage_config.app_name
    tags = {"chalicelike:app": app_name, "chalicelike:stage": name.removeprefix(f"{app_name}-")}
    stack = describe_stack(session, name)
    deployed = deployed_template(session, name) if stack else None
    have = set((deployed or {}).get("Resources", {}))
    new = {f for f in template.functions if f not in have}
    if new:
        interim = interim_template(template.document, deployed, new)
        say(f"stack {name}: creating {len(new)} new function(s) first")
        _send(session, name, interim, parameters, tags, bucket, built, say, progress)
        physical = _function_names(session, name, sorted(new))
        publish_release(session, list(physical.values()), _stage(name, app_name), release)
    say(f"stack {name}:")
    _send(session, name, template.document, parameters, tags, bucket, built, say, progress)
    return _function_names(session, name, template.functions)


def _provision(
    session: AwsSession,
    template: DeployTemplate,
    physical: dict[str, str],
    alias: str,
    previous: dict[str, Any] | None,
) -> None:
    """Provisioned concurrency where the config asks for it, and removed where the last
    deploy (its record) had it and the config no longer asks: an app that never had it
    makes no call at all."""
    had = set((previous or {}).get("stack", {}).get("provisioned", {}))
    wanted = {
        physical[f]: template.provisioned.get(f)
        for f in physical
        if f in template.provisioned or physical[f] in had
    }
    if wanted:
        set_provisioned_concurrency(session, wanted, alias)


def _stage(name: str, app_name: str) -> str:
    return name.removeprefix(f"{app_name}-")


def _send(
    session: AwsSession,
    name: str,
    document: dict[str, Any],
    parameters: dict[str, str],
    tags: dict[str, str],
    bucket: str,
    built: Any,
    say: Say,
    progress: Say,
) -> None:
    body = json.dumps(document, separators=(",", ":"))
    source: dict[str, Any] | str = document
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        app, stage = built.stage_config.app_name, built.stage_config.stage
        source = upload_text(session, bucket, app, stage, f"template-{digest}.json", body)
    run = apply_template(session, name, source, parameters, tags, say, progress)
    if not run.changed:
        say("  (no changes)")


def _same_template(session: AwsSession, name: str, template: DeployTemplate) -> bool:
    stack = describe_stack(session, name)
    if stack is None or not stack["StackStatus"].endswith("_COMPLETE"):
        return False
    if stack["StackStatus"].startswith(("ROLLBACK", "DELETE", "REVIEW")):
        return False
    deployed = deployed_template(session, name)
    return bool(deployed == json.loads(json.dumps(template.document)))


def _function_names(session: AwsSession, name: str, functions: list[str]) -> dict[str, str]:
    """Logical id -> deployed name of each of `functions`."""
    physical = _physical_ids(session, name)
    return {function: physical[function] for function in functions if function in physical}


def _code_changed(session: AwsSession, functions: list[str], sha256_hex: str) -> list[str]:
    """The functions whose code is not the zip's (Lambda's CodeSha256 is base64)."""
    ours = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
    client = session.client("lambda")

    def differs(function: str) -> bool:
        found = client.get_function_configuration(FunctionName=function)
        return bool(found["CodeSha256"] != ours)

    return [f for f, change in zip(functions, each(differs, functions), strict=True) if change]


def _intrinsic_names(session: AwsSession, name: str, physical: dict[str, str]) -> dict[str, str]:
    region, account, partition = session.region, session.account, session.partition
    names = {
        "AWS::StackName": name,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": partition,
        "AWS::URLSuffix": "amazonaws.com",
    }
    for logical, function in physical.items():
        names[logical] = function
        names[f"{logical}.Arn"] = f"arn:{partition}:lambda:{region}:{account}:function:{function}"
    return names


def _outputs(session: AwsSession, name: str) -> dict[str, str]:
    stack = describe_stack(session, name) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


# The stack's APIs: their logical ids in `package`'s templates, the record's name for each,
# the URL scheme and the config key naming the stage.
_APIS = (
    ("RestAPI", "rest_api", "https", "api_gateway_stage", "EndpointURL"),
    ("HttpAPI", "http_api", "https", "api_gateway_stage", "EndpointURL"),
    ("WebsocketAPI", "websocket_api", "wss", "websocket_api_stage", "WebsocketConnectEndpointURL"),
)


def _api_resources(
    session: AwsSession, name: str, stage_config: Any, outputs: dict[str, str]
) -> list[dict[str, Any]]:
    """The record's entries for the stack's APIs, read from its resources (the outputs say
    the same on AWS, but not every AWS-compatible endpoint fills them in on an update)."""
    logical = _physical_ids(session, name)
    suffix = "amazonaws.com.cn" if session.partition == "aws-cn" else "amazonaws.com"
    found = []
    for resource, record_name, scheme, stage_key, output in _APIS:
        api_id = logical.get(resource)
        if api_id is None:
            continue
        url = outputs.get(output) or (
            f"{scheme}://{api_id}.execute-api.{session.region}.{suffix}/"
            f"{getattr(stage_config, stage_key)}/"
        )
        found.append(
            {
                "name": record_name,
                "resource_type": record_name,
                f"{record_name}_id": api_id,
                f"{record_name}_url": url,
            }
        )
    return found


def _physical_ids(session: AwsSession, name: str) -> dict[str, str]:
    pages = session.client("cloudformation").get_paginator("list_stack_resources")
    return {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for page in pages.paginate(StackName=name)
        for resource in page["StackResourceSummaries"]
    }


def _function_urls(session: AwsSession, physical: dict[str, str], alias: str) -> dict[str, str]:
    """Function URLs on the stage's aliases (Lambda answers NotFound for the others)."""
    from botocore.exceptions import ClientError

    client = session.client("lambda")

    def url_of(function: str) -> str | None:
        try:
            found = client.get_function_url_config(FunctionName=function, Qualifier=alias)
        except ClientError:
            return None
        return str(found["FunctionUrl"])

    urls = each(url_of, list(physical.values()))
    return {
        f"{logical}URL": url for logical, url in zip(physical, urls, strict=True) if url is not None
    }


def _record(
    session: AwsSession,
    name: str,
    built: Any,
    physical: dict[str, str],
    versions: dict[str, str],
    outputs: dict[str, str],
    template: DeployTemplate,
) -> dict[str, Any]:
    """Chalice's record (resources, schema_version 2.0) with our `stack` section."""
    from ..package.templates._aws import logical_id

    stage = built.stage_config.stage
    region, account, partition = session.region, session.account, session.partition
    resources: list[dict[str, Any]] = []
    for entry in built.manifest.functions:
        function = physical.get(logical_id(entry.name))
        if function is None:
            continue
        arn = f"arn:{partition}:lambda:{region}:{account}:function:{function}"
        resources.append(
            {
                "name": entry.name,
                "resource_type": "lambda_function",
                "lambda_arn": arn,
                "function_name": function,
                "alias": stage,
                "alias_arn": f"{arn}:{stage}",
                "version": versions.get(function),
            }
        )
    apis = _api_resources(session, name, built.stage_config, outputs)
    resources += apis
    urls = {r["name"]: r[f"{r['resource_type']}_url"] for r in apis}
    return {
        "resources": resources,
        "schema_version": "2.0",
        "backend": "cloudformation",
        "stack": {
            "name": name,
            "region": region,
            "notification_buckets": [n.bucket for n in template.notifications],
            "urls": urls | _function_urls(session, physical, stage),
        },
    }


def stderr_progress() -> Say:
    """Stack events on a terminal; nothing in CI, where they would bury the result."""
    if sys.stderr.isatty():
        return lambda line: print(line, file=sys.stderr, flush=True)
    return lambda line: None
