"""The stand-in Lambda context used off Lambda has the attributes AWS's runtime gives."""

from __future__ import annotations

import time

from chalicelike._core._lambda_context import LambdaContext


def test_attributes_follow_lambdas_naming() -> None:
    context = LambdaContext("shop-dev", memory_size=256, region="eu-west-1", account_id="111")
    assert context.function_name == "shop-dev"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:111:function:shop-dev"
    assert context.memory_limit_in_mb == "256"
    assert context.log_group_name == "/aws/lambda/shop-dev"
    assert "[$LATEST]" in context.log_stream_name
    assert len(context.aws_request_id) == 36


def test_each_context_has_its_own_request_id_but_one_log_stream_per_process() -> None:
    first, second = LambdaContext("f"), LambdaContext("f")
    assert first.aws_request_id != second.aws_request_id
    assert first.log_stream_name == second.log_stream_name


def test_remaining_time_counts_down_to_zero() -> None:
    context = LambdaContext("f", timeout_seconds=0.2)
    assert 0 < context.get_remaining_time_in_millis() <= 200
    time.sleep(0.25)
    assert context.get_remaining_time_in_millis() == 0
