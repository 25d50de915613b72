"""What a flag file must be to be put in force, and the reason given when it is not."""

import json
from typing import Any

import pytest

from app.flags.catalog import QUOTA_NOT_A_COUNT, QUOTA_UNKNOWN_KEY
from app.flags.validation import (
    BAD_VARIANT,
    FLAGD_REFUSED,
    NOT_FLAGD,
    NOT_JSON,
    NOT_UTF8,
    TRIAL_FAILED,
    UNKNOWN_DEFAULT_VARIANT,
    WRONG_TYPE,
    FlagFileRefused,
    flag_set_from,
)
from tests.support.flags import repo_flags, with_flag


def _content(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def _refusal(content: bytes) -> str:
    with pytest.raises(FlagFileRefused) as refused:
        flag_set_from(content)
    return str(refused.value)


def _prefix(template: str) -> str:
    return template.split("{", 1)[0]


def test_the_repo_flag_file_is_accepted_whole() -> None:
    flag_set = flag_set_from(_content(repo_flags()))
    assert set(flag_set.keys) == {"uploads-enabled", "direct-uploads", "cdn-downloads", "storage-quota"}
    assert flag_set.metadata["flagSetId"] == "overengineered-backend"


def test_a_file_that_is_not_json_is_refused_with_the_position() -> None:
    reason = _refusal(b'{"flags": {"uploads-enabled": ')
    assert reason.startswith(_prefix(NOT_JSON))
    assert "line 1 column" in reason


def test_a_file_that_is_not_utf8_is_refused() -> None:
    assert _refusal(b"\xff\xfe{}") == NOT_UTF8


@pytest.mark.parametrize(
    ("change", "where", "what"),
    [
        ({"state": "ON"}, "$.flags['cdn-downloads'].state", "'ON' is not one of"),
        ({"variants": {}, "defaultVariant": None}, "$.flags['cdn-downloads'].variants", "should be non-empty"),
        ({"state": None}, "$.flags['cdn-downloads']", "'state' is a required property"),
        ({"targeting": {"fractional": "half"}}, "$.flags['cdn-downloads'].targeting.fractional", "'half' is not"),
    ],
)
def test_a_file_that_breaks_flagds_schema_is_refused_naming_where(
    change: dict[str, Any], where: str, what: str
) -> None:
    reason = _refusal(_content(with_flag(repo_flags(), "cdn-downloads", **change)))
    assert reason.startswith(NOT_FLAGD.format(path=where, message="")), reason
    assert what in reason


def test_a_file_without_flags_is_refused() -> None:
    reason = _refusal(b'{"$schema": "https://flagd.dev/schema/v0/flags.json"}')
    assert reason == NOT_FLAGD.format(path="$", message="'flags' is a required property")


def test_a_default_variant_that_is_not_a_variant_is_refused() -> None:
    reason = _refusal(_content(with_flag(repo_flags(), "uploads-enabled", defaultVariant="of")))
    assert reason == UNKNOWN_DEFAULT_VARIANT.format(key="uploads-enabled", variant="of")


def test_a_flag_the_app_reads_as_a_switch_must_have_true_or_false_variants() -> None:
    reason = _refusal(_content(with_flag(repo_flags(), "uploads-enabled", variants={"on": "yes", "off": "no"})))
    assert reason == WRONG_TYPE.format(key="uploads-enabled", variant="on", expected="true or false")


@pytest.mark.parametrize(
    ("variant", "problem"),
    [
        ({"bytes": -1}, QUOTA_NOT_A_COUNT.format(key="bytes", value=-1)),
        ({"files": 1.5}, QUOTA_NOT_A_COUNT.format(key="files", value=1.5)),
        ({"files": True}, QUOTA_NOT_A_COUNT.format(key="files", value=True)),
        ({"gigabytes": 10}, QUOTA_UNKNOWN_KEY.format(allowed="bytes and files", key="gigabytes")),
    ],
)
def test_a_quota_variant_the_app_cannot_use_is_refused(variant: dict[str, Any], problem: str) -> None:
    variants = {"standard": {}, "large": variant}
    reason = _refusal(_content(with_flag(repo_flags(), "storage-quota", variants=variants)))
    assert reason == BAD_VARIANT.format(key="storage-quota", variant="large", problem=problem)


def test_targeting_that_chooses_a_variant_the_flag_lacks_is_refused() -> None:
    targeting = {"if": [{"$ref": "is-staff"}, "onn"]}
    reason = _refusal(_content(with_flag(repo_flags(), "uploads-enabled", targeting=targeting)))
    assert reason.startswith(TRIAL_FAILED.format(key="uploads-enabled", who="staff", reason=""))
    assert "onn" in reason


def test_flag_set_metadata_flagd_cannot_hold_is_refused() -> None:
    document = repo_flags()
    document["metadata"] = {"flagSetId": "x", "owner": {"team": "files"}}
    reason = _refusal(_content(document))
    # The schema says it first; flagd's own parser is the second line of defence.
    assert reason.startswith((_prefix(NOT_FLAGD), _prefix(FLAGD_REFUSED))), reason


def test_targeting_that_raises_inside_json_logic_is_refused_not_raised() -> None:
    targeting = {"if": [{"/": [1, 0]}, "on"]}
    reason = _refusal(_content(with_flag(repo_flags(), "cdn-downloads", targeting=targeting)))
    assert reason == TRIAL_FAILED.format(key="cdn-downloads", who="a user", reason="division by zero")
