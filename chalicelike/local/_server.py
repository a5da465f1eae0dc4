"""`chalicelike local`: wires the gateway, the invoke API, the local Lambda and hot reload
into one uvicorn server.

Requests under /2015-03-31/functions/ go to Lambda's Invoke API, everything else to the
API Gateway stand-in; both hand invocations to the same local Lambda (worker processes,
or the in-process runner under a debugger).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .._core._types import Receive, Scope, Send
from .._tooling._config import api_gateway_stage, resolve_stage_config
from ._asgi_types import run_lifespan, send_answer

__all__ = ["LocalServer", "PortType", "command"]

INVOKE_API_PREFIX = "/2015-03-31/"  # all of Lambda's API answers in its own error shape
# API Gateway's management API (app.websocket_api.send/close/info): /{stage}/@connections/{id}
CONNECTIONS_PATH = "/@connections/"
# The server's own paths (the console, its API): requests under it never reach the app.
CONSOLE_PREFIX = "/_chalicelike/"
# The local cloud's delivery counters, as JSON (the server's own path: no app route has it)
DELIVERIES_PATH = "/_chalicelike/deliveries"
# After Ctrl-C, requests still running get this long; then they are cancelled and the
# workers stopped, so a handler sleeping until a 15-minute timeout cannot hold the exit.
GRACEFUL_SHUTDOWN_SECONDS = 2
_STOPPING_BODY_BYTES = b'{"message":"chalicelike local is stopping"}'
_STOPPING_START = {
    "type": "http.response.start",
    "status": 503,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_STOPPING_BODY_BYTES)).encode()),
    ],
}
_STOPPING_BODY = {"type": "http.response.body", "body": _STOPPING_BODY_BYTES}


class PortType(click.ParamType[int]):
    """A TCP or UDP port number: a one-line usage error for anything else (argparse's `int`
    let 70000 through to a 60-line traceback from the server's bind)."""

    name = "port"

    def __init__(self, lowest: int = 1) -> None:
        self.lowest = lowest  # 0 where the OS may choose

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            port = int(value)
        except (TypeError, ValueError):
            port = -1
        if not self.lowest <= port <= 65_535:
            self.fail(f"{value!r} is not a port: use a number from {self.lowest} to 65535")
        return port


@click.command(
    "local",
    help="Serve the app as API Gateway + Lambda on this machine.",
    short_help="serve the app as API Gateway + Lambda on this machine",
)
@click.option("--host", default="127.0.0.1", help="the address to listen on")
@click.option("--port", type=PortType(), default=8000, help="the HTTP port to listen on")
@click.option("--stage", default="dev", help="the config stage")
@click.option(
    "--payload-version",
    type=click.Choice(("1.0", "2.0")),
    default="1.0",
    help="1.0: a REST API (Chalice's); 2.0: an HTTP API",
)
@click.option("--autoreload/--no-autoreload", default=True, help="restart workers on a change")
@click.option(
    "--in-process",
    is_flag=True,
    help="run handlers in this process (for a debugger): no isolation, timeouts only logged",
)
@click.option(
    "--xray-port",
    type=PortType(lowest=0),
    default=0,
    help="UDP port on 127.0.0.1 of the X-Ray daemon the workers send segments to"
    " (0: one the OS picks)",
)
@click.option(
    "--aws-port", type=PortType(), default=4566, help="port of the local AWS endpoint (moto)"
)
@click.option("--aws-endpoint", metavar="URL", help="use an AWS endpoint that already runs instead")
@click.option("--aws/--no-aws", default=True, help="serve the local AWS endpoint (moto)")
@click.pass_obj
def command(common: argparse.Namespace, /, **params: Any) -> int:
    return _run(argparse.Namespace(**vars(common), **params))


class LocalServer:
    """The ASGI app uvicorn serves: dispatch, plus startup and shutdown of the parts."""

    def __init__(
        self,
        project_dir: Path,
        *,
        stage: str = "dev",
        payload_version: str = "1.0",
        autoreload: bool = True,
        in_process: bool = False,
        host: str = "127.0.0.1",
        log: Callable[[str], None] | None = None,
        aws_endpoint_url: str | None = None,
        aws_ready: Callable[[], bool] | None = None,
        s3_changes: Any = None,
        clock_speed: float = 1.0,
        xray_port: int = 0,
    ) -> None:
        from ._gateway import LocalGateway
        from ._host_guard import HostGuard
        from ._invocation_log import InvocationLog
        from ._invoke_api import InvokeApi
        from ._project_state import ProjectState
        from ._recording import InvocationRecorder
        from ._traces import TraceStore
        from ._xray_daemon import XrayDaemon

        self.log = log or ConsoleLog()
        # What the console shows: every finished invocation, whoever asked, and the traces.
        self.invocations = InvocationLog()
        self.traces = TraceStore()
        recorder = InvocationRecorder(self.invocations, self.traces)
        # The workers' X-Ray SDK sends its segments here (started with the server).
        self.xray_daemon = XrayDaemon(self.traces, self.log, xray_port)
        if in_process:
            from ._in_process import InProcessLambda

            self.local_lambda: Any = InProcessLambda(log_sink=self.log, recorder=recorder)
        else:
            from ._pool import WorkerPool

            self.local_lambda = WorkerPool([], log_sink=self.log, recorder=recorder)
        self.state = ProjectState(project_dir, stage, self.local_lambda)
        self.api_stage = api_gateway_stage(project_dir, stage)
        # The websocket API deploys to its own stage (websocket_api_stage, default: the
        # REST API's): its management API's URLs carry that one.
        self.websocket_stage = resolve_stage_config(project_dir, stage, "").websocket_api_stage
        self.autoreload = autoreload
        self.gateway = LocalGateway(
            self.state,
            self.local_lambda,
            stage=stage,
            api_stage=self.api_stage,
            payload_version=payload_version,
            log=self.log,
            traces=self.traces,
            start_workflow=self._start_workflow if aws_endpoint_url is not None else None,
        )
        # The Invoke API runs the app's code (with the developer's credentials under --no-aws):
        # no foreign page may.
        self.guard = guard = HostGuard([host])
        self.invoke_api = InvokeApi(self.local_lambda, log=self.log, guard=guard)
        self._websockets: Any = None  # made when the first websocket or @connections call comes
        self._console: Any = None  # made when the first /_chalicelike/ request comes
        self._watcher: asyncio.Task[None] | None = None
        self.cloud: Any = None
        self.s3_changes = s3_changes
        self._syncing: set[asyncio.Task[None]] = set()
        if aws_endpoint_url is not None:
            from .._core._aws import DEFAULT_REGION
            from ._local_cloud import LocalCloud

            self.cloud = LocalCloud(
                self.local_lambda,
                aws_endpoint_url,
                DEFAULT_REGION,
                self.log,
                ready=aws_ready,
                s3_changes=s3_changes,
                clock_speed=clock_speed,
                stage=stage,
            )
        # The endpoint's Lambda Invokes of the app's functions (Step Functions' Tasks),
        # when this server serves the endpoint (`_run` sets it): attached on start.
        self.app_invokes: Any = None

    async def _start_workflow(self, app_name: str, workflow: str, input_text: str) -> Any:
        """A route's workflow started on the local cloud (its machine made by the last sync)."""
        machines = self.cloud.workflows if self.cloud is not None else None
        if machines is None:
            raise LookupError(f"workflow {workflow!r} has no state machine on the endpoint yet")
        return await machines.start(app_name, workflow, input_text)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._serve_http(scope, receive, send)
        elif kind == "websocket":
            await self.websockets(scope, receive, send)
        elif kind == "lifespan":
            await run_lifespan(receive, send, self.start, self.stop)

    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._dispatch(scope, receive, send)
        except asyncio.CancelledError:
            # uvicorn cancels what still runs after the shutdown grace (a read of a hung
            # import, a handler sleeping): one line and a 503, not its traceback.
            self.log(
                f"chalicelike local: stopped before answering {scope['method']} {scope['path']}"
                f" (still running {GRACEFUL_SHUTDOWN_SECONDS} s after the stop): 503"
            )
            # uvicorn refuses (RuntimeError) a start after the answer had begun.
            with contextlib.suppress(Exception):
                await send(_STOPPING_START)
                await send(_STOPPING_BODY)

    @property
    def console(self) -> Any:
        """The browser console and its JSON API under /_chalicelike/."""
        if self._console is None:
            from ._console import ConsoleApi

            self._console = ConsoleApi(self)
        return self._console

    @property
    def websockets(self) -> Any:
        """The websocket side of the gateway and its management API."""
        if self._websockets is None:
            from ._websocket_gateway import LocalWebsocketApi

            self._websockets = LocalWebsocketApi(
                self.state,
                self.local_lambda,
                api_stage=self.websocket_stage,
                log=self.log,
                guard=self.guard,
            )
        return self._websockets

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if CONNECTIONS_PATH in path and self.websockets.handles(scope):
            await self.websockets(scope, receive, send)
            return
        if path.startswith(CONSOLE_PREFIX) or path == CONSOLE_PREFIX[:-1]:
            # The server's own pages and API: never the app's, whatever its routes.
            if path == DELIVERIES_PATH:
                await self._serve_deliveries(scope, send)
            else:
                await self.console(scope, receive, send)
            return
        if path.startswith(INVOKE_API_PREFIX):
            from .._tooling._describe import AppLoadError  # loaded by then: costs a lookup

            # An invoke sent after a save runs the new code too; a broken app is
            # reported by the functions it no longer has, not here.
            with contextlib.suppress(AppLoadError):
                await self.state.current()
            await self.invoke_api(scope, receive, send)
        else:
            await self.gateway(scope, receive, send)

    async def _serve_deliveries(self, scope: Scope, send: Send) -> None:
        import json

        refusal = self.guard.refusal(scope)
        if refusal is not None:
            status, body = 403, {"message": f"Forbidden: {refusal}"}
        elif self.cloud is None:
            status, body = 404, {"message": "no AWS endpoint (--no-aws): nothing is delivered"}
        else:
            status, body = 200, self.cloud.deliveries.snapshot()
        headers = [(b"content-type", b"application/json")]
        await send_answer(send, status, headers, json.dumps(body).encode())

    async def start(self) -> None:
        await self.xray_daemon.start()
        if self.xray_daemon.started:
            self.local_lambda.xray_daemon = self.xray_daemon.address
        if self.s3_changes is not None:
            self.s3_changes.attach(asyncio.get_running_loop())
        if self.app_invokes is not None:
            self.app_invokes.attach(
                asyncio.get_running_loop(), self._serve_http, self.local_lambda.find
            )
        # Not awaited: an import that hangs must not keep the server from listening (and
        # from hearing Ctrl-C); requests wait for the read, which has a time limit.
        self.state.reload()
        self._sync_cloud()
        if self.autoreload:
            from ._project_state import watch_project

            self._watcher = asyncio.ensure_future(
                watch_project(self.state.project_dir, self._on_change)
            )

    def _on_change(self, paths: set[str]) -> None:
        self.log("chalicelike local: change detected, reloading the app")
        self.state.on_change(paths)
        self._sync_cloud()

    def _sync_cloud(self) -> None:
        """Once the app is read, bring its event sources to life (and retire removed ones)."""
        if self.cloud is None:
            return
        task = asyncio.ensure_future(self._sync_current())
        self._syncing.add(task)
        task.add_done_callback(self._syncing.discard)

    async def _sync_current(self) -> None:
        from .._tooling._describe import AppLoadError

        try:
            manifest = await self.state.current()
        except AppLoadError:
            return  # reported by the reload; the next good save syncs
        await self.cloud.sync(manifest)

    def kill_workers(self) -> None:
        """After a forced exit (a second Ctrl-C skips `stop`): no worker may outlive us."""
        kill_all = getattr(self.local_lambda, "kill_all", None)
        if kill_all is not None:
            kill_all()

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for task in list(self._syncing):
            task.cancel()
        if self._websockets is not None:
            await self._websockets.close()  # their $disconnect runs while workers still do
        if self.cloud is not None:
            await self.cloud.close()  # in-flight batches go back to their queues
        await self.state.close()
        await self.invoke_api.close()
        await self.local_lambda.close()
        self.xray_daemon.close()


class ConsoleLog:
    """Log lines to stdout, flushed once per turn of the event loop: a request logs four
    lines (access, START, END, REPORT), which would otherwise be four writes."""

    def __init__(self) -> None:
        self._flush_pending = False

    def __call__(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            sys.stdout.flush()
            return
        self._flush_pending = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        sys.stdout.flush()


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from .._core._errors import ChaliceError
    from ._http_protocol import LocalHttpProtocol

    project_dir = Path(args.project_dir).resolve()
    if not (project_dir / "app.py").is_file():
        raise ChaliceError(f"No app.py in {project_dir}; pass --project-dir")
    endpoint, aws_url, s3_changes = _aws_endpoint(args)
    server = LocalServer(
        project_dir,
        aws_endpoint_url=aws_url,
        aws_ready=None if endpoint is None else endpoint.wait_ready,
        s3_changes=s3_changes,
        clock_speed=_clock_speed(),
        stage=args.stage,
        payload_version=args.payload_version,
        autoreload=args.autoreload,
        in_process=args.in_process,
        host=args.host,
        xray_port=args.xray_port,
    )
    if endpoint is not None:
        server.app_invokes = endpoint.app_invokes
    _check_ports(args)  # before "serving": uvicorn would print it, then fail to bind
    if aws_url is not None:
        from ._aws_endpoint import use_aws_endpoint

        if endpoint is not None:
            endpoint.start()  # after the config was read: its errors come first
        use_aws_endpoint(aws_url)
    print(
        f"chalicelike local: serving {project_dir}/app.py (stage {args.stage}, payload "
        f"{args.payload_version}) on http://{args.host}:{args.port}",
        flush=True,
    )
    if aws_url is not None:
        print(f"chalicelike local: AWS endpoint on {aws_url}", flush=True)
    config = uvicorn.Config(
        server,
        host=args.host,
        port=args.port,
        http=LocalHttpProtocol,  # uvicorn's httptools, with RFC 9112's Host rules
        lifespan="on",
        access_log=False,  # the gateway logs each request itself, as API Gateway would
        proxy_headers=False,  # nothing stands in front of a local server
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    # Our own line names each request cut short (LocalServer._serve_http): uvicorn's
    # count of them would say it twice.
    logging.getLogger("uvicorn.error").addFilter(_not_the_cancel_count)
    try:
        uvicorn.Server(config).run()
    finally:
        server.kill_workers()
        if endpoint is not None:
            endpoint.stop()
    return 0


def _check_ports(args: argparse.Namespace) -> None:
    """A one-line error naming the port, when the HTTP or X-Ray port cannot be bound
    (the AWS endpoint's own bind says so for --aws-port). A probe, then released: the
    servers bind moments later, and losing that race is as rare as it is harmless."""
    import socket

    _probe_port(args.host, args.port, socket.SOCK_STREAM, "HTTP", "pass --port PORT for another")
    if args.xray_port:  # 0: the OS picks a free one
        advice = "pass --xray-port PORT for another, or 0 for one the OS picks"
        _probe_port("127.0.0.1", args.xray_port, socket.SOCK_DGRAM, "X-Ray daemon (UDP)", advice)


def _probe_port(host: str, port: int, kind: int, what: str, advice: str) -> None:
    import errno
    import os
    import socket

    from .._core._errors import ChaliceError

    try:
        addresses = socket.getaddrinfo(host, port, type=kind, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ChaliceError(f"cannot listen on {host!r} ({error.strerror}): pass --host") from None
    # uvicorn (asyncio's create_server) binds every address the host resolves to.
    for family, sock_type, proto, _, address in addresses:
        with socket.socket(family, sock_type, proto) as probe:
            if kind == socket.SOCK_STREAM and os.name != "nt":
                # As uvicorn does: a previous run's TIME_WAIT connections leave the port free.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                reason = (
                    "is already in use"
                    if error.errno == errno.EADDRINUSE
                    else f"cannot be used ({error.strerror})"
                )
                raise ChaliceError(f"{what} port {port} on {host} {reason}: {advice}") from None


def _aws_endpoint(args: argparse.Namespace) -> tuple[Any, str | None, Any]:
    """The endpoint this server will start (None: --no-aws or --aws-endpoint), the URL
    workers are pointed at (None: --no-aws, the environment stays as it is) and the feed
    of its S3 changes (None unless we serve the endpoint)."""
    if not args.aws:
        return None, None, None
    from ._aws_endpoint import AwsEndpoint, check_endpoint_url

    if args.aws_endpoint is not None:
        return None, check_endpoint_url(args.aws_endpoint), None

    from ._s3_changes import S3ChangeFeed

    # S3 tells no one of its changes over the API: the endpoint we serve watches them.
    feed = S3ChangeFeed()
    endpoint = AwsEndpoint(args.aws_port, on_s3_change=feed.publish)
    return endpoint, endpoint.url, feed


CLOCK_SPEED_VARIABLE = "CHALICELIKE_LOCAL_CLOCK_SPEED"


def _clock_speed() -> float:
    """How fast schedules' time runs: 1 (real time) unless a test sets the variable."""
    import os

    from .._core._errors import ChaliceError

    text = os.environ.get(CLOCK_SPEED_VARIABLE, "1")
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not 1 <= speed <= 86_400:
        raise ChaliceError(f"{CLOCK_SPEED_VARIABLE} must be a number from 1 to 86400, not {text!r}")
    return speed


def _not_the_cancel_count(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Cancel %s running task(s)")
