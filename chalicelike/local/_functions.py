"""The app's functions as the local Lambda runs them: manifest + `.chalice/config.json`.

Names follow Chalice's deployment: the API's function is `<app>-<stage>`, every other
`<app>-<stage>-<name>`; timeout, memory, reserved concurrency and environment are the
`FunctionConfig` the packager deploys, so one config drives both `local` and `package`.
"""

from __future__ import annotations

from pathlib import Path

from .._config import load_config, resolve_function_config
from .._manifest import AppManifest, deployed_name
from ._invocation import FunctionSpec


def function_specs(manifest: AppManifest, project_dir: Path, stage: str) -> list[FunctionSpec]:
    names = [entry.name for entry in manifest.functions]
    # Checked with the app's function names: a lambda_functions entry naming none is an error.
    config = load_config(project_dir, names)
    app_name = config.get("app_name") or manifest.app_name
    specs = []
    for entry in manifest.functions:
        settings = resolve_function_config(project_dir, stage, entry.name, function_names=names)
        specs.append(
            FunctionSpec(
                name=entry.name,
                resource_name=deployed_name(app_name, stage, entry.name),
                handler=entry.handler,
                project_dir=str(project_dir.resolve()),
                timeout=float(settings.lambda_timeout),
                memory_size=settings.lambda_memory_size,
                reserved_concurrency=settings.reserved_concurrency,
                environment=settings.environment_variables,
            )
        )
    return specs
