"""Custom domain names for the APIs (`api_gateway_custom_domain`, `websocket_api_custom_domain`)
as CloudFormation resources, with the outputs a DNS alias record needs."""

from __future__ import annotations

from typing import Any

from ...._tooling._settings import CustomDomain
from .._aws import rest_api_stage_id
from ._stack import Stack

__all__ = ["add_rest_domain", "add_v2_domain"]


def add_rest_domain(stack: Stack, domain: CustomDomain) -> None:
    endpoint_type = stack.stage.api_gateway_endpoint_type
    edge = stack.deployment.rest_domain_edge(domain)
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
