"""The one walk over a deployment: every part handed to a format's writers, once, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelike.package.templates._model import (
    Deployment,
    EventSource,
    Function,
    Role,
    build_deployment,
)
from chalicelike.package.templates._write import Template, write
from tests.package.template_support import EVERYTHING, POLICY, configs_for, manifest_of, stage_for


@dataclass
class Recorder(Template):
    """A format that writes down which part it was handed, in order."""

    deployment: Deployment
    parts: list[str] = field(default_factory=list)


class RecordingParts:
    """Every part method of `_model`'s protocols, recording its call."""

    def __getattr__(self, part: str) -> Any:
        def record(template: Recorder, item: Any = None) -> None:
            if isinstance(item, (Function, EventSource)):
                named = item.name if isinstance(item, Function) else item.entry.name
            elif isinstance(item, Role):
                named = item.function or "app"
            else:
                named = str(item) if isinstance(item, str) else ""
            template.parts.append(f"{part} {named}".strip())

        return record


def test_write_hands_every_part_to_the_format_once() -> None:
    everything = manifest_of(EVERYTHING)
    configs = configs_for(everything)
    recorder = Recorder(build_deployment(everything, stage_for(everything), configs, POLICY))
    parts = RecordingParts()
    write(recorder, parts, parts, parts)  # any object with the parts will do
    written = recorder.parts
    assert written[0] == "role app"
    assert [p for p in written if p.startswith("function ")] == [
        f"function {entry.name}" for entry in everything.functions
    ]
    assert "rest_api" in written and "http_api" not in written
    assert written.count("websocket_api") == 1
    assert "stream_mapping on_job" in written and "stream_mapping on_click" in written
    assert "sns_subscription on_news" in written and "s3_rule on_photo" in written
    assert "ses_rule on_email" in written and "cognito_trigger on_signup" in written
    assert written[-1] == "s3_notifications"
