"""SAM and plain CloudFormation templates: every function, setting and event source; cfn-lint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelike._tooling._manifest import API_FUNCTION, AppManifest, FunctionEntry, RouteSpec
from chalicelike._tooling._settings import CustomDomain, FunctionConfig
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._aws import TemplateError
from chalicelike.package.templates.cloudformation._s3_notifications import HANDLER_SOURCE
from tests.package.template_support import (
    ARCHITECTURES,
    EVERYTHING,
    FULL_SETTINGS,
    HTTP_API,
    POLICY,
    cfn_lint,
    configs_for,
    manifest_of,
    resources_of_type,
    stage_for,
)

FORMATS = ("sam", "cloudformation")


def _template(fmt: str, manifest: AppManifest, **settings: Any) -> dict[str, Any]:
    stage_settings = settings.pop("stage", {})
    configs = configs_for(manifest, **settings)
    (document,) = build_templates(
        manifest, stage_for(manifest, **stage_settings), configs, POLICY, fmt
    ).values()
    return document


@pytest.fixture(scope="module")
def everything() -> AppManifest:
    return manifest_of(EVERYTHING)


@pytest.fixture(scope="module", params=FORMATS)
def template(request: pytest.FixtureRequest, everything: AppManifest) -> dict[str, Any]:
    return _template(request.param, everything, **FULL_SETTINGS)


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_cfn_lint_finds_nothing(fmt: str, architecture: str, everything: AppManifest) -> None:
    document = _template(fmt, everything, lambda_architecture=architecture, **FULL_SETTINGS)
    assert cfn_lint(document) == []
    functions = [r for r in document["Resources"].values() if "Function" in r["Type"]]
    app_functions = [f for f in functions if f["Properties"].get("Handler", "").startswith("app.")]
    assert app_functions
    assert all(f["Properties"]["Architectures"] == [architecture] for f in app_functions)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_cfn_lint_passes_an_http_api(fmt: str) -> None:
    manifest = manifest_of(HTTP_API)
    document = _template(fmt, manifest, stage={"api_gateway_type": "HTTP"}, **FULL_SETTINGS)
    assert cfn_lint(document) == []
    with pytest.raises(TemplateError, match="Function URL"):
        _template(fmt, manifest, function_url=True)  # authorizers need API Gateway


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_cfn_lint_passes_a_function_url_beside_the_api(fmt: str, everything: AppManifest) -> None:
    configs = configs_for(everything)
    configs["plain"] = FunctionConfig(name="plain", function_url=True)
    (document,) = build_templates(everything, stage_for(everything), configs, POLICY, fmt).values()
    assert cfn_lint(document) == []
    assert document["Resources"]["PlainUrl"]["Properties"]["AuthType"] == "NONE"
    assert "PlainURL" in document["Outputs"]
    assert "RestAPI" in document["Resources"]


def test_sam_and_plain_cfn_differ_only_where_they_must(everything: AppManifest) -> None:
    sam = _template("sam", everything)
    plain = _template("cloudformation", everything)
    assert sam["Transform"] == "AWS::Serverless-2016-10-31"
    assert "Transform" not in plain
    assert sam["Resources"]["OnJob"]["Type"] == "AWS::Serverless::Function"
    assert sam["Resources"]["OnJob"]["Properties"]["CodeUri"] == "./deployment.zip"
    assert plain["Resources"]["OnJob"]["Type"] == "AWS::Lambda::Function"
    assert plain["Resources"]["OnJob"]["Properties"]["Code"] == {
        "S3Bucket": {"Ref": "DeploymentBucket"},
        "S3Key": {"Ref": "DeploymentKey"},
    }
    assert set(plain["Parameters"]) == {"DeploymentBucket", "DeploymentKey"}
    assert set(sam["Resources"]) == set(plain["Resources"])


def test_every_function_with_its_settings(
    template: dict[str, Any], everything: AppManifest
) -> None:
    sam = "Transform" in template
    for entry in everything.functions:
        logical = "APIHandler" if entry.name == API_FUNCTION else _camel(entry.name)
        properties = template["Resources"][logical]["Properties"]
        assert properties["Handler"] == entry.handler
        assert properties["Runtime"] == "python3.12"
        assert properties["MemorySize"] == 512
        assert properties["Timeout"] == 30
        assert properties["ReservedConcurrentExecutions"] == 4
        # xray is on: the runtime reads CHALICELIKE_XRAY to trace.
        variables = {"CHALICELIKE_XRAY": "true", "STAGE": "dev", "TABLE_NAME": "orders"}
        assert properties["Environment"] == {"Variables": variables}
        assert properties["Layers"] == ["arn:aws:lambda:us-east-1:123456789012:layer:shared:3"]
        assert properties["VpcConfig"] == {
            "SubnetIds": ["subnet-0123456789abcdef0"],
            "SecurityGroupIds": ["sg-0123456789abcdef0"],
        }
        assert properties["EphemeralStorage"] == {"Size": 1024}
        tracing = properties["Tracing"] if sam else properties["TracingConfig"]["Mode"]
        assert tracing == "Active"
        tags = properties["Tags"] if sam else {t["Key"]: t["Value"] for t in properties["Tags"]}
        assert tags == {"chalicelike": "app=everything:stage=dev", "team": "shop"}
        assert properties["Role"] == {"Fn::GetAtt": ["DefaultRole", "Arn"]}
        # A retention is set, so the function has a group of its own, as in Chalice's
        # templates; it outlives the stack, as the group Lambda makes without one does.
        log_group = template["Resources"][f"{logical}LogGroup"]
        assert log_group["Properties"] == {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{logical}}}"},
            "RetentionInDays": 14,
        }
        assert log_group["DeletionPolicy"] == log_group["UpdateReplacePolicy"] == "Retain"
        assert "LoggingConfig" not in properties  # Lambda's default group is that one
        output = f"{logical}HandlerArn" if entry.kind == "websocket" else f"{logical}Arn"
        assert template["Outputs"][output]["Value"] == {"Fn::GetAtt": [logical, "Arn"]}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def test_s3_notifications_go_through_one_custom_resource_per_bucket(
    template: dict[str, Any],
) -> None:
    uploads = template["Resources"]["EverythingUploadsNotifications"]
    assert uploads["Type"] == "Custom::S3BucketNotifications"
    assert uploads["Properties"]["Bucket"] == "everything-uploads"
    configurations = uploads["Properties"]["Configurations"]
    assert [c["Events"] for c in configurations] == [["s3:ObjectCreated:*"], ["s3:ObjectRemoved:*"]]
    assert configurations[0]["Filter"] == {
        "Key": {
            "FilterRules": [
                {"Name": "prefix", "Value": "incoming/"},
                {"Name": "suffix", "Value": ".csv"},
            ]
        }
    }
    assert configurations[0]["LambdaFunctionArn"] == {"Fn::GetAtt": ["OnUpload", "Arn"]}
    # S3 validates the destination when the configuration is written: permissions first.
    assert uploads["DependsOn"] == ["OnRemovedS3Permission", "OnUploadS3Permission"]
    assert "EventBridge" not in uploads["Properties"]
    assert template["Resources"]["OnUploadS3Permission"]["Properties"]["SourceAccount"] == {
        "Ref": "AWS::AccountId"
    }


def test_an_s3_source_via_eventbridge_is_a_rule(template: dict[str, Any]) -> None:
    rule = template["Resources"]["OnPhotoS3Rule"]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": ["everything-media"]},
            "object": {"key": [{"wildcard": "photos/*.png"}]},
        },
    }
    media = template["Resources"]["EverythingMediaNotifications"]["Properties"]
    assert media["EventBridge"] == "true"  # the custom resource turns delivery on
    assert media["Configurations"] == []


def test_sns_subscriptions(template: dict[str, Any]) -> None:
    alert = template["Resources"]["OnAlertOnAlertSnsSubscription"]["Properties"]
    assert alert["Protocol"] == "lambda"
    assert alert["TopicArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:everything-alerts"
    }
    news = template["Resources"]["OnNewsOnNewsSnsSubscription"]["Properties"]
    assert news["TopicArn"] == "arn:aws:sns:us-west-2:123456789012:partner-news"
    assert news["Region"] == "us-west-2"  # a topic is subscribed to in its own region
    assert template["Resources"]["OnNewsOnNewsSnsSubscriptionPermission"]["Properties"][
        "Principal"
    ] == ("sns.amazonaws.com")


def test_queue_and_stream_mappings_keep_their_settings(template: dict[str, Any]) -> None:
    mappings = resources_of_type(template, "AWS::Lambda::EventSourceMapping")
    job = mappings["OnJobOnJobSqsEventSource"]["Properties"]
    assert job["BatchSize"] == 50
    assert job["MaximumBatchingWindowInSeconds"] == 10
    assert job["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert job["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    partner = mappings["OnPartnerJobOnPartnerJobSqsEventSource"]["Properties"]
    assert partner["EventSourceArn"] == "arn:aws:sqs:us-east-1:123456789012:partner-jobs"
    assert "ScalingConfig" not in partner
    click = mappings["OnClickOnClickKinesisEventSource"]["Properties"]
    assert (click["BatchSize"], click["StartingPosition"]) == (200, "TRIM_HORIZON")
    assert click["MaximumBatchingWindowInSeconds"] == 5
    assert click["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    order = mappings["OnOrderChangeOnOrderChangeDynamodbEventSource"]["Properties"]
    assert order["EventSourceArn"].endswith(
        "table/everything-orders/stream/2024-01-01T00:00:00.000"
    )
    assert (order["BatchSize"], order["StartingPosition"]) == (25, "LATEST")
    assert len(mappings) == 4


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_maximum_retry_attempts_reaches_stream_mappings_only(
    fmt: str, everything: AppManifest
) -> None:
    document = _template(fmt, everything, maximum_retry_attempts=3, **FULL_SETTINGS)
    assert cfn_lint(document) == []
    mappings = resources_of_type(document, "AWS::Lambda::EventSourceMapping")
    retries = {name: m["Properties"].get("MaximumRetryAttempts") for name, m in mappings.items()}
    assert retries == {
        "OnJobOnJobSqsEventSource": None,  # SQS has no such setting: the key is ignored
        "OnPartnerJobOnPartnerJobSqsEventSource": None,
        "OnClickOnClickKinesisEventSource": 3,
        "OnOrderChangeOnOrderChangeDynamodbEventSource": 3,
    }


def test_maximum_retry_attempts_unset_leaves_lambdas_default(template: dict[str, Any]) -> None:
    mappings = resources_of_type(template, "AWS::Lambda::EventSourceMapping")
    assert all("MaximumRetryAttempts" not in m["Properties"] for m in mappings.values())


def test_eventbridge_rules_and_schedules(template: dict[str, Any]) -> None:
    rules = resources_of_type(template, "AWS::Events::Rule")
    assert rules["EveryFiveMinutesEveryFiveMinutesEvent"]["Properties"]["ScheduleExpression"] == (
        "rate(5 minutes)"
    )
    assert rules["EveryFiveMinutesEveryFiveMinutesEvent"]["Properties"]["Description"] == (
        "Every five minutes"
    )
    assert rules["AtNoonAtNoonEvent"]["Properties"]["ScheduleExpression"] == "cron(0 12 * * ? *)"
    ec2 = rules["OnEc2OnEc2Event"]["Properties"]
    assert ec2["EventPattern"]["source"] == ["aws.ec2"]
    assert ec2["Targets"] == [{"Arn": {"Fn::GetAtt": ["OnEc2", "Arn"]}, "Id": "OnEc2"}]
    assert rules["OnCustomBusOnCustomBusEvent"]["Properties"]["EventBusName"] == "everything-bus"
    permission = template["Resources"]["OnCustomBusOnCustomBusEventPermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::GetAtt": ["OnCustomBusOnCustomBusEvent", "Arn"]}


def test_the_websocket_api_has_its_three_routes(template: dict[str, Any]) -> None:
    api = template["Resources"]["WebsocketAPI"]["Properties"]
    assert api["ProtocolType"] == "WEBSOCKET"
    routes = resources_of_type(template, "AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == [
        "$connect",
        "$default",
        "$disconnect",
    ]
    (deployment,) = resources_of_type(template, "AWS::ApiGatewayV2::Deployment").values()
    assert sorted(deployment["DependsOn"]) == sorted(routes)
    assert "WebsocketConnectEndpointURL" in template["Outputs"]
    # Lambda takes JSON: binary frames must reach the handler as base64 text.
    integrations = resources_of_type(template, "AWS::ApiGatewayV2::Integration").values()
    assert {i["Properties"]["ContentHandlingStrategy"] for i in integrations} == {"CONVERT_TO_TEXT"}
    # Chalice's names: its config key, deployed name and template IDs for each route.
    assert sorted(routes) == [
        "WebsocketConnectRoute",
        "WebsocketDisconnectRoute",
        "WebsocketMessageRoute",
    ]


def test_ses_and_cognito_triggers(template: dict[str, Any]) -> None:
    rule = template["Resources"]["OnEmailReceiptRule"]
    assert rule["Properties"]["RuleSetName"] == "everything-rules"
    assert rule["Properties"]["Rule"]["Recipients"] == ["orders@example.com"]
    action = rule["Properties"]["Rule"]["Actions"][0]["LambdaAction"]
    assert action["FunctionArn"] == {"Fn::GetAtt": ["OnEmail", "Arn"]}
    assert rule["DependsOn"] == ["OnEmailSesPermission"]
    cognito = template["Resources"]["OnSignupCognitoPermission"]["Properties"]
    assert cognito["Principal"] == "cognito-idp.amazonaws.com"
    assert "PreSignUp, PostConfirmation" in json.dumps(
        template["Outputs"]["OnSignupCognitoTriggers"]
    )


def test_the_rest_api_embeds_the_openapi_body(template: dict[str, Any]) -> None:
    api = template["Resources"]["RestAPI"]["Properties"]
    integration = api["Body"]["paths"]["/"]["get"]["x-amazon-apigateway-integration"]
    assert integration["uri"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
        "/functions/${APIHandler.Arn}/invocations"
    }
    assert api["EndpointConfiguration"] == {"Types": ["EDGE"]}
    (deployment,) = resources_of_type(template, "AWS::ApiGateway::Deployment")
    assert template["Resources"]["RestAPIapiStage"]["Properties"]["DeploymentId"] == {
        "Ref": deployment
    }
    assert template["Resources"]["RestAPIapiStage"]["Properties"]["StageName"] == "api"
    invoked = {
        p["Properties"]["FunctionName"]["Fn::GetAtt"][0]
        for p in resources_of_type(template, "AWS::Lambda::Permission").values()
        if "${RestAPI}" in json.dumps(p["Properties"]["SourceArn"])
    }
    assert invoked == {"APIHandler", "TokenAuth", "TeamAuth"}
    assert template["Outputs"]["EndpointURL"]["Value"] == {
        "Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"
    }


def test_a_changed_api_gets_a_new_deployment(everything: AppManifest) -> None:
    # CloudFormation never redeploys an unchanged Deployment resource.
    before = _template("cloudformation", everything)
    changed = AppManifest(
        everything.app_name,
        everything.functions,
        [*everything.routes, RouteSpec("/new", "GET", "new")],
        everything.binary_types,
    )
    after = _template("cloudformation", changed)
    deployments = [
        set(resources_of_type(t, "AWS::ApiGateway::Deployment")) for t in (before, after)
    ]
    assert deployments[0] != deployments[1]


def test_the_http_api_routes_and_authorizers() -> None:
    template = _template(
        "cloudformation", manifest_of(HTTP_API), stage={"api_gateway_type": "HTTP"}
    )
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources_of_type(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert routes["GET /items/{item_id}"]["AuthorizationType"] == "JWT"
    assert routes["GET /items/{item_id}"]["AuthorizationScopes"] == ["items/write"]
    assert routes["GET /me"]["AuthorizationType"] == "CUSTOM"
    assert routes["POST /admin"]["AuthorizationType"] == "AWS_IAM"
    assert routes["OPTIONS /"]["AuthorizationType"] == "NONE"  # the app answers preflights
    authorizers = resources_of_type(template, "AWS::ApiGatewayV2::Authorizer")
    jwt = authorizers["HttpAuthorizerPoolJwt"]["Properties"]
    assert jwt["JwtConfiguration"]["Audience"] == ["client-one"]
    token = authorizers["HttpAuthorizerTokenAuth"]["Properties"]
    assert token["IdentitySource"] == ["$request.header.Authorization"]
    assert token["AuthorizerResultTtlInSeconds"] == 30
    integration = template["Resources"]["HttpAPIIntegration"]["Properties"]
    assert integration["PayloadFormatVersion"] == "2.0"
    assert template["Resources"]["HttpAPIStage"]["Properties"]["AutoDeploy"] is True


def test_what_an_http_api_cannot_do_is_refused(everything: AppManifest) -> None:
    # The everything app uses API keys and a Cognito authorizer: REST-only features.
    with pytest.raises(TemplateError, match="API key"):
        _template("cloudformation", everything, stage={"api_gateway_type": "HTTP"})


@pytest.mark.slow
def test_a_function_url_replaces_api_gateway() -> None:
    functions = [FunctionEntry(API_FUNCTION, "app.app", "api")]
    manifest = AppManifest("urlapp", functions, [RouteSpec("/", "GET", "index")], [])
    template = _template("cloudformation", manifest, function_url=True)
    assert "RestAPI" not in template["Resources"]
    assert template["Resources"]["APIHandlerUrl"]["Properties"]["AuthType"] == "NONE"
    grants = {
        p["Properties"]["Action"]
        for p in resources_of_type(template, "AWS::Lambda::Permission").values()
    }
    assert grants == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    invoke = template["Resources"]["APIHandlerUrlInvokePermission"]["Properties"]
    assert invoke["InvokedViaFunctionUrl"] is True  # not the function to anyone
    assert template["Outputs"]["EndpointURL"]["Value"] == {
        "Fn::GetAtt": ["APIHandlerUrl", "FunctionUrl"]
    }
    assert cfn_lint(template) == []


def test_roles_the_users_arn_or_a_functions_own_policy(everything: AppManifest) -> None:
    configs = {e.name: FunctionConfig(name=e.name) for e in everything.functions}
    configs["on_job"] = FunctionConfig(
        name="on_job", manage_iam_role=False, iam_role_arn="arn:aws:iam::123456789012:role/jobs"
    )
    own = {"Version": "2012-10-17", "Statement": []}
    (template,) = build_templates(
        everything,
        stage_for(everything),
        configs,
        POLICY,
        "cloudformation",
        function_policies={"on_click": own},
    ).values()
    resources = template["Resources"]
    assert resources["OnJob"]["Properties"]["Role"] == "arn:aws:iam::123456789012:role/jobs"
    assert resources["OnClick"]["Properties"]["Role"] == {"Fn::GetAtt": ["OnClickRole", "Arn"]}
    assert resources["OnClickRole"]["Properties"]["Policies"][0]["PolicyDocument"] == own
    default = resources["DefaultRole"]["Properties"]
    assert default["Policies"][0]["PolicyDocument"] == POLICY
    assert default["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }


def test_a_missing_role_or_policy_is_an_error(everything: AppManifest) -> None:
    stage = stage_for(everything)
    unmanaged = configs_for(everything, manage_iam_role=False)
    with pytest.raises(TemplateError, match="iam_role_arn"):
        build_templates(everything, stage, unmanaged, POLICY, "sam")
    with pytest.raises(TemplateError, match="needs an IAM policy"):
        build_templates(everything, stage, configs_for(everything), None, "sam")
    roles = configs_for(everything, manage_iam_role=False, iam_role_arn="arn:aws:iam::1:role/r")
    (template,) = build_templates(everything, stage, roles, None, "sam").values()
    assert "DefaultRole" not in template["Resources"]


def test_templates_are_deterministic(everything: AppManifest) -> None:
    first = json.dumps(_template("sam", everything, **FULL_SETTINGS))
    assert first == json.dumps(_template("sam", everything, **FULL_SETTINGS))
    resources = list(json.loads(first)["Resources"])
    assert resources == sorted(resources)


def test_names_that_collide_are_refused() -> None:
    functions = [
        FunctionEntry("on_job", "app.a", "pure_lambda"),
        FunctionEntry("on-job", "app.b", "pure_lambda"),
    ]
    manifest = AppManifest("app", functions, [], [])
    with pytest.raises(TemplateError, match="OnJob"):
        _template("sam", manifest)


def test_the_notification_handler_fits_inline_and_compiles() -> None:
    assert len(HANDLER_SOURCE) < 4096  # CloudFormation's limit for ZipFile code
    compile(HANDLER_SOURCE, "index.py", "exec")


def test_an_unknown_format_is_refused(everything: AppManifest) -> None:
    with pytest.raises(TemplateError, match="sam, cloudformation, terraform"):
        build_templates(everything, stage_for(everything), {}, POLICY, "pulumi")


DOMAIN = CustomDomain(
    domain_name="api.example.com",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab",
    url_prefix="v1",
)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_custom_domains_for_the_rest_and_websocket_apis(fmt: str, everything: AppManifest) -> None:
    stage = {"api_gateway_custom_domain": DOMAIN, "websocket_api_custom_domain": DOMAIN}
    template = _template(fmt, everything, stage=stage)
    assert cfn_lint(template) == []
    domain = template["Resources"]["ApiCustomDomain"]["Properties"]
    assert domain["CertificateArn"] == DOMAIN.certificate_arn  # EDGE: CloudFront's certificate
    mapping = template["Resources"]["ApiCustomDomainMapping"]["Properties"]
    assert mapping["BasePath"] == "v1"
    assert mapping["Stage"] == {"Ref": "RestAPIapiStage"}
    assert template["Outputs"]["AliasDomainName"]["Value"] == {
        "Fn::GetAtt": ["ApiCustomDomain", "DistributionDomainName"]
    }
    websocket = template["Resources"]["WebsocketCustomDomainMapping"]["Properties"]
    assert websocket["ApiMappingKey"] == "v1"
    regional = _template(fmt, everything, stage={**stage, "api_gateway_endpoint_type": "REGIONAL"})
    properties = regional["Resources"]["ApiCustomDomain"]["Properties"]
    assert properties["RegionalCertificateArn"] == DOMAIN.certificate_arn
    with pytest.raises(TemplateError, match="PRIVATE"):
        _template(fmt, everything, stage={**stage, "api_gateway_endpoint_type": "PRIVATE"})


@pytest.mark.slow
def test_a_custom_domain_for_an_http_api() -> None:
    stage = {"api_gateway_type": "HTTP", "api_gateway_custom_domain": DOMAIN}
    template = _template("cloudformation", manifest_of(HTTP_API), stage=stage)
    assert cfn_lint(template) == []
    configuration = template["Resources"]["ApiCustomDomain"]["Properties"]
    assert configuration["DomainNameConfigurations"][0]["EndpointType"] == "REGIONAL"
    assert template["Resources"]["ApiCustomDomainMapping"]["Properties"]["ApiId"] == {
        "Ref": "HttpAPI"
    }


def _logging_configs(everything: AppManifest) -> dict[str, FunctionConfig]:
    """JSON logs at DEBUG for the API, Text said outright for on_job, nothing for the rest."""
    configs = configs_for(everything)
    configs[API_FUNCTION] = FunctionConfig(
        name=API_FUNCTION, log_format="JSON", log_level="DEBUG", log_retention_in_days=7
    )
    configs["on_job"] = FunctionConfig(name="on_job", log_format="Text")
    configs["plain"] = FunctionConfig(name="plain", log_format="JSON")
    return configs


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_log_format_and_level_become_logging_config(fmt: str, everything: AppManifest) -> None:
    configs = _logging_configs(everything)
    (document,) = build_templates(everything, stage_for(everything), configs, POLICY, fmt).values()
    assert cfn_lint(document) == []
    resources = document["Resources"]
    assert resources["APIHandler"]["Properties"]["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "DEBUG",
    }
    # Text said outright is written: a stack going back from JSON must say so.
    assert resources["OnJob"]["Properties"]["LoggingConfig"] == {"LogFormat": "Text"}
    assert resources["Plain"]["Properties"]["LoggingConfig"] == {"LogFormat": "JSON"}
    assert "LoggingConfig" not in resources["OnClick"]["Properties"]  # Lambda's default
    # Lambda sets AWS_LAMBDA_LOG_FORMAT itself from LoggingConfig: not in the template.
    assert "Environment" not in resources["APIHandler"]["Properties"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_xray_is_per_function(fmt: str, everything: AppManifest) -> None:
    configs = configs_for(everything, environment_variables={"STAGE": "dev"})
    configs["on_job"] = FunctionConfig(
        name="on_job", xray=True, environment_variables={"STAGE": "dev"}
    )
    document = _template(fmt, everything)  # nothing set: nothing added
    for resource in resources_of_type(document, _function_type(fmt)).values():
        assert "Environment" not in resource["Properties"]
    (document,) = build_templates(everything, stage_for(everything), configs, POLICY, fmt).values()
    properties = document["Resources"]["OnJob"]["Properties"]
    assert properties["Environment"] == {"Variables": {"CHALICELIKE_XRAY": "true", "STAGE": "dev"}}
    other = document["Resources"]["OnClick"]["Properties"]
    assert other["Environment"] == {"Variables": {"STAGE": "dev"}}
    tracing = {
        name: props.get("Tracing") or props["TracingConfig"]["Mode"]
        for name, props in (("OnJob", properties), ("OnClick", other))
    }
    assert tracing == {"OnJob": "Active", "OnClick": "PassThrough"}


def _function_type(fmt: str) -> str:
    return "AWS::Serverless::Function" if fmt == "sam" else "AWS::Lambda::Function"
