"""Reading .chalice/config.json: stage environment variables and the API Gateway stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelike._config import ConfigError, api_gateway_stage, load_config, stage_environment


def write_config(project: Path, config: Any) -> Path:
    (project / ".chalice").mkdir(exist_ok=True)
    path = project / ".chalice" / "config.json"
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return path


def test_no_config_file_means_nothing_configured(tmp_path: Path) -> None:
    assert load_config(tmp_path) == {}
    assert stage_environment(tmp_path, "dev") == {}
    assert api_gateway_stage(tmp_path, "dev") == "api"


def test_stage_values_override_top_level(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {
            "environment_variables": {"A": "top", "B": "top"},
            "stages": {"prod": {"environment_variables": {"B": "prod", "C": "prod"}}},
        },
    )
    assert stage_environment(tmp_path, "prod") == {"A": "top", "B": "prod", "C": "prod"}
    assert stage_environment(tmp_path, "dev") == {"A": "top", "B": "top"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "the top level must be a JSON object"),
        ({"environment_variables": ["A"]}, "environment_variables must be an object of strings"),
        (
            {"stages": {"dev": {"environment_variables": {"PORT": 8000}}}},
            "stages.dev.environment_variables.PORT must be a string, not 8000",
        ),
    ],
)
def test_bad_config_names_the_file_and_key(tmp_path: Path, config: Any, message: str) -> None:
    path = write_config(tmp_path, config)
    with pytest.raises(ConfigError) as info:
        stage_environment(tmp_path, "dev")
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_api_gateway_stage_lookup_order(tmp_path: Path) -> None:
    write_config(
        tmp_path, {"api_gateway_stage": "v1", "stages": {"prod": {"api_gateway_stage": "live"}}}
    )
    assert api_gateway_stage(tmp_path, "prod") == "live"
    assert api_gateway_stage(tmp_path, "dev") == "v1"


def test_bad_api_gateway_stage(tmp_path: Path) -> None:
    write_config(tmp_path, {"api_gateway_stage": ""})
    with pytest.raises(ConfigError, match="api_gateway_stage must be a non-empty string"):
        api_gateway_stage(tmp_path, "dev")


def test_function_settings_follow_chalices_lookup_order(tmp_path: Path) -> None:
    from chalicelike._config import function_environment, function_number

    config = {
        "lambda_timeout": 10,
        "environment_variables": {"LEVEL": "top", "TOP": "1"},
        "lambda_functions": {"sweep": {"lambda_timeout": 20, "environment_variables": {"F": "1"}}},
        "stages": {
            "dev": {
                "lambda_memory_size": 512,
                "environment_variables": {"LEVEL": "stage"},
                "lambda_functions": {
                    "sweep": {"lambda_memory_size": 1024, "environment_variables": {"LEVEL": "fn"}}
                },
            }
        },
    }
    limits = (1, 10240)
    assert function_number(tmp_path, config, "dev", "sweep", "lambda_timeout", limits) == 20
    assert function_number(tmp_path, config, "dev", "other", "lambda_timeout", limits) == 10
    assert function_number(tmp_path, config, "dev", "sweep", "lambda_memory_size", limits) == 1024
    assert function_number(tmp_path, config, "dev", "other", "lambda_memory_size", limits) == 512
    assert function_number(tmp_path, config, "prod", "x", "lambda_memory_size", limits) is None
    assert function_environment(tmp_path, config, "dev", "sweep") == {
        "LEVEL": "fn",
        "TOP": "1",
        "F": "1",
    }
    assert function_environment(tmp_path, config, "dev", "other") == {"LEVEL": "stage", "TOP": "1"}


def test_a_number_out_of_lambdas_limits_names_the_key_path(tmp_path: Path) -> None:
    from chalicelike._config import function_number

    config = {"stages": {"dev": {"lambda_functions": {"f": {"lambda_memory_size": 100}}}}}
    with pytest.raises(ConfigError) as raised:
        function_number(tmp_path, config, "dev", "f", "lambda_memory_size", (128, 10240))
    message = str(raised.value)
    assert "config.json" in message
    assert "stages.dev.lambda_functions.f.lambda_memory_size" in message
    assert "from 128 to 10240" in message and "100" in message
