"""The table of config keys: each check's accepted values and messages, and the table kept in
step with the settings classes and docs/config.md."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._config_schema import (
    DOMAIN,
    KEYS,
    LOG_FORMATS,
    LOG_LEVELS,
    PER_FUNCTION,
    RUNTIMES,
    SNAPSTART_RUNTIMES,
    STAGE_WIDE,
    Boolean,
    Choice,
    Integer,
    Invalid,
    Level,
    StringList,
    StringOrList,
    Tags,
    Text,
    Variables,
    Version,
    default_runtime,
    describe_levels,
    keys_at,
    suggest,
)
from chalicelike._tooling._settings import FunctionConfig, StageConfig

MEMORY = Integer(128, 10240, "MB")
ARCH = Choice(("x86_64", "arm64"))
ARN = Text("an ARN (arn:...)", r"arn:.+")
DOCS = Path(__file__).parent.parent / "docs" / "config.md"


def refusal(check: Any, value: Any, path: str) -> str:
    with pytest.raises(Invalid) as raised:
        check.check(value, path)
    return str(raised.value)


@pytest.mark.parametrize(
    ("check", "good", "bad", "message"),
    [
        (MEMORY, [128, 10240], 100, "k must be an integer from 128 to 10240 MB, not 100"),
        (MEMORY, [], 10241, "k must be an integer from 128 to 10240 MB, not 10241"),
        (Integer(128, 10240), [], "512", "k must be an integer from 128 to 10240, not '512'"),
        (Integer(128, 10240), [], 256.0, "k must be an integer from 128 to 10240, not 256.0"),
        (Integer(0), [0, 5000], -1, "k must be an integer of 0 or more, not -1"),
        (Integer(0), [], True, "k must be an integer of 0 or more, not true"),
        (ARCH, ["arm64"], "arm", "k must be one of 'x86_64', 'arm64', not 'arm'"),
        (Choice((1, 3)), [1, 3], 2, "k must be one of 1, 3, not 2"),
        (Choice((1, 3)), [], True, "k must be one of 1, 3, not true"),
        (Choice(("JSON", "Text")), ["Text"], "text",
         "k must be one of 'JSON', 'Text', not 'text'; did you mean 'Text'? (case matters)"),
        (Choice(("JSON", "Text")), [], "YAML", "k must be one of 'JSON', 'Text', not 'YAML'"),
        (Boolean(), [True, False], 1, "k must be true or false, not 1"),
        (Boolean(), [], "false", "k must be true or false, not 'false'"),
        (Text(), ["x"], "", "k must be a non-empty string, not ''"),
        (ARN, ["arn:aws:iam::1:role/r"], "role", "k must be an ARN (arn:...), not 'role'"),
        (StringList(2), [[], ["a", "b"]], ["a", "b", "c"], "k must be a list of at most 2 strings"),
        (StringList(2), [], "sn-1", "k must be a list of at most 2 strings, not 'sn-1'"),
        (StringList(2), [], ["a", 1], "k[1] must be a non-empty string, not 1"),
        (StringOrList(), ["v-1", ["v-1"]], 7, "k must be a string or a list of strings, not 7"),
        (StringOrList(), [], ["vpce-1", None], "k must be a string or a list of strings"),
        (Version(), ["1.0", "2.0", 2, 1.0], "3.0", "k must be \"1.0\" or \"2.0\", not '3.0'"),
        (Version(), [], "two", "k must be \"1.0\" or \"2.0\", not 'two'"),
        (Version(), [], True, "k must be \"1.0\" or \"2.0\", not true"),
        (Version(), [], None, "k must be \"1.0\" or \"2.0\", not null"),
    ],
)  # fmt: skip
def test_checks_accept_and_refuse(check: Any, good: list[Any], bad: Any, message: str) -> None:
    for value in good:
        check.check(value, "k")
    assert refusal(check, bad, "k") == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["A=1"], "environment_variables must be an object of strings"),
        ({"PORT": 8000}, "environment_variables.PORT must be a string, not 8000"),
        ({"1ST": "x"}, "environment_variables.1ST is not a variable name Lambda accepts"),
        ({"MY-VAR": "x"}, "environment_variables.MY-VAR is not a variable name Lambda accepts"),
        ({"AWS_REGION": "x"}, "environment_variables.AWS_REGION is reserved: Lambda sets it"),
        ({"CHALICELIKE_XRAY": "1"}, "environment_variables.CHALICELIKE_XRAY is set by chalicelike"),
    ],
)
def test_environment_variables(value: Any, message: str) -> None:
    Variables().check({"TABLE": "books", "a": ""}, "environment_variables")
    assert refusal(Variables(), value, "environment_variables").startswith(message)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("team=shop", "tags must be an object of strings"),
        ({"aws:owner": "me"}, "tags.aws:owner: a tag key has 1 to 128 characters, not aws:..."),
        ({"k" * 129: "v"}, "a tag key has 1 to 128 characters"),
        ({"team": "v" * 257}, "tags.team must be a string of at most 256 characters"),
        ({"team": 1}, "tags.team must be a string of at most 256 characters, not 1"),
    ],
)
def test_tags(value: Any, message: str) -> None:
    Tags().check({"team": "shop", "k" * 128: "v" * 256}, "tags")
    assert message in refusal(Tags(), value, "tags")


def test_custom_domain() -> None:
    good = {"domain_name": "api.example.com", "certificate_arn": "arn:aws:acm:eu:1:certificate/x"}
    DOMAIN.check(good, "d")
    DOMAIN.check({**good, "tls_version": "TLS_1_0", "url_prefix": "", "tags": {"a": "b"}}, "d")
    assert refusal(DOMAIN, {**good, "tls_verison": "TLS_1_2"}, "d") == (
        "d.tls_verison is not a config key; did you mean tls_version?"
    )
    assert refusal(DOMAIN, {**good, "zzz": 1}, "d").startswith(
        "d.zzz is not a config key; keys allowed in d: certificate_arn, domain_name, tags"
    )
    assert refusal(DOMAIN, {"domain_name": "api.example.com"}, "d") == (
        "d.certificate_arn is missing; required: domain_name, certificate_arn"
    )
    assert refusal(DOMAIN, {**good, "tls_version": "TLS_1_1"}, "d") == (
        "d.tls_version must be one of 'TLS_1_0', 'TLS_1_2', not 'TLS_1_1'"
    )
    assert refusal(DOMAIN, "api.example.com", "d").startswith(
        "d must be an object with domain_name, certificate_arn, tls_version?"
    )


@pytest.mark.parametrize(
    ("version", "runtime"),
    [
        ((3, 10), "python3.10"),
        ((3, 13, 1), "python3.13"),
        ((3, 9), "python3.12"),
        ((3, 14), "python3.14"),  # Lambda's newest Python runtime
        ((3, 15), "python3.12"),
    ],
)
def test_default_runtime_is_the_local_python_when_lambda_runs_it(
    version: tuple[int, ...], runtime: str
) -> None:
    assert default_runtime(version) == runtime


def test_default_runtime_without_arguments_is_this_interpreters() -> None:
    import sys

    assert default_runtime() == default_runtime(sys.version_info[:2])


def test_levels_read_as_places() -> None:
    assert describe_levels(Level.TOP) == "at the top level"
    assert describe_levels(STAGE_WIDE) == "at the top level or in stages.<stage>"
    assert describe_levels(PER_FUNCTION) == (
        "at the top level, in stages.<stage>, in lambda_functions.<function> or in "
        "stages.<stage>.lambda_functions.<function>"
    )
    assert "api_gateway_stage" in keys_at(Level.STAGE)
    assert "api_gateway_stage" not in keys_at(Level.FUNCTION)
    assert "lambda_functions" not in keys_at(Level.STAGE_FUNCTION)


def test_suggestions() -> None:
    assert suggest("lambda_timout", KEYS) == "lambda_timeout"
    assert suggest("memory", KEYS) is None


def test_every_settings_field_is_a_key_with_the_tables_default() -> None:
    skipped = {"app_name", "stage", "name"}
    for settings in (StageConfig, FunctionConfig):
        for item in dataclasses.fields(settings):
            if item.name in skipped:
                continue
            key = KEYS[item.name]
            if key.default is not None and item.default is not dataclasses.MISSING:
                assert item.default == key.default, item.name


def test_logging_keys_take_lambdas_own_spellings() -> None:
    assert LOG_FORMATS == ("JSON", "Text")  # LoggingConfig.LogFormat
    assert LOG_LEVELS == ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
    for name, values in (("log_format", LOG_FORMATS), ("log_level", LOG_LEVELS)):
        key = KEYS[name]
        assert (key.levels, key.default, key.ours) == (PER_FUNCTION, None, True)
        assert key.check == Choice(values)


def test_warm_start_keys_are_ours_and_per_function() -> None:
    provisioned, snapstart = KEYS["provisioned_concurrency"], KEYS["snapstart"]
    assert (provisioned.levels, provisioned.default, provisioned.ours) == (PER_FUNCTION, None, True)
    assert provisioned.check == Integer(1)  # Lambda's minimum; 0 would be "not provisioned"
    assert (snapstart.levels, snapstart.default, snapstart.ours) == (PER_FUNCTION, False, True)
    assert isinstance(snapstart.check, Boolean)
    assert refusal(provisioned.check, 0, "k") == "k must be an integer of 1 or more, not 0"
    assert refusal(snapstart.check, "true", "k") == "k must be true or false, not 'true'"


def test_runtimes_run_up_to_python3_14_and_snapstart_from_python3_12() -> None:
    assert RUNTIMES == ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
    assert KEYS["runtime"].check == Choice(RUNTIMES)
    assert RUNTIMES[2:] == SNAPSTART_RUNTIMES


def test_function_settings_hold_only_keys_a_function_can_resolve() -> None:
    for item in dataclasses.fields(FunctionConfig):
        if item.name != "name":
            assert Level.TOP in KEYS[item.name].levels


def test_docs_describe_every_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE))
    assert documented == set(KEYS)
    for name, key in KEYS.items():
        row = re.search(rf"^\| `{name}` \|(.*)$", text, re.MULTILINE)
        assert row is not None
        assert ("**ours**" in row.group(1)) == key.ours, name
