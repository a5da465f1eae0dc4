"""One entry point for every template format: `build_templates` returns file name → document.
The CLI resolves the config and the IAM policy first; nothing here reads files or calls AWS."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from .._tooling._manifest import AppManifest
from .._tooling._settings import FunctionConfig, StageConfig
from ._resources import TemplateError


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
    arguments = (
        manifest,
        stage_config,
        function_configs,
        policy,
        function_policies,
        api_gateway_policy,
    )
    if kind is TemplateFormat.TERRAFORM:
        from ._terraform import terraform_template

        return {FILE_NAMES[kind]: terraform_template(*arguments)}
    from ._cloudformation import cloudformation_template, sam_template

    build = sam_template if kind is TemplateFormat.SAM else cloudformation_template
    return {FILE_NAMES[kind]: build(*arguments)}
