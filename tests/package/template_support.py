"""Helpers for the template tests: the test apps' manifests (read in a subprocess, as the
CLI reads them, and cached), configs, cfn-lint and Terraform reference checks."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._manifest import AppManifest
from chalicelike._tooling._settings import FunctionConfig, StageConfig

APPS = Path(__file__).resolve().parent / "apps"
EVERYTHING = APPS / "everything"
HTTP_API = APPS / "http_api"
ARCHITECTURES = ("x86_64", "arm64")

# A policy as the IAM generator would hand it over (its content is tested elsewhere).
POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "S3Calls", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}
    ],
}


@functools.cache
def _manifest_json(app_dir: Path, environment: tuple[tuple[str, str], ...]) -> str:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", **dict(environment)}
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    result = subprocess.run(
        [sys.executable, "-m", "chalicelike._tooling._describe", str(app_dir), "dev"],
        capture_output=True,
        text=True,
        env=env,
        cwd=app_dir,
        check=True,
        timeout=120,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert "manifest" in answer, answer
    return json.dumps(answer["manifest"])


def manifest_of(app_dir: Path, **environment: str) -> AppManifest:
    return AppManifest.from_json(json.loads(_manifest_json(app_dir, tuple(environment.items()))))


def stage_for(manifest: AppManifest, **settings: Any) -> StageConfig:
    return StageConfig(app_name=manifest.app_name, stage="dev", **settings)


def configs_for(manifest: AppManifest, **settings: Any) -> dict[str, FunctionConfig]:
    """The same settings for every function of the app."""
    return {entry.name: FunctionConfig(name=entry.name, **settings) for entry in manifest.functions}


# Realistic values for every optional setting (cfn-lint checks their formats).
FULL_SETTINGS: dict[str, Any] = {
    "lambda_memory_size": 512,
    "lambda_timeout": 30,
    "reserved_concurrency": 4,
    "environment_variables": {"STAGE": "dev", "TABLE_NAME": "orders"},
    "tags": {"team": "shop"},
    "layers": ["arn:aws:lambda:us-east-1:123456789012:layer:shared:3"],
    "subnet_ids": ["subnet-0123456789abcdef0"],
    "security_group_ids": ["sg-0123456789abcdef0"],
    "xray": True,
    "log_retention_in_days": 14,
    "lambda_ephemeral_storage": 1024,
    "runtime": "python3.12",
}


def cfn_lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint's errors and warnings for a template (informational notes left out)."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))
    return [
        f"{m.rule.id} {m.message} at {'/'.join(str(p) for p in m.path)}"
        for m in matches
        if not m.rule.id.startswith("I")
    ]


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


_TF_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_TF_NAME = re.compile(r"\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\b")


def terraform_references(document: dict[str, Any]) -> Iterator[str]:
    """Every `${...}` expression of a Terraform JSON document (the OpenAPI body included)."""

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield from _TF_REFERENCE.findall(value)
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    yield from walk(document)


def dangling_terraform_references(document: dict[str, Any]) -> list[str]:
    """References to resources, data sources or locals the document does not declare."""
    resources = {(kind, name) for kind, by in document["resource"].items() for name in by}
    data = {(kind, name) for kind, by in document.get("data", {}).items() for name in by}
    local_names = set(document.get("locals", {}))
    dangling = []
    for expression in terraform_references(document):
        for match in re.finditer(r"\bdata\.(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)", expression):
            if (match[1], match[2]) not in data:
                dangling.append(expression)
        for match in re.finditer(r"\blocal\.([A-Za-z0-9_]+)", expression):
            if match[1] not in local_names:
                dangling.append(expression)
        cleaned = re.sub(r"\bdata\.aws_[a-z0-9_]+\.[A-Za-z0-9_-]+", "", expression)
        for match in _TF_NAME.finditer(cleaned):
            if (match[1], match[2]) not in resources:
                dangling.append(expression)
    for by_name in document["resource"].values():
        for body in by_name.values():
            for dependency in body.get("depends_on", []):
                kind, _, name = dependency.partition(".")
                if (kind, name) not in resources:
                    dangling.append(dependency)
    return dangling


@contextlib.contextmanager
def moto_rest_api_created_with(
    finish: Callable[[Any, dict[str, Any], str, str], None],
    prepare: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[None]:
    """moto's CloudFormation makes an AWS::ApiGateway::RestApi without reading its Body:
    `prepare(properties)` runs before moto makes it, `finish(api, properties, account,
    region)` completes it as the test needs."""
    from moto.apigateway.models import RestAPI

    create = RestAPI.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_and_finish(
        cls: Any, /, name: str, json_: dict[str, Any], account: str, region: str, **kwargs: Any
    ) -> Any:
        if prepare is not None:
            prepare(json_["Properties"])
        api = create(cls, name, json_, account, region, **kwargs)
        finish(api, json_["Properties"], account, region)
        return api

    with contextlib.ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setattr(RestAPI, "create_from_cloudformation_json", classmethod(create_and_finish))
        yield


def sam_transformed(template: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation creates from a SAM template: AWS's transform, run here."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the templates name no AWS managed policy
        def load(self) -> dict[str, str]:
            return {}

    template = json.loads(json.dumps(template))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://code/deployment.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        transformed: dict[str, Any] = transform(template, {}, NoManagedPolicies())
    return transformed
