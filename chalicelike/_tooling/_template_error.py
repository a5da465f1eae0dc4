"""The error a template writer raises when the app or its config asks for something a
template (or the OpenAPI document it embeds) cannot express; the message says what to change."""

from __future__ import annotations

from .._core._errors import ChaliceError

__all__ = ["TemplateError"]


class TemplateError(ChaliceError, ValueError):
    """The app or its config asks for something a template cannot express; says what to change."""
