"""The app's functions as the local Lambda runs them: manifest + `.chalice/config.json`.

Names follow Chalice's deployment: the API's function is `<app>-<stage>`, every other
`<app>-<stage>-<name>`; timeout, memory, reserved concurrency and environment come from
the config with Chalice's lookup order (function in stage, stage, function, top level).
"""

from __future__ import annotations

from pathlib import Path

from .._config import function_environment, function_number, load_config
from .._manifest import API_FUNCTION, AppManifest
from ._invocation import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, FunctionSpec

# Lambda's limits (REFERENCE §3): memory 128-10,240 MB, timeout up to 900 s.
MEMORY_LIMITS = (128, 10240)
TIMEOUT_LIMITS = (1, 900)
CONCURRENCY_LIMITS = (0, 1000)


def function_specs(manifest: AppManifest, project_dir: Path, stage: str) -> list[FunctionSpec]:
    config = load_config(project_dir)
    app_name = config.get("app_name") or manifest.app_name
    specs = []
    for entry in manifest.functions:
        name = entry.name

        def number(key: str, limits: tuple[int, int], fn: str = name) -> int | None:
            return function_number(project_dir, config, stage, fn, key, limits)

        timeout = number("lambda_timeout", TIMEOUT_LIMITS)
        memory = number("lambda_memory_size", MEMORY_LIMITS)
        specs.append(
            FunctionSpec(
                name=name,
                resource_name=resource_name(app_name, stage, name),
                handler=entry.handler,
                project_dir=str(project_dir.resolve()),
                timeout=DEFAULT_TIMEOUT_SECONDS if timeout is None else float(timeout),
                memory_size=DEFAULT_MEMORY_MB if memory is None else memory,
                reserved_concurrency=number("reserved_concurrency", CONCURRENCY_LIMITS),
                environment=function_environment(project_dir, config, stage, name),
            )
        )
    return specs


def resource_name(app_name: str, stage: str, function: str) -> str:
    """The deployed function name Chalice gives a function."""
    if function == API_FUNCTION:
        return f"{app_name}-{stage}"
    return f"{app_name}-{stage}-{function}"
