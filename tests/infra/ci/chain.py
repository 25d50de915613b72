"""Reading a lazy Dagger call chain offline: what would be sent to an engine, unsent."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagger


@dataclass(frozen=True)
class Call:
    type_name: str
    name: str
    args: dict[str, Any]


def chain(obj: Any) -> list[Call]:
    """The object's own calls, root first (`Query.container`, `Container.from`, ...)."""
    return [Call(f.type_name, f.name, dict(f.args)) for f in obj._ctx.selections]


def _objects_in(value: Any) -> Iterator[Any]:
    if hasattr(value, "_ctx"):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _objects_in(item)


def every_call(obj: Any) -> list[Call]:
    """The chain plus, depth first, the chains of every object passed as an argument."""
    calls: list[Call] = []
    for call in chain(obj):
        calls.append(call)
        for value in call.args.values():
            for nested in _objects_in(value):
                calls.extend(every_call(nested))
    return calls


def calls_named(obj: Any, name: str, *, nested: bool = False) -> list[Call]:
    calls = every_call(obj) if nested else chain(obj)
    return [call for call in calls if call.name == name]


def execs(obj: Any) -> list[list[str]]:
    return [call.args["args"] for call in calls_named(obj, "withExec")]


def image_addresses(obj: Any) -> list[str]:
    """Every image pulled anywhere in the plan."""
    return [call.args["address"] for call in calls_named(obj, "from", nested=True)]


def secret_uris(secret: dagger.Secret) -> list[str]:
    return [call.args["uri"] for call in calls_named(secret, "secret")]
