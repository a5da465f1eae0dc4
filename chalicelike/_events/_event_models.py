"""Event handlers that declare the type of their messages' data: `def work(rec: SQSRecord[Order])`.

Read once, when the handler is registered, from its first parameter's hint: in which form
the handler takes its events (one record at a time, the batch, the event) and the compiled
loader of the declared type (`_contracts`). Loaded only for a handler whose first parameter
has a hint, and `_contracts` only for one that declares a type: other apps import neither.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from .._core._errors import InvalidEventError, RegistrationError, ValidationFailed
from .._core._middleware import EventType

__all__ = ["EventModel", "ModelForm", "event_model_for", "with_records"]


class ModelForm(enum.Enum):
    """How a handler declaring a type takes its events, and what a body that does not fit does."""

    # SQSRecord[T], KinesisRecord[T]: called once per record, as per_record=True; a body
    # that does not fit is a failed record. SNSRecord[T]: the same, but SNS has no partial
    # answer, so it fails the invocation.
    RECORD = "record"
    # SQSEvent[T], KinesisEvent[T]: called once with the records whose body fits; the
    # others are reported as failed beside what the handler reports.
    BATCH = "batch"
    # SNSEvent[T], CloudWatchEvent[T]: a body that does not fit fails the invocation, so
    # Lambda's retries, dead-letter queue or on-failure destination keep the event.
    EVENT = "event"


class EventModel:
    """A handler's declared data type: the form it takes events in, and the loader."""

    __slots__ = ("form", "handler_name", "hint", "load")

    def __init__(
        self, form: ModelForm, hint: Any, load: Callable[[Any], Any], handler_name: str
    ) -> None:
        self.form = form
        self.hint = hint  # SQSRecord[Order], as declared
        self.load = load
        self.handler_name = handler_name

    def load_into(self, item: Any) -> None:
        """Make `item.payload` the declared type's value; ValidationFailed if the data does
        not fit (or is not JSON: pydantic's `json_invalid`)."""
        try:
            item.load_payload(self.load)
        except InvalidEventError as error:
            from .._contracts._coerce import FieldError

            reason = f"Invalid JSON: {error.__cause__ or error}"
            raise ValidationFailed([FieldError((), reason, "json_invalid")]) from None

    def run(self, func: Callable[..., Any], event: Any) -> Any:
        """Call a handler of a source without partial answers (SNS, EventBridge): every body
        is checked first, and one that does not fit raises ValidationFailed naming the
        handler and the message. Lambda then retries the asynchronous invoke twice and hands
        the event to the dead-letter queue or on-failure destination: it is never lost."""
        items = list(event.records) if hasattr(event, "records") else [event]
        for item in items:  # all of them before the handler does anything
            self.check(item)
        if self.form is ModelForm.EVENT:
            return func(event)
        results = [func(record) for record in items]
        return results[0] if len(results) == 1 else results  # SNS sends one record per invoke

    def check(self, item: Any) -> None:
        """`load_into`, its ValidationFailed prefixed with the handler and the item's id."""
        try:
            self.load_into(item)
        except ValidationFailed as error:
            error.args = (f"Handler {self.handler_name!r}: {_describe(item)}: {error}",)
            raise

    def __repr__(self) -> str:
        return f"EventModel({self.form.name}, {_hint_name(self.hint)})"


def _describe(item: Any) -> str:
    if getattr(item, "detail_type", None) is not None:  # an EventBridge event
        return f"EventBridge event {item.event_id!r} ({item.detail_type})"
    return f"SNS message {getattr(item, 'message_id', '')!r}"


def with_records(event: Any, records: Iterable[Any]) -> Any:
    """A copy of a batch event holding only `records` (the ones whose body fits)."""
    from ._lambda_events import BaseLambdaEvent

    kept = tuple(records)
    event_class: Any = type(event)
    subset = event_class.__new__(event_class)
    raw = {**event.to_dict(), "Records": [record.to_dict() for record in kept]}
    BaseLambdaEvent.__init__(subset, raw, event.context)
    subset.records = kept
    return subset


def event_model_for(
    func: Callable[..., Any], kind: EventType, handler_name: str, per_record: bool
) -> EventModel | None:
    """The type `func`'s first parameter declares for its events' data, or None when it
    declares none (or its hints cannot be resolved: the handler then runs as before).

    RegistrationError, naming the handler, for an event class this source does not send,
    per_record=True beside a whole-batch class, or a type that cannot be checked.
    """
    hint = _first_parameter_hint(func)
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if not isinstance(origin, type) or len(arguments) != 1:
        return None
    from ._lambda_events import BaseLambdaEvent

    if not issubclass(origin, BaseLambdaEvent):
        return None
    forms = _forms()
    if origin not in forms or kind not in forms[origin][1]:
        raise RegistrationError(
            f"{kind.value} handler {handler_name!r} declares {_hint_name(hint)}, which this "
            f"source does not send: declare {_accepted(kind, forms)}"
        )
    form = forms[origin][0]
    if per_record and form is ModelForm.BATCH:
        raise RegistrationError(
            f"{kind.value} handler {handler_name!r} has per_record=True but declares the whole "
            f"batch, {_hint_name(hint)}: declare {origin.__name__.replace('Event', 'Record')}"
            f"[{_hint_name(arguments[0])}] or drop per_record"
        )
    from .._contracts._coerce import loader_for

    try:
        load = loader_for(arguments[0])
    except RegistrationError as error:
        raise RegistrationError(f"{kind.value} handler {handler_name!r}: {error}") from None
    return EventModel(form, hint, load, handler_name)


def _first_parameter_hint(func: Callable[..., Any]) -> Any:
    """The resolved hint of the parameter the event is passed to, None if none."""
    target: Any = func
    skip = 0
    if isinstance(target, types.MethodType):
        target, skip = target.__func__, 1
    while hasattr(target, "__wrapped__"):  # a decorator's functools.wraps: the signature's
        target = target.__wrapped__
    if not isinstance(target, types.FunctionType):
        return None  # a partial or a callable object: left as it is
    code = target.__code__
    if code.co_argcount <= skip or code.co_varnames[skip] not in target.__annotations__:
        return None
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:
        # A name the module cannot resolve (imported under TYPE_CHECKING, defined in a
        # function): the handler is called as it always was, unchecked.
        return None
    hint: Any = hints.get(code.co_varnames[skip])
    if typing.get_origin(hint) is typing.Annotated:
        hint = hint.__origin__
    return hint


def _forms() -> dict[type, tuple[ModelForm, frozenset[EventType]]]:
    """Each generic event class: its form, and the sources that send it."""
    from ._lambda_events import CloudWatchEvent, SNSEvent, SNSRecord
    from ._stream_events import KinesisEvent, KinesisRecord, SQSEvent, SQSRecord

    sqs, kinesis = frozenset({EventType.SQS}), frozenset({EventType.KINESIS})
    sns = frozenset({EventType.SNS})
    return {
        SQSRecord: (ModelForm.RECORD, sqs),
        SQSEvent: (ModelForm.BATCH, sqs),
        KinesisRecord: (ModelForm.RECORD, kinesis),
        KinesisEvent: (ModelForm.BATCH, kinesis),
        SNSRecord: (ModelForm.RECORD, sns),
        SNSEvent: (ModelForm.EVENT, sns),
        CloudWatchEvent: (ModelForm.EVENT, frozenset({EventType.CLOUDWATCH, EventType.SCHEDULED})),
    }


def _accepted(kind: EventType, forms: dict[type, tuple[ModelForm, frozenset[EventType]]]) -> str:
    names = [f"{cls.__name__}[T]" for cls, (_, kinds) in forms.items() if kind in kinds]
    if not names:
        return f"no data type: {kind.value} handlers take none"
    return " or ".join(names)


def _hint_name(hint: Any) -> str:
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(origin, type) and arguments:
        return f"{origin.__name__}[{', '.join(map(_hint_name, arguments))}]"
    return getattr(hint, "__name__", None) or repr(hint)
