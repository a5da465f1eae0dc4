"""boto3 clients for the local AWS endpoint, one per service, shared by the local cloud.

Made with dummy credentials whatever the environment holds: the endpoint checks none,
and the developer's real ones must never travel to it. boto3 is imported on first use.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LONG_POLL_SECONDS", "AwsClients"]

# SQS long polls this long at most: a poller that is told to stop notices within it.
LONG_POLL_SECONDS = 2


class AwsClients:
    """`clients.get('sqs')`: a client for the endpoint; thread-safe (pollers use threads)."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is not None:
            return client
        with self._lock:  # boto3's default session is not thread-safe to create clients on
            if service not in self._clients:
                self._clients[service] = self._make(service)
            return self._clients[service]

    def _make(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        return session.client(
            service,
            # An endpoint that does not answer must not hold the server's shutdown; the read
            # timeout leaves room for an SQS long poll. Pollers retry on their own.
            config=Config(
                connect_timeout=2,
                read_timeout=LONG_POLL_SECONDS + 10,
                retries={"max_attempts": 1},
                max_pool_connections=50,
            ),
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
