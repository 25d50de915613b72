"""`build` and `publish` as they run: the real SDK and our code against a fake engine.

What the offline plans cannot show: the order of the calls and what each run decides
from the engine's answers (digests, labels, failed steps).
"""

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import dagger
import pytest

from ci import pipelines, provenance, release, scan
from tests.infra.ci.fake_engine import FakeEngine, Node, handler_for
from tests.infra.ci.oci import write_image
from tests.support.loopback import serving

TARGET = release.artifact_registry(location="europe-west1", project="my-project", repository="app")
GITHUB = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    fake = FakeEngine()
    with serving(handler_for(fake)) as port:
        monkeypatch.setenv("DAGGER_SESSION_PORT", str(port))
        monkeypatch.setenv("DAGGER_SESSION_TOKEN", "test")
        yield fake


def _run(function: Callable[[], Awaitable[object]]) -> None:
    async def connected() -> None:
        async with dagger.connection():
            await function()

    anyio.run(connected)


def _is_trivy(node: Node) -> bool:
    return any(args[:2] == ["trivy", "image"] for args in node.execs())


def _build(
    tmp_path: Path, build: pipelines.Build, *, ref: str = "refs/heads/main", env: dict[str, str] | None = None
) -> pipelines.Build:
    """This build, in a run that records its Actions step outputs in tmp_path."""
    outputs = {"GITHUB_OUTPUT": str(tmp_path / "github-output")}
    return dataclasses.replace(build, ref=ref, env={**outputs, **(env or {})}, run_id="run-1")


def _outputs(tmp_path: Path) -> str:
    path = tmp_path / "github-output"
    return path.read_text() if path.exists() else ""


def test_build_exports_the_image_once_and_scans_and_describes_that_file(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _build(tmp_path, build)
    _run(lambda: pipelines.run_build(run, output=tmp_path))
    tarball = tmp_path / pipelines.IMAGE_FILE
    digest = provenance.manifest_digest(tarball)
    image_exports = [node for node, _ in engine.leaves("export") if node.named("dockerBuild")]
    assert [path for _, path in engine.leaves("export")] == [str(tarball), str(tmp_path / pipelines.SBOM_FILE)]
    assert len(image_exports) == 1, "the image was built more than once"
    ((trivy, _),) = engine.leaves("sync")
    assert _is_trivy(trivy)
    assert trivy.host_files() == [str(tarball)]
    assert trivy.env()[scan.CACHE_BUSTER_ENV] == "run-1"
    sbom, _ = engine.leaves("export")[1]
    assert sbom.host_files() == [str(tarball)]
    assert f"built {digest}" in capsys.readouterr().out
    assert _outputs(tmp_path) == f"digest={digest}\n"


def test_build_fails_when_trivy_finds_a_fixable_vulnerability(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path
) -> None:
    engine.fails = _is_trivy
    with pytest.raises(pipelines.PipelineError, match="failed: trivy"):
        _run(lambda: pipelines.run_build(_build(tmp_path, build), output=tmp_path))
    assert _outputs(tmp_path) == "", "a digest was reported for an image that failed its scan"
    assert not (tmp_path / pipelines.SBOM_FILE).exists()


def _artifacts(tmp_path: Path, revision: str) -> tuple[Path, str]:
    artifacts = tmp_path / "build"
    artifacts.mkdir()
    (artifacts / pipelines.SBOM_FILE).write_text("{}")
    return artifacts, write_image(artifacts / pipelines.IMAGE_FILE, revision=revision)


def test_publish_scans_pushes_and_reports_the_tarballs_digest(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts, digest = _artifacts(tmp_path, build.commit)
    run = _build(tmp_path, build, ref="refs/tags/v1.2.3")

    _run(lambda: pipelines.run_publish(run, TARGET, password_env="P", artifacts=artifacts, digest=digest))
    tarball = str(artifacts / pipelines.IMAGE_FILE)
    ((scanned, _),) = engine.leaves("sync")
    assert _is_trivy(scanned)
    assert scanned.host_files() == [tarball]
    pushes = engine.leaves("publish")
    assert [address for _, address in pushes] == [TARGET.reference(tag) for tag in run.tags]
    for pushed, _ in pushes:
        assert [call.name for call in pushed.calls][:2] == ["container", "import"]
        assert pushed.host_files() == [tarball]
    reference = f"{TARGET.address}@{digest}"
    assert _outputs(tmp_path) == f"digest={reference}\n"
    out = capsys.readouterr().out
    assert reference in out
    assert "published unsigned" in out
    order = [kind for kind, _, _ in engine.log]
    assert order.index("sync") < order.index("publish"), "pushed before the scan passed"


def test_publish_signs_the_digest_in_actions_after_pushing(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path
) -> None:
    artifacts, digest = _artifacts(tmp_path, build.commit)
    run = _build(tmp_path, build, env=GITHUB)
    _run(lambda: pipelines.run_publish(run, TARGET, password_env="P", artifacts=artifacts, digest=digest))
    kinds = [kind for kind, _, _ in engine.log]
    signer, _ = engine.leaves("sync")[-1]
    assert kinds[-1] == "sync"
    assert kinds.index("publish") < len(kinds) - 1, "signed before pushing"
    assert "cosign sign --yes" in signer.execs()[-1][-1]
    assert signer.env()["IMAGE"] == f"{TARGET.address}@{digest}"
    assert signer.host_files() == [str(artifacts / pipelines.SBOM_FILE)]


def test_a_registry_digest_other_than_the_tarballs_is_never_signed(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path
) -> None:
    artifacts, digest = _artifacts(tmp_path, build.commit)
    engine.registry_digest = "sha256:" + "9" * 64
    run = _build(tmp_path, build, env=GITHUB)
    with pytest.raises(pipelines.PipelineError, match="nothing was signed"):
        _run(lambda: pipelines.run_publish(run, TARGET, password_env="P", artifacts=artifacts, digest=digest))
    assert [node for node, _ in engine.leaves("sync") if not _is_trivy(node)] == [], "cosign ran"
    assert _outputs(tmp_path) == "", "deploys would roll out an unsigned digest"


@pytest.mark.parametrize("revision", ["fedcba9876543210fedcba9876543210fedcba98", "-dirty"])
def test_a_tarball_of_another_commit_or_a_dirty_tree_is_never_pushed(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path, revision: str
) -> None:
    label = build.commit + revision if revision.startswith("-") else revision
    artifacts, digest = _artifacts(tmp_path, label)
    with pytest.raises(pipelines.PipelineError, match="run the build again from this checkout"):
        _run(
            lambda: pipelines.run_publish(
                _build(tmp_path, build), TARGET, password_env="P", artifacts=artifacts, digest=digest
            )
        )
    assert engine.leaves("publish") == []
    assert engine.leaves("sync") == []


def test_a_failed_scan_before_publishing_pushes_nothing(
    engine: FakeEngine, build: pipelines.Build, tmp_path: Path
) -> None:
    artifacts, digest = _artifacts(tmp_path, build.commit)
    engine.fails = _is_trivy
    with pytest.raises(pipelines.PipelineError, match="failed: trivy"):
        _run(
            lambda: pipelines.run_publish(
                _build(tmp_path, build), TARGET, password_env="P", artifacts=artifacts, digest=digest
            )
        )
    assert engine.leaves("publish") == []
