"""The deployment as a CloudFormation stack, SAM or plain, by one writer: functions and roles in
`_functions`, APIs in `_api`, event sources in `_events`, walked in `_write.write`'s order;
the workflows' state machines (`_workflows`) after them."""

from __future__ import annotations

from typing import Any

from .._model import Deployment
from .._write import write
from . import _api, _events, _functions, _workflows
from ._stack import Stack

__all__ = ["cloudformation_template"]


def cloudformation_template(deployment: Deployment, *, sam: bool) -> dict[str, Any]:
    """The stack: SAM's (`sam`, for `sam deploy`, which uploads ./deployment.zip and expands
    the transform) or plain CloudFormation's (the zip read from S3)."""
    stack = Stack(deployment, sam=sam)
    write(stack, _functions, _api, _events)
    _workflows.state_machines(stack)
    return stack.template()
