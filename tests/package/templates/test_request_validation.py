"""`api_gateway_request_validation`: the templates embed API Gateway's 3.0 form with its
request validators (cfn-lint passes it), Terraform's body too, and `deploy`'s explicit REST
API spells them as RequestValidator, Model and Method resources (cfn-lint passes that too)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from chalicelike._tooling._manifest import AppManifest
from chalicelike.cli import main
from chalicelike.deploy._rest_api_resources import explicit_rest_api
from chalicelike.package.templates import build_templates
from tests.deploy.moto_support import (
    aws_client,
    plain_moto_server,
    point_cli_at,
)
from tests.package.template_support import (
    POLICY,
    cfn_lint,
    configs_for,
    resources_of_type,
    stage_for,
)
from tests.package.templates.contract_support import typed_manifest

VALIDATORS = {
    "all": {"validateRequestBody": True, "validateRequestParameters": True},
    "params": {"validateRequestBody": False, "validateRequestParameters": True},
}
MODEL = "AWS::ApiGateway::Model"
METHOD = "AWS::ApiGateway::Method"


def _templates(fmt: str, manifest: AppManifest, validation: bool) -> dict[str, Any]:
    stage = stage_for(manifest, api_gateway_request_validation=validation)
    (document,) = build_templates(manifest, stage, configs_for(manifest), POLICY, fmt).values()
    return document


def _body(template: dict[str, Any]) -> dict[str, Any]:
    (api,) = resources_of_type(template, "AWS::ApiGateway::RestApi").values()
    return dict(api["Properties"]["Body"])


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_the_body_is_api_gateways_3_0_form_with_validators(fmt: str) -> None:
    body = _body(_templates(fmt, typed_manifest(), validation=True))
    validate(body)
    assert body["openapi"] == "3.0.1"
    assert body["x-amazon-apigateway-request-validators"] == VALIDATORS
    put = body["paths"]["/orders/{order_id}"]["put"]
    assert put["x-amazon-apigateway-request-validator"] == "all"
    assert "PageOrder" in body["components"]["schemas"]  # a name API Gateway takes
    without = _body(_templates(fmt, typed_manifest(), validation=False))
    assert "x-amazon-apigateway-request-validators" not in without


def test_terraforms_body_is_the_same_form() -> None:
    document = _templates("terraform", typed_manifest(), validation=True)
    body = json.loads(document["locals"]["chalicelike_openapi"])
    validate(body)
    assert body["openapi"] == "3.0.1"
    assert body["x-amazon-apigateway-request-validators"] == VALIDATORS


def test_terraform_reads_the_views_text_as_written() -> None:
    # `${` and `%{` start Terraform's template sequences in any string of the file.
    manifest = typed_manifest()
    order = {**manifest.schemas["Order"], "description": "costs ${price}, %{if} any"}
    manifest = dataclasses.replace(manifest, schemas={**manifest.schemas, "Order": order})
    document = _templates("terraform", manifest, validation=False)
    text = document["locals"]["chalicelike_openapi"]
    assert "costs $${price}, %%{if} any" in text
    # The body's own references to resources stay live.
    assert "${aws_lambda_function." in text or "${aws_lambda_alias." in text


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_cfn_lint_passes_a_template_with_request_validation(fmt: str) -> None:
    assert cfn_lint(_templates(fmt, typed_manifest(), validation=True)) == []


# -- deploy's explicit form ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def explicit() -> dict[str, Any]:
    template = _templates("cloudformation", typed_manifest(), validation=True)
    return {**template, "Resources": explicit_rest_api(template["Resources"])}


def _method(template: dict[str, Any], verb: str, operation: str) -> dict[str, Any]:
    (found,) = [
        resource
        for resource in resources_of_type(template, METHOD).values()
        if resource["Properties"]["HttpMethod"] == verb
        and resource["Properties"].get("OperationName") == operation
    ]
    return found


def test_a_validator_and_the_declared_parameters_are_the_methods(
    explicit: dict[str, Any],
) -> None:
    validators = {
        resource["Properties"]["Name"]: (logical, resource["Properties"])
        for logical, resource in resources_of_type(
            explicit, "AWS::ApiGateway::RequestValidator"
        ).items()
    }
    validator_id, validator = validators["all"]
    assert validator == {
        "RestApiId": {"Ref": "RestAPI"},
        "Name": "all",
        "ValidateRequestBody": True,
        "ValidateRequestParameters": True,
    }
    assert validators["params"][1]["ValidateRequestBody"] is False
    listed = _method(explicit, "GET", "list_orders")["Properties"]
    assert listed["RequestValidatorId"] == {"Ref": validators["params"][0]}
    put = _method(explicit, "PUT", "update_order")["Properties"]
    assert put["RequestValidatorId"] == {"Ref": validator_id}
    assert put["RequestParameters"] == {
        "method.request.path.order_id": True,
        "method.request.querystring.limit": False,
        "method.request.header.X-Tenant": True,
    }
    assert put["RequestModels"] == {"application/json": "Order"}
    untyped = _method(explicit, "DELETE", "delete_order")["Properties"]
    assert "RequestValidatorId" not in untyped


def test_schemas_are_draft_4_models_made_before_the_methods(explicit: dict[str, Any]) -> None:
    models = {
        resource["Properties"]["Name"]: (logical, resource)
        for logical, resource in resources_of_type(explicit, MODEL).items()
    }
    # Only what a method names, and what those refer to; the built-in Empty is never made.
    assert set(models) == {"Order", "Line", "PageOrder", "ValidationError", "ListOrdersResponse200"}
    order_id, order = models["Order"]
    schema = order["Properties"]["Schema"]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert "type" not in schema["properties"]["note"]  # Optional[str]: null is accepted
    assert schema["properties"]["lines"]["items"] == {
        "$ref": {"Fn::Sub": "https://apigateway.amazonaws.com/restapis/${RestAPI}/models/Line"}
    }
    assert order["DependsOn"] == [models["Line"][0]]
    # An answer's schema written inline is a model of its own, named after the operation.
    listed = models["ListOrdersResponse200"][1]["Properties"]["Schema"]
    assert listed["type"] == "array"
    put = _method(explicit, "PUT", "update_order")
    assert order_id in put["DependsOn"] and models["PageOrder"][0] in put["DependsOn"]


@pytest.mark.slow
def test_cfn_lint_passes_the_explicit_form_with_models(explicit: dict[str, Any]) -> None:
    assert cfn_lint(explicit) == []


TYPED_APP = """
from dataclasses import dataclass
from typing import Optional

from chalicelike import Chalice

app = Chalice("typed")


@dataclass
class Order:
    sku: str
    qty: int
    note: Optional[str] = None


@app.route("/orders/{order_id}", methods=["PUT"])
def update(order_id: int, order: Order, limit: int = 10) -> Order:
    return order


@app.route("/plain")
def plain():
    return {}
"""


@pytest.mark.slow
def test_a_plain_moto_server_deploys_a_typed_app_with_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chalicelike deploy` with Models and a RequestValidator in its template: moto's
    CloudFormation makes neither (AWS makes both), but the stack and its methods stand."""
    project = tmp_path / "typed"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(TYPED_APP)
    config = {"app_name": "typed", "api_gateway_request_validation": True}
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    with plain_moto_server() as url:
        point_cli_at(url, monkeypatch, tmp_path)
        status = main(["--project-dir", str(project), "deploy"])
        captured = capsys.readouterr()
        assert status == 0, captured.out + captured.err
        apigateway = aws_client(url, "apigateway")
        (api,) = apigateway.get_rest_apis()["items"]
        by_path = {r["path"]: r for r in apigateway.get_resources(restApiId=api["id"])["items"]}
        put = apigateway.get_method(
            restApiId=api["id"], resourceId=by_path["/orders/{order_id}"]["id"], httpMethod="PUT"
        )
        assert put["methodIntegration"]["type"] == "AWS_PROXY"
        # moto 5's CloudFormation keeps no RequestParameters, validator or models of a
        # Method: their shape is checked on the template above and by cfn-lint.
        assert set(by_path["/plain"]["resourceMethods"]) == {"GET"}
