"""Reading decoded JSON from the Engine without trusting its shape."""

from collections.abc import Mapping
from typing import Any, cast


def field(document: Any, *path: str) -> Any:
    """`document[path[0]][path[1]]...`, or None where a step is missing or not an object."""
    value = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = cast(Mapping[str, Any], value).get(key)
    return value


def string_map(value: Any) -> dict[str, str]:
    """A JSON object of strings (labels); anything else is empty."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): str(item) for key, item in cast(Mapping[str, Any], value).items()}
