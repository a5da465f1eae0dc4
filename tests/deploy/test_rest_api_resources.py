"""`explicit_rest_api` on templates the packager writes for real apps: every operation of the
OpenAPI body becomes a Method on its path's Resources, no Body or Stage is left, the Deployment
waits for every Method; cfn-lint passes it, and a plain moto server builds the sample app's."""

from __future__ import annotations

import copy
import io
import json
import re
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._tooling._manifest import AppManifest, describe_app
from chalicelike._tooling._settings import CustomDomain
from chalicelike.cli import main
from chalicelike.deploy._rest_api_resources import explicit_rest_api
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._aws import TemplateError
from tests.deploy.moto_support import (
    aws_client,
    plain_moto_server,
    point_cli_at,
)
from tests.package.package_support import SAMPLE_APP
from tests.package.template_support import (
    EVERYTHING,
    HTTP_API,
    POLICY,
    cfn_lint,
    configs_for,
    manifest_of,
    resources_of_type,
    stage_for,
)
from tests.package.test_command import copy_project, run
from tests.workflow_support import ORDER_ASL, write_workflow_project

METHOD = "AWS::ApiGateway::Method"
RESOURCE = "AWS::ApiGateway::Resource"
AUTHORIZER = "AWS::ApiGateway::Authorizer"
DEPLOYMENT = "AWS::ApiGateway::Deployment"
STAGE = "AWS::ApiGateway::Stage"
VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}

# What `everything` lacks: a greedy path, a root with two methods, an authorizer with an
# execution role and its own header, a custom authorizer with an invoke role and no cache.
PROXIED_APP = textwrap.dedent(
    """
    from chalicelike import AuthResponse, Chalice, CustomAuthorizer

    app = Chalice(app_name="proxied")
    partner = CustomAuthorizer(
        "partner",
        header="X-Partner",
        authorizer_uri=(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:partner-auth/invocations"
        ),
        invoke_role_arn="arn:aws:iam::123456789012:role/partner-invoker",
        ttl_seconds=0,
    )


    @app.authorizer(execution_role="arn:aws:iam::123456789012:role/invoker", header="X-Token")
    def token(auth_request):
        return AuthResponse(routes=["*"], principal_id="user")


    @app.route("/", methods=["GET", "POST"])
    def index():
        return {}


    @app.route("/files/{proxy+}", methods=["GET", "PUT"], authorizer=token)
    def files():
        return {}


    @app.route("/v1/a-b/{id}", authorizer=partner, cors=True)
    def dashed(id):
        return {}


    @app.route("/v1/ab/{id}", api_key_required=True)
    def plain(id):
        return {}
    """
)
DOMAIN = CustomDomain(
    domain_name="api.example.com",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab",
    url_prefix="v1",
)
API_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
    ],
}


def _template(manifest: AppManifest, **stage: Any) -> dict[str, Any]:
    policy = stage.pop("api_gateway_policy", None)
    (document,) = build_templates(
        manifest,
        stage_for(manifest, **stage),
        configs_for(manifest, xray=True),
        POLICY,
        "cloudformation",
        api_gateway_policy=policy,
    ).values()
    return document


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> AppManifest:
    folder = tmp_path_factory.mktemp("proxied")
    (folder / "app.py").write_text(PROXIED_APP)
    return manifest_of(folder)


@pytest.fixture(scope="module")
def templates(proxied: AppManifest) -> dict[str, dict[str, Any]]:
    """Templates from the writer `chalicelike package --pkg-format cloudformation` calls
    (the slow tests run the CLI itself on the sample app)."""
    everything = manifest_of(EVERYTHING)
    return {
        "sample_app": _template(manifest_of(SAMPLE_APP), api_gateway_stage="api"),
        "everything": _template(everything),
        "proxied": _template(proxied, minimum_compression_size=1024),
        "domain_and_policy": _template(
            everything, api_gateway_custom_domain=DOMAIN, api_gateway_policy=API_POLICY
        ),
        "private": _template(
            proxied,
            api_gateway_endpoint_type="PRIVATE",
            api_gateway_endpoint_vpce=["vpce-0123456789abcdef0"],
            api_gateway_policy=API_POLICY,
        ),
    }


NAMES = ("sample_app", "everything", "proxied", "domain_and_policy", "private")


def _explicit(template: dict[str, Any]) -> dict[str, Any]:
    return {**template, "Resources": explicit_rest_api(template["Resources"])}


def _body(template: dict[str, Any]) -> dict[str, Any]:
    (api,) = resources_of_type(template, "AWS::ApiGateway::RestApi").values()
    return dict(api["Properties"]["Body"])


def _operations(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, VERB) → the OpenAPI operation."""
    found = {}
    for path, operations in body["paths"].items():
        for key, operation in operations.items():
            verb = "ANY" if key == "x-amazon-apigateway-any-method" else key.upper()
            assert key in VERBS or verb == "ANY", key
            found[path, verb] = operation
    return found


def _path_of(resources: dict[str, Any], resource_id: Any, api: str) -> str:
    """The path a Method's ResourceId stands for, read back through the Resources' parents."""
    if resource_id == {"Fn::GetAtt": [api, "RootResourceId"]}:
        return "/"
    resource = resources[resource_id["Ref"]]
    assert resource["Type"] == RESOURCE
    assert resource["Properties"]["RestApiId"] == {"Ref": api}
    parent = _path_of(resources, resource["Properties"]["ParentId"], api)
    return f"{parent.rstrip('/')}/{resource['Properties']['PathPart']}"


def _methods(resources: dict[str, Any], api: str = "RestAPI") -> dict[tuple[str, str], Any]:
    """(path, VERB) → the Method's properties."""
    found = {}
    for method in resources.values():
        if method["Type"] == METHOD:
            properties = method["Properties"]
            assert properties["RestApiId"] == {"Ref": api}
            key = (_path_of(resources, properties["ResourceId"], api), properties["HttpMethod"])
            assert key not in found, key
            found[key] = properties
    return found


@pytest.mark.parametrize("name", NAMES)
def test_every_operation_is_a_method_and_nothing_else_changes(
    templates: dict[str, dict[str, Any]], name: str
) -> None:
    template = templates[name]
    before = copy.deepcopy(template["Resources"])
    resources = explicit_rest_api(template["Resources"])
    assert template["Resources"] == before  # the input is left as it was
    assert set(_methods(resources)) == set(_operations(_body(template)))
    assert "Body" not in resources["RestAPI"]["Properties"]
    assert resources_of_type({"Resources": resources}, STAGE) == {}
    (deployment_id, deployment) = resources_of_type({"Resources": resources}, DEPLOYMENT).popitem()
    methods = [logical for logical, r in resources.items() if r["Type"] == METHOD]
    assert sorted(deployment["DependsOn"]) == sorted(methods)
    for logical in set(resources) | set(before):
        if logical not in ("RestAPI", deployment_id, "ApiCustomDomainMapping"):
            if logical in before and before[logical]["Type"] != STAGE:
                assert resources[logical] == before[logical], logical
            elif logical not in before:
                assert re.fullmatch(r"RestAPI[A-Za-z0-9]{1,248}", logical), logical
    assert explicit_rest_api(template["Resources"]) == resources  # same IDs every time


def _proxy_uri(body: dict[str, Any]) -> Any:
    return next(
        operation["x-amazon-apigateway-integration"]["uri"]
        for operation in _operations(body).values()
        if operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    )


@pytest.mark.parametrize("name", NAMES)
def test_integrations_and_responses_match_the_body(
    templates: dict[str, dict[str, Any]], name: str
) -> None:
    template = templates[name]
    methods = _methods(explicit_rest_api(template["Resources"]))
    for key, operation in _operations(_body(template)).items():
        method, integration = methods[key], operation["x-amazon-apigateway-integration"]
        spelled = method["Integration"]
        assert method.get("OperationName") == operation.get("operationId"), key
        if integration["type"] == "aws_proxy":
            assert spelled["Type"] == "AWS_PROXY" and spelled["IntegrationHttpMethod"] == "POST"
            assert spelled["Uri"] == integration["uri"]
            assert spelled["PassthroughBehavior"] == "WHEN_NO_MATCH"
            assert spelled["ContentHandling"] == "CONVERT_TO_TEXT"
        elif key[1] == "OPTIONS":
            # A CORS preflight is answered by the API function (the app answers OPTIONS as
            # API Gateway's mock would): AWS and moto both build that form.
            assert integration["type"] == "mock" and spelled["Type"] == "AWS_PROXY"
            assert spelled["Uri"] == _proxy_uri(_body(template))
            assert "MethodResponses" not in method or all(
                "ResponseParameters" not in r for r in method["MethodResponses"]
            )
        else:
            assert integration["type"] == "mock" and spelled["Type"] == "MOCK"
            # CloudFormation: a MOCK integration takes no Uri.
            assert "Uri" not in spelled and "IntegrationHttpMethod" not in spelled
            assert spelled["RequestTemplates"] == integration["requestTemplates"]
            (response,) = spelled["IntegrationResponses"]
            expected = integration["responses"]["default"]
            assert response == {
                "StatusCode": "200",
                "ResponseParameters": expected["responseParameters"],
            }
            (declared,) = method["MethodResponses"]
            assert declared["ResponseParameters"] == dict.fromkeys(
                expected["responseParameters"], False
            )
        for parameter in operation.get("parameters", []):
            assert method["RequestParameters"][f"method.request.path.{parameter['name']}"]


def test_every_authorizer_kind(templates: dict[str, dict[str, Any]]) -> None:
    resources = explicit_rest_api(templates["everything"]["Resources"])
    methods = _methods(resources)
    authorizers = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == AUTHORIZER
    }
    assert set(authorizers) == {"token_auth", "team_auth", "staff_pool", "partner"}
    for properties in authorizers.values():
        assert properties["RestApiId"] == {"Ref": "RestAPI"}

    def authorizer_of(key: tuple[str, str]) -> dict[str, Any]:
        (found,) = [
            r["Properties"]
            for logical, r in resources.items()
            if {"Ref": logical} == methods[key].get("AuthorizerId")
        ]
        return found

    orders = methods["/orders", "GET"]
    assert orders["AuthorizationType"] == "CUSTOM" and orders["ApiKeyRequired"] is True
    token = authorizer_of(("/orders", "GET"))
    assert token["Type"] == "TOKEN" and token["AuthorizerResultTtlInSeconds"] == 120
    assert token["IdentitySource"] == "method.request.header.Authorization"
    assert "${TokenAuth.Arn}" in token["AuthorizerUri"]["Fn::Sub"]
    team = authorizer_of(("/orders/{order_id}", "DELETE"))
    assert team["Type"] == "REQUEST"
    assert (
        team["IdentitySource"]
        == _body(templates["everything"])["components"]["securitySchemes"]["team_auth"][
            "x-amazon-apigateway-authorizer"
        ]["identitySource"]
    )
    staff = methods["/staff", "GET"]
    assert staff["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert staff["AuthorizationScopes"] == ["staff/read"]
    assert authorizer_of(("/staff", "GET"))["ProviderARNs"] == [
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
    ]
    assert methods["/admin", "PUT"]["AuthorizationType"] == "AWS_IAM"
    assert "AuthorizerId" not in methods["/admin", "PUT"]
    partner = authorizer_of(("/partners/{partner_id}", "GET"))
    assert partner["AuthorizerUri"].endswith("function:partner-auth/invocations")
    assert methods["/", "GET"]["AuthorizationType"] == "NONE"
    assert "ApiKeyRequired" not in methods["/", "GET"]


def test_roles_headers_and_a_greedy_path(templates: dict[str, dict[str, Any]]) -> None:
    resources = explicit_rest_api(templates["proxied"]["Resources"])
    methods = _methods(resources)
    files = methods["/files/{proxy+}", "PUT"]
    assert files["RequestParameters"] == {"method.request.path.proxy": True}
    (token,) = [r for r in resources.values() if r["Properties"].get("Name") == "token"]
    assert token["Properties"]["AuthorizerCredentials"] == "arn:aws:iam::123456789012:role/invoker"
    assert token["Properties"]["IdentitySource"] == "method.request.header.X-Token"
    (partner,) = [r for r in resources.values() if r["Properties"].get("Name") == "partner"]
    assert partner["Properties"]["AuthorizerResultTtlInSeconds"] == 0
    assert partner["Properties"]["AuthorizerCredentials"].endswith("role/partner-invoker")
    assert methods["/v1/ab/{id}", "GET"]["ApiKeyRequired"] is True
    # '/v1/a-b' and '/v1/ab' read alike once cleaned: the path's hash keeps their IDs apart.
    paths = [r["Properties"]["PathPart"] for r in resources.values() if r["Type"] == RESOURCE]
    assert sorted(paths) == sorted(["files", "{proxy+}", "v1", "a-b", "ab", "{id}", "{id}"])
    assert resources["RestAPI"]["Properties"]["MinimumCompressionSize"] == 1024


def test_binary_types_policy_and_endpoint_move_to_the_rest_api(
    templates: dict[str, dict[str, Any]],
) -> None:
    api = explicit_rest_api(templates["everything"]["Resources"])["RestAPI"]["Properties"]
    assert api["BinaryMediaTypes"] == ["application/octet-stream", "image/png"]
    assert api["Name"] == "everything" and api["Tags"] and "Policy" not in api
    private = explicit_rest_api(templates["private"]["Resources"])["RestAPI"]["Properties"]
    assert private["Policy"] == API_POLICY
    assert private["EndpointConfiguration"] == {
        "Types": ["PRIVATE"],
        "VpcEndpointIds": ["vpce-0123456789abcdef0"],
    }
    binary_types = _body(templates["private"])["x-amazon-apigateway-binary-media-types"]
    assert private["BinaryMediaTypes"] == binary_types  # Chalice's defaults


def test_the_stage_is_folded_into_the_deployment(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["domain_and_policy"]
    (stage,) = resources_of_type(template, STAGE).values()
    resources = explicit_rest_api(template["Resources"])
    (deployment_id, deployment) = resources_of_type({"Resources": resources}, DEPLOYMENT).popitem()
    assert deployment["Properties"]["StageName"] == stage["Properties"]["StageName"]
    assert deployment["Properties"]["StageDescription"] == {
        "TracingEnabled": True,
        "Tags": stage["Properties"]["Tags"],
    }
    # The domain's mapping named the Stage by Ref: now by name, made after the Deployment.
    mapping = resources["ApiCustomDomainMapping"]
    assert mapping["Properties"]["Stage"] == stage["Properties"]["StageName"]
    assert mapping["DependsOn"] == [deployment_id]


SETTING = {"HttpMethod": "*", "ResourcePath": "/*", "MetricsEnabled": True}


def _stage_template() -> dict[str, Any]:
    """A small hand-written template: a body with one route, its Deployment and Stage."""
    operation = {
        "x-amazon-apigateway-integration": {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations",
        }
    }
    return {
        "Api": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {"Name": "a", "Body": {"paths": {"/a": {"get": operation}}}},
        },
        "Deploy1": {"Type": DEPLOYMENT, "Properties": {"RestApiId": {"Ref": "Api"}}},
        "Live": {
            "Type": STAGE,
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "DeploymentId": {"Ref": "Deploy1"},
                "StageName": "live",
                "Variables": {"mode": "x"},
                "MethodSettings": [SETTING],
            },
            "DependsOn": "Other",
        },
        "Other": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "User": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": "${Api}-${Live}"},
                "DisplayName": {"Fn::Sub": ["${S}", {"S": {"Ref": "Live"}}]},
            },
            "DependsOn": ["Live", "Other"],
        },
    }


def test_references_to_the_stage_name_it_and_wait_for_the_deployment() -> None:
    resources = explicit_rest_api(_stage_template())
    assert "Live" not in resources
    deployment = resources["Deploy1"]
    assert deployment["Properties"]["StageName"] == "live"
    assert deployment["Properties"]["StageDescription"] == {
        "Variables": {"mode": "x"},
        "MethodSettings": [SETTING],
    }
    methods = [logical for logical, r in resources.items() if r["Type"] == METHOD]
    assert deployment["DependsOn"] == [*methods, "Other"]  # the Stage's own dependency kept
    user = resources["User"]
    assert user["Properties"] == {
        "TopicName": {"Fn::Sub": "${Api}-live"},
        "DisplayName": {"Fn::Sub": ["${S}", {"S": "live"}]},
    }
    assert user["DependsOn"] == ["Other", "Deploy1"]


def test_any_method_and_a_body_without_binary_types() -> None:
    resources = _stage_template()
    paths = resources["Api"]["Properties"]["Body"]["paths"]
    operation = paths["/a"]["get"]
    paths["/"] = {"x-amazon-apigateway-any-method": operation}
    paths["/a/{proxy+}"] = {"x-amazon-apigateway-any-method": operation, "get": operation}
    explicit = explicit_rest_api(resources)
    assert set(_methods(explicit, "Api")) == {
        ("/", "ANY"),
        ("/a", "GET"),
        ("/a/{proxy+}", "ANY"),
        ("/a/{proxy+}", "GET"),
    }
    assert explicit["Api"]["Properties"] == {"Name": "a"}
    assert explicit["ApiRootAny"]["Properties"]["AuthorizationType"] == "NONE"


def _break(resources: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    """`resources` with `value` set at the dotted path `where` (below Api's Properties)."""
    broken = copy.deepcopy(resources)
    *parents, last = where.split("|")
    node = broken["Api"]["Properties"]
    for part in parents:
        node = node[part]
    node[last] = value
    return broken


@pytest.mark.parametrize(
    ("where", "value", "named"),
    [
        ("Body|paths|/a|get|summary", "A", "'summary'"),
        ("Body|paths|/a|trace", {}, "trace"),
        ("Body|paths|/a|get|security", [{"x": []}, {"y": []}], "one requirement"),
        ("Body|paths|/a|get|security", [{"missing": []}], "'missing'"),
        (
            "Body|paths|/a|get|requestBody",
            {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Book"}}}},
            "no components.schemas 'Book'",
        ),
        (
            "Body|paths|/a|get|parameters",
            [{"name": "session", "in": "cookie"}],
            "no 'cookie' parameters",
        ),
        ("Body|paths|/a|get|x-amazon-apigateway-request-validator", "all", "'all'"),
        ("Body|components", {"schemas": {"Page[Book]": {}}}, "'Page[Book]'"),
        ("Body|paths|/a|get|x-amazon-apigateway-integration|tlsConfig", {}, "'tlsConfig'"),
        ("Body|servers", [], "'servers'"),
        ("Body|paths|/a/", {}, "'/a/'"),
        ("Body|components", {"securitySchemes": {"s": {"type": "http"}}}, "apiKey"),
    ],
)
def test_what_cannot_be_spelled_is_named(where: str, value: Any, named: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(named)):
        explicit_rest_api(_break(_stage_template(), where, value))


def test_a_stage_attribute_or_a_second_stage_is_refused() -> None:
    resources = _stage_template()
    resources["User"]["Properties"]["TopicName"] = {"Fn::GetAtt": ["Live", "Arn"]}
    with pytest.raises(TemplateError, match="Fn::GetAtt of a stage"):
        explicit_rest_api(resources)
    resources = _stage_template()
    resources["Second"] = copy.deepcopy(resources["Live"])
    with pytest.raises(TemplateError, match="several stages"):
        explicit_rest_api(resources)


def test_http_apis_and_websockets_are_left_alone() -> None:
    manifest = manifest_of(HTTP_API)
    template = _template(manifest, api_gateway_type="HTTP")
    assert any(r["Type"].startswith("AWS::ApiGatewayV2::") for r in template["Resources"].values())
    assert explicit_rest_api(template["Resources"]) == template["Resources"]


# -- cfn-lint and moto ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_cfn_lint_passes_the_explicit_form(templates: dict[str, dict[str, Any]], name: str) -> None:
    assert cfn_lint(_explicit(templates[name])) == []


@pytest.fixture(scope="module")
def packaged_sample_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample app's template as the CLI writes it, made explicit."""
    folder = tmp_path_factory.mktemp("sample")
    project = copy_project(SAMPLE_APP, folder / "sample_app")
    done = run(project, "package", "--pkg-format", "cloudformation", str(folder / "out"))
    assert done.returncode == 0, done.stderr
    template = json.loads((folder / "out" / "cloudformation.json").read_text())
    assert cfn_lint(_explicit(template)) == []
    return dict(template)


def _for_moto(template: dict[str, Any]) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The explicit template moto can create, and the (path, VERB)s left out of it.

    `chalicelike deploy` applies S3 notifications by API, not by the custom resource.
    moto 5.2's CloudFormation reads Integration.Uri and IntegrationHttpMethod of every
    Method, which a MOCK integration must not have on AWS: moto answers 500 to such a
    stack, so any MOCK method is left out here (the preflights are proxied: none is).
    """
    resources = dict(template["Resources"])
    for logical in (
        "BookshopImportsNotifications",
        "S3NotificationsHandler",
        "S3NotificationsRole",
    ):
        del resources[logical]
    explicit = explicit_rest_api(resources)
    methods = _methods(explicit)
    mocks = {
        logical
        for logical, r in explicit.items()
        if r["Type"] == METHOD and r["Properties"]["Integration"]["Type"] == "MOCK"
    }
    left_out = {key for key, m in methods.items() if m["Integration"]["Type"] == "MOCK"}
    for logical in mocks:
        del explicit[logical]
    for resource in explicit.values():
        if "DependsOn" in resource:
            resource["DependsOn"] = [d for d in resource["DependsOn"] if d not in mocks]
    return {**template, "Resources": explicit}, left_out


def _code_bucket(url: str) -> None:
    s3 = aws_client(url, "s3")
    s3.create_bucket(Bucket="code")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    s3.put_object(Bucket="code", Key="deployment.zip", Body=package.getvalue())
    aws_client(url, "sqs").create_queue(QueueName="bookshop-orders")  # take_order's queue


@pytest.mark.slow
def test_a_plain_moto_server_builds_the_sample_apps_api(
    packaged_sample_app: dict[str, Any],
) -> None:
    template, left_out = _for_moto(packaged_sample_app)
    expected = set(_operations(_body(packaged_sample_app))) - left_out
    assert left_out == set()
    with plain_moto_server() as url:
        _code_bucket(url)
        cloudformation = aws_client(url, "cloudformation")
        cloudformation.create_stack(
            StackName="bookshop-dev",
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": "DeploymentBucket", "ParameterValue": "code"}],
            Capabilities=["CAPABILITY_IAM"],
        )
        (stack,) = cloudformation.describe_stacks(StackName="bookshop-dev")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        apigateway = aws_client(url, "apigateway")
        (api,) = apigateway.get_rest_apis()["items"]
        handler = cloudformation.describe_stack_resource(
            StackName="bookshop-dev", LogicalResourceId="APIHandler"
        )["StackResourceDetail"]["PhysicalResourceId"]
        function_arn = aws_client(url, "lambda").get_function(FunctionName=handler)[
            "Configuration"
        ]["FunctionArn"]
        found = set()
        for resource in apigateway.get_resources(restApiId=api["id"])["items"]:
            for verb in resource.get("resourceMethods", {}):
                method = apigateway.get_method(
                    restApiId=api["id"], resourceId=resource["id"], httpMethod=verb
                )
                integration = method["methodIntegration"]
                assert integration["type"] == "AWS_PROXY"
                assert function_arn in integration["uri"]
                found.add((resource["path"], verb))
                if (resource["path"], verb) == ("/books/{isbn}", "DELETE"):
                    assert method["authorizationType"] == "CUSTOM"
        assert found == expected
        stages = apigateway.get_stages(restApiId=api["id"])["item"]
        assert [stage["stageName"] for stage in stages] == ["api"]


# -- routes that start a workflow ---------------------------------------------------------------

START_URI = "arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution"
# The documented VTL: escapeJavaScript's \' (not JSON) turned back into '.
START_INPUT = r"""$util.escapeJavaScript($input.json('$')).replaceAll("\\'","'")"""
ALLOW_ORIGIN = {"method.response.header.Access-Control-Allow-Origin": "'*'"}
ORDER_ROUTES = """

@app.route("/orders", methods=["POST"], workflow="order", cors=True)
def place_order():
    pass


@app.route("/orders/{order_id}")
def order(order_id):
    return {"id": order_id}
"""


@pytest.fixture
def workflow_routes(tmp_path: Path) -> dict[str, Any]:
    """The order workflow started by POST /orders, beside a route the API function serves."""
    app = Chalice(app_name="orders")
    for name in ("validate", "price", "reserve", "line_total", "charge"):
        app.lambda_function(name=name)(lambda event, context: event)
    app.workflow("order", ORDER_ASL)
    app.route("/orders", methods=["POST"], workflow="order", cors=True)(lambda: None)
    app.route("/orders/{order_id}")(lambda order_id: {"id": order_id})
    return _template(describe_app(app, project_dir=tmp_path))


def test_a_workflow_route_is_an_aws_integration_method(workflow_routes: dict[str, Any]) -> None:
    methods = _methods(explicit_rest_api(workflow_routes["Resources"]))
    start = methods["/orders", "POST"]
    assert start["Integration"] == {
        "Type": "AWS",
        "IntegrationHttpMethod": "POST",
        "Uri": {"Fn::Sub": START_URI},
        "Credentials": {"Fn::GetAtt": ["APIGatewayStartExecutionRole", "Arn"]},
        "RequestTemplates": {
            "application/json": {
                "Fn::Sub": '{"input": "' + START_INPUT + '", '
                '"stateMachineArn": "${OrderStateMachine}"}'
            }
        },
        "PassthroughBehavior": "NEVER",
        # StartExecution's errors by their status code; the route's CORS origin on each.
        "IntegrationResponses": [
            {"StatusCode": "200", "ResponseParameters": ALLOW_ORIGIN},
            {
                "StatusCode": "400",
                "ResponseParameters": ALLOW_ORIGIN,
                "SelectionPattern": "4\\d{2}",
            },
            {
                "StatusCode": "500",
                "ResponseParameters": ALLOW_ORIGIN,
                "SelectionPattern": "5\\d{2}",
            },
        ],
    }
    assert start["MethodResponses"] == [
        {
            "StatusCode": status,
            "ResponseParameters": {"method.response.header.Access-Control-Allow-Origin": False},
            "ResponseModels": {"application/json": "Empty"},
        }
        for status in ("200", "400", "500")
    ]
    assert methods["/orders/{order_id}", "GET"]["Integration"]["Type"] == "AWS_PROXY"
    # The preflight, as every other, is answered by the API function in deploy's form.
    assert methods["/orders", "OPTIONS"]["Integration"]["Type"] == "AWS_PROXY"


@pytest.mark.slow
def test_cfn_lint_passes_a_workflow_routes_explicit_form(workflow_routes: dict[str, Any]) -> None:
    assert cfn_lint(_explicit(workflow_routes)) == []


@pytest.mark.slow
def test_a_plain_moto_server_deploys_a_workflow_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chalicelike deploy` builds the route as a Method with the StartExecution integration
    (moto keeps it; it does not run it)."""
    project = write_workflow_project(tmp_path / "orders")
    (project / "app.py").write_text((project / "app.py").read_text() + ORDER_ROUTES)
    with plain_moto_server() as url:
        point_cli_at(url, monkeypatch, tmp_path)
        status = main(["--project-dir", str(project), "deploy"])
        captured = capsys.readouterr()
        assert status == 0, captured.out + captured.err
        apigateway = aws_client(url, "apigateway")
        (api,) = apigateway.get_rest_apis()["items"]
        by_path = {r["path"]: r for r in apigateway.get_resources(restApiId=api["id"])["items"]}
        start = apigateway.get_method(
            restApiId=api["id"], resourceId=by_path["/orders"]["id"], httpMethod="POST"
        )["methodIntegration"]
        assert start["type"] == "AWS"
        assert start["httpMethod"] == "POST"
        assert start["uri"] == "arn:aws:apigateway:us-east-1:states:action/StartExecution"
        # moto 5's CloudFormation keeps no request template or integration response of a
        # Method: their shape is checked on the template (the tests above) and by cfn-lint.
        proxy = apigateway.get_method(
            restApiId=api["id"], resourceId=by_path["/orders/{order_id}"]["id"], httpMethod="GET"
        )["methodIntegration"]
        assert proxy["type"] == "AWS_PROXY"
        states = aws_client(url, "stepfunctions")
        (machine,) = states.list_state_machines()["stateMachines"]
        assert machine["name"] == "orders-dev-order"
