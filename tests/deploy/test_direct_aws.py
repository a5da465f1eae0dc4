"""The direct Lambda and CloudFormation clients (`_direct_aws`) against a plain moto server:
each call answers with what botocore's client answers for the same call, errors are
botocore's, and whatever the direct clients lack is botocore's client's."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import socket
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike.deploy import _direct_aws
from chalicelike.deploy._session import AwsSession, open_session
from tests.deploy.moto_support import CREDENTIALS, REGION, aws_client, plain_moto_server

pytestmark = pytest.mark.slow

ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
QUEUE_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Suffix": {"Type": "String", "Default": "a"}},
    "Resources": {
        "Orders": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
        "Returns": {"Type": "AWS::SQS::Queue"},
    },
    "Outputs": {
        "OrdersUrl": {"Value": {"Ref": "Orders"}, "Description": "the orders queue"},
        "OrdersArn": {"Value": {"Fn::GetAtt": ["Orders", "Arn"]}},
    },
}


def moto_api(url: str, path: str, body: dict[str, Any]) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{url}/moto-api/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's "simple" Lambda: functions are kept, never run (no Docker)."""
    with plain_moto_server() as url:
        moto_api(url, "config", {"lambda": {"use_docker": False}})
        yield url


@pytest.fixture(scope="module")
def role(moto_url: str) -> str:
    iam = aws_client(moto_url, "iam")
    document = json.dumps(ROLE_POLICY)
    return str(iam.create_role(RoleName="direct", AssumeRolePolicyDocument=document)["Role"]["Arn"])


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS or proxy setting of the machine's own; the AWS files are temporary ones."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in {"http_proxy", "https_proxy", "all_proxy"}:
            monkeypatch.delenv(name)
    config = tmp_path / "aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return config


@pytest.fixture
def session(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AwsSession:
    """A user's plain setup pointed at moto: keys and AWS_ENDPOINT_URL in the environment."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return open_session(None, None)


def code_zip(text: str) -> bytes:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", text)
    return code.getvalue()


@pytest.fixture
def function(moto_url: str, role: str) -> str:
    """A new function of this test's own, made with boto3."""
    name = f"direct-{uuid.uuid4().hex[:12]}"
    aws_client(moto_url, "lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code_zip("def handler(event, context):\n    return 1\n")},
        Environment={"Variables": {"STAGE": "dev"}},
        Tags={"app": "bookshop"},
    )
    return name


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer's members, without JSON's nulls (see test_nulls_are_left_out_as_botocore_does)."""
    found = without_nulls(answer)
    found.pop("ResponseMetadata", None)
    return dict(found)


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


# --- which client a session hands out -------------------------------------------------------


def test_a_plain_environment_gets_direct_clients(session: AwsSession) -> None:
    assert type(session.client("lambda")).__name__ == "LambdaClient"
    assert type(session.client("cloudformation")).__name__ == "CloudFormationClient"
    assert session.client("lambda") is session.client("lambda")
    assert type(session.client("s3")).__name__ == "S3"  # botocore's, for anything else


def test_an_endpoint_in_the_config_file_gets_botocores_client(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, function: str
) -> None:
    config = isolate(monkeypatch, tmp_path)
    config.write_text(f"[default]\nregion = {REGION}\nendpoint_url = {moto_url}\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    session = open_session(None, None)
    client = session.client("lambda")
    assert type(client).__name__ == "Lambda"
    assert client.meta.endpoint_url == moto_url
    answer = client.get_function_configuration(FunctionName=function)
    assert answer["FunctionName"] == function


# --- Lambda ---------------------------------------------------------------------------------


def test_get_function_configuration(session: AwsSession, moto_url: str, function: str) -> None:
    boto = aws_client(moto_url, "lambda")
    ours = session.client("lambda").get_function_configuration(FunctionName=function)
    theirs = boto.get_function_configuration(FunctionName=function)
    assert without_metadata(ours) == without_metadata(theirs)
    assert ours["Environment"] == {"Variables": {"STAGE": "dev"}}
    assert ours["ResponseMetadata"]["HTTPStatusCode"] == 200
    # By ARN (sent with its ':' encoded) and with a qualifier.
    arn = theirs["FunctionArn"]
    by_arn = session.client("lambda").get_function_configuration(
        FunctionName=arn, Qualifier="$LATEST"
    )
    assert without_metadata(by_arn) == without_metadata(
        boto.get_function_configuration(FunctionName=arn, Qualifier="$LATEST")
    )


def test_nulls_are_left_out_as_botocore_does(
    session: AwsSession, moto_url: str, function: str
) -> None:
    ours = session.client("lambda").get_function_configuration(FunctionName=function)
    theirs = aws_client(moto_url, "lambda").get_function_configuration(FunctionName=function)
    ours.pop("ResponseMetadata")
    theirs.pop("ResponseMetadata")
    assert ours == theirs


def test_versions_and_their_paginator(session: AwsSession, moto_url: str, function: str) -> None:
    boto = aws_client(moto_url, "lambda")
    lambda_ = session.client("lambda")
    for text in ("one", "two", "three"):
        boto.update_function_code(FunctionName=function, ZipFile=code_zip(f"# {text}\n"))
        boto.publish_version(FunctionName=function, Description=text)
    ours = lambda_.list_versions_by_function(FunctionName=function)
    theirs = boto.list_versions_by_function(FunctionName=function)
    assert without_metadata(ours) == without_metadata(theirs)
    assert [v["Version"] for v in ours["Versions"]] == ["$LATEST", "1", "2", "3"]

    def versions(client: Any) -> list[dict[str, Any]]:
        pages = client.get_paginator("list_versions_by_function").paginate(
            FunctionName=function, MaxItems=1
        )
        return [version for page in pages for version in page["Versions"]]

    paged = versions(lambda_)
    assert without_nulls(paged) == without_nulls(versions(boto))
    assert [v["Version"] for v in paged] == ["$LATEST", "1", "2", "3"]


def test_update_function_code_with_zip_bytes(
    session: AwsSession, moto_url: str, function: str
) -> None:
    boto = aws_client(moto_url, "lambda")
    before = boto.get_function_configuration(FunctionName=function)["CodeSha256"]
    package = code_zip("def handler(event, context):\n    return 2\n")
    ours = session.client("lambda").update_function_code(FunctionName=function, ZipFile=package)
    expected = base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert ours["CodeSha256"] == expected != before
    assert ours["CodeSize"] == len(package)
    theirs = boto.get_function_configuration(FunctionName=function)
    assert theirs["CodeSha256"] == expected
    assert without_metadata(ours) == without_metadata(theirs)


def test_publish_version_and_aliases(session: AwsSession, moto_url: str, function: str) -> None:
    boto = aws_client(moto_url, "lambda")
    lambda_ = session.client("lambda")
    published = lambda_.publish_version(FunctionName=function, Description="first")
    assert published["Version"] == "1"
    assert published["Description"] == "first"
    assert without_metadata(published) == without_metadata(
        boto.get_function_configuration(FunctionName=function, Qualifier="1")
    )

    created = lambda_.create_alias(
        FunctionName=function, Name="dev", FunctionVersion="1", Description="the stage"
    )
    assert without_metadata(created) == without_metadata(
        boto.get_alias(FunctionName=function, Name="dev")
    )
    got = lambda_.get_alias(FunctionName=function, Name="dev")
    assert without_metadata(got) == without_metadata(created)

    # Lambda publishes no new version of unchanged code: it answers with the last one.
    boto.update_function_code(FunctionName=function, ZipFile=code_zip("# changed\n"))
    second = boto.publish_version(FunctionName=function)["Version"]
    updated = lambda_.update_alias(FunctionName=function, Name="dev", FunctionVersion=second)
    assert updated["FunctionVersion"] == second == "2"
    assert without_metadata(updated) == without_metadata(
        boto.get_alias(FunctionName=function, Name="dev")
    )


def test_a_missing_function_is_botocores_client_error(session: AwsSession, moto_url: str) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as ours:
        session.client("lambda").get_function_configuration(FunctionName="no-such-function")
    with pytest.raises(ClientError) as theirs:
        aws_client(moto_url, "lambda").get_function_configuration(FunctionName="no-such-function")
    assert ours.value.operation_name == "GetFunctionConfiguration"
    assert ours.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert ours.value.response["Error"] == {
        k: theirs.value.response["Error"][k] for k in ("Code", "Message")
    }
    assert ours.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert str(ours.value) == str(theirs.value)


def test_a_missing_function_is_caught_as_the_clients_modeled_exception(
    session: AwsSession,
) -> None:
    lambda_ = session.client("lambda")
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.get_function_configuration(FunctionName="no-such-function")


# --- CloudFormation -------------------------------------------------------------------------


@pytest.fixture
def stack(moto_url: str) -> str:
    name = f"direct-{uuid.uuid4().hex[:12]}"
    aws_client(moto_url, "cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(QUEUE_TEMPLATE),
        Parameters=[{"ParameterKey": "Suffix", "ParameterValue": "b"}],
        Tags=[{"Key": "app", "Value": "bookshop"}, {"Key": "stage", "Value": "dev"}],
    )
    return name


def test_describe_stacks(session: AwsSession, moto_url: str, stack: str) -> None:
    ours = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    theirs = aws_client(moto_url, "cloudformation").describe_stacks(StackName=stack)["Stacks"]
    assert len(ours) == len(theirs) == 1
    for key in ("StackId", "StackName", "StackStatus", "Parameters", "Outputs", "Tags"):
        assert ours[0][key] == theirs[0][key], key
    # Times as datetimes and flags as bools, as botocore parses them.
    for key in ("CreationTime", "DisableRollback", "EnableTerminationProtection"):
        assert ours[0].get(key) == theirs[0].get(key), key
    assert ours[0]["StackStatus"] == "CREATE_COMPLETE"
    assert ours[0]["Parameters"] == [{"ParameterKey": "Suffix", "ParameterValue": "b"}]
    assert {o["OutputKey"] for o in ours[0]["Outputs"]} == {"OrdersUrl", "OrdersArn"}
    assert ours[0]["Tags"] == [
        {"Key": "app", "Value": "bookshop"},
        {"Key": "stage", "Value": "dev"},
    ]


def test_get_template(session: AwsSession, moto_url: str, stack: str) -> None:
    """A JSON body comes back parsed, as botocore's handler hands it."""
    body = session.client("cloudformation").get_template(StackName=stack)["TemplateBody"]
    theirs = aws_client(moto_url, "cloudformation").get_template(StackName=stack)
    assert body == QUEUE_TEMPLATE == theirs["TemplateBody"]


def test_list_stack_resources_and_its_paginator(
    session: AwsSession, moto_url: str, stack: str
) -> None:
    boto = aws_client(moto_url, "cloudformation")
    keys = ("LogicalResourceId", "PhysicalResourceId", "ResourceType", "ResourceStatus")

    def summaries(pages: Any) -> list[dict[str, Any]]:
        found = [s for page in pages for s in page["StackResourceSummaries"]]
        return sorted(({k: s[k] for k in keys} for s in found), key=lambda s: s[keys[0]])

    cloudformation = session.client("cloudformation")
    ours = summaries([cloudformation.list_stack_resources(StackName=stack)])
    assert ours == summaries([boto.list_stack_resources(StackName=stack)])
    assert [s["LogicalResourceId"] for s in ours] == ["Orders", "Returns"]
    paged = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    assert summaries(paged) == ours


def test_a_missing_stack_is_botocores_validation_error(session: AwsSession, moto_url: str) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        session.client("cloudformation").describe_stacks(StackName="no-such-stack")
    assert raised.value.operation_name == "DescribeStacks"
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "does not exist" in raised.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as theirs:
        aws_client(moto_url, "cloudformation").describe_stacks(StackName="no-such-stack")
    assert str(raised.value) == str(theirs.value)


# --- what the direct clients lack -----------------------------------------------------------


def test_other_methods_are_botocores(session: AwsSession, function: str, stack: str) -> None:
    lambda_ = session.client("lambda")
    names = [f["FunctionName"] for f in lambda_.list_functions()["Functions"]]
    assert function in names
    pages = lambda_.get_paginator("list_functions").paginate()
    assert function in [f["FunctionName"] for page in pages for f in page["Functions"]]
    lambda_.get_waiter("function_active_v2").wait(FunctionName=function)
    cloudformation = session.client("cloudformation")
    cloudformation.get_waiter("stack_create_complete").wait(StackName=stack)
    summaries = cloudformation.list_stacks()["StackSummaries"]
    assert stack in [s["StackName"] for s in summaries]
    with pytest.raises(AttributeError):
        lambda_.no_such_operation  # noqa: B018 - botocore's client has no such method either


def test_an_endpoint_nobody_listens_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from botocore.exceptions import EndpointConnectionError

    with socket.socket() as probe:  # a port just freed: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(_direct_aws, "MAX_ATTEMPTS", 1)  # no back-off between attempts
    session = open_session(None, REGION)
    with pytest.raises(EndpointConnectionError, match=f"127.0.0.1:{port}"):
        session.client("lambda").get_function_configuration(FunctionName="f")
    with pytest.raises(EndpointConnectionError):
        session.client("cloudformation").describe_stacks(StackName="s")
