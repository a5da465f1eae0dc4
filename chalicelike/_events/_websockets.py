"""API Gateway websocket APIs: the event a route's Lambda receives, and the API that answers.

`WebsocketEvent` reads what API Gateway sends for `$connect`, `$disconnect`, `$default`
and custom routes. `WebsocketAPI` (Chalice's `app.websocket_api`) posts to, closes and
describes connections through the API Gateway management API. boto3 is imported on the
first call that needs it, never at import: this module sits on the Lambda cold path.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from .._core._errors import (
    BadRequestError,
    ChaliceError,
    InvalidEventError,
    WebsocketDisconnectedError,
)
from ._lambda_events import BaseLambdaEvent, describe, field, invalid, json_type

__all__ = ["WEBSOCKET_EXPECTED", "WebsocketAPI", "WebsocketEvent", "WebsocketEventType"]

WEBSOCKET_EXPECTED = (
    "an API Gateway websocket event (requestContext with connectionId and routeKey)"
)

_UNSET: Any = object()


class WebsocketEventType(str, enum.Enum):
    """`requestContext.eventType`: which part of a connection's life the event is about."""

    CONNECT = "CONNECT"
    MESSAGE = "MESSAGE"
    DISCONNECT = "DISCONNECT"


# What API Gateway's reserved routes imply when a hand-made event leaves eventType out;
# `$default` and custom routes carry messages.
_ROUTE_EVENT_TYPES = {
    "$connect": WebsocketEventType.CONNECT,
    "$disconnect": WebsocketEventType.DISCONNECT,
}
# And the other way round, for an event without routeKey (Chalice never reads it).
_EVENT_TYPE_ROUTES = {
    "CONNECT": "$connect",
    "DISCONNECT": "$disconnect",
    "MESSAGE": "$default",
}


def _describe(event: dict[str, Any]) -> str:
    """What a non-websocket event looks like, naming the HTTP events people confuse it with.

    "" for an event that has a requestContext and is no HTTP event: its fields say more.
    """
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return describe(event, "requestContext")
    if "httpMethod" in event or isinstance(context.get("http"), dict):
        return "got an HTTP request event (a REST or HTTP API), not a websocket event"
    if "elb" in context:
        return "got an ALB request event, not a websocket event"
    return ""


class WebsocketEvent(BaseLambdaEvent):
    """One websocket event: a connect, a message (on `$default` or a custom route), a disconnect.

    `body` is the message as text (absent on connect and disconnect: ""); a binary frame
    arrives base64-encoded (`isBase64Encoded`) and is decoded on first use, its bytes in
    `raw_body`. `json_body` parses the body on first use.

    An event without `routeKey` (hand-made; Chalice never reads it) is on `default_route`,
    the route of the handler it was given to, else the one its `eventType` implies.
    """

    __slots__ = (
        "_body",
        "_encoded_body",
        "_is_base64",
        "_json_body",
        "_raw_body",
        "api_id",
        "connection_id",
        "domain_name",
        "event_type",
        "route_key",
        "stage",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, default_route: str | None = None
    ) -> None:
        super().__init__(event_dict, context)
        if not isinstance(event_dict, dict):
            raise invalid(
                WEBSOCKET_EXPECTED, f"got {json_type(event_dict)} instead of a JSON object"
            )
        if "requestContext" not in event_dict:
            raise invalid(WEBSOCKET_EXPECTED, _describe(event_dict))
        request = field(event_dict, "requestContext", dict, WEBSOCKET_EXPECTED, "")
        where = "requestContext"
        if "connectionId" not in request:
            problem = _describe(event_dict) or "requestContext has no 'connectionId'"
            raise invalid(WEBSOCKET_EXPECTED, problem)
        self.connection_id: str = field(request, "connectionId", str, WEBSOCKET_EXPECTED, where)
        route_key = field(request, "routeKey", str, WEBSOCKET_EXPECTED, where, False)
        if route_key is None:
            route_key = default_route or _EVENT_TYPE_ROUTES.get(
                str(request.get("eventType")), "$default"
            )
        self.route_key: str = route_key
        # The management API's endpoint is built from these two: https://{domainName}/{stage}.
        self.domain_name: str = field(request, "domainName", str, WEBSOCKET_EXPECTED, where)
        self.stage: str = field(request, "stage", str, WEBSOCKET_EXPECTED, where)
        api_id = field(request, "apiId", str, WEBSOCKET_EXPECTED, where, False)
        self.api_id: str = api_id if api_id is not None else ""
        self.event_type: WebsocketEventType = self._read_event_type(request)
        body = field(event_dict, "body", str, WEBSOCKET_EXPECTED, "", False)
        self._encoded_body: str = body if body is not None else ""
        self._is_base64: bool = event_dict.get("isBase64Encoded") is True
        self._body: str | None = None if self._is_base64 else self._encoded_body
        self._raw_body: bytes | None = None
        self._json_body: Any = _UNSET

    def _read_event_type(self, request: dict[str, Any]) -> WebsocketEventType:
        value = field(request, "eventType", str, WEBSOCKET_EXPECTED, "requestContext", False)
        if value is None:
            return _ROUTE_EVENT_TYPES.get(self.route_key, WebsocketEventType.MESSAGE)
        try:
            return WebsocketEventType(value)
        except ValueError:
            raise invalid(
                WEBSOCKET_EXPECTED,
                f"requestContext.eventType is {value!r}, not CONNECT, MESSAGE or DISCONNECT",
            ) from None

    @property
    def raw_body(self) -> bytes:
        """The message's bytes: base64-decoded for a binary frame, else the text in UTF-8."""
        if self._raw_body is None:
            if not self._is_base64:
                self._raw_body = self._encoded_body.encode("utf-8")
            else:
                try:
                    self._raw_body = base64.b64decode(self._encoded_body, validate=True)
                except binascii.Error as error:
                    raise InvalidEventError(
                        f"The body of websocket connection {self.connection_id!r} is marked "
                        f"isBase64Encoded but is not base64: {error}"
                    ) from error
        return self._raw_body

    @property
    def body(self) -> str:
        if self._body is None:
            try:
                self._body = self.raw_body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidEventError(
                    f"The message from websocket connection {self.connection_id!r} is binary, "
                    f"not UTF-8 text ({error}); read raw_body for its bytes"
                ) from error
        return self._body

    @property
    def json_body(self) -> Any:
        """The body parsed as JSON, on first use; BadRequestError if it is not JSON, as in
        Chalice (its message starts with Chalice's, 'Error Parsing JSON')."""
        if self._json_body is _UNSET:
            try:
                self._json_body = json.loads(self.body)
            except ValueError as error:
                raise BadRequestError(
                    f"Error Parsing JSON: the message from websocket connection "
                    f"{self.connection_id!r} (route {self.route_key!r}) is not JSON: {error}"
                ) from error
        return self._json_body

    def __repr__(self) -> str:
        return (
            f"WebsocketEvent(connection_id={self.connection_id!r}, "
            f"route_key={self.route_key!r}, event_type={self.event_type.value!r})"
        )


# -- the management API ------------------------------------------------------------------

_NOT_CONFIGURED = (
    "The websocket API has no endpoint yet: call app.websocket_api.configure(domain_name, "
    "stage) or configure_from_api_id(api_id, stage) first. Inside a websocket handler "
    "(@app.on_ws_connect, on_ws_message, on_ws_disconnect) it is configured automatically "
    "from the event."
)


def _execute_api_region(domain_name: str) -> str | None:
    """The region in an `{api-id}.execute-api.{region}.amazonaws.com[.cn]` domain, if it is one."""
    labels = domain_name.lower().split(".")
    if len(labels) >= 5 and labels[1] == "execute-api" and labels[3] == "amazonaws":
        return labels[2]
    return None


def _is_loopback(domain_name: str) -> bool:
    """Whether a domain ('127.0.0.1:8000', 'localhost', '[::1]:8000') is this machine: then
    the events come from `chalicelike local`'s gateway, which speaks plain HTTP."""
    host = domain_name.lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host in ("127.0.0.1", "localhost", "::1")


def _is_gone(error: Any) -> bool:
    """Whether a botocore ClientError is the management API's GoneException (HTTP 410)."""
    response: dict[str, Any] = getattr(error, "response", {})
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return bool(code == "GoneException" or status == 410)


class WebsocketAPI:
    """Talks to a websocket API's connections through API Gateway's management API.

    `session` is the boto3 Session the client is made from; left None, one is created on
    the first call. The client is kept across invocations (making one costs milliseconds)
    and replaced only when the endpoint changes. A connection whose client has gone
    (GoneException, 410) raises WebsocketDisconnectedError; other errors pass unchanged.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.session: Any = None
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._endpoint: str | None = None
        self._region: str | None = None
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str | None:
        """The management API's URL, None until configured."""
        return self._endpoint

    def configure(self, domain_name: str, stage: str, endpoint_url: str | None = None) -> None:
        """Send through `https://{domain_name}/{stage}`, or `endpoint_url` when given.

        For a custom domain, pass its base path mapping as `stage` ("" for the root
        mapping): AWS serves the management API at the domain plus the base path.
        `endpoint_url` overrides the URL alone (a local stand-in for API Gateway). A
        loopback domain is `chalicelike local`'s gateway, served over `http://`.
        """
        if endpoint_url is None:
            scheme = "http" if _is_loopback(domain_name) else "https"
            base = f"{scheme}://{domain_name}"
            endpoint_url = f"{base}/{stage}" if stage else base
        self._set_endpoint(endpoint_url.rstrip("/"), _execute_api_region(domain_name))

    def configure_from_api_id(self, api_id: str, stage: str) -> None:
        """Send through `https://{api_id}.execute-api.{region}.amazonaws.com/{stage}`.

        The region is AWS_REGION (Lambda sets it) or AWS_DEFAULT_REGION, else the session's.
        """
        region = self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION")
        if not region and self.session is not None:
            region = self.session.region_name
        if not region:
            raise ChaliceError(
                f"Cannot build the endpoint of websocket API {api_id!r}: no region. Set "
                "AWS_REGION or AWS_DEFAULT_REGION (Lambda sets both), give websocket_api a "
                "session with a region, or call configure(domain_name, stage)."
            )
        self.configure(f"{api_id}.execute-api.{region}.amazonaws.com", stage)

    def configure_from_event(self, event: WebsocketEvent) -> None:
        """Configure for the API an event came through.

        Through a custom domain the event's stage need not be the base path, so when the
        event names its API the execute-api endpoint is used instead, which always works.
        A loopback domain, or the API id `local`, is the local gateway itself: plain HTTP.
        """
        from .._core._aws import LOCAL_API_ID  # a few constants: only a websocket pays for it

        domain = event.domain_name
        if event.api_id == LOCAL_API_ID:
            # `chalicelike local`'s gateway (no AWS API id is "local"), reached by whatever
            # address the client used, a LAN one too: it speaks plain HTTP, never AWS's URL.
            base = f"http://{domain}"
            self.configure(domain, event.stage, f"{base}/{event.stage}" if event.stage else base)
            return
        if _execute_api_region(domain) is None and event.api_id and not _is_loopback(domain):
            region = self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION")
            if not region and self.session is not None:
                region = self.session.region_name  # as Chalice falls back to it
            if region:
                self.configure_from_api_id(event.api_id, event.stage)
                return
        self.configure(event.domain_name, event.stage)

    def send(self, connection_id: str, message: str | bytes | bytearray | memoryview) -> None:
        """Post one message (text is sent as UTF-8) to a connection (PostToConnection)."""
        data: str | bytes
        if isinstance(message, (str, bytes)):
            data = message  # boto3 sends a str as UTF-8; the client sees it as Chalice's does
        elif isinstance(message, (bytearray, memoryview)):
            data = bytes(message)
        else:
            raise TypeError(
                f"A websocket message is str or bytes, not {type(message).__name__}; "
                "use json.dumps() to send structured data"
            )
        client = self._get_client()
        self._call(client, "post_to_connection", connection_id, Data=data)

    def close(self, connection_id: str) -> None:
        """Disconnect a client (DeleteConnection); its $disconnect route runs afterwards."""
        client = self._get_client()
        self._call(client, "delete_connection", connection_id)

    def info(self, connection_id: str) -> dict[str, Any]:
        """GetConnection's answer: ConnectedAt, LastActiveAt (datetimes), Identity."""
        client = self._get_client()
        answer: dict[str, Any] = self._call(client, "get_connection", connection_id)
        return answer

    def close_client(self) -> None:
        """Close the management client's HTTP connections; the next call makes a new client."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> WebsocketAPI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_client()

    # -- the client ---------------------------------------------------------------------

    def _set_endpoint(self, endpoint: str, region: str | None) -> None:
        if endpoint == self._endpoint and region == self._region:
            return  # configured again by the next event: keep the client
        self.close_client()
        self._endpoint, self._region = endpoint, region

    def _get_client(self) -> Any:
        if self._endpoint is None:
            raise ChaliceError(_NOT_CONFIGURED)
        with self._lock:
            if self._client is None:
                if self.session is None:
                    import boto3.session

                    self.session = boto3.session.Session()
                # The region only when the session's is not it: Chalice calls
                # session.client(name, endpoint_url=...), and so can a stand-in session.
                region = self._signing_region()
                extra = {} if region == self.session.region_name else {"region_name": region}
                self._client = self.session.client(
                    "apigatewaymanagementapi", endpoint_url=self._endpoint, **extra
                )
            return self._client

    def _signing_region(self) -> str:
        """The region requests are signed for: the execute-api domain's, else the session's."""
        region = self._region or self.session.region_name
        region = region or self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION")
        if not region:
            raise ChaliceError(
                f"Cannot sign requests to {self._endpoint}: no region. Set AWS_REGION or "
                "AWS_DEFAULT_REGION, or give websocket_api a session with a region."
            )
        return str(region)

    def _call(self, client: Any, operation: str, connection_id: str, **params: Any) -> Any:
        from botocore.exceptions import ClientError

        # The client's own GoneException (a ClientError on a boto3 client), as Chalice
        # catches it; a bare 410 as well.
        modeled = getattr(getattr(client, "exceptions", None), "GoneException", None)
        gone: tuple[type[BaseException], ...] = (
            (modeled,) if isinstance(modeled, type) and issubclass(modeled, BaseException) else ()
        )
        try:
            return getattr(client, operation)(ConnectionId=connection_id, **params)
        except gone as error:
            raise WebsocketDisconnectedError(connection_id) from error
        except ClientError as error:
            # API Gateway answers 410 GoneException for a connection that has closed.
            if _is_gone(error):
                raise WebsocketDisconnectedError(connection_id) from error
            raise
