"""Makes the embedded endpoint run Step Functions executions as AWS does, with moto's interpreter.

moto runs a state machine's executions only when configured to (otherwise StartExecution
records one that never moves); its interpreter's backend names an execution started without
a name "None" (AWS names it with a UUID) and skips checks StartExecution makes on AWS (the
name's form, the input's size). Its interpreter's per-state log lines (the whole execution's
context, kilobytes each) are quieted. Applied where moto serves.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any

from .._tooling._workflow_runner import MAX_INPUT_BYTES, PARSER_LOGGER
from .._workflows._declaration import is_step_functions_name

__all__ = ["MAX_INPUT_BYTES", "PARSER_LOGGER", "patch_moto_stepfunctions", "refused_name"]


def refused_name(name: str) -> bool:
    """Whether StartExecution refuses `name` as InvalidName: an execution's name follows the
    rules of a state machine's (1-80 characters, no white space, brackets, wildcards,
    special or control characters)."""
    return not is_step_functions_name(name)


def patch_moto_stepfunctions() -> bool:
    """Turn on moto's executions and patch StartExecution in this process (idempotent).
    False, changing nothing, when this moto is not the one patched."""
    try:
        from moto.core.config import default_user_config
        from moto.stepfunctions.parser.api import InvalidExecutionInput, InvalidName
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    except ImportError:
        return False
    start: Any = getattr(StepFunctionsParserBackend, "start_execution", None)
    if not callable(start):
        return False
    if not getattr(start, "_chalicelike", False):
        # The parameters this patch reads by position, as moto's responses pass them.
        parameters = list(inspect.signature(start).parameters)
        if parameters[:4] != ["self", "state_machine_arn", "name", "execution_input"]:
            return False
    settings: Any = default_user_config
    settings.setdefault("stepfunctions", {})["execute_state_machine"] = True
    logging.getLogger(PARSER_LOGGER).setLevel(logging.CRITICAL)
    if getattr(start, "_chalicelike", False):
        return True

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # StartExecution's name is optional: "If you don't provide a name, AWS Step
        # Functions automatically generates a universally unique identifier (UUID)".
        if name is not None and refused_name(str(name)):
            raise InvalidName(f"Invalid Name: '{name}'")
        if execution_input is not None and len(str(execution_input).encode()) > MAX_INPUT_BYTES:
            raise InvalidExecutionInput(
                f"The input is larger than the {MAX_INPUT_BYTES} bytes (256 KiB) allowed"
            )
        # A name used before is refused by moto's own check (ExecutionAlreadyExists for an
        # ended execution, or a running one given another input), as AWS does for 90 days.
        name = name or str(uuid.uuid4())
        return start(self, state_machine_arn, name, execution_input, *args, **kwargs)

    start_execution._chalicelike = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    return True
