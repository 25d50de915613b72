"""Release decisions: plain Python, tested directly."""

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci import release

COMMIT = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32
commits = st.text(alphabet="0123456789abcdef", min_size=7, max_size=40)


@given(commits)
def test_commit_tag_is_a_twelve_digit_prefix_of_the_commit(commit: str) -> None:
    tag = release.commit_tag(commit)
    assert commit.startswith(tag)
    assert len(tag) == min(12, len(commit))


@pytest.mark.parametrize("commit", ["", "abc", "G123456789", "0123456789ABCDEF", "a" * 41])
def test_commit_tag_rejects_what_is_not_a_commit(commit: str) -> None:
    with pytest.raises(ValueError, match="not a git commit SHA"):
        release.commit_tag(commit)


def test_a_release_tag_gives_its_version_and_every_shorter_tag() -> None:
    ref = "refs/tags/v1.4.2"
    assert release.app_version(commit=COMMIT, ref=ref) == "1.4.2"
    assert release.image_tags(commit=COMMIT, ref=ref) == ["0123456789ab", "1.4.2", "1.4", "1"]


@pytest.mark.parametrize("ref", ["", "refs/heads/main", "refs/tags/v1.2", "refs/tags/1.2.3", "refs/tags/v1.2.3-rc1"])
def test_anything_but_a_release_tag_is_tagged_by_commit_only(ref: str) -> None:
    assert release.image_tags(commit=COMMIT, ref=ref) == ["0123456789ab"]
    assert release.app_version(commit=COMMIT, ref=ref) == "0.0.0+g0123456789ab"


def test_current_commit_prefers_github_sha() -> None:
    assert release.current_commit({"GITHUB_SHA": COMMIT}, Path("/nonexistent")) == COMMIT


def test_current_commit_reads_head_of_the_checkout(tmp_path: Path) -> None:
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    assert release.current_commit({}, tmp_path) == head


def test_current_commit_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="set GITHUB_SHA"):
        release.current_commit({"GIT_CEILING_DIRECTORIES": str(tmp_path)}, tmp_path / "nope")


def test_artifact_registry_target_logs_in_with_an_access_token() -> None:
    target = release.artifact_registry(location="europe-west1", project="my-project", repository="app")
    assert target.host == "europe-west1-docker.pkg.dev"
    assert target.address == "europe-west1-docker.pkg.dev/my-project/app/overengineered-backend"
    assert target.reference("abc") == target.address + ":abc"
    assert target.username == "oauth2accesstoken"


@pytest.mark.parametrize(
    ("location", "project", "repository", "message"),
    [
        ("Europe West", "my-project", "app", "location"),
        ("europe-west1", "x", "app", "project ID"),
        ("europe-west1", "my-project", "App/../x", "repository or image name"),
    ],
)
def test_artifact_registry_rejects_malformed_names(location: str, project: str, repository: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        release.artifact_registry(location=location, project=project, repository=repository)


def test_docker_hub_target() -> None:
    target = release.docker_hub(namespace="acme", username="bot", image="api")
    assert target.reference("1.0.0") == "docker.io/acme/api:1.0.0"
    assert target.username == "bot"


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (
            f"europe-west1-docker.pkg.dev/p/r/app:0123456789ab@{DIGEST}",
            f"europe-west1-docker.pkg.dev/p/r/app@{DIGEST}",
        ),
        (f"localhost:5000/app:1.0@{DIGEST}", f"localhost:5000/app@{DIGEST}"),
        (f"localhost:5000/app@{DIGEST}", f"localhost:5000/app@{DIGEST}"),
    ],
)
def test_digest_reference_drops_the_tag_and_keeps_a_registry_port(published: str, expected: str) -> None:
    assert release.digest_reference(published) == expected


@pytest.mark.parametrize("published", ["docker.io/acme/api:1.0", "docker.io/acme/api@md5:x"])
def test_digest_reference_rejects_a_reference_without_a_digest(published: str) -> None:
    with pytest.raises(ValueError, match="with a digest"):
        release.digest_reference(published)


def test_signing_is_keyless_in_github_actions_only() -> None:
    assert release.signs_keylessly({}) is False
    assert release.signs_keylessly({"GITHUB_ACTIONS": "false"}) is False
    env = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"}
    assert release.signs_keylessly(env) is True


def test_github_actions_without_id_token_permission_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="id-token: write"):
        release.signs_keylessly({"GITHUB_ACTIONS": "true"})
