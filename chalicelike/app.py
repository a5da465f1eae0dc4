"""`chalicelike.app`: the names Chalice apps import from `chalice.app`, for a one-line port.

`from chalice.app import SQSEvent` becomes `from chalicelike.app import SQSEvent`.
"""

from __future__ import annotations

import chalicelike as _package
from chalicelike import *  # noqa: F403
from chalicelike import __all__  # noqa: F401


def __getattr__(name: str) -> object:
    return getattr(_package, name)
