"""What invokes a function that publishes versions calls the stage's alias, in every format: event
sources, API integrations, authorizers, permissions, rule targets, subscriptions, notifications,
receipt rules and Function URLs. Only names that do not invoke (logs, IAM, the version and the
alias themselves, outputs) keep the function; functions without the keys are left as they were."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._manifest import API_FUNCTION, AppManifest
from chalicelike._tooling._settings import FunctionConfig, StageConfig
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._aws import logical_id
from chalicelike.package.templates.terraform._document import tf_name
from tests.package.template_support import (
    EVERYTHING,
    HTTP_API,
    POLICY,
    cfn_lint,
    configs_for,
    dangling_terraform_references,
    manifest_of,
    sam_transformed,
)
from tests.package.templates.test_published_versions import (
    PROVISIONED,
    RUNTIME,
    SETTINGS,
    SNAPSTART,
)
from tests.package.templates.test_terraform import _terraform_validate

STAGE = "prod-eu_1"  # '-' and '_': SAM spells them 'D' and 'U' in its alias's logical ID

# What names a function without invoking it, and may keep naming the function itself.
NOT_CALLERS = {
    "AWS::Lambda::Function",
    "AWS::Serverless::Function",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Logs::LogGroup",
}
# Every kind of CloudFormation resource that invokes a function of the `everything` app (with a
# Function URL) or of the HTTP API app: each must name an alias.
CFN_CALLERS = {
    "AWS::ApiGateway::RestApi",  # OpenAPI integration and authorizer URIs
    "AWS::ApiGatewayV2::Integration",  # websocket handlers, the HTTP API
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Url",
    "AWS::Events::Rule",
    "AWS::SNS::Subscription",
    "AWS::SES::ReceiptRule",
    "Custom::S3BucketNotifications",
}
HTTP_CFN_CALLERS = {
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::Lambda::Permission",
}
TF_CALLERS = {
    "aws_lambda_permission",
    "aws_lambda_event_source_mapping",
    "aws_lambda_function_url",
    "aws_cloudwatch_event_target",
    "aws_sns_topic_subscription",
    "aws_ses_receipt_rule",
    "aws_s3_bucket_notification",
    "aws_apigatewayv2_integration",
}


@pytest.fixture(scope="module")
def everything() -> AppManifest:
    return manifest_of(EVERYTHING)


@pytest.fixture(scope="module")
def http_app() -> AppManifest:
    return manifest_of(HTTP_API)


def _published_configs(
    manifest: AppManifest, runtime: str = RUNTIME, only: set[str] | None = None
) -> dict[str, FunctionConfig]:
    """Every function (or those in `only`) published: by turns provisioned and SnapStart; the
    `plain` function behind a Function URL too."""
    settings = {**SETTINGS, "runtime": runtime}
    configs = configs_for(manifest, **settings)
    for number, entry in enumerate(manifest.functions):
        extra: dict[str, Any] = PROVISIONED if number % 2 else SNAPSTART
        if only is not None and entry.name not in only:
            extra = {}
        if entry.name == "plain":
            extra = {**extra, "function_url": True}
        configs[entry.name] = FunctionConfig(name=entry.name, **{**settings, **extra})
    return configs


def _build(
    fmt: str,
    manifest: AppManifest,
    configs: dict[str, FunctionConfig],
    runtime: str = RUNTIME,
    **stage: Any,
) -> dict[str, Any]:
    stage_config = StageConfig(app_name=manifest.app_name, stage=STAGE, runtime=runtime, **stage)
    (document,) = build_templates(manifest, stage_config, configs, POLICY, fmt).values()
    return document


# -- CloudFormation: who names what -------------------------------------------------------


def _cfn_names(value: Any) -> Iterator[str]:
    """What `value` refers to: a Ref's target, 'ID.Attribute' of a GetAtt, each ${...} of a
    Sub (SAM's 'F.Alias' as written)."""
    if isinstance(value, list):
        for item in value:
            yield from _cfn_names(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt" and isinstance(item, list):
                yield ".".join(item)
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                yield from re.findall(r"\$\{([^}!]+)\}", text)
                if not isinstance(item, str):
                    yield from _cfn_names(item[1])
            else:
                yield from _cfn_names(item)


def _cfn_aliases(fmt: str, functions: list[str]) -> dict[str, set[str]]:
    """How a template names each function's alias: function logical ID → what refers to it."""
    made = {f: f"{f}AliasprodDeuU1" for f in functions}  # SAM's: '-' spelled D, '_' U
    if fmt == "sam":  # before SAM's transform: its property, or the ID (in DependsOn)
        return {f: {f"{f}.Alias", made[f]} for f in functions}
    if fmt == "sam-transformed":
        return {f: {made[f]} for f in functions}
    return {f: {f"{f}Alias"} for f in functions}


def _cfn_calls(body: dict[str, Any], aliases: dict[str, set[str]]) -> tuple[set[str], set[str]]:
    """The functions `body` names itself, and those whose alias it names."""
    properties = dict(body.get("Properties", {}))
    if body["Type"] == "AWS::Lambda::Url":
        properties.pop("TargetFunctionArn")  # the function, with the alias as Qualifier
    names = set(_cfn_names(properties)) | set(body.get("DependsOn", []))
    direct = {
        f
        for f, alias in aliases.items()
        for name in names
        if name not in alias and (name == f or name.startswith(f"{f}."))
    }
    via_alias = {f for f, alias in aliases.items() if alias & names}
    return direct, via_alias


def _check_cfn_callers(
    document: dict[str, Any], fmt: str, manifest: AppManifest, callers: set[str]
) -> None:
    functions = [logical_id(entry.name) for entry in manifest.functions]
    aliases = _cfn_aliases(fmt, functions)
    seen: set[str] = set()
    for name, body in document["Resources"].items():
        if body["Type"] in NOT_CALLERS:
            continue
        direct, via_alias = _cfn_calls(body, aliases)
        assert not direct, f"{name} ({body['Type']}) calls {direct} itself"
        if via_alias:
            seen.add(body["Type"])
    assert callers <= seen  # each kind of caller is there, and calls an alias


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_every_cloudformation_caller_names_the_alias(fmt: str, everything: AppManifest) -> None:
    document = _build(fmt, everything, _published_configs(everything))
    _check_cfn_callers(document, fmt, everything, CFN_CALLERS)


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_http_api_callers_name_the_alias(fmt: str, http_app: AppManifest) -> None:
    configs = _published_configs(http_app)
    document = _build(fmt, http_app, configs, api_gateway_type="HTTP")
    _check_cfn_callers(document, fmt, http_app, HTTP_CFN_CALLERS)


def test_cloudformation_callers_spell_the_alias_as_each_property_wants(
    everything: AppManifest,
) -> None:
    resources = _build("cloudformation", everything, _published_configs(everything))["Resources"]
    alias = {"Ref": "OnJobAlias"}
    # Lambda takes an alias's ARN wherever it takes a function's name.
    assert resources["OnJobOnJobSqsEventSource"]["Properties"]["FunctionName"] == alias
    assert resources["APIHandlerInvokePermission"]["Properties"]["FunctionName"] == {
        "Ref": "APIHandlerAlias"
    }
    body = json.dumps(resources["RestAPI"]["Properties"]["Body"])
    assert "/functions/${APIHandlerAlias}/invocations" in body
    assert "/functions/${TokenAuthAlias}/invocations" in body  # the authorizer's URI
    assert "/functions/${TeamAuthAlias}/invocations" in body
    url = resources["PlainUrl"]
    assert url["Properties"]["TargetFunctionArn"] == {"Fn::GetAtt": ["Plain", "Arn"]}
    assert url["Properties"]["Qualifier"] == STAGE
    assert url["DependsOn"] == ["PlainAlias"]  # Lambda refuses a URL for a missing alias


def test_the_cognito_output_names_the_alias(everything: AppManifest) -> None:
    outputs = _build("cloudformation", everything, _published_configs(everything))["Outputs"]
    assert "${OnSignupAlias}" in outputs["OnSignupCognitoTriggers"]["Value"]["Fn::Sub"]
    # What names the function keeps naming it; the alias has its own output.
    assert outputs["OnSignupArn"]["Value"] == {"Fn::GetAtt": ["OnSignup", "Arn"]}
    assert outputs["OnSignupAliasArn"]["Value"] == {"Ref": "OnSignupAlias"}


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_callers_of_other_functions_are_unchanged(fmt: str, everything: AppManifest) -> None:
    published = {API_FUNCTION, "token_auth", "on_alert", "on_upload", "ws_message", "on_ec2"}
    before = _build(fmt, everything, _published_configs(everything, only=set()))["Resources"]
    after = _build(fmt, everything, _published_configs(everything, only=published))["Resources"]
    functions = [logical_id(entry.name) for entry in everything.functions]
    aliases = _cfn_aliases(fmt, functions)
    ours = {logical_id(name) for name in published}
    for name, body in before.items():
        if body == after.get(name):
            continue
        if name.startswith("RestAPIDeployment") or name == "RestAPIapiStage":
            continue  # a new body is a new deployment (named after its hash), for the stage
        direct, via_alias = _cfn_calls(after[name], aliases)
        # Changed: a published function itself, or something that now calls its alias.
        assert name in ours or via_alias, name
        assert via_alias <= ours and not direct & ours, name
    # The REST API's body changes only where it calls a published function.
    text = json.dumps(after["RestAPI"]["Properties"]["Body"])
    assert "${APIHandler.Arn}" not in text and "${TokenAuth.Arn}" not in text
    assert "${TeamAuth.Arn}" in text


def test_sam_transform_points_every_caller_at_the_alias_it_makes(
    everything: AppManifest,
) -> None:
    document = _build("sam", everything, _published_configs(everything))
    made = sam_transformed(document)
    functions = [logical_id(entry.name) for entry in everything.functions]
    for function, (alias,) in _cfn_aliases("sam-transformed", functions).items():
        assert made["Resources"][alias]["Type"] == "AWS::Lambda::Alias", function
    assert ".Alias" not in json.dumps(made)  # SAM resolved every reference to its alias
    _check_cfn_callers(made, "sam-transformed", everything, CFN_CALLERS)


def test_sam_transform_of_the_http_api(http_app: AppManifest) -> None:
    configs = _published_configs(http_app)
    made = sam_transformed(_build("sam", http_app, configs, api_gateway_type="HTTP"))
    assert ".Alias" not in json.dumps(made)
    _check_cfn_callers(made, "sam-transformed", http_app, HTTP_CFN_CALLERS)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_cfn_lint_passes_callers_of_aliases(
    fmt: str, everything: AppManifest, http_app: AppManifest
) -> None:
    assert cfn_lint(_build(fmt, everything, _published_configs(everything))) == []
    http = _build(fmt, http_app, _published_configs(http_app), api_gateway_type="HTTP")
    assert cfn_lint(http) == []


def test_deploys_form_keeps_no_reference_to_packages_aliases(everything: AppManifest) -> None:
    """`deploy` takes the Version and Alias resources out and calls its own alias: whatever
    named package's alias must name a resource that is still there."""
    from chalicelike.deploy._template import deploy_template

    document = _build("cloudformation", everything, _published_configs(everything))
    deployed = deploy_template(document, STAGE).document
    resources = deployed["Resources"]
    known = set(resources) | set(deployed.get("Parameters", {}))
    for name, body in resources.items():
        for target in _cfn_names(body.get("Properties", {})):
            logical = target.split(".")[0]
            assert logical.startswith("AWS::") or logical in known, (name, target)
        for needed in body.get("DependsOn", []):
            assert needed in known, (name, needed)
    urls = [body for body in resources.values() if body["Type"] == "AWS::Lambda::Url"]
    assert urls and all(url["Properties"]["Qualifier"] == STAGE for url in urls)


# -- Terraform ------------------------------------------------------------------------------


def _tf_bodies(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for kind, by_name in document["resource"].items():
        for name, body in by_name.items():
            yield kind, name, body


def test_every_terraform_caller_names_the_alias(everything: AppManifest) -> None:
    document = _build("terraform", everything, _published_configs(everything))
    seen: set[str] = set()
    for kind, name, body in _tf_bodies(document):
        text = json.dumps(body)
        if kind in ("aws_lambda_function", "aws_lambda_alias", "aws_cloudwatch_log_group"):
            continue
        # A permission or URL names the function, and the alias as its qualifier.
        if kind in ("aws_lambda_permission", "aws_lambda_function_url"):
            assert body["qualifier"].startswith("${aws_lambda_alias."), (kind, name)
            text = json.dumps({k: v for k, v in body.items() if k != "function_name"})
        assert "aws_lambda_function." not in text, (kind, name)
        if "aws_lambda_alias." in text:
            seen.add(kind)
    assert seen >= TF_CALLERS  # each kind of caller is there, and calls an alias
    # The REST API's OpenAPI body is a local: its integrations and authorizers call aliases.
    body = document["locals"]["chalicelike_openapi"]
    assert "aws_lambda_function." not in body
    assert "${aws_lambda_alias.api_handler.invoke_arn}" in body
    assert "${aws_lambda_alias.token_auth.invoke_arn}" in body
    outputs = json.dumps(document["output"]["OnSignupCognitoTriggers"])
    assert "aws_lambda_alias.on_signup.arn" in outputs
    assert dangling_terraform_references(document) == []


def test_terraform_http_api_callers_name_the_alias(http_app: AppManifest) -> None:
    document = _build("terraform", http_app, _published_configs(http_app), api_gateway_type="HTTP")
    resource = document["resource"]
    integration = resource["aws_apigatewayv2_integration"]["http_api"]
    assert integration["integration_uri"] == f"${{aws_lambda_alias.{API_FUNCTION}.arn}}"
    authorizer = resource["aws_apigatewayv2_authorizer"]["token_auth"]
    assert authorizer["authorizer_uri"] == "${aws_lambda_alias.token_auth.invoke_arn}"
    for name, permission in resource["aws_lambda_permission"].items():
        assert permission["qualifier"].startswith("${aws_lambda_alias."), name


def test_terraform_callers_of_other_functions_are_unchanged(everything: AppManifest) -> None:
    published = {API_FUNCTION, "on_job", "on_upload", "on_email", "at_noon"}
    before = _build("terraform", everything, _published_configs(everything, only=set()))
    after = _build("terraform", everything, _published_configs(everything, only=published))
    names = {tf_name(name) for name in published}
    for kind, name, body in _tf_bodies(before):
        new = after["resource"][kind][name]
        if body == new:
            continue
        called = set(re.findall(r"aws_lambda_alias\.([A-Za-z0-9_-]+)\.", json.dumps(new)))
        assert (kind == "aws_lambda_function" and name in names) or called, (kind, name)
        assert called <= names, (kind, name)


@pytest.mark.slow
def test_terraform_validates_callers_of_aliases(everything: AppManifest, tmp_path: Path) -> None:
    # python3.13, and no Function URL: the provider installed for this test is 5.100.
    configs = _published_configs(everything, runtime="python3.13")
    configs["plain"] = FunctionConfig(
        name="plain", **{**SETTINGS, "runtime": "python3.13", **SNAPSTART}
    )
    document = _build("terraform", everything, configs, runtime="python3.13")
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]
