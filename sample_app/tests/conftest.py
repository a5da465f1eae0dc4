"""Make the sample app importable as it is on Lambda: app.py and chalicelib/ at the top."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SAMPLE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample_app(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(SAMPLE_DIR))
    for name in [m for m in sys.modules if m == "app" or m.startswith("chalicelib")]:
        monkeypatch.delitem(sys.modules, name)
    import app  # a fresh import: every test starts with an empty store

    return app.app
