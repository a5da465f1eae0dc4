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
import re
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._aliases import (
    PublishedVersion,
    each,
    missing_aliases,
    publish_release,
    set_provisioned_concurrency,
    update_code,
    wait_updated,
)
from ._artifacts import (
    TEMPLATE_BODY_LIMIT,
    Artifact,
    artifact_bucket,
    delete_artifacts,
    delete_object,
    upload,
    upload_text,
)
from ._deployment_record import deployment_record
from ._notifications import apply_notifications, remove_notifications
from ._record import read_record, write_record
from ._session import AwsSession, DeployError
from ._stack import Say, StackRun, apply_template, settle
from ._state import StackState, read_state
from ._template import DeployTemplate, deploy_template, interim_template

if TYPE_CHECKING:
    from .._tooling._describe import AppReading

__all__ = ["DeployResult", "deploy", "stack_name", "stderr_progress"]

# CloudFormation's quota of resources in one stack.
STACK_RESOURCE_LIMIT = 500
# A code-only deploy sends a zip up to this size to each function directly (Lambda takes up
# to 50 MB so); a larger one goes through the deploy bucket once.
DIRECT_UPLOAD_LIMIT = 5 * 1024 * 1024


@dataclass
class DeployResult:
    region: str
    record: dict[str, Any]
    release: int
    code_only: bool
    urls: dict[str, str]


def stack_name(app_name: str, stage: str) -> str:
    """`<app>-<stage>` as CloudFormation takes a stack name: a letter first, then letters,
    digits and '-' (an app or stage named with '_' or '.' gets '-' there)."""
    name = re.sub(r"[^A-Za-z0-9-]", "-", f"{app_name}-{stage}")
    return (name if name[:1].isalpha() else f"app-{name}")[:128]


def deploy(
    open_aws: Callable[[], AwsSession],
    project_dir: Path,
    stage: str,
    say: Say,
    progress: Say,
    reading: AppReading | None = None,
) -> DeployResult:
    """Deploy `stage`; `open_aws` is called once packaging has started (its clients are
    made while the app is read in a subprocess); `reading`: that read, already started."""
    started = time.perf_counter()
    _check_config(project_dir, stage, say)
    previous = read_record(project_dir, stage)
    known = (previous or {}).get("stack", {})
    with tempfile.TemporaryDirectory(prefix="chalicelike-deploy-") as out:
        progress("packaging")
        built, template, session, state = _package_and_read(
            open_aws, project_dir, stage, known, Path(out), reading
        )
        say(f"packaged {built.zipped_bytes:,} bytes in {time.perf_counter() - started:.1f} s")
        release = state.next_release
        code_only = state.settled and state.template == json.loads(json.dumps(template.document))
        if code_only:
            physical = state.function_names(template.functions)
            updating, bucket, key = _deploy_code(session, state, physical, built, known, say)
        else:
            updating = frozenset()
            state, bucket, key = _deploy_stack(
                session, state, template, built, known, release, say, progress
            )
            physical = state.function_names(template.functions)
    published = publish_release(
        session, list(physical.values()), stage, release, updating, _snapshots(template, physical)
    )
    release = _released(published, release, known.get("release"), stage, say)
    if not code_only:  # a change of code alone changes neither of these
        _provision(session, template, physical, stage, previous)
        _notify(session, state.name, template, physical, previous)
    versions = {function: version.version for function, version in published.items()}
    record = deployment_record(session, state, built, physical, versions, template)
    record["stack"] |= {
        "bucket": bucket,
        "key": key,
        "provisioned": {physical[f]: n for f, n in template.provisioned.items() if f in physical},
        "release": release,
    }
    write_record(project_dir, stage, record)
    return DeployResult(session.region, record, release, code_only, record["stack"]["urls"])


def _deploy_stack(
    session: AwsSession,
    state: StackState,
    template: DeployTemplate,
    built: Any,
    known: dict[str, Any],
    release: int,
    say: Say,
    progress: Say,
) -> tuple[StackState, str, str]:
    """The stack path: the zip uploaded, the stack updated; returns what the stack holds
    now (its resources, not re-read per function), and the bucket and key it names."""
    bucket, artifact = _upload(session, built, known)
    parameters = {"DeploymentBucket": bucket, "DeploymentKey": artifact.key}
    before = _stack_parameter(state, "DeploymentKey")
    after = _apply(session, state, template, parameters, built, bucket, release, say, progress)
    # Older zips are no use once the stack holds this one (the stack's previous one is kept
    # a deploy longer: another deploy of the stage may be reading it right now).
    app, stage = built.stage_config.app_name, built.stage_config.stage
    delete_artifacts(session, bucket, app, stage, frozenset({artifact.key, before}))
    return after, bucket, artifact.key


def _package_and_read(
    open_aws: Callable[[], AwsSession],
    project_dir: Path,
    stage: str,
    known: dict[str, Any],
    out: Path,
    reading: AppReading | None,
) -> tuple[Any, DeployTemplate, AwsSession, StackState]:
    """The package, and what AWS holds for the stage, read while the app is (the record
    names the stack to read before the app says its name)."""
    with ThreadPoolExecutor(max_workers=1) as background:
        packaging = background.submit(_package, project_dir, stage, out, reading)
        session = open_aws()
        guess = read_state(session, known["name"]) if "name" in known else None
        built, template = packaging.result()
    name = stack_name(built.stage_config.app_name, stage)
    state = guess if guess is not None and guess.name == name else read_state(session, name)
    return built, template, session, state


def _snapshots(template: DeployTemplate, physical: dict[str, str]) -> frozenset[str]:
    """The functions with SnapStart on their published versions."""
    resources = template.document["Resources"]
    return frozenset(
        physical[f]
        for f in template.functions
        if f in physical
        and resources[f]["Properties"].get("SnapStart", {}).get("ApplyOn") == "PublishedVersions"
    )


def _released(
    published: dict[str, PublishedVersion], release: int, was: int | None, stage: str, say: Say
) -> int:
    """The release the stage is at now: `release`, or, when no function changed, the newest
    release among the versions its aliases now point at."""
    if any(version.release == release for version in published.values()):
        return release
    now = max((v.release or 0 for v in published.values()), default=0)
    if was is not None and was != now:  # a rollback before: the aliases move back up
        say(f"no function changed: {stage} moved from release {was} to {now}")
    else:
        say(f"no function changed: {stage} stays at release {now}")
    return now


def _check_config(project_dir: Path, stage: str, say: Say) -> None:
    """A deploy needs the project's config (a mistyped --project-dir would otherwise deploy
    an app without its settings); a stage the config does not name gets a note."""
    from .._tooling._config import config_path, load_config

    path = config_path(project_dir)
    if not path.is_file():
        raise DeployError(
            f"no {path}: deploy needs the project's config (app_name, stages), as Chalice's "
            "does; `chalicelike new-project` writes one"
        )
    if stage not in load_config(project_dir).get("stages", {}):
        say(f"note: stage {stage!r} is not in {path}: it gets the top-level settings only")


def _package(
    project_dir: Path, stage: str, out: Path, reading: AppReading | None
) -> tuple[Any, DeployTemplate]:
    from ..package._command import build_package

    built = build_package(project_dir, stage, "cloudformation", out, reading)
    return built, deploy_template(built.documents["cloudformation.json"], alias=stage)


def _upload(session: AwsSession, built: Any, known: dict[str, Any]) -> tuple[str, Artifact]:
    """The zip in the deploy bucket: the record's bucket when it names one (no lookup of
    the account), else the account's, made when missing."""
    from botocore.exceptions import ClientError

    app, stage = built.stage_config.app_name, built.stage_config.stage
    bucket = known.get("bucket") if known.get("region") == session.region else None
    if bucket:
        try:
            return bucket, upload(session, bucket, app, stage, built.zip_path)
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("NoSuchBucket", "404"):
                raise
    bucket = artifact_bucket(session)
    return bucket, upload(session, bucket, app, stage, built.zip_path)


def _deploy_code(
    session: AwsSession,
    state: StackState,
    physical: dict[str, str],
    built: Any,
    known: dict[str, Any],
    say: Say,
) -> tuple[frozenset[str], str, str]:
    """The code-only path: functions whose code is not the zip's (Lambda's CodeSha256 is the
    base64 of the zip's SHA-256) updated in place. A small zip goes to Lambda directly (no S3
    client, no upload); the stack's own parameters stay as they are. Returns the functions
    with an update still running, and the bucket and key the stack names."""
    data = built.zip_path.read_bytes()
    ours = base64.b64encode(hashlib.sha256(data).digest()).decode()
    functions = list(physical.values())
    known_state = state.functions
    changed = [f for f in functions if f not in known_state or known_state[f].code_sha256 != ours]
    busy = frozenset(f for f in functions if f in known_state and known_state[f].updating)
    bucket, key = (
        _stack_parameter(state, "DeploymentBucket"),
        _stack_parameter(state, "DeploymentKey"),
    )
    if not changed:
        say("no change to the stack or the code")
        return busy, bucket, key
    say(f"code changed: updating {len(changed)} function(s) without a stack update")
    each(lambda function: wait_updated(session, function), [f for f in changed if f in busy])
    if len(data) <= DIRECT_UPLOAD_LIMIT:
        update_code(session, changed, {"ZipFile": data})
    else:
        bucket, artifact = _upload(session, built, known)
        key = artifact.key
        update_code(session, changed, {"S3Bucket": bucket, "S3Key": key})
    return busy - set(changed), bucket, key


def _stack_parameter(state: StackState, name: str) -> str:
    for parameter in (state.stack or {}).get("Parameters", []):
        if parameter["ParameterKey"] == name:
            return str(parameter["ParameterValue"])
    return ""


def _notify(
    session: AwsSession,
    name: str,
    template: DeployTemplate,
    physical: dict[str, str],
    previous: dict[str, Any] | None,
) -> None:
    if template.notifications:
        names = _intrinsic_names(session, name, physical)
        apply_notifications(session, name, template.notifications, names)
    # A bucket the app no longer listens to keeps no entry of ours.
    now = {notification.bucket for notification in template.notifications}
    before = (previous or {}).get("stack", {}).get("notification_buckets", [])
    remove_notifications(session, name, [bucket for bucket in before if bucket not in now])


def _apply(
    session: AwsSession,
    state: StackState,
    template: DeployTemplate,
    parameters: dict[str, str],
    built: Any,
    bucket: str,
    release: int,
    say: Say,
    progress: Say,
) -> StackState:
    """The stack updated to `template` (through an interim stack when functions are new:
    their aliases must exist before anything calls them)."""
    name, app_name = state.name, built.stage_config.app_name
    tags = {"chalicelike:app": app_name, "chalicelike:stage": built.stage_config.stage}
    if state.stack is not None and not state.settled:
        # Running, or a failed first create (deleted here): decide on what is left after.
        settle(session, name, progress)
        state = read_state(session, name)
    deployed = state.template if state.stack is not None else None
    have = set((deployed or {}).get("Resources", {}))
    new = {f for f in template.functions if f not in have}
    if new:
        interim = interim_template(template.document, deployed, new)
        say(f"stack {name}: creating {len(new)} new function(s) first")
        _send(session, name, interim, parameters, tags, bucket, built, say, progress)
    # Every function the full template calls through its alias needs one by now; also one
    # a deploy stopped after the interim stack left without (found, not assumed).
    present = read_state(session, name, False).function_names(template.functions)
    lacking = missing_aliases(session, list(present.values()), built.stage_config.stage)
    if lacking:
        publish_release(session, lacking, built.stage_config.stage, release)
    say(f"stack {name}:")
    run = _send(session, name, template.document, parameters, tags, bucket, built, say, progress)
    after = read_state(session, name, False)
    if run.removed_types & {"AWS::ApiGateway::Method", "AWS::ApiGateway::Resource"}:
        _redeploy_rest_api(session, after, built.stage_config.api_gateway_stage)
    return after


def _redeploy_rest_api(session: AwsSession, state: StackState, stage: str) -> None:
    """A deployment of the REST API as it is now. CloudFormation makes the new Deployment
    (a snapshot of the API) before it deletes the methods the change removed, so those
    would go on answering until the API next changed."""
    api = state.physical.get("RestAPI")
    if api is not None:
        session.client("apigateway").create_deployment(
            restApiId=api, stageName=stage, description="chalicelike: routes removed"
        )


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
) -> StackRun:
    count = len(document["Resources"])
    if count > STACK_RESOURCE_LIMIT:
        raise DeployError(
            f"stack {name} would hold {count} resources, over CloudFormation's limit of "
            f"{STACK_RESOURCE_LIMIT} (the REST API makes a resource per path segment and a "
            "method per route): split the app, or deploy `chalicelike package` output"
        )
    body = json.dumps(document, separators=(",", ":"))
    if len(body.encode()) <= TEMPLATE_BODY_LIMIT:
        run = apply_template(session, name, document, parameters, tags, say, progress)
    else:
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        app, stage = built.stage_config.app_name, built.stage_config.stage
        key, url = upload_text(session, bucket, app, stage, f"template-{digest}.json", body)
        try:
            run = apply_template(session, name, url, parameters, tags, say, progress)
        finally:
            # It holds the functions' environment: not left in the bucket once read.
            delete_object(session, bucket, key)
    if not run.changed:
        say("  (no changes)")
    return run


def _intrinsic_names(session: AwsSession, name: str, physical: dict[str, str]) -> dict[str, str]:
    names = {
        "AWS::StackName": name,
        "AWS::Region": session.region,
        "AWS::AccountId": session.account,
        "AWS::Partition": session.partition,
        "AWS::URLSuffix": session.url_suffix,
    }
    for logical, function in physical.items():
        names[logical] = function
        names[f"{logical}.Arn"] = session.function_arn(function)
    return names


def stderr_progress() -> Say:
    """Stack events on a terminal; nothing in CI, where they would bury the result."""
    if sys.stderr.isatty():
        return lambda line: print(line, file=sys.stderr, flush=True)
    return lambda line: None
