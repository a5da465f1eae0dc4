"""One entry point for every template format: `build_templates` returns file name → document.
The CLI resolves the config and the IAM policy first; nothing here reads files or calls AWS.
The deployment is built once (`_model`), then written by the format's one writer."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from ..._tooling._manifest import AppManifest
from ..._tooling._settings import FunctionConfig, StageConfig
from ._aws import TemplateError
from ._model import build_deployment

__all__ = ["FILE_NAMES", "TemplateFormat", "build_templates"]


class TemplateFormat(str, enum.Enum):
    """`--pkg-format`: which infrastructure tool deploys the package."""

    SAM = "sam"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"


FILE_NAMES = {
    TemplateFormat.SAM: "sam.json",
    TemplateFormat.CLOUDFORMATION: "cloudformation.json",
    TemplateFormat.TERRAFORM: "chalicelike.tf.json",
}


def build_templates(
    manifest: AppManifest,
    stage_config: StageConfig,
    function_configs: Mapping[str, FunctionConfig],
    policy: Mapping[str, Any] | None,
    fmt: str | TemplateFormat,
    *,
    function_policies: Mapping[str, Mapping[str, Any]] | None = None,
    api_gateway_policy: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The template for `fmt`, keyed by the file name it is written to.

    `policy` is the app's role policy (None when every function names its own role);
    `function_policies` gives a function a role of its own when its policy differs.
    """
    try:
        kind = TemplateFormat(fmt)
    except ValueError:
        allowed = ", ".join(f.value for f in TemplateFormat)
        raise TemplateError(f"Unknown package format {fmt!r}; use one of {allowed}") from None
    deployment = build_deployment(
        manifest, stage_config, function_configs, policy, function_policies, api_gateway_policy
    )
    if kind is TemplateFormat.TERRAFORM:
        from .terraform import terraform_template

        return {FILE_NAMES[kind]: terraform_template(deployment)}
    from .cloudformation import cloudformation_template

    sam = kind is TemplateFormat.SAM
    return {FILE_NAMES[kind]: cloudformation_template(deployment, sam=sam)}
