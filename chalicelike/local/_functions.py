"""The app's functions as the local Lambda runs them: manifest + `.chalice/config.json`.

Names follow Chalice's deployment: the API's function is `<app>-<stage>`, every other
`<app>-<stage>-<name>`; timeout, memory, reserved concurrency and environment are the
`FunctionConfig` the packager deploys (CHALICELIKE_XRAY with `xray`, and Lambda's
AWS_LAMBDA_LOG_FORMAT/LEVEL with a JSON `log_format`), so one config drives both.
"""

from __future__ import annotations

from pathlib import Path

from .._tooling._config import resolve_function_configs, resolve_stage_config
from .._tooling._manifest import AppManifest, deployed_name
from ._invocation import FunctionSpec

__all__ = ["function_specs"]


def function_specs(manifest: AppManifest, project_dir: Path, stage: str) -> list[FunctionSpec]:
    names = [entry.name for entry in manifest.functions]
    # Checked with the app's function names: a lambda_functions entry naming none is an error.
    configs = resolve_function_configs(project_dir, stage, names, function_names=names)
    app_name = resolve_stage_config(project_dir, stage, manifest.app_name).app_name
    specs = []
    for entry in manifest.functions:
        settings = configs[entry.name]
        specs.append(
            FunctionSpec(
                name=entry.name,
                resource_name=deployed_name(app_name, stage, entry.name),
                handler=entry.handler,
                project_dir=str(project_dir.resolve()),
                timeout=float(settings.lambda_timeout),
                memory_size=settings.lambda_memory_size,
                reserved_concurrency=settings.reserved_concurrency,
                # As deployed, plus what Lambda sets from a JSON LoggingConfig.
                environment=settings.runtime_environment(),
                maximum_retry_attempts=settings.maximum_retry_attempts,
            )
        )
    return specs
