"""`.chalice/deployed/<stage>.json`: what a stage's deployment made, in Chalice's record
format (`resources`, `schema_version` 2.0), plus our `stack` section (stack name, region,
artifact) that `url`, `logs`, `invoke --remote`, `versions`, `rollback` and `delete` read.

Written whole to a temporary file and renamed over the old one, so an interrupted deploy
leaves the previous record or the new one, never half of either.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._session import DeployError

__all__ = [
    "delete_record",
    "function_resource",
    "read_record",
    "record_path",
    "require_record",
    "write_record",
]


def record_path(project_dir: Path, stage: str) -> Path:
    return project_dir / ".chalice" / "deployed" / f"{stage}.json"


def read_record(project_dir: Path, stage: str) -> dict[str, Any] | None:
    path = record_path(project_dir, stage)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise DeployError(f"{path} cannot be read ({error}): deploy again to rewrite it") from None
    if not isinstance(record, dict) or not isinstance(record.get("resources"), list):
        raise DeployError(f"{path} is not a deployment record: deploy again to rewrite it")
    return record


def require_record(project_dir: Path, stage: str) -> dict[str, Any]:
    record = read_record(project_dir, stage)
    if record is None or "stack" not in record:
        raise DeployError(
            f"stage {stage!r} is not deployed from here ({record_path(project_dir, stage)} "
            f"is missing): run `chalicelike deploy --stage {stage}`"
        )
    return record


def write_record(project_dir: Path, stage: str, record: dict[str, Any]) -> Path:
    path = record_path(project_dir, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2, sort_keys=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{stage}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file 0600; the record is as readable as the project's files.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def delete_record(project_dir: Path, stage: str) -> None:
    record_path(project_dir, stage).unlink(missing_ok=True)


def function_resource(record: dict[str, Any], name: str) -> dict[str, Any]:
    """The record's entry for the app's function `name` (its app name or deployed name)."""
    functions = [r for r in record["resources"] if r.get("resource_type") == "lambda_function"]
    for resource in functions:
        if name in (resource["name"], resource.get("function_name")):
            return dict(resource)
    known = ", ".join(sorted(r["name"] for r in functions)) or "none"
    raise DeployError(f"no deployed function named {name!r} (deployed: {known})")
