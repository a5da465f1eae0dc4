"""Releases: each deploy publishes a version of every function whose code or configuration
changed and points the stage's alias at it; `rollback` points the aliases back.

A release is numbered; the number is written in the description of every version it
published and of every alias it moved ("chalicelike release 7"), so `versions` and
`rollback` need nothing but Lambda itself: another machine, or CI, sees the same history.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from ._session import AwsSession, DeployError, aws_error

__all__ = [
    "PublishedVersion",
    "each",
    "function_listing",
    "function_versions",
    "missing_aliases",
    "point_aliases",
    "publish_release",
    "release_description",
    "set_provisioned_concurrency",
    "update_code",
    "wait_updated",
]

_RELEASE = re.compile(r"chalicelike release (\d+)")
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class PublishedVersion:
    function: str  # deployed name
    version: str
    release: int | None
    modified: str
    code_sha256: str
    description: str


def _code(error: BaseException) -> str | None:
    return (aws_error(error) or {}).get("Code")


def release_description(release: int) -> str:
    return f"chalicelike release {release}"


def release_of(description: str) -> int | None:
    found = _RELEASE.search(description or "")
    return int(found.group(1)) if found else None


def each(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`function` over `items` in parallel: each call waits on Lambda, not on us."""
    items = list(items)
    if len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(8, len(items))) as pool:
        return list(pool.map(function, items))


def function_versions(session: AwsSession, function: str) -> list[PublishedVersion]:
    """`function`'s published versions, oldest first ($LATEST left out)."""
    return function_listing(session, function)[1]


def function_listing(
    session: AwsSession, function: str
) -> tuple[dict[str, Any], list[PublishedVersion]]:
    """`function`'s $LATEST (the list's subset of its configuration: code hash, ARN) and its
    published versions, oldest first: one listing answers both."""
    pages = session.client("lambda").get_paginator("list_versions_by_function")
    latest: dict[str, Any] = {}
    versions = []
    for page in pages.paginate(FunctionName=function):
        for item in page["Versions"]:
            if item["Version"] == "$LATEST":
                latest = item
            else:
                versions.append(_published(function, item))
    return latest, sorted(versions, key=lambda v: int(v.version))


def _published(function: str, item: dict[str, Any]) -> PublishedVersion:
    return PublishedVersion(
        function=function,
        version=str(item["Version"]),
        release=release_of(item.get("Description", "")),
        modified=item.get("LastModified", ""),
        code_sha256=item.get("CodeSha256", ""),
        description=item.get("Description", ""),
    )


def missing_aliases(session: AwsSession, functions: list[str], alias: str) -> list[str]:
    """Those of `functions` that have no alias named `alias`."""
    client = session.client("lambda")

    def lacks(function: str) -> bool:
        try:
            client.get_alias(FunctionName=function, Name=alias)
        except Exception as error:
            if _code(error) == "ResourceNotFoundException":
                return True
            raise
        return False

    return [f for f, gone in zip(functions, each(lacks, functions), strict=True) if gone]


def update_code(session: AwsSession, functions: list[str], code: dict[str, Any]) -> None:
    """The code of `functions` replaced (no stack update): `code` is UpdateFunctionCode's
    ZipFile, or S3Bucket and S3Key. Each update waited for: a version can be published only
    once it has ended."""
    client = session.client("lambda")

    def update(function: str) -> None:
        found = when_idle(
            session, function, lambda: client.update_function_code(FunctionName=function, **code)
        )
        if found.get("LastUpdateStatus") == "InProgress":
            wait_updated(session, function)

    each(update, functions)


def when_idle(session: AwsSession, function: str, call: Callable[[], T]) -> T:
    """`call`'s answer; if Lambda refuses it because an update of `function` is still
    running (ResourceConflictException), once that update has ended. Asking first would cost
    a request per function on every deploy; the conflict is rare."""
    for _ in range(10):
        try:
            return call()
        except Exception as error:
            if _code(error) != "ResourceConflictException":
                raise
            wait_updated(session, function)
    return call()


def wait_updated(session: AwsSession, function: str) -> None:
    """Until `function`'s update has ended; DeployError with Lambda's reason if it failed."""
    import time

    client = session.client("lambda")
    for _ in range(600):
        found = client.get_function_configuration(FunctionName=function)
        status = found.get("LastUpdateStatus")
        if status == "Failed":
            raise DeployError(
                f"Lambda could not update {function}: {found.get('LastUpdateStatusReason', '')}"
            )
        if status != "InProgress":
            return
        time.sleep(0.5)
    raise DeployError(f"{function} was still updating after 5 minutes")


def _wait_active(session: AwsSession, function: str, version: str) -> None:
    import time

    client = session.client("lambda")
    for _ in range(1200):
        found = client.get_function_configuration(FunctionName=function, Qualifier=version)
        if found.get("State") == "Failed":
            raise DeployError(
                f"Lambda could not prepare {function}:{version}: {found.get('StateReason', '')}"
            )
        if found.get("State") != "Pending":
            return
        time.sleep(0.5)
    raise DeployError(f"{function}:{version} was still Pending after 10 minutes")


def publish_release(
    session: AwsSession,
    functions: list[str],
    alias: str,
    release: int,
    updating: frozenset[str] = frozenset(),
    snapshots: frozenset[str] = frozenset(),
) -> dict[str, PublishedVersion]:
    """A version of each function (a new one, of `release`, where code or configuration
    changed; Lambda hands back the latest one otherwise) and the alias pointed at it.
    `updating`: functions with an update still running, waited for first; `snapshots`:
    functions with SnapStart, whose new version is waited for until it is Active."""
    client = session.client("lambda")

    def publish(function: str) -> PublishedVersion:
        if function in updating:
            wait_updated(session, function)
        found = when_idle(
            session,
            function,
            lambda: client.publish_version(
                FunctionName=function, Description=release_description(release)
            ),
        )
        version = _published(function, found)
        if function in snapshots and found.get("State") == "Pending":
            # SnapStart: the version takes its snapshot first; invoked before, it fails.
            _wait_active(session, function, version.version)
        # The alias says which release it serves: its version's, not necessarily this one.
        _point(session, function, alias, version.version, version.description)
        return version

    return dict(zip(functions, each(publish, functions), strict=True))


def point_aliases(session: AwsSession, targets: dict[str, PublishedVersion], alias: str) -> None:
    """Each function's alias pointed at the version `targets` names (a rollback)."""
    each(
        lambda item: _point(session, item[0], alias, item[1].version, item[1].description),
        targets.items(),
    )


def _point(session: AwsSession, function: str, alias: str, version: str, description: str) -> None:
    client = session.client("lambda")
    try:
        client.update_alias(
            FunctionName=function, Name=alias, FunctionVersion=version, Description=description
        )
    except Exception as error:
        code = _code(error)
        if code is None:  # not AWS's answer: a bug or a broken connection, as it is
            raise
        if code != "ResourceNotFoundException":
            raise DeployError(
                f"cannot point {function}:{alias} at version {version}: {error}"
            ) from None
        client.create_alias(
            FunctionName=function, Name=alias, FunctionVersion=version, Description=description
        )


def set_provisioned_concurrency(
    session: AwsSession, wanted: dict[str, int | None], alias: str
) -> None:
    """Provisioned concurrency on each function's alias as `wanted` says (None: none).

    Lambda keeps it per alias, not in the function's configuration, so a key taken out of
    the config must be deleted here; asking again for the same amount is not a change."""
    client = session.client("lambda")

    def apply(item: tuple[str, int | None]) -> None:
        function, amount = item
        try:
            current = client.get_provisioned_concurrency_config(
                FunctionName=function, Qualifier=alias
            )["RequestedProvisionedConcurrentExecutions"]
        except Exception as error:
            if _code(error) != "ProvisionedConcurrencyConfigNotFoundException":
                raise
            current = None
        if amount == current:
            return
        if amount is None:
            client.delete_provisioned_concurrency_config(FunctionName=function, Qualifier=alias)
        else:
            client.put_provisioned_concurrency_config(
                FunctionName=function, Qualifier=alias, ProvisionedConcurrentExecutions=amount
            )

    each(apply, list(wanted.items()))
