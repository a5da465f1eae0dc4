"""The console's actions: replay an invocation (its event edited or not), fire a schedule
now, send a function the sample event its source would send, or any event.

Each runs one invocation through the local Lambda, as the Invoke API would (synchronously,
source "console: ..."), and answers with its record once it has finished; the live stream
shows it too. A function error is the invocation's outcome, not the request's: 200.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ._console_api import current_manifest
from ._console_http import ConsoleError, Request
from ._invocation import MAX_SYNC_PAYLOAD_BYTES, Throttled, UnknownFunction
from ._invocation_log import MAX_TEXT_CHARS

__all__ = ["ConsoleActions", "sample_event"]

NO_EVENT = object()
DEFAULT_HOST = "127.0.0.1:8000"  # `chalicelike local`'s own default


class ConsoleActions:
    def __init__(self, server: Any) -> None:
        self.server = server

    async def replay(self, request: Request) -> dict[str, Any]:
        record = self.server.invocations.get(request.params[0])
        if record is None:
            raise ConsoleError(404, f"no invocation {request.params[0]!r} to replay")
        event = _event_of(request)
        if event is NO_EVENT:
            if len(record.event) > MAX_TEXT_CHARS:
                raise ConsoleError(
                    400,
                    f"invocation {record.id}'s event was kept cut at {MAX_TEXT_CHARS} "
                    "characters: send the whole event as 'event'",
                )
            payload = record.event.encode()
        else:
            payload = _encode(event)
        return await self._invoke(record.function, payload, f"console: replay of {record.id}")

    async def fire(self, request: Request) -> dict[str, Any]:
        from .._core._aws import ACCOUNT_ID, DEFAULT_REGION
        from ._schedule_timers import rule_arn, scheduled_event

        name = request.params[0]
        entry = await self._entry(name)
        if entry.kind != "scheduled":
            raise ConsoleError(400, f"{name} has no schedule (its source is {entry.kind})")
        spec = self.server.local_lambda.find(name)
        rule = spec.resource_name if spec is not None else name
        # EventBridge's Scheduled Event for this minute, as the schedule's timer sends it.
        moment = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        event = scheduled_event(
            moment, rule_arn(DEFAULT_REGION, ACCOUNT_ID, rule), DEFAULT_REGION, ACCOUNT_ID
        )
        return await self._invoke(name, _encode(event), "console: schedule fired")

    async def sample(self, request: Request) -> dict[str, Any]:
        name = request.params[0]
        entry = await self._entry(name)
        from ._event_samples import HOST

        # The page's own host: a websocket sample names it, as the local gateway's events
        # name the Host their client used.
        host = request.param("host") or DEFAULT_HOST
        if HOST.fullmatch(host) is None:
            raise ConsoleError(400, f"host must be the page's host and port, not {host[:60]!r}")
        manifest = await current_manifest(self.server)
        source, event = sample_event(entry, manifest, self.server, host)
        return {"function": name, "source": source, "event": event}

    async def send_event(self, request: Request) -> dict[str, Any]:
        name = request.params[0]
        entry = await self._entry(name)
        event = _event_of(request)
        label = "console: event"
        if event is NO_EVENT:
            manifest = await current_manifest(self.server)
            _, event = sample_event(entry, manifest, self.server)
            label = "console: sample event"
        return await self._invoke(name, _encode(event), label)

    async def _entry(self, name: str) -> Any:
        manifest = await current_manifest(self.server)
        entry = manifest.function(name)
        if entry is None:
            known = ", ".join(e.name for e in manifest.functions) or "none"
            raise ConsoleError(404, f"the app has no function {name!r}; its functions: {known}")
        return entry

    async def _invoke(self, name: str, payload: bytes, source: str) -> dict[str, Any]:
        try:
            result = await self.server.local_lambda.invoke(name, payload, source=source)
        except UnknownFunction:
            raise ConsoleError(404, f"the app has no function {name!r}") from None
        except Throttled:
            raise ConsoleError(
                429, f"{name}'s reserved concurrency is in use: try again when it is free"
            ) from None
        record = next(
            (
                r
                for r in self.server.invocations.newest(function=name, limit=50)
                if r.request_id == result.request_id
            ),
            None,
        )
        return {
            "request_id": result.request_id,
            "status": result.status.value,
            "invocation": None if record is None else record.to_json(),
        }


def _event_of(request: Request) -> Any:
    body = request.body or {}
    unknown = sorted(set(body) - {"event"})
    if unknown:
        raise ConsoleError(400, f"unknown field(s) {', '.join(unknown)}: the body takes 'event'")
    return body.get("event", NO_EVENT)


def _encode(event: Any) -> bytes:
    payload = json.dumps(event).encode()
    if len(payload) > MAX_SYNC_PAYLOAD_BYTES:
        # Lambda's RequestEntityTooLargeException for a synchronous invoke.
        raise ConsoleError(413, f"the event is {len(payload)} bytes: Lambda takes 6 MB at most")
    return payload


def sample_event(
    entry: Any, manifest: Any, server: Any, host: str = DEFAULT_HOST
) -> tuple[str, Any]:
    """The `generate-event --for` sample: the source feeding `entry`, and its event, made
    for this server: its region, and (a websocket's) its own gateway at `host`."""
    import argparse

    from ._commands import UsageError
    from ._event_samples import SOURCES, add_options
    from ._function_samples import source_of

    stage = getattr(server.state, "stage", "dev")
    try:
        source, settings = source_of(entry, manifest, stage)
        parser = argparse.ArgumentParser()
        add_options(parser, source)
        args = parser.parse_args([])
        if source == "apigateway":
            args.api_stage = server.api_stage
        elif source == "websocket":
            args.api_stage = getattr(server, "websocket_stage", None) or server.api_stage
            args.local = host
        for key, value in settings.items():
            setattr(args, key, value)
        event = SOURCES[source].build(args)
    except UsageError as error:
        raise ConsoleError(400, str(error)) from None
    return source, _in_region(event, settings, _region_of(server))


def _region_of(server: Any) -> str:
    from .._core._aws import DEFAULT_REGION

    cloud = getattr(server, "cloud", None)
    return str(getattr(getattr(cloud, "context", None), "region", None) or DEFAULT_REGION)


def _in_region(event: Any, settings: dict[str, Any], region: str) -> Any:
    """`event` with the samples' region (generate-event's, as Chalice's: us-west-2) made the
    server's, where its local cloud's queues, topics and tables are. An ARN the app declares
    keeps its own region: then the sample is left as it is."""
    from .._core._aws import SAMPLE_REGION

    text = json.dumps(event)
    if region == SAMPLE_REGION or SAMPLE_REGION in json.dumps(settings, default=str):
        return event
    return json.loads(text.replace(SAMPLE_REGION, region))
