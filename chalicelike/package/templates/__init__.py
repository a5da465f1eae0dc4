"""The package's infrastructure templates: `_model` is the deployment in no format's spelling,
`cloudformation/` (SAM and plain) and `terraform/` write it. A writer imports only `_model` and
the shared `_aws` and `_openapi`, never another writer; only `_formats` picks one."""

from ._formats import FILE_NAMES, TemplateFormat, build_templates

__all__ = ["FILE_NAMES", "TemplateFormat", "build_templates"]
