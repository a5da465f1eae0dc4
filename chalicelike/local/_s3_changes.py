"""S3's object changes as the embedded endpoint answers them, for S3 event delivery.

`S3Tap` wraps the endpoint's WSGI app: after a 2xx answer to a request that created or
removed an object it publishes an `S3Change` to an `S3ChangeFeed`, which hands it to the
server's asyncio loop. moto's own notifications miss copies, deletes and multipart uploads.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    import asyncio
    from xml.etree.ElementTree import Element

__all__ = ["S3Change", "S3ChangeFeed", "S3Tap"]

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Query parameters that name no sub-resource: a presigned URL's signature (SigV4, or
# S3's SigV2, which boto3 still presigns with), and the operation name newer SDKs add
# (the JavaScript v3 and Go v2 SDKs send `PUT /key?x-id=PutObject`).
_NOT_SUB_RESOURCES = re.compile(r"(?i)x-amz-[a-z0-9-]+|x-id|AWSAccessKeyId|Signature|Expires")
# A form upload (POST Object) buffered this far to read its fields; S3 takes no larger file
# through a form than 5 GB, but a local form upload is a browser's few megabytes.
_FORM_LIMIT = 256 * 1024 * 1024
_sequence_lock = threading.Lock()
_last_sequence = 0


@dataclass(frozen=True)
class S3Change:
    """One object created or removed, with what S3's event records say about it."""

    event_name: str  # as in a notification: "ObjectCreated:Put", "ObjectRemoved:Delete"
    bucket: str
    key: str  # the real key, decoded
    size: int | None  # None when the answer did not say (copy, multipart): HeadObject it
    etag: str | None  # without quotes, as S3's events write it
    version_id: str | None  # on versioned buckets only
    sequencer: str  # grows with each change: S3 orders one key's events by it
    source_ip: str
    request_id: str
    host_id: str  # x-amz-id-2
    time: datetime  # UTC

    @property
    def created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")


class S3ChangeFeed:
    """Changes from moto's request threads to subscribers on the server's asyncio loop.

    Creatable before the loop runs: changes published before `attach` are kept and handed
    out on the loop's first turn after it (start the sources in the same step as `attach`).
    """

    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[S3Change] = []
        self._subscribers: list[Callable[[S3Change], None]] = []
        self._log = log or (lambda line: print(line, file=sys.stderr))

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._loop = loop
            pending, self._pending = self._pending, []
            for change in pending:
                loop.call_soon_threadsafe(self._deliver, change)

    def detach(self) -> None:
        """The loop is going away: changes wait again for the next `attach`."""
        with self._lock:
            self._loop = None

    def publish(self, change: S3Change) -> None:
        """Thread-safe: called in moto's request threads."""
        with self._lock:  # held while scheduling, so changes reach the loop in order
            if self._loop is not None:
                try:
                    self._loop.call_soon_threadsafe(self._deliver, change)
                    return
                except RuntimeError:  # the loop closed without a detach
                    self._loop = None
            self._pending.append(change)

    def subscribe(self, callback: Callable[[S3Change], None]) -> Callable[[], None]:
        """`callback(change)` on the loop for every change; returns the unsubscribe call."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _deliver(self, change: S3Change) -> None:
        for callback in list(self._subscribers):
            try:
                callback(change)
            except Exception as error:  # one subscriber's bug must not starve the others
                self._log(f"chalicelike local: s3 {change.bucket}: a subscriber failed: {error!r}")


@dataclass(frozen=True)
class _ObjectRequest:
    """What the tap needs to know of an S3 request before moto answers it."""

    method: str
    bucket: str
    key: str
    query: dict[str, str]
    environ: dict[str, Any]


class S3Tap:
    """WSGI middleware around moto: publishes each object change S3 would notify about."""

    def __init__(self, app: WsgiApp, publish: Callable[[S3Change], None]) -> None:
        self.app = app
        self.publish = publish

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = _object_request(environ)
        if request is None:
            return self.app(environ, start_response)
        form = _buffer_form(environ) if _is_form_upload(request) else None
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = {name.lower(): value for name, value in headers}
            return start_response(status, headers, *exc_info)

        body = self.app(environ, capture)
        needs_body = request.method == "POST" and "delete" in request.query
        if needs_body:  # a multi-object delete's answer lists what went: read it whole
            body = _read_all(body)
        # moto answered synchronously: the object is stored (or gone) by now.
        status = answer.get("status", 500)
        if 200 <= status < 300:
            content = b"".join(body) if needs_body else b""
            try:
                for change in changes_of(request, answer["headers"], content, form):
                    self.publish(change)
            except Exception as error:  # S3 did its work: a fault of ours must not fail it
                line = f"chalicelike local: an S3 change was not published: {error!r}"
                print(line, file=sys.stderr)
        return body


def _read_all(body: Iterable[bytes]) -> list[bytes]:
    try:
        return [b"".join(body)]
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _object_request(environ: dict[str, Any]) -> _ObjectRequest | None:
    """The S3 request if it may create or remove objects; None for anything else."""
    method = environ.get("REQUEST_METHOD", "")
    if method not in ("PUT", "POST", "DELETE"):
        return None
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if not _is_s3(environ, query):
        return None
    raw_path = _raw_path(environ)
    if raw_path.startswith("/v20180820/"):  # S3 Control, not buckets
        return None
    path = unquote(raw_path)  # as moto decodes it: '+' in a path is a plus
    virtual_bucket = _virtual_host_bucket(environ.get("HTTP_HOST", ""))
    if virtual_bucket is not None:
        bucket, key = virtual_bucket, path[1:]
    else:
        bucket, _, key = path[1:].partition("/")
    if not bucket:
        return None
    return _ObjectRequest(method, bucket, key, query, environ)


def _is_s3(environ: dict[str, Any], query: dict[str, str]) -> bool:
    """S3 by its SigV4 credential scope (header, or a presigned URL's query). SigV2 (a
    header "AWS key:signature", or a URL's AWSAccessKeyId) is S3's alone today; a form
    upload is signed inside its body, and moto serves such unsigned requests as S3."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    credential = ""
    if authorization.startswith("AWS4-"):
        match = re.search(r"Credential=([^,\s]+)", authorization)
        credential = match.group(1) if match else ""
    else:
        credential = next((v for k, v in query.items() if k.lower() == "x-amz-credential"), "")
    if credential:
        parts = credential.split("/")
        return len(parts) == 5 and parts[3] == "s3"
    if authorization.startswith("AWS ") or "AWSAccessKeyId" in query:
        return True
    return not authorization and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")


def _raw_path(environ: dict[str, Any]) -> str:
    """The path before werkzeug decoded it (a key's encoded '/' stays one)."""
    raw: str = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
    path = urlsplit(raw).path if "://" in raw.split("?", 1)[0] else raw.split("?", 1)[0]
    return path if path.startswith("/") else "/" + path


def _virtual_host_bucket(host: str) -> str | None:
    """'photos.localhost:4566' -> 'photos' (moto reads the first label, so do we)."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    if name.endswith(".localhost") and name != "localhost":
        return name.split(".", 1)[0]
    return None


def _is_form_upload(request: _ObjectRequest) -> bool:
    content_type = request.environ.get("CONTENT_TYPE", "")
    return (
        request.method == "POST"
        and not request.key
        and not request.query
        and content_type.startswith("multipart/form-data")
    )


def _buffer_form(environ: dict[str, Any]) -> bytes | None:
    """The form's bytes, read before moto does and put back for it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= _FORM_LIMIT:
        return None
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = BytesIO(body)
    return body


def changes_of(
    request: _ObjectRequest, headers: dict[str, str], body: bytes, form: bytes | None = None
) -> Iterator[S3Change]:
    """The changes a 2xx answer to `request` made (none for a sub-resource such as ?tagging)."""
    extra = {name for name in request.query if not _NOT_SUB_RESOURCES.fullmatch(name)}
    # moto answers "null" on an unversioned bucket; S3's records then carry no versionId.
    version = headers.get("x-amz-version-id")
    version = None if version == "null" else version
    if request.method == "PUT" and request.key and not extra:
        if request.environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            yield _change(request, "ObjectCreated:Copy", request.key, None, None, version)
        else:
            size = _put_size(request.environ)
            etag = _unquoted(headers.get("etag"))
            yield _change(request, "ObjectCreated:Put", request.key, size, etag, version)
    elif request.method == "DELETE" and request.key and extra <= {"versionId"}:
        marker = headers.get("x-amz-delete-marker", "").lower() == "true"
        name = "ObjectRemoved:Delete"
        if marker and "versionId" not in extra:
            name = "ObjectRemoved:DeleteMarkerCreated"
        yield _change(request, name, request.key, None, None, version)
    elif request.method == "POST" and request.key and extra == {"uploadId"}:
        name = "ObjectCreated:CompleteMultipartUpload"
        yield _change(request, name, request.key, None, None, version)
    elif request.method == "POST" and not request.key and extra == {"delete"}:
        yield from _deleted(request, body)
    elif _is_form_upload(request) and form is not None:
        fields = _form_fields(form, request.environ.get("CONTENT_TYPE", ""))
        if "key" in fields and "file" in fields:
            data, key = fields["file"], fields["key"].decode(errors="replace")
            etag = hashlib.md5(data, usedforsecurity=False).hexdigest()  # S3's single-part ETag
            yield _change(request, "ObjectCreated:Post", key, len(data), etag, version)


def _deleted(request: _ObjectRequest, body: bytes) -> Iterator[S3Change]:
    """One change per key a DeleteObjects answer lists as Deleted."""
    from xml.etree import ElementTree  # moto's own answer, not a stranger's XML

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return
    for element in root:
        if _tag(element) != "Deleted":
            continue
        fields = {_tag(child): child.text or "" for child in element}
        key = fields.get("Key", "")
        version: str | None
        if "VersionId" in fields:  # one version removed for good (a marker, too)
            name, version = "ObjectRemoved:Delete", fields["VersionId"]
        elif fields.get("DeleteMarker") == "true":
            name, version = "ObjectRemoved:DeleteMarkerCreated", fields.get("DeleteMarkerVersionId")
        else:
            name, version = "ObjectRemoved:Delete", None
        yield _change(request, name, key, None, None, version)


def _tag(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _put_size(environ: dict[str, Any]) -> int | None:
    # A streamed (aws-chunked) body says its real length apart from the chunk framing.
    for name in ("HTTP_X_AMZ_DECODED_CONTENT_LENGTH", "CONTENT_LENGTH"):
        value = environ.get(name)
        if value and value.isdigit():
            return int(value)
    return None


def _unquoted(etag: str | None) -> str | None:
    return etag.strip('"') if etag else None


def _form_fields(body: bytes, content_type: str) -> dict[str, bytes]:
    """A multipart form's fields by name (S3 takes the file as the last one)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return {}
    fields: dict[str, bytes] = {}
    for part in body.split(b"--" + match.group(1).encode())[1:]:
        head, separator, value = part.partition(b"\r\n\r\n")
        name = re.search(rb'(?i)[;\s]name="([^"]*)"', head)
        if separator and name is not None:
            fields.setdefault(name.group(1).decode().lower(), value.removesuffix(b"\r\n"))
    return fields


def _change(
    request: _ObjectRequest,
    event_name: str,
    key: str,
    size: int | None,
    etag: str | None,
    version_id: str | None,
) -> S3Change:
    return S3Change(
        event_name=event_name,
        bucket=request.bucket,
        key=key,
        size=size,
        etag=etag,
        version_id=version_id,
        sequencer=_next_sequencer(),
        source_ip=request.environ.get("REMOTE_ADDR", "127.0.0.1"),
        request_id=secrets.token_hex(8).upper(),  # S3's are 16 hex digits
        host_id=base64.b64encode(secrets.token_bytes(48)).decode(),
        time=datetime.now(timezone.utc),
    )


def _next_sequencer() -> str:
    # S3's sequencer is a hex string that only grows for one key (compare equal-length
    # ones as text); ours grows for all: microseconds, one more if the clock stood still.
    global _last_sequence
    with _sequence_lock:
        _last_sequence = max(_last_sequence + 1, time.time_ns() // 1000)
        return f"{_last_sequence:018X}"
