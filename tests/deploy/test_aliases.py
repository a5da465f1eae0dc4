"""Releases on Lambda: one listing gives $LATEST's code hash and the versions, and a call
Lambda refuses while an update runs (ResourceConflictException) is made again once it ends.
Against a plain moto server."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike.deploy._aliases import function_listing, publish_release, when_idle
from chalicelike.deploy._session import AwsSession, open_session
from tests.deploy.moto_support import CREDENTIALS, REGION, aws_client, plain_moto_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with plain_moto_server() as url:
        yield url


@pytest.fixture
def session(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AwsSession:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    return open_session(None, REGION)


@pytest.fixture
def function(moto_url: str, request: pytest.FixtureRequest) -> str:
    role = aws_client(moto_url, "iam").create_role(
        RoleName=f"role-{request.node.name}"[:64], AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    name = f"fn-{request.node.name}"[:64]
    aws_client(moto_url, "lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    return name


def test_one_listing_gives_the_code_hash_and_the_releases(
    session: AwsSession, moto_url: str, function: str
) -> None:
    publish_release(session, [function], "dev", 4)
    latest, versions = function_listing(session, function)
    configuration = aws_client(moto_url, "lambda").get_function_configuration(FunctionName=function)
    assert latest["CodeSha256"] == configuration["CodeSha256"]
    # The listing names $LATEST by its qualified ARN; what is read from it is the account.
    assert latest["FunctionArn"].removesuffix(":$LATEST") == configuration["FunctionArn"]
    assert [(v.version, v.release) for v in versions] == [("1", 4)]


def test_a_conflict_is_waited_out_and_the_call_made_again(
    session: AwsSession, function: str
) -> None:
    from botocore.exceptions import ClientError

    calls: list[int] = []

    def refused_once() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            error = {"Error": {"Code": "ResourceConflictException", "Message": "in progress"}}
            raise ClientError(error, "PublishVersion")
        return {"Version": "7"}

    assert when_idle(session, function, refused_once) == {"Version": "7"}
    assert len(calls) == 2


def test_any_other_refusal_is_not_retried(session: AwsSession, function: str) -> None:
    from botocore.exceptions import ClientError

    calls: list[int] = []

    def refused() -> dict[str, Any]:
        calls.append(1)
        raise ClientError(
            {"Error": {"Code": "InvalidParameterValueException", "Message": "no"}},
            "PublishVersion",
        )

    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        when_idle(session, function, refused)
    assert len(calls) == 1
