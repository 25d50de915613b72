"""The flag file in the repo (deploy/flags/flags.json): valid for flagd, complete, and saying why."""

import json
import subprocess
import sys
from pathlib import Path

from app.flags.catalog import CATALOG, BooleanFlag
from app.flags.validation import SCHEMA_DIR, SCHEMA_ID, flag_set_from
from app.integrations.openfeature import context_of
from tests.support.flags import REPO_FLAG_FILE, repo_flags


def _check_jsonschema(instance: Path) -> subprocess.CompletedProcess[str]:
    schema = SCHEMA_DIR / "flags.json"
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("check-jsonschema")),
            # The vendored copy resolves "./targeting.json" beside it: nothing is fetched.
            "--base-uri",
            schema.as_uri(),
            "--schemafile",
            str(schema),
            str(instance),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_repo_flag_file_validates_against_flagds_schema(tmp_path: Path) -> None:
    checked = _check_jsonschema(REPO_FLAG_FILE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The same check refuses a broken copy, so the pass above means something.
    broken = repo_flags()
    broken["flags"]["uploads-enabled"]["state"] = "ON"
    (tmp_path / "flags.json").write_text(json.dumps(broken))
    refused = _check_jsonschema(tmp_path / "flags.json")
    assert refused.returncode == 1
    assert "'ON' is not one of ['ENABLED', 'DISABLED']" in refused.stdout


def test_repo_flag_file_names_the_schema_it_is_checked_against() -> None:
    assert repo_flags()["$schema"] == SCHEMA_ID
    assert json.loads((SCHEMA_DIR / "flags.json").read_text())["$id"] == SCHEMA_ID


def test_repo_flag_file_defines_every_flag_the_app_reads() -> None:
    assert set(repo_flags()["flags"]) == {flag.key for flag in CATALOG}


def test_an_ordinary_user_gets_from_the_repo_file_what_the_in_code_defaults_give() -> None:
    # So an environment whose file is missing behaves, for ordinary users, as the repo's file does.
    flag_set = flag_set_from(REPO_FLAG_FILE.read_bytes())
    for user in range(20):
        context = context_of(f"user-{user}", {"email": f"user{user}@example.com", "staff": False})
        for flag in CATALOG:
            if isinstance(flag, BooleanFlag):
                answer = flag_set.evaluator.resolve_boolean_value(flag.key, not flag.default, context)
            else:
                answer = flag_set.evaluator.resolve_object_value(flag.key, {"unset": True}, context)
            assert answer.value == flag.default, (flag.key, user)


def test_direct_uploads_rolls_out_by_percentage_after_staff_with_a_shared_rule() -> None:
    document = repo_flags()
    direct = json.dumps(document["flags"]["direct-uploads"]["targeting"])
    assert '"fractional"' in direct
    assert '{"$ref": "is-staff"}' in direct
    users_of_the_rule = [key for key, flag in document["flags"].items() if "is-staff" in json.dumps(flag)]
    assert len(users_of_the_rule) >= 2, "a shared rule is shared"


def test_every_flag_says_what_it_is_for_and_the_quota_flag_why() -> None:
    flags = repo_flags()["flags"]
    assert "reason" in flags["storage-quota"]["metadata"]
    assert all(flag["metadata"].get("description") or flag["metadata"].get("reason") for flag in flags.values())
