"""Reading .chalice/config.json: validation of the whole file, Chalice's lookup order and the
StageConfig / FunctionConfig every stage and function resolves to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._config import (
    ConfigError,
    api_gateway_stage,
    load_config,
    resolve_function_config,
    resolve_stage_config,
    stage_environment,
)
from chalicelike._tooling._config_schema import KEYS, PER_FUNCTION, default_runtime
from chalicelike._tooling._settings import CustomDomain, FunctionConfig, StageConfig

ARN = "arn:aws:iam::123456789012:role/shop"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def write_config(project: Path, config: Any, *files: str) -> Path:
    (project / ".chalice").mkdir(exist_ok=True)
    for name in files:
        (project / ".chalice" / name).write_text("{}")
    path = project / ".chalice" / "config.json"
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return path


def problem(project: Path, names: list[str] | None = None) -> str:
    """The one problem load_config reports, without the file name in front."""
    with pytest.raises(ConfigError) as raised:
        load_config(project, names)
    path = project / ".chalice" / "config.json"
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message.removeprefix(f"{path}: ")


# -- the file as a whole ----------------------------------------------------------------------


def test_no_config_file_means_every_default(tmp_path: Path) -> None:
    assert load_config(tmp_path) == {}
    assert stage_environment(tmp_path, "dev") == {}
    assert api_gateway_stage(tmp_path, "dev") == "api"
    stage = resolve_stage_config(tmp_path, "dev", "shop")
    assert stage == StageConfig(app_name="shop", stage="dev", runtime=default_runtime())
    function = resolve_function_config(tmp_path, "dev", "api_handler")
    assert function == FunctionConfig(name="api_handler", runtime=default_runtime())
    assert (function.lambda_memory_size, function.lambda_timeout) == (128, 60)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON: "),
        ("[1, 2]", "the top level must be a JSON object"),
        ('{"stages": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, message: str) -> None:
    write_config(tmp_path, text)
    assert problem(tmp_path).startswith(message)


def test_a_config_that_is_not_a_file_is_an_error_not_ignored(tmp_path: Path) -> None:
    (tmp_path / ".chalice" / "config.json").mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"config\.json: is not a file"):
        load_config(tmp_path)
    (tmp_path / ".chalice" / "config.json").rmdir()
    (tmp_path / ".chalice").rmdir()
    (tmp_path / ".chalice").write_text("{}")
    with pytest.raises(ConfigError, match=r"\.chalice: is not a file"):
        resolve_stage_config(tmp_path, "dev", "shop")


def test_every_problem_is_reported_one_line_each(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"lambda_timeout": 0, "xray": "yes", "memory": 1})
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    lines = str(raised.value).splitlines()
    assert lines[:2] == [
        f"{path}: lambda_timeout must be an integer from 1 to 900 seconds, not 0",
        f"{path}: xray must be true or false, not 'yes'",
    ]
    assert lines[2].startswith(f"{path}: memory is not a config key; keys allowed at the top ")
    assert "lambda_memory_size" in lines[2] and len(lines) == 3


# -- every key: its happy path and its refusal --------------------------------------------------

# key, a good value, what the settings hold for it, a bad value, the message's end
KEY_CASES: list[tuple[str, Any, Any, Any, str]] = [
    ("lambda_memory_size", 1769, 1769, 100, "an integer from 128 to 10240 MB, not 100"),
    ("lambda_timeout", 900, 900, 901, "an integer from 1 to 900 seconds, not 901"),
    ("lambda_ephemeral_storage", 10240, 10240, 511, "an integer from 512 to 10240 MB, not 511"),
    ("reserved_concurrency", 0, 0, -1, "an integer of 0 or more, not -1"),
    ("provisioned_concurrency", 5, 5, 0, "an integer of 1 or more, not 0"),
    ("snapstart", True, True, "yes", "true or false, not 'yes'"),
    ("layers", ["arn:l:1"], ["arn:l:1"], "arn:l:1", "a list of at most 5 strings, not 'arn:l:1'"),
    ("subnet_ids", ["sn-1"], ["sn-1"], [1], "[0] must be a non-empty string, not 1"),
    ("security_group_ids", ["sg-1"], ["sg-1"], ["sg"] * 6, "a list of at most 5 strings"),
    ("xray", True, True, "true", "true or false, not 'true'"),
    ("log_format", "JSON", "JSON", "json", "one of 'JSON', 'Text', not 'json'; did you mean "
     "'JSON'? (case matters)"),
    ("log_level", "WARN", "WARN", "WARNING",
     "one of 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', not 'WARNING'"),
    ("autogen_policy", True, True, 0, "true or false, not 0"),
    ("iam_role_arn", ARN, ARN, "shop-role", "an ARN (arn:...), not 'shop-role'"),
    ("manage_iam_role", True, True, "no", "true or false, not 'no'"),
    ("log_retention_in_days", 14, 14, 10, "one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, "
     "365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, not 10"),
    ("function_url", True, True, None, ""),
    ("maximum_retry_attempts", -1, -1, 10001, "an integer from -1 to 10000, not 10001"),
    ("environment_variables", {"T": "b"}, {"T": "b"}, {"T": 1}, ".T must be a string, not 1"),
    ("tags", {"team": "a"}, {"team": "a"}, ["team"], "an object of strings"),
    ("lambda_architecture", "arm64", "arm64", "aarch64", "one of 'x86_64', 'arm64', not 'aarch64'"),
    ("runtime", "python3.14", "python3.14", "python3.9",
     "one of 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14', not "
     "'python3.9'"),
    ("automatic_layer", True, True, "yes", "true or false, not 'yes'"),
    ("api_gateway_type", "HTTP", "HTTP", "WEBSOCKET", "one of 'REST', 'HTTP', not 'WEBSOCKET'"),
    ("api_gateway_request_validation", True, True, "yes", "true or false, not 'yes'"),
    ("api_gateway_stage", "v1", "v1", "v 1", "1 to 128 letters, digits, hyphens and underscores"),
    ("websocket_api_stage", "ws", "ws", "", "1 to 128 letters, digits, hyphens and underscores"),
    ("api_gateway_endpoint_type", "REGIONAL", "REGIONAL", "edge",
     "one of 'EDGE', 'REGIONAL', 'PRIVATE', not 'edge'"),
    ("minimum_compression_size", 0, 0, 10485761, "an integer from 0 to 10485760 bytes"),
    ("workflow_logging", "ERROR", "ERROR", "DEBUG",
     "one of 'OFF', 'ALL', 'ERROR', 'FATAL', not 'DEBUG'"),
    ("workflow_tracing", True, True, "yes", "true or false, not 'yes'"),
    ("api_gateway_custom_domain", {"domain_name": "a.example.com", "certificate_arn": CERT},
     CustomDomain("a.example.com", CERT), {"domain_name": "a.example.com"},
     ".certificate_arn is missing; required: domain_name, certificate_arn"),
    ("websocket_api_custom_domain", {"domain_name": "w.example.com", "certificate_arn": CERT,
     "url_prefix": "ws", "tls_version": "TLS_1_0", "tags": {"a": "b"}},
     CustomDomain("w.example.com", CERT, "TLS_1_0", "ws", {"a": "b"}), "w.example.com",
     "an object with domain_name, certificate_arn, tls_version?, url_prefix?, tags?"),
]  # fmt: skip
# Keys whose happy path needs another key or a file (tested below), or no settings field.
OTHER_KEYS = {"version", "app_name", "stages", "lambda_functions", "iam_policy_file",
              "api_gateway_policy_file", "api_gateway_endpoint_vpce"}  # fmt: skip


# What a key's happy path needs beside it.
COMPANIONS: dict[str, dict[str, Any]] = {
    "subnet_ids": {"security_group_ids": ["sg-1"]},
    "security_group_ids": {"subnet_ids": ["sn-1"]},
    "log_level": {"log_format": "JSON"},
    "snapstart": {"runtime": "python3.13"},
}


def test_every_key_has_a_case() -> None:
    assert {case[0] for case in KEY_CASES} | OTHER_KEYS == set(KEYS)


@pytest.mark.parametrize(("key", "good", "held", "bad", "message"), KEY_CASES)
def test_each_key_resolves_from_the_top_level(
    tmp_path: Path, key: str, good: Any, held: Any, bad: Any, message: str
) -> None:
    write_config(tmp_path, {key: good, **COMPANIONS.get(key, {})})
    settings: Any = resolve_function_config(tmp_path, "dev", "ingest")
    if key not in {f.name for f in FunctionConfig.__dataclass_fields__.values()}:
        settings = resolve_stage_config(tmp_path, "dev", "shop")
    assert getattr(settings, key) == held


@pytest.mark.parametrize(
    ("key", "good", "held", "bad", "message"), [c for c in KEY_CASES if c[3] is not None]
)
def test_each_key_refuses_a_bad_value_naming_its_path(
    tmp_path: Path, key: str, good: Any, held: Any, bad: Any, message: str
) -> None:
    if KEYS[key].levels == PER_FUNCTION:
        config: dict[str, Any] = {"stages": {"dev": {"lambda_functions": {"ingest": {key: bad}}}}}
        path = f"stages.dev.lambda_functions.ingest.{key}"
    else:
        config, path = {"stages": {"dev": {key: bad}}}, f"stages.dev.{key}"
    write_config(tmp_path, config)
    found = problem(tmp_path)
    assert found.startswith(path) and message in found, found


def test_maximum_retry_attempts_is_per_function_and_refuses_below_minus_one(
    tmp_path: Path,
) -> None:
    write_config(
        tmp_path,
        {"maximum_retry_attempts": 3, "stages": {"dev": {"lambda_functions": {
            "ingest": {"maximum_retry_attempts": 0}}}}},
    )  # fmt: skip
    assert resolve_function_config(tmp_path, "dev", "ingest").maximum_retry_attempts == 0
    assert resolve_function_config(tmp_path, "dev", "other").maximum_retry_attempts == 3
    assert FunctionConfig(name="x").maximum_retry_attempts is None  # Lambda's default applies
    write_config(tmp_path, {"lambda_functions": {"ingest": {"maximum_retry_attempts": -2}}})
    assert problem(tmp_path) == (
        "lambda_functions.ingest.maximum_retry_attempts must be an integer from -1 to 10000, not -2"
    )


def test_function_url_refuses_a_non_boolean(tmp_path: Path) -> None:
    write_config(tmp_path, {"lambda_functions": {"api_handler": {"function_url": "yes"}}})
    assert problem(tmp_path) == (
        "lambda_functions.api_handler.function_url must be true or false, not 'yes'"
    )


def test_log_level_needs_the_json_log_format(tmp_path: Path) -> None:
    write_config(tmp_path, {"log_level": "DEBUG"})
    assert problem(tmp_path) == (
        "log_level needs the JSON log format, but for any stage log_format is not set (Text): "
        'Lambda filters log levels only in JSON logs; set "log_format": "JSON" there too, or '
        "remove log_level"
    )
    # JSON everywhere but in one stage, which says Text.
    write_config(
        tmp_path,
        {"log_format": "JSON", "log_level": "DEBUG", "stages": {"dev": {}, "prod": {
            "log_format": "Text"}}},
    )  # fmt: skip
    assert problem(tmp_path).startswith(
        "log_level needs the JSON log format, but for stage prod stages.prod.log_format is Text"
    )
    # JSON for one function only: the app's other function is refused once its name is known.
    config = {"log_level": "INFO", "lambda_functions": {"ingest": {"log_format": "JSON"}}}
    write_config(tmp_path, config)
    assert load_config(tmp_path, ["ingest"]) == config
    assert problem(tmp_path, ["api_handler", "ingest"]).startswith(
        "log_level needs the JSON log format, but for function api_handler in any stage"
    )
    config["lambda_functions"]["api_handler"] = {"log_level": None}  # null: not set here
    write_config(tmp_path, config)
    assert problem(tmp_path, ["api_handler", "ingest"]).startswith("log_level needs the JSON")
    write_config(tmp_path, {"log_format": "Text"})  # Text alone is fine: Lambda's default
    assert resolve_function_config(tmp_path, "dev", "ingest").log_format == "Text"


def test_logging_settings_resolve_per_stage_and_function(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {"stages": {"prod": {"log_format": "JSON", "lambda_functions": {"ingest": {
            "log_level": "ERROR"}}}}},
    )  # fmt: skip
    dev = resolve_function_config(tmp_path, "dev", "ingest")
    assert (dev.log_format, dev.log_level) == (None, None)  # Lambda's default: Text
    assert dev.runtime_environment() == {}
    api = resolve_function_config(tmp_path, "prod", "api_handler")
    assert (api.log_format, api.log_level) == ("JSON", None)
    assert api.runtime_environment() == {"AWS_LAMBDA_LOG_FORMAT": "JSON"}
    ingest = resolve_function_config(tmp_path, "prod", "ingest")
    assert (ingest.log_format, ingest.log_level) == ("JSON", "ERROR")
    assert ingest.runtime_environment() == {
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "ERROR",
    }
    assert ingest.deployed_environment() == {}  # Lambda sets those itself from LoggingConfig


def test_provisioned_concurrency_resolves_per_function_and_stage(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {"lambda_functions": {"api_handler": {"provisioned_concurrency": 2}}, "stages": {
            "prod": {"lambda_functions": {"api_handler": {"provisioned_concurrency": 10,
            "reserved_concurrency": 10}}}}},
    )  # fmt: skip
    dev = resolve_function_config(tmp_path, "dev", "api_handler")
    assert (dev.provisioned_concurrency, dev.publishes_versions) == (2, True)
    prod = resolve_function_config(tmp_path, "prod", "api_handler")
    assert (prod.provisioned_concurrency, prod.reserved_concurrency) == (10, 10)  # equal: fine
    other = resolve_function_config(tmp_path, "prod", "ingest")
    assert (other.provisioned_concurrency, other.publishes_versions) == (None, False)


def test_provisioned_concurrency_above_the_reserved_is_refused(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {"reserved_concurrency": 3, "stages": {"prod": {"lambda_functions": {"api_handler": {
            "provisioned_concurrency": 4}}}}},
    )  # fmt: skip
    assert problem(tmp_path) == (
        "stages.prod.lambda_functions.api_handler.provisioned_concurrency is 4 but "
        "reserved_concurrency is 3 for function api_handler in stage prod: Lambda cannot "
        "provision more environments than the function reserves"
    )
    # A reservation of 0 (the function throttled) leaves nothing to provision either.
    write_config(tmp_path, {"provisioned_concurrency": 1, "reserved_concurrency": 0})
    assert problem(tmp_path).startswith(
        "provisioned_concurrency is 1 but reserved_concurrency is 0"
    )


def test_snapstart_resolves_and_publishes_versions(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {"runtime": "python3.14", "lambda_functions": {"ingest": {"snapstart": True}}},
    )
    ingest = resolve_function_config(tmp_path, "dev", "ingest")
    assert (ingest.snapstart, ingest.runtime, ingest.publishes_versions) == (
        True,
        "python3.14",
        True,
    )
    assert resolve_function_config(tmp_path, "dev", "api_handler").snapstart is False


def test_snapstart_needs_python3_12_or_later_and_names_the_runtime(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {"runtime": "python3.12", "stages": {"legacy": {"runtime": "python3.11"}},
         "lambda_functions": {"ingest": {"snapstart": True}}},
    )  # fmt: skip
    assert problem(tmp_path) == (
        "lambda_functions.ingest.snapstart needs python3.12 or later, but for function ingest "
        "in stage legacy stages.legacy.runtime is python3.11: Lambda SnapStart supports Python "
        'from python3.12; set "runtime" to one of python3.12, python3.13, python3.14, or '
        "remove snapstart"
    )


def test_snapstart_without_a_runtime_is_judged_by_the_default_one(tmp_path: Path) -> None:
    write_config(tmp_path, {"snapstart": True})
    if default_runtime() in ("python3.10", "python3.11"):
        assert problem(tmp_path).startswith(
            f"snapstart needs python3.12 or later, but for any stage runtime is not set, so "
            f"{default_runtime()} (this Python's version)"
        )
    else:
        assert resolve_function_config(tmp_path, "dev", "ingest").snapstart is True


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"snapstart": True, "provisioned_concurrency": 2},
         "snapstart and provisioned_concurrency both apply to any stage: Lambda does not "
         "combine SnapStart with provisioned concurrency; keep one"),
        ({"snapstart": True, "stages": {"prod": {"lambda_functions": {"ingest": {
            "provisioned_concurrency": 1}}}}},
         "snapstart and stages.prod.lambda_functions.ingest.provisioned_concurrency both apply "
         "to function ingest in stage prod"),
        ({"lambda_functions": {"ingest": {"snapstart": True, "lambda_ephemeral_storage": 513}}},
         "lambda_functions.ingest.snapstart is true but lambda_functions.ingest."
         "lambda_ephemeral_storage is 513 MB for function ingest in any stage: Lambda "
         "SnapStart supports at most 512 MB of /tmp"),
    ],
)  # fmt: skip
def test_snapstart_refuses_what_lambda_cannot_snapshot(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    write_config(tmp_path, {"runtime": "python3.13", **config})
    assert problem(tmp_path).startswith(message)
    # Switched off (false, or null: not set here), the same settings are fine.
    off = json.loads(json.dumps(config).replace('"snapstart": true', '"snapstart": false'))
    write_config(tmp_path, {"runtime": "python3.13", **off})
    assert resolve_function_config(tmp_path, "prod", "ingest").snapstart is False


def test_xray_adds_the_variable_the_runtime_reads(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {"environment_variables": {"TABLE": "orders"}, "lambda_functions": {"ingest": {
            "xray": True}}},
    )  # fmt: skip
    ingest = resolve_function_config(tmp_path, "dev", "ingest")
    assert ingest.deployed_environment() == {"TABLE": "orders", "CHALICELIKE_XRAY": "true"}
    assert ingest.environment_variables == {"TABLE": "orders"}  # the file's, untouched
    other = resolve_function_config(tmp_path, "dev", "other")
    assert other.deployed_environment() == other.runtime_environment() == {"TABLE": "orders"}


def test_the_xray_variable_is_not_the_users_to_set(tmp_path: Path) -> None:
    write_config(tmp_path, {"environment_variables": {"CHALICELIKE_XRAY": "true"}})
    assert problem(tmp_path) == (
        "environment_variables.CHALICELIKE_XRAY is set by chalicelike from the xray key: "
        'write "xray": true instead'
    )


def test_the_xray_variable_counts_towards_lambdas_4_kb(tmp_path: Path) -> None:
    # 4096 bytes exactly: allowed; CHALICELIKE_XRAY=true (20 bytes) takes it over.
    full = {"environment_variables": {"A": "x" * 4095}}
    write_config(tmp_path, full)
    assert resolve_function_config(tmp_path, "dev", "ingest").environment_variables
    write_config(tmp_path, {**full, "stages": {"dev": {"xray": True}}})
    assert problem(tmp_path) == (
        "the environment variables of stage dev take 4116 bytes; Lambda allows 4096 in total"
    )


@pytest.mark.parametrize(
    ("version", "error"), [("2.0", None), ("1.0", None), ("3.0", 'version must be "1.0" or')]
)
def test_version(tmp_path: Path, version: str, error: str | None) -> None:
    write_config(tmp_path, {"version": version})
    if error is None:
        assert load_config(tmp_path) == {"version": version}
    else:
        assert problem(tmp_path).startswith(error)


def test_app_name(tmp_path: Path) -> None:
    write_config(tmp_path, {"app_name": "book-shop_2"})
    assert resolve_stage_config(tmp_path, "dev", "ignored").app_name == "book-shop_2"
    write_config(tmp_path, {"app_name": "book shop"})
    assert problem(tmp_path) == (
        "app_name must be letters, digits, hyphens and underscores, not 'book shop'"
    )


# -- where keys may appear ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"lambda_timout": 5}, "lambda_timout is not a config key; did you mean lambda_timeout?"),
        (
            {"stages": {"dev": {"enviroment_variables": {}}}},
            "stages.dev.enviroment_variables is not a config key; did you mean "
            "environment_variables?",
        ),
        (
            {"lambda_functions": {"f": {"memory_size": 256}}},
            "lambda_functions.f.memory_size is not a config key; did you mean lambda_memory_size?",
        ),
        (
            {"lambda_functions": {"f": {"api_gateway_stage": "v1"}}},
            "lambda_functions.f.api_gateway_stage cannot be set in lambda_functions.<function>; "
            "api_gateway_stage may appear at the top level or in stages.<stage>",
        ),
        (
            {"stages": {"dev": {"lambda_functions": {"f": {"runtime": "python3.12"}}}}},
            "stages.dev.lambda_functions.f.runtime cannot be set in "
            "stages.<stage>.lambda_functions.<function>; runtime may appear at the top level "
            "or in stages.<stage>",
        ),
        (
            {"stages": {"dev": {"app_name": "x"}}},
            "stages.dev.app_name cannot be set in stages.<stage>; app_name may appear at the "
            "top level",
        ),
        (
            {"stages": {"dev": {"stages": {}}}},
            "stages.dev.stages cannot be set in stages.<stage>; stages may appear at the top level",
        ),
        (
            {"lambda_functions": {"f": {"lambda_functions": {}}}},
            "lambda_functions.f.lambda_functions cannot be set in lambda_functions.<function>; "
            "lambda_functions may appear at the top level or in stages.<stage>",
        ),
        ({"stages": ["dev"]}, "stages must be an object of names to objects of settings"),
        ({"stages": {"dev": "api"}}, "stages.dev must be an object of settings, not 'api'"),
        (
            {"stages": {"my stage": {}}},
            "stages.my stage: a stage name must be letters, digits, hyphens and underscores",
        ),
    ],
)
def test_keys_in_the_wrong_place(tmp_path: Path, config: Any, message: str) -> None:
    write_config(tmp_path, config)
    assert problem(tmp_path) == message


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones(tmp_path: Path) -> None:
    write_config(tmp_path, {"lambda_functions": {"f": {"zzz": 1}}})
    message = problem(tmp_path)
    assert message.startswith(
        "lambda_functions.f.zzz is not a config key; keys allowed in lambda_functions.<function>: "
    )
    assert "lambda_timeout" in message and "api_gateway_stage" not in message


def test_null_means_not_set_here_as_in_chalice(tmp_path: Path) -> None:
    write_config(tmp_path, {"lambda_timeout": 30, "stages": {"dev": {"lambda_timeout": None}}})
    assert resolve_function_config(tmp_path, "dev", "f").lambda_timeout == 30


def test_lambda_functions_entries_must_name_the_apps_functions(tmp_path: Path) -> None:
    config = {"stages": {"dev": {"lambda_functions": {"ingset": {"lambda_timeout": 5}}}}}
    write_config(tmp_path, config)
    assert load_config(tmp_path) == config  # the app's functions are not known here
    assert problem(tmp_path, ["api_handler", "ingest"]) == (
        "stages.dev.lambda_functions.ingset names no function of the app; did you mean "
        "ingest? the app's functions: api_handler, ingest"
    )
    assert problem(tmp_path, ["api_handler"]) == (
        "stages.dev.lambda_functions.ingset names no function of the app; the app's "
        "functions: api_handler"
    )
    assert problem(tmp_path, []) == (
        "stages.dev.lambda_functions.ingset names no function of the app: the app has none"
    )


# -- files and combinations Chalice refuses at deploy time --------------------------------------


def test_policy_files_must_exist_relative_to_dot_chalice(tmp_path: Path) -> None:
    config = {"autogen_policy": False, "stages": {"beta": {"iam_policy_file": "beta.json"}}}
    write_config(tmp_path, config)
    missing = tmp_path / ".chalice" / "beta.json"
    assert problem(tmp_path) == (
        f"stages.beta.iam_policy_file names {missing}, which does not exist "
        "(file names are relative to .chalice/)"
    )
    write_config(tmp_path, config, "beta.json")
    settings = resolve_function_config(tmp_path, "beta", "api_handler")
    assert settings.iam_policy_file == str(missing)
    write_config(tmp_path, {"api_gateway_policy_file": "api.json"})
    assert problem(tmp_path).startswith("api_gateway_policy_file names ")


def test_without_a_policy_file_chalices_default_one_is_read(tmp_path: Path) -> None:
    write_config(tmp_path, {"autogen_policy": False, "stages": {"dev": {}}})
    default = tmp_path / ".chalice" / "policy-dev.json"
    assert problem(tmp_path) == (
        f"autogen_policy is false and no iam_policy_file applies to stage dev, so its policy "
        f"is read from {default}, which does not exist"
    )
    write_config(tmp_path, {"autogen_policy": False, "stages": {"dev": {}}}, "policy-dev.json")
    assert resolve_function_config(tmp_path, "dev", "f").iam_policy_file == str(default)
    # A stage the file does not declare is checked when it is resolved.
    with pytest.raises(ConfigError, match=r"policy-prod\.json, which does not exist"):
        resolve_function_config(tmp_path, "prod", "f")
    assert resolve_function_config(tmp_path, "dev", "f").autogen_policy is False


def test_an_unmanaged_role_needs_a_role_arn(tmp_path: Path) -> None:
    write_config(tmp_path, {"stages": {"prod": {"manage_iam_role": False}}})
    assert problem(tmp_path) == (
        "stages.prod.manage_iam_role is false, so iam_role_arn must be set for stage prod too"
    )
    config = {
        "stages": {"prod": {"lambda_functions": {"bar": {"manage_iam_role": False}}}},
        "lambda_functions": {"foo": {"iam_role_arn": ARN}},
    }
    write_config(tmp_path, config)
    assert problem(tmp_path) == (
        "stages.prod.lambda_functions.bar.manage_iam_role is false, so iam_role_arn must be "
        "set for function bar in stage prod too"
    )
    config["lambda_functions"] = {"bar": {"iam_role_arn": ARN}}
    write_config(tmp_path, config)
    settings = resolve_function_config(tmp_path, "prod", "bar")
    assert (settings.manage_iam_role, settings.iam_role_arn) == (False, ARN)
    assert settings.iam_policy_file is None
    assert resolve_function_config(tmp_path, "prod", "foo").manage_iam_role is True


def test_a_vpc_needs_subnets_and_security_groups(tmp_path: Path) -> None:
    write_config(tmp_path, {"stages": {"dev": {"lambda_functions": {"f": {"subnet_ids": ["a"]}}}}})
    assert problem(tmp_path) == (
        "stages.dev.lambda_functions.f.subnet_ids is set but no security_group_ids applies to "
        "function f in stage dev: a VPC needs both"
    )
    write_config(tmp_path, {"security_group_ids": ["sg-1"]})
    assert problem(tmp_path) == (
        "security_group_ids is set but no subnet_ids applies to any stage: a VPC needs both"
    )
    write_config(
        tmp_path,
        {"subnet_ids": ["sn-1"], "lambda_functions": {"f": {"security_group_ids": ["sg-1"]}}},
    )
    assert problem(tmp_path, ["f", "g"]).startswith("subnet_ids is set but no security_group_ids")
    load_config(tmp_path, ["f"])  # every function of this app has both


@pytest.mark.parametrize(
    ("config", "files", "message"),
    [
        (
            {"api_gateway_endpoint_vpce": "vpce-1"},
            (),
            "api_gateway_endpoint_vpce is only allowed with a PRIVATE endpoint type",
        ),
        (
            {"api_gateway_endpoint_type": "PRIVATE"},
            (),
            "api_gateway_endpoint_type is PRIVATE, so api_gateway_endpoint_vpce or "
            "api_gateway_policy_file must be set for any stage",
        ),
        (
            {
                "api_gateway_endpoint_type": "PRIVATE",
                "stages": {
                    "dev": {"api_gateway_endpoint_vpce": ["v"], "api_gateway_policy_file": "p.json"}
                },
            },
            ("p.json",),
            "only one of stages.dev.api_gateway_endpoint_vpce and "
            "stages.dev.api_gateway_policy_file may apply to stage dev",
        ),
    ],
)  # fmt: skip
def test_private_endpoint_rules(
    tmp_path: Path, config: Any, files: tuple[str, ...], message: str
) -> None:
    write_config(tmp_path, config, *files)
    assert problem(tmp_path) == message


def test_private_endpoints_resolve(tmp_path: Path) -> None:
    write_config(
        tmp_path, {"api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": "vpce-1"}
    )
    stage = resolve_stage_config(tmp_path, "dev", "shop")
    assert (stage.api_gateway_endpoint_type, stage.api_gateway_endpoint_vpce) == (
        "PRIVATE",
        ["vpce-1"],
    )
    config = {"api_gateway_endpoint_type": "PRIVATE", "api_gateway_policy_file": "api.json"}
    write_config(tmp_path, config, "api.json")
    stage = resolve_stage_config(tmp_path, "dev", "shop")
    assert stage.api_gateway_policy_file == str(tmp_path / ".chalice" / "api.json")
    assert stage.api_gateway_endpoint_vpce == []


def test_environment_above_lambdas_4_kb_is_refused(tmp_path: Path) -> None:
    big = {"environment_variables": {"A": "x" * 3000}}
    write_config(tmp_path, {**big, "stages": {"dev": {"environment_variables": {"B": "y" * 1200}}}})
    assert problem(tmp_path) == (
        "the environment variables of stage dev take 4202 bytes; Lambda allows 4096 in total"
    )


# -- lookup order and merging --------------------------------------------------------------------

LAYERED = {
    "lambda_timeout": 10,
    "lambda_memory_size": 256,
    "environment_variables": {"LEVEL": "top", "TOP": "1"},
    "tags": {"owner": "top", "team": "shop"},
    "api_gateway_stage": "v1",
    "lambda_functions": {
        "sweep": {
            "lambda_timeout": 20,
            "reserved_concurrency": 3,
            "environment_variables": {"LEVEL": "function", "FN": "1"},
            "tags": {"owner": "function"},
        }
    },
    "stages": {
        "prod": {
            "lambda_memory_size": 512,
            "api_gateway_stage": "live",
            "lambda_architecture": "arm64",
            "environment_variables": {"LEVEL": "stage", "STAGE": "prod"},
            "tags": {"owner": "stage", "stage": "prod"},
            "lambda_functions": {
                "sweep": {
                    "lambda_memory_size": 1024,
                    "environment_variables": {"LEVEL": "function-in-stage"},
                }
            },
        }
    },
}


@pytest.mark.parametrize(
    ("stage", "function", "timeout", "memory", "concurrency"),
    [
        ("prod", "sweep", 20, 1024, 3),  # the function in the stage, then the function
        ("prod", "other", 10, 512, None),  # the stage, then the top level
        ("dev", "sweep", 20, 256, 3),  # the function, then the top level
        ("dev", "other", 10, 256, None),  # the top level
    ],
)
def test_chalices_lookup_order(
    tmp_path: Path, stage: str, function: str, timeout: int, memory: int, concurrency: int | None
) -> None:
    write_config(tmp_path, LAYERED)
    settings = resolve_function_config(tmp_path, stage, function)
    assert (settings.lambda_timeout, settings.lambda_memory_size) == (timeout, memory)
    assert settings.reserved_concurrency == concurrency


def test_a_stage_value_beats_a_functions_top_level_one(tmp_path: Path) -> None:
    config = {
        "lambda_functions": {"f": {"lambda_timeout": 20}},
        "stages": {"prod": {"lambda_timeout": 5}},
    }
    write_config(tmp_path, config)
    assert resolve_function_config(tmp_path, "prod", "f").lambda_timeout == 5


def test_environment_and_tags_merge_across_every_level(tmp_path: Path) -> None:
    write_config(tmp_path, LAYERED)
    sweep = resolve_function_config(tmp_path, "prod", "sweep")
    assert sweep.environment_variables == {
        "LEVEL": "function-in-stage",
        "TOP": "1",
        "FN": "1",
        "STAGE": "prod",
    }
    assert sweep.tags == {"owner": "stage", "team": "shop", "stage": "prod"}
    other = resolve_function_config(tmp_path, "dev", "sweep")
    assert other.environment_variables == {"LEVEL": "function", "TOP": "1", "FN": "1"}
    assert stage_environment(tmp_path, "prod") == {"LEVEL": "stage", "TOP": "1", "STAGE": "prod"}
    assert stage_environment(tmp_path, "dev") == {"LEVEL": "top", "TOP": "1"}


def test_stage_wide_values(tmp_path: Path) -> None:
    write_config(tmp_path, LAYERED)
    prod = resolve_stage_config(tmp_path, "prod", "shop")
    assert (prod.api_gateway_stage, prod.websocket_api_stage) == ("live", "live")
    assert prod.tags == {"owner": "stage", "team": "shop", "stage": "prod"}
    assert prod.lambda_architecture == "arm64"
    assert resolve_function_config(tmp_path, "prod", "sweep").lambda_architecture == "arm64"
    dev = resolve_stage_config(tmp_path, "dev", "shop")
    assert (dev.api_gateway_stage, dev.lambda_architecture) == ("v1", "x86_64")
    assert (api_gateway_stage(tmp_path, "prod"), api_gateway_stage(tmp_path, "dev")) == (
        "live",
        "v1",
    )
    write_config(tmp_path, {"websocket_api_stage": "ws", "api_gateway_stage": "v1"})
    assert resolve_stage_config(tmp_path, "dev", "shop").websocket_api_stage == "ws"


def test_settings_do_not_share_lists_with_each_other(tmp_path: Path) -> None:
    write_config(tmp_path, {"layers": ["arn:l:1"]})
    first = resolve_function_config(tmp_path, "dev", "a")
    first.layers.append("arn:l:2")
    assert resolve_function_config(tmp_path, "dev", "b").layers == ["arn:l:1"]


# -- Chalice's own configs ----------------------------------------------------------------------

# The examples of Chalice's "Configuration File" page (its per-Lambda example without the
# trailing commas JSON refuses) and a config using every Chalice key.
CHALICE_DOCS_CONFIGS = [
    {
        "version": "2.0",
        "app_name": "app",
        "stages": {
            "dev": {"autogen_policy": True, "api_gateway_stage": "dev"},
            "beta": {"autogen_policy": False, "iam_policy_file": "beta-app-policy.json"},
            "prod": {"manage_iam_role": False, "iam_role_arn": "arn:aws:iam::...:role/prod-role"},
        },
    },
    {
        "version": "2.0",
        "app_name": "app",
        "environment_variables": {"SHARED_CONFIG": "foo", "OTHER_CONFIG": "from-top"},
        "stages": {
            "dev": {
                "environment_variables": {"TABLE_NAME": "dev-table", "OTHER_CONFIG": "dev-value"}
            },
            "prod": {
                "environment_variables": {"TABLE_NAME": "prod-table", "OTHER_CONFIG": "prod-value"}
            },
        },
    },
    {
        "stages": {
            "dev": {
                "environment_variables": {"OWNER": "dev-team"},
                "api_gateway_stage": "api",
                "lambda_functions": {
                    "foo": {
                        "subnet_ids": ["sn-1", "sn-2"],
                        "security_group_ids": ["sg-10", "sg-11"],
                        "layers": ["layer-arn-1", "layer-arn-2"],
                    },
                    "bar": {
                        "manage_iam_role": False,
                        "iam_role_arn": "arn:aws:iam::my-role-name",
                        "environment_variables": {"TABLE_NAME": "mytable"},
                    },
                },
            }
        },
        "version": "2.0",
        "app_name": "demo",
    },
    {
        "version": "2.0",
        "app_name": "shop",
        "automatic_layer": True,
        "xray": True,
        "log_retention_in_days": 30,
        "tags": {"team": "shop"},
        "lambda_architecture": "arm64",
        "api_gateway_endpoint_type": "REGIONAL",
        "minimum_compression_size": 1024,
        "stages": {
            "dev": {"api_gateway_stage": "api", "reserved_concurrency": 2},
            "prod": {
                "api_gateway_stage": "v1",
                "api_gateway_custom_domain": {
                    "domain_name": "api.example.com",
                    "certificate_arn": CERT,
                    "url_prefix": "shop",
                    "tls_version": "TLS_1_2",
                    "tags": {"env": "prod"},
                },
                "websocket_api_custom_domain": {
                    "domain_name": "ws.example.com",
                    "certificate_arn": CERT,
                },
                "lambda_memory_size": 1024,
                "lambda_functions": {"api_handler": {"lambda_timeout": 29}},
            },
        },
    },
]  # fmt: skip


@pytest.mark.parametrize("config", CHALICE_DOCS_CONFIGS)
def test_chalices_documented_configs_load_unchanged(tmp_path: Path, config: Any) -> None:
    write_config(tmp_path, config, "beta-app-policy.json")
    assert load_config(tmp_path) == config


LOOKED_UP_BY_CHALICE = (
    "lambda_timeout", "lambda_memory_size", "reserved_concurrency", "layers", "subnet_ids",
    "security_group_ids", "iam_role_arn", "manage_iam_role", "log_retention_in_days",
    "environment_variables", "lambda_architecture",
)  # fmt: skip


@pytest.mark.parametrize("config", CHALICE_DOCS_CONFIGS)
def test_values_match_chalices_own_config_class(tmp_path: Path, config: Any) -> None:
    chalice_config = pytest.importorskip("chalice.config")
    write_config(tmp_path, config, "beta-app-policy.json")
    names = {"api_handler", "foo", "bar"}
    for stage in [*config["stages"], "other"]:
        for function in names:
            ours = resolve_function_config(tmp_path, stage, function)
            theirs = chalice_config.Config(stage, function, config_from_disk=config)
            for key in LOOKED_UP_BY_CHALICE:
                expected = getattr(theirs, key)
                if expected is None or expected == {}:
                    expected = getattr(FunctionConfig(name=function), key)
                assert getattr(ours, key) == expected, (stage, function, key)
            assert ours.xray == bool(theirs.xray_enabled)
            assert ours.autogen_policy == (theirs.autogen_policy is not False)
            assert set(ours.tags.items()) <= set(theirs.tags.items())
            stage_config = resolve_stage_config(tmp_path, stage, "x")
            assert stage_config.api_gateway_stage == (theirs.api_gateway_stage or "api")
            assert stage_config.automatic_layer == theirs.automatic_layer
