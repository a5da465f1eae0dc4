"""The Invoke API served over a real local Lambda, for the invoke tests.

`serve_invoke_api(local_lambda)` serves InvokeApi with uvicorn and, at shutdown, closes it
and the local Lambda in the server's own event loop; `lambda_client(url)` is boto3's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from chalicelike._tooling._describe import describe_project
from chalicelike.local._functions import function_specs
from chalicelike.local._http_protocol import LocalHttpProtocol
from chalicelike.local._invocation import FunctionSpec
from chalicelike.local._invoke_api import InvokeApi
from tests.servers import serve

INVOKE_APP = Path(__file__).parent / "apps" / "invoke"


@functools.cache
def invoke_app_specs() -> tuple[FunctionSpec, ...]:
    """The functions of apps/invoke, read once as the dev server reads them."""
    manifest = asyncio.run(describe_project(INVOKE_APP, "dev"))
    return tuple(function_specs(manifest, INVOKE_APP, "dev"))


class _ClosingApp:
    """InvokeApi, plus the local Lambda's close at lifespan shutdown (as LocalServer does)."""

    def __init__(self, api: InvokeApi, local_lambda: Any) -> None:
        self.api = api
        self.local_lambda = local_lambda

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.api(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await self.api.close()
                await self.local_lambda.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


@contextlib.contextmanager
def serve_invoke_api(local_lambda: Any, **options: Any) -> Iterator[tuple[str, InvokeApi]]:
    api = InvokeApi(local_lambda, **options)
    with serve(_ClosingApp(api, local_lambda), http=LocalHttpProtocol) as url:
        yield url, api


def lambda_client(url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )
