"""What a route is given, checked at registration: methods, content types, and CORS that
API Gateway can serve (one preflight per path). Errors name the view and the fix."""

from __future__ import annotations

from collections.abc import Sequence

from ._cors import CORSConfig
from ._errors import RegistrationError
from ._routing import HTTP_METHODS, RouteEntry

__all__ = ["check_same_cors", "checked_content_types", "checked_methods"]


def check_same_cors(
    path: str, others: list[RouteEntry], cors: CORSConfig | None, newcomer: str
) -> None:
    """API Gateway has one preflight per path, so all CORS-enabled views on it must agree."""
    if cors is None:
        return
    for other in others:
        if other.cors is not None and other.cors != cors:
            raise RegistrationError(
                f"Views on {path!r} ({other.view_name!r}, {newcomer!r}) have different "
                "CORS configurations; API Gateway has one preflight per path, so give "
                "them the same CORSConfig"
            )


def checked_methods(methods: Sequence[str] | None, view_name: str) -> list[str]:
    if methods is None:
        return ["GET"]
    if isinstance(methods, str) or not isinstance(methods, (list, tuple)) or not methods:
        raise RegistrationError(
            f"In view {view_name!r}, methods must be a non-empty list such as ['GET', 'POST'], "
            f"not {methods!r}"
        )
    checked: list[str] = []
    for method in methods:
        upper = method.upper() if isinstance(method, str) else ""
        if upper not in HTTP_METHODS:
            raise RegistrationError(
                f"In view {view_name!r}, {method!r} is not an HTTP method; use one of "
                f"{', '.join(sorted(HTTP_METHODS))}"
            )
        if upper in checked:
            raise RegistrationError(f"In view {view_name!r}, method {upper!r} is listed twice")
        checked.append(upper)
    return checked


def checked_content_types(content_types: Sequence[str] | None, view_name: str) -> list[str]:
    if content_types is None:
        return ["application/json"]
    if not isinstance(content_types, (list, tuple)) or not all(
        isinstance(c, str) and c for c in content_types
    ):
        raise RegistrationError(
            f'In view function "{view_name}", the content_types value must be a list of '
            f"media type strings such as ['application/json'], not "
            f"{type(content_types).__name__}: {content_types!r}"
        )
    return list(content_types)
