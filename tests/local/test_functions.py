"""Function specs: Chalice's deployed names and the config's settings per function."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelike._tooling._config import ConfigError, resolve_function_config
from chalicelike._tooling._manifest import AppManifest, FunctionEntry, deployed_name
from chalicelike.local._functions import function_specs

MANIFEST = AppManifest(
    app_name="shop",
    functions=[
        FunctionEntry("api_handler", "app.app", "api"),
        FunctionEntry("ingest", "app.ingest", "s3", {"bucket": "uploads"}),
    ],
    routes=[],
    binary_types=[],
)


def test_names_are_chalices() -> None:
    assert deployed_name("shop", "dev", "api_handler") == "shop-dev"
    assert deployed_name("shop", "prod", "ingest") == "shop-prod-ingest"


def test_defaults_without_config(tmp_path: Path) -> None:
    api, ingest = function_specs(MANIFEST, tmp_path, "dev")
    assert (api.resource_name, api.handler, api.timeout, api.memory_size) == (
        "shop-dev",
        "app.app",
        60.0,
        128,
    )
    assert ingest.reserved_concurrency is None
    assert ingest.project_dir == str(tmp_path.resolve())


def test_config_sets_timeout_memory_concurrency_and_environment(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(
        json.dumps(
            {
                "app_name": "renamed",
                "lambda_timeout": 5,
                "environment_variables": {"A": "1"},
                "stages": {
                    "dev": {
                        "lambda_functions": {
                            "ingest": {"reserved_concurrency": 2, "lambda_memory_size": 256}
                        }
                    }
                },
            }
        )
    )
    api, ingest = function_specs(MANIFEST, tmp_path, "dev")
    assert api.resource_name == "renamed-dev"
    assert (ingest.timeout, ingest.memory_size, ingest.reserved_concurrency) == (5.0, 256, 2)
    assert dict(ingest.environment) == {"A": "1"}


def test_a_timeout_above_lambdas_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps({"lambda_timeout": 901}))
    with pytest.raises(ConfigError, match="lambda_timeout must be an integer from 1 to 900"):
        function_specs(MANIFEST, tmp_path, "dev")


def test_an_entry_for_a_function_the_app_lacks_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {"lambda_functions": {"ingset": {"lambda_timeout": 5}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="did you mean ingest"):
        function_specs(MANIFEST, tmp_path, "dev")


def test_local_runs_what_package_deploys(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {
        "lambda_memory_size": 512,
        "environment_variables": {"TOP": "1"},
        "lambda_functions": {"ingest": {"environment_variables": {"FN": "1"}}},
        "stages": {"prod": {"lambda_functions": {"ingest": {"lambda_timeout": 30}}}},
    }
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    for stage in ("dev", "prod"):
        for spec in function_specs(MANIFEST, tmp_path, stage):
            settings = resolve_function_config(tmp_path, stage, spec.name)
            assert (spec.timeout, spec.memory_size) == (
                settings.lambda_timeout,
                settings.lambda_memory_size,
            )
            assert spec.reserved_concurrency == settings.reserved_concurrency
            assert dict(spec.environment) == settings.environment_variables
    ingest = function_specs(MANIFEST, tmp_path, "prod")[1]
    assert (ingest.timeout, dict(ingest.environment)) == (30.0, {"TOP": "1", "FN": "1"})


def test_xray_and_json_logs_reach_the_workers_environment_as_on_lambda(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {
        "environment_variables": {"A": "1"},
        "lambda_functions": {
            "ingest": {"xray": True, "log_format": "JSON", "log_level": "DEBUG"},
        },
        "stages": {"prod": {"log_format": "JSON"}},
    }
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    api, ingest = function_specs(MANIFEST, tmp_path, "dev")
    assert dict(api.environment) == {"A": "1"}  # neither key: the environment as configured
    assert dict(ingest.environment) == {
        "A": "1",
        "CHALICELIKE_XRAY": "true",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "DEBUG",
    }
    api, _ = function_specs(MANIFEST, tmp_path, "prod")
    assert dict(api.environment) == {"A": "1", "AWS_LAMBDA_LOG_FORMAT": "JSON"}


def test_a_log_level_without_json_logs_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    config = {"lambda_functions": {"ingest": {"log_level": "DEBUG"}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=r"lambda_functions\.ingest\.log_level needs the JSON"):
        function_specs(MANIFEST, tmp_path, "dev")
