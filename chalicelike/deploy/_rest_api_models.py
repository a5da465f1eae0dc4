"""A REST API body's schemas and request validators as CloudFormation resources, for
`_rest_api_resources`: one AWS::ApiGateway::Model per schema a method names (its components,
and any body schema written inline), one AWS::ApiGateway::RequestValidator per validator.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..package.templates._aws import TemplateError, short_hash
from ._resource_edits import check_keys

__all__ = ["ApiModels", "add_validators"]

MODEL = "AWS::ApiGateway::Model"
VALIDATOR = "AWS::ApiGateway::RequestValidator"
# API Gateway gives every new REST API these two models, so methods may name them unmade.
BUILT_IN_MODELS = frozenset({"Empty", "Error"})
SCHEMA_REF = "#/components/schemas/"
# "Model names can only contain alphanumeric characters" (API Gateway).
_MODEL_NAME = re.compile(r"[A-Za-z0-9]{1,128}")
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")
# API Gateway's models are JSON Schema draft 4; one refers to another by this URL.
_DRAFT_4 = "http://json-schema.org/draft-04/schema#"
_MODEL_URL = "https://apigateway.amazonaws.com/restapis/${%s}/models/%s"


class ApiModels:
    """The models of one API's methods, made as they are first named (by reference or
    inline), each with the models its schema refers to made too and waited for."""

    def __init__(self, result: dict[str, Any], api: str, schemas: dict[str, Any]) -> None:
        self._result = result
        self._api = api
        self._schemas = schemas
        self._made: dict[str, str] = {}  # model name -> logical ID
        self._inline: dict[str, str] = {}  # an inline schema's JSON -> its model's name
        for name in schemas:
            if not _MODEL_NAME.fullmatch(name):
                raise TemplateError(f"{api} components.schemas: {name!r} cannot name a model")

    def name_for(self, schema: Any, where: str, hint: str) -> str:
        """The model a media type's `schema` is: a component's, or one made from it."""
        if not isinstance(schema, dict):
            raise TemplateError(f"{where}: schema {schema!r} is no schema")
        reference = schema.get("$ref")
        if reference is not None and set(schema) == {"$ref"}:
            return self._named(reference, where)
        key = json.dumps(schema, sort_keys=True)
        if key not in self._inline:
            base = _NOT_ALPHANUMERIC.sub("", hint)[:100] or "Model"
            name, number = base, 2
            while name in self._schemas or name in self._made or name in BUILT_IN_MODELS:
                name, number = f"{base}{number}", number + 1
            self._inline[key] = name
            self._make(name, schema)
        return self._inline[key]

    def logical_ids(self, names: list[str]) -> list[str]:
        """The logical IDs of the named models this template makes (not the built-in ones)."""
        return [self._made[name] for name in names if name in self._made]

    def _named(self, reference: Any, where: str) -> str:
        if not isinstance(reference, str) or not reference.startswith(SCHEMA_REF):
            raise TemplateError(f"{where}: schema reference {reference!r} is no component")
        name = reference[len(SCHEMA_REF) :]
        if name in BUILT_IN_MODELS:
            return name
        if name not in self._schemas:
            raise TemplateError(f"{where}: no components.schemas {name!r}")
        if name not in self._made:
            self._make(name, self._schemas[name])
        return name

    def _make(self, name: str, schema: dict[str, Any]) -> None:
        logical = f"{self._api}Model{name}{short_hash(name)}"
        if logical in self._result:
            raise TemplateError(f"{logical} is in the template already")
        self._made[name] = logical  # first: a schema that refers to itself ends here
        referred: list[str] = []
        converted = _draft_4(schema, self._api, referred)
        self._result[logical] = {
            "Type": MODEL,
            "Properties": {
                "RestApiId": {"Ref": self._api},
                "Name": name,
                "ContentType": "application/json",
                "Schema": {"$schema": _DRAFT_4, "title": name, **converted},
            },
        }
        # CloudFormation makes a model only after those it refers to (API Gateway checks
        # that a referenced model exists when the schema is saved).
        dependencies = []
        for other in referred:
            if other != name and other not in BUILT_IN_MODELS:
                self._named(f"{SCHEMA_REF}{other}", f"{self._api} model {name}")
                dependencies.append(self._made[other])
        if dependencies:
            self._result[logical]["DependsOn"] = sorted(set(dependencies))


def _draft_4(schema: Any, api: str, referred: list[str]) -> Any:
    """An OpenAPI 3.0 schema (the body's, already within API Gateway's limits) as draft 4:
    a component reference as the other model's URL, and no `nullable` (draft 4 has none:
    `api_gateway_schema` already left no type or reference beside it to refuse the null)."""
    if isinstance(schema, list):
        return [_draft_4(item, api, referred) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _draft_4(value, api, referred) for key, value in schema.items()}
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith(SCHEMA_REF):
        name = reference[len(SCHEMA_REF) :]
        referred.append(name)
        converted["$ref"] = {"Fn::Sub": _MODEL_URL % (api, name)}
    converted.pop("nullable", None)
    return converted


_VALIDATOR_FIELDS = {
    "validateRequestBody": "ValidateRequestBody",
    "validateRequestParameters": "ValidateRequestParameters",
}


def add_validators(result: dict[str, Any], api: str, validators: Any) -> dict[str, str]:
    """x-amazon-apigateway-request-validators → one RequestValidator each; name → logical ID."""
    where = f"{api} x-amazon-apigateway-request-validators"
    if not isinstance(validators, dict):
        raise TemplateError(f"{where}: expected a mapping")
    made = {}
    for name, validator in validators.items():
        check_keys(validator, f"{where} {name}", set(_VALIDATOR_FIELDS))
        properties: dict[str, Any] = {"RestApiId": {"Ref": api}, "Name": name}
        for key, value in validator.items():
            properties[_VALIDATOR_FIELDS[key]] = bool(value)
        readable = _NOT_ALPHANUMERIC.sub("", name)[:100]
        logical = f"{api}Validator{readable}{short_hash(name)}"
        if logical in result:
            raise TemplateError(f"{logical} is in the template already")
        result[logical] = {"Type": VALIDATOR, "Properties": properties}
        made[name] = logical
    return made
