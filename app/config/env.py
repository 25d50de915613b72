"""Typed readers for environment variables.

Every setting the project reads from the environment goes through these
functions, so a missing or malformed value stops start-up with a message that
names the variable.
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

MISSING = "{name} is required in this environment but is not set"
NOT_AN_INTEGER = "{name} must be a whole number, got {value!r}"
OUT_OF_RANGE = "{name} must be between {low} and {high}, got {value}"
NOT_A_BOOLEAN = "{name} must be one of 1/0, true/false, yes/no, on/off, got {value!r}"
NOT_A_CHOICE = "{name} must be one of {choices}, got {value!r}"
NOT_A_URL = "{name} must be an absolute URL with one of the schemes {schemes}, got {value!r}"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Env:
    """Reads typed values from a mapping of environment variables."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def is_set(self, name: str) -> bool:
        return self._raw(name) is not None

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str:
        value = self._raw(name)
        if value is None:
            if required or default is None:
                raise ImproperlyConfigured(MISSING.format(name=name))
            return default
        return value

    def optional_text(self, name: str) -> str | None:
        return self._raw(name)

    def integer(self, name: str, default: int, *, low: int = 0, high: int = 2**62) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ImproperlyConfigured(NOT_AN_INTEGER.format(name=name, value=raw)) from None
        if not low <= value <= high:
            raise ImproperlyConfigured(OUT_OF_RANGE.format(name=name, low=low, high=high, value=value))
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ImproperlyConfigured(NOT_A_BOOLEAN.format(name=name, value=raw))

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._raw(name) or default
        if value not in choices:
            raise ImproperlyConfigured(NOT_A_CHOICE.format(name=name, choices=", ".join(choices), value=value))
        return value

    def items(self, name: str, default: tuple[str, ...] = (), *, required: bool = False) -> list[str]:
        raw = self._raw(name)
        if raw is None:
            if required:
                raise ImproperlyConfigured(MISSING.format(name=name))
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def url(self, name: str, *, schemes: tuple[str, ...], required: bool = False) -> str | None:
        raw = self._raw(name)
        if raw is None:
            if required:
                raise ImproperlyConfigured(MISSING.format(name=name))
            return None
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.netloc:
            # Never echo a URL that may carry a password.
            shown = f"{parts.scheme}://…" if parts.scheme else "a value without a scheme"
            raise ImproperlyConfigured(NOT_A_URL.format(name=name, schemes=", ".join(schemes), value=shown))
        return raw
