"""Lambda's and CloudFormation's APIs called directly (SigV4 over http.client) for the calls
a code-only redeploy makes, so it does not pay for botocore: its import, its models and its
per-call machinery are 0.25 s of a 0.5 s redeploy (measured, docs/performance.md).

Each client answers as botocore's does for the same call (the same parameters, the same
response shapes: nulls left out, CloudFormation's times and flags as datetimes and bools, a
JSON template parsed) and raises botocore's errors: the service's modelled exception (made
from botocore's client, which an error answer therefore loads) or EndpointConnectionError.
Any other method is botocore's client's, made on first use. `_direct_config` decides when a
session may use these at all.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ._direct_config import DirectConfig
from ._sigv4 import signed_headers

__all__ = ["CloudFormationClient", "DirectClient", "LambdaClient", "direct_client"]

MAX_ATTEMPTS = 10  # as the botocore clients of a deploy are configured
TIMEOUT = 60.0  # seconds to connect and to wait for an answer, botocore's defaults
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)
_USER_AGENT = "chalicelike-deploy (direct)"


class _Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class DirectClient:
    """What the two clients share: a pool of connections, signing, retries and errors."""

    service = ""  # botocore's client name, also the signing name of both services

    def __init__(self, config: DirectConfig, fallback: Callable[[], Any]) -> None:
        self._config = config
        self._endpoint = config.endpoints[self.service]
        self._fallback = fallback
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # A call this client does not make itself: botocore's client makes it.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._fallback(), name)

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> _Answer:
        """Send one request, retried as botocore retries (throttling, 5xx, a dropped
        connection); the answer of a success, else botocore's error for it."""
        url = self._endpoint + path + (f"?{urlencode(query)}" if query else "")
        headers = {"User-Agent": _USER_AGENT}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(1, MAX_ATTEMPTS + 1):
            now = datetime.now(timezone.utc)
            signed = signed_headers(
                method,
                url,
                headers,
                body,
                self._config.credentials,
                self._config.region,
                self.service,
                now,
            )
            try:
                answer = self._exchange(method, url, signed, body)
            except (OSError, http.client.HTTPException) as error:
                if attempt == MAX_ATTEMPTS:
                    from botocore.exceptions import EndpointConnectionError

                    raise EndpointConnectionError(endpoint_url=url, error=error) from None
                _back_off(attempt)
                continue
            if answer.status < 300:
                return answer
            error_response = self._error(answer)
            retry = answer.status >= 500 or answer.status == 429
            if attempt < MAX_ATTEMPTS and (retry or error_response["Error"]["Code"] in _THROTTLED):
                _back_off(attempt)
                continue
            # The service's own exception class, as botocore raises it: a caller may catch
            # `client.exceptions.ResourceNotFoundException` as well as ClientError.
            code = error_response["Error"]["Code"]
            raise self._fallback().exceptions.from_code(code)(error_response, operation)
        raise AssertionError("unreachable")

    def _exchange(self, method: str, url: str, headers: dict[str, str], body: bytes) -> _Answer:
        """One request on an idle connection of the pool (or a new one), handed back once
        its answer is read whole."""
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = _connect(self._endpoint, self._config.ca_bundle)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            with self._lock:
                self._idle.append(connection)
        found = {name.lower(): value for name, value in response.getheaders()}
        return _Answer(response.status, found, data)

    def _error(self, answer: _Answer) -> dict[str, Any]:
        raise NotImplementedError


def _connect(endpoint: str, ca_bundle: str | None) -> http.client.HTTPConnection:
    parts = urlsplit(endpoint)
    if parts.scheme == "http":
        return http.client.HTTPConnection(parts.netloc, timeout=TIMEOUT)
    return http.client.HTTPSConnection(parts.netloc, timeout=TIMEOUT, context=_tls(ca_bundle))


@functools.cache
def _tls(ca_bundle: str | None) -> Any:
    """The TLS context botocore would use: AWS_CA_BUNDLE's CAs, else certifi's (botocore's
    own dependency), else the system's."""
    import ssl

    cafile = ca_bundle
    if cafile is None:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:
            pass
    return ssl.create_default_context(cafile=cafile)


def _back_off(attempt: int) -> None:
    """Exponential back-off with full jitter, capped at 20 s (botocore's standard mode)."""
    time.sleep(random.uniform(0, min(20.0, 0.5 * 2 ** (attempt - 1))))


def _metadata(answer: _Answer) -> dict[str, Any]:
    return {
        "HTTPStatusCode": answer.status,
        "RequestId": answer.headers.get("x-amzn-requestid", ""),
        "HTTPHeaders": answer.headers,
        "RetryAttempts": 0,
    }


class _Pages:
    """botocore's paginator for one operation: `paginate(**params)` yields each page."""

    def __init__(self, call: Callable[..., dict[str, Any]], token_in: str, token_out: str):
        self._call, self._in, self._out = call, token_in, token_out

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self._call(**params)
            yield page
            token = page.get(self._out)
            if not token:
                return
            params = params | {self._in: token}


class LambdaClient(DirectClient):
    """Lambda's REST-JSON API (2015-03-31) for the calls of a deploy's fast path."""

    service = "lambda"

    def _json(
        self,
        operation: str,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        kept = {k: str(v) for k, v in (query or {}).items() if v is not None}
        answer = self._call(
            operation, method, path, kept, data, "application/json" if body is not None else None
        )
        found: dict[str, Any] = (
            _without_nulls(json.loads(answer.body)) if answer.body.strip() else {}
        )
        found["ResponseMetadata"] = _metadata(answer)
        return found

    def get_function_configuration(
        self, *, FunctionName: str, Qualifier: str | None = None
    ) -> dict[str, Any]:
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/configuration"
        return self._json("GetFunctionConfiguration", "GET", path, {"Qualifier": Qualifier})

    def list_versions_by_function(
        self, *, FunctionName: str, Marker: str | None = None, MaxItems: int | None = None
    ) -> dict[str, Any]:
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/versions"
        query = {"Marker": Marker, "MaxItems": MaxItems}
        return self._json("ListVersionsByFunction", "GET", path, query)

    def update_function_code(self, *, FunctionName: str, **fields: Any) -> dict[str, Any]:
        if isinstance(fields.get("ZipFile"), bytes):  # a blob: base64 in JSON, as botocore sends it
            fields["ZipFile"] = base64.b64encode(fields["ZipFile"]).decode()
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/code"
        return self._json("UpdateFunctionCode", "PUT", path, body=fields)

    def publish_version(self, *, FunctionName: str, **fields: Any) -> dict[str, Any]:
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/versions"
        return self._json("PublishVersion", "POST", path, body=fields)

    def get_alias(self, *, FunctionName: str, Name: str) -> dict[str, Any]:
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/aliases/{_segment(Name)}"
        return self._json("GetAlias", "GET", path)

    def update_alias(self, *, FunctionName: str, Name: str, **fields: Any) -> dict[str, Any]:
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/aliases/{_segment(Name)}"
        return self._json("UpdateAlias", "PUT", path, body=fields)

    def create_alias(self, *, FunctionName: str, **fields: Any) -> dict[str, Any]:
        path = f"/2015-03-31/functions/{_segment(FunctionName)}/aliases"
        return self._json("CreateAlias", "POST", path, body=fields)

    def get_function_url_config(
        self, *, FunctionName: str, Qualifier: str | None = None
    ) -> dict[str, Any]:
        path = f"/2021-10-31/functions/{_segment(FunctionName)}/url"
        return self._json("GetFunctionUrlConfig", "GET", path, {"Qualifier": Qualifier})

    def get_paginator(self, operation: str) -> Any:
        if operation == "list_versions_by_function":
            return _Pages(self.list_versions_by_function, "Marker", "NextMarker")
        return self._fallback().get_paginator(operation)

    def _error(self, answer: _Answer) -> dict[str, Any]:
        """Lambda's error: its code in x-amzn-ErrorType (or the body's __type), its message
        in the body."""
        try:
            body = json.loads(answer.body)
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = answer.headers.get("x-amzn-errortype", "").split(":")[0]
        code = code or str(body.get("__type") or body.get("code") or answer.status)
        message = str(body.get("message") or body.get("Message") or "")
        return {
            "Error": {"Code": code.rsplit("#", 1)[-1], "Message": message},
            "ResponseMetadata": _metadata(answer),
        }


def _without_nulls(value: Any) -> Any:
    """JSON as botocore parses it: a member that is null is left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _segment(value: str) -> str:
    """A path parameter as botocore sends it (an ARN's ':' encoded too)."""
    return quote(value, safe="")


# CloudFormation's members that are lists: an empty one comes back as an empty element.
_CLOUDFORMATION_LISTS = frozenset(
    {
        "Stacks",
        "Parameters",
        "Outputs",
        "Tags",
        "Capabilities",
        "NotificationARNs",
        "StackResourceSummaries",
        "StagesAvailable",
        "RollbackTriggers",
    }
)


# Its members that are timestamps and booleans (in the answers of the calls made here).
_CLOUDFORMATION_TIMES = frozenset(
    {"CreationTime", "LastUpdatedTime", "DeletionTime", "LastUpdatedTimestamp", "Timestamp"}
)
_CLOUDFORMATION_FLAGS = frozenset(
    {"DisableRollback", "EnableTerminationProtection", "RetainExceptOnCreate"}
)


class CloudFormationClient(DirectClient):
    """CloudFormation's query API (2010-05-15) for the reads of a deploy's fast path."""

    service = "cloudformation"

    def _query(self, operation: str, **params: Any) -> dict[str, Any]:
        fields = {"Action": operation, "Version": "2010-05-15"}
        fields |= {k: str(v) for k, v in params.items() if v is not None}
        body = urlencode(fields).encode()
        content_type = "application/x-www-form-urlencoded; charset=utf-8"
        answer = self._call(operation, "POST", "/", body=body, content_type=content_type)
        from xml.etree import ElementTree

        root = ElementTree.fromstring(answer.body)
        result = _child(root, f"{operation}Result")
        found = _xml_value(result) if result is not None else {}
        found = found if isinstance(found, dict) else {}
        found["ResponseMetadata"] = _metadata(answer)
        return found

    def describe_stacks(
        self, *, StackName: str | None = None, NextToken: str | None = None
    ) -> dict[str, Any]:
        return self._query("DescribeStacks", StackName=StackName, NextToken=NextToken)

    def get_template(
        self, *, StackName: str, ChangeSetName: str | None = None, TemplateStage: str | None = None
    ) -> dict[str, Any]:
        found = self._query(
            "GetTemplate",
            StackName=StackName,
            ChangeSetName=ChangeSetName,
            TemplateStage=TemplateStage,
        )
        # A JSON body parsed, as botocore's handler does; a YAML one stays text.
        with contextlib.suppress(ValueError):
            found["TemplateBody"] = json.loads(found.get("TemplateBody", ""))
        return found

    def list_stack_resources(
        self, *, StackName: str, NextToken: str | None = None
    ) -> dict[str, Any]:
        return self._query("ListStackResources", StackName=StackName, NextToken=NextToken)

    def get_paginator(self, operation: str) -> Any:
        if operation == "list_stack_resources":
            return _Pages(self.list_stack_resources, "NextToken", "NextToken")
        return self._fallback().get_paginator(operation)

    def _error(self, answer: _Answer) -> dict[str, Any]:
        """CloudFormation's error: <ErrorResponse><Error><Code>, <Message>."""
        from xml.etree import ElementTree

        code, message = str(answer.status), ""
        try:
            root = ElementTree.fromstring(answer.body)
        except ElementTree.ParseError:
            root = None
        error = _child(root, "Error") if root is not None else None
        if error is not None:
            details = _xml_value(error)
            if isinstance(details, dict):
                code = str(details.get("Code") or code)
                message = str(details.get("Message") or "")
        return {"Error": {"Code": code, "Message": message}, "ResponseMetadata": _metadata(answer)}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Any, name: str) -> Any:
    """The first element named `name` at or below `element`, namespaces ignored."""
    for found in element.iter():
        if _local(found.tag) == name:
            return found
    return None


def _xml_value(element: Any) -> Any:
    """A query-protocol element as botocore shapes it: <member> children a list, other
    children a dict, a leaf its text ('' if empty, [] for a list member, a datetime or a
    bool for CloudFormation's times and flags)."""
    children = list(element)
    name = _local(element.tag)
    if not children:
        if name in _CLOUDFORMATION_LISTS:
            return []
        text = element.text or ""
        if name in _CLOUDFORMATION_TIMES:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        return text == "true" if name in _CLOUDFORMATION_FLAGS else text
    if all(_local(child.tag) == "member" for child in children):
        return [_xml_value(child) for child in children]
    return {_local(child.tag): _xml_value(child) for child in children}


_CLIENTS: dict[str, type[DirectClient]] = {
    LambdaClient.service: LambdaClient,
    CloudFormationClient.service: CloudFormationClient,
}


def direct_client(service: str, config: DirectConfig, fallback: Callable[[], Any]) -> DirectClient:
    """The direct client for `service` (one of DIRECT_SERVICES); `fallback` makes botocore's."""
    return _CLIENTS[service](config, fallback)
