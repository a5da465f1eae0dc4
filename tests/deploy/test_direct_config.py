"""When a deploy may skip botocore (`direct_config`): plain keys, a region and endpoints read
from the environment and the profile files as botocore reads them, and None for anything
else. Where a configuration is returned, botocore itself is asked the same question."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from chalicelike.deploy._direct_config import DirectConfig, direct_config

KEYS = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}


class Files:
    """The two AWS files of a test, at temporary paths."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "config"
        self.credentials = tmp_path / "credentials"

    def write(self, config: str = "", credentials: str = "") -> None:
        self.config.write_text(config)
        self.credentials.write_text(credentials)


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Files:
    """No AWS or proxy setting of the machine's own (it sets AWS_CA_BUNDLE) reaches a test;
    the AWS files are temporary ones, absent until written."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in {"http_proxy", "https_proxy", "all_proxy"}:
            monkeypatch.delenv(name)
    found = Files(tmp_path)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(found.config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(found.credentials))
    return found


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def botocore_reading(profile: str | None) -> tuple[Any, ...] | str:
    """(key, secret, token, region) as botocore reads them, or the name of its error."""
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile)
        found = session.get_credentials()
        region = session.get_config_variable("region")
    except Exception as error:
        return type(error).__name__
    if found is None:
        return f"no credentials (region {region})"
    return (found.access_key, found.secret_key, found.token, region)


def ours(config: DirectConfig | None) -> tuple[Any, ...] | None:
    if config is None:
        return None
    keys = config.credentials
    return (keys.access_key, keys.secret_key, keys.token, config.region)


# --- the plain cases ---------------------------------------------------------------------


def test_environment_keys(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **KEYS, AWS_SESSION_TOKEN="env-token")
    config = direct_config(None, "eu-west-1")
    assert config is not None
    assert ours(config) == ("AKIDENV", "env-secret", "env-token", "eu-west-1")
    assert config.endpoints == {
        "lambda": "https://lambda.eu-west-1.amazonaws.com",
        "cloudformation": "https://cloudformation.eu-west-1.amazonaws.com",
    }
    assert config.ca_bundle is None
    assert "env-secret" not in repr(config)
    assert "env-token" not in repr(config)


def test_an_explicit_profile_replaces_environment_keys(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore drops its environment provider when a profile is named (--profile)."""
    set_env(monkeypatch, **KEYS, AWS_SESSION_TOKEN="env-token")
    files.write(
        config="[profile work]\nregion = ca-central-1\n",
        credentials="[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n",
    )
    assert ours(direct_config("work", None)) == ("AKIDWORK", "work-secret", None, "ca-central-1")
    assert botocore_reading("work") == ("AKIDWORK", "work-secret", None, "ca-central-1")


def test_environment_keys_win_over_aws_profile(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_PROFILE is not an explicit profile: botocore still reads the keys first."""
    set_env(monkeypatch, **KEYS, AWS_PROFILE="work")
    files.write(
        config="[profile work]\nregion = ca-central-1\n",
        credentials="[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n",
    )
    assert ours(direct_config(None, None)) == ("AKIDENV", "env-secret", None, "ca-central-1")
    assert botocore_reading(None) == ("AKIDENV", "env-secret", None, "ca-central-1")


# Profile files holding only plain keys: (profile, config file, credentials file, expected).
PLAIN_FILES: dict[str, tuple[str | None, str, str, tuple[Any, ...]]] = {
    "credentials-and-config": (
        "work",
        "[profile work]\nregion = eu-central-1\noutput = json\n",
        "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n"
        "aws_session_token = work-token\n",
        ("AKIDWORK", "work-secret", "work-token", "eu-central-1"),
    ),
    "default-in-config-only": (
        None,
        "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = def-secret\n"
        "region = us-west-2\ncli_pager =\n",
        "",
        ("AKIDDEF", "def-secret", None, "us-west-2"),
    ),
    "profile-default-in-config": (
        None,
        "[profile default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = def-secret\n"
        "region = sa-east-1\n",
        "",
        ("AKIDDEF", "def-secret", None, "sa-east-1"),
    ),
    "keys-in-config-of-named-profile": (
        "work",
        "[profile work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n"
        "region = ap-northeast-1\n[default]\nregion = us-east-1\n",
        "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = def-secret\n",
        ("AKIDWORK", "work-secret", None, "ap-northeast-1"),
    ),
    "credentials-file-keys-win": (
        None,
        "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = conf-secret\n"
        "region = eu-west-3\n",
        "[default]\naws_access_key_id = AKIDCRED\naws_secret_access_key = cred-secret\n",
        ("AKIDCRED", "cred-secret", None, "eu-west-3"),
    ),
    "region-in-credentials-file": (
        None,
        "",
        "[default]\naws_access_key_id = AKIDCRED\naws_secret_access_key = cred-secret\n"
        "region = eu-north-1\n",
        ("AKIDCRED", "cred-secret", None, "eu-north-1"),
    ),
}


@pytest.mark.parametrize("case", sorted(PLAIN_FILES))
def test_profile_files_with_plain_keys(files: Files, case: str) -> None:
    profile, config_text, credentials_text, expected = PLAIN_FILES[case]
    files.write(config_text, credentials_text)
    assert ours(direct_config(profile, None)) == expected
    assert botocore_reading(profile) == expected


@pytest.mark.parametrize(
    "setting",
    [
        "role_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = base",
        "sso_session = corp",
        "sso_start_url = https://corp.awsapps.com/start",
        "credential_process = /usr/bin/get-keys",
        "endpoint_url = http://localhost:4566",
        "ca_bundle = /etc/corp.pem",
        "services = local",
        "use_fips_endpoint = true",
        "use_dualstack_endpoint = true",
        "web_identity_token_file = /var/token",
        "s3 =\n  addressing_style = path",
    ],
)
@pytest.mark.parametrize("where", ["config", "credentials"])
def test_a_setting_that_is_not_plain_leaves_it_to_botocore(
    files: Files, setting: str, where: str
) -> None:
    keys = "aws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n"
    if where == "config":
        files.write(config=f"[profile work]\nregion = us-east-1\n{keys}{setting}\n")
    else:
        files.write(
            config="[profile work]\nregion = us-east-1\n",
            credentials=f"[work]\n{keys}{setting}\n",
        )
    assert direct_config("work", None) is None


def test_another_profiles_settings_do_not_matter(files: Files) -> None:
    files.write(
        config="[profile other]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = work\n"
        "[sso-session corp]\nsso_region = us-east-1\n"
        "[profile work]\nregion = us-east-2\n",
        credentials="[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n",
    )
    assert ours(direct_config("work", None)) == ("AKIDWORK", "work-secret", None, "us-east-2")


@pytest.mark.parametrize(
    "variables",
    [
        {"HTTPS_PROXY": "http://proxy:3128"},
        {"https_proxy": "http://proxy:3128"},
        {"HTTP_PROXY": "http://proxy:3128"},
        {"http_proxy": "http://proxy:3128"},
        {"ALL_PROXY": "socks5://proxy:1080"},
        {"AWS_USE_FIPS_ENDPOINT": "true"},
        {"AWS_USE_FIPS_ENDPOINT": " TRUE "},
        {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
        {"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"},
        {"AWS_ROLE_ARN": "arn:aws:iam::1:role/r"},
        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"},
    ],
)
def test_an_environment_that_is_not_plain_leaves_it_to_botocore(
    files: Files, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    set_env(monkeypatch, **KEYS)
    assert direct_config(None, "us-east-1") is not None
    set_env(monkeypatch, **variables)
    assert direct_config(None, "us-east-1") is None


def test_fips_and_dual_stack_set_false_stay_plain(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, **KEYS, AWS_USE_FIPS_ENDPOINT="false", AWS_USE_DUALSTACK_ENDPOINT="false")
    assert direct_config(None, "us-east-1") is not None


def test_aws_ca_bundle_is_kept(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **KEYS, AWS_CA_BUNDLE="/etc/ssl/corp.pem")
    config = direct_config(None, "us-east-1")
    assert config is not None
    assert config.ca_bundle == "/etc/ssl/corp.pem"


# --- the region ----------------------------------------------------------------------------


def test_region_precedence(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    """The argument (--region), AWS_REGION, AWS_DEFAULT_REGION, the profile's."""
    set_env(monkeypatch, **KEYS)
    files.write(config="[default]\nregion = ap-south-1\n")

    def region(argument: str | None) -> str | None:
        config = direct_config(None, argument)
        return None if config is None else config.region

    assert region(None) == "ap-south-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert region(None) == "eu-west-2"
    monkeypatch.setenv("AWS_REGION", "us-west-1")
    assert region(None) == "us-west-1"
    assert region("me-south-1") == "me-south-1"


def test_no_region_leaves_it_to_botocore(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's NoRegionError (and our one-line DeployError) say what to set."""
    set_env(monkeypatch, **KEYS)
    assert direct_config(None, None) is None


@pytest.mark.parametrize("region", ["us-isob-east-1", "eu-isoe-west-1", "moon-1", "US-EAST-1"])
def test_a_region_outside_the_known_partitions_leaves_it_to_botocore(
    files: Files, monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    set_env(monkeypatch, **KEYS)
    assert direct_config(None, region) is None


# --- the endpoints -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "region",
    ["us-east-1", "eu-central-1", "il-central-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1"],
)
def test_aws_endpoints_are_botocores(
    files: Files, monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    import botocore.session

    set_env(monkeypatch, **KEYS)
    config = direct_config(None, region)
    assert config is not None
    boto = botocore.session.Session()
    for service in ("lambda", "cloudformation"):
        expected = boto.create_client(service, region_name=region).meta.endpoint_url
        assert config.endpoints[service] == expected
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    assert config.endpoints["lambda"] == f"https://lambda.{region}.{suffix}"


def test_a_service_endpoint_wins_over_the_general_one(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.session

    set_env(
        monkeypatch,
        **KEYS,
        AWS_ENDPOINT_URL="http://localhost:4566/",
        AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:5000",
    )
    config = direct_config(None, "us-east-1")
    assert config is not None
    assert config.endpoints == {
        "lambda": "http://127.0.0.1:5000",
        "cloudformation": "http://localhost:4566",
    }
    boto = botocore.session.Session()
    for service, endpoint in config.endpoints.items():
        theirs = boto.create_client(service, region_name="us-east-1").meta.endpoint_url
        assert theirs.rstrip("/") == endpoint


def test_cloudformation_has_its_own_endpoint_variable(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, **KEYS, AWS_ENDPOINT_URL_CLOUDFORMATION="https://cfn.example.test")
    config = direct_config(None, "us-east-1")
    assert config is not None
    assert config.endpoints == {
        "lambda": "https://lambda.us-east-1.amazonaws.com",
        "cloudformation": "https://cfn.example.test",
    }


def test_configured_endpoints_can_be_ignored(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(
        monkeypatch,
        **KEYS,
        AWS_ENDPOINT_URL="http://localhost:4566",
        AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:5000",
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true",
    )
    config = direct_config(None, "us-east-1")
    assert config is not None
    assert config.endpoints["lambda"] == "https://lambda.us-east-1.amazonaws.com"
    assert config.endpoints["cloudformation"] == "https://cloudformation.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    "endpoint",
    ["http://localhost:4566/prefix", "http://localhost:4566/a/", "http://localhost:4566?x=1"],
)
def test_an_endpoint_with_a_path_leaves_it_to_botocore(
    files: Files, monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    set_env(monkeypatch, **KEYS, AWS_ENDPOINT_URL=endpoint)
    assert direct_config(None, "us-east-1") is None


# --- what botocore must say ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "credentials"),
    [
        ({"AWS_ACCESS_KEY_ID": "AKIDENV"}, ""),
        ({"AWS_SECRET_ACCESS_KEY": "env-secret"}, ""),
        ({}, "[default]\naws_access_key_id = AKIDCRED\n"),
        ({}, "[default]\naws_secret_access_key = cred-secret\n"),
        ({}, ""),
    ],
)
def test_half_a_key_pair_or_none_leaves_it_to_botocore(
    files: Files, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], credentials: str
) -> None:
    set_env(monkeypatch, **environment)
    files.write(credentials=credentials)
    assert direct_config(None, "us-east-1") is None


def test_a_named_profile_that_exists_nowhere(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **KEYS)
    files.write(
        config="[default]\nregion = us-east-1\n[nowhere]\nregion = us-east-1\n",
        credentials="[profile nowhere]\naws_access_key_id = a\naws_secret_access_key = b\n",
    )
    assert direct_config("nowhere", None) is None
    assert botocore_reading("nowhere") == "ProfileNotFound"
    monkeypatch.setenv("AWS_PROFILE", "nowhere")
    assert direct_config(None, None) is None


@pytest.mark.parametrize("where", ["config", "credentials"])
@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key_id = AKID\n",  # no section
        "[default]\naws_access_key_id = a\naws_access_key_id = b\n",  # a key twice
        "[default]\nregion = us-east-1\n[default]\nregion = us-east-2\n",  # a section twice
    ],
)
def test_a_malformed_file_leaves_it_to_botocore(
    files: Files, monkeypatch: pytest.MonkeyPatch, where: str, text: str
) -> None:
    set_env(monkeypatch, **KEYS)
    files.write(**{where: text})
    assert direct_config(None, "us-east-1") is None


def test_an_unreadable_file_leaves_it_to_botocore(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, **KEYS)
    files.config.write_bytes(b"[default]\nregion = \xff\xfe\n")  # not UTF-8
    assert direct_config(None, "us-east-1") is None


# --- the same reading as botocore's, case by case --------------------------------------------

BOTH_KEYS = "[default]\naws_access_key_id = AKIDCRED\naws_secret_access_key = cred-secret\n"


# (environment, config file, credentials file) where botocore's answer must be ours.
SAME_AS_BOTOCORE = [
    pytest.param(
        {**KEYS, "AWS_SESSION_TOKEN": "session", "AWS_DEFAULT_REGION": "us-east-1"},
        "",
        "",
        id="session-token",
    ),
    pytest.param(
        {**KEYS, "AWS_SECURITY_TOKEN": "security", "AWS_DEFAULT_REGION": "us-east-1"},
        "",
        "",
        id="security-token-alone",
    ),
    pytest.param(
        {
            **KEYS,
            "AWS_SECURITY_TOKEN": "security",
            "AWS_SESSION_TOKEN": "session",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
        "",
        "",
        id="both-token-variables",
    ),
    pytest.param(
        {"AWS_DEFAULT_PROFILE": "a", "AWS_PROFILE": "b"},
        "[profile a]\nregion = eu-west-1\n[profile b]\nregion = us-west-2\n",
        "[a]\naws_access_key_id = AKIDA\naws_secret_access_key = a-secret\n"
        "[b]\naws_access_key_id = AKIDB\naws_secret_access_key = b-secret\n",
        id="both-profile-variables",
    ),
    pytest.param(
        {},
        "[default]\naws_session_token = config-token\nregion = us-east-1\n",
        BOTH_KEYS,
        id="token-in-config-keys-in-credentials",
    ),
    pytest.param(
        {"AWS_PROFILE": "work"},
        "[profile work]\nregion = us-east-2\n",
        "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n",
        id="aws-profile",
    ),
    pytest.param(
        {"AWS_DEFAULT_PROFILE": "work"},
        "[profile work]\nregion = us-east-2\n",
        "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = work-secret\n",
        id="aws-default-profile",
    ),
    pytest.param(
        {},
        "[default]\nregion = eu-south-1\n",
        "[default]\naws_access_key_id =  AKIDCRED  \naws_secret_access_key = a ; b\n",
        id="spaces-and-semicolons-in-values",
    ),
]


# Cases botocore refuses (a profile named nowhere, half a key pair) or reads in a way we do
# not follow ('[default]' and '[profile default]' both there): left to botocore whole.
LEFT_TO_BOTOCORE = [
    pytest.param(
        {**KEYS, "AWS_DEFAULT_PROFILE": "nowhere", "AWS_DEFAULT_REGION": "us-east-1"},
        "",
        "",
        id="default-profile-variable-names-no-profile",
    ),
    pytest.param(
        {},
        "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = conf-secret\n"
        "region = us-east-1\n",
        "[default]\naws_access_key_id = AKIDCRED\n",
        id="half-a-pair-in-credentials-file",
    ),
    pytest.param(
        {},
        "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = conf-secret\n"
        "region = us-west-2\n[profile default]\nregion = eu-west-1\n",
        "",
        id="profile-default-after-default",
    ),
]


@pytest.mark.parametrize(("environment", "config_text", "credentials_text"), LEFT_TO_BOTOCORE)
def test_what_botocore_refuses_or_reads_otherwise_is_left_to_it(
    files: Files,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    config_text: str,
    credentials_text: str,
) -> None:
    set_env(monkeypatch, **environment)
    files.write(config_text, credentials_text)
    assert direct_config(None, None) is None


@pytest.mark.parametrize(("environment", "config_text", "credentials_text"), SAME_AS_BOTOCORE)
def test_a_configuration_found_is_botocores_reading(
    files: Files,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    config_text: str,
    credentials_text: str,
) -> None:
    set_env(monkeypatch, **environment)
    files.write(config_text, credentials_text)
    found = ours(direct_config(None, None))
    assert found is not None
    assert found == botocore_reading(None)
