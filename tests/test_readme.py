"""The README's Quickstart: two commands, and CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quickstart, flags=re.S)


def test_quickstart_has_two_commands_run_then_test() -> None:
    run, test = quickstart_commands()
    assert "chalicelike --project-dir sample_app local" in run
    assert "python -m pytest" in test
    assert run.startswith("python3.11 -m venv .venv") and test.startswith(
        "python3.11 -m venv .venv"
    )


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _run, test = quickstart_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci_lines
    assert ci_lines[-1] == test  # last, so CI's closing line is pytest's
