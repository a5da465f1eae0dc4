"""CORS: the headers a route adds to its answers and to the preflight API Gateway answers.

Chalice's CORSConfig, plus one thing its users ask for: `allow_origin` may be a
list of origins, in which case the request's Origin is echoed when it is listed
(with `Vary: Origin`), since the header itself can only name one origin.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._errors import RegistrationError

__all__ = [
    "CORSConfig",
    "cors_options",
    "preflight_headers",
    "resolve_cors",
]

_REQUIRED_HEADERS = (
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
)


class CORSConfig:
    """CORS settings for a route (`cors=CORSConfig(...)`) or a whole API (`app.api.cors`)."""

    def __init__(
        self,
        allow_origin: str | Sequence[str] = "*",
        allow_headers: Sequence[str] | None = None,
        expose_headers: Sequence[str] | None = None,
        max_age: int | None = None,
        allow_credentials: bool | None = None,
    ) -> None:
        self.allow_origin = allow_origin
        self._allow_headers = set(_REQUIRED_HEADERS) | set(allow_headers or ())
        self._expose_headers = list(expose_headers or ())
        self._max_age = max_age
        self._allow_credentials = allow_credentials

    @property
    def allow_headers(self) -> str:
        return ",".join(sorted(self._allow_headers))

    def get_access_control_headers(self, request_origin: str | None = None) -> dict[str, str]:
        """The Access-Control-* headers for an answer to a request from `request_origin`."""
        headers: dict[str, str] = {}
        if isinstance(self.allow_origin, str):
            headers["Access-Control-Allow-Origin"] = self.allow_origin
        else:
            if request_origin is not None and request_origin in self.allow_origin:
                headers["Access-Control-Allow-Origin"] = request_origin
            headers["Vary"] = "Origin"
        headers["Access-Control-Allow-Headers"] = self.allow_headers
        if self._expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self._expose_headers)
        if self._max_age is not None:
            headers["Access-Control-Max-Age"] = str(self._max_age)
        if self._allow_credentials is True:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CORSConfig):
            return NotImplemented
        return self.get_access_control_headers() == other.get_access_control_headers() and (
            self.allow_origin == other.allow_origin
        )

    __hash__ = None  # type: ignore[assignment]  # mutable settings object


def cors_options(config: CORSConfig) -> dict[str, object]:
    """The keyword arguments that rebuild `config`: how the app manifest records it."""
    return {
        "allow_origin": config.allow_origin,
        "allow_headers": sorted(config._allow_headers),
        "expose_headers": list(config._expose_headers),
        "max_age": config._max_age,
        "allow_credentials": config._allow_credentials,
    }


def resolve_cors(value: object, api_default: object) -> CORSConfig | None:
    """Turn a route's `cors` argument (None, bool or CORSConfig) into a config or None."""
    if value is None:
        value = api_default
    if value is True:
        return CORSConfig()
    if value is False or value is None:
        return None
    if isinstance(value, CORSConfig):
        return value
    raise RegistrationError(f"cors must be True, False or a CORSConfig, not {value!r}")


def preflight_headers(
    cors_by_method: dict[str, CORSConfig | None], request_origin: str | None
) -> dict[str, str | list[str]]:
    """What API Gateway's generated OPTIONS method answers for one resource.

    The views of a path share one CORS configuration (checked at registration), so
    the first one found speaks for all; a path with none gets only the OPTIONS method.
    """
    enabled = {method: cors for method, cors in cors_by_method.items() if cors is not None}
    headers: dict[str, str | list[str]] = {}
    for config in enabled.values():
        headers.update(config.get_access_control_headers(request_origin))
        break
    headers["Access-Control-Allow-Methods"] = ",".join([*enabled, "OPTIONS"])
    return headers
