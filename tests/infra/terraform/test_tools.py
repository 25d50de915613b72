"""terraform/ through the real tools that run offline: terraform fmt, python-hcl2, checkov."""

from pathlib import Path
from typing import Any

import hcl2
import pytest
from lark.exceptions import LarkError

from tests.infra.terraform.conftest import terraform
from tests.infra.terraform.hcl import TERRAFORM, terraform_files
from tests.support import checkov

CAREFUL_SKIP = "#checkov:skip="


def test_terraform_fmt_has_nothing_to_change(terraform_binary: str) -> None:
    result = terraform(terraform_binary, "fmt", "-check", "-recursive", "-diff", ".", cwd=TERRAFORM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_terraform_fmt_flags_a_misaligned_file(terraform_binary: str, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("locals {\n  a = 1\n  longer = 2\n}\n")
    result = terraform(terraform_binary, "fmt", "-check", ".", cwd=tmp_path)
    assert result.returncode != 0
    assert "main.tf" in result.stdout


def test_every_terraform_file_parses() -> None:
    files = terraform_files()
    assert len(files) >= 50
    for path in files:
        with path.open() as handle:
            assert isinstance(hcl2.load(handle), dict), path


def test_the_parser_rejects_a_stray_brace() -> None:
    with pytest.raises(LarkError):
        hcl2.loads('resource "a" "b" {\n  x = 1\n}\n}\n')


def _checkov(directory: Path, home: Path) -> dict[str, Any]:
    return checkov.checkov_report("--directory", str(directory), "--framework", "terraform", cwd=directory, home=home)


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _checkov(TERRAFORM, tmp_path_factory.mktemp("home"))


def test_checkov_reports_nothing_unexplained(checkov_report: dict[str, Any]) -> None:
    results = checkov_report["results"]
    assert [(c["check_id"], c["resource"]) for c in results["failed_checks"]] == []
    # A file checkov cannot parse is silently left unchecked: that is a failure too.
    assert results.get("parsing_errors", []) == []
    assert checkov_report["summary"]["resource_count"] >= 70
    assert len(results["passed_checks"]) >= 40
    for check in results["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 20, f"{check['check_id']} on {check['resource']} is skipped without a reason"


def test_every_checkov_skip_in_the_code_gives_a_reason() -> None:
    for path in terraform_files():
        for line in path.read_text().splitlines():
            if CAREFUL_SKIP in line:
                check, _, reason = line.split(CAREFUL_SKIP, 1)[1].partition(":")
                assert check.startswith(("CKV_", "CKV2_")) and len(reason.strip()) >= 20, f"{path}: {line.strip()}"


def test_checkov_flags_a_careless_bucket(tmp_path: Path) -> None:
    careless = tmp_path / "careless"
    careless.mkdir()
    (careless / "main.tf").write_text(
        'resource "google_storage_bucket" "main" {\n  name     = "b"\n  location = "EU"\n}\n'
    )
    report = _checkov(careless, tmp_path)
    failed = {check["check_id"] for check in report["results"]["failed_checks"]}
    # Neither uniform bucket-level access nor public access prevention.
    assert {"CKV_GCP_29", "CKV_GCP_114"} <= failed
