"""The stand-in AWS facts chalicelike uses off AWS: one account, one API, the regions.

Every ARN, event and context made by the test client, the dev server, sample events
and `LambdaContext` names these, so an app sees the same account wherever it runs.
"""

from __future__ import annotations

__all__ = ["ACCOUNT_ID", "DEFAULT_REGION", "LOCAL_API_ID", "SAMPLE_REGION"]

# AWS's documentation account: never anyone's real account.
ACCOUNT_ID = "123456789012"
# Where the dev server and LambdaContext say they run: Lambda's own default region.
DEFAULT_REGION = "us-east-1"
# The region of sample events (`generate-event`, `client.events`), as in Chalice's.
SAMPLE_REGION = "us-west-2"
# The API id of the local gateway and the test client's REST API.
LOCAL_API_ID = "local"
