"""The AWS session: one-line errors for what is missing, and botocore's service lookup
answered a service at a time (the whole list only when someone iterates it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelike.deploy._session import DeployError, aws_reason, open_session


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


def test_aws_region_is_read_as_well_as_botocores(
    keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert open_session(None, None).region == "eu-west-1"
    assert open_session(None, "us-west-2").region == "us-west-2"


def test_no_region_is_one_line(keys: None) -> None:
    with pytest.raises(DeployError, match=r"^no AWS region: pass --region"):
        open_session(None, None)


def test_clients_are_made_for_known_services_and_unknown_ones_named(keys: None) -> None:
    from botocore.exceptions import UnknownServiceError

    session = open_session(None, "us-east-1")
    assert session.client("lambda") is session.client("lambda")
    assert session.client("cloudformation").meta.service_model.service_name == "cloudformation"
    with pytest.raises(UnknownServiceError, match=r"Valid service names are: .*lambda"):
        session.client("no-such-service")
    assert "lambda" in session.botocore().get_available_services()


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_the_partition_follows_the_region(keys: None, region: str, partition: str) -> None:
    session = open_session(None, region)
    assert session.partition == partition
    assert session.url_suffix == ("amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com")


def test_an_unparsable_answer_still_says_what_aws_said() -> None:
    from botocore.parsers import ResponseParserError

    error = ResponseParserError(
        "Unable to parse response, invalid XML received:\n"
        'b\'{"__type": "ResourceNotFoundException", "message": "Invalid EventSourceArn"}\''
    )
    assert aws_reason(error) == "ResourceNotFoundException: Invalid EventSourceArn"
