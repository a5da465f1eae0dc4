"""Tests for _events/_trigger_events.py: SES email receiving and Cognito user pool triggers.

Sample events follow the shapes AWS documents: the event record an SES receipt rule's
Lambda action sends (SES developer guide, "Sample incoming email event"), and the user
pool trigger event with its common parameters and the pre sign-up, post confirmation
and pre token generation requests and responses (Cognito developer guide).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelike._core._errors import InvalidEventError
from chalicelike._events._lambda_events import BaseLambdaEvent
from chalicelike._events._trigger_events import (
    CognitoEvent,
    SESEvent,
    SESRecord,
    cognito_trigger,
)


class Context:
    function_name = "mail-dev"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


CONTEXT = Context()


# -- sample events ------------------------------------------------------------------------


def ses_record(message_id: str = "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1") -> dict[str, Any]:
    return {
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": "2026-11-23T17:00:02.028Z",
                "source": "prvs=144d0cba7=alice@example.com",
                "messageId": message_id,
                "destination": ["orders@shop.example", "sales@shop.example"],
                "headersTruncated": False,
                "headers": [
                    {"name": "Return-Path", "value": "<prvs=144d0cba7=alice@example.com>"},
                    {"name": "Received", "value": "from smtp.example.com by inbound-smtp"},
                    {"name": "X-SES-Spam-Verdict", "value": "PASS"},
                    {"name": "Received", "value": "from mail.example.com by relay"},
                    {"name": "From", "value": '"Doe, Alice" <alice@example.com>'},
                    {"name": "To", "value": "orders@shop.example"},
                    {"name": "Subject", "value": "Order 7"},
                    {"name": "Message-ID", "value": "<F8098FDD@example.com>"},
                ],
                "commonHeaders": {
                    "returnPath": "prvs=144d0cba7=alice@example.com",
                    "from": ['"Doe, Alice" <alice@example.com>'],
                    "date": "Mon, 23 Nov 2026 17:00:01 +0000",
                    "to": ["orders@shop.example"],
                    "messageId": "<F8098FDD@example.com>",
                    "subject": "Order 7",
                },
            },
            "receipt": {
                "timestamp": "2026-11-23T17:00:02.028Z",
                "processingTimeMillis": 1205,
                "recipients": ["orders@shop.example"],
                "spamVerdict": {"status": "PASS"},
                "virusVerdict": {"status": "PASS"},
                "spfVerdict": {"status": "PASS"},
                "dkimVerdict": {"status": "FAIL"},
                "dmarcVerdict": {"status": "GRAY"},
                "action": {
                    "type": "Lambda",
                    "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:mail",
                    "invocationType": "Event",
                },
            },
        },
    }


def ses_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records) or [ses_record()]}


def pre_sign_up_event() -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_Abc123XyZ",
        "userName": "alice",
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "1example23456789",
        },
        "request": {
            "userAttributes": {"email": "alice@shop.example", "custom:domain": "shop.example"},
            "validationData": None,
            "clientMetadata": {"campaign": "autumn"},
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


def pre_token_event() -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": "TokenGeneration_Authentication",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_Abc123XyZ",
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-js-3.0", "clientId": "1example23456789"},
        "request": {
            "userAttributes": {"sub": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "email": "a@b.c"},
            "groupConfiguration": {
                "groupsToOverride": ["admins"],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
        },
        "response": {"claimsOverrideDetails": None},
    }


# -- SES ----------------------------------------------------------------------------------


def test_ses_event_reads_the_documented_record() -> None:
    event = SESEvent(ses_event(), CONTEXT)
    assert isinstance(event, BaseLambdaEvent)
    assert event.context is CONTEXT
    assert event.message_id == "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
    assert event.source == "prvs=144d0cba7=alice@example.com"
    assert event.destination == ["orders@shop.example", "sales@shop.example"]
    assert event.subject == "Order 7"
    assert event.from_ == ['"Doe, Alice" <alice@example.com>']
    assert event.to == ["orders@shop.example"]
    assert event.timestamp == "2026-11-23T17:00:02.028Z"
    assert event.recipients == ["orders@shop.example"]
    assert event.verdicts == {
        "spam": "PASS",
        "virus": "PASS",
        "spf": "PASS",
        "dkim": "FAIL",
        "dmarc": "GRAY",
    }
    assert event.action["type"] == "Lambda"
    assert len(event.headers) == 8
    assert (
        repr(event) == "SESEvent(message_id='o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', records=1)"
    )


def test_ses_header_lookup_ignores_case_and_takes_the_first() -> None:
    event = SESEvent(ses_event())
    assert event.header("subject") == "Order 7"
    assert event.header("RECEIVED") == "from smtp.example.com by inbound-smtp"
    assert event.header("X-Missing") is None
    assert event.records[0].header("message-id") == "<F8098FDD@example.com>"


def test_ses_event_iterates_every_record() -> None:
    event = SESEvent(ses_event(ses_record("first"), ses_record("second")))
    assert len(event) == 2
    assert [record.message_id for record in event] == ["first", "second"]
    assert all(isinstance(record, SESRecord) for record in event)
    assert event.message_id == "first"
    assert repr(event.records[1]) == "SESRecord(message_id='second', subject='Order 7')"


def test_ses_message_without_subject_or_verdicts() -> None:
    record = ses_record()
    mail, receipt = record["ses"]["mail"], record["ses"]["receipt"]
    del mail["commonHeaders"]["subject"], mail["commonHeaders"]["to"]
    del mail["headers"], mail["timestamp"]
    for kind in ("spam", "virus", "dkim"):
        del receipt[f"{kind}Verdict"]
    del receipt["action"]
    event = SESEvent(ses_event(record))
    assert (event.subject, event.to, event.headers, event.timestamp) == (None, [], [], "")
    assert event.verdicts == {"spf": "PASS", "dmarc": "GRAY"}
    assert event.action == {}
    assert event.header("Subject") is None


def test_ses_record_without_eventsource_but_with_ses_is_accepted() -> None:
    record = ses_record()
    del record["eventSource"]
    assert SESEvent(ses_event(record)).subject == "Order 7"


def test_ses_event_does_not_change_the_dict_it_reads() -> None:
    raw = ses_event()
    before = copy.deepcopy(raw)
    assert SESEvent(raw).to_dict() is raw
    assert raw == before


# -- Cognito ------------------------------------------------------------------------------


def test_cognito_event_reads_the_common_parameters() -> None:
    event = CognitoEvent(pre_sign_up_event(), CONTEXT)
    assert event.context is CONTEXT
    assert (event.trigger_source, event.trigger) == ("PreSignUp_SignUp", "PreSignUp")
    assert (event.user_pool_id, event.user_name) == ("eu-west-1_Abc123XyZ", "alice")
    assert (event.region, event.version, event.client_id) == (
        "eu-west-1",
        "1",
        "1example23456789",
    )
    assert event.caller_context["awsSdkVersion"] == "aws-sdk-unknown-unknown"
    assert event.user_attributes["custom:domain"] == "shop.example"
    assert event.request["clientMetadata"] == {"campaign": "autumn"}
    assert event.request["validationData"] is None
    assert event.response == {
        "autoConfirmUser": False,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    assert repr(event) == (
        "CognitoEvent(trigger_source='PreSignUp_SignUp', "
        "user_pool_id='eu-west-1_Abc123XyZ', user_name='alice')"
    )


def test_to_answer_is_the_event_with_the_response_as_the_handler_left_it() -> None:
    raw = pre_sign_up_event()
    before = copy.deepcopy(raw)
    event = CognitoEvent(raw)
    event.response["autoConfirmUser"] = True
    answer = event.to_answer()
    assert answer["response"] == {
        "autoConfirmUser": True,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    assert {key: value for key, value in answer.items() if key != "response"} == {
        key: value for key, value in before.items() if key != "response"
    }
    assert raw == before  # the event as it came is kept
    assert event.to_dict() is raw


def test_a_replaced_response_is_what_cognito_gets() -> None:
    event = CognitoEvent(pre_token_event())
    assert event.trigger == "PreTokenGeneration"
    overrides = {"claimsToAddOrOverride": {"tier": "gold"}, "claimsToSuppress": ["email"]}
    event.response = {"claimsOverrideDetails": overrides}
    assert event.to_answer()["response"] == {"claimsOverrideDetails": overrides}


def test_nested_changes_to_the_response_leave_the_event_alone() -> None:
    raw = pre_token_event()
    raw["response"] = {"claimsOverrideDetails": {"claimsToSuppress": []}}
    event = CognitoEvent(raw)
    event.response["claimsOverrideDetails"]["claimsToSuppress"].append("email")
    assert raw["response"] == {"claimsOverrideDetails": {"claimsToSuppress": []}}
    assert event.to_answer()["response"]["claimsOverrideDetails"] == {"claimsToSuppress": ["email"]}


def test_a_response_that_is_no_dict_cannot_be_answered() -> None:
    event = CognitoEvent(pre_sign_up_event())
    event.response = ["autoConfirmUser"]  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"'PreSignUp_SignUp' must be a dict .* not list"):
        event.to_answer()


def test_cognito_event_with_only_what_every_trigger_has() -> None:
    # Machine-to-machine token events carry no user; other fields may be left out
    # of hand-made events.
    event = CognitoEvent(
        {"triggerSource": "PostConfirmation_ConfirmSignUp", "userPoolId": "p", "request": {}}
    )
    assert (event.user_name, event.client_id, event.region, event.version) == (
        None,
        None,
        "",
        "",
    )
    assert (event.user_attributes, event.caller_context, event.response) == ({}, {}, {})
    assert event.to_answer()["response"] == {}


@pytest.mark.parametrize(
    ("trigger_source", "trigger"),
    [
        ("PreSignUp_ExternalProvider", "PreSignUp"),
        ("PostConfirmation_ConfirmForgotPassword", "PostConfirmation"),
        ("TokenGeneration_RefreshTokens", "PreTokenGeneration"),
        ("VerifyAuthChallengeResponse_Authentication", "VerifyAuthChallengeResponse"),
        ("CustomMessage_AdminCreateUser", "CustomMessage"),
        ("UserMigration_ForgotPassword", "UserMigration"),
    ],
)
def test_the_trigger_of_each_documented_source(trigger_source: str, trigger: str) -> None:
    assert cognito_trigger(trigger_source) == trigger


# -- malformed events ---------------------------------------------------------------------

SES = "Expected an SES email receiving event (Records[].ses), "
COGNITO = "Expected a Cognito user pool trigger event (triggerSource, userPoolId, request), "
SQS_RECORD = {"messageId": "1", "body": "x", "eventSource": "aws:sqs"}


def _message(cls: type[BaseLambdaEvent], event: Any) -> str:
    with pytest.raises(InvalidEventError) as info:
        cls(event, CONTEXT)
    return str(info.value)


def _broken_ses(change: Any) -> dict[str, Any]:
    record = ses_record()
    change(record)
    return ses_event(record)


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"Records": [SQS_RECORD]}, "got a record with eventSource 'aws:sqs'"),
        (
            {"Records": [ses_record(), SQS_RECORD]},
            "got a record with eventSource 'aws:sqs' at Records[1]",
        ),
        (
            pre_sign_up_event(),
            "got an event without 'Records' (its keys: callerContext, "
            "region, request, response, triggerSource, userName, userPoolId, version)",
        ),
        ("mail", "got a string instead of a JSON object"),
        ({"Records": []}, "got an empty Records list"),
        ({"Records": [{"mail": {}}]}, "Records[0] has neither eventSource nor 'ses'"),
        (_broken_ses(lambda r: r.pop("ses")), "Records[0] has no 'ses'"),
        (_broken_ses(lambda r: r["ses"].pop("mail")), "Records[0].ses has no 'mail'"),
        (
            _broken_ses(lambda r: r["ses"].update(receipt="PASS")),
            "Records[0].ses.receipt is a string, not an object",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"].pop("messageId")),
            "Records[0].ses.mail has no 'messageId'",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"].update(source=["a@b.c"])),
            "Records[0].ses.mail.source is a list, not a string",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"].update(destination="a@b.c")),
            "Records[0].ses.mail.destination is a string, not a list",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"]["destination"].append(7)),
            "Records[0].ses.mail.destination[2] is a number, not a string",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"]["headers"].append("Subject: x")),
            "Records[0].ses.mail.headers[8] is a string, not an object",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"]["headers"][0].pop("value")),
            "Records[0].ses.mail.headers[0] has no 'value'",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"].update(commonHeaders=[])),
            "Records[0].ses.mail.commonHeaders is a list, not an object",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"]["commonHeaders"].update(subject=1)),
            "Records[0].ses.mail.commonHeaders.subject is a number, not a string",
        ),
        (
            _broken_ses(lambda r: r["ses"]["mail"]["commonHeaders"].update(to="a@b.c")),
            "Records[0].ses.mail.commonHeaders.to is a string, not a list",
        ),
        (
            _broken_ses(lambda r: r["ses"]["receipt"].pop("recipients")),
            "Records[0].ses.receipt has no 'recipients'",
        ),
        (
            _broken_ses(lambda r: r["ses"]["receipt"].update(spamVerdict="PASS")),
            "Records[0].ses.receipt.spamVerdict is a string, not an object",
        ),
        (
            _broken_ses(lambda r: r["ses"]["receipt"]["dkimVerdict"].pop("status")),
            "Records[0].ses.receipt.dkimVerdict has no 'status'",
        ),
        (
            _broken_ses(lambda r: r["ses"]["receipt"].update(action="Lambda")),
            "Records[0].ses.receipt.action is a string, not an object",
        ),
    ],
)
def test_malformed_ses_events(event: Any, problem: str) -> None:
    assert _message(SESEvent, event) == SES + problem


def test_malformed_ses_second_record_is_named() -> None:
    second = ses_record("second")
    del second["ses"]["receipt"]["recipients"]
    assert _message(SESEvent, ses_event(ses_record(), second)) == (
        SES + "Records[1].ses.receipt has no 'recipients'"
    )


def _broken_cognito(**changes: Any) -> dict[str, Any]:
    event = pre_sign_up_event()
    for key, value in changes.items():
        if value is None:
            del event[key]
        else:
            event[key] = value
    return event


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (ses_event(), "got a Records event from 'aws:ses'"),
        (
            {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
            "got an EventBridge event (source 'aws.events', detail-type 'Scheduled Event')",
        ),
        (
            {"request": {"userAttributes": {}}, "response": {}},
            "got an event without 'triggerSource' (its keys: request, response)",
        ),
        (None, "got null instead of a JSON object"),
        ([pre_sign_up_event()], "got a list instead of a JSON object"),
        (_broken_cognito(triggerSource=7), "triggerSource is a number, not a string"),
        (_broken_cognito(userPoolId=None), "the event has no 'userPoolId'"),
        (_broken_cognito(userName=["alice"]), "userName is a list, not a string"),
        (_broken_cognito(region=1), "region is a number, not a string"),
        (_broken_cognito(version=1), "version is a number, not a string"),
        (_broken_cognito(callerContext="web"), "callerContext is a string, not an object"),
        (
            _broken_cognito(callerContext={"clientId": 5}),
            "callerContext.clientId is a number, not a string",
        ),
        (_broken_cognito(request=None), "the event has no 'request'"),
        (_broken_cognito(request="sign up"), "request is a string, not an object"),
        (
            _broken_cognito(request={"userAttributes": [["email", "a@b.c"]]}),
            "request.userAttributes is a list, not an object",
        ),
        (_broken_cognito(response=[]), "response is a list, not an object"),
    ],
)
def test_malformed_cognito_events(event: Any, problem: str) -> None:
    assert _message(CognitoEvent, event) == COGNITO + problem
