"""`app cleanup_uploads` removes what interrupted uploads leave, and only that."""

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from app.files.models import File

pytestmark = pytest.mark.django_db


def _cleanup(*args: str) -> str:
    out = StringIO()
    call_command("cleanup_uploads", *args, stdout=out)
    return out.getvalue()


def _age(path: Path, hours: float) -> None:
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


def test_cleanup_removes_expired_uploads_and_old_orphans_but_keeps_live_files(alice_api: Client) -> None:
    media = Path(settings.MEDIA_ROOT)
    ready = alice_api.post("/api/v1/files", {"file": SimpleUploadedFile("keep.txt", b"keep me\n")}).json()
    expired = alice_api.post(
        "/api/v1/uploads",
        {"filename": "old.txt", "size": 4, "content_type": "text/plain"},
        content_type="application/json",
    ).json()
    live = alice_api.post(
        "/api/v1/uploads",
        {"filename": "new.txt", "size": 4, "content_type": "text/plain"},
        content_type="application/json",
    ).json()
    expired_file = File.objects.get(id=expired["id"])
    File.objects.filter(id=expired["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    (media / expired_file.storage_key).parent.mkdir(parents=True, exist_ok=True)
    (media / expired_file.storage_key).write_bytes(b"old\n")
    old_orphan = media / "uploads" / "nobody" / "old-orphan"
    young_orphan = media / "uploads" / "nobody" / "young-orphan"
    old_orphan.parent.mkdir(parents=True)
    old_orphan.write_bytes(b"x")
    young_orphan.write_bytes(b"y")
    _age(old_orphan, hours=2)

    assert _cleanup("--dry-run") == "would remove 1 expired uploads and 1 orphan objects\n"
    assert old_orphan.exists()
    assert _cleanup() == "removed 1 expired uploads and 1 orphan objects\n"

    assert not File.objects.filter(id=expired["id"]).exists()
    assert not (media / expired_file.storage_key).exists()
    assert not old_orphan.exists()
    assert young_orphan.exists(), "an object younger than the grace period may be mid-upload"
    assert File.objects.filter(id=live["id"]).exists()
    assert alice_api.get(f"/api/v1/files/{ready['id']}").status_code == 200
    # Idempotent: a second run finds nothing.
    assert _cleanup() == "removed 0 expired uploads and 0 orphan objects\n"
