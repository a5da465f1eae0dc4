"""AWS Signature Version 4 for the direct client (`_direct_aws`): the headers that sign one
request, by AWS's documented algorithm (a canonical request, a string to sign, a key derived
from the secret by date, region and service). No I/O; the tests check it against botocore's
own signer."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

__all__ = ["Credentials", "signed_headers"]

ALGORITHM = "AWS4-HMAC-SHA256"
# Headers a proxy or the HTTP layer may change on the way: never signed (as AWS's SDKs do).
UNSIGNED = frozenset({"user-agent", "expect", "transfer-encoding", "x-amzn-trace-id"})


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:  # never the secret, in a traceback or a log
        return f"Credentials(access_key={self.access_key!r}, secret_key=..., token=...)"


def signed_headers(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """`headers` plus X-Amz-Date, the session token if any, and Authorization (Host is
    signed as the URL names it; http.client sends that). `url` is as sent: its path already
    percent-encoded once; `now` in UTC."""
    parts = urlsplit(url)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    payload_hash = hashlib.sha256(body).hexdigest()
    signed = {
        k.lower(): " ".join(v.split()) for k, v in headers.items() if k.lower() not in UNSIGNED
    }
    signed |= {"host": _host(parts.scheme, parts.netloc), "x-amz-date": stamp}
    if credentials.token:
        signed["x-amz-security-token"] = credentials.token
    names = ";".join(sorted(signed))
    canonical = "\n".join(
        [
            method.upper(),
            # Services other than S3 sign the path encoded once more than it is sent.
            quote(parts.path or "/", safe="/~"),
            _canonical_query(parts.query),
            "".join(f"{name}:{signed[name]}\n" for name in sorted(signed)),
            names,
            payload_hash,
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _signing_key(credentials.secret_key, stamp[:8], region, service)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    out = dict(headers)
    out["X-Amz-Date"] = stamp
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    out["Authorization"] = authorization
    return out


def _host(scheme: str, netloc: str) -> str:
    """The Host header http.client sends (and botocore signs): without the scheme's default
    port."""
    default = {"https": ":443", "http": ":80"}.get(scheme, "")
    return netloc[: -len(default)] if default and netloc.endswith(default) else netloc


def _canonical_query(query: str) -> str:
    """The query's pairs, each part encoded as AWS asks (RFC 3986 unreserved kept), sorted."""
    from urllib.parse import parse_qsl

    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
