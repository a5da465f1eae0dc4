"""A Lambda context object with the attributes and method AWS's Python runtime provides.

Used off Lambda (test client, local server) so that code reading
`app.lambda_context` behaves as it does on Lambda.
"""

from __future__ import annotations

import time
import uuid

from ._aws import ACCOUNT_ID, DEFAULT_REGION

__all__ = ["LambdaContext"]


class LambdaContext:
    """What Lambda passes as `context`: names, memory, request id and the deadline."""

    def __init__(
        self,
        function_name: str,
        memory_size: int = 128,
        timeout_seconds: float = 60.0,
        region: str = DEFAULT_REGION,
        account_id: str = ACCOUNT_ID,
        function_version: str = "$LATEST",
        aws_request_id: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_size)
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = _log_stream_name()
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_LOG_STREAM: list[str] = []


def _log_stream_name() -> str:
    # Lambda gives each execution environment one log stream; a process is ours.
    if not _LOG_STREAM:
        _LOG_STREAM.append(time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex)
    return _LOG_STREAM[0]
