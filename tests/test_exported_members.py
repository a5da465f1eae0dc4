"""The public surface: chalicelike's __all__ is sorted, importable, and covers Chalice's names."""

from __future__ import annotations

import pytest

import chalicelike

# Chalice names that arrive with the event handlers and authorizers (issue 4).
PENDING = {
    "AuthResponse",
    "AuthRoute",
    "CognitoUserPoolAuthorizer",
    "Cron",
    "CustomAuthorizer",
    "IAMAuthorizer",
    "Rate",
}
# Module-level names of Chalice's that are not part of an app's API.
NOT_API = {"app", "chalice_version"}


def test_all_is_sorted_and_importable() -> None:
    assert chalicelike.__all__ == sorted(chalicelike.__all__)
    for name in chalicelike.__all__:
        assert getattr(chalicelike, name) is not None


def test_every_public_name_is_in_all() -> None:
    public = {
        name
        for name in vars(chalicelike)
        if not name.startswith("_")
        and not isinstance(getattr(chalicelike, name), type(chalicelike))
    }
    assert public - {"annotations"} == set(chalicelike.__all__)


def test_covers_chalices_public_names() -> None:
    chalice = pytest.importorskip("chalice")
    theirs = {
        name
        for name in dir(chalice)
        if not name.startswith("_") and not isinstance(getattr(chalice, name), type(chalice))
    } - NOT_API
    missing = theirs - set(chalicelike.__all__)
    assert missing == PENDING


def test_importing_the_package_imports_no_server_or_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys, chalicelike; "
        "print(','.join(sorted(m for m in ('asyncio','uvicorn','starlette','boto3','botocore',"
        "'chalicelike.cli','chalicelike.test','chalicelike._asgi') if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
