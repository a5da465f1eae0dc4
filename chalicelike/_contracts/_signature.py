"""Reading a view's signature into its contract (`contract_for`), once, at registration.

Where each parameter comes from: a path parameter by its name; a marker (`Query`,
`Header`, `Path`, `Body`) where one is given; otherwise a model (or a container of models,
or a dict) is the JSON body and a plain value (or a list of them) a query parameter. A
parameter without a hint is left to its default, as Chalice leaves it. Read from the code
object rather than `inspect`, whose import alone costs a cold start ~15 ms.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from typing import Any

from .._core._errors import RegistrationError
from .._core._response import Response
from .._core._routing import inspect_target
from ._kinds import contains_model, split_annotated
from ._params import ParamInfo, ParamLocation
from ._plain_hints import declares_nothing
from ._view_contract import MISSING, ParamSpec, ViewContract

__all__ = ["contract_for"]

_SCALARS = (str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date,
            datetime.time, uuid.UUID)  # fmt: skip


def contract_for(
    view: Any, path_params: list[str], view_name: str, *, validate_response: bool = True
) -> ViewContract | None:
    """The view's contract, or None when it declares nothing to check (then it is called
    exactly as Chalice calls it)."""
    target = inspect_target(view)
    raw = getattr(target, "__annotations__", None)
    code = getattr(target, "__code__", None)
    if not raw or code is None or declares_nothing(raw, path_params):
        return None
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception as error:
        _refuse_unresolved(view, target, code, raw, path_params, view_name, error)
        return None
    specs = [
        spec
        for name, default in _parameters(view, target, code)
        if (spec := _spec_for(name, hints.get(name), default, path_params, view_name)) is not None
    ]
    bodies = [spec for spec in specs if spec.location is ParamLocation.BODY]
    if len(bodies) > 1:
        names = ", ".join(spec.name for spec in bodies)
        raise RegistrationError(
            f"View {view_name!r} reads the JSON body into more than one parameter ({names}): "
            "declare one model holding them all"
        )
    return_hint = hints.get("return")
    return_type = return_hint if validate_response and contains_model(return_hint) else None
    params = tuple(spec for spec in specs if spec.location is not ParamLocation.BODY)
    if not bodies and return_type is None and all(_plain_path(spec) for spec in params):
        return None
    documented = return_hint if _documents(return_hint) else None
    return ViewContract(view_name, params, bodies[0] if bodies else None, return_type, documented)


def _documents(hint: Any) -> bool:
    """Whether a return hint says something about the answer's JSON (not a Response)."""
    if hint is None or hint is Any or hint is type(None):
        return False
    base, _ = split_annotated(hint)
    return not (isinstance(base, type) and issubclass(base, Response))


def _refuse_unresolved(
    view: Any,
    target: Any,
    code: Any,
    raw: dict[str, Any],
    path_params: list[str],
    view_name: str,
    error: Exception,
) -> None:
    """Hints the module cannot resolve (a name imported only under TYPE_CHECKING, a model
    defined below its view): the view is served as Chalice serves it, unchecked, unless it
    needs an argument only its contract could give, and then every request would be a 500."""
    needed = [
        name
        for name, default in _parameters(view, target, code)
        if default is MISSING and name not in path_params and name in raw
    ]
    if needed:
        raise RegistrationError(
            f"View {view_name!r} takes {', '.join(needed)}, but its type hints cannot be "
            f"resolved ({error}): define the types above the view, or import them at run "
            "time (not only under TYPE_CHECKING)"
        ) from None


def _plain_path(spec: ParamSpec) -> bool:
    """A path parameter that is text with nothing more to check: as Chalice passes it."""
    return (
        spec.location is ParamLocation.PATH
        and spec.annotation in (str, Any)
        and not _has_limits(spec.info)
    )


def _has_limits(info: Any) -> bool:
    return info is not None and bool(info.constraints() if isinstance(info, ParamInfo) else True)


def _parameters(view: Any, target: Any, code: Any) -> list[tuple[str, Any]]:
    """(name, default or MISSING) of the parameters a caller may pass by keyword."""
    count = code.co_argcount + code.co_kwonlyargcount
    names = list(code.co_varnames[:count])
    positional = code.co_argcount
    defaults = getattr(target, "__defaults__", None) or ()
    kwdefaults = getattr(target, "__kwdefaults__", None) or {}
    first_default = positional - len(defaults)
    found = []
    for index, name in enumerate(names):
        if index < positional:
            default = defaults[index - first_default] if index >= first_default else MISSING
        else:
            default = kwdefaults.get(name, MISSING)
        found.append((name, default))
    if getattr(view, "__self__", None) is not None and found:
        found = found[1:]  # a bound method's self
    given = getattr(view, "keywords", None) or {}  # functools.partial's own arguments
    return [(name, default) for name, default in found if name not in given]


def _spec_for(
    name: str, hint: Any, default: Any, path_params: list[str], view_name: str
) -> ParamSpec | None:
    base, metadata = split_annotated(hint)
    marker = next((item for item in metadata if isinstance(item, ParamInfo)), None)
    if name in path_params:
        if marker is not None and marker.location is not ParamLocation.PATH:
            raise RegistrationError(
                f"In view {view_name!r}, {name!r} is a path parameter of the route but is "
                f"declared {type(marker).__name__}(): rename one of them"
            )
        location = ParamLocation.PATH
        hint = str if hint is None else hint
        base = str if base is None else base
    elif marker is not None:
        location = marker.location
        if location is ParamLocation.PATH:
            raise RegistrationError(
                f"In view {view_name!r}, {name!r} is declared Path() but the route has no "
                f"{{{name}}} segment (path parameters: {', '.join(path_params) or 'none'})"
            )
    elif hint is None:
        return None  # unannotated: given its default, as Chalice gives it
    elif _is_plain_value(base) or _is_plain_list(base):
        location = ParamLocation.QUERY
    else:
        location = ParamLocation.BODY
    key = name
    if marker is not None and marker.alias:
        key = marker.alias
    elif location is ParamLocation.HEADER:
        key = name.replace("_", "-")  # x_request_id reads the X-Request-Id header
    if location is ParamLocation.HEADER:
        key = key.lower()
    if location is ParamLocation.PATH:
        default = MISSING  # API Gateway never calls the view without it
    info = marker if marker is not None else (metadata[0] if metadata else None)
    return ParamSpec(name, location, key, base, info, default, hint)


def _is_plain_value(hint: Any) -> bool:
    base, _ = split_annotated(hint)
    if base in _SCALARS or base is Any:
        return True
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return True
    origin = typing.get_origin(base)
    if origin is typing.Literal:
        return True
    if origin is typing.Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(base) if arg is not type(None)]
        return all(_is_plain_value(arg) for arg in args)
    return False


def _is_plain_list(hint: Any) -> bool:
    base, _ = split_annotated(hint)
    origin = typing.get_origin(base)
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in typing.get_args(base) if arg is not type(None)]
        return len(options) == 1 and _is_plain_list(options[0])
    if origin in (list, set, frozenset) or (origin is tuple and ... in typing.get_args(base)):
        items = typing.get_args(base)
        return bool(items) and _is_plain_value(items[0])
    return False
