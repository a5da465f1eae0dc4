"""`chalicelike invoke --remote`: run the deployed function once through Lambda's Invoke API
and print what the local `invoke` prints: the payload on stdout, the log on stderr.

Imported by `local._invoke_command` only when --remote is given (boto3 is slow to import).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

from ._record import function_resource, require_record
from ._session import AwsSession, DeployError, open_session

__all__ = ["invoke_remote"]

EXIT_OK, EXIT_FUNCTION_ERROR = 0, 1
# Lambda's longest timeout is 900 s; a synchronous Invoke answers only when the function
# ends, so botocore's default 60 s read timeout would give up on a slow function.
READ_TIMEOUT_SECONDS = 900 + 60


def invoke_remote(
    project_dir: Path,
    stage: str,
    name: str,
    payload: bytes,
    *,
    profile: str | None,
    region: str | None,
) -> int:
    """Invoke the stage's alias of `name` with `payload`; the exit status (1 when Lambda
    reports a FunctionError)."""
    record = require_record(project_dir, stage)
    function = function_resource(record, name)
    session = open_session(profile, region or record["stack"].get("region"))
    request: dict[str, Any] = {
        "FunctionName": function["function_name"],
        "Payload": payload,
        # Tail: Lambda returns the last 4 KB of the invocation's log, base64, in LogResult.
        "LogType": "Tail",
    }
    if function.get("alias"):
        # The stage's alias is what its API and event sources call, not $LATEST.
        request["Qualifier"] = function["alias"]
    response = _invoke(session, request)
    log = response.get("LogResult")
    if log:
        text = base64.b64decode(log).decode("utf-8", errors="replace")
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()
    # A function error's payload is {"errorMessage", "errorType", ...}: printed like a result.
    sys.stdout.buffer.write(response["Payload"].read() + b"\n")
    sys.stdout.flush()
    return EXIT_FUNCTION_ERROR if response.get("FunctionError") else EXIT_OK


def _invoke(session: AwsSession, request: dict[str, Any]) -> dict[str, Any]:
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    # No retries: botocore retries a read timeout or a dropped connection, and a retried
    # Invoke runs the function again (the first run may have gone through).
    config = Config(read_timeout=READ_TIMEOUT_SECONDS, retries={"total_max_attempts": 1})
    try:
        response: dict[str, Any] = session.client("lambda", config=config).invoke(**request)
    except ClientError as error:
        raise DeployError(f"Lambda refused to invoke {request['FunctionName']}: {error}") from None
    except BotoCoreError as error:
        raise DeployError(f"cannot invoke {request['FunctionName']}: {error}") from None
    return response
