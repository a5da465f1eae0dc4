"""Helpers for the packager's tests: the test projects, and a clean Lambda-like run.

`invoke_packaged` imports an unzipped package under `python -I -S` with only that folder
added to sys.path, as Lambda's /var/task is.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

PROJECTS = Path(__file__).resolve().parent / "projects"
SAMPLE_APP = Path(__file__).resolve().parents[2] / "sample_app"
# The runtime and architecture of this machine: a package built for them can be imported here.
HOST_RUNTIME = f"python3.{sys.version_info.minor}"
HOST_ARCHITECTURE = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]

_INVOKE = textwrap.dedent(
    """
    import json, sys, types
    task_root, event = sys.argv[1], json.loads(sys.argv[2])
    sys.path.insert(0, task_root)
    import app
    context = types.SimpleNamespace(
        function_name="packaged-dev",
        aws_request_id="8f5e1c2a-1111-2222-3333-444455556666",
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:packaged-dev",
        memory_limit_in_mb="128",
        get_remaining_time_in_millis=lambda: 3000,
    )
    answer = app.app(event, context)
    outside = sorted(
        name for name, module in sys.modules.items()
        if getattr(module, "__file__", None) and name.split(".")[0] in ("chalicelike", "app")
        and not module.__file__.startswith(task_root)
    )
    print(json.dumps({"answer": answer, "outside": outside}))
    """
)


def unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as package:
        package.extractall(into)
    return into


def invoke_packaged(task_root: Path, event: dict[str, Any]) -> dict[str, Any]:
    """Import app.py from `task_root` in a clean interpreter and call `app.app(event, context)`.

    Fails if the app or chalicelike were imported from anywhere but `task_root`.
    """
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _INVOKE, str(task_root), json.dumps(event)],
        capture_output=True,
        text=True,
        cwd=task_root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout)
    assert outcome["outside"] == []
    return dict(outcome["answer"])
