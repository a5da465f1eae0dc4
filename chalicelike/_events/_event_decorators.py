"""The event decorators (`on_s3_event`, `on_sqs_message`, `schedule`, ...): app and blueprint.

Each checks its settings at import time, with a message naming the setting and what
is allowed (a bad batch size fails here, not at deploy), then calls the plain method
`add_event_source`. A value Chalice accepts but AWS would refuse (an empty bucket name, a
placeholder ARN in a test) is not an error here: it is recorded in the settings'
`deploy_problems`, which `package` refuses and `local` warns about. Signatures are
Chalice's, plus `per_record=` on the batch sources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .._core._errors import RegistrationError
from .._core._middleware import EventType

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["COGNITO_TRIGGERS", "EventDecorators"]


class EventDecorators:
    """Decorators for non-HTTP event sources; subclasses implement add_event_source."""

    def on_s3_event(
        self,
        bucket: str,
        events: Sequence[str] | None = None,
        prefix: str | None = None,
        suffix: str | None = None,
        name: str | None = None,
        via_eventbridge: bool = False,
    ) -> Callable[[Callable[..., Any]], Any]:
        problems = _resource("on_s3_event", "bucket", bucket, "S3 needs the bucket's name")
        if not isinstance(via_eventbridge, bool):
            raise RegistrationError(
                f"on_s3_event via_eventbridge must be True or False, not {via_eventbridge!r}"
            )
        event_names = list(events or ["s3:ObjectCreated:*"])
        for event_name in event_names:
            if not isinstance(event_name, str) or not event_name.startswith("s3:"):
                raise RegistrationError(
                    f"on_s3_event events must be S3 event names like 's3:ObjectCreated:*', "
                    f"not {event_name!r}"
                )
        for label, value in (("prefix", prefix), ("suffix", suffix)):
            if value is not None:
                _text("on_s3_event", label, value)
        settings = {
            "bucket": bucket,
            "events": event_names,
            "prefix": prefix,
            "suffix": suffix,
            # Delivered by an EventBridge rule instead of a bucket notification (beyond
            # Chalice): several functions can then react to one bucket's events.
            "via_eventbridge": via_eventbridge,
            "deploy_problems": problems,
        }
        return self._event_decorator(EventType.S3, name, settings)

    def on_ses_email(
        self,
        recipients: Sequence[str] | None = None,
        rule_set: str | None = None,
        name: str | None = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        """Mail received by SES (a receipt rule's Lambda action); recipients are addresses
        or domains the rule matches, all of the rule set's mail when None."""
        addresses = list(recipients or [])
        for address in addresses:
            _text("on_ses_email", "recipients item", address)
        if rule_set is not None:
            _text("on_ses_email", "rule_set", rule_set)
        return self._event_decorator(
            EventType.SES, name, {"recipients": addresses, "rule_set": rule_set}
        )

    def on_cognito_trigger(
        self, user_pool: str, triggers: Sequence[str], name: str | None = None
    ) -> Callable[[Callable[..., Any]], Any]:
        """A Cognito user pool trigger; the handler may edit `event.response`, and Lambda
        returns the event, as Cognito requires."""
        problems = _resource(
            "on_cognito_trigger", "user_pool", user_pool, "Cognito needs the user pool's id"
        )
        names = [triggers] if isinstance(triggers, str) else list(triggers)
        unknown = [t for t in names if t not in COGNITO_TRIGGERS]
        if not names or unknown:
            raise RegistrationError(
                f"on_cognito_trigger triggers must be some of {', '.join(COGNITO_TRIGGERS)}, "
                f"not {unknown or names!r}"
            )
        return self._event_decorator(
            EventType.COGNITO,
            name,
            {"user_pool": user_pool, "triggers": names, "deploy_problems": problems},
        )

    def on_sns_message(
        self, topic: str, name: str | None = None
    ) -> Callable[[Callable[..., Any]], Any]:
        problems = _resource("on_sns_message", "topic", topic, "SNS needs the topic's name or ARN")
        settings = {"topic": topic, "deploy_problems": problems}
        return self._event_decorator(EventType.SNS, name, settings)

    def on_sqs_message(
        self,
        queue: str | None = None,
        batch_size: int = 1,
        name: str | None = None,
        queue_arn: str | None = None,
        maximum_batching_window_in_seconds: int = 0,
        maximum_concurrency: int | None = None,
        per_record: bool = False,
    ) -> Callable[[Callable[..., Any]], Any]:
        if (queue is None) == (queue_arn is None):
            raise RegistrationError("on_sqs_message needs exactly one of queue= or queue_arn=")
        if queue is not None:
            _text("on_sqs_message", "queue", queue)
        else:
            _text("on_sqs_message", "queue_arn", queue_arn)
        window = _whole("on_sqs_message", "maximum_batching_window_in_seconds",
                        maximum_batching_window_in_seconds, 0, 300)  # fmt: skip
        _whole("on_sqs_message", "batch_size", batch_size, 1, 10_000)
        problems: list[str] = []
        if batch_size > 10 and not window:
            # AWS: up to 10 messages per batch, or 10,000 with a batching window. Chalice
            # takes any size at import (its own tests use 200): a deploy problem here.
            problems.append(
                f"batch_size {batch_size} is over 10, which Lambda takes from SQS only with "
                "maximum_batching_window_in_seconds of 1 or more"
            )
        if queue_arn is not None and not (
            queue_arn.startswith("arn:") and ":sqs:" in queue_arn
        ):  # Chalice takes a placeholder; Lambda's event source mapping only a queue's ARN
            problems.append(
                f"queue_arn {queue_arn!r} is not an SQS queue ARN "
                "(arn:aws:sqs:REGION:ACCOUNT:QUEUE), which Lambda needs"
            )
        if maximum_concurrency is not None:
            _whole("on_sqs_message", "maximum_concurrency", maximum_concurrency, 2, 1000)
        settings = {
            "queue": queue,
            "queue_arn": queue_arn,
            "batch_size": batch_size,
            "maximum_batching_window_in_seconds": window,
            "maximum_concurrency": maximum_concurrency,
            "deploy_problems": tuple(problems),
        }
        return self._event_decorator(EventType.SQS, name, settings, per_record)

    def on_kinesis_record(
        self,
        stream: str,
        batch_size: int = 100,
        starting_position: str = "LATEST",
        name: str | None = None,
        maximum_batching_window_in_seconds: int = 0,
        per_record: bool = False,
    ) -> Callable[[Callable[..., Any]], Any]:
        problems = _resource(
            "on_kinesis_record", "stream", stream, "Kinesis needs the stream's name"
        )
        settings = _stream_settings(
            "on_kinesis_record", batch_size, starting_position, maximum_batching_window_in_seconds
        )
        settings["stream"] = stream
        settings["deploy_problems"] = problems
        return self._event_decorator(EventType.KINESIS, name, settings, per_record)

    def on_dynamodb_record(
        self,
        stream_arn: str,
        batch_size: int = 100,
        starting_position: str = "LATEST",
        name: str | None = None,
        maximum_batching_window_in_seconds: int = 0,
        per_record: bool = False,
    ) -> Callable[[Callable[..., Any]], Any]:
        if not isinstance(stream_arn, str):
            _text("on_dynamodb_record", "stream_arn", stream_arn)
        problems: tuple[str, ...] = ()
        if not (stream_arn.startswith("arn:") and ":dynamodb:" in stream_arn
                and "/stream/" in stream_arn):  # fmt: skip
            # Chalice takes any string (a placeholder in tests); Lambda's event source
            # mapping takes only a stream's ARN.
            problems = (
                f"stream_arn {stream_arn!r} is not a DynamoDB stream ARN "
                "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL), which Lambda needs",
            )
        settings = _stream_settings(
            "on_dynamodb_record", batch_size, starting_position, maximum_batching_window_in_seconds
        )
        settings["stream_arn"] = stream_arn
        settings["deploy_problems"] = problems
        return self._event_decorator(EventType.DYNAMODB, name, settings, per_record)

    def on_cw_event(
        self, event_pattern: dict[str, Any], name: str | None = None, bus: str | None = None
    ) -> Callable[[Callable[..., Any]], Any]:
        if not isinstance(event_pattern, dict) or not event_pattern:
            raise RegistrationError(
                f"on_cw_event event_pattern must be a non-empty dict such as "
                f"{{'source': ['aws.ec2']}}, not {event_pattern!r}"
            )
        if bus is not None:
            _text("on_cw_event", "bus", bus)
        settings = {"event_pattern": event_pattern, "bus": bus}
        return self._event_decorator(EventType.CLOUDWATCH, name, settings)

    def schedule(
        self, expression: Any, name: str | None = None, description: str = ""
    ) -> Callable[[Callable[..., Any]], Any]:
        from ._schedules import parse_schedule

        problems: tuple[str, ...] = ()
        try:
            text = parse_schedule(expression)
        except RegistrationError as error:
            # Chalice takes any expression at import; EventBridge refuses a bad one at
            # deploy. So the app imports, and package refuses it (local warns).
            text = expression if isinstance(expression, str) else repr(expression)
            problems = (f"{error} (EventBridge would refuse it at deploy)",)
        settings = {
            "expression": text,
            "description": description,
            # Chalice's schedule_expression is what it was given: a Rate, a Cron, a string.
            "as_given": {"schedule_expression": expression},
            "deploy_problems": problems,
        }
        return self._event_decorator(EventType.SCHEDULED, name, settings)

    def lambda_function(self, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
        return self._event_decorator(EventType.PURE_LAMBDA, name, {})

    def on_ws_connect(self, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
        return self._event_decorator(EventType.WEBSOCKET, name, {"route_key": "$connect"})

    def on_ws_message(self, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
        return self._event_decorator(EventType.WEBSOCKET, name, {"route_key": "$default"})

    def on_ws_disconnect(self, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
        return self._event_decorator(EventType.WEBSOCKET, name, {"route_key": "$disconnect"})

    def authorizer(
        self,
        ttl_seconds: int = 300,
        execution_role: str | None = None,
        name: str | None = None,
        header: str = "Authorization",
        authorizer_type: str = "TOKEN",
        identity_sources: Sequence[str] | None = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        """A Lambda authorizer: TOKEN (Chalice's) or REQUEST (headers, query, context)."""
        options = {
            "ttl_seconds": ttl_seconds,
            "execution_role": execution_role,
            "header": header,
            "authorizer_type": authorizer_type,
            "identity_sources": identity_sources,
        }

        def register(func: Callable[..., Any]) -> Any:
            return self.add_authorizer(name or str(getattr(func, "__name__", "")), func, options)

        return register

    def add_authorizer(self, name: str, func: Callable[..., Any], options: dict[str, Any]) -> Any:
        """Register an authorizer function; return the authorizer routes refer to."""
        raise NotImplementedError

    # -- the plain method behind them --------------------------------------------------

    def _event_decorator(
        self, kind: EventType, name: str | None, settings: dict[str, Any], per_record: bool = False
    ) -> Callable[[Callable[..., Any]], Any]:
        if name is not None:
            _text(f"{kind.value} handler", "name", name)
        if not isinstance(per_record, bool):
            raise RegistrationError(f"per_record must be True or False, not {per_record!r}")

        def register(func: Callable[..., Any]) -> Any:
            if not callable(func):
                raise RegistrationError(f"{func!r} is not a function to register")
            return self.add_event_source(kind, func, name, settings, per_record)

        return register

    def add_event_source(
        self,
        kind: EventType,
        func: Callable[..., Any],
        name: str | None,
        settings: dict[str, Any],
        per_record: bool = False,
    ) -> Any:
        """Register an event handler; return what Lambda will call as app.<name>."""
        raise NotImplementedError


# The trigger sources Cognito user pools invoke Lambda for (LambdaConfig's keys).
COGNITO_TRIGGERS = (
    "PreSignUp", "PostConfirmation", "PreAuthentication", "PostAuthentication",
    "PreTokenGeneration", "CustomMessage", "DefineAuthChallenge", "CreateAuthChallenge",
    "VerifyAuthChallengeResponse", "UserMigration", "CustomEmailSender", "CustomSMSSender",
)  # fmt: skip


def _text(decorator: str, setting: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise RegistrationError(f"{decorator} {setting} must be a non-empty string, not {value!r}")


def _resource(decorator: str, setting: str, value: Any, needed: str) -> tuple[str, ...]:
    """Check a resource's name: a string, and not empty, which Chalice takes but AWS refuses.

    An empty one is a deploy problem (Chalice's own S3 project template tests with
    `bucket=''`), any other type an error now.
    """
    if not isinstance(value, str):
        raise RegistrationError(f"{decorator} {setting} must be a string, not {value!r}")
    return () if value else (f"{setting} is empty: {needed}",)


def _whole(decorator: str, setting: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RegistrationError(
            f"{decorator} {setting} must be a whole number from {low} to {high}, not {value!r}"
        )
    return value


def _stream_settings(
    decorator: str, batch_size: Any, starting_position: Any, window: Any
) -> dict[str, Any]:
    if starting_position not in ("LATEST", "TRIM_HORIZON"):
        raise RegistrationError(
            f"{decorator} starting_position must be 'LATEST' or 'TRIM_HORIZON', "
            f"not {starting_position!r}"
        )
    return {
        "batch_size": _whole(decorator, "batch_size", batch_size, 1, 10_000),
        "starting_position": starting_position,
        "maximum_batching_window_in_seconds": _whole(
            decorator, "maximum_batching_window_in_seconds", window, 0, 300
        ),
    }
