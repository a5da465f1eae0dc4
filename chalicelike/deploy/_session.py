"""The AWS session every deploy command works through, and the one-line errors for what a
user must set before AWS can be reached (credentials, region, a profile that exists).

botocore reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) itself, so LocalStack or
a moto server needs nothing from us: no code here knows whether AWS is real. botocore alone:
nothing of boto3's (resources, s3transfer) is used.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from .._core._errors import ChaliceError
from ._direct_config import DIRECT_SERVICES, DirectConfig

__all__ = ["AwsSession", "DeployError", "aws_error", "aws_reason", "open_session"]


class DeployError(ChaliceError):
    """A deploy command cannot go on; the message says what to do."""


@dataclass
class AwsSession:
    """The deploy's region, account and clients, each made once. Lambda's and CloudFormation's
    are direct ones (`_direct_aws`) when `direct` says the configuration is plain; everything
    else is botocore's, whose session is made on first need."""

    region: str
    profile: str | None = None
    direct: DirectConfig | None = None
    _boto: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _account: str | None = None
    # Threads of one deploy share the clients: made once (40-80 ms each), under this lock.
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def client(self, service: str, config: Any = None) -> Any:
        """The session's client for `service`; with `config`, a botocore client of its own."""
        with self._lock:
            if config is not None:
                return self.botocore().create_client(
                    service, region_name=self.region, config=config
                )
            if service not in self._clients:
                if self.direct is not None and service in DIRECT_SERVICES:
                    from ._direct_aws import direct_client

                    fallback = functools.partial(self._botocore_client, service)
                    self._clients[service] = direct_client(service, self.direct, fallback)
                else:
                    self._clients[service] = self._botocore_client(service)
            return self._clients[service]

    def botocore(self) -> Any:
        """The botocore session (imported and made on first call)."""
        with self._lock:
            if self._boto is None:
                self._boto = _botocore_session(self.profile)
            return self._boto

    def _botocore_client(self, service: str) -> Any:
        from botocore.config import Config

        with self._lock:
            key = f"botocore:{service}"
            if key not in self._clients:
                # Adaptive retries: CloudFormation and Lambda throttle bursts of describes.
                config = Config(retries={"mode": "adaptive", "max_attempts": 10})
                self._clients[key] = self.botocore().create_client(
                    service, region_name=self.region, config=config
                )
            return self._clients[key]

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = str(self.client("sts").get_caller_identity()["Account"])
        return self._account

    def learn_account(self, arn: str) -> None:
        """The account, as an ARN of its own shows it: no STS call needed then."""
        if self._account is None and arn.count(":") >= 5:
            self._account = arn.split(":")[4]

    def function_arn(self, function: str) -> str:
        """The ARN of the deployed function named `function` in this region and account."""
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{function}"

    @property
    def url_suffix(self) -> str:
        """The domain AWS's endpoints in this region end with (CloudFormation's AWS::URLSuffix)."""
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    @property
    def partition(self) -> str:
        """AWS's partition of the region (its ARNs' second field)."""
        for prefix, partition in (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov")):
            if self.region.startswith(prefix):
                return partition
        return "aws"


def open_session(profile: str | None, region: str | None) -> AwsSession:
    """A session for `profile` and `region` (or the environment's), or a DeployError that
    names what to set. A plain configuration (`direct_config`) imports no botocore here."""
    from ._direct_config import direct_config

    # AWS_REGION as well as botocore's AWS_DEFAULT_REGION: the AWS CLI v2 and Lambda read it.
    region = region or os.environ.get("AWS_REGION") or None
    direct = direct_config(profile, region)
    if direct is not None:
        return AwsSession(region=direct.region, profile=profile, direct=direct)
    from botocore.exceptions import ProfileNotFound

    try:
        boto = _botocore_session(profile)
        region = region or boto.get_config_variable("region")
        credentials = boto.get_credentials()
    except ProfileNotFound:
        raise DeployError(
            f"no AWS profile named {profile!r}: see `aws configure list-profiles`"
        ) from None
    if not region:
        raise DeployError(
            "no AWS region: pass --region, set AWS_DEFAULT_REGION, or give the profile a region"
        )
    if credentials is None:
        raise DeployError(
            "no AWS credentials: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY"
        )
    return AwsSession(region=region, profile=profile, _boto=boto)


def _botocore_session(profile: str | None) -> Any:
    import botocore.session

    boto = botocore.session.Session(profile=profile)
    _look_up_services_one_at_a_time(boto)
    return boto


class _ServiceNames(Sequence[str]):
    """botocore's list of known services, asked only `name in ...` when a client is made:
    answered from that service's own folder; the whole list made only if iterated."""

    def __init__(self, loader: Any, type_name: str, list_all: Callable[[str], list[str]]):
        self._loader, self._type_name, self._list_all = loader, type_name, list_all
        self._names: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        from botocore.exceptions import DataNotFoundError

        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        if self._names is None:
            self._names = self._list_all(self._type_name)
        return self._names

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())


def _look_up_services_one_at_a_time(boto: Any) -> None:
    """Each client botocore makes first checks its service against the list of all ~400,
    read by listing every service's folder (0.04-0.06 s a client, measured); the check
    needs only the one service's folder."""
    loader = boto.get_component("data_loader")
    list_all = loader.list_available_services
    loader.list_available_services = lambda type_name: _ServiceNames(loader, type_name, list_all)


def aws_error(error: BaseException) -> dict[str, str] | None:
    """The Error part (Code, Message) of an AWS error answer: botocore's ClientError, which
    the direct clients raise too; None for any other exception. Looked up without importing
    botocore: while it is not imported, no ClientError can have been raised."""
    exceptions = sys.modules.get("botocore.exceptions")
    if exceptions is None or not isinstance(error, exceptions.ClientError):
        return None
    details = error.response.get("Error", {})
    return {"Code": str(details.get("Code", "")), "Message": str(details.get("Message", ""))}


def aws_reason(error: Exception) -> str:
    """What AWS said, in one line: 'Code: message' of an error answer, even one whose body
    botocore could not parse (an endpoint answering JSON where XML was expected)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        details = response["Error"]
        operation = getattr(error, "operation_name", None)
        message = " ".join(re.sub(r"<[^>]+>", " ", details.get("Message", "")).split())[:300]
        said = f"{details.get('Code', 'Error')}: {message}".strip()
        return f"{operation} answered {said}" if operation else said
    text = str(error)
    found = re.search(r'"(?:message|Message)"\s*:\s*"([^"]*)"', text)
    if found:
        kind = re.search(r'"(?:__type|code|Code)"\s*:\s*"([^"]*)"', text)
        return f"{kind.group(1).rsplit('#', 1)[-1]}: {found.group(1)}" if kind else found.group(1)
    return " ".join(text.split())[:500]
