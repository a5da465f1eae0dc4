"""The package's infrastructure templates: `_model` is the deployment in no format's spelling,
`_write` walks it, `cloudformation/` (SAM and plain) and `terraform/` spell it. A writer imports
only `_model`, `_write` and the shared `_aws` and `_openapi`, never another writer; only
`_formats` picks one."""

from ._formats import FILE_NAMES, TemplateFormat, build_templates

__all__ = ["FILE_NAMES", "TemplateFormat", "build_templates"]
