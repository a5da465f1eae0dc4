"""Events as AWS's services send them, for the test client's `client.events`.

Each generator returns a dict in the shape the source documents, which the matching
typed event (S3Event, SQSEvent, DynamoDBEvent, ...) accepts. Times, account and region
are fixed; ids that must differ between records come from a counter, so a test sees
the same events on every run. Not on the Lambda path: only `chalicelike.test` imports it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

from .._core._aws import ACCOUNT_ID, SAMPLE_REGION
from .._events._event_decorators import COGNITO_TRIGGERS
from .._events._trigger_events import cognito_trigger

__all__ = ["EPOCH_SECONDS", "REGION", "SOURCE_IP", "TestEventsClient", "dynamodb_value"]

REGION = SAMPLE_REGION  # every sample event's region (and ACCOUNT_ID its account)
# One fixed instant, 2024-05-01T12:00:00Z, in each format AWS writes it.
EPOCH_SECONDS = 1_714_564_800
ISO_MILLIS = "2024-05-01T12:00:00.000Z"  # S3 notifications, SNS
ISO_SECONDS = "2024-05-01T12:00:00Z"  # EventBridge envelopes
SOURCE_IP = "203.0.113.10"  # TEST-NET-3: an address that is never anyone's
OBJECT_SIZE = 1024
OBJECT_ETAG = "0123456789abcdef0123456789abcdef"
MAIL_DATE = "Wed, 01 May 2024 12:00:00 +0000"  # the same instant, as a Date: header

# What a trigger's request carries besides userAttributes, and the response Cognito sends
# for the handler to fill in (null where the handler may give a value).
_COGNITO_REQUESTS: dict[str, dict[str, Any]] = {
    "PreSignUp": {"validationData": {}, "clientMetadata": {}},
    "PreAuthentication": {"validationData": {}},
    "PreTokenGeneration": {
        "groupConfiguration": {
            "groupsToOverride": [],
            "iamRolesToOverride": [],
            "preferredRole": None,
        }
    },
}
_COGNITO_RESPONSES: dict[str, dict[str, Any]] = {
    "PreSignUp": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    "PreTokenGeneration": {"claimsOverrideDetails": None},
}
_WEBSOCKET_EVENT_TYPES = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}


class TestEventsClient:
    """`client.events.generate_<source>_event(...)`: events to hand to `client.lambda_.invoke`."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self) -> None:
        self._count = 0

    def _next(self) -> int:
        self._count += 1
        return self._count

    def _uuid(self) -> str:
        # Shaped as the version-4 UUIDs AWS uses for ids, numbered instead of random.
        return f"00000000-0000-4000-8000-{self._next():012x}"

    # -- S3 ---------------------------------------------------------------------------

    def generate_s3_event(
        self, bucket: str, key: str, event_name: str = "ObjectCreated:Put"
    ) -> dict[str, Any]:
        """An S3 notification for one object; `key` is the real key, encoded here as S3 does."""
        # Notifications name the event without the "s3:" of the bucket configuration.
        name = event_name.removeprefix("s3:")
        number = self._next()
        obj: dict[str, Any] = {"key": _s3_encoded(key)}
        if not name.startswith("ObjectRemoved"):  # a delete carries no size or eTag
            obj.update(size=OBJECT_SIZE, eTag=OBJECT_ETAG)
        obj["sequencer"] = f"{number:016X}"
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": REGION,
            "eventTime": ISO_MILLIS,
            "eventName": name,
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLEUSERID"},
            "requestParameters": {"sourceIPAddress": SOURCE_IP},
            "responseElements": {
                "x-amz-request-id": f"{number:016X}",
                "x-amz-id-2": f"example/host/id/{number}",
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "chalicelike-test",
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": {"principalId": "A3EXAMPLEOWNER"},
                    "arn": f"arn:aws:s3:::{bucket}",
                },
                "object": obj,
            },
        }
        return {"Records": [record]}

    def generate_s3_eventbridge_event(self, bucket: str, key: str) -> dict[str, Any]:
        """An "Object Created" event S3 sends through EventBridge (the key is not encoded)."""
        number = self._next()
        detail = {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": OBJECT_SIZE,
                "etag": OBJECT_ETAG,
                "sequencer": f"{number:016X}",
            },
            "request-id": f"{number:016X}",
            "requester": ACCOUNT_ID,
            "source-ip-address": SOURCE_IP,
            "reason": "PutObject",
        }
        return self._envelope("aws.s3", "Object Created", detail, [f"arn:aws:s3:::{bucket}"])

    # -- SNS --------------------------------------------------------------------------

    def generate_sns_event(
        self,
        message: str,
        subject: str | None = None,
        message_attributes: Mapping[str, Any] | None = None,
        topic: str = "topic-name",
    ) -> dict[str, Any]:
        """One SNS notification. Attribute values may be plain (str, number, bytes, list)
        or already SNS's `{"Type": ..., "Value": ...}`."""
        topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{topic}"
        subscription_arn = f"{topic_arn}:{self._uuid()}"
        endpoint = f"https://sns.{REGION}.amazonaws.com"
        attributes = {
            name: _sns_attribute(name, value) for name, value in (message_attributes or {}).items()
        }
        notification = {
            "Type": "Notification",
            "MessageId": self._uuid(),
            "TopicArn": topic_arn,
            "Subject": subject,  # SNS sends null when the publisher gave none
            "Message": message,
            "Timestamp": ISO_MILLIS,
            "SignatureVersion": "1",
            "Signature": base64.b64encode(b"chalicelike test event, not signed").decode(),
            "SigningCertUrl": f"{endpoint}/SimpleNotificationService-example.pem",
            "UnsubscribeUrl": (
                f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"
            ),
            "MessageAttributes": attributes,
        }
        record = {
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription_arn,
            "EventSource": "aws:sns",
            "Sns": notification,
        }
        return {"Records": [record]}

    # -- SQS and Kinesis --------------------------------------------------------------

    def generate_sqs_event(
        self, message_bodies: Sequence[str], queue_name: str = "queue-name"
    ) -> dict[str, Any]:
        """A batch with one message per body; each gets its own messageId."""
        millis = str(EPOCH_SECONDS * 1000)
        records = []
        for body in _batch("generate_sqs_event", "message_bodies", message_bodies, (str,)):
            message_id = self._uuid()
            handle = base64.b64encode(f"receipt-handle:{message_id}".encode()).decode()
            records.append(
                {
                    "messageId": message_id,
                    "receiptHandle": f"AQEB{handle}",
                    "body": body,
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": millis,
                        "SenderId": "AIDAEXAMPLESENDERID",
                        "ApproximateFirstReceiveTimestamp": millis,
                    },
                    "messageAttributes": {},
                    "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}",
                    "awsRegion": REGION,
                }
            )
        return {"Records": records}

    def generate_kinesis_event(
        self, message_bodies: Sequence[bytes | str], stream_name: str = "stream-name"
    ) -> dict[str, Any]:
        """A batch with one record per body (str is sent as UTF-8), sequence numbers rising."""
        records = []
        for body in _batch(
            "generate_kinesis_event", "message_bodies", message_bodies, (bytes, str)
        ):
            data = body.encode() if isinstance(body, str) else body
            sequence = f"4959{self._next():052d}"  # 56 digits, as Kinesis writes them
            records.append(
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": "partition-key",
                        "sequenceNumber": sequence,
                        "data": base64.b64encode(data).decode(),
                        "approximateArrivalTimestamp": EPOCH_SECONDS + 0.5,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"shardId-000000000000:{sequence}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT_ID}:role/lambda-role",
                    "awsRegion": REGION,
                    "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{stream_name}",
                }
            )
        return {"Records": records}

    # -- DynamoDB Streams -------------------------------------------------------------

    def generate_dynamodb_event(
        self,
        new_images: Sequence[Mapping[str, Any]] | None = None,
        old_images: Sequence[Mapping[str, Any]] | None = None,
        keys: Sequence[Mapping[str, Any]] | None = None,
        event_name: str | None = None,
        table_name: str = "table",
        key_names: Sequence[str] = ("id",),
    ) -> dict[str, Any]:
        """A batch of item changes, from items given as plain Python values.

        Record i has `new_images[i]` and/or `old_images[i]`, converted to DynamoDB JSON.
        Its Keys are `keys[i]` if given, else the `key_names` attributes of its image.
        `event_name` defaults to what the images say: INSERT (new only), MODIFY (both),
        REMOVE (old only).
        """
        columns = {"new_images": new_images, "old_images": old_images, "keys": keys}
        lengths = {len(value) for value in columns.values() if value is not None}
        if len(lengths) != 1 or 0 in lengths:
            given = {name: len(value) for name, value in columns.items() if value is not None}
            raise ValueError(
                "generate_dynamodb_event needs equally long, non-empty lists of new_images, "
                f"old_images and/or keys, got lengths {given}"
            )
        stream_arn = (
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table_name}"
            "/stream/2024-05-01T12:00:00.000"
        )
        view = "KEYS_ONLY" if new_images is None and old_images is None else "NEW_AND_OLD_IMAGES"
        records = []
        for index in range(lengths.pop()):
            new = None if new_images is None else new_images[index]
            old = None if old_images is None else old_images[index]
            key = keys[index] if keys is not None else _key_of(new or old or {}, key_names)
            change: dict[str, Any] = {
                "ApproximateCreationDateTime": EPOCH_SECONDS,
                "Keys": dynamodb_item(key, f"keys[{index}]"),
            }
            if new is not None:
                change["NewImage"] = dynamodb_item(new, f"new_images[{index}]")
            if old is not None:
                change["OldImage"] = dynamodb_item(old, f"old_images[{index}]")
            number = self._next()
            change["SequenceNumber"] = f"1{number:021d}"
            change["SizeBytes"] = len(json.dumps(change, separators=(",", ":")))
            change["StreamViewType"] = view
            records.append(
                {
                    "eventID": f"{number:032x}",
                    "eventName": event_name or _change_name(new, old),
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": REGION,
                    "dynamodb": change,
                    "eventSourceARN": stream_arn,
                }
            )
        return {"Records": records}

    # -- EventBridge ------------------------------------------------------------------

    def generate_cw_event(
        self,
        source: str,
        detail_type: str,
        detail: Mapping[str, Any],
        resources: Sequence[str],
        region: str = REGION,
    ) -> dict[str, Any]:
        """An EventBridge (CloudWatch Events) event with this envelope and detail."""
        return self._envelope(source, detail_type, dict(detail), list(resources), region)

    def generate_scheduled_event(
        self, rule_name: str = "rule", region: str = REGION
    ) -> dict[str, Any]:
        """What a schedule rule sends: "Scheduled Event" from aws.events, an empty detail."""
        rule_arn = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule_name}"
        return self._envelope("aws.events", "Scheduled Event", {}, [rule_arn], region)

    def _envelope(
        self,
        source: str,
        detail_type: str,
        detail: dict[str, Any],
        resources: list[str],
        region: str = REGION,
    ) -> dict[str, Any]:
        return {
            "version": "0",
            "id": self._uuid(),
            "detail-type": detail_type,
            "source": source,
            "account": ACCOUNT_ID,
            "time": ISO_SECONDS,
            "region": region,
            "resources": resources,
            "detail": detail,
        }

    # -- SES email receiving ----------------------------------------------------------

    def generate_ses_event(
        self,
        recipients: Sequence[str],
        source: str = "sender@example.com",
        subject: str | None = "Hello",
        message_id: str | None = None,
    ) -> dict[str, Any]:
        """What a receipt rule's Lambda action sends for one message: headers, no body."""
        to = _batch("generate_ses_event", "recipients", recipients, (str,))
        number = self._next()
        message_id = message_id or f"{number:040x}"  # SES's ids: 40 lowercase letters/digits
        headers, common = _mail_headers(source, to, subject, message_id)
        passed = {"status": "PASS"}
        record = {
            "eventSource": "aws:ses",
            "eventVersion": "1.0",
            "ses": {
                "mail": {
                    "timestamp": ISO_MILLIS,
                    "source": source,
                    "messageId": message_id,
                    "destination": list(to),
                    "headersTruncated": False,
                    "headers": headers,
                    "commonHeaders": common,
                },
                "receipt": {
                    "timestamp": ISO_MILLIS,
                    "processingTimeMillis": 500,
                    "recipients": list(to),
                    "spamVerdict": dict(passed),
                    "virusVerdict": dict(passed),
                    "spfVerdict": dict(passed),
                    "dkimVerdict": dict(passed),
                    "dmarcVerdict": dict(passed),
                    "action": {
                        "type": "Lambda",
                        "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:ses",
                        "invocationType": "Event",
                    },
                },
            },
        }
        return {"Records": [record]}

    # -- Cognito user pool triggers ---------------------------------------------------

    def generate_cognito_event(
        self,
        trigger_source: str = "PreSignUp_SignUp",
        user_name: str = "user",
        user_attributes: Mapping[str, str] | None = None,
        user_pool_id: str = "us-east-1_Example",
        client_id: str = "example-client",
    ) -> dict[str, Any]:
        """A user pool trigger event with the request and default response its trigger has.

        Attributes default to an email for `user_name` (and a `sub` once the user exists,
        after sign-up). The region is the user pool id's prefix, as in Cognito's ids.
        """
        trigger = cognito_trigger(trigger_source)
        if "_" not in trigger_source or trigger not in COGNITO_TRIGGERS:
            raise ValueError(
                f"generate_cognito_event trigger_source {trigger_source!r} is no Cognito "
                "trigger source; they look like 'PreSignUp_SignUp', "
                "'PostConfirmation_ConfirmSignUp' or 'TokenGeneration_Authentication'"
            )
        if user_attributes is None:
            attributes = {"email": f"{user_name}@example.com"}
            if trigger != "PreSignUp":
                attributes = {"sub": self._uuid(), **attributes}
        else:
            attributes = dict(user_attributes)
            for name, value in attributes.items():
                if not isinstance(value, str):
                    raise TypeError(
                        f"generate_cognito_event user attribute {name!r} must be a str "
                        f"(Cognito sends every attribute as text), not {value!r:.60}"
                    )
        request: dict[str, Any] = {
            "userAttributes": attributes,
            **_COGNITO_REQUESTS.get(trigger, {}),
        }
        region = user_pool_id.partition("_")[0] if "_" in user_pool_id else REGION
        return {
            "version": "1",
            "triggerSource": trigger_source,
            "region": region,
            "userPoolId": user_pool_id,
            "userName": user_name,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
            "request": copy.deepcopy(request),
            "response": copy.deepcopy(_COGNITO_RESPONSES.get(trigger, {})),
        }

    # -- API Gateway websockets -------------------------------------------------------

    def generate_websocket_event(
        self,
        route_key: str = "$default",
        body: str | bytes | None = None,
        connection_id: str | None = None,
        stage: str = "api",
        api_id: str = "abcd1234",
        region: str = "us-east-1",
    ) -> dict[str, Any]:
        """What API Gateway sends a websocket route's Lambda: a connect, a message or a
        disconnect, after the route key. A bytes body is a binary frame (base64-encoded)."""
        event_type = _WEBSOCKET_EVENT_TYPES.get(route_key, "MESSAGE")
        if body is not None and event_type != "MESSAGE":
            raise ValueError(
                f"generate_websocket_event: API Gateway sends no body on {route_key}; "
                "a body is for $default or a custom route"
            )
        number = self._next()
        if connection_id is None:
            # API Gateway's connection ids: 16 characters of base64 ending in "=".
            connection_id = base64.b64encode(b"chl" + number.to_bytes(8, "big")).decode()
        request_id = base64.b64encode(b"req" + number.to_bytes(8, "big")).decode()
        domain = f"{api_id}.execute-api.{region}.amazonaws.com"
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": "01/May/2024:12:00:00 +0000",
            "messageDirection": "IN",
            "stage": stage,
            "connectedAt": EPOCH_SECONDS * 1000,
            "requestTimeEpoch": EPOCH_SECONDS * 1000,
            "identity": {"sourceIp": SOURCE_IP},
            "requestId": request_id,
            "domainName": domain,
            "connectionId": connection_id,
            "apiId": api_id,
        }
        event: dict[str, Any] = {}
        if event_type == "MESSAGE":
            context["messageId"] = base64.b64encode(b"msg" + number.to_bytes(8, "big")).decode()
        else:  # the handshake's headers come with $connect and $disconnect
            event["headers"] = {"Host": domain, "X-Forwarded-For": SOURCE_IP}
            event["multiValueHeaders"] = {"Host": [domain], "X-Forwarded-For": [SOURCE_IP]}
        if event_type == "DISCONNECT":
            context.update(disconnectStatusCode=1000, disconnectReason="")
        event["requestContext"] = context
        if isinstance(body, (bytes, bytearray)):
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            if event_type == "MESSAGE":  # a message always has a body, if only ""
                event["body"] = body or ""
            event["isBase64Encoded"] = False
        return event


# -- helpers ------------------------------------------------------------------------------


def _s3_encoded(key: str) -> str:
    # S3 writes keys form-encoded ("red flower.jpg" arrives as "red+flower.jpg"; a '+' in
    # the key as %2B), leaving the '/' between "folders" as it is.
    return quote_plus(key, safe="/")


def _batch(generator: str, argument: str, items: Any, kinds: tuple[type, ...]) -> list[Any]:
    """`items` as a list, each of one of `kinds`: a lone str is a mistake, not a batch."""
    names = " or ".join(kind.__name__ for kind in kinds)
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{generator} {argument} must be a list of {names}, not {items!r:.60}")
    batch = list(items)
    if not batch:
        raise ValueError(f"{generator} {argument} is empty: Lambda never sends an empty batch")
    for index, item in enumerate(batch):
        if not isinstance(item, kinds):
            raise TypeError(f"{generator} {argument}[{index}] must be {names}, not {item!r:.60}")
    return batch


def _sns_attribute(name: str, value: Any) -> dict[str, str]:
    """A message attribute as SNS delivers it to Lambda: {"Type": ..., "Value": ...}."""
    if isinstance(value, Mapping) and set(value) == {"Type", "Value"}:
        return dict(value)
    if isinstance(value, str):
        return {"Type": "String", "Value": value}
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return {"Type": "Number", "Value": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"Type": "Binary", "Value": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return {"Type": "String.Array", "Value": json.dumps(list(value))}
    raise TypeError(
        f"SNS message attribute {name!r} must be a str, number, bytes or list "
        f"(or {{'Type': ..., 'Value': ...}}), not {value!r:.60}"
    )


def _mail_headers(
    source: str, to: list[str], subject: str | None, message_id: str
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The headers SES lists for a plain message, and the commonHeaders it parses from them."""
    domain = source.rpartition("@")[2] or "example.com"
    header_message_id = f"<{message_id}@{domain}>"
    received = (
        f"from mail.{domain} (mail.{domain} [{SOURCE_IP}]) by inbound-smtp.{REGION}"
        f".amazonaws.com with SMTP id {message_id} for {to[0]}; {MAIL_DATE} (UTC)"
    )
    headers = [
        {"name": "Return-Path", "value": f"<{source}>"},
        {"name": "Received", "value": received},
        {"name": "X-SES-Spam-Verdict", "value": "PASS"},
        {"name": "X-SES-Virus-Verdict", "value": "PASS"},
        {"name": "From", "value": source},
        {"name": "To", "value": ", ".join(to)},
    ]
    common: dict[str, Any] = {
        "returnPath": source,
        "from": [source],
        "date": MAIL_DATE,
        "to": list(to),
        "messageId": header_message_id,
    }
    if subject is not None:  # a message without a Subject header has no "subject"
        headers.append({"name": "Subject", "value": subject})
        common["subject"] = subject
    headers += [
        {"name": "Date", "value": MAIL_DATE},
        {"name": "Message-ID", "value": header_message_id},
        {"name": "MIME-Version", "value": "1.0"},
        {"name": "Content-Type", "value": "text/plain; charset=UTF-8"},
    ]
    return headers, common


def _key_of(image: Mapping[str, Any], key_names: Sequence[str]) -> dict[str, Any]:
    missing = [name for name in key_names if name not in image]
    if missing:
        raise ValueError(
            f"generate_dynamodb_event: the image has no key attribute {missing[0]!r} "
            "(pass keys=[...] or key_names=[...])"
        )
    return {name: image[name] for name in key_names}


def _change_name(new: object, old: object) -> str:
    if new is not None and old is not None:
        return "MODIFY"
    return "INSERT" if new is not None else "REMOVE"


def dynamodb_item(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A plain item ({"id": "1"}) in DynamoDB JSON ({"id": {"S": "1"}})."""
    if not isinstance(item, Mapping):
        raise TypeError(f"{where} must be a dict of attributes, not {item!r:.60}")
    return {name: dynamodb_value(value, f"{where}.{name}") for name, value in item.items()}


def dynamodb_value(value: Any, where: str = "value") -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value, the way boto3's TypeSerializer maps it.

    str S, number N (as text; floats too, which boto3 refuses), bytes B (base64 in a
    stream event), bool BOOL, None NULL, dict M, list/tuple L, and non-empty sets of
    str, numbers or bytes SS/NS/BS. Raises TypeError or ValueError naming `where`.
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before numbers: True is an int to Python
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": _number(value, where)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"M": dynamodb_item(value, where)}
    if isinstance(value, (list, tuple)):
        return {"L": [dynamodb_value(item, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, (set, frozenset)):
        return _dynamodb_set(value, where)
    raise TypeError(f"{where}: {type(value).__name__} has no DynamoDB type ({value!r:.60})")


def _number(value: float | Decimal, where: str) -> str:
    if isinstance(value, (float, Decimal)) and not math.isfinite(value):
        raise ValueError(f"{where}: DynamoDB numbers cannot be {value}")
    return repr(value) if isinstance(value, float) else str(value)


def _dynamodb_set(value: set[Any] | frozenset[Any], where: str) -> dict[str, Any]:
    if not value:
        raise ValueError(f"{where}: DynamoDB has no empty sets")
    items = sorted(value, key=repr)  # a fixed order, so the event is the same every run
    if all(isinstance(item, str) for item in items):
        return {"SS": items}
    if all(
        isinstance(item, (int, float, Decimal)) and not isinstance(item, bool) for item in items
    ):
        return {"NS": [_number(item, where) for item in items]}
    if all(isinstance(item, (bytes, bytearray)) for item in items):
        return {"BS": [base64.b64encode(item).decode() for item in items]}
    raise TypeError(f"{where}: a DynamoDB set holds only str, only numbers or only bytes")
