import uuid

from django.conf import settings
from django.db import models


class File(models.Model):
    """A user's file. `pending` reserves quota until the bytes are verified."""

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files")
    owner_id: uuid.UUID  # the column behind `owner`, which Django adds; declared for the type checker
    # Generated from the owner's and the file's ids, never from the filename.
    storage_key = models.CharField(max_length=120, unique=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    # Base64 MD5, the format of HTTP Content-MD5 and of GCS's md5Hash.
    checksum_md5 = models.CharField(max_length=24, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When a signed PUT claimed the upload: one PUT stores the bytes, never two at once.
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "status", "-created_at", "-id"], name="file_owner_listing"),
            models.Index(fields=["status", "expires_at"], name="file_pending_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.id})"
