"""The plain CloudFormation template deployed to a moto server and found there with boto3;
moto waits for custom resources as CloudFormation does, so the S3 notification handler is
run here against moto's S3 and answers the stack itself."""

from __future__ import annotations

import ast
import io
import json
import types
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelike._tooling._manifest import API_FUNCTION
from chalicelike.package.templates import build_templates
from chalicelike.package.templates._aws import logical_id
from chalicelike.package.templates.cloudformation._s3_notifications import (
    HANDLER_SOURCE,
    RESOURCE_TYPE,
)
from tests.package.template_support import (
    EVERYTHING,
    POLICY,
    configs_for,
    manifest_of,
    moto_rest_api_created_with,
    resources_of_type,
    stage_for,
)

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

pytestmark = [
    pytest.mark.slow,  # moto, and a whole stack deployed to it
    # moto warns of each resource type its CloudFormation does not model (API Gateway v2,
    # SNS subscriptions, SES rules, API Gateway stages); test_cloudformation checks those.
    pytest.mark.filterwarnings(
        "ignore:Tried to parse .* not supported by moto's CloudFormation:UserWarning"
    ),
]


@dataclass
class Deployed:
    endpoint: str
    stack_id: str
    template: dict[str, Any]
    physical: dict[str, str]  # logical ID → physical ID

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    import moto.settings
    from moto.awslambda.models import LambdaFunction

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        # moto runs a custom resource's function in Docker, which this machine lacks (and
        # asks a Docker socket where it lives, leaving the socket open): the tests below
        # run the handler themselves, as Lambda would, and it answers the stack.
        patch.setattr(moto.settings, "moto_server_host", lambda: f"http://{host}")
        patch.setattr(LambdaFunction, "invoke", lambda self, *args: b"")
        yield url
    server.stop()


@pytest.fixture(scope="module")
def moto_rest_api_bodies() -> Iterator[None]:
    """moto's CloudFormation ignores a RestApi's Body; import it as API Gateway does.

    moto's importer also wants a URI on every integration, which API Gateway does not ask
    of a mock integration (the CORS preflights): it gets an empty one here.
    """
    from moto.apigateway.models import APIGatewayBackend, apigateway_backends

    build_args = APIGatewayBackend._build_integration_args

    def import_body(api: Any, properties: dict[str, Any], account: str, region: str) -> None:
        body = properties.get("Body")
        if body is not None:  # validated against OpenAPI 3 (fail_on_warnings)
            backend = apigateway_backends[account][region]
            backend.put_rest_api(api.id, body, fail_on_warnings=True, mode="overwrite")

    def mock_args(self: Any, integration: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = build_args(self, integration)
        if args["integration_type"] == "mock":
            args["uri"], args["integration_method"] = args["uri"] or "", "POST"
        return args

    with moto_rest_api_created_with(import_body), pytest.MonkeyPatch.context() as patch:
        patch.setattr(APIGatewayBackend, "_build_integration_args", mock_args)
        yield


def _make_what_the_app_refers_to(deployed: Deployed) -> str:
    """The code zip, buckets, queues, topic, stream, bus and table; the table's stream ARN."""
    s3 = deployed.client("s3")
    s3.create_bucket(Bucket="code")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    s3.put_object(Bucket="code", Key="deployment.zip", Body=package.getvalue())
    for bucket in ("everything-uploads", "everything-media"):
        s3.create_bucket(Bucket=bucket)
    sqs = deployed.client("sqs")
    for queue in ("everything-jobs", "partner-jobs", "someone-elses"):
        sqs.create_queue(QueueName=queue)
    # A notification someone else set on the bucket: ours must leave it in place.
    s3.put_bucket_notification_configuration(
        Bucket="everything-uploads",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "theirs",
                    "QueueArn": f"arn:aws:sqs:{REGION}:123456789012:someone-elses",
                    "Events": ["s3:ObjectCreated:*"],
                }
            ]
        },
    )
    deployed.client("sns").create_topic(Name="everything-alerts")
    deployed.client("kinesis").create_stream(StreamName="everything-clicks", ShardCount=1)
    deployed.client("events").create_event_bus(Name="everything-bus")
    table = deployed.client("dynamodb").create_table(
        TableName="everything-orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return str(table["TableDescription"]["LatestStreamArn"])


@pytest.fixture(scope="module")
def deployed(endpoint: str, moto_rest_api_bodies: None) -> Deployed:
    deployed = Deployed(endpoint, "", {}, {})
    stream = _make_what_the_app_refers_to(deployed)
    manifest = manifest_of(EVERYTHING, ORDERS_STREAM_ARN=stream)
    configs = configs_for(
        manifest,
        lambda_architecture="arm64",
        lambda_memory_size=256,
        log_retention_in_days=7,
        environment_variables={"STAGE": "dev"},
    )
    (template,) = build_templates(
        manifest, stage_for(manifest), configs, POLICY, "cloudformation"
    ).values()
    cloudformation = deployed.client("cloudformation")
    stack = cloudformation.create_stack(
        StackName="everything-dev",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "DeploymentBucket", "ParameterValue": "code"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    resources = cloudformation.describe_stack_resources(StackName="everything-dev")
    deployed.stack_id = stack["StackId"]
    deployed.template = template
    deployed.physical = {  # resources moto does not model have no physical ID
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources["StackResources"]
        if "PhysicalResourceId" in r
    }
    return deployed


def _function(deployed: Deployed, name: str) -> dict[str, Any]:
    physical = deployed.physical[logical_id(name)]
    configuration: dict[str, Any] = deployed.client("lambda").get_function_configuration(
        FunctionName=physical
    )
    return configuration


def test_every_function_exists_with_its_settings(deployed: Deployed) -> None:
    role = deployed.client("iam").get_role(RoleName=deployed.physical["DefaultRole"])["Role"]
    for entry in manifest_of(EVERYTHING).functions:
        configuration = _function(deployed, entry.name)
        assert configuration["Handler"] == entry.handler
        assert configuration["Runtime"] == "python3.12"
        assert configuration["MemorySize"] == 256
        assert configuration["Environment"]["Variables"] == {"STAGE": "dev"}
        assert configuration["Role"] == role["Arn"]


def test_the_role_carries_the_policy(deployed: Deployed) -> None:
    iam = deployed.client("iam")
    role = deployed.physical["DefaultRole"]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):  # moto keeps a template's inline policy as Python's repr
        document = ast.literal_eval(document)
    assert document == POLICY
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_queue_and_stream_mappings(deployed: Deployed) -> None:
    mappings = deployed.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    by_function = {m["FunctionArn"]: m for m in mappings}
    expected = {
        "on_job": ("everything-jobs", 50),
        "on_partner_job": ("partner-jobs", 1),
        "on_click": ("stream/everything-clicks", 200),
        "on_order_change": ("table/everything-orders/stream/", 25),
    }
    for name, (source, batch_size) in expected.items():
        mapping = by_function[_function(deployed, name)["FunctionArn"]]
        assert source in mapping["EventSourceArn"]
        assert mapping["BatchSize"] == batch_size
    assert len(mappings) == len(expected)


def test_rules_and_schedules(deployed: Deployed) -> None:
    events = deployed.client("events")
    rules = {r["Name"]: r for r in events.list_rules()["Rules"]}
    rules.update({r["Name"]: r for r in events.list_rules(EventBusName="everything-bus")["Rules"]})
    by_logical = {
        logical: rules[deployed.physical[logical]]
        for logical in resources_of_type(deployed.template, "AWS::Events::Rule")
    }
    assert (
        by_logical["EveryFiveMinutesEveryFiveMinutesEvent"]["ScheduleExpression"]
        == "rate(5 minutes)"
    )
    assert by_logical["AtNoonAtNoonEvent"]["ScheduleExpression"] == "cron(0 12 * * ? *)"
    assert json.loads(by_logical["OnEc2OnEc2Event"]["EventPattern"])["source"] == ["aws.ec2"]
    assert json.loads(by_logical["OnPhotoS3Rule"]["EventPattern"])["source"] == ["aws.s3"]
    assert by_logical["OnCustomBusOnCustomBusEvent"]["EventBusName"] == "everything-bus"
    targets = events.list_targets_by_rule(Rule=deployed.physical["AtNoonAtNoonEvent"])["Targets"]
    assert [t["Arn"] for t in targets] == [_function(deployed, "at_noon")["FunctionArn"]]


def test_log_groups_with_their_retention(deployed: Deployed) -> None:
    logs = deployed.client("logs")
    name = deployed.physical["OnJobLogGroup"]
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    # Lambda's own group for the function, which the stack names, as Chalice's does.
    assert group["logGroupName"] == f"/aws/lambda/{deployed.physical['OnJob']}"
    assert group["retentionInDays"] == 7


def test_the_rest_api_routes_every_method_to_the_function(deployed: Deployed) -> None:
    apigateway = deployed.client("apigateway")
    api_id = deployed.physical["RestAPI"]
    methods = {
        (resource["path"], method)
        for resource in apigateway.get_resources(restApiId=api_id)["items"]
        for method in resource.get("resourceMethods", {})
    }
    routes = {(r.path, r.method) for r in manifest_of(EVERYTHING).routes}
    assert routes <= methods
    assert ("/orders", "OPTIONS") in methods  # the CORS preflight
    resource = next(
        r for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/orders"
    )
    integration = apigateway.get_integration(
        restApiId=api_id, resourceId=resource["id"], httpMethod="POST"
    )
    assert integration["type"].upper() == "AWS_PROXY"  # moto keeps the OpenAPI spelling
    assert _function(deployed, API_FUNCTION)["FunctionArn"] in integration["uri"]


def _resolve(value: Any, deployed: Deployed) -> Any:
    """The two intrinsics our custom resource's properties use, as CloudFormation resolves them."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return _function_arn_by_logical(deployed, value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"].replace("${AWS::StackName}", "everything-dev")
    if isinstance(value, dict):
        return {key: _resolve(item, deployed) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, deployed) for item in value]
    return value


def _function_arn_by_logical(deployed: Deployed, logical: str) -> str:
    client = deployed.client("lambda")
    arn: str = client.get_function(FunctionName=deployed.physical[logical])["Configuration"][
        "FunctionArn"
    ]
    return arn


def _run_handler(
    deployed: Deployed, request: str, logical: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the inline handler as Lambda would, its boto3 pointed at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", deployed.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    handler: dict[str, Any] = {}
    exec(compile(HANDLER_SOURCE, "index.py", "exec"), handler)
    properties = _resolve(deployed.template["Resources"][logical]["Properties"], deployed)
    event = {
        "RequestType": request,
        "ResponseURL": f"{deployed.endpoint}/cloudformation_{REGION}/cfnresponse"
        f"?stack={deployed.stack_id}",
        "StackId": deployed.stack_id,
        "RequestId": f"{request}-{logical}",
        "LogicalResourceId": logical,
        "ResourceType": RESOURCE_TYPE,
        "ResourceProperties": properties,
    }
    handler["handler"](event, types.SimpleNamespace(log_stream_name="test"))


def test_s3_notifications_are_added_beside_others(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloudformation = deployed.client("cloudformation")
    status = cloudformation.describe_stacks(StackName="everything-dev")["Stacks"][0]
    # Like CloudFormation, moto waits for each custom resource to answer.
    assert status["StackStatus"] == "CREATE_IN_PROGRESS"
    custom = resources_of_type(deployed.template, RESOURCE_TYPE)
    assert set(custom) == {"EverythingUploadsNotifications", "EverythingMediaNotifications"}
    for logical in sorted(custom):
        _run_handler(deployed, "Create", logical, monkeypatch)
    status = cloudformation.describe_stacks(StackName="everything-dev")["Stacks"][0]
    assert status["StackStatus"] == "CREATE_COMPLETE"
    s3 = deployed.client("s3")
    uploads = s3.get_bucket_notification_configuration(Bucket="everything-uploads")
    assert [q["Id"] for q in uploads["QueueConfigurations"]] == ["theirs"]
    ours = {c["Id"]: c for c in uploads["LambdaFunctionConfigurations"]}
    assert set(ours) == {"everything-dev-on_upload", "everything-dev-on_removed"}
    assert (
        ours["everything-dev-on_upload"]["LambdaFunctionArn"]
        == _function(deployed, "on_upload")["FunctionArn"]
    )
    rules = ours["everything-dev-on_upload"]["Filter"]["Key"]["FilterRules"]
    assert {(r["Name"].lower(), r["Value"]) for r in rules} == {
        ("prefix", "incoming/"),
        ("suffix", ".csv"),
    }
    # moto keeps EventBridge delivery but leaves it out of GetBucketNotificationConfiguration.
    from moto.s3.models import s3_backends

    media = s3_backends["123456789012"]["aws"].buckets["everything-media"]
    assert media.notification_configuration.event_bridge == {}


def test_deleting_the_stacks_notifications_keeps_the_others(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_handler(deployed, "Delete", "EverythingUploadsNotifications", monkeypatch)
    uploads = deployed.client("s3").get_bucket_notification_configuration(
        Bucket="everything-uploads"
    )
    assert uploads.get("LambdaFunctionConfigurations", []) == []
    assert [q["Id"] for q in uploads["QueueConfigurations"]] == ["theirs"]
