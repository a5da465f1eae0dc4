"""Whether a view's hints declare anything to check, decided from the raw annotations alone:
`def get(name: str) -> dict` (what Chalice apps write) declares nothing, and such an app
must not pay for loading the contract machinery at cold start. Imports nothing."""

from __future__ import annotations

from typing import Any

__all__ = ["declares_nothing"]

# Hints Chalice apps write that declare nothing to check, as text (postponed annotations)
# or as the name of the object.
_PLAIN_HINTS = frozenset(
    {
        "str",
        "dict",
        "list",
        "Any",
        "None",
        "Response",
        "object",
        "bytes",
        "typing.Any",
        "Dict[str, Any]",
        "dict[str, Any]",
    }
)


def declares_nothing(annotations: dict[str, Any], path_params: list[str]) -> bool:
    """True when every hint is one of Chalice's plain ones: text path parameters and a
    plain return type. False means "maybe": the contract reader resolves the hints."""
    for name, hint in annotations.items():
        text = hint if isinstance(hint, str) else getattr(hint, "__name__", None)
        if name == "return":
            if text not in _PLAIN_HINTS and hint is not None:
                return False
        elif name not in path_params or text not in ("str", "Any"):
            return False
    return True
