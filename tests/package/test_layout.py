"""The packager's shape: no import cycle, writers that import the model and shared helpers
but never each other, and each private module's exports named first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_layers import cycles, import_graph

PACKAGE = "chalicelike.package"
TEMPLATES = f"{PACKAGE}.templates"
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "chalicelike" / "package"


def test_the_packager_has_no_import_cycle() -> None:
    graph = {
        module: {target for target in targets if target.startswith(PACKAGE)}
        for module, targets in import_graph().items()
        if module.startswith(PACKAGE)
    }
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("writer", "other"), [("cloudformation", "terraform"), ("terraform", "cloudformation")]
)
def test_a_writer_imports_the_model_and_shared_helpers_never_another_writer(
    writer: str, other: str
) -> None:
    allowed = (
        f"{TEMPLATES}.{writer}",
        f"{TEMPLATES}._model",
        f"{TEMPLATES}._write",
        f"{TEMPLATES}._aws",
        "chalicelike._tooling._openapi",
        "chalicelike._tooling._template_error",
        f"{TEMPLATES}._workflow_parts",
        "chalicelike._tooling._manifest",
        "chalicelike._tooling._settings",
    )
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.startswith(f"{TEMPLATES}.{writer}")
        for target in sorted(targets)
        if not target.startswith(allowed) or target.startswith(f"{TEMPLATES}.{other}")
    ]
    assert wrong == []


def test_the_model_imports_no_writer() -> None:
    graph = import_graph()
    for shared in ("_model", "_write", "_aws"):
        assert not any(
            target.startswith((f"{TEMPLATES}.cloudformation", f"{TEMPLATES}.terraform"))
            for target in graph[f"{TEMPLATES}.{shared}"]
        ), shared
