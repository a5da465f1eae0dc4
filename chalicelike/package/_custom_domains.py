"""Custom domain names for the APIs (`api_gateway_custom_domain`, `websocket_api_custom_domain`)
in CloudFormation and Terraform, with the outputs a DNS alias record needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._tooling._settings import CustomDomain
from ._resources import TemplateError, rest_api_stage_id

if TYPE_CHECKING:
    from ._cloudformation import Stack
    from ._terraform import Document


def _check_rest_endpoint(endpoint_type: str) -> None:
    if endpoint_type == "PRIVATE":
        raise TemplateError(
            "api_gateway_custom_domain: a PRIVATE API's domain names are managed per VPC "
            "endpoint; use an EDGE or REGIONAL endpoint type, or set up the domain yourself"
        )


def add_rest_domain(stack: Stack, domain: CustomDomain) -> None:
    endpoint_type = stack.stage.api_gateway_endpoint_type
    _check_rest_endpoint(endpoint_type)
    edge = endpoint_type == "EDGE"
    properties: dict[str, Any] = {
        "DomainName": domain.domain_name,
        "EndpointConfiguration": {"Types": [endpoint_type]},
        "SecurityPolicy": domain.tls_version,
        "Tags": stack.tag_list(domain.tags),
        # An edge domain is served by CloudFront, which takes a certificate from us-east-1.
        "CertificateArn" if edge else "RegionalCertificateArn": domain.certificate_arn,
    }
    stack.add("ApiCustomDomain", "AWS::ApiGateway::DomainName", properties)
    mapping: dict[str, Any] = {
        "DomainName": {"Ref": "ApiCustomDomain"},
        "RestApiId": {"Ref": "RestAPI"},
        "Stage": {"Ref": rest_api_stage_id(stack.stage.api_gateway_stage)},
    }
    if domain.url_prefix:
        mapping["BasePath"] = domain.url_prefix
    stack.add("ApiCustomDomainMapping", "AWS::ApiGateway::BasePathMapping", mapping)
    prefix = "Distribution" if edge else "Regional"
    stack.output(
        "AliasDomainName",
        {"Fn::GetAtt": ["ApiCustomDomain", f"{prefix}DomainName"]},
        "Point the domain's alias record here",
    )
    stack.output("HostedZoneId", {"Fn::GetAtt": ["ApiCustomDomain", f"{prefix}HostedZoneId"]})


def add_v2_domain(stack: Stack, domain: CustomDomain, api: str, stage: str, label: str) -> None:
    """An HTTP or websocket API's domain: regional only (API Gateway v2 has no edge)."""
    logical = f"{label}CustomDomain"
    stack.add(
        logical,
        "AWS::ApiGatewayV2::DomainName",
        {
            "DomainName": domain.domain_name,
            "DomainNameConfigurations": [
                {
                    "CertificateArn": domain.certificate_arn,
                    "EndpointType": "REGIONAL",
                    "SecurityPolicy": domain.tls_version,
                }
            ],
            "Tags": stack.tags(domain.tags),
        },
    )
    mapping: dict[str, Any] = {
        "ApiId": {"Ref": api},
        "DomainName": {"Ref": logical},
        "Stage": {"Ref": stage},
    }
    if domain.url_prefix:
        mapping["ApiMappingKey"] = domain.url_prefix
    stack.add(f"{logical}Mapping", "AWS::ApiGatewayV2::ApiMapping", mapping)
    stack.output(f"{label}AliasDomainName", {"Fn::GetAtt": [logical, "RegionalDomainName"]})
    stack.output(f"{label}HostedZoneId", {"Fn::GetAtt": [logical, "RegionalHostedZoneId"]})


def add_tf_rest_domain(document: Document, domain: CustomDomain) -> None:
    endpoint_type = document.stage.api_gateway_endpoint_type
    _check_rest_endpoint(endpoint_type)
    edge = endpoint_type == "EDGE"
    document.add(
        "aws_api_gateway_domain_name",
        "rest_api",
        {
            "domain_name": domain.domain_name,
            "endpoint_configuration": {"types": [endpoint_type]},
            "security_policy": domain.tls_version,
            "tags": document.tags(domain.tags),
            "certificate_arn" if edge else "regional_certificate_arn": domain.certificate_arn,
        },
    )
    mapping: dict[str, Any] = {
        "api_id": "${aws_api_gateway_rest_api.rest_api.id}",
        "stage_name": "${aws_api_gateway_stage.rest_api.stage_name}",
        "domain_name": "${aws_api_gateway_domain_name.rest_api.domain_name}",
    }
    if domain.url_prefix:
        mapping["base_path"] = domain.url_prefix
    document.add("aws_api_gateway_base_path_mapping", "rest_api", mapping)
    kind = "cloudfront" if edge else "regional"
    base = "aws_api_gateway_domain_name.rest_api"
    document.output("AliasDomainName", f"${{{base}.{kind}_domain_name}}")
    document.output("HostedZoneId", f"${{{base}.{kind}_zone_id}}")


def add_tf_v2_domain(
    document: Document, domain: CustomDomain, api: str, label: str, stage: str | None = None
) -> None:
    """`api` names the aws_apigatewayv2_api ('http_api', 'websocket_api'), `stage` its
    stage (the API's name unless given)."""
    document.add(
        "aws_apigatewayv2_domain_name",
        api,
        {
            "domain_name": domain.domain_name,
            "domain_name_configuration": {
                "certificate_arn": domain.certificate_arn,
                "endpoint_type": "REGIONAL",
                "security_policy": domain.tls_version,
            },
            "tags": document.tags(domain.tags),
        },
    )
    mapping: dict[str, Any] = {
        "api_id": f"${{aws_apigatewayv2_api.{api}.id}}",
        "domain_name": f"${{aws_apigatewayv2_domain_name.{api}.id}}",
        "stage": f"${{aws_apigatewayv2_stage.{stage or api}.id}}",
    }
    if domain.url_prefix:
        mapping["api_mapping_key"] = domain.url_prefix
    document.add("aws_apigatewayv2_api_mapping", api, mapping)
    target = f"aws_apigatewayv2_domain_name.{api}.domain_name_configuration[0]"
    document.output(f"{label}AliasDomainName", f"${{{target}.target_domain_name}}")
    document.output(f"{label}HostedZoneId", f"${{{target}.hosted_zone_id}}")
