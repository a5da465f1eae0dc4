"""The AWS endpoint `chalicelike local` serves beside the app: moto's server in a thread.

moto is imported only when the endpoint is on (`--no-aws` never loads it). The endpoint
listens on loopback only; moto checks no credentials, so workers get dummy ones and the
developer's real credentials never reach it (`aws_environment`).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from typing import Any

from .._core._aws import DEFAULT_REGION
from .._core._errors import ChaliceError

__all__ = [
    "DEFAULT_AWS_PORT",
    "DUMMY_CREDENTIALS",
    "AwsEndpoint",
    "check_endpoint_url",
    "use_aws_endpoint",
]

DEFAULT_AWS_PORT = 4566  # LocalStack's: `AWS_ENDPOINT_URL=http://localhost:4566` habits work
LOOPBACK = "127.0.0.1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Names that would send boto3 to the developer's real account or identity.
_REAL_IDENTITY = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class AwsEndpoint:
    """moto's server on 127.0.0.1:`port`, started in a thread, stopped with the server."""

    def __init__(self, port: int = DEFAULT_AWS_PORT) -> None:
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Check the port now (a busy one is the caller's error); import and start moto in
        a thread, so the app's server listens without waiting for it (`wait_ready`)."""
        _check_port_free(self.port)
        self._thread = threading.Thread(target=self._serve, name="aws-endpoint", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            from moto.server import ThreadedMotoServer

            # One line per AWS call would drown the app's own log.
            logging.getLogger("werkzeug").setLevel(logging.WARNING)

            server = ThreadedMotoServer(ip_address=LOOPBACK, port=self.port, verbose=False)
            server.start()
            self._server = server
        except BaseException as error:
            self.error = error
        finally:
            self._ready.set()

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """True once moto listens; False if it could not start (`error` says why)."""
        self._ready.wait(timeout)
        return self._server is not None

    def stop(self) -> None:
        if self._thread is not None:
            self._ready.wait(30.0)
        if self._server is not None:
            self._server.stop()
            self._server = None


def _check_port_free(port: int) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((LOOPBACK, port))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise ChaliceError(
            f"AWS endpoint port {port} is already in use: pass --aws-port PORT for another,"
            " --aws-endpoint URL to use the endpoint that runs there, or --no-aws"
        ) from None
    finally:
        probe.close()


def check_endpoint_url(url: str) -> str:
    """`url` if boto3 can use it as an endpoint, else a one-line error naming it."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChaliceError(
            f"--aws-endpoint {url!r} is not an endpoint URL: give one like http://127.0.0.1:4566"
        )
    return url


def use_aws_endpoint(url: str, region: str = DEFAULT_REGION) -> None:
    """Point this process's boto3 (and every worker, which inherits the environment) at
    `url`, with dummy credentials and no profile: the app's calls land there unchanged.

    Called only by the CLI commands, which own their whole process.
    """
    for name in _REAL_IDENTITY:
        os.environ.pop(name, None)
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = url
    os.environ["AWS_REGION"] = region
    os.environ["AWS_DEFAULT_REGION"] = region
