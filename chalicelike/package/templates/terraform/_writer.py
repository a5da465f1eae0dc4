"""The deployment as Terraform JSON (`chalicelike.tf.json`, hashicorp/aws provider): functions
and roles in `_functions`, APIs in `_api`, event sources in `_events`, walked in
`_write.write`'s order; the workflows' state machines (`_workflows`) after them."""

from __future__ import annotations

from typing import Any

from .._model import Deployment
from .._write import write
from . import _api, _events, _functions, _workflows
from ._document import Document

__all__ = ["terraform_template"]


def terraform_template(deployment: Deployment) -> dict[str, Any]:
    document = Document(deployment)
    write(document, _functions, _api, _events)
    _workflows.state_machines(document)
    return document.document()
