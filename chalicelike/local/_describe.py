"""Reads the project's app in a subprocess and hands back its manifest.

The server never imports the user's code itself: a syntax error, a crash at import time
or a module-level side effect stays in a short-lived child, and a reload is just another
child. Run as `python -m chalicelike.local._describe PROJECT_DIR STAGE`, it prints one
JSON object: {"manifest": {...}} or {"error": "what is wrong, with file and line"}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .._manifest import AppManifest


class AppLoadError(Exception):
    """The project's app cannot be read; the message says where and why."""


async def describe_project(project_dir: Path, stage: str) -> AppManifest:
    import asyncio  # here: the child that runs `_main` has no use for it (60 ms of imports)

    project_dir = project_dir.resolve()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chalicelike.local._describe",
        str(project_dir),
        stage,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(project_dir),
    )
    try:
        out, err = await process.communicate()
    except BaseException:
        # Superseded by a newer save (or the server stopping): the child must not linger.
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    try:
        answer = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = err.decode(errors="replace").strip() or f"exit status {process.returncode}"
        raise AppLoadError(f"reading {project_dir / 'app.py'} failed: {detail}") from None
    if "error" in answer:
        raise AppLoadError(answer["error"])
    return AppManifest.from_json(answer["manifest"])


def _main(project_dir: str, stage: str) -> int:
    from .._config import ConfigError, stage_environment
    from .._errors import ChaliceError
    from .._manifest import describe_app
    from .._project import load_app

    try:
        # The app may read its stage's variables at import time, as it does on Lambda.
        os.environ.update(stage_environment(project_dir, stage))
        # On Lambda a region is always set; a module-level boto3.client() relies on it.
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        os.environ.setdefault("AWS_DEFAULT_REGION", region or "us-east-1")
        manifest = describe_app(load_app(Path(project_dir)))
    except (ChaliceError, ConfigError) as error:
        answer: dict[str, object] = {"error": str(error)}
    else:
        answer = {"manifest": manifest.to_json()}
    # The app may print while importing: the answer is the last line.
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1], sys.argv[2]))
