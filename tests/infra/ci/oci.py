"""OCI image layout tarballs as `docker save`/Dagger's `export` write them, made by hand."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def _descriptor(media_type: str, blob: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(blob).hexdigest(), "size": len(blob)}


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def write_image(path: Path, *, revision: str = "0" * 40, manifests: int = 1) -> str:
    """An OCI tarball of a one-layer image labelled with revision; returns its manifest digest."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w:gz") as content:
        _add(content, "app/hello.txt", b"hello\n")
    layer_blob = layer.getvalue()
    config_blob = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"org.opencontainers.image.revision": revision}},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_blob).hexdigest()]},
        }
    ).encode()
    manifest_blob = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": _descriptor("application/vnd.oci.image.config.v1+json", config_blob),
            "layers": [_descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer_blob)],
        }
    ).encode()
    manifest = _descriptor(MANIFEST_TYPE, manifest_blob)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [manifest] * manifests,
    }
    with tarfile.open(path, "w") as archive:
        _add(archive, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(archive, "index.json", json.dumps(index).encode())
        for blob in (layer_blob, config_blob, manifest_blob):
            _add(archive, "blobs/sha256/" + hashlib.sha256(blob).hexdigest(), blob)
    return str(manifest["digest"])


def corrupt_blob(path: Path, digest: str) -> None:
    """Append a byte to one blob of the tarball, leaving its name (the digest) as it was."""
    with tarfile.open(path) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}  # type: ignore[union-attr]
    members["blobs/sha256/" + digest.removeprefix("sha256:")] += b" "
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            _add(archive, name, data)


def read_labels(path: Path) -> dict[str, str]:
    """The image config's labels, found as a runtime finds them: index, manifest, config."""
    with tarfile.open(path) as archive:

        def blob(digest: str) -> dict[str, object]:
            member = archive.extractfile("blobs/sha256/" + digest.removeprefix("sha256:"))
            assert member is not None
            return json.loads(member.read())

        index_file = archive.extractfile("index.json")
        assert index_file is not None
        manifest = blob(json.loads(index_file.read())["manifests"][0]["digest"])
        config = blob(manifest["config"]["digest"])  # type: ignore[index]
        return config["config"]["Labels"]  # type: ignore[index,return-value]
