"""Every key `.chalice/config.json` may hold: its type, limits, where it may appear, default.

`_config` walks a config file against this table and resolves values with it; docs/config.md
describes the same keys for people (a test keeps the two in step). Never on the Lambda path.
"""

from __future__ import annotations

import difflib
import enum
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DOMAIN",
    "KEYS",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "PER_FUNCTION",
    "RUNTIMES",
    "SNAPSTART_RUNTIMES",
    "STAGE_WIDE",
    "WORKFLOW_LOG_LEVELS",
    "Boolean",
    "Choice",
    "Integer",
    "Invalid",
    "Level",
    "StringList",
    "StringOrList",
    "Tags",
    "Text",
    "Variables",
    "Version",
    "default_runtime",
    "describe_levels",
    "keys_at",
    "refuse",
    "suggest",
    "unknown_key",
]


class Level(enum.Flag):
    """Where in the file a key may appear."""

    TOP = enum.auto()
    STAGE = enum.auto()  # stages.<stage>
    FUNCTION = enum.auto()  # lambda_functions.<function>
    STAGE_FUNCTION = enum.auto()  # stages.<stage>.lambda_functions.<function>


APP_WIDE = Level.TOP
STAGE_WIDE = Level.TOP | Level.STAGE
SECTIONS = Level.TOP | Level.STAGE  # where `lambda_functions` may appear
PER_FUNCTION = Level.TOP | Level.STAGE | Level.FUNCTION | Level.STAGE_FUNCTION

_PLACES = {
    Level.TOP: "at the top level",
    Level.STAGE: "in stages.<stage>",
    Level.FUNCTION: "in lambda_functions.<function>",
    Level.STAGE_FUNCTION: "in stages.<stage>.lambda_functions.<function>",
}


def describe_levels(levels: Level) -> str:
    """'at the top level or in stages.<stage>', for messages."""
    places = [text for level, text in _PLACES.items() if level in levels]
    return ", ".join(places[:-1]) + " or " + places[-1] if len(places) > 1 else places[0]


class Invalid(Exception):
    """A value the table refuses; the message starts with the value's key path."""


def refuse(path: str, allowed: str, value: object) -> Invalid:
    # Lists and objects can be long: only scalars are echoed back.
    shown = "" if isinstance(value, (list, dict)) else f", not {json_repr(value)}"
    return Invalid(f"{path} must be {allowed}{shown}")


def json_repr(value: object) -> str:
    """A value as it is written in JSON (true, null, "text"), which is what users wrote."""
    if value is True or value is False or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return repr(value)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if one is close enough."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Check:
    """What values a key accepts; `allowed` says it in words for messages and docs."""

    @property
    def allowed(self) -> str:
        raise NotImplementedError

    def check(self, value: Any, path: str) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Integer(Check):
    low: int
    high: int | None = None
    unit: str = ""

    @property
    def allowed(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.high is None:
            return f"an integer of {self.low}{unit} or more"
        return f"an integer from {self.low} to {self.high}{unit}"

    def check(self, value: Any, path: str) -> None:
        # JSON true is a Python int: refuse it rather than read it as 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(path, self.allowed, value)
        if value < self.low or (self.high is not None and value > self.high):
            raise refuse(path, self.allowed, value)


@dataclass(frozen=True)
class Choice(Check):
    values: tuple[object, ...]

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(json_repr(v) for v in self.values)

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or value not in self.values:
            problem = refuse(path, self.allowed, value)
            if isinstance(value, str):
                # AWS's values are case-sensitive ("json" is not "JSON"): say which was meant.
                for known in self.values:
                    if isinstance(known, str) and known.casefold() == value.casefold():
                        raise Invalid(f"{problem}; did you mean {json_repr(known)}? (case matters)")
            raise problem


class Boolean(Check):
    allowed = "true or false"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise refuse(path, self.allowed, value)


@dataclass(frozen=True)
class Text(Check):
    description: str = "a non-empty string"
    pattern: str = r".+"

    @property
    def allowed(self) -> str:
        return self.description

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value, re.DOTALL):
            raise refuse(path, self.allowed, value)


@dataclass(frozen=True)
class StringList(Check):
    most: int  # Lambda's limit on the number of items

    @property
    def allowed(self) -> str:
        return f"a list of at most {self.most} strings"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or len(value) > self.most:
            raise refuse(path, self.allowed, value)
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise refuse(f"{path}[{index}]", "a non-empty string", item)


class StringOrList(Check):
    allowed = "a string or a list of strings"

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, str) and value:
            return
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise refuse(path, self.allowed, value)


class Version(Check):
    allowed = '"1.0" or "2.0"'

    def check(self, value: Any, path: str) -> None:
        # Chalice reads float(version) and accepts anything up to 2.0.
        try:
            number = float(value) if isinstance(value, (str, int, float)) else None
        except ValueError:
            number = None
        if isinstance(value, bool) or number not in (1.0, 2.0):
            raise refuse(path, self.allowed, value)


# Variables chalicelike sets itself from a key (the runtime reads them), by that key.
SET_BY_KEYS = {"CHALICELIKE_XRAY": "xray"}
# Lambda refuses these variable names: it sets them itself (AWS's runtime environment docs).
RESERVED_VARIABLES = frozenset((
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
))  # fmt: skip


class Variables(Check):
    allowed = "an object of strings"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(f"{path} must be {self.allowed}")
        for name, text in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                raise Invalid(
                    f"{path}.{name} is not a variable name Lambda accepts: a letter, then "
                    "letters, digits and underscores"
                )
            if name in RESERVED_VARIABLES:
                raise Invalid(f"{path}.{name} is reserved: Lambda sets it itself")
            if name in SET_BY_KEYS:
                key = SET_BY_KEYS[name]
                raise Invalid(
                    f"{path}.{name} is set by chalicelike from the {key} key: write "
                    f'"{key}": true instead'
                )
            if not isinstance(text, str):
                raise refuse(f"{path}.{name}", "a string", text)


class Tags(Check):
    allowed = "an object of strings"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(f"{path} must be {self.allowed}")
        for name, text in value.items():
            # AWS's tagging limits: keys 1-128 characters outside `aws:`, values up to 256.
            if not 1 <= len(name) <= 128 or name.lower().startswith("aws:"):
                raise Invalid(f"{path}.{name}: a tag key has 1 to 128 characters, not aws:...")
            if not isinstance(text, str) or len(text) > 256:
                raise refuse(f"{path}.{name}", "a string of at most 256 characters", text)


@dataclass(frozen=True)
class Fields(Check):
    """An object with named fields of its own (a custom domain)."""

    fields: tuple[tuple[str, Check, bool], ...]  # name, check, required

    @property
    def allowed(self) -> str:
        names = [f"{name}{'' if required else '?'}" for name, _, required in self.fields]
        return "an object with " + ", ".join(names)

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise refuse(path, self.allowed, value)
        checks = {name: check for name, check, _ in self.fields}
        for name, item in value.items():
            if name not in checks:
                raise unknown_key(f"{path}.{name}", name, checks, f"in {path}")
            checks[name].check(item, f"{path}.{name}")
        required = [name for name, _, needed in self.fields if needed]
        for name in required:
            if value.get(name) is None:
                raise Invalid(f"{path}.{name} is missing; required: {', '.join(required)}")


class Sections(Check):
    """`stages` and `lambda_functions`: names mapped to objects, walked by `_config`."""

    allowed = "an object of names to objects of settings"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise refuse(path, self.allowed, value)


def unknown_key(path: str, name: str, known: Iterable[str], where: str) -> Invalid:
    known = sorted(known)
    close = suggest(name, known)
    if close is not None:
        return Invalid(f"{path} is not a config key; did you mean {close}?")
    return Invalid(f"{path} is not a config key; keys allowed {where}: {', '.join(known)}")


@dataclass(frozen=True)
class Key:
    name: str
    check: Check
    levels: Level
    default: object = None  # as documented; None: unset (the template leaves it out)
    ours: bool = False  # not a Chalice key
    merged: bool = False  # merged across levels rather than looked up (Chalice's _chain_merge)
    file: bool = False  # a file name relative to .chalice/ that must exist


# CloudWatch Logs' PutRetentionPolicy accepts only these.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
# Lambda's LoggingConfig values, spelt as its API spells them (case-sensitive).
LOG_FORMATS = ("JSON", "Text")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
WORKFLOW_LOG_LEVELS = ("OFF", "ALL", "ERROR", "FATAL")
# Lambda's Python runtimes (python3.10 and 3.11 on Amazon Linux 2, 3.12 and later on 2023).
RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
# Lambda SnapStart takes snapshots of Python functions from python3.12 on.
SNAPSTART_RUNTIMES = ("python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("x86_64", "arm64")
NAME = Text("letters, digits, hyphens and underscores", r"[A-Za-z0-9_-]+")
# API Gateway's stage names: alphanumerics, hyphens and underscores, at most 128.
API_STAGE = Text("1 to 128 letters, digits, hyphens and underscores", r"[A-Za-z0-9_-]{1,128}")
ARN = Text("an ARN (arn:...)", r"arn:.+")
DOMAIN = Fields(
    (
        ("domain_name", Text(), True),
        ("certificate_arn", ARN, True),
        # API Gateway's security policies for a domain name.
        ("tls_version", Choice(("TLS_1_0", "TLS_1_2")), False),
        ("url_prefix", Text("a string", r".*"), False),
        ("tags", Tags(), False),
    )
)

_TABLE = (
    Key("version", Version(), APP_WIDE, "1.0"),
    Key("app_name", NAME, APP_WIDE),
    Key("stages", Sections(), APP_WIDE),
    Key("lambda_functions", Sections(), SECTIONS),
    Key("environment_variables", Variables(), PER_FUNCTION, merged=True),
    Key("tags", Tags(), PER_FUNCTION, merged=True),
    Key("lambda_memory_size", Integer(128, 10240, "MB"), PER_FUNCTION, 128),
    Key("lambda_timeout", Integer(1, 900, "seconds"), PER_FUNCTION, 60),
    Key("lambda_ephemeral_storage", Integer(512, 10240, "MB"), PER_FUNCTION, 512, ours=True),
    Key("reserved_concurrency", Integer(0), PER_FUNCTION),
    # Lambda's provisioned concurrency, on the stage's alias: environments initialised ahead
    # of requests. At least 1 (Lambda's own minimum); never above reserved_concurrency.
    Key("provisioned_concurrency", Integer(1), PER_FUNCTION, ours=True),
    # Lambda SnapStart: published versions start from a snapshot of the initialised function.
    Key("snapstart", Boolean(), PER_FUNCTION, False, ours=True),
    Key("layers", StringList(5), PER_FUNCTION),
    Key("subnet_ids", StringList(16), PER_FUNCTION),
    Key("security_group_ids", StringList(5), PER_FUNCTION),
    Key("xray", Boolean(), PER_FUNCTION, False),
    # Lambda's advanced logging controls (LoggingConfig). Unset, the template leaves them out
    # and Lambda's default, Text, applies; written "Text", the template says so (Terraform
    # keeps a logging config it is no longer given, so going back from JSON needs it said).
    Key("log_format", Choice(LOG_FORMATS), PER_FUNCTION, ours=True),
    # ApplicationLogLevel: Lambda filters the app's log lines by level, in the JSON format only.
    Key("log_level", Choice(LOG_LEVELS), PER_FUNCTION, ours=True),
    Key("autogen_policy", Boolean(), PER_FUNCTION, True),
    Key("iam_policy_file", Text(), PER_FUNCTION, file=True),
    Key("iam_role_arn", ARN, PER_FUNCTION),
    Key("manage_iam_role", Boolean(), PER_FUNCTION, True),
    Key("log_retention_in_days", Choice(LOG_RETENTION_DAYS), PER_FUNCTION),
    Key("function_url", Boolean(), PER_FUNCTION, False, ours=True),
    # Lambda's MaximumRetryAttempts for a stream's event source mapping (Kinesis, DynamoDB):
    # -1, its default, retries until the records expire. Functions fed otherwise ignore it.
    Key("maximum_retry_attempts", Integer(-1, 10000), PER_FUNCTION, ours=True),
    Key("automatic_layer", Boolean(), STAGE_WIDE, False),
    Key("lambda_architecture", Choice(ARCHITECTURES), STAGE_WIDE, "x86_64"),
    Key("runtime", Choice(RUNTIMES), STAGE_WIDE, ours=True),  # default: default_runtime()
    Key("api_gateway_type", Choice(("REST", "HTTP")), STAGE_WIDE, "REST", ours=True),
    Key("api_gateway_stage", API_STAGE, STAGE_WIDE, "api"),
    Key("api_gateway_endpoint_type", Choice(("EDGE", "REGIONAL", "PRIVATE")), STAGE_WIDE, "EDGE"),
    Key("api_gateway_endpoint_vpce", StringOrList(), STAGE_WIDE),
    Key("api_gateway_policy_file", Text(), STAGE_WIDE, file=True),
    Key("api_gateway_custom_domain", DOMAIN, STAGE_WIDE),
    Key("websocket_api_custom_domain", DOMAIN, STAGE_WIDE),
    Key("websocket_api_stage", API_STAGE, STAGE_WIDE, ours=True),  # default: api_gateway_stage
    # API Gateway's own bounds for minimumCompressionSize (Chalice's constants).
    Key("minimum_compression_size", Integer(0, 10485760, "bytes"), STAGE_WIDE),
    # API Gateway checks a typed route's required parameters and JSON body itself (its
    # request validators, from the views' declared contracts) before the function runs.
    Key("api_gateway_request_validation", Boolean(), STAGE_WIDE, False, ours=True),
    # The app's Step Functions workflows: which executions' events Step Functions logs to
    # CloudWatch Logs (its LoggingConfiguration levels), and X-Ray tracing of executions.
    Key("workflow_logging", Choice(WORKFLOW_LOG_LEVELS), STAGE_WIDE, "OFF", ours=True),
    Key("workflow_tracing", Boolean(), STAGE_WIDE, False, ours=True),
)
KEYS: Mapping[str, Key] = {key.name: key for key in _TABLE}


def default_runtime(version: tuple[int, ...] | None = None) -> str:
    """The local interpreter's pythonX.Y when Lambda runs it, else python3.12."""
    major, minor = (version or sys.version_info)[:2]
    name = f"python{major}.{minor}"
    return name if name in RUNTIMES else "python3.12"


def keys_at(level: Level) -> list[str]:
    """The names of the keys allowed at one level, for messages."""
    return [key.name for key in _TABLE if level in key.levels]
