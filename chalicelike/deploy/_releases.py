"""`versions` and `rollback`: a stage's history read back from Lambda's versions (each names
the release that published it) and the stage's aliases pointed at an earlier release."""

from __future__ import annotations

from collections import defaultdict

from ._aliases import PublishedVersion, each, function_versions, point_aliases
from ._session import AwsSession, DeployError, aws_error

__all__ = ["print_function_versions", "print_releases", "roll_back"]


def _live(session: AwsSession, function: str, alias: str) -> str | None:
    try:
        found = session.client("lambda").get_alias(FunctionName=function, Name=alias)
    except Exception as error:
        if aws_error(error) is None:
            raise
        return None
    return str(found["FunctionVersion"])


def _history(
    session: AwsSession, functions: list[str], alias: str
) -> tuple[list[list[PublishedVersion]], list[str | None]]:
    versions = each(lambda function: function_versions(session, function), functions)
    live = each(lambda function: _live(session, function, alias), functions)
    return versions, live


def print_releases(session: AwsSession, functions: list[str], alias: str) -> None:
    versions, live = _history(session, functions, alias)
    by_release: dict[int, list[PublishedVersion]] = defaultdict(list)
    for published in versions:
        for version in published:
            if version.release is not None:
                by_release[version.release].append(version)
    current = _current(versions, live)
    print(f"{'release':>7}  {'published (UTC)':<25}  functions")
    for release in sorted(by_release, reverse=True):
        changed = by_release[release]
        when = max(v.modified for v in changed)[:19].replace("T", " ")
        names = ", ".join(f"{v.function}:{v.version}" for v in changed)
        mark = f"  <- {alias}" if release == current else ""
        print(f"{release:>7}  {when:<25}  {names}{mark}")


def print_function_versions(session: AwsSession, function: str, alias: str) -> None:
    versions = function_versions(session, function)
    live = _live(session, function, alias)
    print(f"{'version':>7}  {'release':>7}  {'modified (UTC)':<25}  code")
    for version in reversed(versions):
        mark = f"  <- {alias}" if version.version == live else ""
        release = str(version.release) if version.release is not None else "-"
        when = version.modified[:19].replace("T", " ")
        print(f"{version.version:>7}  {release:>7}  {when:<25}  {version.code_sha256[:12]}{mark}")


def _current(versions: list[list[PublishedVersion]], live: list[str | None]) -> int | None:
    """The release the aliases are at: the newest release among their versions."""
    releases = [
        v.release
        for published, version in zip(versions, live, strict=True)
        for v in published
        if v.version == version and v.release is not None
    ]
    return max(releases, default=None)


def roll_back(
    session: AwsSession, functions: list[str], alias: str, to: int | None
) -> tuple[int, dict[str, str]]:
    """Each function's alias pointed at the version it had in release `to` (default: the
    release before the current one); returns the release and the versions moved to."""
    versions, live = _history(session, functions, alias)
    known = sorted({v.release for vs in versions for v in vs if v.release is not None})
    current = _current(versions, live)
    if to is None:
        earlier = [release for release in known if current is None or release < current]
        if not earlier:
            raise DeployError(f"{alias} has no release before {current} to roll back to")
        to = earlier[-1]
    elif to not in known:
        listed = ", ".join(map(str, known)) or "none"
        raise DeployError(f"{alias} has no release {to} (releases: {listed})")
    targets: dict[str, PublishedVersion] = {}
    for function, published in zip(functions, versions, strict=True):
        older = [v for v in published if v.release is not None and v.release <= to]
        if older:
            targets[function] = older[-1]
        else:
            print(f"{function} did not exist at release {to}: left as it is")
    point_aliases(session, targets, alias)
    return to, {function: version.version for function, version in targets.items()}
