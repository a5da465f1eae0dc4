"""Provisioned concurrency and SnapStart in every template format: a published version with the
stage's alias on it, only for the functions that ask; every other resource left as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._manifest import API_FUNCTION, AppManifest
from chalicelike._tooling._settings import FunctionConfig, StageConfig
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._aws import TemplateError
from tests.package.template_support import (
    EVERYTHING,
    FULL_SETTINGS,
    POLICY,
    cfn_lint,
    configs_for,
    dangling_terraform_references,
    manifest_of,
    resources_of_type,
    sam_transformed,
)
from tests.package.templates.test_terraform import _terraform_validate

FORMATS = ("sam", "cloudformation", "terraform")
RUNTIME = "python3.14"
# Everything FULL_SETTINGS sets but /tmp above 512 MB, which SnapStart refuses.
SETTINGS = {**FULL_SETTINGS, "lambda_ephemeral_storage": 512, "runtime": RUNTIME}
PROVISIONED = {"provisioned_concurrency": 3}  # FULL_SETTINGS reserves 4
SNAPSTART = {"snapstart": True}


@pytest.fixture(scope="module")
def everything() -> AppManifest:
    return manifest_of(EVERYTHING)


def _template(
    fmt: str, manifest: AppManifest, stage: str = "dev", **per_function: dict[str, Any]
) -> dict[str, Any]:
    """The template with SETTINGS everywhere, and `per_function`'s extra keys by function."""
    configs = configs_for(manifest, **SETTINGS)
    for name, extra in per_function.items():
        configs[name] = FunctionConfig(name=name, **{**SETTINGS, **extra})
    stage_config = StageConfig(app_name=manifest.app_name, stage=stage, runtime=RUNTIME)
    (document,) = build_templates(manifest, stage_config, configs, POLICY, fmt).values()
    return document


def _resources(document: dict[str, Any]) -> dict[str, Any]:
    """Every resource by one flat key: CloudFormation's logical IDs, Terraform's type.name."""
    if "resource" in document:
        return {f"{kind}.{name}": body for kind, by in document["resource"].items()
                for name, body in by.items()}  # fmt: skip
    return dict(document["Resources"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_functions_without_the_keys_publish_nothing(fmt: str, everything: AppManifest) -> None:
    text = json.dumps(_template(fmt, everything))
    markers = ("AWS::Lambda::Version", "AWS::Lambda::Alias", "AutoPublishAlias", "SnapStart",
               "ProvisionedConcurrency", "aws_lambda_alias", "snap_start", '"publish"',
               "aws_lambda_provisioned_concurrency_config", "AliasArn")  # fmt: skip
    for marker in markers:
        assert marker not in text, marker


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("extra", [PROVISIONED, SNAPSTART])
def test_only_the_function_that_asks_changes(
    fmt: str, extra: dict[str, Any], everything: AppManifest
) -> None:
    before = _resources(_template(fmt, everything))
    after = _resources(_template(fmt, everything, on_job=extra))
    changed = {key for key in before if before[key] != after.get(key)}
    added = set(after) - set(before)
    # Besides the function, only what invokes it changes: its queue's mapping calls the alias.
    if fmt == "terraform":
        mapping = "aws_lambda_event_source_mapping.on_job-sqs-event-source"
        assert changed == {"aws_lambda_function.on_job", mapping}
        expected = {"aws_lambda_alias.on_job"}
        if extra is PROVISIONED:
            expected.add("aws_lambda_provisioned_concurrency_config.on_job")
        assert added == expected
    elif fmt == "sam":  # SAM adds the version and the alias
        assert (changed, added) == ({"OnJob", "OnJobOnJobSqsEventSource"}, set())
    else:  # the function itself changes only for SnapStart: the alias holds the provisioning
        function = {"OnJob"} if extra is SNAPSTART else set()
        assert changed == function | {"OnJobOnJobSqsEventSource"}
        assert {key.rstrip("0123456789abcdef") for key in added} == {"OnJobVersion", "OnJobAlias"}


def test_sam_publishes_to_the_stages_alias(everything: AppManifest) -> None:
    document = _template("sam", everything, stage="prod", on_job=PROVISIONED, on_alert=SNAPSTART)
    job = document["Resources"]["OnJob"]["Properties"]
    assert job["AutoPublishAlias"] == "prod"
    assert job["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 3}
    assert "SnapStart" not in job
    alert = document["Resources"]["OnAlert"]["Properties"]
    assert alert["AutoPublishAlias"] == "prod"
    assert alert["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert "ProvisionedConcurrencyConfig" not in alert
    assert document["Outputs"]["OnJobAliasArn"] == {"Value": {"Ref": "OnJob.Alias"}}
    # What CloudFormation makes of it after SAM's transform (AWS's own translator).
    made = sam_transformed(document)["Resources"]
    alias = made["OnJobAliasprod"]
    assert alias["Type"] == "AWS::Lambda::Alias"
    assert alias["Properties"]["Name"] == "prod"
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 3
    }
    version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    assert made[version]["Type"] == "AWS::Lambda::Version"
    assert made["OnAlert"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}


def test_cloudformation_publishes_a_version_per_settings_and_zip(
    everything: AppManifest,
) -> None:
    document = _template("cloudformation", everything, on_job=PROVISIONED)
    resources = document["Resources"]
    (version_id,) = resources_of_type(document, "AWS::Lambda::Version")
    assert version_id.startswith("OnJobVersion") and len(version_id) == len("OnJobVersion") + 10
    # A new DeploymentKey changes the description, which replaces the version: a new publish.
    assert resources[version_id]["Properties"] == {
        "FunctionName": {"Ref": "OnJob"},
        "Description": {"Fn::Sub": "s3://${DeploymentBucket}/${DeploymentKey}"},
    }
    assert resources["OnJobAlias"] == {
        "Type": "AWS::Lambda::Alias",
        "Properties": {
            "Name": "dev",
            "FunctionName": {"Ref": "OnJob"},
            "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
            "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 3},
        },
    }
    assert document["Outputs"]["OnJobAliasArn"] == {"Value": {"Ref": "OnJobAlias"}}
    # The same settings keep the version; other settings publish a new one.
    again = _template("cloudformation", everything, on_job=PROVISIONED)
    assert set(resources_of_type(again, "AWS::Lambda::Version")) == {version_id}
    bigger = _template(
        "cloudformation", everything, on_job={**PROVISIONED, "lambda_memory_size": 1024}
    )
    assert set(resources_of_type(bigger, "AWS::Lambda::Version")) != {version_id}


def test_cloudformation_snapstart_is_on_the_function_and_its_alias_has_no_provisioning(
    everything: AppManifest,
) -> None:
    resources = _template("cloudformation", everything, on_job=SNAPSTART)["Resources"]
    assert resources["OnJob"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert "ProvisionedConcurrencyConfig" not in resources["OnJobAlias"]["Properties"]


def test_terraform_publishes_with_an_alias_and_its_provisioning(everything: AppManifest) -> None:
    document = _template("terraform", everything, on_job=PROVISIONED, on_alert=SNAPSTART)
    resource = document["resource"]
    job = resource["aws_lambda_function"]["on_job"]
    assert job["publish"] is True and "snap_start" not in job
    alert = resource["aws_lambda_function"]["on_alert"]
    assert alert["publish"] is True
    assert alert["snap_start"] == {"apply_on": "PublishedVersions"}
    assert resource["aws_lambda_alias"]["on_job"] == {
        "name": "dev",
        "function_name": "${aws_lambda_function.on_job.function_name}",
        "function_version": "${aws_lambda_function.on_job.version}",
    }
    assert resource["aws_lambda_provisioned_concurrency_config"] == {
        "on_job": {
            "function_name": "${aws_lambda_alias.on_job.function_name}",
            "qualifier": "${aws_lambda_alias.on_job.name}",
            "provisioned_concurrent_executions": 3,
        }
    }
    assert set(resource["aws_lambda_alias"]) == {"on_job", "on_alert"}
    assert document["output"]["OnAlertAliasArn"] == {"value": "${aws_lambda_alias.on_alert.arn}"}
    assert dangling_terraform_references(document) == []


def test_terraform_asks_for_a_provider_that_knows_python3_14(everything: AppManifest) -> None:
    document = _template("terraform", everything)  # python3.14 everywhere
    assert document["terraform"]["required_providers"]["aws"]["version"] == ">= 6.20"
    configs = configs_for(everything, runtime="python3.13")
    stage = StageConfig(app_name=everything.app_name, stage="dev", runtime="python3.13")
    (older,) = build_templates(everything, stage, configs, POLICY, "terraform").values()
    assert older["terraform"]["required_providers"]["aws"]["version"] == ">= 5.100"
    configs["on_job"] = FunctionConfig(name="on_job", runtime="python3.14")
    (one,) = build_templates(everything, stage, configs, POLICY, "terraform").values()
    assert one["terraform"]["required_providers"]["aws"]["version"] == ">= 6.20"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stage_of_digits_cannot_name_an_alias(fmt: str, everything: AppManifest) -> None:
    with pytest.raises(TemplateError, match="Stage '2024' cannot name the Lambda alias"):
        _template(fmt, everything, stage="2024", on_job=SNAPSTART)
    _template(fmt, everything, stage="2024")  # without an alias, any stage name will do


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_cfn_lint_passes_published_functions(fmt: str, everything: AppManifest) -> None:
    assert API_FUNCTION == "api_handler"
    document = _template(fmt, everything, api_handler=PROVISIONED, on_job=SNAPSTART)
    assert cfn_lint(document) == []


@pytest.mark.slow
def test_terraform_validates_published_functions(everything: AppManifest, tmp_path: Path) -> None:
    # python3.13: the provider installed for this test (5.100) predates python3.14.
    configs = configs_for(everything, **{**SETTINGS, "runtime": "python3.13"})
    for name, extra in ((API_FUNCTION, PROVISIONED), ("on_job", SNAPSTART)):
        configs[name] = FunctionConfig(name=name, **{**SETTINGS, "runtime": "python3.13", **extra})
    stage = StageConfig(app_name=everything.app_name, stage="dev", runtime="python3.13")
    (document,) = build_templates(everything, stage, configs, POLICY, "terraform").values()
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]
