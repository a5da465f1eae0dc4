"""The direct client's SigV4 signer (`_sigv4`): AWS's own documented test vector, and the
same Authorization header as botocore's signer for the requests a deploy sends (Lambda's
REST paths with ARNs, queries, CloudFormation's form posts, session tokens, JSON bodies)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelike.deploy._sigv4 import Credentials, signed_headers

# AWS's SigV4 test suite (get-vanilla): its keys, clock, region and service.
EXAMPLE_KEY = "AKIDEXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EXAMPLE_NOW = datetime(2015, 8, 30, 12, 36, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 6, 14, 5, 9, tzinfo=timezone.utc)
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:bookshop-dev"
USER_AGENT = "chalicelike-deploy (direct)"


def botocore_headers(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """The headers botocore's own SigV4Auth adds to the same request at the same instant
    (its clock frozen where `add_auth` reads it)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    frozen = now.replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_a, **_k: frozen)
    request = botocore.awsrequest.AWSRequest(
        method=method, url=url, headers=dict(headers), data=body
    )
    keys = botocore.credentials.Credentials(
        credentials.access_key, credentials.secret_key, credentials.token
    )
    botocore.auth.SigV4Auth(keys, service, region).add_auth(request)
    return dict(request.headers.items())


def botocore_query(params: dict[str, str]) -> str:
    """A query string as botocore writes it into the URL it sends (RFC 3986, '%20')."""
    from botocore.utils import percent_encode_sequence

    return str(percent_encode_sequence(params))


def test_aws_get_vanilla_vector() -> None:
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET)
    out = signed_headers(
        "GET",
        "https://example.amazonaws.com/",
        {},
        b"",
        credentials,
        "us-east-1",
        "service",
        EXAMPLE_NOW,
    )
    assert out["X-Amz-Date"] == "20150830T123600Z"
    assert out["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
    assert "X-Amz-Security-Token" not in out


def test_a_different_secret_changes_the_signature() -> None:
    """The vector above is not a constant the signer happens to print."""
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET + "x")
    url = "https://example.amazonaws.com/"
    out = signed_headers("GET", url, {}, b"", credentials, "us-east-1", "service", EXAMPLE_NOW)
    assert "Signature=5fa00fa3" not in out["Authorization"]


# Each case: method, URL as the direct client sends it, URL as botocore sends it, headers,
# body, session token, region, service.
CASES: dict[str, tuple[str, str, str, dict[str, str], bytes, str | None, str, str]] = {
    # An ARN in a path segment: ':' sent as %3A, and signed encoded once more (%253A), as
    # every service but S3 expects.
    "lambda-arn-path": (
        "GET",
        f"https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/"
        f"{ARN.replace(':', '%3A')}/configuration?Qualifier=%24LATEST",
        f"https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/"
        f"{ARN.replace(':', '%3A')}/configuration?Qualifier=%24LATEST",
        {"User-Agent": USER_AGENT},
        b"",
        None,
        "eu-west-1",
        "lambda",
    ),
    # Several parameters, out of order, with characters RFC 3986 reserves, a space (the
    # direct client's urlencode writes '+', botocore '%20': both sign '%20'), unicode and
    # an empty value.
    "query-special-characters": (
        "GET",
        "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/versions?"
        + urlencode(
            {
                "Marker": "a b/c+d=e:f~g*h",
                "MaxItems": "50",
                "Empty": "",
                "Ünï": "çödé!'()",
            }
        ),
        "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/versions?"
        + botocore_query(
            {
                "Marker": "a b/c+d=e:f~g*h",
                "MaxItems": "50",
                "Empty": "",
                "Ünï": "çödé!'()",
            }
        ),
        {"User-Agent": USER_AGENT},
        b"",
        None,
        "us-east-1",
        "lambda",
    ),
    # CloudFormation's query protocol: a form POST to '/'.
    "cloudformation-form-post": (
        "POST",
        "https://cloudformation.us-east-1.amazonaws.com/",
        "https://cloudformation.us-east-1.amazonaws.com/",
        {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        },
        urlencode(
            {"Action": "DescribeStacks", "Version": "2010-05-15", "StackName": "bookshop dev"}
        ).encode(),
        None,
        "us-east-1",
        "cloudformation",
    ),
    # Temporary credentials: X-Amz-Security-Token is sent and signed.
    "session-token": (
        "GET",
        "https://lambda.ap-southeast-2.amazonaws.com/2015-03-31/functions/f/aliases/live",
        "https://lambda.ap-southeast-2.amazonaws.com/2015-03-31/functions/f/aliases/live",
        {"User-Agent": USER_AGENT},
        b"",
        "FwoGZXIvYXdzEJr//////////wEaDL+token/with=padding==",
        "ap-southeast-2",
        "lambda",
    ),
    # A JSON body (UpdateFunctionCode) with its Content-Type; extra spaces in a header value
    # are folded to one before signing.
    "json-body": (
        "PUT",
        f"https://lambda.cn-north-1.amazonaws.com.cn/2015-03-31/functions/"
        f"{ARN.replace(':', '%3A')}/code",
        f"https://lambda.cn-north-1.amazonaws.com.cn/2015-03-31/functions/"
        f"{ARN.replace(':', '%3A')}/code",
        {"User-Agent": USER_AGENT, "Content-Type": "application/json", "X-Custom": "a   b  c"},
        b'{"ZipFile": "UEsDBBQ=", "Publish": false}',
        "session-token-value",
        "cn-north-1",
        "lambda",
    ),
    # A local endpoint (moto, LocalStack) on its own port: the port is part of Host.
    "http-endpoint-with-port": (
        "POST",
        "http://127.0.0.1:5000/2015-03-31/functions/f/versions",
        "http://127.0.0.1:5000/2015-03-31/functions/f/versions",
        {"User-Agent": USER_AGENT, "Content-Type": "application/json"},
        b"{}",
        None,
        "us-east-1",
        "lambda",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_signature_as_botocores(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    method, url, boto_url, headers, body, token, region, service = CASES[case]
    credentials = Credentials("AKIDEXAMPLE", EXAMPLE_SECRET, token)
    ours = signed_headers(method, url, headers, body, credentials, region, service, NOW)
    theirs = botocore_headers(
        monkeypatch, method, boto_url, headers, body, credentials, region, service, NOW
    )
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == "20261206T140509Z"
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == token
    # The caller's headers are handed back, unsigned ones included.
    assert {k: ours[k] for k in headers} == headers


def test_user_agent_is_not_signed() -> None:
    """A proxy or the HTTP layer may rewrite User-Agent: AWS's SDKs leave it out."""
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET)
    url = "https://example.amazonaws.com/"
    plain = signed_headers("GET", url, {}, b"", credentials, "us-east-1", "service", NOW)
    agent = {"User-Agent": "other/1.0"}
    with_agent = signed_headers("GET", url, agent, b"", credentials, "us-east-1", "service", NOW)
    assert with_agent["Authorization"] == plain["Authorization"]
    assert "SignedHeaders=host;x-amz-date," in plain["Authorization"]


@pytest.mark.parametrize(
    "url",
    [
        "https://lambda.us-east-1.amazonaws.com:443/2015-03-31/functions/f/configuration",
        "http://localhost:80/2015-03-31/functions/f/configuration",
    ],
)
def test_a_default_port_is_signed_as_botocore_and_http_client_send_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """AWS_ENDPOINT_URL may name the scheme's own port; what is sent as Host then has none."""
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET)
    ours = signed_headers("GET", url, {}, b"", credentials, "us-east-1", "lambda", NOW)
    theirs = botocore_headers(
        monkeypatch, "GET", url, {}, b"", credentials, "us-east-1", "lambda", NOW
    )
    assert ours["Authorization"] == theirs["Authorization"]


def test_the_body_is_signed() -> None:
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET)
    url = "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/versions"
    one = signed_headers("POST", url, {}, b"{}", credentials, "us-east-1", "lambda", NOW)
    other = signed_headers("POST", url, {}, b'{"a":1}', credentials, "us-east-1", "lambda", NOW)
    assert one["Authorization"] != other["Authorization"]


def test_the_callers_headers_are_not_changed() -> None:
    headers = {"Content-Type": "application/json"}
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET, "token")
    url = "https://lambda.us-east-1.amazonaws.com/"
    signed_headers("GET", url, headers, b"", credentials, "us-east-1", "lambda", NOW)
    assert headers == {"Content-Type": "application/json"}


@pytest.mark.parametrize("render", [repr, str, lambda c: f"{c}", lambda c: f"{[c]!r}"])
def test_credentials_never_show_the_secret_or_token(render: Any) -> None:
    credentials = Credentials(EXAMPLE_KEY, EXAMPLE_SECRET, "the-session-token")
    shown = render(credentials)
    assert EXAMPLE_KEY in shown
    assert EXAMPLE_SECRET not in shown
    assert "the-session-token" not in shown
