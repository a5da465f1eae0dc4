"""A Chalice project on disk for the dev-server tests: app.py and .chalice/config.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["write_project"]


def write_project(root: Path, app: str, config: dict[str, Any]) -> Path:
    """`root/project` with `app` as its app.py and `config` as its config.json."""
    project_dir = root / "project"
    (project_dir / ".chalice").mkdir(parents=True)
    (project_dir / "app.py").write_text(app)
    (project_dir / ".chalice" / "config.json").write_text(json.dumps(config))
    return project_dir
