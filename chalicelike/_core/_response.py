"""What a view returns, and how it becomes status, header lines and body bytes.

`Response` is Chalice's: a body (str, bytes or anything JSON can encode), headers
(a list value means the header is sent once per item) and a status code.
`render` is the one place a response is checked and serialised; every front
door (ASGI, the test client, Lambda) sends what it returns.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence

from ._errors import InvalidResponseError

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from ._lean_types import lean_record

__all__ = [
    "DEFAULT_BINARY_TYPES",
    "RenderedResponse",
    "Response",
    "error_response",
    "handle_extra_types",
    "header_bytes",
    "json_default",
    "json_text_of",
    "lowered_media_types",
    "media_type_in",
    "media_type_matches",
    "render",
    "render_body",
    "split_headers",
]

# Chalice's default binary media types: answers of these types travel base64-encoded
# through API Gateway (which must list them as the API's binary media types).
DEFAULT_BINARY_TYPES = (
    "application/octet-stream", "application/x-tar", "application/zip",
    "audio/basic", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav",
    "audio/webm", "image/png", "image/jpg", "image/jpeg", "image/gif",
    "video/ogg", "video/mpeg", "video/webm",
)  # fmt: skip


class Response:
    """A view's answer: `Response(body, headers=None, status_code=200)`."""

    def __init__(
        self,
        body: Any,
        headers: dict[str, str | list[str]] | None = None,
        status_code: int = 200,
    ) -> None:
        self.body = body
        self.headers: dict[str, str | list[str]] = {} if headers is None else headers
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"Response(status_code={self.status_code}, headers={self.headers!r})"

    def to_dict(self, binary_types: Sequence[str] | None = None) -> dict[str, Any]:
        """This response as an API Gateway REST (payload 1.0) proxy answer, as Chalice gives it.

        Only the response's own headers (API Gateway labels an answer without a
        Content-Type as JSON); `isBase64Encoded` only when true. A body whose Content-Type
        (JSON when none is given) is one of `binary_types` is base64-encoded; so is any
        body that is not UTF-8 text, which Chalice would hand to Lambda as raw bytes.
        """
        rendered = render(self)
        lines = rendered.headers[:-1] if rendered.content_type_added else rendered.headers
        single, multi = split_headers(lines, rendered.listed)
        answer: dict[str, Any] = {
            "headers": single,
            "multiValueHeaders": multi,
            "statusCode": rendered.status_code,
        }
        content_type = rendered.headers[-1][1] if rendered.content_type_added else ""
        for name, value in lines:
            if name.lower() == "content-type":
                content_type = value
        text: str | None = None
        if not (binary_types and media_type_matches(content_type, binary_types)):
            try:
                text = rendered.body.decode("utf-8")
            except UnicodeDecodeError:
                text = None  # never raw bytes: Lambda could not send them (Chalice would)
        if text is None:
            import binascii  # here: a binary answer is rare, the module's load is not free

            answer["body"] = binascii.b2a_base64(rendered.body, newline=False).decode("ascii")
            answer["isBase64Encoded"] = True
        else:
            answer["body"] = text
        return answer


def split_headers(
    lines: Sequence[tuple[str, str]], listed: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """REST's two header fields: names given a list (or sent more than once) go to the second."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in lines:
        if name in multi:
            multi[name].append(value)
        elif name in single:
            multi[name] = [single.pop(name), value]
        elif name in listed:
            multi[name] = [value]
        else:
            single[name] = value
    return single, multi


def media_type_matches(content_type: str, media_types: Sequence[str]) -> bool:
    """Whether a Content-Type value is one of `media_types` ('*/*' and 'type/*' allowed)."""
    return media_type_in(content_type, lowered_media_types(media_types))


def media_type_in(content_type: str, accepted: frozenset[str]) -> bool:
    """The same test against a set made once by lowered_media_types."""
    if not accepted:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (
        media_type in accepted
        or "*/*" in accepted
        or media_type.split("/", 1)[0] + "/*" in accepted
    )


def lowered_media_types(media_types: Sequence[str]) -> frozenset[str]:
    """Media types as a lower-case set, cached by content: appends to the list still count."""
    return _lowered(tuple(media_types))


@functools.lru_cache(maxsize=32)
def _lowered(media_types: tuple[str, ...]) -> frozenset[str]:
    # Keyed by the list's contents, so appending to app.api.binary_types still counts.
    return frozenset(m.lower() for m in media_types)


if TYPE_CHECKING:

    class RenderedResponse(NamedTuple):
        """A response ready for the wire: header names as given, values checked.

        When the response named no Content-Type, the last header line is the one `render`
        added (`content_type_added`): the wire needs it, Chalice's REST dicts leave it out.
        `listed` names the headers given as a list, which REST answers send as multi-value.
        """

        status_code: int
        headers: list[tuple[str, str]]
        body: bytes
        content_type_added: bool = False
        listed: tuple[str, ...] = ()

else:  # the same tuple without typing's NamedTuple or namedtuple's cost, for the cold start
    RenderedResponse = lean_record(
        "RenderedResponse",
        ("status_code", "headers", "body", "content_type_added", "listed"),
        (False, ()),
    )


def json_default(value: Any) -> Any:
    """Encode what json cannot: Decimal (as DynamoDB returns numbers), datetimes, mappings."""
    # Imported here, not at the top: json calls this only for values JSON cannot encode,
    # and datetime + decimal cost a Lambda cold start ~6 ms.
    import datetime
    import decimal

    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            # JSON has no NaN or Infinity; json.dumps would write a body no client parses.
            raise ValueError(f"Decimal {value} is not a finite number")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def handle_extra_types(value: Any) -> Any:
    """A `default=` for json.dumps, as chalice.app offers: Decimal as float, mappings as dicts."""
    import decimal

    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, Mapping):  # MultiDict: the last value of each key
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make_encoder() -> Any:
    """A compact JSON encoder built once, called `(value, 0)` for a sequence of chunks;
    NaN and Infinity refused (they are not JSON)."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # no C accelerator: the pure-Python encoder, same output
        encoder = json.JSONEncoder(separators=(",", ":"), default=json_default, allow_nan=False)
        return lambda value, _level: (encoder.encode(value),)
    # json.dumps builds this C encoder again on every call; building it once halves the
    # cost of a small body. No circular-reference markers: a cycle ends in RecursionError.
    return c_make_encoder(
        None, json_default, json.encoder.encode_basestring_ascii, None,
        ":", ",", False, False, False,
    )  # fmt: skip


_iterencode = _make_encoder()


def render(response: Response) -> RenderedResponse:
    """Check and serialise a response; raise InvalidResponseError naming what is wrong."""
    status = response.status_code
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidResponseError(f"Bad status code {status!r}: it must be an int from 100 to 599")
    headers = response.headers
    if not headers and type(headers) is dict:  # the usual answer names no header
        return render_body(response.body, status)
    return _render_headers(status, headers, _body_bytes(response.body))


def render_body(body: Any, status: int = 200) -> RenderedResponse:
    """`render(Response(body, status_code=status))` without the Response and its checks: a
    view's own return value, or a Response of no headers whose status render checked."""
    # tuple.__new__ skips the record's Python __new__: this runs on most invokes.
    return _new_tuple(RenderedResponse, (status, [_JSON_LINE], _body_bytes(body), True, ()))


_new_tuple = tuple.__new__
# API Gateway labels a proxy answer without Content-Type as JSON; so do we on the wire.
_JSON_LINE = ("Content-Type", "application/json")


def _body_bytes(body: Any) -> bytes:
    """A body's bytes: as given, a text's UTF-8, or JSON (InvalidResponseError saying why it
    cannot be)."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json_text_of(body).encode("utf-8")


def json_text_of(body: Any) -> str:
    """A body as JSON text (ASCII), or InvalidResponseError saying why it cannot be."""
    try:
        return "".join(_iterencode(body, 0))
    except Exception as error:
        raise _unencodable(error) from _cause(error)


def _unencodable(error: Exception) -> InvalidResponseError:
    if isinstance(error, RecursionError):
        return InvalidResponseError(
            "Response body cannot be encoded as JSON: it refers to itself "
            "(a circular reference) or is nested too deeply"
        )
    if isinstance(error, (TypeError, ValueError)):
        return InvalidResponseError(f"Response body cannot be encoded as JSON: {error}")
    # A Mapping or __iter__ of the body's own raised.
    return InvalidResponseError(
        f"Response body cannot be encoded as JSON: encoding it raised "
        f"{type(error).__name__}: {error}"
    )


def _cause(error: Exception) -> Exception | None:
    # Our own messages say all about JSON's errors; another error is chained as the cause.
    return None if isinstance(error, (RecursionError, TypeError, ValueError)) else error


def _render_headers(status: int, raw_headers: Any, body_bytes: bytes) -> RenderedResponse:
    if not isinstance(raw_headers, Mapping):
        raise InvalidResponseError(
            f"Response headers must be a dict, not {type(raw_headers).__name__}"
        )
    headers: list[tuple[str, str]] = []
    listed: tuple[str, ...] = ()
    has_content_type = False
    for name, value in raw_headers.items():
        _check_header_name(name)
        if not has_content_type and name.lower() == "content-type":
            has_content_type = True
        if isinstance(value, list):
            listed += (name,)
            for item in value:
                headers.append((name, _checked_header(name, item)))
        else:
            headers.append((name, _checked_header(name, value)))
    if has_content_type:
        return RenderedResponse(status, headers, body_bytes, False, listed)
    headers.append(_JSON_LINE)
    return RenderedResponse(status, headers, body_bytes, True, listed)


# RFC 9110 section 5.6.2: a field name is a token; servers (h11, httptools) refuse others.
# Patterns, not compiled at import (0.3 ms of a cold start): re compiles and caches them
# on first use, which a new header name or an unusual value reaches.
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# Control characters other than HTAB are not allowed in a field value (RFC 9110 5.5).
_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f]"


# Names already checked: an app sends the same few header names again and again.
_GOOD_NAMES: set[str] = set()


def _check_header_name(name: Any) -> None:
    if name in _GOOD_NAMES:
        return
    if not isinstance(name, str) or not re.fullmatch(_TOKEN, name):
        raise InvalidResponseError(
            f"Bad header name {name!r}: it must be a non-empty token "
            "(letters, digits and !#$%&'*+-.^_`|~)"
        )
    if len(_GOOD_NAMES) < 1024:
        _GOOD_NAMES.add(name)


def _checked_header(name: str, raw_value: Any) -> str:
    if isinstance(raw_value, str):
        value = raw_value
    else:
        try:
            value = str(raw_value)
        except Exception as error:  # the value's own __str__ raised
            raise InvalidResponseError(
                f"Bad value for header {name!r}: str() of it raised {type(error).__name__}"
            ) from error
    # The common case in two C calls: printable ASCII with no space at either end.
    if value.isascii() and value.isprintable() and value.strip(" ") == value:
        return value
    if re.search(_CONTROL, value):
        what = "CR or LF" if "\n" in value or "\r" in value else "control characters"
        raise InvalidResponseError(
            f"Bad value for header {name!r}: {value!r}; header values cannot contain {what}"
        )
    # Surrounding whitespace is not part of a field value (RFC 9110 5.5); h11 refuses it.
    # Text beyond Latin-1 (filename="文件.pdf") passes, as in Chalice and API Gateway:
    # front doors that write bytes send it as UTF-8 (header_bytes).
    return value.strip(" \t")


def header_bytes(value: str) -> bytes:
    """A header value as bytes: Latin-1 (HTTP's historical charset) if it fits, else UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def error_response(
    code: str, message: str, status_code: int, headers: dict[str, str | list[str]] | None = None
) -> Response:
    """A Chalice-shaped error answer: {"Code": ..., "Message": ...}."""
    return Response({"Code": code, "Message": message}, headers=headers, status_code=status_code)
