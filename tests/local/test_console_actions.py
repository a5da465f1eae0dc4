"""The console's actions: the sample events it offers ("Send event…") are made for the
running server, its region and, for a websocket handler, its own gateway, so that
`app.websocket_api.send` answers the local client instead of going to AWS."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelike import Chalice
from chalicelike._tooling._manifest import AppManifest, describe_app
from chalicelike.local._console_actions import ConsoleActions, sample_event
from chalicelike.local._console_http import ConsoleError, Request
from chalicelike.local._event_samples import SOURCES, add_options


def make_app() -> Chalice:
    app = Chalice(app_name="chat")

    @app.on_ws_message()
    def message(event: Any) -> None:
        app.websocket_api.send(event.connection_id, event.body)

    @app.on_sqs_message(queue="orders")
    def consume(event: Any) -> None:
        return None

    @app.on_sqs_message(queue="arn:aws:sqs:us-west-2:123456789012:theirs")
    def theirs(event: Any) -> None:
        return None

    return app


class State:
    def __init__(self, manifest: AppManifest) -> None:
        self.stage = "dev"
        self.manifest = manifest

    async def current(self) -> AppManifest:
        return self.manifest


def server_for(manifest: AppManifest) -> Any:
    """What the actions read of a LocalServer (--no-aws: no local cloud)."""
    return SimpleNamespace(state=State(manifest), api_stage="api", websocket_stage="ws", cloud=None)


def sample(function: str, host: str = "127.0.0.1:8123") -> tuple[str, Any]:
    manifest = describe_app(make_app())
    entry = manifest.function(function)
    return sample_event(entry, manifest, server_for(manifest), host)


def test_a_websocket_sample_names_the_local_gateway() -> None:
    source, event = sample("websocket_message")
    assert source == "websocket"
    context = event["requestContext"]
    # As the local gateway's own events: the runtime then sends to http://{domain}/{stage}.
    assert context["domainName"] == "127.0.0.1:8123"
    assert context["apiId"] == "local"
    assert context["stage"] == "ws"  # the websocket API's stage, not the REST API's


def test_a_websocket_samples_connect_headers_name_the_local_host_too() -> None:
    manifest = describe_app(make_app())
    entry = manifest.function("websocket_message")
    entry.settings["route_key"] = "$connect"
    _, event = sample_event(entry, manifest, server_for(manifest), "localhost:9000")
    assert event["headers"]["Host"] == "localhost:9000"
    assert event["multiValueHeaders"]["Host"] == ["localhost:9000"]
    assert event["requestContext"]["domainName"] == "localhost:9000"


def test_samples_are_in_the_servers_region() -> None:
    _, event = sample("consume")
    [record] = event["Records"]
    # The local cloud's queue is in us-east-1, where the server says it runs.
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:orders"
    assert record["awsRegion"] == "us-east-1"
    assert "us-west-2" not in str(event)


def test_a_declared_arn_keeps_its_own_region() -> None:
    _, event = sample("theirs")
    [record] = event["Records"]
    assert record["eventSourceARN"] == "arn:aws:sqs:us-west-2:123456789012:theirs"


def test_generate_event_keeps_its_documented_region() -> None:
    # The CLI's samples are Chalice's (us-west-2, docs/local.md): only the console's move.
    parser = __import__("argparse").ArgumentParser()
    add_options(parser, "sqs")
    event = SOURCES["sqs"].build(parser.parse_args([]))
    assert event["Records"][0]["awsRegion"] == "us-west-2"


def test_the_page_host_must_look_like_one() -> None:
    manifest = describe_app(make_app())
    actions = ConsoleActions(server_for(manifest))
    good = asyncio.run(actions.sample(Request(["websocket_message"], {"host": ["[::1]:8000"]})))
    assert good["event"]["requestContext"]["domainName"] == "[::1]:8000"
    with pytest.raises(ConsoleError) as refused:
        asyncio.run(actions.sample(Request(["websocket_message"], {"host": ["evil.com/x?"]})))
    assert refused.value.status == 400
    assert "host" in refused.value.message
