"""What is pushed and signed is what was built: trees, revisions, tarball digests."""

import subprocess
from pathlib import Path

import pytest

from ci import provenance
from tests.infra.ci.oci import corrupt_blob, write_image

COMMIT = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32


def _git(repository: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.key\n/var/\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "x")
    return tmp_path


def test_a_fresh_checkout_is_clean_even_with_ignored_files(checkout: Path) -> None:
    (checkout / "server.key").write_text("secret")
    (checkout / "var").mkdir()
    (checkout / "var" / "db.sqlite3").write_text("")
    assert provenance.dirty_paths(checkout) == []


def test_changes_untracked_files_and_renames_make_the_tree_dirty(checkout: Path) -> None:
    (checkout / "app.py").write_text("print('changed')\n")
    (checkout / "new dir").mkdir()
    (checkout / "new dir" / "notes.txt").write_text("x")
    assert provenance.dirty_paths(checkout) == ["app.py", "new dir/notes.txt"]
    _git(checkout, "checkout", "--", "app.py")
    _git(checkout, "mv", "app.py", "main.py")
    assert provenance.dirty_paths(checkout) == ["main.py", "new dir/notes.txt"]


def test_publishing_is_refused_naming_the_changes() -> None:
    provenance.require_clean([])
    with pytest.raises(ValueError, match=r"working tree with changes .*: app\.py, notes\.txt"):
        provenance.require_clean(["app.py", "notes.txt"])


def test_the_revision_label_marks_a_dirty_tree() -> None:
    assert provenance.revision(COMMIT, dirty=False) == COMMIT
    assert provenance.revision(COMMIT, dirty=True) == COMMIT + "-dirty"


def test_the_manifest_digest_of_a_tarball_names_its_manifest(tmp_path: Path) -> None:
    tarball = tmp_path / "image.tar"
    digest = write_image(tarball)
    assert provenance.manifest_digest(tarball) == digest
    # Another image, another digest.
    assert provenance.manifest_digest(tarball) != write_image(tmp_path / "other.tar", revision="1" * 40)


def test_what_is_not_one_oci_image_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "image.tar"
    tarball.write_text("not a tar")
    with pytest.raises(ValueError, match="not a single-image OCI tarball"):
        provenance.manifest_digest(tarball)
    write_image(tarball, manifests=2)
    with pytest.raises(ValueError, match="2 manifests"):
        provenance.manifest_digest(tarball)


def test_a_tarball_whose_manifest_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "image.tar"
    corrupt_blob(tarball, write_image(tarball))
    with pytest.raises(ValueError, match="content is not"):
        provenance.manifest_digest(tarball)


def test_the_artifact_must_be_the_image_the_build_reported(tmp_path: Path) -> None:
    provenance.require_expected(tmp_path, DIGEST, None)
    provenance.require_expected(tmp_path, DIGEST, DIGEST)
    with pytest.raises(ValueError, match="it is not the image the build made"):
        provenance.require_expected(tmp_path, DIGEST, "sha256:" + "cd" * 32)


@pytest.mark.parametrize("label", [None, COMMIT + "-dirty", "fedcba9876543210fedcba9876543210fedcba98"])
def test_an_image_of_another_commit_or_a_dirty_tree_is_not_published(label: str | None) -> None:
    with pytest.raises(ValueError, match="run the build again"):
        provenance.require_revision(label, COMMIT)
    provenance.require_revision(COMMIT, COMMIT)


def test_the_pushed_digest_must_be_the_scanned_one() -> None:
    provenance.require_pushed(f"europe-west1-docker.pkg.dev/p/r/app@{DIGEST}", DIGEST)
    with pytest.raises(ValueError, match="nothing was signed"):
        provenance.require_pushed(f"europe-west1-docker.pkg.dev/p/r/app@sha256:{'cd' * 32}", DIGEST)
