"""Makes the embedded endpoint run Step Functions executions as AWS does, with moto's interpreter.

moto runs a state machine's executions only when configured to (otherwise StartExecution
records one that never moves), and its interpreter's backend names an execution started
without a name "None", so a second one is refused as ExecutionAlreadyExists. AWS names it
with a UUID. Applied where moto serves.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["patch_moto_stepfunctions"]


def patch_moto_stepfunctions() -> bool:
    """Turn on moto's executions and patch the unnamed execution's name in this process
    (idempotent). False, changing nothing, when this moto is not the one patched."""
    try:
        from moto.core.config import default_user_config
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    except ImportError:
        return False
    start: Any = getattr(StepFunctionsParserBackend, "start_execution", None)
    if not callable(start):
        return False
    settings: Any = default_user_config
    settings.setdefault("stepfunctions", {})["execute_state_machine"] = True
    if getattr(start, "_chalicelike", False):
        return True

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        # StartExecution's name is optional: "If you don't provide a name, AWS Step
        # Functions automatically generates a universally unique identifier (UUID)".
        return start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    start_execution._chalicelike = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    return True
