"""Taking over what `chalice package` deployed: one app packaged by Chalice 1.34 and by
chalicelike must name every resource and output alike, so our template updates Chalice's
stack (or Terraform state) in place instead of creating a second of each.

Chalice writes SAM; CloudFormation runs SAM's transform before it creates anything, so
the IDs compared are those after the transform (aws-sam-translator, AWS's own). The stack
is then created on moto from Chalice's template and updated with ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.package.template_support import moto_rest_api_created_with, sam_transformed

MOVING = Path(__file__).resolve().parents[1] / "apps" / "moving"
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
CONFIG = {
    "version": "2.0",
    "app_name": "moving",
    "stages": {"dev": {"api_gateway_stage": "api"}},
    "lambda_functions": {
        # Its own role (OnJobRole), and Chalice's config name for a websocket handler.
        "on_job": {"autogen_policy": False, "iam_policy_file": "on-job.json"},
        "websocket_connect": {"lambda_memory_size": 256},
    },
}
ON_JOB_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sqs:*"], "Resource": "*"}],
}
# A Deployment is named after a hash of what it deploys, by SAM and by us alike: each new
# API gets a new one, so these names are expected to differ.
DEPLOYMENTS = ("RestAPIDeployment", "WebsocketAPIDeployment")

pytestmark = [
    pytest.mark.slow,  # moto, and a whole stack deployed to it
    # moto models neither API Gateway v2 nor SNS subscriptions in CloudFormation, and says
    # so when it creates them and when an update removes one.
    pytest.mark.filterwarnings(
        "ignore:Tried to parse .* not supported by moto's CloudFormation:UserWarning"
    ),
    pytest.mark.filterwarnings("ignore:Unable to delete .* as it was never created:UserWarning"),
]


@dataclass
class Packaged:
    chalice: dict[str, dict[str, Any]]  # format → template, as `chalice package` wrote it
    ours: dict[str, dict[str, Any]]  # sam, cloudformation, terraform


def project(tmp_path: Path, name: str, framework: str, config: dict[str, Any]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    source = (MOVING / "app.py").read_text()
    if framework == "chalice":
        source = source.replace("from chalicelike import", "from chalice import")
    (folder / "app.py").write_text(source)
    (folder / "requirements.txt").write_text("")
    (folder / ".chalice").mkdir()
    (folder / ".chalice" / "config.json").write_text(json.dumps(config))
    (folder / ".chalice" / "on-job.json").write_text(json.dumps(ON_JOB_POLICY))
    return folder


def package(folder: Path, framework: str, fmt: str, out: Path, env: dict[str, str]) -> Path:
    if framework == "chalice":
        command = [str(Path(sys.executable).parent / "chalice"), "package", "--pkg-format", fmt]
    else:
        command = [sys.executable, "-m", "chalicelike.cli", "package", "--pkg-format", fmt]
    done = subprocess.run(
        [*command, str(out)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AWS_DEFAULT_REGION": REGION, **env},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return next(path for path in out.iterdir() if path.suffix == ".json")


def resource_ids(template: dict[str, Any]) -> dict[str, str]:
    return {
        logical: resource["Type"]
        for logical, resource in template["Resources"].items()
        if not logical.startswith(DEPLOYMENTS)
    }


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.apigateway.models import APIGatewayBackend, apigateway_backends

    def mock_method(api: Any, properties: dict[str, Any], account: str, region: str) -> None:
        # moto ignores a RestApi's Body and cannot import Swagger 2.0 (Chalice's): a mock
        # method stands in, enough for the Deployment.
        backend: APIGatewayBackend = apigateway_backends[account][region]
        root = next(r.id for r in api.resources.values() if r.get_path() == "/")
        backend.put_method(api.id, root, "GET", "NONE")
        backend.put_integration(api.id, root, "GET", "MOCK", "", "POST")

    def name_from_title(properties: dict[str, Any]) -> None:
        # API Gateway names the API after the body's title when no Name is given.
        properties.setdefault("Name", properties["Body"]["info"]["title"])

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with moto_rest_api_created_with(mock_method, prepare=name_from_title):
        yield endpoint
    # moto's accounts live in the process, not the server: other modules' servers see them.
    import urllib.request

    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(reset) as answer:
        assert answer.status == 200
    server.stop()


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture(scope="module")
def stream_arn(moto_endpoint: str) -> str:
    """What the app refers to, on moto; the table's stream ARN is known only once it exists."""
    client(moto_endpoint, "sqs").create_queue(QueueName="moving-jobs")
    client(moto_endpoint, "sns").create_topic(Name="moving-alerts")
    client(moto_endpoint, "kinesis").create_stream(StreamName="moving-clicks", ShardCount=1)
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="deployment.zip", Body=b"PK\x05\x06" + b"\0" * 18)
    table = client(moto_endpoint, "dynamodb").create_table(
        TableName="moving-orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return str(table["TableDescription"]["LatestStreamArn"])


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory, stream_arn: str) -> Packaged:
    tmp_path = tmp_path_factory.mktemp("moving")
    env = {"ORDERS_STREAM_ARN": stream_arn}
    # One function's log group too; Chalice's Terraform writer refuses log groups, and its
    # CloudFormation writer S3 events: each format gets what Chalice can write for it.
    with_logs = json.loads(json.dumps(CONFIG))
    with_logs["lambda_functions"]["on_job"]["log_retention_in_days"] = 14
    chalice_cfn = project(tmp_path, "chalice-cfn", "chalice", with_logs)
    ours_cfn = project(tmp_path, "ours-cfn", "chalicelike", with_logs)
    chalice_tf = project(tmp_path, "chalice-tf", "chalice", CONFIG)
    ours_tf = project(tmp_path, "ours-tf", "chalicelike", CONFIG)
    with_s3 = {**env, "WITH_S3": "1"}
    chalice = {
        "sam": package(chalice_cfn, "chalice", "cloudformation", tmp_path / "c-sam", env),
        "terraform": package(chalice_tf, "chalice", "terraform", tmp_path / "c-tf", with_s3),
    }
    ours = {
        fmt: package(ours_cfn, "chalicelike", fmt, tmp_path / f"o-{fmt}", env)
        for fmt in ("sam", "cloudformation")
    }
    ours["terraform"] = package(ours_tf, "chalicelike", "terraform", tmp_path / "o-tf", with_s3)
    return Packaged(
        {fmt: json.loads(path.read_text()) for fmt, path in chalice.items()},
        {fmt: json.loads(path.read_text()) for fmt, path in ours.items()},
    )


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_every_resource_has_chalices_logical_id(packaged: Packaged, fmt: str) -> None:
    expected = resource_ids(sam_transformed(packaged.chalice["sam"]))
    ours = packaged.ours[fmt]
    found = resource_ids(sam_transformed(ours) if fmt == "sam" else ours)
    missing = {k: v for k, v in expected.items() if found.get(k) != v}
    assert missing == {}
    # Every kind Chalice writes is in the comparison.
    assert {
        "AWS::ApiGateway::Stage",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Stage",
        "AWS::Events::Rule",
        "AWS::IAM::Role",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::SNS::Subscription",
    } <= set(expected.values())
    assert {"RestAPIapiStage", "WebsocketConnect", "OnJobRole", "OnJobLogGroup"} <= set(found)


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_every_output_chalice_writes_is_there(packaged: Packaged, fmt: str) -> None:
    expected = set(packaged.chalice["sam"]["Outputs"])
    assert "WebsocketMessageHandlerArn" in expected
    assert expected <= set(packaged.ours[fmt]["Outputs"])


def test_terraform_resources_have_chalices_names(packaged: Packaged) -> None:
    def addresses(document: dict[str, Any]) -> set[str]:
        return {f"{kind}.{name}" for kind, named in document["resource"].items() for name in named}

    expected = addresses(packaged.chalice["terraform"])
    found = addresses(packaged.ours["terraform"])
    assert expected - found == set()
    # Chalice makes the stage through the deployment's stage_name, which the aws provider
    # 6 no longer has: ours is a resource of its own (docs/packaging.md: import it once).
    assert found - expected == {"aws_api_gateway_stage.rest_api"}
    assert set(packaged.chalice["terraform"]["output"]) <= set(packaged.ours["terraform"]["output"])


def test_our_template_updates_a_stack_chalice_made(moto_endpoint: str, packaged: Packaged) -> None:
    cloudformation = client(moto_endpoint, "cloudformation")
    created = sam_transformed(packaged.chalice["sam"])
    cloudformation.create_stack(
        StackName="moving-dev",
        TemplateBody=json.dumps(created),
        Capabilities=["CAPABILITY_IAM"],
    )
    kept = ("AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Lambda::EventSourceMapping")

    def physical_ids() -> dict[str, str]:
        resources = cloudformation.describe_stack_resources(StackName="moving-dev")
        return {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in resources["StackResources"]
            if r.get("ResourceType") in kept and "PhysicalResourceId" in r
        }

    before = physical_ids()
    assert len(before) == 19  # 14 functions, 2 roles, 3 event source mappings
    cloudformation.update_stack(
        StackName="moving-dev",
        TemplateBody=json.dumps(packaged.ours["cloudformation"]),
        Parameters=[{"ParameterKey": "DeploymentBucket", "ParameterValue": "code"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName="moving-dev")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    after = physical_ids()
    # Functions, roles and event source mappings are updated in place, not replaced.
    assert {k: after.get(k) for k in before} == before
    mappings = client(moto_endpoint, "lambda").list_event_source_mappings()["EventSourceMappings"]
    sources = [(m["FunctionArn"], m["EventSourceArn"]) for m in mappings]
    assert len(sources) == len(set(sources)) == 3  # one each: SQS, Kinesis, DynamoDB
