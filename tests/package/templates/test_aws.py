"""What every template writer shares: AWS's names in CloudFormation's spelling."""

from __future__ import annotations

from chalicelike.package.templates._aws import pascal_case


def test_snake_case_settings_become_cloudformations_pascal_case() -> None:
    settings = {
        "batch_size": 10,
        "scaling_config": {"maximum_concurrency": 5},
        "identity_sources": ["$request.header.Authorization"],
        "authorizer_uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway"},
        "tags": {"Team": "shop"},
    }
    assert pascal_case(settings, {"identity_sources": "IdentitySource"}) == {
        "BatchSize": 10,
        "ScalingConfig": {"MaximumConcurrency": 5},
        "IdentitySource": ["$request.header.Authorization"],
        "AuthorizerUri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway"},  # left as it is
        "Tags": {"Team": "shop"},
    }
