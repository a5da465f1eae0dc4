"""`chalicelike invoke --remote`: the deployed function run through Lambda's Invoke API on a
plain moto server (slow), and the one-line errors for a function, credentials or region
that are not there."""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike.cli import main
from chalicelike.deploy._record import write_record
from tests.deploy.moto_support import REGION, aws_client, plain_moto_server

FUNCTION = "bookshop-dev"
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


def moto_api(url: str, path: str, body: dict[str, Any]) -> None:
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
    """moto runs a function's code in Docker; its "simple" Lambda (config lambda.use_docker
    false, set before any function exists) answers without running it: what it was given,
    or the next answer queued at /moto-api/static/lambda-simple/response."""
    with plain_moto_server() as url:
        moto_api(url, "config", {"lambda": {"use_docker": False}})
        role = aws_client(url, "iam").create_role(
            RoleName="bookshop-dev", AssumeRolePolicyDocument=json.dumps(ROLE_POLICY)
        )["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return event\n")
        lambda_ = aws_client(url, "lambda")
        lambda_.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code.getvalue()},
        )
        version = lambda_.publish_version(FunctionName=FUNCTION)["Version"]
        lambda_.create_alias(FunctionName=FUNCTION, Name="dev", FunctionVersion=version)
        yield url


def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    """Only `values` of AWS's settings: no host profile, config file or metadata service."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "empty-aws-file"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws_env(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolated_env(
        monkeypatch,
        tmp_path,
        AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
    )


def make_project(folder: Path, stack: dict[str, Any] | None = None) -> Path:
    resource = {
        "name": "api_handler",
        "resource_type": "lambda_function",
        "function_name": FUNCTION,
        "lambda_arn": f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
        "alias": "dev",
    }
    record = {
        "resources": [resource],
        "schema_version": "2.0",
        "backend": "api",
        "stack": stack or {"name": "bookshop-dev", "region": REGION, "release": 1},
    }
    write_record(folder, "dev", record)
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "bookshop")


def invoke(project: Path, *args: str) -> int:
    return main(["--project-dir", str(project), "invoke", "--remote", *args])


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_remote_invoke_prints_lambdas_payload(project: Path, moto_url: str, capsysbinary) -> None:
    answer = '{"statusCode": 200, "body": "from Lambda"}'
    moto_api(moto_url, "static/lambda-simple/response", {"results": [answer], "region": REGION})
    assert invoke(project, "-n", "api_handler") == 0
    out, err = capsysbinary.readouterr()
    assert out == answer.encode() + b"\n"
    assert err == b""  # moto's simple Lambda returns no LogResult


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_the_event_file_is_the_payload_sent(project: Path, tmp_path: Path, capsysbinary) -> None:
    event = tmp_path / "order.json"
    event.write_text('{"order": 7}')
    # The deployed name finds the function too; moto's simple Lambda answers its input.
    assert invoke(project, "-n", FUNCTION, "--event", str(event)) == 0
    assert capsysbinary.readouterr().out == b'{"order": 7}\n'


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_a_function_error_prints_its_payload_and_exits_1(
    project: Path, tmp_path: Path, capsysbinary
) -> None:
    # Lambda answers an oversized response with FunctionError "Unhandled" and an error
    # payload; moto does too, and its simple Lambda answers what it is sent.
    event = tmp_path / "big.json"
    event.write_text(json.dumps({"padding": "x" * 6_100_000}))
    assert invoke(project, "-n", "api_handler", "--event", str(event)) == 1
    error = json.loads(capsysbinary.readouterr().out)
    assert error["errorType"] == "Function.ResponseSizeTooLarge"


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_a_function_not_in_the_record_is_one_line(project: Path, capsys) -> None:
    assert invoke(project, "-n", "take_order") == 2
    out, err = capsys.readouterr()
    assert out == ""
    expected = "no deployed function named 'take_order' (deployed: api_handler)"
    assert err == f"chalicelike: error: {expected}\n"


def test_missing_credentials_are_one_line(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    isolated_env(monkeypatch, tmp_path)  # the region comes from the record
    assert invoke(project, "-n", "api_handler") == 2
    err = capsys.readouterr().err
    assert err.startswith("chalicelike: error: no AWS credentials")
    assert err.count("\n") == 1


def test_missing_region_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    project = make_project(tmp_path / "bookshop", stack={"name": "bookshop-dev"})
    isolated_env(monkeypatch, tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="x")
    assert invoke(project, "-n", "api_handler") == 2
    err = capsys.readouterr().err
    assert err.startswith("chalicelike: error: no AWS region: pass --region")
    assert err.count("\n") == 1


def test_a_stage_never_deployed_is_one_line(tmp_path: Path, capsys) -> None:
    assert invoke(tmp_path, "-n", "api_handler", "--stage", "prod") == 2
    err = capsys.readouterr().err
    assert err.startswith("chalicelike: error: stage 'prod' is not deployed from here")
    assert err.count("\n") == 1


def test_profile_and_region_need_remote(tmp_path: Path, capsys) -> None:
    argv = ["--project-dir", str(tmp_path), "invoke", "-n", "api_handler", "--region", "eu-west-1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == "chalicelike invoke: error: --profile and --region go with --remote only\n"
