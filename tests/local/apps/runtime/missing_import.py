"""An app whose import fails: a module it needs is missing."""

import a_module_that_does_not_exist  # noqa: F401
