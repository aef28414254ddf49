"""Teach nameko to rebuild our typed errors on the calling side instead of RemoteError."""

from __future__ import annotations

from nameko.exceptions import registry

from .errors import TYPED_ERRORS


def register_typed_errors() -> None:
    for error_class in TYPED_ERRORS:
        registry[f"{error_class.__module__}.{error_class.__name__}"] = error_class


register_typed_errors()
