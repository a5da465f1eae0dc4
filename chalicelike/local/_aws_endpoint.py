"""The AWS endpoint `chalicelike local` serves beside the app: moto's WSGI app in a thread.

moto is imported only when the endpoint is on (`--no-aws` never loads it). The endpoint
listens on loopback only and refuses foreign Hosts and Origins; moto checks no credentials,
so workers get dummy ones and the developer's real ones never reach it (`use_aws_endpoint`).
"""

from __future__ import annotations

import errno
import html
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._aws import DEFAULT_REGION
from .._core._errors import ChaliceError
from ._host_guard import HostGuard
from ._lambda_invoke_tap import AppInvokes

if TYPE_CHECKING:
    from ._s3_changes import S3Change

__all__ = [
    "DEFAULT_AWS_PORT",
    "DUMMY_CREDENTIALS",
    "AwsEndpoint",
    "LocalOnly",
    "check_endpoint_url",
    "use_aws_endpoint",
]

DEFAULT_AWS_PORT = 4566  # LocalStack's: `AWS_ENDPOINT_URL=http://localhost:4566` habits work
LOOPBACK = "127.0.0.1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Names that would send boto3 to the developer's real account or identity.
_REAL_IDENTITY = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class AwsEndpoint:
    """moto's WSGI app on 127.0.0.1:`port` in a thread, behind the Host/Origin guard and the
    S3 tap (`on_s3_change` is told of each object created or removed)."""

    def __init__(
        self,
        port: int = DEFAULT_AWS_PORT,
        on_s3_change: Callable[[S3Change], None] | None = None,
    ) -> None:
        self.port = port
        self.on_s3_change = on_s3_change
        self._socket: socket.socket | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None
        # Lambda Invokes of the app's functions (Step Functions' Tasks) go to the dev server.
        self.app_invokes = AppInvokes()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Listen now (a busy port is the caller's error; connections wait in the backlog),
        and import moto and serve in a thread: the app's server need not wait (`wait_ready`)."""
        self._socket = _listen(self.port)
        self.port = self._socket.getsockname()[1]  # port 0: the one the system chose
        # moto's Step Functions interpreter calls Lambda at localhost:$MOTO_PORT: here.
        os.environ["MOTO_PORT"] = str(self.port)
        self._thread = threading.Thread(target=self._serve, name="aws-endpoint", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            server = self._make_server()
            self._server = server
        except BaseException as error:
            self.error = error
            if self._socket is not None:  # clients waiting in the backlog: refused, not hung
                self._socket.close()
                self._socket = None
            return
        finally:
            self._ready.set()
        # shutdown() waits for the next poll: 0.1 s, not socketserver's 0.5 s, per stop.
        server.serve_forever(poll_interval=0.1)

    def _make_server(self) -> Any:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from ._lambda_invoke_tap import LambdaInvokeTap
        from ._s3_changes import S3Tap
        from ._s3_moto_patches import patch_moto_s3_events
        from ._sns_moto_patches import patch_moto_sns
        from ._sqs_moto_patches import patch_moto_sqs
        from ._workflow_moto_patches import patch_moto_stepfunctions

        # The endpoint we serve gets moto's fixes (an --aws-endpoint is its own): SQS that
        # loses and repeats messages under concurrent pollers and slows with a backlog; S3's
        # notifications to the user's own queues, topics and buses in S3's shape; SNS's
        # per-protocol text for our internal queues; Step Functions' executions run.
        for patch, what in (
            (patch_moto_sqs, "SQS: messages may be repeated or lost under concurrent pollers"),
            (patch_moto_s3_events, "S3: notifications to your queues keep moto's shape"),
            (patch_moto_sns, "SNS: on_sns_message gets the 'sqs' text of a JSON message"),
            (patch_moto_stepfunctions, "Step Functions: executions do not run"),
        ):
            if not patch():
                logging.getLogger("chalicelike.local").warning(
                    "chalicelike local: this moto is not the one patched: %s", what
                )
        _cache_moto_module_list()
        # One line per AWS call would drown the app's own log.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app: Any = DomainDispatcherApplication(create_backend_app)
        if self.on_s3_change is not None:
            app = S3Tap(app, self.on_s3_change)
        app = LambdaInvokeTap(app, self.app_invokes)
        assert self._socket is not None  # start() made it

        return make_server(
            LOOPBACK,
            self.port,
            LocalOnly(app),
            threaded=True,
            request_handler=MotoRequestHandler,  # keeps S3 metadata names with underscores
            fd=self._socket.fileno(),
        )

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """True once moto serves; False if it could not start (`error` says why)."""
        self._ready.wait(timeout)
        return self._server is not None

    def stop(self) -> None:
        if self._thread is not None:
            self._ready.wait(30.0)
        if self._server is not None:
            self._server.shutdown()  # serve_forever returns and closes its socket
            self._server = None
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class _LocalHosts(HostGuard):
    """HostGuard, with `<bucket>.localhost` too: S3's virtual-hosted buckets. Browsers
    resolve every *.localhost to loopback themselves (RFC 6761), so no DNS can rebind one."""

    def _allowed(self, hostname: str) -> bool:
        return super()._allowed(hostname) or hostname.endswith(".localhost")


class LocalOnly:
    """WSGI guard: a 403 for a Host that is not this machine, another site's Origin or a
    Sec-Fetch-Site of another site (same-site: loads only). moto answers any Host with
    `Access-Control-Allow-Origin: *`, so without it any web page could drive the endpoint
    (a form's simple POST needs no CORS), or read it through DNS rebinding. boto3 and the
    AWS CLI send neither header."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.guard = _LocalHosts()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = [
            (name, environ[key].encode("latin-1"))
            for name, key in _GUARDED_HEADERS
            if key in environ and not (key == "HTTP_SEC_FETCH_SITE" and _own_sites_load(environ))
        ]
        why = self.guard.refusal({"headers": headers})
        if why is None:
            if environ.get("PATH_INFO", "").startswith("/moto-api"):
                return self.app(environ, start_response)  # moto's dashboard needs its script

            def sandboxed(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                return start_response(status, [*headers, _SANDBOX], *exc_info)

            return self.app(environ, sandboxed)
        message = html.escape(f"chalicelike local refuses this request: {why}", quote=False)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            f"<Message>{message}</Message></Error>"
        ).encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]


# An S3 object is served from the endpoint's own origin, which moto lets drive every
# service unsigned: an HTML object (an upload the app stored) must not run as such a page.
# Sandboxed, it is a page of no origin: its requests carry `Origin: null` and are refused.
_SANDBOX = ("Content-Security-Policy", "sandbox")


def _own_sites_load(environ: dict[str, Any]) -> bool:
    """A GET or HEAD that a page of this machine (another port: the app's own page, a
    frontend's dev server) loads without reading it: an <img> or a link to a presigned
    URL, as S3 serves them. It sends no Origin; one that does would read (moto allows any
    origin), and is judged by its Origin. moto's own API is never loaded so."""
    return (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and "HTTP_ORIGIN" not in environ
        and environ.get("HTTP_SEC_FETCH_SITE", "").strip().lower() == "same-site"
        and not environ.get("PATH_INFO", "").startswith("/moto-api")
    )


_GUARDED_HEADERS = (
    (b"host", "HTTP_HOST"),
    (b"origin", "HTTP_ORIGIN"),
    (b"sec-fetch-site", "HTTP_SEC_FETCH_SITE"),
)


def _listen(port: int) -> socket.socket:
    """The endpoint's listening socket, or a one-line error when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # a previous run's TIME_WAIT connections must not block the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno != errno.EADDRINUSE:
            raise
        raise ChaliceError(
            f"AWS endpoint port {port} is already in use: pass --aws-port PORT for another,"
            " --aws-endpoint URL to use the endpoint that runs there, or --no-aws"
        ) from None
    return sock


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
    # boto3 prefers a service's own endpoint (AWS_ENDPOINT_URL_SQS) to the global one, and
    # AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ignores both: either would send the app's calls
    # elsewhere (AWS itself) while the local cloud watches this endpoint.
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_") or name == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS":
            del os.environ[name]
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = url
    os.environ["AWS_REGION"] = region
    os.environ["AWS_DEFAULT_REGION"] = region


def _cache_moto_module_list() -> None:
    """moto's dispatcher lists its package's folders (a listdir and ~150 stats) on every
    request, inside the lock all requests share: most of the endpoint's time under SQS
    pollers. The folders do not change while it runs: they are listed once."""
    from moto import backends

    listing = backends.list_of_moto_modules
    if getattr(listing, "_chalicelike", False):
        return
    modules = tuple(listing())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._chalicelike = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules
