"""The events SES email receiving and Cognito user pool triggers send a function.

`SESEvent` reads what an SES receipt rule's Lambda action sends (headers and verdicts,
never the body); `CognitoEvent` reads a user pool trigger and gives back, through
`to_answer()`, the event with its response filled in, which is what Cognito waits for.
Shapes are checked as `_events` checks S3's and SNS's. Stdlib only: the cold path.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._lambda_events import BaseLambdaEvent, describe, field, invalid, json_type, records_of

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "COGNITO_EXPECTED",
    "SES_EXPECTED",
    "CognitoEvent",
    "SESEvent",
    "SESRecord",
    "cognito_trigger",
]

SES_EXPECTED = "an SES email receiving event (Records[].ses)"
COGNITO_EXPECTED = "a Cognito user pool trigger event (triggerSource, userPoolId, request)"

# receipt.<name>Verdict -> the key in SESRecord.verdicts.
_VERDICTS = ("spam", "virus", "spf", "dkim", "dmarc")


def _strings(mapping: dict[str, Any], key: str, where: str, required: bool = True) -> list[str]:
    """`mapping[key]` as a list of strings ([] if absent and not required)."""
    values: list[str] | None = field(mapping, key, list, SES_EXPECTED, where, required)
    if values is None:
        return []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise invalid(
                SES_EXPECTED, f"{where}.{key}[{index}] is {json_type(value)}, not a string"
            )
    return values


# -- SES --------------------------------------------------------------------------------


class SESRecord(BaseLambdaEvent):
    """One received message: its envelope, common headers and SES's verdicts.

    `source` and `destination` are the SMTP envelope's; `from_` and `to` the headers'.
    `headers` is SES's list of {"name", "value"} in message order (names repeat, as
    Received does); `header(name)` finds one. `verdicts` maps spam, virus, spf, dkim
    and dmarc to the status SES reports ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED"),
    for those the receipt carries.
    """

    __slots__ = (
        "action",
        "destination",
        "from_",
        "headers",
        "message_id",
        "recipients",
        "source",
        "subject",
        "timestamp",
        "to",
        "verdicts",
    )

    def __init__(
        self, event_dict: dict[str, Any], context: Any = None, *, _where: str = "the record"
    ) -> None:
        super().__init__(event_dict, context)
        ses = field(event_dict, "ses", dict, SES_EXPECTED, _where)
        mail_at, receipt_at = f"{_where}.ses.mail", f"{_where}.ses.receipt"
        mail = field(ses, "mail", dict, SES_EXPECTED, f"{_where}.ses")
        receipt = field(ses, "receipt", dict, SES_EXPECTED, f"{_where}.ses")
        self.message_id: str = field(mail, "messageId", str, SES_EXPECTED, mail_at)
        self.source: str = field(mail, "source", str, SES_EXPECTED, mail_at)
        self.destination: list[str] = _strings(mail, "destination", mail_at)
        timestamp = field(mail, "timestamp", str, SES_EXPECTED, mail_at, False)
        self.timestamp: str = timestamp if timestamp is not None else ""  # ISO 8601
        self.headers: list[dict[str, str]] = _headers(mail, mail_at)
        common_at = f"{mail_at}.commonHeaders"
        common = field(mail, "commonHeaders", dict, SES_EXPECTED, mail_at, False) or {}
        # A message may have no Subject, From or To header; SES then leaves the key out.
        self.subject: str | None = field(common, "subject", str, SES_EXPECTED, common_at, False)
        self.from_: list[str] = _strings(common, "from", common_at, False)
        self.to: list[str] = _strings(common, "to", common_at, False)
        self.recipients: list[str] = _strings(receipt, "recipients", receipt_at)
        self.verdicts: dict[str, str] = _verdicts(receipt, receipt_at)
        action = field(receipt, "action", dict, SES_EXPECTED, receipt_at, False)
        self.action: dict[str, Any] = action if action is not None else {}

    def header(self, name: str) -> str | None:
        """The value of the first header called `name` (any case), None if there is none."""
        wanted = name.lower()
        for header in self.headers:
            if header["name"].lower() == wanted:
                return header["value"]
        return None

    def __repr__(self) -> str:
        return f"SESRecord(message_id={self.message_id!r}, subject={self.subject!r})"


def _headers(mail: dict[str, Any], where: str) -> list[dict[str, str]]:
    headers: list[dict[str, str]] | None = field(mail, "headers", list, SES_EXPECTED, where, False)
    if headers is None:
        return []
    for index, header in enumerate(headers):
        at = f"{where}.headers[{index}]"
        if not isinstance(header, dict):
            raise invalid(SES_EXPECTED, f"{at} is {json_type(header)}, not an object")
        field(header, "name", str, SES_EXPECTED, at)
        field(header, "value", str, SES_EXPECTED, at)
    return headers


def _verdicts(receipt: dict[str, Any], where: str) -> dict[str, str]:
    verdicts = {}
    for kind in _VERDICTS:
        verdict = field(receipt, f"{kind}Verdict", dict, SES_EXPECTED, where, False)
        if verdict is not None:
            at = f"{where}.{kind}Verdict"
            verdicts[kind] = field(verdict, "status", str, SES_EXPECTED, at)
    return verdicts


class SESEvent(BaseLambdaEvent):
    """The message(s) of one SES receipt rule Lambda action.

    Iterating gives every record; the record attributes (`message_id`, `subject`,
    `verdicts`, ...) are also the first record's, SES sending one message per invoke.
    Invoked as RequestResponse, the handler may answer {"disposition": "STOP_RULE"}
    (or "STOP_RULE_SET", "CONTINUE") to steer the rule set.
    """

    __slots__ = (
        "action",
        "destination",
        "from_",
        "headers",
        "message_id",
        "recipients",
        "records",
        "source",
        "subject",
        "timestamp",
        "to",
        "verdicts",
    )

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        raw = records_of(event_dict, SES_EXPECTED, "aws:ses", "ses")
        self.records: tuple[SESRecord, ...] = tuple(
            SESRecord(record, context, _where=f"Records[{i}]") for i, record in enumerate(raw)
        )
        first = self.records[0]
        self.message_id: str = first.message_id
        self.source: str = first.source
        self.destination: list[str] = first.destination
        self.subject: str | None = first.subject
        self.from_: list[str] = first.from_
        self.to: list[str] = first.to
        self.timestamp: str = first.timestamp
        self.headers: list[dict[str, str]] = first.headers
        self.recipients: list[str] = first.recipients
        self.verdicts: dict[str, str] = first.verdicts
        self.action: dict[str, Any] = first.action

    def header(self, name: str) -> str | None:
        """The first record's header called `name` (any case), None if there is none."""
        return self.records[0].header(name)

    def __repr__(self) -> str:
        return f"SESEvent(message_id={self.message_id!r}, records={len(self.records)})"

    def __iter__(self) -> Iterator[SESRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# -- Cognito user pool triggers ----------------------------------------------------------


def cognito_trigger(trigger_source: str) -> str:
    """The user pool trigger (LambdaConfig's key) a triggerSource belongs to.

    "PreSignUp_AdminCreateUser" is PreSignUp's; the pre token generation trigger alone
    names its sources differently ("TokenGeneration_RefreshTokens").
    """
    prefix = trigger_source.partition("_")[0]
    return "PreTokenGeneration" if prefix == "TokenGeneration" else prefix


class CognitoEvent(BaseLambdaEvent):
    """A user pool trigger: who, which trigger, what Cognito asks and what it will accept.

    `response` starts as a copy of the event's (Cognito's defaults, often {} or nulls);
    the handler changes it in place or replaces it, and `to_answer()` gives the whole
    event back with that response, as Cognito requires. `user_name` is None for the
    machine-to-machine token events that have no user.
    """

    __slots__ = (
        "caller_context",
        "client_id",
        "region",
        "request",
        "response",
        "trigger_source",
        "user_attributes",
        "user_name",
        "user_pool_id",
        "version",
    )

    def __init__(self, event_dict: dict[str, Any], context: Any = None) -> None:
        super().__init__(event_dict, context)
        if not isinstance(event_dict, dict):
            raise invalid(COGNITO_EXPECTED, f"got {json_type(event_dict)} instead of a JSON object")
        if "triggerSource" not in event_dict:
            raise invalid(COGNITO_EXPECTED, describe(event_dict, "triggerSource"))
        self.trigger_source: str = field(event_dict, "triggerSource", str, COGNITO_EXPECTED, "")
        self.user_pool_id: str = field(event_dict, "userPoolId", str, COGNITO_EXPECTED, "")
        self.user_name: str | None = field(event_dict, "userName", str, COGNITO_EXPECTED, "", False)
        region = field(event_dict, "region", str, COGNITO_EXPECTED, "", False)
        self.region: str = region if region is not None else ""
        version = field(event_dict, "version", str, COGNITO_EXPECTED, "", False)
        self.version: str = version if version is not None else ""
        caller = field(event_dict, "callerContext", dict, COGNITO_EXPECTED, "", False)
        self.caller_context: dict[str, Any] = caller if caller is not None else {}
        self.client_id: str | None = field(
            self.caller_context, "clientId", str, COGNITO_EXPECTED, "callerContext", False
        )
        self.request: dict[str, Any] = field(event_dict, "request", dict, COGNITO_EXPECTED, "")
        attributes = field(self.request, "userAttributes", dict, COGNITO_EXPECTED, "request", False)
        self.user_attributes: dict[str, str] = attributes if attributes is not None else {}
        response = field(event_dict, "response", dict, COGNITO_EXPECTED, "", False)
        # A copy, so that to_dict() stays the event as it came.
        self.response: dict[str, Any] = _copied(response) if response is not None else {}

    @property
    def trigger(self) -> str:
        """The trigger this event is for ("PreSignUp", "PreTokenGeneration", ...)."""
        return cognito_trigger(self.trigger_source)

    def to_answer(self) -> dict[str, Any]:
        """The event as Cognito wants it back: unchanged but for the response."""
        if not isinstance(self.response, dict):
            raise TypeError(
                f"The response of Cognito trigger {self.trigger_source!r} must be a dict "
                f"of the fields Cognito reads, not {type(self.response).__name__}"
            )
        answer = dict(self._event_dict)
        answer["response"] = self.response
        return answer

    def __repr__(self) -> str:
        return (
            f"CognitoEvent(trigger_source={self.trigger_source!r}, "
            f"user_pool_id={self.user_pool_id!r}, user_name={self.user_name!r})"
        )


def _copied(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists and scalars), without importing `copy`."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value
