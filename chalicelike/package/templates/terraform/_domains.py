"""Custom domain names for the APIs (`api_gateway_custom_domain`, `websocket_api_custom_domain`)
as Terraform resources, with the outputs a DNS alias record needs."""

from __future__ import annotations

from typing import Any

from ...._tooling._settings import CustomDomain
from ._document import Document

__all__ = ["add_rest_domain", "add_v2_domain"]


def add_rest_domain(document: Document, domain: CustomDomain) -> None:
    endpoint_type = document.stage.api_gateway_endpoint_type
    edge = document.deployment.rest_domain_edge(domain)
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


def add_v2_domain(
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
