"""The deploy form of the stack: aliases called, notifications taken out, resources ordered
so that what a resource needs comes first, and the interim stack of a deploy with new
functions."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelike.deploy._session import DeployError
from chalicelike.deploy._template import (
    check_alias_name,
    deploy_template,
    in_dependency_order,
    interim_template,
)
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._aws import logical_id
from tests.package.template_support import (
    EVERYTHING,
    POLICY,
    cfn_lint,
    configs_for,
    manifest_of,
    resources_of_type,
    stage_for,
)


@pytest.fixture(scope="module")
def packaged() -> dict[str, Any]:
    manifest = manifest_of(EVERYTHING)
    (document,) = build_templates(
        manifest, stage_for(manifest), configs_for(manifest), POLICY, "cloudformation"
    ).values()
    return document


def _functions(template: dict[str, Any]) -> set[str]:
    return set(resources_of_type(template, "AWS::Lambda::Function"))


def test_event_sources_and_permissions_call_the_alias(packaged: dict[str, Any]) -> None:
    deployed = deploy_template(packaged, "dev").document
    functions = _functions(deployed)
    for body in resources_of_type(deployed, "AWS::Lambda::EventSourceMapping").values():
        name = body["Properties"]["FunctionName"]["Fn::Sub"]
        assert name.endswith(".Arn}:dev") and name[2:].split(".")[0] in functions
    for body in resources_of_type(deployed, "AWS::Lambda::Permission").values():
        assert body["Properties"]["FunctionName"]["Fn::Sub"].endswith(":dev")
    for body in resources_of_type(deployed, "AWS::ApiGateway::Method").values():
        uri = body["Properties"]["Integration"].get("Uri")
        if uri is not None:
            assert ".Arn}:dev/invocations" in uri["Fn::Sub"]


def test_functions_and_log_groups_keep_unqualified_names(packaged: dict[str, Any]) -> None:
    deployed = deploy_template(packaged, "dev").document
    for body in resources_of_type(deployed, "AWS::Logs::LogGroup").values():
        assert ":dev" not in str(body)
    assert _functions(deployed) <= _functions(packaged)


def test_bucket_notifications_leave_the_stack_with_alias_arns(packaged: dict[str, Any]) -> None:
    template = deploy_template(packaged, "dev")
    assert not resources_of_type(template.document, "Custom::S3BucketNotifications")
    assert "S3NotificationsHandler" not in template.document["Resources"]
    assert "S3NotificationsRole" not in template.document["Resources"]
    assert template.notifications
    for notification in template.notifications:
        for configuration in notification.configurations:
            assert configuration["LambdaFunctionArn"]["Fn::Sub"].endswith(".Arn}:dev")
    assert "S3NotificationsHandler" not in str(template.document)


def test_the_deploy_form_lints_clean(packaged: dict[str, Any]) -> None:
    assert cfn_lint(deploy_template(packaged, "dev").document) == []


def test_whatever_a_resource_needs_comes_before_it(packaged: dict[str, Any]) -> None:
    resources = deploy_template(packaged, "dev").document["Resources"]
    order = list(resources)
    for deployment in resources_of_type({"Resources": resources}, "AWS::ApiGateway::Deployment"):
        for method in resources[deployment].get("DependsOn", []):
            assert order.index(method) < order.index(deployment)


def test_dependency_order_keeps_an_unrelated_order() -> None:
    resources = {
        "B": {"Type": "T", "Properties": {"X": {"Ref": "C"}}},
        "A": {"Type": "T", "Properties": {}},
        "C": {"Type": "T", "Properties": {}, "DependsOn": "A"},
    }
    assert list(in_dependency_order(resources)) == ["A", "C", "B"]


def test_a_first_deploy_goes_through_functions_alone(packaged: dict[str, Any]) -> None:
    full = deploy_template(packaged, "dev")
    interim = interim_template(full.document, None, set(full.functions))
    kinds = {body["Type"] for body in interim["Resources"].values()}
    assert kinds <= {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::IAM::Policy"}
    assert _functions(interim) == set(full.functions)
    assert interim["Parameters"] == full.document["Parameters"]


def test_a_new_function_joins_what_is_deployed(packaged: dict[str, Any]) -> None:
    full = deploy_template(packaged, "dev")
    new = full.functions[-1]
    deployed = {
        "Resources": {k: v for k, v in full.document["Resources"].items() if k != new},
        "Outputs": {"Kept": {"Value": "x"}},
    }
    interim = interim_template(full.document, deployed, {new})
    assert set(interim["Resources"]) == set(deployed["Resources"]) | {new}
    assert interim["Outputs"] == {"Kept": {"Value": "x"}}


@pytest.mark.parametrize("stage", ["dev", "prod-eu", "v_2"])
def test_stage_names_that_name_an_alias(stage: str) -> None:
    check_alias_name(stage)


@pytest.mark.parametrize("stage", ["123", "dev.eu", "a b", ""])
def test_stage_names_lambda_refuses_as_alias(stage: str) -> None:
    with pytest.raises(DeployError, match="cannot name a Lambda alias"):
        check_alias_name(stage)


def test_provisioned_concurrency_moves_from_the_template_to_the_alias() -> None:
    manifest = manifest_of(EVERYTHING)
    configs = configs_for(manifest)
    first = manifest.functions[0].name
    configs[first] = dataclasses.replace(configs[first], provisioned_concurrency=3)
    (document,) = build_templates(
        manifest, stage_for(manifest), configs, POLICY, "cloudformation"
    ).values()
    assert resources_of_type(document, "AWS::Lambda::Alias")
    template = deploy_template(document, "dev")
    for kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        assert not resources_of_type(template.document, kind)
    assert not [name for name in template.document["Outputs"] if name.endswith("AliasArn")]
    assert template.provisioned == {logical_id(first): 3}
    assert cfn_lint(template.document) == []


def test_callers_of_packages_alias_call_deploys_alias() -> None:
    document = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "FnVersionabc": {"Type": "AWS::Lambda::Version", "Properties": {}},
            "FnAlias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "dev"},
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"FunctionName": {"Ref": "FnAlias"}, "EventSourceArn": "arn:q"},
                "DependsOn": ["FnAlias"],
            },
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"Targets": [{"Arn": {"Fn::Sub": "${FnAlias}"}, "Id": "x"}]},
            },
        },
        "Outputs": {"FnAliasArn": {"Value": {"Ref": "FnAlias"}}},
    }
    template = deploy_template(document, "dev")
    resources = template.document["Resources"]
    assert set(resources) == {"Fn", "Mapping", "Rule"}
    assert resources["Mapping"]["Properties"]["FunctionName"] == {"Fn::Sub": "${Fn.Arn}:dev"}
    assert resources["Mapping"]["DependsOn"] == ["Fn"]
    assert resources["Rule"]["Properties"]["Targets"][0]["Arn"] == {"Fn::Sub": "${Fn.Arn}:dev"}
    assert template.document["Outputs"] == {}
