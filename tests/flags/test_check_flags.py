"""`app check_flags`: an edit is checked before it ships, exactly as the running app will check it."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from app.flags.management.commands.check_flags import ACCEPTED, REFUSED
from app.flags.validation import UNKNOWN_DEFAULT_VARIANT
from tests.support.flags import REPO_FLAG_FILE, repo_flags, with_flag


def test_check_flags_accepts_the_repo_file() -> None:
    out = io.StringIO()
    call_command("check_flags", str(REPO_FLAG_FILE), stdout=out)
    keys = ", ".join(repo_flags()["flags"])
    assert out.getvalue().strip() == ACCEPTED.format(path=REPO_FLAG_FILE, keys=keys)


def test_check_flags_refuses_what_the_app_would_refuse_with_the_same_reason(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(with_flag(repo_flags(), "cdn-downloads", defaultVariant="yes")))
    with pytest.raises(CommandError) as refused:
        call_command("check_flags", str(path))
    reason = UNKNOWN_DEFAULT_VARIANT.format(key="cdn-downloads", variant="yes")
    assert str(refused.value) == REFUSED.format(path=path, reason=reason)


def test_check_flags_names_a_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("check_flags", str(tmp_path / "missing.json"))
    assert str(refused.value) == REFUSED.format(path=tmp_path / "missing.json", reason="No such file or directory")
