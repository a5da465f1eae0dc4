"""One wheel cache for the session: each (requirements, runtime, architecture) set is
downloaded from PyPI once, however many tests package it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheel-cache")
