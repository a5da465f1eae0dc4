"""When a deploy may call AWS without botocore (`_direct_aws`), and with what: static
credentials, a region and the endpoints, found the way botocore finds them — or None,
and botocore does everything.

Only the plain cases qualify, where our reading is certainly botocore's: keys in the
environment, or a profile whose files hold keys and a region and nothing else (AWS_CA_BUNDLE
and AWS_ENDPOINT_URL[_<SERVICE>] are read as botocore reads them). A role, SSO, a credential
process, web identity, a proxy, FIPS or dual-stack endpoints, an endpoint or CA bundle set in
the config file, an unreadable file: None.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ._sigv4 import Credentials

__all__ = ["DIRECT_SERVICES", "DirectConfig", "direct_config"]

# The services the direct client speaks, by botocore's client name: their AWS_ENDPOINT_URL_
# suffix and hostname prefix.
DIRECT_SERVICES = {"lambda": "LAMBDA", "cloudformation": "CLOUDFORMATION"}
# A profile's keys we read exactly as botocore does; any other key changes how botocore
# signs, resolves or connects (role_arn, sso_session, endpoint_url, ca_bundle, services...).
_PLAIN_PROFILE_KEYS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "region",
        "output",
        "cli_pager",
        "cli_binary_format",
        "cli_timestamp_format",
        "cli_auto_prompt",
        "cli_history",
        "retry_mode",
        "max_attempts",
    }
)
# Environment that changes botocore's credentials or connections.
_NOT_PLAIN_ENVIRONMENT = (
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)
# The partitions whose endpoints are `<service>.<region>.<suffix>`.
_REGION = re.compile(r"^(?:cn|us-gov|[a-z]{2})-[a-z]+-\d+$")


@dataclass(frozen=True)
class DirectConfig:
    credentials: Credentials
    region: str
    endpoints: dict[str, str]  # botocore client name -> endpoint URL
    ca_bundle: str | None = None  # AWS_CA_BUNDLE: the CAs TLS trusts instead of certifi's


def direct_config(profile: str | None, region: str | None) -> DirectConfig | None:
    """The plain configuration for `profile` (None: the environment's) and `region` (None:
    AWS_REGION, AWS_DEFAULT_REGION, the profile's), or None where botocore must decide."""
    environ = os.environ
    if any(environ.get(name) for name in _NOT_PLAIN_ENVIRONMENT):
        return None
    if any(_true(environ.get(f"AWS_USE_{kind}_ENDPOINT")) for kind in ("FIPS", "DUALSTACK")):
        return None
    try:
        sections = _profile_sections(profile)
    except (OSError, ValueError):  # unreadable, or not INI: botocore says what is wrong
        return None
    if sections is None:
        return None
    in_credentials, in_config = sections
    credentials = _credentials(profile, in_credentials, in_config)
    # botocore merges the credentials file's profile over the config file's for settings.
    region = (
        region
        or environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or (in_config | in_credentials).get("region")
    )
    if credentials is None or not region or not _REGION.match(region):
        return None
    endpoints = {}
    for service, suffix in DIRECT_SERVICES.items():
        endpoint = _endpoint(service, suffix, region)
        if endpoint is None:
            return None
        endpoints[service] = endpoint
    return DirectConfig(credentials, region, endpoints, environ.get("AWS_CA_BUNDLE") or None)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _credentials(
    profile: str | None, in_credentials: dict[str, str], in_config: dict[str, str]
) -> Credentials | None:
    """botocore's order: the environment's keys (unless a profile was named), else the
    credentials file's, else the config file's; key, secret and token all from one place.
    None for half a pair (botocore's PartialCredentialsError says which half)."""
    environ = os.environ
    key: str | None
    if profile is None and environ.get("AWS_ACCESS_KEY_ID"):
        key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        token = environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN")
    else:
        source = next((s for s in (in_credentials, in_config) if s.get("aws_access_key_id")), {})
        key, secret = source.get("aws_access_key_id"), source.get("aws_secret_access_key")
        token = source.get("aws_session_token")
    if not key or not secret:
        return None
    return Credentials(key, secret, token or None)


def _profile_sections(profile: str | None) -> tuple[dict[str, str], dict[str, str]] | None:
    """The profile's section in the credentials file and in the config file (empty where
    missing); None when either holds a key we do not read as botocore does, or a profile
    named by --profile, AWS_DEFAULT_PROFILE or AWS_PROFILE is in neither file."""
    environ = os.environ
    named = profile or environ.get("AWS_DEFAULT_PROFILE") or environ.get("AWS_PROFILE")
    name = named or "default"
    credentials_file = environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    config_file = environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    in_credentials = _sections(Path(credentials_file).expanduser(), [name])
    config_names = [f"profile {name}", name] if name == "default" else [f"profile {name}"]
    in_config = _sections(Path(config_file).expanduser(), config_names)
    if in_credentials is None or in_config is None:
        return None
    if named and not in_credentials and not in_config:
        return None  # botocore's ProfileNotFound says it best
    return in_credentials, in_config


def _sections(path: Path, names: list[str]) -> dict[str, str] | None:
    """The one section of `names` in the INI file at `path` ({} if none, or no file); None
    if it holds a key that is not plain, or two of `names` are there ([default] and
    [profile default]: botocore keeps the later one, whole)."""
    import configparser

    if not path.is_file():
        return {}
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except configparser.Error as error:
        raise ValueError(str(error)) from None
    present = [name for name in names if parser.has_section(name)]
    if len(present) > 1:
        return None
    if not present:
        return {}
    values = {key.strip(): value.strip() for key, value in parser.items(present[0])}
    return values if set(values) <= _PLAIN_PROFILE_KEYS else None


def _endpoint(service: str, suffix: str, region: str) -> str | None:
    """AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, else AWS's own for the region; None for
    an endpoint with a path (botocore keeps the path; we do not)."""
    environ = os.environ
    configured = None
    if not _true(environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")):
        configured = environ.get(f"AWS_ENDPOINT_URL_{suffix}") or environ.get("AWS_ENDPOINT_URL")
    if configured:
        match = re.match(r"^(https?://[^/?#]+)/?$", configured.strip())
        return match.group(1) if match else None
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{domain}"
