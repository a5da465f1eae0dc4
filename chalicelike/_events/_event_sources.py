"""Event handlers: what `@app.on_s3_event` and friends register, and the Lambda handler they return.

Registration is data (an `EventSource`: kind, function name, settings) that packaging
reads later; the decorated name becomes an `EventHandler`, the object Lambda calls as
`app.<name>`. It turns the raw event into its typed class, runs the middleware for its
kind, calls the function and, for SQS, Kinesis and DynamoDB streams, reports partial
batch failures in AWS's format so the source retries exactly what failed. A handler whose
first parameter declares its data's type (`SQSRecord[Order]`, see `_event_models`) has
each body checked before it runs, a body that does not fit being a failed record. What the
app registers that AWS would refuse at deploy time is collected by `deployment_problems`.
When the app observes its invocations (tracing, JSON logs, metrics), each call runs
through the app's observer, which this module knows only as a callable.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable

from .._core import _context
from .._core._errors import InvalidEventError, InvalidResponseError, ValidationFailed
from .._core._middleware import EventType

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names

if TYPE_CHECKING:
    from typing import Any

    from .._app import Chalice
    from ._event_models import EventModel

__all__ = [
    "BatchItemFailures",
    "EventHandler",
    "EventSource",
    "LambdaFunctionEvent",
    "deployment_problems",
    "event_class_for",
]

# Sources whose batches can be partly retried (ReportBatchItemFailures): the record id AWS
# wants back, and whether a failure ends the batch (streams keep order: Lambda restarts
# from the first failed sequence number; SQS retries each failed message on its own).
_BATCH_SOURCES: dict[EventType, tuple[str, bool]] = {
    EventType.SQS: ("message_id", False),
    EventType.KINESIS: ("sequence_number", True),
    EventType.DYNAMODB: ("sequence_number", True),
}


class BatchItemFailures:
    """What a batch handler returns to name the records that failed; only they are retried.

    Give the failed records (SQSRecord, KinesisRecord, DynamoDBRecord) or their ids (the SQS
    message id, the stream sequence number). Returning `{"batchItemFailures": [...]}`, AWS's
    own answer, works too; any other return value reports nothing, as in Chalice.
    """

    __slots__ = ("items",)

    def __init__(self, failed: Iterable[Any] = ()) -> None:
        self.items: list[Any] = list(failed)

    def item_ids(self) -> list[str]:
        ids = []
        for item in self.items:
            item_id = item if isinstance(item, str) else _record_id(item)
            if not item_id:
                raise InvalidResponseError(
                    f"BatchItemFailures holds {item!r}: give failed records or their ids "
                    "(an SQS message id, a stream sequence number)"
                )
            ids.append(item_id)
        return ids

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """AWS's partial batch response: {"batchItemFailures": [{"itemIdentifier": id}]}."""
        return _report(self.item_ids())

    def __repr__(self) -> str:
        return f"BatchItemFailures({self.items!r})"


def _record_id(record: Any) -> str | None:
    for id_field in ("message_id", "sequence_number"):
        value = getattr(record, id_field, None)
        if isinstance(value, str) and value:
            return value
    return None


class EventSource:
    """One registered event handler: what packaging turns into a trigger.

    `deploy_problems` lists what AWS would refuse in the settings (a placeholder ARN, an
    empty bucket name) that Chalice accepts at import: `package` stops on them, `local`
    warns. A plain class, not a dataclass: `dataclasses` imports `inspect`, ~15 ms of
    every cold start.
    """

    __slots__ = (
        "_as_given",
        "deploy_problems",
        "handler_name",
        "kind",
        "name",
        "per_record",
        "settings",
    )

    def __init__(
        self,
        kind: EventType,
        name: str,
        handler_name: str,
        settings: dict[str, Any] | None = None,
        per_record: bool = False,
    ) -> None:
        self.kind = kind
        self.name = name  # the Lambda function's name within the app (name_prefix applied)
        self.handler_name = handler_name  # the attribute Lambda calls: app.<handler_name>
        self.settings = {} if settings is None else settings
        self.per_record = per_record
        problems = self.settings.pop("deploy_problems", ())
        self.deploy_problems: tuple[str, ...] = tuple(
            f"{kind.value} handler {name!r}: {problem}" for problem in problems
        )
        # Values as the decorator was given them, under Chalice's attribute names (a
        # schedule's Rate or Cron object, where the settings keep its expression).
        self._as_given: dict[str, Any] = self.settings.pop("as_given", {})

    @property
    def handler_string(self) -> str:
        """The handler Chalice records for the function: app.<function name>."""
        return f"app.{self.handler_name}"

    def __getattr__(self, attribute: str) -> Any:
        """A setting under Chalice's attribute name (`source.bucket`, `source.batch_size`,
        `source.schedule_expression`), as Chalice's event source configs have them."""
        try:
            settings = object.__getattribute__(self, "settings")
            as_given = object.__getattribute__(self, "_as_given")
        except AttributeError:  # not initialised yet (copy, pickle)
            raise AttributeError(attribute) from None
        if attribute in as_given:
            return as_given[attribute]
        key = _CHALICE_SETTING_NAMES.get(attribute, attribute)
        if key in settings:
            return settings[key]
        raise AttributeError(f"{self.kind.value} event source has no setting {attribute!r}")

    def __repr__(self) -> str:
        return f"EventSource({self.kind.value}, {self.name!r}, {self.settings!r})"


# Chalice's attribute names that differ from our settings' keys.
_CHALICE_SETTING_NAMES = {"schedule_expression": "expression", "route_key_handled": "route_key"}


class EventHandler:
    """The Lambda handler an event decorator returns: `handler(event, context)`.

    Calling it with the typed event's function arguments is still possible through
    `.func`, as Chalice's EventSourceHandler allows.
    """

    def __init__(
        self,
        app: Chalice,
        func: Callable[..., Any],
        event_class: Callable[[Any, Any], Any] | None,
        source: EventSource,
    ) -> None:
        self.func = func
        self.source = source
        self._app = app
        if source.kind is EventType.WEBSOCKET and event_class is not None:
            # An event without routeKey is on this handler's route.
            websocket_event: Callable[..., Any] = event_class
            event_class = functools.partial(
                websocket_event, default_route=source.settings.get("route_key")
            )
        self._event_class = event_class
        self._model = _declared_model(func, source)
        self._chain = app.middleware_stack.chain(source.kind, self._invoke)
        self._observer: Any = None  # the app's Observer, once it observes invocations
        functools.update_wrapper(self, func)

    def observe_with(self, observer: Any) -> None:
        """Run each call through `observer.run(function, source, call, event, context)`."""
        self._observer = observer

    @property
    def name(self) -> str:
        """The Lambda function's name within the app, as Chalice's handler objects have it."""
        return self.source.name

    @property
    def handler_string(self) -> str:
        return self.source.handler_string

    def __call__(self, event: Any, context: Any) -> Any:
        observer = self._observer
        if observer is not None:
            source = self.source
            return observer.run(source.name, source.kind.value, self._handle, event, context)
        try:
            return self._handle(event, context)
        finally:
            if self._app._metrics_held:  # the function first used app.metrics: write them now
                self._app._release_held_metrics()

    def _handle(self, event: Any, context: Any) -> Any:
        typed = event if self._event_class is None else self._typed(event, context)
        websocket = self.source.kind is EventType.WEBSOCKET
        if websocket:
            # Inside a websocket handler app.websocket_api already knows where to send.
            self._app.websocket_api.configure_from_event(typed)
        token = _context.lambda_context.set(context)
        try:
            result = self._chain(typed)
        finally:
            _context.lambda_context.reset(token)
        if websocket:
            return _websocket_answer(result)
        if self.source.kind is EventType.COGNITO and result is None:
            return typed.to_answer()  # Cognito wants its event back, response filled in
        if self.source.kind in _BATCH_SOURCES:
            # After the middleware too: what one of them answers goes to Lambda as well.
            return _batch_answer(result)
        return result

    def _typed(self, event: Any, context: Any) -> Any:
        assert self._event_class is not None  # checked by the caller
        try:
            return self._event_class(event, context)
        except InvalidEventError as error:
            raise InvalidEventError(f"Handler {self.source.handler_name!r}: {error}") from None

    def _invoke(self, event: Any) -> Any:
        if isinstance(event, LambdaFunctionEvent):  # @app.lambda_function: func(event, context)
            return self.func(event.event, event.context)
        batch = _BATCH_SOURCES.get(self.source.kind)
        model = self._model
        if batch is None:
            return self.func(event) if model is None else model.run(self.func, event)
        id_field, stop_at_first = batch
        # A FIFO queue keeps order: after a failure, the later messages must come back after
        # it (AWS's guidance for partial batch responses on FIFO queues), never before.
        stop_at_first = stop_at_first or self._fifo
        if self.source.per_record:
            return _report(self._each_record(event, id_field, stop_at_first))
        if model is not None:
            return self._checked_batch(event, model, id_field, stop_at_first)
        return self.func(event)  # middleware sees what the function returned

    def _run_record(self, record: Any) -> Any:
        if self._model is not None:
            self._model.load_into(record)  # a body that does not fit: a failed record
        return self.func(record)

    def _each_record(self, event: Iterable[Any], id_field: str, stop_at_first: bool) -> list[str]:
        """Run the function on every record; the ids of those that raised (streams: the first).

        Each failure is logged, one line naming the record and the error, the traceback at
        debug level: on Lambda that line is all CloudWatch keeps of why a record came back.
        """
        failed: list[str] = []
        records = list(event)
        for index, record in enumerate(records):
            try:
                self._run_record(record)
            except Exception as error:
                failed.append(self._record_failed(records, index, id_field, error))
                if stop_at_first:
                    # A stream's checkpoint is its first failure: Lambda retries from that
                    # record on, so the later ones are left for the retry, not run twice.
                    failed.extend(self._left_for_retry(records, index, failed[-1]))
                    return failed
        return failed

    def _checked_batch(
        self, event: Any, model: EventModel, id_field: str, stop_at_first: bool
    ) -> Any:
        """Call a handler declaring the whole batch (`SQSEvent[Order]`) with the records
        whose body fits; report the others as failed, beside what the handler reports.

        On a stream the handler gets the records before the first that does not fit: Lambda
        retries from that one on (the lowest sequence number reported), so no later record
        is run twice. If every body fits, the handler's answer is returned unchanged.
        """
        from ._event_models import with_records

        records = list(event)
        good: list[Any] = []
        failed: list[str] = []
        for index, record in enumerate(records):
            try:
                model.load_into(record)
            except ValidationFailed as error:
                failed.append(self._record_failed(records, index, id_field, error))
                if stop_at_first:
                    failed.extend(self._left_for_retry(records, index, failed[-1]))
                    break
            else:
                good.append(record)
        if not failed:
            return self.func(event)
        reported = self.func(with_records(event, good)) if good else None
        theirs = _reported_ids(reported, self.source.handler_name)
        return _report(failed + [item for item in theirs if item not in failed])

    def _record_failed(
        self, records: list[Any], index: int, id_field: str, error: Exception
    ) -> str:
        """The id of a record that failed, after logging one line naming it and why."""
        record_id = getattr(records[index], id_field)
        if not record_id:
            report = "per_record failure report" if self.source.per_record else "batch response"
            raise InvalidEventError(
                f"Handler {self.source.handler_name!r}: record {index} failed and has "
                f"no {id_field} (AWS always sends one), by which the {report} must name it"
            ) from error
        record_id = str(record_id)
        log = self._app.log
        log.error(
            "%s: record %s failed: %s: %s",
            self.source.handler_name, record_id, type(error).__name__,
            str(error).replace("\n", "\\n"),  # one line per record, always
        )  # fmt: skip
        log.debug("Traceback of record %s:", record_id, exc_info=True)
        return record_id

    def _left_for_retry(self, records: list[Any], index: int, record_id: str) -> list[str]:
        """Log the records after a failure left unrun; on a FIFO queue, their ids too: SQS
        deletes every message a batch response does not name, so they must be named."""
        later = records[index + 1 :]
        if later:
            self._app.log.info(
                "%s: %d later record(s) left for the retry from %s",
                self.source.handler_name, len(later), record_id,
            )  # fmt: skip
        if not self._fifo:
            return []  # a stream retries from the first failure's sequence number
        return [str(record.message_id) for record in later]

    @property
    def _fifo(self) -> bool:
        settings = self.source.settings
        name = settings.get("queue") or settings.get("queue_arn") or ""
        return self.source.kind is EventType.SQS and str(name).endswith(".fifo")


class LambdaFunctionEvent:
    """What middleware sees for a pure Lambda function: the raw event and its context."""

    def __init__(self, event: Any, context: Any) -> None:
        self.event = event
        self.context = context

    def to_dict(self) -> Any:
        return self.event

    def to_original_event(self) -> Any:
        return self.event


def event_class_for(kind: EventType) -> Callable[[Any, Any], Any]:
    """The typed event a handler of `kind` receives (imported only by apps that use it)."""
    if kind is EventType.PURE_LAMBDA:
        return LambdaFunctionEvent
    if kind is EventType.WEBSOCKET:
        from ._websockets import WebsocketEvent

        return WebsocketEvent
    if kind in (EventType.SES, EventType.COGNITO):
        from ._trigger_events import CognitoEvent, SESEvent

        trigger_class: Callable[[Any, Any], Any] = (
            SESEvent if kind is EventType.SES else CognitoEvent
        )
        return trigger_class
    from ._lambda_events import CloudWatchEvent, S3Event, SNSEvent
    from ._stream_events import DynamoDBEvent, KinesisEvent, SQSEvent

    classes: dict[EventType, Callable[[Any, Any], Any]] = {
        EventType.S3: S3Event,
        EventType.SNS: SNSEvent,
        EventType.SQS: SQSEvent,
        EventType.KINESIS: KinesisEvent,
        EventType.DYNAMODB: DynamoDBEvent,
        EventType.CLOUDWATCH: CloudWatchEvent,
        EventType.SCHEDULED: CloudWatchEvent,
    }
    return classes[kind]


def _declared_model(func: Callable[..., Any], source: EventSource) -> EventModel | None:
    """The data type the handler's first parameter declares, None if none. A record type
    (`SQSRecord[Order]`) makes a batch handler per_record."""
    if not getattr(getattr(func, "__func__", func), "__annotations__", None):
        return None  # nothing declared: the models' module is not even loaded
    from ._event_models import ModelForm, event_model_for

    model = event_model_for(func, source.kind, source.handler_name, source.per_record)
    if model is not None and model.form is ModelForm.RECORD and source.kind in _BATCH_SOURCES:
        source.per_record = True
    return model


def _reported_ids(result: Any, handler_name: str) -> list[str]:
    """The ids a batch handler's answer names as failed (none for any other answer)."""
    if isinstance(result, BatchItemFailures):
        return result.item_ids()
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return []
    items = result["batchItemFailures"]
    if not items:  # null or empty: Lambda reads a complete success
        return []
    ids: list[str] = []
    for item in items if isinstance(items, list) else [items]:
        item_id = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(item_id, str) or not item_id:
            # Lambda takes an answer with an empty, null or missing itemIdentifier as the
            # whole batch failing: so does raising here, rather than dropping the item.
            raise InvalidResponseError(
                f"Handler {handler_name!r} answered batchItemFailures {items!r}: each item "
                'must be {"itemIdentifier": "<message id or sequence number>"}'
            )
        ids.append(item_id)
    return ids


def _batch_answer(result: Any) -> Any:
    """What a batch handler's return value tells Lambda.

    Only a BatchItemFailures or AWS's own dict reports failures (a dict without
    batchItemFailures is a success to AWS). Any other value means nothing, as in Chalice:
    called directly (a unit test, the test client) the handler returns it unchanged, as
    Chalice's does; under a Lambda runtime it is not sent, since Lambda would read a list,
    a string or an unserialisable object as a failed batch (a list of results once had
    every message retried until the dead-letter queue).
    """
    if isinstance(result, BatchItemFailures):
        return result.to_dict()
    if result is None or isinstance(result, dict) or not _under_lambda_runtime():
        return result
    return None


def _under_lambda_runtime() -> bool:
    # Lambda sets it in every execution environment, and so do `chalicelike local`'s workers.
    return "AWS_LAMBDA_RUNTIME_API" in os.environ


def _websocket_answer(result: Any) -> Any:
    """API Gateway wants a status from a websocket route: 200 unless the handler says."""
    if hasattr(result, "to_dict") and hasattr(result, "status_code"):  # a Response
        return result.to_dict()
    if isinstance(result, dict):
        return result if "statusCode" in result else {"statusCode": 200, **result}
    return {"statusCode": 200}


def _report(failed_ids: list[str]) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": item} for item in failed_ids]}


def deployment_problems(app: Chalice) -> list[str]:
    """What AWS would refuse in the app's handlers and authorizers, one message each.

    These are values Chalice accepts at import (an empty bucket name, a placeholder ARN),
    so the app imports and its tests run; `package` should stop on them and `local` warn.
    Each message names the handler or authorizer, the setting and what AWS needs.
    """
    problems: list[str] = []
    for handler in app.handlers.values():
        problems.extend(handler.source.deploy_problems)
    authorizers: list[Any] = list(app.authorizers.values())
    for methods in app.routes.values():
        authorizers.extend(entry.authorizer for entry in methods.values() if entry.authorizer)
    for authorizer in authorizers:
        for problem in getattr(authorizer, "deploy_problems", ()):
            if problem not in problems:  # a route's with_scopes() copy says it again
                problems.append(problem)
    return problems
