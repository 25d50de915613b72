"""Whether a flag file may be put in force: it parses, matches flagd's schema, and every flag the app
reads can answer what the app expects. The first reason it cannot is the refusal's message.
"""

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Final, cast

from jsonschema import Draft7Validator, ValidationError
from jsonschema import exceptions as schema_errors
from referencing import Registry
from referencing.jsonschema import DRAFT7

from app.flags.catalog import CATALOG, BooleanFlag, Flag
from app.integrations.openfeature import FlagSet, FlagSetRefused, context_of

# flagd's flag-definition schema, vendored (flagd_schema/README.md says from where).
SCHEMA_DIR: Final = Path(__file__).parent / "flagd_schema"
SCHEMA_ID: Final = "https://flagd.dev/schema/v0/flags.json"

NOT_UTF8 = "it is not UTF-8 text"
NOT_JSON = "it is not JSON: {error}"
NOT_FLAGD = "it does not match flagd's schema at {path}: {message}"
FLAGD_REFUSED = "flagd cannot use it: {reason}"
UNKNOWN_DEFAULT_VARIANT = "flag {key!r}: defaultVariant {variant!r} is not one of its variants"
WRONG_TYPE = "flag {key!r}: variant {variant!r} must be {expected}, as the app reads it"
BAD_VARIANT = "flag {key!r}: variant {variant!r} {problem}"
TRIAL_FAILED = "flag {key!r} fails for {who}: {reason}"

# Who a flag is tried for before the file is accepted: targeting often branches on staff.
_TRIAL_SUBJECTS: Final = (
    ("a user", {"email": "someone@example.com", "staff": False}),
    ("staff", {"email": "staff@example.com", "staff": True}),
)


class FlagFileRefused(Exception):
    """The flag file cannot be put in force; the message says why, for the log."""


@cache
def _validator() -> Draft7Validator:
    schemas = [json.loads((SCHEMA_DIR / name).read_text()) for name in ("flags.json", "targeting.json")]
    registry = Registry[Any]().with_resources((schema["$id"], DRAFT7.create_resource(schema)) for schema in schemas)
    # By reference: draft 7 ignores the `$id` beside the root's own `$ref`, which would leave
    # the relative "./targeting.json" without a base to resolve against.
    return Draft7Validator({"$ref": SCHEMA_ID}, registry=registry)


def _schema_check(document: Any) -> None:
    # types-jsonschema leaves these two partly untyped.
    errors: list[ValidationError] = list(_validator().iter_errors(document))  # pyright: ignore[reportUnknownMemberType]
    if not errors:
        return
    error = cast(ValidationError, schema_errors.best_match(errors))  # pyright: ignore[reportUnknownMemberType]
    if error.context:
        # Under an anyOf (a flag is one of four typed flags): the branch it came closest to, as
        # check-jsonschema reports it.
        error = cast(ValidationError, schema_errors.best_match(error.context))  # pyright: ignore[reportUnknownMemberType]
    raise FlagFileRefused(NOT_FLAGD.format(path=error.json_path, message=error.message))


def _object(value: Any) -> dict[str, Any] | None:
    return cast(dict[str, Any], value) if isinstance(value, dict) else None


def _variants_check(key: str, definition: dict[str, Any], flag: Flag | None) -> None:
    """What the schema cannot say: the default variant exists, and the app's flags hold what it reads."""
    variants = _object(definition.get("variants"))
    if variants is None:
        return  # the schema check names what is wrong
    default_variant = definition.get("defaultVariant")
    if default_variant is not None and default_variant not in variants:
        raise FlagFileRefused(UNKNOWN_DEFAULT_VARIANT.format(key=key, variant=default_variant))
    if flag is None:
        return
    for name, value in variants.items():
        if isinstance(flag, BooleanFlag):
            if not isinstance(value, bool):
                raise FlagFileRefused(WRONG_TYPE.format(key=key, variant=name, expected="true or false"))
            continue
        if not isinstance(value, dict):
            raise FlagFileRefused(WRONG_TYPE.format(key=key, variant=name, expected="an object"))
        if problem := flag.variant_problem(cast(dict[str, Any], value)):
            raise FlagFileRefused(BAD_VARIANT.format(key=key, variant=name, problem=problem))


def _flags_check(document: Any) -> None:
    # Before the schema: a flag of the wrong type matches none of its typed flags, and the
    # schema would report a mismatch against one of the types it does not have.
    found = _object((_object(document) or {}).get("flags"))
    known = {flag.key: flag for flag in CATALOG}
    for key, definition in (found or {}).items():
        if (flag_definition := _object(definition)) is not None:
            _variants_check(key, flag_definition, known.get(key))


def _trials(flag_set: FlagSet, flags: Iterable[Flag]) -> None:
    for flag in flags:
        for who, attributes in _TRIAL_SUBJECTS:
            try:
                flag_set.trial(flag.key, flag.default, context_of("flag-file-trial", attributes))
            except FlagSetRefused as refused:
                raise FlagFileRefused(TRIAL_FAILED.format(key=flag.key, who=who, reason=refused)) from None


def flag_set_from(content: bytes) -> FlagSet:
    """The flags of a file's content, ready to put in force; raises `FlagFileRefused` naming the first problem."""
    try:
        document = json.loads(content.decode())
    except UnicodeDecodeError:
        raise FlagFileRefused(NOT_UTF8) from None
    except json.JSONDecodeError as error:
        raise FlagFileRefused(NOT_JSON.format(error=error)) from None
    _flags_check(document)
    _schema_check(document)
    try:
        flag_set = FlagSet(document)
    except FlagSetRefused as refused:
        raise FlagFileRefused(FLAGD_REFUSED.format(reason=refused)) from None
    _trials(flag_set, (flag for flag in CATALOG if flag.key in flag_set.keys))
    return flag_set
