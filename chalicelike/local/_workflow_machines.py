"""The app's workflows as state machines on the local AWS endpoint, kept in step with the app.

After each read of the app the local cloud calls `WorkflowMachines.sync`: every workflow of
the manifest becomes (or updates) the state machine `<app>-<stage>-<name>`, its Tasks naming
the functions' local ARNs, whose Lambda Invokes the endpoint hands to the dev server
(`_lambda_invoke_tap.py`); its schedule or event pattern starts executions
(`_workflow_triggers.py`); a workflow the app no longer declares is deleted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from .._tooling._manifest import AppManifest
from .._tooling._workflow_check import with_function_arns
from .._tooling._workflows import WorkflowEntry, state_machine_name
from ._live_sources import CloudContext, LiveSource

__all__ = ["WorkflowMachines", "local_definition", "machine_arn", "machine_name"]

# Step Functions wants an execution role; the endpoint checks only its form.
ROLE_NAME = "chalicelike-local-workflows"


def machine_name(app_name: str, stage: str, workflow: str) -> str:
    """The state machine's name, as `package` names it: '<app>-<stage>-<workflow>'."""
    return state_machine_name(app_name, stage, workflow)


def machine_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account_id}:stateMachine:{name}"


def local_definition(definition: Any, function_arn: Callable[[str], str]) -> Any:
    """`definition` with every "function:<name>" a Task names replaced by
    `function_arn(name)`, in nested machines (Parallel branches, Map processors) too: the
    substitution the test client's runner makes."""
    return with_function_arns(definition, function_arn)


class WorkflowMachines:
    """The state machines of one app and stage on the endpoint, and their triggers."""

    def __init__(self, context: CloudContext, stage: str) -> None:
        self.context = context
        self.stage = stage
        self.role_arn = f"arn:aws:iam::{context.account_id}:role/{ROLE_NAME}"
        self._definitions: dict[str, str] = {}  # machine name -> the definition it has
        self._triggers: dict[str, tuple[str, list[LiveSource]]] = {}  # name -> (key, running)

    async def sync(self, manifest: AppManifest) -> None:
        """Create, update and delete machines (and their triggers) to match `manifest`."""
        wanted = {
            machine_name(manifest.app_name, self.stage, entry.name): entry
            for entry in manifest.workflows
        }
        changed = False
        for name in [name for name in self._definitions if name not in wanted]:
            await self._stop_triggers(name)
            await self._delete(name)
            changed = True
        for name, entry in wanted.items():
            text = json.dumps(local_definition(entry.definition, self._function_arn))
            if self._definitions.get(name) != text:
                if not await self._put(name, text):
                    continue
                changed = True
            await self._sync_triggers(name, entry)
        if changed:
            listed = ", ".join(f"{entry.name} ({name})" for name, entry in wanted.items())
            self.context.log(
                f"chalicelike local: {len(wanted)} workflows as state machines: {listed or 'none'}"
            )

    def _function_arn(self, function: str) -> str:
        spec = self.context.local_lambda.find(function)
        name = spec.resource_name if spec is not None else function
        return f"arn:aws:lambda:{self.context.region}:{self.context.account_id}:function:{name}"

    def arn(self, name: str) -> str:
        return machine_arn(self.context.region, self.context.account_id, name)

    async def start(self, app_name: str, workflow: str, input_text: str) -> dict[str, Any]:
        """StartExecution of the app's `workflow`, as API Gateway's integration calls it:
        the service's answer (executionArn, startDate as epoch seconds)."""
        arn = self.arn(machine_name(app_name, self.stage, workflow))
        client = self.context.clients.get("stepfunctions")
        found = await self.context.call(
            lambda: client.start_execution(stateMachineArn=arn, input=input_text)
        )
        return {"executionArn": found["executionArn"], "startDate": found["startDate"].timestamp()}

    async def _put(self, name: str, definition: str) -> bool:
        try:
            await self.context.call(self._create_or_update, name, definition)
        except Exception as error:  # the endpoint is down, or refuses the definition
            self.context.log(
                f"chalicelike local: could not create state machine {name}:"
                f" {type(error).__name__}: {error}"
            )
            return False
        self._definitions[name] = definition
        return True

    def _create_or_update(self, name: str, definition: str) -> None:
        states = self.context.clients.get("stepfunctions")
        # AWS's answer for a name another definition has taken: updated below.
        with contextlib.suppress(states.exceptions.StateMachineAlreadyExists):
            states.create_state_machine(name=name, definition=definition, roleArn=self.role_arn)
        # moto hands back an existing machine unchanged: the update makes it this one.
        states.update_state_machine(
            stateMachineArn=self.arn(name), definition=definition, roleArn=self.role_arn
        )

    async def _delete(self, name: str) -> None:
        self._definitions.pop(name, None)
        states = self.context.clients.get("stepfunctions")
        try:
            await self.context.call(states.delete_state_machine, stateMachineArn=self.arn(name))
        except Exception as error:
            self.context.log(
                f"chalicelike local: could not delete state machine {name}:"
                f" {type(error).__name__}: {error}"
            )

    async def _sync_triggers(self, name: str, entry: WorkflowEntry) -> None:
        """Start the machine's schedule and event rule; a changed trigger is replaced."""
        from ._workflow_triggers import triggers_of

        key = json.dumps([entry.schedule, entry.event_pattern], sort_keys=True)
        if name in self._triggers and self._triggers[name][0] == key:
            return
        await self._stop_triggers(name)
        running = triggers_of(entry, name, self.arn(name), self.context)
        for trigger in running:
            trigger.start()
        self._triggers[name] = (key, running)

    async def _stop_triggers(self, name: str) -> None:
        _, running = self._triggers.pop(name, ("", []))
        for trigger in running:
            await trigger.stop()

    async def close(self) -> None:
        for name in list(self._triggers):
            await self._stop_triggers(name)
