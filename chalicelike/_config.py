"""Reading `.chalice/config.json`: for now, the environment variables of a stage.

Lookup order is Chalice's: top-level values, overridden by the stage's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._errors import ChaliceError


class ConfigError(ChaliceError, ValueError):
    """The project's config file cannot be used; the message names the file and key."""


def load_config(project_dir: str | Path) -> dict[str, Any]:
    path = Path(project_dir) / ".chalice" / "config.json"
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the top level must be a JSON object")
    return config


def stage_environment(project_dir: str | Path, stage: str) -> dict[str, str]:
    """The environment variables a stage's functions get (top level, then the stage's)."""
    config = load_config(project_dir)
    stage_config = (config.get("stages") or {}).get(stage) or {}
    merged: dict[str, str] = {}
    for where, section in (("", config), (f"stages.{stage}.", stage_config)):
        variables = section.get("environment_variables") or {}
        if not isinstance(variables, dict):
            raise ConfigError(
                f"{Path(project_dir) / '.chalice' / 'config.json'}: "
                f"{where}environment_variables must be an object of strings"
            )
        for name, value in variables.items():
            if not isinstance(value, str):
                raise ConfigError(
                    f"{Path(project_dir) / '.chalice' / 'config.json'}: "
                    f"{where}environment_variables.{name} must be a string, not {value!r}"
                )
            merged[name] = value
    return merged


def api_gateway_stage(project_dir: str | Path, stage: str) -> str:
    """The API Gateway stage name a Chalice stage deploys to ('api' unless configured)."""
    config = load_config(project_dir)
    stage_config = (config.get("stages") or {}).get(stage) or {}
    value = stage_config.get("api_gateway_stage", config.get("api_gateway_stage", "api"))
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"{Path(project_dir) / '.chalice' / 'config.json'}: api_gateway_stage must be a "
            f"non-empty string, not {value!r}"
        )
    return value


def _config_path(project_dir: str | Path) -> Path:
    return Path(project_dir) / ".chalice" / "config.json"


def _lookup_chain(
    config: dict[str, Any], stage: str, function: str
) -> list[tuple[str, dict[str, Any]]]:
    """Where a function's setting is looked up, most specific first (Chalice's order)."""
    stage_config = (config.get("stages") or {}).get(stage) or {}
    return [
        (
            f"stages.{stage}.lambda_functions.{function}.",
            (stage_config.get("lambda_functions") or {}).get(function) or {},
        ),
        (f"stages.{stage}.", stage_config),
        (
            f"lambda_functions.{function}.",
            (config.get("lambda_functions") or {}).get(function) or {},
        ),
        ("", config),
    ]


def function_setting(
    project_dir: str | Path, config: dict[str, Any], stage: str, function: str, key: str
) -> tuple[str, Any] | None:
    """The most specific value of `key` for a function, with the key path it came from."""
    for where, section in _lookup_chain(config, stage, function):
        if key in section:
            return f"{where}{key}", section[key]
    return None


def function_environment(
    project_dir: str | Path, config: dict[str, Any], stage: str, function: str
) -> dict[str, str]:
    """A function's environment variables: every level merged, the most specific winning."""
    merged: dict[str, str] = {}
    for where, section in reversed(_lookup_chain(config, stage, function)):
        variables = section.get("environment_variables") or {}
        if not isinstance(variables, dict):
            raise ConfigError(
                f"{_config_path(project_dir)}: {where}environment_variables must be an "
                "object of strings"
            )
        for name, value in variables.items():
            if not isinstance(value, str):
                raise ConfigError(
                    f"{_config_path(project_dir)}: {where}environment_variables.{name} must "
                    f"be a string, not {value!r}"
                )
            merged[name] = value
    return merged


def function_number(
    project_dir: str | Path,
    config: dict[str, Any],
    stage: str,
    function: str,
    key: str,
    limits: tuple[int, int],
) -> int | None:
    """An integer setting of a function within Lambda's limits, or None when unset."""
    found = function_setting(project_dir, config, stage, function, key)
    if found is None:
        return None
    where, value = found
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"{_config_path(project_dir)}: {where} must be an integer from {low} to {high}, "
            f"not {value!r}"
        )
    return value
